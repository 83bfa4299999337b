// BUG (at the 16-bit wrap): a split device that tests "used_event lies in [old, new)" with plain
// comparisons instead of vring_need_event's modular arithmetic. Correct until used.idx wraps
// round 65535 -> 0 within the range; then a due interrupt is not sent.
import { deviceState, NO_INTERRUPT, serveEach } from './ring.js';

export const setup = deviceState;

function shouldNotify(port, vq) {
  port.mb();
  const old = vq.signalled;
  vq.signalled = vq.usedIdx;
  if (!port.params.eventIdx) return (port.load('avail.flags') & NO_INTERRUPT) === 0;
  const event = port.load('avail.used_event');
  return event >= old && event < vq.usedIdx;
}

export function processQueue(port, vq, serve) {
  serveEach(port, vq, serve, shouldNotify);
}
