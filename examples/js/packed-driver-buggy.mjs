// BUGGY packed-ring driver: getBuf reads the descriptor's id and len BEFORE it checks the flags
// (and with no read barrier between), so it reads them while the device still owns the
// descriptor: the values are its own from when it made the list available, or the device's
// half-written ones. It only uses them once the flags say "used", which hides the bug in most
// runs. validate reports descriptor-ownership violated, with the shrunk schedule. Everything else
// is examples/js/packed-driver-good.mjs.
//   npx virtio-verify validate --impl examples/js/packed-driver-buggy.mjs --role driver --scheme vring-packed

import { takeBack } from './packed-driver-good.mjs';
import { isUsed } from './virtio-ring.mjs';
export { setup, addBuffer, kick, disableCb, enableCb } from './packed-driver-good.mjs';

export function getBuf(port, vq) {
  const d = `desc[${vq.lastUsed}]`;
  const id = port.load(`${d}.id`); // BUG: id and len first ...
  const len = port.load(`${d}.len`);
  if (!isUsed(port.load(`${d}.flags`), vq.usedWrap)) return undefined; // ... the flags that make them valid afterwards
  return takeBack(port, vq, id, len);
}
