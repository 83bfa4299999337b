// BUG: an "optimised" split driver that reads the device's suppression state while it prepares the
// chain, before avail.idx publishes it, and decides at kick time from that snapshot. The device
// may re-enable kicks (avail_event / used.flags) between the read and the publish, look at
// avail.idx once more, find nothing and sleep: the kick it asked for never comes.
import { disableInterrupts, driverState, enableInterrupts, getBufEventIdx, NO_NOTIFY, publishAvail, vringNeedEvent, writeChain } from './ring.js';

export const setup = driverState;

export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head === undefined) return undefined;
  vq.snapshot = port.params.eventIdx ? port.load('used.avail_event') : port.load('used.flags');
  publishAvail(port, vq);
  return head;
}

export function kick(port, vq) {
  port.mb();
  const old = vq.oldKick;
  vq.oldKick = vq.availIdx;
  const need = port.params.eventIdx ? vringNeedEvent(vq.snapshot, vq.availIdx, old) : (vq.snapshot & NO_NOTIFY) === 0;
  if (need) port.notify('kick');
}

export const getBuf = getBufEventIdx;
export const disableCb = disableInterrupts;
export const enableCb = enableInterrupts;
