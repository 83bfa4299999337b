/**
 * Mutants of the split virtqueue. Each replaces one step of the reference (two where a device
 * robustness bug needs a misbehaving driver to show) and recreates a real bug from the bug zoo
 * (../shared/spec/bug-zoo.md) or the spec text named in `recreates`.
 */
import type { Variant } from '../../harness/core/define-model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { u16, vringNeedEvent } from '../vring-common/ring-math.ts';
import { broken, commonMutantSteps, EVENTS, RESPONSE_BYTES, type Segment, type UsedBuffer } from '../vring-common/scenario.ts';
import type { ChainBytes } from './device.ts';
import { addBuffer, detach } from './driver.ts';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY, type Desc } from './layout.ts';
import { reference, type DeviceCtx, type DriverCtx, type SplitProtocol } from './protocol.ts';

/** virtqueue_kick_prepare with virtio_wmb where virtio_mb belongs (Linux ee7cd8981e15, fixed by a72caae21803). */
function* kickPrepareWmb(x: DriverCtx): Program<boolean> {
  yield p.wmb();
  const old = u16(x.s.availIdxShadow - x.s.numAdded);
  x.s.numAdded = 0;
  return yield* x.proto.kickNeeded(x, old);
}

/** Bumps avail.idx before writing the ring entry it exposes. */
function* publishAvailIdxFirst(x: DriverCtx, head: number): Program {
  const { q, s } = x;
  const slot = s.availIdxShadow & (q.n - 1);
  s.availIdxShadow = u16(s.availIdxShadow + 1);
  yield p.store(q.availIdx, s.availIdxShadow);
  yield p.wmb();
  yield p.store(q.availRing[slot], head);
  s.numAdded++;
}

/** Loads the ring slot before avail.idx, as a CPU may without virtio_rmb (kvmtool before 15c4e1ef906e, on arm64). */
function* popAvailRingFirst(x: DeviceCtx): Program<number | undefined> {
  const { q, s } = x;
  const head = yield p.load(q.availRing[s.lastAvail & (q.n - 1)]);
  const idx = yield p.load(q.availIdx);
  if (idx === s.lastAvail) return undefined;
  if (u16(idx - s.lastAvail) > q.n) throw broken(`avail.idx moved from ${s.lastAvail} to ${idx}`);
  if (head >= q.n) throw broken(`avail.ring[${s.lastAvail & (q.n - 1)}]=${head} is not a descriptor index`);
  s.lastAvail = x.proto.nextIndex(q, s.lastAvail);
  return head;
}

/** Reads avail.ring[] after seeing avail.idx move, with no virtio_rmb between (the program order is right; a weak CPU may still satisfy the ring load first). */
function* popAvailNoRmb(x: DeviceCtx): Program<number | undefined> {
  const { q, s } = x;
  const idx = yield p.load(q.availIdx);
  if (idx === s.lastAvail) return undefined;
  if (u16(idx - s.lastAvail) > q.n) throw broken(`avail.idx moved from ${s.lastAvail} to ${idx}, more than the queue size ${q.n} ahead`);
  const head = yield p.load(q.availRing[s.lastAvail & (q.n - 1)]);
  if (head >= q.n) throw broken(`avail.ring[${s.lastAvail & (q.n - 1)}]=${head} is not a descriptor index (queue size ${q.n})`);
  s.lastAvail = x.proto.nextIndex(q, s.lastAvail);
  return head;
}

/** Writes the ring entry, then avail.idx, with no virtio_wmb between (a weak CPU may make the index visible first). */
function* publishAvailNoWmb(x: DriverCtx, head: number): Program {
  const { q, s } = x;
  yield p.store(q.availRing[s.availIdxShadow & (q.n - 1)], head);
  s.availIdxShadow = u16(s.availIdxShadow + 1);
  yield p.store(q.availIdx, s.availIdxShadow);
  s.numAdded++;
}

/** Writes the used element, then used.idx, with no virtio_wmb between. */
function* pushUsedNoWmb(x: DeviceCtx, head: number, len: number): Program {
  const { q, s } = x;
  const e = q.usedRing[s.usedIdx & (q.n - 1)];
  yield p.store(e.id, head);
  yield p.store(e.len, len);
  s.usedIdx = x.proto.nextIndex(q, s.usedIdx);
  yield p.store(q.usedIdx, s.usedIdx);
}

