/**
 * config-msg-driver-good.mjs with the bug of an early Linux virtio-msg transport
 * (vireshk/linux-bkp virtio_msg_transport.c): it takes generations for a counter that only grows,
 * keeps the highest one seen and drops EVENT_CONFIG below it as old news. After a reset the device
 * counts from 0 again, so its next changes are dropped and the driver's copy stays stale:
 * validate reports copies-converge violated.
 *
 *   npx virtio-verify validate --impl examples/js/config-msg-driver-buggy.mjs --role driver --scheme config-msg
 */
import { Driver } from './config-msg-driver-good.mjs';

class BuggyDriver extends Driver {
  track(generation) {
    this.gen = Math.max(this.gen, generation); // BUG: the draft says generations are not monotonic
  }

  event(m) {
    if (m.kind === 'EVENT_CONFIG' && m.generation < this.gen) return false; // BUG: "old" event dropped
    return super.event(m);
  }
}

export function createDriver(options) {
  return new BuggyDriver(options);
}
