/**
 * Mutants of the packed virtqueue. Each replaces one step of the reference (two where a device
 * robustness bug needs a misbehaving driver to show) and recreates a real bug from the bug zoo
 * (../shared/spec/bug-zoo.md) or the spec text named in `recreates`.
 */
import type { Variant } from '../../harness/core/define-model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { u16, vringNeedEvent } from '../vring-common/ring-math.ts';
import { commonMutantSteps, RESPONSE_BYTES, type Segment, type UsedBuffer } from '../vring-common/scenario.ts';
import { descFlags, takeBack, writeList } from './driver.ts';
import type { PackedList } from './device.ts';
import { EVENT_WRAP, isAvail, isUsed, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './layout.ts';
import type { DeviceCtx, DriverCtx, PackedProtocol } from './protocol.ts';

/** Reads id and len before checking the flags (DPDK virtio PMD before 4b058fdd27ce / 3eb50f0c7979). */
function* getBufIdBeforeFlags(x: DriverCtx): Program<UsedBuffer | undefined> {
  const d = x.q.desc[x.s.lastUsed];
  const id = yield p.load(d.id);
  const len = yield p.load(d.len);
  if (!isUsed(yield p.load(d.flags), x.s.usedWrap)) return undefined;
  return yield* takeBack(x, id, len);
}

/** Writes the head's flags first, in order with the other descriptors: the list is visible before it is complete. */
function* writeListHeadFirst(x: DriverCtx, head: number, id: number, segs: readonly Segment[]): Program<number> {
  yield p.store(x.q.desc[head].flags, x.proto.listFlags(x.s, segs, 0));
  return yield* writeList(x, head, id, segs);
}

/** The device toggles its used wrap counter only when the index goes down, so an exact full-ring advance leaves it stale. */
function advanceUsedFlipOnDecrease(x: DeviceCtx, count: number): void {
  const old = x.s.usedIdx;
  x.s.usedIdx = (old + count) % x.q.n;
  if (x.s.usedIdx < old) x.s.usedWrap ^= 1;
}

/** Walks a list with no descriptor count and no check that each descriptor is available (DPDK before cc7301908c03). */
function* popAvailUnbounded(x: DeviceCtx): Program<PackedList | undefined> {
  const { q, s } = x;
  let flags = yield p.load(q.desc[s.lastAvail].flags);
  if (!isAvail(flags, s.availWrap)) return undefined;
  yield p.rmb();
  let i = s.lastAvail;
  let count = 0;
  let readable = 0;
  let writable = 0;
  for (;;) {
    count++;
    const len = yield p.load(q.desc[i].len);
    yield p.load(q.desc[i].addr);
    if (flags & VIRTQ_DESC_F_WRITE) writable += len; else readable += len;
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
    i = (i + 1) % q.n;
    flags = yield p.load(q.desc[i].flags);
  }
  const id = yield p.load(q.desc[i].id);
  s.lastAvail = (s.lastAvail + count) % q.n;
  return { id, count, readable, writable };
}

/** virtqueue_kick_prepare_packed with virtio_wmb where virtio_mb belongs (the packed twin of Linux a72caae21803). */
function* kickPrepareWmb(x: DriverCtx): Program<boolean> {
  yield p.wmb();
  const old = u16(x.s.nextAvail - x.s.numAdded);
  x.s.numAdded = 0;
  return yield* x.proto.kickNeeded(x, old);
}

/** Notifies only when the armed offset is the last descriptor used, not anywhere in the completed list. */
function* notifyNeededPointTest(x: DeviceCtx): Program<boolean> {
  const { q, s } = x;
  const flags = yield p.load(q.driverEvent.flags);
  s.usedSinceDecision = 0;
  if (flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
  const offWrap = yield p.load(q.driverEvent.offWrap);
  let event = offWrap & ~EVENT_WRAP;
  if (offWrap >> 15 !== s.usedWrap) event -= q.n;
  return u16(event) === u16(s.usedIdx - 1) && vringNeedEvent(event, s.usedIdx, u16(s.usedIdx - 1));
}

/** Reports the whole response in len although only the writable buffers' worth fitted. */
function* serveUncut(_x: DeviceCtx, _l: PackedList): Program<number> {
  return RESPONSE_BYTES;
}

export const variants: readonly Variant<PackedProtocol>[] = [
  {
    name: 'reference',
    description: 'Linux virtio_ring.c (driver) and DPDK vhost / QEMU (device): the head\'s flags written last after virtio_wmb, id and len read only after the used flags (virtio_rmb), the wrap counter flipped when a list passes or reaches its start (i <= head), off_wrap before flags, virtio_mb before reading the peer\'s event suppression and before re-checking.',
    expect: { verdict: 'passed' },
  },
  {
    name: 'wrap-flip-lt',
    description: 'The driver flips avail_wrap_counter only if the list ended before its head (i < head): a list of exactly N descriptors ends at its head, the counter goes stale, and the EVENT_IDX kick decision takes the device\'s off_wrap for the wrong lap and skips the kick, so the queue stalls.',
    expect: { verdict: 'violated', invariant: 'notify-decision' },
    recreates: 'bug zoo B20 (Linux 1acfe2c12258 "virtio_ring: fix avail_wrap_counter in virtqueue_add_packed"; QEMU virtio-blk packed=on,queue-size=4 hang)',
    override: { passedEnd: (head, next) => next < head },
  },
  {
    name: 'read-id-before-flags',
    description: 'get_buf reads the descriptor\'s id and len before its flags: it reads a descriptor the device still owns, and when the flags then show it used, it returns the id and len it read before (the driver\'s own values, or the previous lap\'s).',
    expect: { verdict: 'violated', invariant: 'descriptor-ownership' },
    recreates: 'bug zoo B4 (DPDK 4b058fdd27ce (RX) and 3eb50f0c7979 (TX cleanup), drivers/net/virtio)',
    override: { getBuf: getBufIdBeforeFlags },
  },
  {
    name: 'head-flags-first',
    description: 'The driver writes the head descriptor\'s flags first, with the others, instead of last after virtio_wmb: the device can see the head available while the rest of the list is still being written.',
    expect: { verdict: 'violated', invariant: 'publish-order' },
    recreates: 'spec packed-ring.tex "the driver MUST NOT make the first descriptor in the list available before all subsequent descriptors comprising the list are made available" (Linux virtqueue_add_packed defers head_flags; digest section 3)',
    override: { writeList: writeListHeadFirst },
  },
  {
    name: 'used-wrap-flip-lt',
    description: 'The device toggles its used wrap counter only when its used index goes down: an advance by exactly N (a full-ring list) leaves it stale, and the next used descriptor gets the wrong polarity, so the driver never sees it as used.',
    expect: { verdict: 'violated', invariant: 'wrap-counters' },
    recreates: 'bug zoo B21 (openvmm PR 3990: wrap toggled only if new < old)',
    override: { advanceUsed: advanceUsedFlipOnDecrease },
  },
  {
    name: 'no-chain-bound',
    description: 'The device walks a list with no descriptor count and no check that each descriptor is available, and a misbehaving driver (B16\'s trigger) sets NEXT on every descriptor: the device goes round the ring forever. (The reference device refuses the same list as "broken ring".)',
    expect: { verdict: 'violated', invariant: 'chain-bounded' },
    recreates: 'bug zoo B16 (DPDK cc7301908c03, 6ec17781346e: no hop counter) and B21 (openvmm PR 2983: list walk not bounded by the ring)',
    override: { listFlags: (s, segs, j) => descFlags(s, segs, j) | VIRTQ_DESC_F_NEXT, popAvail: popAvailUnbounded },
  },
  {
    name: 'no-recheck-after-enable',
    description: 'The driver re-enables used notifications (off_wrap, flags) and sleeps without re-checking the descriptor at last_used: a descriptor the device marked used while notifications were still disabled is never announced.',
    expect: { verdict: 'violated', invariant: 'no-lost-notification' },
    recreates: 'digest pitfall 1 (Linux virtqueue_enable_cb_prepare_packed + virtqueue_poll); bug zoo B9 and B25 (notification lost across a re-enable)',
    override: { enableCb: commonMutantSteps.enableCbNoRecheck },
  },
  {
    name: 'missing-mb-driver',
    description: 'kick_prepare with virtio_wmb instead of virtio_mb: under TSO the head flags wait in the driver\'s store buffer while it reads the device\'s stale suppression state and skips the kick, and the device, re-enabling, re-checks the stale descriptor and sleeps.',
    expect: { verdict: 'violated', invariant: 'notify-decision', memory: 'tso' },
    recreates: 'bug zoo B2 (Linux a72caae21803, the split-ring fix; the packed kick_prepare has the same virtio_mb)',
    override: { kickPrepare: kickPrepareWmb },
  },
  {
    name: 'missing-mb-device',
    description: 'The device reads driver_event right after marking a descriptor used, with no full barrier: under TSO its flags store is still buffered while it reads DISABLE (or an old offset) and sends no interrupt, and the driver, re-enabling, re-checks the stale descriptor and sleeps.',
    expect: { verdict: 'violated', invariant: 'notify-decision', memory: 'tso' },
    recreates: 'bug zoo B1 (DPDK 159793ac867b "vhost: fix virtio freeze due to missed interrupt"; SPDK issue 3178)',
    override: { shouldNotify: commonMutantSteps.shouldNotifyNoMb },
  },
  {
    name: 'event-idx-point-test',
    description: 'The device notifies only when the driver\'s armed offset is the last descriptor it used, an equality test: when the driver armed the head of a multi-descriptor list, the completion of that list is not announced.',
    expect: { verdict: 'violated', invariant: 'notify-decision' },
    recreates: 'bug zoo B7 (openvmm PR 4267: an equality test missed an armed offset inside a multi-descriptor completion)',
    override: { notifyNeeded: notifyNeededPointTest },
  },
  {
    name: 'used-len-overflow',
    description: 'The device reports in the used descriptor\'s len the length of its whole response although the writable buffer was smaller and it could write only that much.',
    expect: { verdict: 'violated', invariant: 'used-exactly-once' },
    recreates: 'spec (used len = bytes written into the writable buffers; digest section 3); Linux virtio_net "rx error: len %u exceeds truesize" and "virtio_ring: validate used buffer length" guard drivers against devices that overstate it',
    override: { serve: serveUncut },
  },
];
