// A packed-ring (vring-packed) driver written against virtio-verify's synchronous port
// (docs/third-party.md, "vring-split and vring-packed"), shaped like Linux virtio_ring.c: buffer
// ids from a free list, each list written in ring order with the current lap's AVAIL/USED bits,
// the head's flags last (after a write barrier), and event suppression through driver_event /
// device_event (ENABLE, DISABLE, or with EVENT_IDX, DESC and an offset with its wrap bit).
//   npx virtio-verify validate --impl examples/js/packed-driver-good.mjs --role driver --scheme vring-packed

import {
  availBits, eventOf, isUsed, needEvent, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE, u16,
  VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_USED, VIRTQ_DESC_F_WRITE,
} from './virtio-ring.mjs';

/** The driver's own queue state, fresh for every execution. */
export function setup(port) {
  const n = port.params.queueSize;
  return {
    nextAvail: 0, availWrap: 1, numFree: n, freeIds: Array.from({ length: n }, (_, i) => i),
    lengths: new Map(), // buffer id -> descriptors in its list, while the device has it
    added: 0, // descriptors made available since the last kick decision
    lastUsed: 0, usedWrap: 1, eventFlags: RING_EVENT_FLAGS_ENABLE,
  };
}

/** Writes a list and makes it available (head's flags last); returns its buffer id, or undefined when full. */
export function addBuffer(port, vq, segments) {
  const n = port.params.queueSize;
  if (vq.numFree < segments.length || vq.freeIds.length === 0) return undefined;
  const id = vq.freeIds.shift();
  const head = vq.nextAvail;
  let i = head;
  let bits = availBits(vq.availWrap); // "available" in the current lap
  let headFlags = 0;
  segments.forEach((s, j) => {
    const flags = bits | (j < segments.length - 1 ? VIRTQ_DESC_F_NEXT : 0) | (s.write ? VIRTQ_DESC_F_WRITE : 0);
    if (i === head) headFlags = flags; else port.store(`desc[${i}].flags`, flags);
    port.store(`desc[${i}].addr`, s.addr);
    port.store(`desc[${i}].len`, s.len);
    port.store(`desc[${i}].id`, id);
    if (++i === n) { i = 0; bits ^= VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED; vq.availWrap ^= 1; }
  });
  vq.nextAvail = i;
  vq.numFree -= segments.length;
  vq.lengths.set(id, segments.length);
  port.wmb(); // the whole list before the head's flags that make it available
  port.store(`desc[${head}].flags`, headFlags);
  vq.added += segments.length;
  return id;
}

/** Kicks if the device's event suppression asks for it. */
export function kick(port, vq) {
  port.mb(); // the head's flags visible before we read the device's event suppression
  const old = u16(vq.nextAvail - vq.added);
  vq.added = 0;
  const flags = port.load('device_event.flags');
  let need = flags !== RING_EVENT_FLAGS_DISABLE;
  if (flags === RING_EVENT_FLAGS_DESC) {
    const event = eventOf(port.load('device_event.off_wrap'), vq.availWrap, port.params.queueSize);
    need = needEvent(event, vq.nextAvail, old);
  }
  if (need) port.notify('kick');
}

/** The next used buffer, or undefined; its id and descriptors are free again. */
export function getBuf(port, vq) {
  const d = `desc[${vq.lastUsed}]`;
  if (!isUsed(port.load(`${d}.flags`), vq.usedWrap)) return undefined;
  port.rmb(); // id and len only after the flags say the device is done
  return takeBack(port, vq, port.load(`${d}.id`), port.load(`${d}.len`));
}

/** Frees a used buffer's id and descriptors and moves past its list; returns what getBuf returns. */
export function takeBack(port, vq, id, len) {
  const count = vq.lengths.get(id);
  if (count === undefined) throw new Error(`id ${id} is not a head!`);
  vq.lengths.delete(id);
  vq.freeIds.unshift(id);
  vq.numFree += count;
  vq.lastUsed += count;
  if (vq.lastUsed >= port.params.queueSize) { vq.lastUsed -= port.params.queueSize; vq.usedWrap ^= 1; }
  if (vq.eventFlags === RING_EVENT_FLAGS_DESC) {
    port.store('driver_event.off_wrap', vq.lastUsed | (vq.usedWrap << 15)); // an interrupt for the next one
    port.mb();
  }
  return { id, len };
}

export function disableCb(port, vq) {
  if (vq.eventFlags === RING_EVENT_FLAGS_DISABLE) return;
  vq.eventFlags = RING_EVENT_FLAGS_DISABLE;
  port.store('driver_event.flags', RING_EVENT_FLAGS_DISABLE);
}

/** Re-enables interrupts; true when nothing is pending afterwards, so sleeping is safe. */
export function enableCb(port, vq) {
  if (port.params.eventIdx) {
    port.store('driver_event.off_wrap', vq.lastUsed | (vq.usedWrap << 15));
    port.wmb(); // offset and wrap before the flags that make them count
  }
  const wanted = port.params.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
  if (vq.eventFlags !== wanted) {
    vq.eventFlags = wanted;
    port.store('driver_event.flags', wanted);
  }
  port.mb(); // the re-enable visible before we look at the ring again
  return !isUsed(port.load(`desc[${vq.lastUsed}].flags`), vq.usedWrap);
}
