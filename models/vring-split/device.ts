/**
 * The device side of the split virtqueue, as vhost (drivers/vhost/vhost.c) and QEMU
 * (hw/virtio/virtio.c) do it.
 *
 * pop-avail (vhost_get_vq_desc / virtqueue_pop): read avail.idx; refuse an index more than N ahead
 *   (QEMU "Guest moved avail index"); virtio_rmb; read the head from avail.ring[last_avail & (N-1)].
 * read-chain: follow NEXT links with at most N hops and next < N (QEMU "Looped descriptor"),
 *   readable before writable, an INDIRECT table only if negotiated, never nested, never with NEXT.
 * push-used (vhost_add_used / virtqueue_fill + flush): write used.ring[used_idx & (N-1)] {id, len},
 *   virtio_wmb, then used.idx += 1.
 * should-notify (vhost_notify / virtio_split_should_notify): virtio_mb ("expose used entries before
 *   checking used event"), then avail.flags (NO_INTERRUPT) or, with EVENT_IDX, avail.used_event and
 *   vring_need_event over the entries used since the last decision.
 * enable-kicks (vhost_enable_notify): clear VRING_USED_F_NO_NOTIFY or set avail_event = last_avail,
 *   virtio_mb, re-read avail.idx: anything new is processed instead of sleeping.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { u16, vringNeedEvent } from '../vring-common/ring-math.ts';
import { broken, RESPONSE_BYTES } from '../vring-common/scenario.ts';
import {
  DESC_BYTES, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY,
  type Desc,
} from './layout.ts';
import type { DeviceCtx } from './protocol.ts';

export interface DeviceState {
  lastAvail: number;
  usedIdx: number;
  /** The used index at the last notification decision (vhost signalled_used). */
  signalledUsed: number;
}

export function newDeviceState(start: number): DeviceState {
  return { lastAvail: start, usedIdx: start, signalledUsed: start };
}

export function* popAvail(x: DeviceCtx): Program<number | undefined> {
  const { q, s } = x;
  const idx = yield p.load(q.availIdx);
  if (idx === s.lastAvail) return undefined;
  if (u16(idx - s.lastAvail) > q.n) throw broken(`avail.idx moved from ${s.lastAvail} to ${idx}, more than the queue size ${q.n} ahead`);
  yield p.rmb(); // the ring entry only after avail.idx says it is there
  const head = yield p.load(q.availRing[s.lastAvail & (q.n - 1)]);
  if (head >= q.n) throw broken(`avail.ring[${s.lastAvail & (q.n - 1)}]=${head} is not a descriptor index (queue size ${q.n})`);
  s.lastAvail = x.proto.nextIndex(q, s.lastAvail);
  return head;
}

/** The bytes a chain offers: readable (the request) and writable (room for the response). */
export interface ChainBytes {
  readonly readable: number;
  readonly writable: number;
}

export function* readChain(x: DeviceCtx, head: number): Program<ChainBytes> {
  const { q } = x;
  let table: readonly Desc[] = q.desc;
  let limit = q.n;
  let i = head;
  let hops = 0;
  let readable = 0;
  let writable = 0;
  for (;;) {
    if (++hops > limit) throw broken(`the chain from head ${head} has more than ${limit} descriptors (looped?)`);
    const d = table[i];
    const flags = yield p.load(d.flags);
    const addr = yield p.load(d.addr);
    const len = yield p.load(d.len);
    if (flags & VIRTQ_DESC_F_INDIRECT) {
      if (!q.indirect || table !== q.desc) throw broken(`INDIRECT in head ${head}'s chain ${q.indirect ? 'inside an indirect table' : 'without VIRTIO_F_INDIRECT_DESC'}`);
      if (flags & VIRTQ_DESC_F_NEXT) throw broken(`INDIRECT together with NEXT in head ${head}'s chain`);
      const t = q.indAddr.indexOf(addr);
      if (len === 0 || len % DESC_BYTES !== 0 || t < 0 || len / DESC_BYTES > q.ind[t].length) throw broken(`indirect table at ${addr} of ${len} bytes`);
      table = q.ind[t];
      limit = len / DESC_BYTES;
      i = 0;
      hops = 0;
      continue;
    }
    if (flags & VIRTQ_DESC_F_WRITE) writable += len;
    else if (writable > 0) throw broken(`a readable descriptor after a writable one in head ${head}'s chain`);
    else readable += len;
    if (!(flags & VIRTQ_DESC_F_NEXT)) return { readable, writable };
    i = yield p.load(d.next);
    if (i >= limit) throw broken(`next=${i} out of range ${limit} in head ${head}'s chain`);
  }
}

export function* serve(x: DeviceCtx, head: number): Program<number> {
  const { writable } = yield* x.proto.readChain(x, head);
  return Math.min(writable, RESPONSE_BYTES);
}

export function* pushUsed(x: DeviceCtx, head: number, len: number): Program {
  const { q, s } = x;
  const e = q.usedRing[s.usedIdx & (q.n - 1)];
  yield p.store(e.id, head);
  yield p.store(e.len, len);
  yield p.wmb(); // the used element before the index that exposes it
  s.usedIdx = x.proto.nextIndex(q, s.usedIdx);
  yield p.store(q.usedIdx, s.usedIdx);
}

export function* shouldNotify(x: DeviceCtx): Program<boolean> {
  yield p.mb(); // used.idx must be visible before we read the driver's suppression state
  return yield* x.proto.notifyNeeded(x);
}

/** Reads avail.flags or avail.used_event and decides over the entries used since the last decision. */
export function* notifyNeeded(x: DeviceCtx): Program<boolean> {
  const { q, s } = x;
  if (!q.usedEvent) return ((yield p.load(q.availFlags)) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  const old = s.signalledUsed;
  s.signalledUsed = s.usedIdx;
  return vringNeedEvent(yield p.load(q.usedEvent), s.usedIdx, old);
}

export function* disableKicks(x: DeviceCtx): Program {
  // With EVENT_IDX vhost leaves avail_event where it is: no kick until the driver passes it.
  if (!x.q.availEvent) yield p.store(x.q.usedFlags, VIRTQ_USED_F_NO_NOTIFY);
}

export function* enableKicks(x: DeviceCtx): Program<boolean> {
  const { q, s } = x;
  if (q.availEvent) yield p.store(q.availEvent, s.lastAvail);
  else yield p.store(q.usedFlags, 0);
  yield p.mb(); // the re-enable must be visible before we re-read avail.idx
  return (yield p.load(q.availIdx)) === s.lastAvail;
}
