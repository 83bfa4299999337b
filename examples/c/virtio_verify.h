/*
 * virtio_verify.h: what a C driver or device compiled to WebAssembly sees under
 * `virtio-verify validate` (docs/third-party.md, "C compiled to WebAssembly").
 *
 * Shared memory is plain memory: the model's layout (the config space, the split ring) lies at
 * VV_WINDOW_BASE of the module's linear memory, and your code reads and writes it through ordinary
 * pointers, volatile or __atomic_* as real firmware does. virtio-verify rewrites the module with
 * binaryen (a gate pass) so that every load and store of that window is one scheduling point of
 * the explorer, and makes it resumable with Asyncify, so that the explorer can stop your code at
 * any access and run the other side. Accesses anywhere else (your statics, your stack) are private
 * and never scheduled.
 *
 * Rules the gate enforces (a violation is reported as an actor error, with the function's name):
 *   - a store writes a whole field (a 16-bit store to le16 avail.idx, not two bytes); a load may
 *     read part of one (a byte of a 32-bit config word);
 *   - one access touches one field; memcpy/memset may not touch the window (copy field by field);
 *   - atomics on the window: add, sub, exchange, compare-exchange, and fences (atomic_thread_fence
 *     is a full barrier); and/or/xor are not modelled;
 *   - a loop that runs 5,000,000 iterations without touching the window counts as a hang.
 *
 * Barriers, notifications and pause are imported functions (module "vv"), each one operation.
 *
 * Build (Debian clang + lld, no libc); the memory is imported, shared, at most 8 pages:
 *   clang --target=wasm32 -ffreestanding -nostdlib -O2 -matomics -mbulk-memory \
 *     -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=524288 \
 *     -Wl,--export=__heap_base -o impl.wasm impl.c
 * (if the linker is installed only as wasm-ld-14: add -fuse-ld=/usr/bin/wasm-ld-14)
 * `virtio-verify validate --impl impl.c` runs this command itself.
 *
 * Each execution of the exploration gets a fresh instance with a memory of its own: statics start
 * from their initial values, and every instance has its own stack.
 */
#ifndef VIRTIO_VERIFY_H
#define VIRTIO_VERIFY_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;

#define VV_IMPORT(name) __attribute__((import_module("vv"), import_name(name)))
#define VV_EXPORT(name) __attribute__((export_name(name)))

/* Where the model's shared memory starts in linear memory (guest physical address 0 of the layout). */
#define VV_WINDOW_BASE 0x40000u
#define VV_SHARED(offset) ((void *)(VV_WINDOW_BASE + (uint32_t)(offset)))

/* Barriers (Linux virtio_wmb, virtio_rmb, virtio_mb), a spin-loop hint, notifications. */
VV_IMPORT("wmb")    void     vv_wmb(void);
VV_IMPORT("rmb")    void     vv_rmb(void);
VV_IMPORT("mb")     void     vv_mb(void);
VV_IMPORT("pause")  void     vv_pause(void);          /* call it in every retry loop */
VV_IMPORT("notify") void     vv_notify(uint32_t event);
VV_IMPORT("wait")   void     vv_wait(uint32_t event); /* blocks until the event is raised */
VV_IMPORT("poll")   uint32_t vv_poll(uint32_t event); /* 1 (and consumes it) if raised, else 0 */
/* Gives up on the execution with a reason (QEMU virtio_error: a malformed ring); never returns. */
VV_IMPORT("fail")   __attribute__((noreturn)) void vv_fail(const char *why);

/* ---- config-gencount (design 1): the config space at VV_WINDOW_BASE ----
 * le32 gen (odd while the device updates), le32 dev_changed, le32 drv_changed,
 * le32 data[config_words] (device-written), le32 drv[driver_words] (driver-written, after data). */
struct vv_gencount {
    volatile uint32_t gen;
    volatile uint32_t dev_changed;
    volatile uint32_t drv_changed;
    volatile uint32_t data[]; /* then drv[] at data + config_words */
};
#define VV_GENCOUNT ((struct vv_gencount *)VV_WINDOW_BASE)
#define VV_EVENT_CONFIG_IRQ      0u /* device -> driver */
#define VV_EVENT_CONFIG_DOORBELL 1u /* driver -> device */

/* ---- vring-split: the split virtqueue (virtio 1.2, 2.7), addresses given to vq_setup ---- */
struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
struct vring_avail { uint16_t flags; uint16_t idx; uint16_t ring[]; /* then le16 used_event */ };
struct vring_used_elem { uint32_t id; uint32_t len; };
struct vring_used { uint16_t flags; uint16_t idx; struct vring_used_elem ring[]; /* then le16 avail_event */ };

#define VRING_DESC_F_NEXT      1u
#define VRING_DESC_F_WRITE     2u
#define VRING_DESC_F_INDIRECT  4u
#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY     1u
#define VIRTIO_RING_F_INDIRECT_DESC 28u
#define VIRTIO_RING_F_EVENT_IDX     29u
#define VV_EVENT_KICK     0u /* driver -> device: available buffer notification */
#define VV_EVENT_USED_IRQ 1u /* device -> driver: used buffer notification */

/* Linux vring_need_event: should the side that moved its index from old to new_idx notify, given the peer's event index? */
static inline int vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old) {
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

#endif
