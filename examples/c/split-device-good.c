/*
 * A split-virtqueue device in C, as vhost and QEMU serve a ring (examples/c/virtio_verify.h):
 * the descriptor table and the two rings are plain shared memory at the addresses the transport
 * gave (vq_setup), read and written through volatile pointers.
 *
 *   pop:     read avail.idx; refuse an index more than num ahead; rmb; read the head.
 *   serve:   walk the chain (at most num hops, next < num, INDIRECT only if negotiated).
 *   push:    write used.ring[used_idx] {id, len}; wmb; then used.idx.
 *   notify?: mb, then avail.flags or, with EVENT_IDX, vring_need_event over avail.used_event.
 *   kicks:   re-enable (used.flags or used.avail_event), mb, re-check avail.idx before sleeping.
 */
#include "virtio_verify.h"

static uint16_t num;
static volatile struct vring_desc *desc;
static volatile struct vring_avail *avail;
static volatile struct vring_used *used;
static int event_idx, indirect;
static uint16_t last_avail, used_idx, signalled_used;

VV_EXPORT("vq_setup")
void vq_setup(uint32_t n, uint32_t desc_addr, uint32_t avail_addr, uint32_t used_addr, uint32_t features, uint32_t start) {
    num = (uint16_t)n;
    desc = (volatile struct vring_desc *)desc_addr;
    avail = (volatile struct vring_avail *)avail_addr;
    used = (volatile struct vring_used *)used_addr;
    event_idx = (features >> VIRTIO_RING_F_EVENT_IDX) & 1u;
    indirect = (features >> VIRTIO_RING_F_INDIRECT_DESC) & 1u;
    last_avail = used_idx = signalled_used = (uint16_t)start;
}

static volatile uint16_t *used_event(void) { return &avail->ring[num]; }
static volatile uint16_t *avail_event(void) { return (volatile uint16_t *)&used->ring[num]; }

VV_EXPORT("vq_pop_avail") int32_t vq_pop_avail(void) {
    uint16_t idx = avail->idx;
    if (idx == last_avail) return -1;
    if ((uint16_t)(idx - last_avail) > num) vv_fail("avail.idx moved more than the queue size ahead");
    vv_rmb(); /* the ring entry only after avail.idx says it is there */
    uint16_t head = avail->ring[last_avail & (num - 1)];
    if (head >= num) vv_fail("avail.ring holds a head out of range");
    last_avail++;
    return head;
}

VV_EXPORT("vq_serve") uint32_t vq_serve(uint32_t head, uint32_t response_bytes) {
    volatile struct vring_desc *table = desc;
    uint32_t limit = num, i = head, hops = 0, writable = 0;
    for (;;) {
        if (++hops > limit) vv_fail("a chain longer than the queue (looped?)");
        uint16_t flags = table[i].flags;
        uint64_t addr = table[i].addr;
        uint32_t len = table[i].len;
        if (flags & VRING_DESC_F_INDIRECT) {
            if (!indirect || table != desc || (flags & VRING_DESC_F_NEXT)) vv_fail("INDIRECT misused");
            if (len == 0 || len % sizeof(struct vring_desc)) vv_fail("an indirect table of a bad length");
            table = (volatile struct vring_desc *)VV_SHARED(addr);
            limit = len / sizeof(struct vring_desc);
            i = 0;
            hops = 0;
            continue;
        }
        if (flags & VRING_DESC_F_WRITE) writable += len;
        else if (writable) vv_fail("a readable descriptor after a writable one");
        if (!(flags & VRING_DESC_F_NEXT)) break;
        i = table[i].next;
        if (i >= limit) vv_fail("next out of range");
    }
    return writable < response_bytes ? writable : response_bytes;
}

VV_EXPORT("vq_push_used") void vq_push_used(uint32_t head, uint32_t len) {
    volatile struct vring_used_elem *e = &used->ring[used_idx & (num - 1)];
    e->id = head;
    e->len = len;
    vv_wmb(); /* the element before the index that exposes it */
    used->idx = ++used_idx;
}

VV_EXPORT("vq_should_notify") uint32_t vq_should_notify(void) {
    vv_mb(); /* used.idx visible before we read the driver's suppression state */
    if (!event_idx) return !(avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
    uint16_t old = signalled_used;
    signalled_used = used_idx;
    return vring_need_event(*used_event(), used_idx, old);
}

VV_EXPORT("vq_disable_kicks") void vq_disable_kicks(void) {
    if (!event_idx) used->flags = VRING_USED_F_NO_NOTIFY;
}

VV_EXPORT("vq_enable_kicks") uint32_t vq_enable_kicks(void) {
    if (event_idx) *avail_event() = last_avail;
    else used->flags = 0;
    vv_mb(); /* the re-enable visible before we re-read avail.idx */
    return avail->idx == last_avail;
}