/** Bumps used.idx before writing the used element it covers. */
function* pushUsedIdxFirst(x: DeviceCtx, head: number, len: number): Program {
  const { q, s } = x;
  const e = q.usedRing[s.usedIdx & (q.n - 1)];
  s.usedIdx = x.proto.nextIndex(q, s.usedIdx);
  yield p.store(q.usedIdx, s.usedIdx);
  yield p.wmb();
  yield p.store(e.id, head);
  yield p.store(e.len, len);
}

/** The device's decision as QEMU takes it: the first interrupt unconditionally (signalled_used_valid false), without reading used_event. */
const signalledValid = new WeakSet<object>();
function* shouldNotifyFirstUnconditional(x: DeviceCtx): Program<boolean> {
  yield p.mb();
  if (!x.q.usedEvent || signalledValid.has(x.s)) return yield* x.proto.notifyNeeded(x);
  signalledValid.add(x.s);
  x.s.signalledUsed = x.s.usedIdx;
  return true;
}

/** virtqueue_kick split in prepare and notify with a virtio_mb and an unrelated read (used.idx) between the decision and the doorbell. */
function* kickBarrierBeforeNotify(x: DriverCtx): Program {
  const need = yield* x.proto.kickPrepare(x);
  yield p.load(x.q.usedIdx);
  yield p.mb();
  if (need) yield p.notify(EVENTS.kick);
}

/** The suppression state the driver read while publishing, before avail.idx: its kick decision uses that snapshot. */
const snapshot = new WeakMap<object, number>();
function* publishAvailAfterSnapshot(x: DriverCtx, head: number): Program {
  snapshot.set(x.s, yield p.load(x.q.availEvent ?? x.q.usedFlags));
  yield* reference.publishAvail(x, head);
}
function* kickPrepareFromSnapshot(x: DriverCtx): Program<boolean> {
  yield p.mb();
  const old = u16(x.s.availIdxShadow - x.s.numAdded);
  x.s.numAdded = 0;
  const v = snapshot.get(x.s) ?? 0;
  return x.q.availEvent ? vringNeedEvent(v, x.s.availIdxShadow, old) : (v & VIRTQ_USED_F_NO_NOTIFY) === 0;
}

/** Asks for a kick only when avail_event is exactly the last entry added: a point test, not vring_need_event's range. */
function* kickNeededPointTest(x: DriverCtx, old: number): Program<boolean> {
  if (!x.q.availEvent) return yield* reference.kickNeeded(x, old);
  return (yield p.load(x.q.availEvent)) === u16(x.s.availIdxShadow - 1);
}

/** B16's trigger, the misbehaving driver: a zero-length descriptor whose NEXT link points at itself. */
function* writeChainSelfLoop(_x: DriverCtx, table: readonly Desc[], slots: readonly number[], segs: readonly Segment[]): Program {
  const d = table[slots[0]];
  yield p.store(d.flags, VIRTQ_DESC_F_NEXT);
  yield p.store(d.addr, segs[0].addr);
  yield p.store(d.len, 0);
  yield p.store(d.next, slots[0]);
}

/** Follows NEXT links with no hop counter and no next < N check (DPDK before cc7301908c03). */
function* readChainUnbounded(x: DeviceCtx, head: number): Program<ChainBytes> {
  const { q } = x;
  let table: readonly Desc[] = q.desc;
  let i = head;
  let readable = 0;
  let writable = 0;
  for (;;) {
    const flags = yield p.load(table[i].flags);
    const addr = yield p.load(table[i].addr);
    const len = yield p.load(table[i].len);
    if (flags & VIRTQ_DESC_F_INDIRECT) {
      table = q.ind[q.indAddr.indexOf(addr)];
      i = 0;
      continue;
    }
    if (flags & VIRTQ_DESC_F_WRITE) writable += len; else readable += len;
    if (!(flags & VIRTQ_DESC_F_NEXT)) return { readable, writable };
    i = yield p.load(table[i].next);
  }
}

/** When the ring is full, re-posts an outstanding head instead of waiting (the CVE-2016-5403 guest). */
function* addBufferRepostWhenFull(x: DriverCtx, buffer: number): Program<number | undefined> {
  const head = yield* addBuffer(x, buffer);
  if (head !== undefined) return head;
  const again = x.s.live.keys().next().value as number;
  yield* x.proto.publishAvail(x, again);
  return again;
}

