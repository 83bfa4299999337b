/**
 * transport-msg-driver-good.mjs with the reset bug of Zephyr's virtio-mmio driver (issue 115149):
 * the poll after writing 0 tests BIT(0x70) instead of the status, so it never waits, and the driver
 * initialises a device whose reset (left running by a previous owner) is still in progress.
 * validate reports reset-completes violated:
 *
 *   npx virtio-verify validate --impl examples/js/transport-msg-driver-buggy.mjs --role driver --scheme transport-msg
 */
import { Driver } from './transport-msg-driver-good.mjs';

class BuggyDriver extends Driver {
  *reset() {
    let status = (yield { kind: 'SET_DEVICE_STATUS', status: 0 }).status;
    while (status & (1 << 0x70)) status = (yield { kind: 'GET_DEVICE_STATUS' }).status; // BUG: BIT(0x70)
    this.status = 0;
  }
}

export function createDriver(options) {
  return new BuggyDriver(options);
}
