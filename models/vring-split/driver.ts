/**
 * The driver side of the split virtqueue, step by step as Linux drivers/virtio/virtio_ring.c does it.
 *
 * add-buffer (virtqueue_add_split): take descriptors from the free list, write the chain (readable
 *   segments first, then writable; in an indirect table when negotiated), put the head in
 *   avail.ring[avail_idx & (N-1)], virtio_wmb, then avail.idx += 1.
 * kick (virtqueue_kick_prepare_split + notify): virtio_mb, then read used.flags (NO_NOTIFY) or, with
 *   EVENT_IDX, used.avail_event and apply vring_need_event over the entries added since last time.
 * get-buf (virtqueue_get_buf_ctx_split): read used.idx; if past last_used, virtio_rmb, read the used
 *   element, check the id is a live head, free its descriptors; with EVENT_IDX and callbacks on,
 *   virtio_store_mb(used_event = last_used).
 * disable-cb / enable-cb (virtqueue_disable_cb_split, virtqueue_enable_cb_prepare_split,
 *   virtqueue_poll): set or clear VRING_AVAIL_F_NO_INTERRUPT, or move used_event; then virtio_mb and
 *   re-check used.idx, and report pending work so the caller processes it instead of sleeping.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { u16, vringNeedEvent } from '../vring-common/ring-math.ts';
import { broken, drainUsedLoop, segmentsOf, type Segment, type UsedBuffer } from '../vring-common/scenario.ts';
import {
  splitRequestLength,
  DESC_BYTES, EVENTS, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY,
  type Desc, type SplitRing,
} from './layout.ts';
import type { DriverCtx } from './protocol.ts';

export interface DriverState {
  /** Free descriptors, the next to allocate first (Linux keeps this list in desc_extra[].next). */
  free: number[];
  /** desc_state[head]: the descriptors of each live chain. */
  readonly live: Map<number, readonly number[]>;
  availIdxShadow: number;
  numAdded: number;
  lastUsed: number;
  availFlagsShadow: number;
}

export function newDriverState(q: SplitRing): DriverState {
  const start = q.params.startIndex;
  return { free: Array.from({ length: q.n }, (_, i) => i), live: new Map(), availIdxShadow: start, numAdded: 0, lastUsed: start, availFlagsShadow: 0 };
}

export function* addBuffer(x: DriverCtx, buffer: number): Program<number | undefined> {
  const { q, s } = x;
  const segs = segmentsOf(splitRequestLength(q.params, buffer), buffer);
  const indirect = q.indirect && segs.length > 1;
  const descsUsed = indirect ? 1 : segs.length;
  if (s.free.length < descsUsed) return undefined;
  const slots = s.free.splice(0, descsUsed);
  const head = slots[0];
  if (indirect) {
    yield* x.proto.writeChain(x, q.ind[head], segs.map((_, j) => j), segs);
    yield p.store(q.desc[head].flags, VIRTQ_DESC_F_INDIRECT);
    yield p.store(q.desc[head].addr, q.indAddr[head]);
    yield p.store(q.desc[head].len, segs.length * DESC_BYTES);
  } else {
    yield* x.proto.writeChain(x, q.desc, slots, segs);
  }
  s.live.set(head, slots);
  yield* x.proto.publishAvail(x, head);
  return head;
}

export function* writeChain(_x: DriverCtx, table: readonly Desc[], slots: readonly number[], segs: readonly Segment[]): Program {
  for (let j = 0; j < segs.length; j++) {
    const d = table[slots[j]];
    const last = j === segs.length - 1;
    yield p.store(d.flags, (last ? 0 : VIRTQ_DESC_F_NEXT) | (segs[j].write ? VIRTQ_DESC_F_WRITE : 0));
    yield p.store(d.addr, segs[j].addr);
    yield p.store(d.len, segs[j].len);
    if (!last) yield p.store(d.next, slots[j + 1]);
  }
}

