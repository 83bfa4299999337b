/**
 * The driver side of the packed virtqueue, as Linux drivers/virtio/virtio_ring.c does it.
 *
 * add-buffer (virtqueue_add_packed): take a buffer id and descriptors from next_avail on; write
 *   every descriptor (addr, len, id; flags with AVAIL/USED from the wrap counter) but the head's
 *   flags, toggling the flag polarity when passing slot N-1; flip avail_wrap_counter if the list
 *   passed the end (`i <= head`, Linux 1acfe2c1225); then virtio_wmb and the head's flags last, so
 *   no partial list is ever visible.
 * kick (virtqueue_kick_prepare_packed): virtio_mb; read device_event.flags; DESC: read off_wrap,
 *   take N off the offset if its wrap bit is not ours, vring_need_event(event, new, old).
 * get-buf (virtqueue_get_buf_ctx_packed): read desc[last_used].flags; used when AVAIL == USED ==
 *   used_wrap_counter; then virtio_rmb and only then id and len; skip the list's length.
 * disable-cb / enable-cb: driver_event.flags = DISABLE; or off_wrap first, virtio_wmb, then flags
 *   (ENABLE or DESC), then virtio_mb and re-check the descriptor at last_used.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { u16 } from '../vring-common/ring-math.ts';
import { broken, drainUsedLoop, segmentsOf, type Segment, type UsedBuffer } from '../vring-common/scenario.ts';
import {
  EVENT_WRAP, eventNeeded, EVENTS, isUsed, POLARITY, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE,
} from './layout.ts';
import type { DriverCtx } from './protocol.ts';

export interface DriverState {
  nextAvail: number;
  availWrap: number;
  /** The AVAIL/USED bits for descriptors written now (toggled on passing slot N-1). */
  availUsedFlags: number;
  numFree: number;
  /** Free buffer ids, the next to use first. */
  freeIds: number[];
  /** Descriptors in the list of each live buffer id. */
  readonly live: Map<number, number>;
  numAdded: number;
  lastUsed: number;
  usedWrap: number;
  eventFlagsShadow: number;
}

export function newDriverState(n: number): DriverState {
  return {
    nextAvail: 0, availWrap: 1, availUsedFlags: VIRTQ_DESC_F_AVAIL, numFree: n, freeIds: Array.from({ length: n }, (_, i) => i),
    live: new Map(), numAdded: 0, lastUsed: 0, usedWrap: 1, eventFlagsShadow: RING_EVENT_FLAGS_ENABLE,
  };
}

/**
 * Descriptors of request b: chainLength for the first, then the sizes cycle 1, 2, ..., chainLength,
 * so lists of different lengths share the ring and, with chainLength = N, the first fills it.
 */
export function requestLength(chainLength: number, b: number): number {
  return ((b + chainLength - 1) % chainLength) + 1;
}

/** The flags of a list's j-th descriptor in the current lap. */
export function descFlags(s: DriverState, segs: readonly Segment[], j: number): number {
  return s.availUsedFlags | (j < segs.length - 1 ? VIRTQ_DESC_F_NEXT : 0) | (segs[j].write ? VIRTQ_DESC_F_WRITE : 0);
}

export function* addBuffer(x: DriverCtx, buffer: number): Program<number | undefined> {
  const { s } = x;
  const segs = segmentsOf(requestLength(x.q.params.chainLength, buffer), buffer);
  if (s.numFree < segs.length || s.freeIds.length === 0) return undefined;
  const id = s.freeIds.shift()!;
  const head = s.nextAvail;
  const headFlags = yield* x.proto.writeList(x, head, id, segs);
  s.numFree -= segs.length;
  s.live.set(id, segs.length);
  yield* x.proto.makeAvailable(x, head, headFlags);
  s.numAdded += segs.length;
  return id;
}

