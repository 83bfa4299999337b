// Split driver that reads the device's suppression state (for its statistics) but kicks after
// every batch whatever it says: spurious kicks, which the device must tolerate (spec 2.7.10:
// the driver SHOULD NOT kick when suppressed; the device copes if it does).
import { disableInterrupts, driverState, enableInterrupts, getBufEventIdx, NO_NOTIFY, publishAvail, vringNeedEvent, writeChain } from './ring.js';

export const setup = (port) => ({ ...driverState(port), spurious: 0 });

export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head !== undefined) publishAvail(port, vq);
  return head;
}

export function kick(port, vq) {
  port.mb();
  const old = vq.oldKick;
  vq.oldKick = vq.availIdx;
  const wanted = port.params.eventIdx
    ? vringNeedEvent(port.load('used.avail_event'), vq.availIdx, old)
    : (port.load('used.flags') & NO_NOTIFY) === 0;
  if (!wanted) vq.spurious++;
  port.notify('kick');
}

export const getBuf = getBufEventIdx;
export const disableCb = disableInterrupts;
export const enableCb = enableInterrupts;
