/**
 * Index arithmetic both virtqueue formats share: free-running 16-bit counters and the EVENT_IDX
 * test of include/uapi/linux/virtio_ring.h (the spec's virtq_need_event).
 */

export const u16 = (x: number): number => x & 0xffff;

/**
 * vring_need_event(event_idx, new_idx, old): true when the entry at index `event` lies in the
 * range (old, new] just published, i.e. `(u16)(new - event - 1) < (u16)(new - old)`.
 * Valid only while fewer than 2^16 entries are published between two decisions.
 */
export function vringNeedEvent(event: number, newIdx: number, old: number): boolean {
  return u16(newIdx - event - 1) < u16(newIdx - old);
}

/** The formula written out with its operands, for explanations. */
export function needEventText(event: number, newIdx: number, old: number): string {
  return `vring_need_event(event=${event}, new=${newIdx}, old=${old}) = (u16)(${newIdx} - ${event} - 1) < (u16)(${newIdx} - ${old}) = ${u16(newIdx - event - 1)} < ${u16(newIdx - old)} = ${vringNeedEvent(event, newIdx, old)}`;
}

/** Is some index in the half-open lap-extended range [from, to) in ring slot `slot` of a ring of `n`? */
export function rangeHasSlot(from: number, to: number, slot: number, n: number): boolean {
  if (to - from >= n) return to > from;
  for (let i = from; i < to; i++) if (((i % n) + n) % n === slot) return true;
  return false;
}

/** Readable hex for lengths and addresses, plain decimal for small numbers. */
export function fmt(v: number): string {
  return v < 256 ? String(v) : `0x${v.toString(16)}`;
}
