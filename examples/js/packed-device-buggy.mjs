// BUGGY packed-ring device: it flips a descriptor's AVAIL/USED flags to "used" BEFORE it writes
// the used id and len. A driver that sees the flags in between reads the id and len it wrote
// itself when it made the list available, and takes back the wrong buffer or length. validate
// reports publish-order violated, with the shrunk schedule. Everything else is
// examples/js/packed-device-good.mjs.
//   npx virtio-verify validate --impl examples/js/packed-device-buggy.mjs --role device --scheme vring-packed

import { advanceUsed, processQueue as serveQueue, STEPS } from './packed-device-good.mjs';
import { usedBits, VIRTQ_DESC_F_WRITE } from './virtio-ring.mjs';
export { setup } from './packed-device-good.mjs';

export function processQueue(port, vq, serve) {
  serveQueue(port, vq, serve, { ...STEPS, pushUsed: pushUsedFlagsFirst });
}

function pushUsedFlagsFirst(port, vq, list, len) {
  const d = `desc[${vq.usedIdx}]`;
  port.store(`${d}.flags`, usedBits(vq.usedWrap) | (len > 0 ? VIRTQ_DESC_F_WRITE : 0)); // BUG: "used" first ...
  port.wmb();
  port.store(`${d}.id`, list.id); // ... what the driver should read afterwards
  port.store(`${d}.len`, len);
  advanceUsed(port, vq, list.count);
}
