// Shared, notification-neutral plumbing of the split-ring implementations in this folder, written
// from the virtio spec (2.7) and the port API of docs/third-party.md. Every file here keeps its
// notification logic (the part under test) to itself.

export const NEXT = 1;
export const WRITE = 2;
export const NO_INTERRUPT = 1; // avail.flags
export const NO_NOTIFY = 1; // used.flags
export const u16 = (x) => x & 0xffff;
/** vring_need_event(event, new, old), as include/uapi/linux/virtio_ring.h writes it. */
export const vringNeedEvent = (event, now, old) => u16(now - event - 1) < u16(now - old);

// ---- driver side ----

export function driverState(port) {
  const n = port.params.queueSize;
  const s = port.params.startIndex;
  return { free: [...Array(n).keys()], heads: new Map(), availIdx: s, lastUsed: s, oldKick: s, cbOn: true };
}

/** Writes a chain into free descriptors and the ring slot; returns its head (does not publish avail.idx). */
export function writeChain(port, vq, segments) {
  if (vq.free.length < segments.length) return undefined;
  const ds = vq.free.splice(0, segments.length);
  ds.forEach((d, j) => {
    const more = j < ds.length - 1;
    port.store(`desc[${d}].addr`, segments[j].addr);
    port.store(`desc[${d}].len`, segments[j].len);
    port.store(`desc[${d}].flags`, (more ? NEXT : 0) | (segments[j].write ? WRITE : 0));
    if (more) port.store(`desc[${d}].next`, ds[j + 1]);
  });
  vq.heads.set(ds[0], ds);
  port.store(`avail.ring[${vq.availIdx & (port.params.queueSize - 1)}]`, ds[0]);
  return ds[0];
}

/** avail.idx += 1 after the barrier that orders the chain before it. */
export function publishAvail(port, vq) {
  port.wmb();
  vq.availIdx = u16(vq.availIdx + 1);
  port.store('avail.idx', vq.availIdx);
}

export function takeUsed(port, vq) {
  if (port.load('used.idx') === vq.lastUsed) return undefined;
  port.rmb();
  const slot = vq.lastUsed & (port.params.queueSize - 1);
  const id = port.load(`used.ring[${slot}].id`);
  const len = port.load(`used.ring[${slot}].len`);
  const ds = vq.heads.get(id);
  if (!ds) throw new Error(`used id ${id} is not a head in flight`);
  vq.heads.delete(id);
  vq.free.push(...ds);
  vq.lastUsed = u16(vq.lastUsed + 1);
  return { id, len };
}

/** Linux-like interrupt control: used_event or NO_INTERRUPT. */
export function disableInterrupts(port, vq) {
  vq.cbOn = false;
  if (!port.params.eventIdx) port.store('avail.flags', NO_INTERRUPT);
}
export function enableInterrupts(port, vq) {
  vq.cbOn = true;
  if (port.params.eventIdx) port.store('avail.used_event', vq.lastUsed);
  else port.store('avail.flags', 0);
  port.mb();
  return port.load('used.idx') === vq.lastUsed;
}
/** getBuf that keeps used_event at the next entry while interrupts are on (virtio_store_mb). */
export function getBufEventIdx(port, vq) {
  const b = takeUsed(port, vq);
  if (b && port.params.eventIdx && vq.cbOn) {
    port.store('avail.used_event', vq.lastUsed);
    port.mb();
  }
  return b;
}

// ---- device side ----

export function deviceState(port) {
  const s = port.params.startIndex;
  return { lastAvail: s, usedIdx: s, signalled: s, signalledValid: false };
}

/** The next available head, or undefined. */
export function nextHead(port, vq) {
  if (port.load('avail.idx') === vq.lastAvail) return undefined;
  port.rmb();
  const head = port.load(`avail.ring[${vq.lastAvail & (port.params.queueSize - 1)}]`);
  vq.lastAvail = u16(vq.lastAvail + 1);
  return head;
}

export function chainOf(port, head) {
  const out = [];
  for (let d = head; out.length < port.params.queueSize;) {
    const flags = port.load(`desc[${d}].flags`);
    out.push({ addr: port.load(`desc[${d}].addr`), len: port.load(`desc[${d}].len`), write: (flags & WRITE) !== 0 });
    if (!(flags & NEXT)) break;
    d = port.load(`desc[${d}].next`);
  }
  return out;
}

/** Writes the used element at used.idx + k (not yet published). */
export function writeUsed(port, vq, k, head, len) {
  const slot = u16(vq.usedIdx + k) & (port.params.queueSize - 1);
  port.store(`used.ring[${slot}].id`, head);
  port.store(`used.ring[${slot}].len`, len);
}

export function publishUsed(port, vq, count) {
  port.wmb();
  vq.usedIdx = u16(vq.usedIdx + count);
  port.store('used.idx', vq.usedIdx);
}

/** Kick suppression while busy, and its re-enable with the re-check before sleeping. */
export function disableKicks(port) {
  if (!port.params.eventIdx) port.store('used.flags', NO_NOTIFY);
}
/** true when the ring is still empty after re-enabling kicks (safe to sleep). */
export function enableKicks(port, vq) {
  if (port.params.eventIdx) port.store('used.avail_event', vq.lastAvail);
  else port.store('used.flags', 0);
  port.mb();
  return port.load('avail.idx') === vq.lastAvail;
}

/**
 * The usual device loop: one used element per head, `decide(port, vq)` after each publish
 * returns whether to interrupt.
 */
export function serveEach(port, vq, serve, decide) {
  disableKicks(port);
  for (;;) {
    const head = nextHead(port, vq);
    if (head === undefined) {
      if (enableKicks(port, vq)) return;
      disableKicks(port);
      continue;
    }
    writeUsed(port, vq, 0, head, serve(chainOf(port, head)));
    publishUsed(port, vq, 1);
    if (decide(port, vq)) port.notify('used-irq');
  }
}