/** Reports the whole response in used.len although only the writable buffers' worth fitted. */
function* serveUncut(x: DeviceCtx, head: number): Program<number> {
  yield* x.proto.readChain(x, head);
  return RESPONSE_BYTES;
}

/**
 * The virtio spec's split-ring example for handling used buffers (split-ring.tex, "Receiving Used
 * Buffers From The Device"), exactly as printed, including its reversed comparisons:
 *
 *   virtq_disable_used_buffer_notifications(vq);
 *   for (;;) {
 *     if (vq->last_seen_used != le16_to_cpu(virtq->used.idx)) {
 *       virtq_enable_used_buffer_notifications(vq);
 *       mb();
 *       if (vq->last_seen_used != le16_to_cpu(virtq->used.idx)) break;
 *       virtq_disable_used_buffer_notifications(vq);
 *     }
 *     struct virtq_used_elem *e = virtq.used->ring[vq->last_seen_used%vsz];
 *     process_buffer(e);
 *     vq->last_seen_used++;
 *   }
 */
function* drainUsedSpecExample(x: DriverCtx, onBuffer: (b: UsedBuffer) => Program, refill: () => Program): Program {
  const { q, s } = x;
  yield* x.proto.disableCb(x);
  for (;;) {
    if (s.lastUsed !== (yield p.load(q.usedIdx))) {
      yield* x.proto.enableCbPrepare(x);
      yield p.mb();
      if (s.lastUsed !== (yield p.load(q.usedIdx))) break;
      yield* x.proto.disableCb(x);
    }
    const e = q.usedRing[s.lastUsed % q.n];
    const b = { id: yield p.load(e.id), len: yield p.load(e.len) };
    if (x.s.live.has(b.id)) detach(x, b.id);
    yield* onBuffer(b);
    s.lastUsed = u16(s.lastUsed + 1);
  }
  yield* refill(); // the example stops at processing; the scenario refills when it returns
}

