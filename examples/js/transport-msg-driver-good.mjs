/**
 * A virtio-msg driver (transport-msg) as a sans-IO object: each operation is a generator that
 * yields a request ({ kind, ...fields }, without devNum and token: the bus sets those) and gets
 * its response back. Validate it with:
 *
 *   npx virtio-verify validate --impl examples/js/transport-msg-driver-good.mjs --role driver --scheme transport-msg
 */
const ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, FAILED = 128;
const NOTIFICATION_DATA = 38, RING_RESET = 40;
// SET_VQUEUE flags: 1 enable; 4, 8, 16, 32: keep the size, desc, driver, device address.
const ENABLE = 1, KEEP_ALL = 4 | 8 | 16 | 32;

export class Driver {
  constructor(options) {
    this.o = options;
    this.status = 0;
    this.features = new Set();
    this.config = [];
  }

  *setStatus(bits) {
    this.status = (yield { kind: 'SET_DEVICE_STATUS', status: (this.status | bits) >>> 0 }).status;
    return this.status;
  }

  /** Write 0, then poll until the device reports 0: only then is the reset complete. */
  *reset() {
    let status = (yield { kind: 'SET_DEVICE_STATUS', status: 0 }).status;
    while (status !== 0) status = (yield { kind: 'GET_DEVICE_STATUS' }).status;
    this.status = 0;
  }

  *init(queues) {
    const info = yield { kind: 'GET_DEVICE_INFO' };
    yield* this.reset();
    yield* this.setStatus(ACKNOWLEDGE);
    yield* this.setStatus(DRIVER);
    yield* this.negotiate(info.numFeatureBlocks);
    const chunk = this.o.maxMessageSize - 20;
    for (let offset = 0; offset < info.configSize; offset += chunk) {
      this.config.push(...(yield { kind: 'GET_CONFIG', offset, length: Math.min(chunk, info.configSize - offset) }).data);
    }
    for (const q of queues) yield* this.setupQueue(q);
  }

  /** Wanted and offered, closed under the dependencies; FEATURES_OK must read back. */
  *negotiate(deviceBlocks) {
    const blocks = Math.min(deviceBlocks, Math.floor(Math.max(...this.o.wanted) / 32) + 1);
    const { features } = yield { kind: 'GET_DEVICE_FEATURES', blockIndex: 0, numBlocks: blocks };
    const offered = (b) => ((features[Math.floor(b / 32)] ?? 0) >>> (b % 32)) & 1;
    const chosen = new Set(this.o.wanted.filter(offered));
    const lacking = (b) => (this.o.dependencies[b] ?? []).some((d) => !chosen.has(d));
    while ([...chosen].some(lacking)) for (const b of [...chosen]) if (lacking(b)) chosen.delete(b);
    const words = Array.from({ length: blocks }, (_, k) => [...chosen].filter((b) => Math.floor(b / 32) === k).reduce((w, b) => (w | (1 << (b % 32))) >>> 0, 0));
    yield { kind: 'SET_DRIVER_FEATURES', blockIndex: 0, features: words };
    if (!((yield* this.setStatus(FEATURES_OK)) & FEATURES_OK)) {
      yield* this.setStatus(FAILED);
      throw new Error(`the device refused features ${[...chosen].join(', ')}`);
    }
    this.features = chosen;
  }

  *setupQueue(q) {
    const { maxSize } = yield { kind: 'GET_VQUEUE', index: q.index };
    const size = Math.min(q.size, maxSize);
    yield {
      kind: 'SET_VQUEUE', index: q.index, flags: q.enable ? ENABLE : 0, size, reserved: 0,
      descAddr: q.descAddr, driverAddr: q.driverAddr, deviceAddr: q.deviceAddr,
    };
    const after = yield { kind: 'GET_VQUEUE', index: q.index };
    if (after.curSize !== size) throw new Error(`queue ${q.index} did not take size ${size}`);
  }

  *ready() {
    if (!((yield* this.setStatus(DRIVER_OK)) & DRIVER_OK)) throw new Error('the device refused DRIVER_OK');
  }

  *enableQueue(index) {
    yield { kind: 'SET_VQUEUE', index, flags: ENABLE | KEEP_ALL, size: 0, reserved: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n };
  }

  *resetQueue(index) {
    if (this.features.has(RING_RESET)) yield { kind: 'RESET_VQUEUE', index };
  }

  /** No notification before DRIVER_OK; next_offset only with VIRTIO_F_NOTIFICATION_DATA. */
  notify(index, nextOffset) {
    if (!(this.status & DRIVER_OK)) return undefined;
    return { kind: 'EVENT_AVAIL', vqIndex: index, nextOffset: this.features.has(NOTIFICATION_DATA) ? nextOffset : 0 };
  }

  event(m) {
    if (m.kind === 'EVENT_CONFIG' && m.data.length > 0) this.config.splice(m.offset, m.data.length, ...m.data);
  }
}

export function createDriver(options) {
  return new Driver(options);
}
