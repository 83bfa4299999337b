// BUG: a split device whose vring_need_event forgets the "- 1": it interrupts when used.idx moves
// past used_event + 1 instead of used_event, so the interrupt for the entry the driver waits on
// (used_event = its last_used) never comes.
import { deviceState, NO_INTERRUPT, serveEach, u16 } from './ring.js';

export const setup = deviceState;

function shouldNotify(port, vq) {
  port.mb();
  const old = vq.signalled;
  vq.signalled = vq.usedIdx;
  if (!port.params.eventIdx) return (port.load('avail.flags') & NO_INTERRUPT) === 0;
  return u16(vq.usedIdx - port.load('avail.used_event')) < u16(vq.usedIdx - old);
}

export function processQueue(port, vq, serve) {
  serveEach(port, vq, serve, shouldNotify);
}
