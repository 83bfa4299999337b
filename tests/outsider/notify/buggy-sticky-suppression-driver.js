// BUG: a split driver that, once the device said "no kick needed", remembers that and stops
// reading the suppression state: when the device turns kicks back on (avail_event = its
// last_avail, or used.flags = 0) and sleeps, the driver's next buffers get no kick.
import { disableInterrupts, driverState, enableInterrupts, getBufEventIdx, NO_NOTIFY, publishAvail, vringNeedEvent, writeChain } from './ring.js';

export const setup = (port) => ({ ...driverState(port), suppressed: false });

export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head !== undefined) publishAvail(port, vq);
  return head;
}

export function kick(port, vq) {
  const old = vq.oldKick;
  vq.oldKick = vq.availIdx;
  if (vq.suppressed) return; // the device told us it is busy
  port.mb();
  const need = port.params.eventIdx
    ? vringNeedEvent(port.load('used.avail_event'), vq.availIdx, old)
    : (port.load('used.flags') & NO_NOTIFY) === 0;
  if (need) port.notify('kick');
  else vq.suppressed = true;
}

export const getBuf = getBufEventIdx;
export const disableCb = disableInterrupts;
export const enableCb = enableInterrupts;
