/**
 * transport-msg-device-good.mjs with a bug Firecracker's virtio transport had (3872d97e): queue
 * writes are accepted whatever the device status, so a SET_VQUEUE sent before FEATURES_OK (before
 * the features, and hence the queue layout, are settled) sets a queue up. validate reports
 * queue-state-rules violated, with the schedule:
 *
 *   npx virtio-verify validate --impl examples/js/transport-msg-device-buggy.mjs --role device --scheme transport-msg
 */
import { Device } from './transport-msg-device-good.mjs';

class BuggyDevice extends Device {
  queueWritesAllowed() {
    return true; // BUG: the status is not looked at
  }
}

export function createDevice(options) {
  return new BuggyDevice(options);
}
