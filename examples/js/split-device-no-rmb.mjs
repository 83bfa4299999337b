// The split-ring device of split-device-good.mjs with one line taken out: the virtio_rmb between
// reading avail.idx and reading avail.ring[] (the kvmtool and Firecracker arm64 bug). It conforms
// under sc and tso, which keep loads in order; under --memory weak the ring load may be satisfied
// early and read the slot's previous head although avail.idx already covers the new one.
//   npx virtio-verify validate --impl examples/js/split-device-no-rmb.mjs --role device --scheme vring-split --memory weak

import {
  needEvent, u16, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY,
} from './virtio-ring.mjs';

/** The device's own queue state, fresh for every execution: the ring indices start at startIndex. */
export function setup(port) {
  const start = port.params.startIndex;
  return { lastAvail: start, usedIdx: start, signalledUsed: start };
}

/**
 * Called after every kick: serve until the ring is empty, then re-enable kicks and re-check.
 * (`steps` is this file's own: split-device-buggy.mjs reuses the loop with one step replaced.)
 */
export function processQueue(port, vq, serve, steps = STEPS) {
  steps.disableKicks(port);
  for (;;) {
    const head = steps.popAvail(port, vq);
    if (head === undefined) {
      if (steps.enableKicks(port, vq)) return;
      steps.disableKicks(port); // the driver added more meanwhile: keep going
      continue;
    }
    const written = serve(steps.readChain(port, head));
    steps.pushUsed(port, vq, head, written);
    if (steps.shouldNotify(port, vq)) port.notify('used-irq');
  }
}

function popAvail(port, vq) {
  const n = port.params.queueSize;
  const idx = port.load('avail.idx');
  if (idx === vq.lastAvail) return undefined;
  if (u16(idx - vq.lastAvail) > n) throw new Error(`broken ring: avail.idx ${idx} is more than ${n} ahead of ${vq.lastAvail}`);
  // no port.rmb() here: the ring entry may be read before avail.idx (the bug)
  const head = port.load(`avail.ring[${vq.lastAvail & (n - 1)}]`);
  if (head >= n) throw new Error(`broken ring: head ${head}`);
  vq.lastAvail = u16(vq.lastAvail + 1);
  return head;
}

/** The chain's segments, at most queueSize descriptors (a looped chain is refused). */
function readChain(port, head) {
  const n = port.params.queueSize;
  const segments = [];
  for (let i = head; ;) {
    if (segments.length === n) throw new Error(`broken ring: the chain of head ${head} is longer than ${n}`);
    const flags = port.load(`desc[${i}].flags`);
    if (flags & VIRTQ_DESC_F_INDIRECT) throw new Error('broken ring: INDIRECT was not negotiated by this device');
    segments.push({ addr: port.load(`desc[${i}].addr`), len: port.load(`desc[${i}].len`), write: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
    if (!(flags & VIRTQ_DESC_F_NEXT)) return segments;
    i = port.load(`desc[${i}].next`);
    if (i >= n) throw new Error(`broken ring: next ${i}`);
  }
}

function pushUsed(port, vq, head, len) {
  const slot = vq.usedIdx & (port.params.queueSize - 1);
  port.store(`used.ring[${slot}].id`, head);
  port.store(`used.ring[${slot}].len`, len);
  port.wmb(); // the element before the index that publishes it
  vq.usedIdx = u16(vq.usedIdx + 1);
  port.store('used.idx', vq.usedIdx);
}

/** Does the driver want an interrupt for what was used since the last decision? */
function shouldNotify(port, vq) {
  port.mb(); // used.idx visible before we read the driver's suppression state
  if (!port.params.eventIdx) return (port.load('avail.flags') & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  const old = vq.signalledUsed;
  vq.signalledUsed = vq.usedIdx;
  return needEvent(port.load('avail.used_event'), vq.usedIdx, old);
}

function disableKicks(port) {
  // With EVENT_IDX, avail_event already says "no kick until the driver passes lastAvail".
  if (!port.params.eventIdx) port.store('used.flags', VIRTQ_USED_F_NO_NOTIFY);
}

/** Re-enables kicks; true when the ring is still empty afterwards, so sleeping is safe. */
function enableKicks(port, vq) {
  if (port.params.eventIdx) port.store('used.avail_event', vq.lastAvail);
  else port.store('used.flags', 0);
  port.mb(); // the re-enable visible before we look at avail.idx again
  return port.load('avail.idx') === vq.lastAvail;
}

export const STEPS = { popAvail, readChain, pushUsed, shouldNotify, disableKicks, enableKicks };
