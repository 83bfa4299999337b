/*
 * A config-gencount driver in C with a real ordering bug: read_config re-checks the generation
 * BEFORE it reads the words instead of after them, so a device update that starts and ends
 * while the words are being read goes unseen and the driver accepts words of two versions.
 * `virtio-verify validate` finds it: no-torn-read is violated. write_config is correct.
 */
#include "virtio_verify_port.h"

static uint32_t words[VV_MAX_WORDS];

VV_EXPORT("vv_words") uint32_t *vv_words_buffer(void) { return words; }

VV_EXPORT("read_config") void read_config(uint32_t n) {
    for (;;) {
        uint32_t before = vv_load(VV_CONFIG_GEN);
        if (before & 1u) { vv_pause(); continue; }
        vv_rmb();
        if (vv_load(VV_CONFIG_GEN) != before) continue; /* BUG: the re-check comes before the words */
        for (uint32_t i = 0; i < n; i++) words[i] = vv_load(VV_CONFIG_DATA(i));
        return;
    }
}

VV_EXPORT("write_config") void write_config(uint32_t n) {
    while (vv_load(VV_CONFIG_DRV_CHANGED) != 0) vv_pause();
    for (uint32_t j = 0; j < n; j++) vv_store(VV_CONFIG_DRV(j), words[j]);
    vv_wmb();
    vv_store(VV_CONFIG_DRV_CHANGED, 1);
    vv_notify(VV_EVENT_CONFIG_DOORBELL);
}
