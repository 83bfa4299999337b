// BUGGY split-ring driver: it bumps avail.idx BEFORE it puts the head into avail.ring. A device
// that reads avail.idx in between takes whatever head the slot held before (nothing, or a chain
// it already used). validate reports publish-order violated, with the shrunk schedule.
// Everything else is examples/js/split-driver-good.mjs.
//   npx virtio-verify validate --impl examples/js/split-driver-buggy.mjs --role driver --scheme vring-split

import { writeChain } from './split-driver-good.mjs';
import { u16 } from './virtio-ring.mjs';
export { setup, kick, getBuf, disableCb, enableCb } from './split-driver-good.mjs';

export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head === undefined) return undefined;
  const slot = vq.availIdx & (port.params.queueSize - 1);
  port.wmb();
  vq.availIdx = u16(vq.availIdx + 1);
  port.store('avail.idx', vq.availIdx); // BUG: the index first ...
  port.store(`avail.ring[${slot}]`, head); // ... the ring entry it exposes afterwards
  return head;
}
