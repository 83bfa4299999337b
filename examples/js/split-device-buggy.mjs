// BUGGY split-ring device: it publishes used.idx BEFORE it writes the used element. Between the
// two the driver can see the new used.idx, read used.ring[slot] and take back a stale {id, len}
// (a head it never got back, or one it already freed). validate reports publish-order violated,
// with the shrunk schedule. Everything else is examples/js/split-device-good.mjs.
//   npx virtio-verify validate --impl examples/js/split-device-buggy.mjs --role device --scheme vring-split

import { processQueue as serveQueue, STEPS } from './split-device-good.mjs';
import { u16 } from './virtio-ring.mjs';
export { setup } from './split-device-good.mjs';

export function processQueue(port, vq, serve) {
  serveQueue(port, vq, serve, { ...STEPS, pushUsed: pushUsedIndexFirst });
}

function pushUsedIndexFirst(port, vq, head, len) {
  const slot = vq.usedIdx & (port.params.queueSize - 1);
  vq.usedIdx = u16(vq.usedIdx + 1);
  port.store('used.idx', vq.usedIdx); // BUG: the index first ...
  port.wmb();
  port.store(`used.ring[${slot}].id`, head); // ... the element it publishes afterwards
  port.store(`used.ring[${slot}].len`, len);
}