/** Writes the list from `head`, all but the head's flags; returns the head's flags. */
export function* writeList(x: DriverCtx, head: number, id: number, segs: readonly Segment[]): Program<number> {
  const { q, s } = x;
  let i = head;
  let headFlags = 0;
  for (let j = 0; j < segs.length; j++) {
    const flags = x.proto.listFlags(s, segs, j);
    if (i === head) headFlags = flags;
    else yield p.store(q.desc[i].flags, flags);
    yield p.store(q.desc[i].addr, segs[j].addr);
    yield p.store(q.desc[i].len, segs[j].len);
    yield p.store(q.desc[i].id, id);
    if (++i >= q.n) {
      i = 0;
      s.availUsedFlags ^= POLARITY;
    }
  }
  if (x.proto.passedEnd(head, i)) s.availWrap ^= 1;
  s.nextAvail = i;
  return headFlags;
}

export function* makeAvailable(x: DriverCtx, head: number, headFlags: number): Program {
  yield p.wmb(); // every other descriptor of the list before the head's flags
  yield p.store(x.q.desc[head].flags, headFlags);
}

export function* kickPrepare(x: DriverCtx): Program<boolean> {
  yield p.mb(); // the head flags must be visible before we read the device's suppression state
  const old = u16(x.s.nextAvail - x.s.numAdded);
  x.s.numAdded = 0;
  return yield* x.proto.kickNeeded(x, old);
}

export function kickNeeded(x: DriverCtx, old: number): Program<boolean> {
  return eventNeeded(x.q.deviceEvent, x.s.availWrap, x.q.n, x.s.nextAvail, old);
}

export function* kick(x: DriverCtx): Program {
  if (yield* x.proto.kickPrepare(x)) yield p.notify(EVENTS.kick);
}

export function* getBuf(x: DriverCtx): Program<UsedBuffer | undefined> {
  const { q, s } = x;
  const d = q.desc[s.lastUsed];
  if (!isUsed(yield p.load(d.flags), s.usedWrap)) return undefined;
  yield p.rmb(); // id and len only after the flags say the device is done with the descriptor
  const id = yield p.load(d.id);
  const len = yield p.load(d.len);
  return yield* takeBack(x, id, len);
}

/** detach_buf_packed: the id and its descriptors are free again; skip the list's length. */
export function* takeBack(x: DriverCtx, id: number, len: number): Program<UsedBuffer> {
  const { q, s } = x;
  const num = s.live.get(id);
  if (num === undefined) throw broken(`id ${id} is not a head!`);
  s.live.delete(id);
  s.freeIds.unshift(id);
  s.numFree += num;
  s.lastUsed += num;
  if (s.lastUsed >= q.n) {
    s.lastUsed -= q.n;
    s.usedWrap ^= 1;
  }
  if (s.eventFlagsShadow === RING_EVENT_FLAGS_DESC) {
    yield p.store(q.driverEvent.offWrap, s.lastUsed | (s.usedWrap << 15)); // virtio_store_mb
    yield p.mb();
  }
  return { id, len };
}

export function* disableCb(x: DriverCtx): Program {
  if (x.s.eventFlagsShadow === RING_EVENT_FLAGS_DISABLE) return;
  x.s.eventFlagsShadow = RING_EVENT_FLAGS_DISABLE;
  yield p.store(x.q.driverEvent.flags, RING_EVENT_FLAGS_DISABLE);
}

export function* enableCbPrepare(x: DriverCtx): Program<number> {
  const { q, s } = x;
  if (q.eventIdx) {
    yield p.store(q.driverEvent.offWrap, s.lastUsed | (s.usedWrap << 15));
    yield p.wmb(); // event offset and wrap counter before the flags
  }
  if (s.eventFlagsShadow === RING_EVENT_FLAGS_DISABLE) {
    s.eventFlagsShadow = q.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
    yield p.store(q.driverEvent.flags, s.eventFlagsShadow);
  }
  return s.lastUsed | (s.usedWrap << 15);
}

export function* poll(x: DriverCtx, offWrap: number): Program<boolean> {
  yield p.mb(); // the re-enable must be visible before we re-check the ring
  return isUsed(yield p.load(x.q.desc[offWrap & ~EVENT_WRAP].flags), offWrap >> 15);
}

export function* enableCb(x: DriverCtx): Program<boolean> {
  const last = yield* x.proto.enableCbPrepare(x);
  return !(yield* x.proto.poll(x, last));
}

export function drainUsed(x: DriverCtx, onBuffer: (b: UsedBuffer) => Program, refill: () => Program): Program {
  return drainUsedLoop(x.proto, x, onBuffer, refill);
}
