// The constants and index arithmetic of the virtio spec's rings (as include/uapi/linux/virtio_ring.h
// has them), shared by the vring examples of this folder.

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
// split ring
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_USED_F_NO_NOTIFY = 1;
// packed ring: descriptor flags (the spec's masks) and event suppression flags
export const VIRTQ_DESC_F_AVAIL = 1 << 7;
export const VIRTQ_DESC_F_USED = 1 << 15;
export const RING_EVENT_FLAGS_ENABLE = 0;
export const RING_EVENT_FLAGS_DISABLE = 1;
export const RING_EVENT_FLAGS_DESC = 2;

export const u16 = (x) => x & 0xffff;

/** vring_need_event: does the index `event` lie in the range (old, now] just published? */
export const needEvent = (event, now, old) => u16(now - event - 1) < u16(now - old);

/** Packed: the AVAIL/USED bits of a descriptor made available in a lap with wrap counter `wrap`. */
export const availBits = (wrap) => (wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED);
/** Packed: the AVAIL/USED bits of a used descriptor in a lap with wrap counter `wrap`. */
export const usedBits = (wrap) => (wrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0);
const POLARITY = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;
export const isAvail = (flags, wrap) => (flags & POLARITY) === availBits(wrap);
export const isUsed = (flags, wrap) => (flags & POLARITY) === usedBits(wrap);

/**
 * Packed: the event index an off_wrap value names, as seen from a lap with wrap counter `wrap`:
 * an offset written in the other lap counts N back.
 */
export const eventOf = (offWrap, wrap, n) => (offWrap & 0x7fff) - (offWrap >> 15 === wrap ? 0 : n);
