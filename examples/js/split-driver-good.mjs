// A split-ring (vring-split) driver written against virtio-verify's synchronous port
// (docs/third-party.md, "vring-split and vring-packed"), shaped like Linux virtio_ring.c: a free
// list of descriptors, chains published through avail.idx, kicks and interrupts suppressed by
// flags or, with EVENT_IDX, by avail.used_event / used.avail_event.
//   npx virtio-verify validate --impl examples/js/split-driver-good.mjs --role driver --scheme vring-split

import { needEvent, u16, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY } from './virtio-ring.mjs';

/** The driver's own queue state, fresh for every execution. */
export function setup(port) {
  const { queueSize: n, startIndex: start } = port.params;
  return {
    free: Array.from({ length: n }, (_, i) => i), // descriptors, the next to take first
    chains: new Map(), // head -> the descriptors of its chain, while the device has it
    availIdx: start, // our shadow of avail.idx
    kickedAt: start, // avail.idx at the last kick decision
    lastUsed: start,
    callbacks: true,
  };
}

/** Writes one chain and publishes its head; returns the head, or undefined when the ring is full. */
export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head === undefined) return undefined;
  port.store(`avail.ring[${vq.availIdx & (port.params.queueSize - 1)}]`, head);
  port.wmb(); // descriptors and ring entry before the index that exposes them
  vq.availIdx = u16(vq.availIdx + 1);
  port.store('avail.idx', vq.availIdx);
  return head;
}

/** Takes descriptors off the free list and writes the chain into them; returns its head (undefined: no room). */
export function writeChain(port, vq, segments) {
  if (vq.free.length < segments.length) return undefined;
  const slots = vq.free.splice(0, segments.length);
  segments.forEach((s, j) => {
    const d = `desc[${slots[j]}]`;
    const last = j === segments.length - 1;
    port.store(`${d}.flags`, (last ? 0 : VIRTQ_DESC_F_NEXT) | (s.write ? VIRTQ_DESC_F_WRITE : 0));
    port.store(`${d}.addr`, s.addr);
    port.store(`${d}.len`, s.len);
    if (!last) port.store(`${d}.next`, slots[j + 1]);
  });
  vq.chains.set(slots[0], slots);
  return slots[0];
}

/** Kicks if the device asks for it (virtqueue_kick_prepare + notify). */
export function kick(port, vq) {
  port.mb(); // avail.idx visible before we read the device's suppression state
  const old = vq.kickedAt;
  vq.kickedAt = vq.availIdx;
  const need = port.params.eventIdx
    ? needEvent(port.load('used.avail_event'), vq.availIdx, old)
    : (port.load('used.flags') & VIRTQ_USED_F_NO_NOTIFY) === 0;
  if (need) port.notify('kick');
}

/** The next used buffer, or undefined; its descriptors go back to the free list. */
export function getBuf(port, vq) {
  if (port.load('used.idx') === vq.lastUsed) return undefined;
  port.rmb(); // the element only after used.idx says it is there
  const slot = vq.lastUsed & (port.params.queueSize - 1);
  const id = port.load(`used.ring[${slot}].id`);
  const len = port.load(`used.ring[${slot}].len`);
  const chain = vq.chains.get(id);
  if (!chain) throw new Error(`id ${id} is not a head!`);
  vq.chains.delete(id);
  vq.free.unshift(...chain);
  vq.lastUsed = u16(vq.lastUsed + 1);
  if (port.params.eventIdx && vq.callbacks) {
    port.store('avail.used_event', vq.lastUsed); // an interrupt for the next one
    port.mb();
  }
  return { id, len };
}

export function disableCb(port, vq) {
  if (!vq.callbacks) return;
  vq.callbacks = false;
  // With EVENT_IDX used_event stays where it is: at most one more interrupt, which is harmless.
  if (!port.params.eventIdx) port.store('avail.flags', VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/** Re-enables interrupts; true when nothing is pending afterwards, so sleeping is safe. */
export function enableCb(port, vq) {
  vq.callbacks = true;
  if (port.params.eventIdx) port.store('avail.used_event', vq.lastUsed);
  else port.store('avail.flags', 0);
  port.mb(); // the re-enable visible before we look at used.idx again
  return port.load('used.idx') === vq.lastUsed;
}
