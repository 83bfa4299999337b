// Split device that serves every head available at once, writes all their used elements, publishes
// used.idx once for the batch and takes one interrupt decision over the whole batch (vhost's
// vhost_add_used_n + vhost_signal).
import { chainOf, deviceState, disableKicks, enableKicks, nextHead, NO_INTERRUPT, publishUsed, vringNeedEvent, writeUsed } from './ring.js';

export const setup = deviceState;

export function processQueue(port, vq, serve) {
  disableKicks(port);
  for (;;) {
    let count = 0;
    for (let head; (head = nextHead(port, vq)) !== undefined; count++) writeUsed(port, vq, count, head, serve(chainOf(port, head)));
    if (count === 0) {
      if (enableKicks(port, vq)) return;
      disableKicks(port);
      continue;
    }
    publishUsed(port, vq, count);
    port.mb();
    const need = port.params.eventIdx
      ? vringNeedEvent(port.load('avail.used_event'), vq.usedIdx, vq.signalled)
      : (port.load('avail.flags') & NO_INTERRUPT) === 0;
    vq.signalled = vq.usedIdx;
    if (need) port.notify('used-irq');
  }
}
