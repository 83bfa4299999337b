// Split device in QEMU's style (hw/virtio/virtio.c virtio_split_should_notify): the first
// interrupt is sent without looking at used_event (signalled_used_valid is false), later ones
// follow vring_need_event over the entries used since the last decision.
import { deviceState, NO_INTERRUPT, serveEach, vringNeedEvent } from './ring.js';

export const setup = deviceState;

function shouldNotify(port, vq) {
  port.mb(); // smp_mb(): expose used.idx before checking used_event
  if (!port.params.eventIdx) return (port.load('avail.flags') & NO_INTERRUPT) === 0;
  const valid = vq.signalledValid;
  const old = vq.signalled;
  vq.signalledValid = true;
  vq.signalled = vq.usedIdx;
  return !valid || vringNeedEvent(port.load('avail.used_event'), vq.usedIdx, old);
}

export function processQueue(port, vq, serve) {
  serveEach(port, vq, serve, shouldNotify);
}