export function* publishAvail(x: DriverCtx, head: number): Program {
  const { q, s } = x;
  yield p.store(q.availRing[s.availIdxShadow & (q.n - 1)], head);
  yield p.wmb(); // descriptors and the ring entry before the index that exposes them
  s.availIdxShadow = u16(s.availIdxShadow + 1);
  yield p.store(q.availIdx, s.availIdxShadow);
  s.numAdded++;
}

export function* kickPrepare(x: DriverCtx): Program<boolean> {
  yield p.mb(); // avail.idx must be visible before we read the device's suppression state
  const old = u16(x.s.availIdxShadow - x.s.numAdded);
  x.s.numAdded = 0;
  return yield* x.proto.kickNeeded(x, old);
}

/** Reads used.flags or used.avail_event and decides over the entries old..avail_idx just added. */
export function* kickNeeded(x: DriverCtx, old: number): Program<boolean> {
  const { q, s } = x;
  if (q.availEvent) return vringNeedEvent(yield p.load(q.availEvent), s.availIdxShadow, old);
  return ((yield p.load(q.usedFlags)) & VIRTQ_USED_F_NO_NOTIFY) === 0;
}

export function* kick(x: DriverCtx): Program {
  if (yield* x.proto.kickPrepare(x)) yield p.notify(EVENTS.kick);
}

export function* getBuf(x: DriverCtx): Program<UsedBuffer | undefined> {
  const { q, s } = x;
  if ((yield p.load(q.usedIdx)) === s.lastUsed) return undefined;
  yield p.rmb(); // the used element only after used.idx says it is there
  const e = q.usedRing[s.lastUsed & (q.n - 1)];
  const id = yield p.load(e.id);
  const len = yield p.load(e.len);
  if (id >= q.n) throw broken(`used.ring[${s.lastUsed & (q.n - 1)}].id=${id} out of range`);
  detach(x, id);
  s.lastUsed = u16(s.lastUsed + 1);
  if (q.usedEvent && !(s.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
    yield p.store(q.usedEvent, s.lastUsed); // virtio_store_mb: ask for an interrupt at the next entry
    yield p.mb();
  }
  return { id, len };
}

/** detach_buf_split: the chain goes back to the front of the free list. */
export function detach(x: DriverCtx, id: number): void {
  const chain = x.s.live.get(id);
  if (!chain) throw broken(`id ${id} is not a head!`);
  x.s.live.delete(id);
  x.s.free = [...chain, ...x.s.free];
}

export function* disableCb(x: DriverCtx): Program {
  const { q, s } = x;
  if (s.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) return;
  s.availFlagsShadow |= VIRTQ_AVAIL_F_NO_INTERRUPT;
  // With EVENT_IDX Linux writes used_event = 0 ("a hack"): no interrupt until the index passes 0.
  if (q.usedEvent) yield p.store(q.usedEvent, 0);
  else yield p.store(q.availFlags, s.availFlagsShadow);
}

export function* enableCbPrepare(x: DriverCtx): Program<number> {
  const { q, s } = x;
  const last = s.lastUsed;
  if (s.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) {
    s.availFlagsShadow &= ~VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (!q.usedEvent) yield p.store(q.availFlags, s.availFlagsShadow);
  }
  if (q.usedEvent) yield p.store(q.usedEvent, last);
  return last;
}

export function* poll(x: DriverCtx, last: number): Program<boolean> {
  yield p.mb(); // the re-enable must be visible before we re-read used.idx
  return (yield p.load(x.q.usedIdx)) !== last;
}

export function* enableCb(x: DriverCtx): Program<boolean> {
  const last = yield* x.proto.enableCbPrepare(x);
  return !(yield* x.proto.poll(x, last));
}

export function drainUsed(x: DriverCtx, onBuffer: (b: UsedBuffer) => Program, refill: () => Program): Program {
  return drainUsedLoop(x.proto, x, onBuffer, refill);
}