export const variants: readonly Variant<SplitProtocol>[] = [
  {
    name: 'reference',
    description: 'Linux virtio_ring.c (driver) and vhost/QEMU (device) with the barriers where they put them: virtio_wmb before each index, virtio_rmb after reading one, virtio_mb between publishing an index and reading the peer\'s suppression state and between re-enabling and re-checking.',
    expect: { verdict: 'passed' },
  },
  {
    name: 'no-recheck-after-enable',
    description: 'The driver re-enables interrupts (clears NO_INTERRUPT or moves used_event) and sleeps without re-reading used.idx: a buffer the device used just before the re-enable, seeing interrupts still suppressed, is never announced.',
    expect: { verdict: 'violated', invariant: 'no-lost-notification' },
    recreates: 'digest pitfall 1 (re-enable, full barrier, re-check: Linux virtqueue_enable_cb returns false with work pending); bug zoo B9 and B25 (notification lost across a re-enable)',
    override: { enableCb: commonMutantSteps.enableCbNoRecheck },
  },
  {
    name: 'missing-mb-driver',
    description: 'virtqueue_kick_prepare with virtio_wmb instead of virtio_mb: under TSO the driver\'s avail.idx store waits in its store buffer while it reads a stale avail_event/used.flags and skips the kick, and the device, re-enabling kicks, re-reads the stale avail.idx and sleeps.',
    expect: { verdict: 'violated', invariant: 'notify-decision', memory: 'tso' },
    recreates: 'bug zoo B2 (Linux a72caae21803 fixing ee7cd8981e15; device twin cloud-hypervisor PR 2179)',
    override: { kickPrepare: kickPrepareWmb },
  },
  {
    name: 'missing-mb-device',
    description: 'The device reads avail.flags/used_event right after publishing used.idx, with no full barrier: under TSO its used.idx store is still buffered while it reads NO_INTERRUPT (or an old used_event) and sends no interrupt, and the driver, re-enabling, re-reads the stale used.idx and sleeps.',
    expect: { verdict: 'violated', invariant: 'notify-decision', memory: 'tso' },
    recreates: 'bug zoo B1 (DPDK 159793ac867b "vhost: fix virtio freeze due to missed interrupt"; ACRN PR 2733; SPDK issue 3178)',
    override: { shouldNotify: commonMutantSteps.shouldNotifyNoMb },
  },
  {
    name: 'idx-before-entry',
    description: 'The driver bumps avail.idx before writing the avail.ring entry it exposes: a device that reads in between takes the stale head from the previous lap.',
    expect: { verdict: 'violated', invariant: 'publish-order' },
    recreates: 'bug zoo B3 (the stale avail slot kvmtool 15c4e1ef906e hit, here caused by the producer\'s order) and B14 (OpenAMP: stale avail slot)',
    override: { publishAvail: publishAvailIdxFirst },
  },
  {
    name: 'ring-before-idx',
    description: 'The device loads avail.ring[last_avail] before avail.idx (no virtio_rmb, so the CPU may): it can take the slot\'s old head and then see an avail.idx that covers the slot. (With lastChainLength=2 the old head lies inside a chain exposed since, and the first finding is used-exactly-once instead.)',
    expect: { verdict: 'violated', invariant: 'descriptor-ownership' },
    recreates: 'bug zoo B3 (kvmtool 15c4e1ef906e, found on arm64: "id %u is not a head!")',
    override: { popAvail: popAvailRingFirst },
  },
  {
    name: 'no-rmb-avail',
    description: 'The device reads avail.ring[last_avail] after avail.idx in program order but with no virtio_rmb between: under --memory weak the ring load may read the slot\'s old head though avail.idx already covered the new one. Passes under sc and tso, which keep loads in order.',
    expect: { verdict: 'violated', invariant: 'descriptor-ownership', memory: 'weak' },
    recreates: 'bug zoo B3 (kvmtool 15c4e1ef906e and the Firecracker arm64 fix: a missing rmb between avail.idx and avail.ring)',
    override: { popAvail: popAvailNoRmb },
  },
  {
    name: 'no-wmb-avail',
    description: 'The driver writes the avail.ring entry and then avail.idx with no virtio_wmb between: under --memory weak the index can become visible before the entry, and the device takes the slot\'s old head. Passes under sc and tso, which keep stores in order.',
    expect: { verdict: 'violated', invariant: 'publish-order', memory: 'weak' },
    recreates: 'Linux virtqueue_add_split keeps virtio_wmb before publishing avail.idx ("Descriptors and available array need to be set before we expose the new available array entries"); spec 2.7.13',
    override: { publishAvail: publishAvailNoWmb },
  },
  {
    name: 'no-wmb-used',
    description: 'The device writes the used element and then used.idx with no virtio_wmb between: under --memory weak the index can become visible first and the driver takes a stale id and length. Passes under sc and tso.',
    expect: { verdict: 'violated', invariant: 'publish-order', memory: 'weak' },
    recreates: 'spec "the device MUST set len prior to updating the used idx" (2.7.8.2); vhost vhost_add_used_n keeps smp_wmb before the used.idx store',
    override: { pushUsed: pushUsedNoWmb },
  },
  {
    name: 'used-idx-before-elem',
    description: 'The device bumps used.idx before writing the used element: a driver that reads in between takes a stale id and length.',
    expect: { verdict: 'violated', invariant: 'publish-order' },
    recreates: 'spec "the device MUST set len prior to updating the used idx"; digest invariant 11; the device-side twin of bug zoo B3',
    override: { pushUsed: pushUsedIdxFirst },
  },
  {
    name: 'event-idx-point-test',
    description: 'The driver kicks only when avail_event equals the last entry it added, instead of vring_need_event\'s range test: when it adds several buffers before kicking and the device armed avail_event at the first, the kick is skipped.',
    expect: { verdict: 'violated', invariant: 'notify-decision' },
    recreates: 'bug zoo B7 (point test instead of range test: openvmm PR 4267; Linux ee7cd8981e15 on the range being valid only below 2^16)',
    override: { kickNeeded: kickNeededPointTest },
  },
  {
    name: 'first-irq-unconditional',
    description: 'Not a bug: the device sends its first interrupt without reading used_event, as QEMU does (virtio_split_should_notify, !signalled_used_valid); later ones follow vring_need_event. The notification closes the entries published so far like a decision.',
    expect: { verdict: 'passed' },
    recreates: 'QEMU hw/virtio/virtio.c virtio_split_should_notify (return !v || vring_need_event(...)); digest pitfall 3 ("QEMU always sends the first notification")',
    override: { shouldNotify: shouldNotifyFirstUnconditional },
  },
  {
    name: 'barrier-before-kick',
    description: 'Not a bug: the driver reads avail_event after virtio_mb, then reads used.idx and issues another virtio_mb before the doorbell; operations between the decision and the notification are legal.',
    expect: { verdict: 'passed' },
    recreates: 'Linux virtqueue_kick = virtqueue_kick_prepare + virtqueue_notify (callers may do work in between); issue 14 (a driver with a barrier before its kick was accused)',
    override: { kick: kickBarrierBeforeNotify },
  },
  {
    name: 'kick-snapshot-before-publish',
    description: 'The driver reads avail_event (or used.flags) while it publishes a buffer, before the avail.idx store, and decides at kick time from that snapshot: the device re-enables kicks in between, re-checks avail.idx before the store and sleeps; no fresh read after publishing, no kick.',
    expect: { verdict: 'violated', invariant: 'notify-decision' },
    recreates: 'spec 2.7.10 (the driver reads the suppression state after exposing the entries, with a full barrier in between); digest invariant 12',
    override: { publishAvail: publishAvailAfterSnapshot, kickPrepare: kickPrepareFromSnapshot },
  },
  {
    name: 'cursor-wrap-at-size',
    description: 'The device keeps last_avail and its used index modulo the queue size instead of as free-running 16-bit counters: after one lap used.idx goes back to 0 and the comparison with avail.idx goes wrong.',
    expect: { verdict: 'violated', invariant: 'free-running-indices' },
    recreates: 'bug zoo B12 (DPDK 38e640038798: control queue cursors wrapped at the ring size)',
    override: { nextIndex: (q, idx) => (idx + 1) % q.n },
  },
  {
    name: 'no-chain-bound',
    description: 'The device walks chains with no hop counter and no next < N check, and a misbehaving driver (B16\'s trigger) links a zero-length descriptor to itself: the device follows the loop forever. (The reference device refuses the same chain as "broken ring".)',
    expect: { verdict: 'violated', invariant: 'chain-bounded' },
    recreates: 'bug zoo B16 (DPDK cc7301908c03, 450539b47ec8, 6ec17781346e: self-looping descriptor, no hop counter)',
    override: { writeChain: writeChainSelfLoop, readChain: readChainUnbounded },
  },
  {
    name: 'avail-ahead-of-size',
    description: 'When the ring is full the driver re-posts a head that is still in flight instead of waiting: avail.idx runs more than the queue size ahead of used.idx, and a device that trusts it (no num_heads <= N check) re-walks ring slots and processes heads twice.',
    expect: { verdict: 'violated', invariant: 'in-flight-within-size' },
    recreates: 'bug zoo B10 (rust-vmm vm-virtio d0b45cdf678b, PR 196) and B11 (QEMU CVE-2016-5403)',
    override: { addBuffer: addBufferRepostWhenFull },
  },
  {
    name: 'used-len-overflow',
    description: 'The device reports in used.len the length of its whole response although the writable buffer was smaller and it could write only that much: the driver trusts bytes past the end of its buffer.',
    expect: { verdict: 'violated', invariant: 'used-exactly-once' },
    recreates: 'spec (used len = bytes written into the writable buffers, digest section 2); Linux virtio_net "rx error: len %u exceeds truesize" and "virtio_ring: validate used buffer length" guard drivers against devices that overstate it',
    override: { serve: serveUncut },
  },
  {
    name: 'spec-example',
    description: 'The driver handles used buffers with the virtio spec\'s split-ring example loop exactly as printed. Its comparisons are reversed (digest pitfall 1): when used.idx shows new entries it re-enables notifications and breaks out to sleep without processing them, so the driver sleeps with used buffers pending and no further interrupt comes (and when nothing is new it would process a slot the device never published).',
    expect: { verdict: 'violated', invariant: 'no-lost-notification' },
    recreates: 'virtio spec split-ring.tex, "Receiving Used Buffers From The Device" example (unchanged since 2014; digest pitfall 1)',
    override: { drainUsed: drainUsedSpecExample },
  },
];
