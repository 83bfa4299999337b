/*
 * A config-gencount driver in C, compiled to WebAssembly (examples/c/virtio_verify_port.h).
 * The same protocol as examples/js/gencount-driver-good.mjs.
 */
#include "virtio_verify_port.h"

static uint32_t words[VV_MAX_WORDS];

VV_EXPORT("vv_words") uint32_t *vv_words_buffer(void) { return words; }

/* Retry while the generation is odd (the device is updating) or changed across the read. */
VV_EXPORT("read_config") void read_config(uint32_t n) {
    for (;;) {
        uint32_t before = vv_load(VV_CONFIG_GEN);
        if (before & 1u) { vv_pause(); continue; }
        vv_rmb();
        for (uint32_t i = 0; i < n; i++) words[i] = vv_load(VV_CONFIG_DATA(i));
        vv_rmb();
        if (vv_load(VV_CONFIG_GEN) == before) return;
    }
}

/* Wait until the device took the last write, fill the fields, then publish. */
VV_EXPORT("write_config") void write_config(uint32_t n) {
    while (vv_load(VV_CONFIG_DRV_CHANGED) != 0) vv_pause();
    for (uint32_t j = 0; j < n; j++) vv_store(VV_CONFIG_DRV(j), words[j]);
    vv_wmb();
    vv_store(VV_CONFIG_DRV_CHANGED, 1);
    vv_notify(VV_EVENT_CONFIG_DOORBELL);
}
