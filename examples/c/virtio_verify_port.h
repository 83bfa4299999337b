/*
 * virtio_verify_port.h: the port a C driver compiled to WebAssembly uses under
 * `virtio-verify validate` (docs/third-party.md, "C compiled to WebAssembly").
 *
 * Every access to the shared fields goes through an imported function (module "vv"): the adapter
 * (harness/adapters/wasm/port.ts) turns each call into one operation of the JavaScript port, so
 * each call is one scheduling point and nothing else the code does is. Your own variables (the
 * module's linear memory, its stack) are private to the actor and never scheduled.
 *
 * Fields and events are named by the constants below (symbolic ids the adapter maps to the
 * model's layout names), not by addresses: there is no shared memory to point into.
 *
 * Build (Debian clang + lld, no libc):
 *   clang --target=wasm32 -ffreestanding -nostdlib -O2 -Wl,--no-entry -o driver.wasm driver.c
 * (if the linker is installed only as wasm-ld-14: add -fuse-ld=/usr/bin/wasm-ld-14)
 *
 * Entry points a config-gencount driver exports (VV_EXPORT):
 *   uint32_t *vv_words(void)       a buffer of at least VV_MAX_WORDS words the adapter reads and fills
 *   void read_config(uint32_t n)   read the n config words consistently into vv_words()[0..n)
 *   void write_config(uint32_t n)  write vv_words()[0..n) to config.drv[*] and publish them
 * A fresh instance is made for every execution, so static variables start from their initial values.
 */
#ifndef VIRTIO_VERIFY_PORT_H
#define VIRTIO_VERIFY_PORT_H

typedef unsigned int uint32_t;

#define VV_IMPORT(name) __attribute__((import_module("vv"), import_name(name)))
#define VV_EXPORT(name) __attribute__((export_name(name)))

/* The largest number of config words an entry point is asked for (configBytes/4, driverBytes/4). */
#define VV_MAX_WORDS 64u

/* config-gencount fields. */
#define VV_CONFIG_GEN          0x0001u /* config.gen: the generation, odd while the device updates */
#define VV_CONFIG_DEV_CHANGED  0x0002u /* config.dev_changed: config-change status bit */
#define VV_CONFIG_DRV_CHANGED  0x0003u /* config.drv_changed: set by the driver once it wrote */
#define VV_CONFIG_DATA(i)      (0x0100u + (uint32_t)(i)) /* config.data[i]: device-written */
#define VV_CONFIG_DRV(j)       (0x0200u + (uint32_t)(j)) /* config.drv[j]: driver-written */

/* config-gencount events. */
#define VV_EVENT_CONFIG_IRQ      1u /* config-irq: device to driver */
#define VV_EVENT_CONFIG_DOORBELL 2u /* config-doorbell: driver to device */

/* Each call is one scheduling point (one operation of the port). */
VV_IMPORT("load")   uint32_t vv_load(uint32_t field);                 /* returns the field's value */
VV_IMPORT("store")  void     vv_store(uint32_t field, uint32_t value);
VV_IMPORT("wmb")    void     vv_wmb(void);                            /* virtio_wmb */
VV_IMPORT("rmb")    void     vv_rmb(void);                            /* virtio_rmb */
VV_IMPORT("mb")     void     vv_mb(void);                             /* virtio_mb */
VV_IMPORT("pause")  void     vv_pause(void);                          /* spin-loop hint: call it in every retry loop */
VV_IMPORT("notify") void     vv_notify(uint32_t event);

#endif
