/**
 * The device side of the packed virtqueue, as DPDK vhost and QEMU hw/virtio/virtio.c do it.
 *
 * pop-avail: read desc[last_avail].flags; available when AVAIL matches the device's avail wrap
 *   counter and USED does not; virtio_rmb; walk the list (at most N descriptors, each available,
 *   readable before writable), the buffer id from the last one; advance past the list.
 * push-used: write id and len of the used descriptor at used_idx, virtio_wmb, then its flags with
 *   AVAIL = USED = used wrap counter; advance used_idx by the list length, toggling the counter
 *   when passing slot N-1.
 * should-notify (vhost_vring_call_packed): virtio_mb; driver_event.flags; DESC: off_wrap, take N
 *   off when its wrap bit is not the used wrap counter, vring_need_event over the descriptors used
 *   since the last decision.
 * enable-kicks: device_event.off_wrap first, virtio_wmb, flags (DESC or ENABLE), virtio_mb, then
 *   re-check desc[last_avail].
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { u16 } from '../vring-common/ring-math.ts';
import { broken, RESPONSE_BYTES } from '../vring-common/scenario.ts';
import {
  eventNeeded, isAvail, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE,
  usedBits, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE,
} from './layout.ts';
import type { DeviceCtx } from './protocol.ts';

export interface DeviceState {
  lastAvail: number;
  availWrap: number;
  usedIdx: number;
  usedWrap: number;
  /** Descriptors used since the last notification decision. */
  usedSinceDecision: number;
}

export function newDeviceState(): DeviceState {
  return { lastAvail: 0, availWrap: 1, usedIdx: 0, usedWrap: 1, usedSinceDecision: 0 };
}

/** A list the device took: its buffer id, how many descriptors, and the bytes it offers. */
export interface PackedList {
  readonly id: number;
  readonly count: number;
  readonly readable: number;
  readonly writable: number;
}

export function* popAvail(x: DeviceCtx): Program<PackedList | undefined> {
  const { q, s } = x;
  let flags = yield p.load(q.desc[s.lastAvail].flags);
  if (!isAvail(flags, s.availWrap)) return undefined;
  yield p.rmb(); // the rest of the descriptor only after its flags say it is available
  let i = s.lastAvail;
  let w = s.availWrap;
  let count = 0;
  let readable = 0;
  let writable = 0;
  for (;;) {
    if (++count > q.n) throw broken(`the list at desc[${s.lastAvail}] has more than ${q.n} descriptors`);
    const len = yield p.load(q.desc[i].len);
    yield p.load(q.desc[i].addr);
    if (flags & VIRTQ_DESC_F_WRITE) writable += len;
    else if (writable > 0) throw broken(`a readable descriptor after a writable one in the list at desc[${s.lastAvail}]`);
    else readable += len;
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
    if (++i >= q.n) { i = 0; w ^= 1; }
    flags = yield p.load(q.desc[i].flags);
    if (!isAvail(flags, w)) throw broken(`the list at desc[${s.lastAvail}] continues into desc[${i}], which is not available`);
  }
  const id = yield p.load(q.desc[i].id);
  s.lastAvail += count;
  if (s.lastAvail >= q.n) {
    s.lastAvail -= q.n;
    s.availWrap ^= 1;
  }
  return { id, count, readable, writable };
}

export function* serve(_x: DeviceCtx, l: PackedList): Program<number> {
  return Math.min(l.writable, RESPONSE_BYTES);
}

export function* pushUsed(x: DeviceCtx, l: PackedList, len: number): Program {
  const { q, s } = x;
  const d = q.desc[s.usedIdx];
  yield p.store(d.id, l.id);
  yield p.store(d.len, len);
  yield p.wmb(); // id and len before the flags that hand the descriptor back
  yield p.store(d.flags, usedBits(s.usedWrap) | (len > 0 ? VIRTQ_DESC_F_WRITE : 0));
  x.proto.advanceUsed(x, l.count);
  s.usedSinceDecision += l.count;
}

/** Moves used_idx past a list, toggling the used wrap counter when it passes slot N-1. */
export function advanceUsed(x: DeviceCtx, count: number): void {
  const { q, s } = x;
  s.usedIdx += count;
  if (s.usedIdx >= q.n) {
    s.usedIdx -= q.n;
    s.usedWrap ^= 1;
  }
}

export function* shouldNotify(x: DeviceCtx): Program<boolean> {
  yield p.mb(); // the used flags must be visible before we read the driver's suppression state
  return yield* x.proto.notifyNeeded(x);
}

export function notifyNeeded(x: DeviceCtx): Program<boolean> {
  const { q, s } = x;
  const old = u16(s.usedIdx - s.usedSinceDecision);
  s.usedSinceDecision = 0;
  return eventNeeded(q.driverEvent, s.usedWrap, q.n, s.usedIdx, old);
}

export function* disableKicks(x: DeviceCtx): Program {
  yield p.store(x.q.deviceEvent.flags, RING_EVENT_FLAGS_DISABLE);
}

export function* enableKicks(x: DeviceCtx): Program<boolean> {
  const { q, s } = x;
  if (q.eventIdx) {
    yield p.store(q.deviceEvent.offWrap, s.lastAvail | (s.availWrap << 15));
    yield p.wmb(); // offset and wrap before the flags
    yield p.store(q.deviceEvent.flags, RING_EVENT_FLAGS_DESC);
  } else {
    yield p.store(q.deviceEvent.flags, RING_EVENT_FLAGS_ENABLE);
  }
  yield p.mb(); // the re-enable must be visible before we re-check the ring
  return !isAvail(yield p.load(q.desc[s.lastAvail].flags), s.availWrap);
}
