// A packed-ring (vring-packed) device written against virtio-verify's synchronous port
// (docs/third-party.md, "vring-split and vring-packed"), as DPDK vhost and QEMU serve a packed
// queue: a descriptor is available when its AVAIL bit equals the device's avail wrap counter and
// USED does not; the device writes a used descriptor's id and len, then (after a write barrier)
// its flags with AVAIL = USED = the used wrap counter.
//   npx virtio-verify validate --impl examples/js/packed-device-good.mjs --role device --scheme vring-packed

import {
  eventOf, isAvail, needEvent, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE, u16, usedBits,
  VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE,
} from './virtio-ring.mjs';

/** The device's own queue state, fresh for every execution. */
export function setup() {
  return { lastAvail: 0, availWrap: 1, usedIdx: 0, usedWrap: 1, usedSinceDecision: 0 };
}

/**
 * Called after every kick: serve until the ring is empty, then re-enable kicks and re-check.
 * (`steps` is this file's own: packed-device-buggy.mjs reuses the loop with one step replaced.)
 */
export function processQueue(port, vq, serve, steps = STEPS) {
  port.store('device_event.flags', RING_EVENT_FLAGS_DISABLE);
  for (;;) {
    const list = steps.popAvail(port, vq);
    if (list === undefined) {
      if (steps.enableKicks(port, vq)) return;
      port.store('device_event.flags', RING_EVENT_FLAGS_DISABLE);
      continue;
    }
    steps.pushUsed(port, vq, list, serve(list.segments));
    if (steps.shouldNotify(port, vq)) port.notify('used-irq');
  }
}

/** The next available list: its buffer id (from its last descriptor), length and segments. */
function popAvail(port, vq) {
  const n = port.params.queueSize;
  let flags = port.load(`desc[${vq.lastAvail}].flags`);
  if (!isAvail(flags, vq.availWrap)) return undefined;
  port.rmb(); // the rest of the descriptor only after its flags say it is ours
  const segments = [];
  let i = vq.lastAvail;
  let wrap = vq.availWrap;
  for (;;) {
    if (segments.length === n) throw new Error(`broken ring: the list at desc[${vq.lastAvail}] is longer than ${n}`);
    segments.push({ addr: port.load(`desc[${i}].addr`), len: port.load(`desc[${i}].len`), write: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
    if (++i === n) { i = 0; wrap ^= 1; }
    flags = port.load(`desc[${i}].flags`);
    if (!isAvail(flags, wrap)) throw new Error(`broken ring: the list at desc[${vq.lastAvail}] runs into desc[${i}], which is not available`);
  }
  const id = port.load(`desc[${i}].id`);
  vq.lastAvail += segments.length;
  if (vq.lastAvail >= n) { vq.lastAvail -= n; vq.availWrap ^= 1; }
  return { id, count: segments.length, segments };
}

function pushUsed(port, vq, list, len) {
  const d = `desc[${vq.usedIdx}]`;
  port.store(`${d}.id`, list.id);
  port.store(`${d}.len`, len);
  port.wmb(); // id and len before the flags that hand the descriptor back
  port.store(`${d}.flags`, usedBits(vq.usedWrap) | (len > 0 ? VIRTQ_DESC_F_WRITE : 0));
  advanceUsed(port, vq, list.count);
}

/** Moves past a used list, toggling the used wrap counter when passing the end of the ring. */
export function advanceUsed(port, vq, count) {
  vq.usedIdx += count;
  vq.usedSinceDecision += count;
  if (vq.usedIdx >= port.params.queueSize) { vq.usedIdx -= port.params.queueSize; vq.usedWrap ^= 1; }
}

/** Does the driver want an interrupt for the descriptors used since the last decision? */
function shouldNotify(port, vq) {
  port.mb(); // the used flags visible before we read the driver's event suppression
  const old = u16(vq.usedIdx - vq.usedSinceDecision);
  vq.usedSinceDecision = 0;
  const flags = port.load('driver_event.flags');
  if (flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
  const event = eventOf(port.load('driver_event.off_wrap'), vq.usedWrap, port.params.queueSize);
  return needEvent(event, vq.usedIdx, old);
}

/** Re-enables kicks; true when no descriptor is available afterwards, so sleeping is safe. */
function enableKicks(port, vq) {
  if (port.params.eventIdx) {
    port.store('device_event.off_wrap', vq.lastAvail | (vq.availWrap << 15));
    port.wmb(); // offset and wrap before the flags that make them count
    port.store('device_event.flags', RING_EVENT_FLAGS_DESC);
  } else {
    port.store('device_event.flags', RING_EVENT_FLAGS_ENABLE);
  }
  port.mb(); // the re-enable visible before we look at the ring again
  return !isAvail(port.load(`desc[${vq.lastAvail}].flags`), vq.availWrap);
}

export const STEPS = { popAvail, pushUsed, shouldNotify, enableKicks };
