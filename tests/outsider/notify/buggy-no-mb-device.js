// BUG (tso only): a split device with a write barrier, not a full one, between publishing used.idx
// and reading used_event / avail.flags (the DPDK bug of the spec digest). Under TSO the load can
// pass the buffered store: the driver re-enables interrupts and re-checks used.idx before the
// store is visible, the device reads the old used_event and stays silent.
import { deviceState, NO_INTERRUPT, serveEach, vringNeedEvent } from './ring.js';

export const setup = deviceState;

function shouldNotify(port, vq) {
  port.wmb(); // should be port.mb()
  const old = vq.signalled;
  vq.signalled = vq.usedIdx;
  if (!port.params.eventIdx) return (port.load('avail.flags') & NO_INTERRUPT) === 0;
  return vringNeedEvent(port.load('avail.used_event'), vq.usedIdx, old);
}

export function processQueue(port, vq, serve) {
  serveEach(port, vq, serve, shouldNotify);
}
