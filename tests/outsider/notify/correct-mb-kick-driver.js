// Split driver whose kick is split in two as Linux splits virtqueue_kick into
// virtqueue_kick_prepare and virtqueue_notify: the decision is taken after a full barrier, then
// some bookkeeping (a peek at used.idx for statistics) and another barrier stand between it and the
// doorbell write.
import { disableInterrupts, driverState, enableInterrupts, getBufEventIdx, NO_NOTIFY, publishAvail, vringNeedEvent, writeChain } from './ring.js';

export const setup = (port) => ({ ...driverState(port), peeks: 0 });

export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head !== undefined) publishAvail(port, vq);
  return head;
}

function kickPrepare(port, vq) {
  port.mb();
  const old = vq.oldKick;
  vq.oldKick = vq.availIdx;
  if (port.params.eventIdx) return vringNeedEvent(port.load('used.avail_event'), vq.availIdx, old);
  return (port.load('used.flags') & NO_NOTIFY) === 0;
}

export function kick(port, vq) {
  const need = kickPrepare(port, vq);
  vq.peeks += port.load('used.idx') === vq.lastUsed ? 0 : 1;
  port.mb(); // a virtio_mb before the doorbell, as some transports do
  if (need) port.notify('kick');
}

export const getBuf = getBufEventIdx;
export const disableCb = disableInterrupts;
export const enableCb = enableInterrupts;
