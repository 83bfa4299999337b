/*
 * A config-gencount driver in C: the seqlock reader and the driver-side writer over the config
 * space in shared memory (examples/c/virtio_verify.h). The same protocol as
 * examples/js/gencount-driver-good.mjs.
 *
 * Entry points: gencount_setup(config_words, driver_words) once per execution, then
 * read_config() fills words[] consistently, write_config() publishes words[] to the device.
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

/* Retry while the generation is odd (the device is updating) or changed across the read. */
VV_EXPORT("read_config") void read_config(void) {
    struct vv_gencount *cfg = VV_GENCOUNT;
    for (;;) {
        uint32_t before = cfg->gen;
        if (before & 1u) { vv_pause(); continue; }
        vv_rmb();
        for (uint32_t i = 0; i < config_words; i++) words[i] = cfg->data[i];
        vv_rmb();
        if (cfg->gen == before) return;
    }
}

/* Wait until the device took the last write, fill the fields, then publish. */
VV_EXPORT("write_config") void write_config(void) {
    struct vv_gencount *cfg = VV_GENCOUNT;
    volatile uint32_t *drv = cfg->data + config_words;
    while (cfg->drv_changed != 0) vv_pause();
    for (uint32_t j = 0; j < driver_words; j++) drv[j] = words[j];
    vv_wmb();
    cfg->drv_changed = 1;
    vv_notify(VV_EVENT_CONFIG_DOORBELL);
}
