/*
 * A config-gencount driver in C with a real ordering bug: read_config re-checks the generation
 * BEFORE it reads the words instead of after them, so a device update that starts and ends
 * while the words are being read goes unseen and the driver accepts words of two versions.
 * `virtio-verify validate` finds it: no-torn-read is violated. write_config is correct.
 */
#include "virtio_verify.h"

#define MAX_WORDS 64u
static uint32_t words[MAX_WORDS];
static uint32_t config_words, driver_words;

VV_EXPORT("vv_words") uint32_t *vv_words(void) { return words; }

VV_EXPORT("gencount_setup") void gencount_setup(uint32_t cw, uint32_t dw) {
    config_words = cw;
    driver_words = dw;
}

VV_EXPORT("read_config") void read_config(void) {
    struct vv_gencount *cfg = VV_GENCOUNT;
    for (;;) {
        uint32_t before = cfg->gen;
        if (before & 1u) { vv_pause(); continue; }
        vv_rmb();
        if (cfg->gen != before) continue; /* BUG: the re-check comes before the words */
        for (uint32_t i = 0; i < config_words; i++) words[i] = cfg->data[i];
        return;
    }
}

VV_EXPORT("write_config") void write_config(void) {
    struct vv_gencount *cfg = VV_GENCOUNT;
    volatile uint32_t *drv = cfg->data + config_words;
    while (cfg->drv_changed != 0) vv_pause();
    for (uint32_t j = 0; j < driver_words; j++) drv[j] = words[j];
    vv_wmb();
    cfg->drv_changed = 1;
    vv_notify(VV_EVENT_CONFIG_DOORBELL);
}
