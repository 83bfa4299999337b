/**
 * A virtio-msg device (transport-msg) as a sans-IO object: messages in, messages out, no memory,
 * no clock. Validate it with:
 *
 *   npx virtio-verify validate --impl examples/js/transport-msg-device-good.mjs --role device --scheme transport-msg
 *
 * Messages are values in the shape of harness/msg/types.ts ({ kind: 'GET_VQUEUE', devNum, token,
 * index }); le64 fields are bigints. The device's config is read-only and resets complete at once.
 */
const ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 64, FAILED = 128;
const INIT_ORDER = [ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK];
const NOTIFICATION_DATA = 38, RING_RESET = 40;
// SET_VQUEUE flags: bits 1:0 the state (0 keep disabled, 1 enable, 2 keep, 3 reserved), then
// "ignore" bits for size, desc, driver and device addresses; bits 31:6 reserved.
const ENABLE = 1, IGNORE_SIZE = 4, IGNORE_DESC = 8, IGNORE_DRIVER = 16, IGNORE_DEVICE = 32;

const unconfigured = () => ({ enabled: false, size: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n });

export class Device {
  constructor(options) {
    this.o = options;
    this.devNum = options.devNum ?? 0;
    this.status = options.initialStatus ?? 0;
    this.driverFeatures = new Set();
    this.queues = Array.from({ length: options.maxVirtqueues }, unconfigured);
  }

  // -- the interface validate calls ------------------------------------------------------------

  receive(m) {
    if (m.devNum !== this.devNum) return [];
    const handler = this[`on_${m.kind}`];
    return handler ? handler.call(this, m) : []; // responses, events and unknown requests: discarded
  }

  /** The host used the buffers of queue i: tell the driver, if the queue is still live. */
  used(i) {
    return this.live(i) ? [{ kind: 'EVENT_USED', devNum: this.devNum, token: 0, vqIndex: i }] : [];
  }

  state() {
    return { status: this.status, driverFeatures: this.driverFeatures, queues: this.queues };
  }

  // -- rules -------------------------------------------------------------------------------------

  reply(req, body) {
    return { ...body, devNum: this.devNum, token: req.token };
  }

  validIndex(i) {
    return i >>> 0 < this.queues.length;
  }

  live(i) {
    return this.validIndex(i) && (this.status & DRIVER_OK) !== 0 && (this.status & NEEDS_RESET) === 0 && this.queues[i].enabled;
  }

  negotiated(bit) {
    return (this.status & FEATURES_OK) !== 0 && this.driverFeatures.has(bit);
  }

  /** Queue writes only between FEATURES_OK and a reset (not after FAILED or NEEDS_RESET). */
  queueWritesAllowed() {
    return (this.status & FEATURES_OK) !== 0 && (this.status & (FAILED | NEEDS_RESET)) === 0;
  }

  acceptable(set) {
    const { offered, required = [], dependencies = {} } = this.o;
    return [...set].every((b) => offered.includes(b) && (dependencies[b] ?? []).every((d) => set.has(d)))
      && required.every((b) => set.has(b));
  }

  /** A non-zero status write may only add bits, in the order ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK (or FAILED). */
  nextStatus(requested) {
    const old = this.status;
    if ((old & requested) !== old) return old;
    if (requested & ~(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK | FAILED)) return old;
    const firstMissing = INIT_ORDER.findIndex((b) => !(requested & b));
    if (firstMissing >= 0 && INIT_ORDER.slice(firstMissing).some((b) => requested & b)) return old;
    if (requested & FEATURES_OK & ~old && !this.acceptable(this.driverFeatures)) return requested & ~(FEATURES_OK | DRIVER_OK);
    return requested;
  }

  /** A queue that becomes live may already hold buffers: look at it as if notified. */
  kick(i) {
    return this.live(i) ? [{ process: i }] : [];
  }

  // -- messages ----------------------------------------------------------------------------------

  on_GET_DEVICE_INFO(m) {
    return [this.reply(m, {
      kind: 'GET_DEVICE_INFO_RESP', deviceId: this.o.deviceId, vendorId: 0, uuid: new Array(16).fill(0),
      numFeatureBlocks: Math.floor(Math.max(...this.o.offered) / 32) + 1, configSize: this.o.config.length,
      maxVirtqueues: this.queues.length, adminVqStart: 0, adminVqCount: 0,
    })];
  }

  on_GET_DEVICE_FEATURES(m) {
    const count = Math.min(m.numBlocks, Math.floor((this.o.maxMessageSize - 16) / 4));
    const features = Array.from({ length: count }, (_, k) => this.o.offered
      .filter((b) => Math.floor(b / 32) === m.blockIndex + k).reduce((w, b) => (w | (1 << (b % 32))) >>> 0, 0));
    return [this.reply(m, { kind: 'GET_DEVICE_FEATURES_RESP', blockIndex: m.blockIndex, features })];
  }

  on_SET_DRIVER_FEATURES(m) {
    if (this.status & DRIVER && !(this.status & FEATURES_OK)) {
      const kept = [...this.driverFeatures].filter((b) => Math.floor(b / 32) < m.blockIndex || Math.floor(b / 32) >= m.blockIndex + m.features.length);
      m.features.forEach((w, k) => { for (let i = 0; i < 32; i++) if ((w >>> i) & 1) kept.push(32 * (m.blockIndex + k) + i); });
      this.driverFeatures = new Set(kept);
    }
    return [this.reply(m, { kind: 'SET_DRIVER_FEATURES_RESP' })];
  }

  on_GET_CONFIG(m) {
    const fits = m.offset + m.length <= this.o.config.length;
    return [this.reply(m, { kind: 'GET_CONFIG_RESP', generation: 0, offset: m.offset, data: fits ? this.o.config.slice(m.offset, m.offset + m.length) : [] })];
  }

  /** The config is read-only here: every write is answered "not applied" (length 0). */
  on_SET_CONFIG(m) {
    return [this.reply(m, { kind: 'SET_CONFIG_RESP', generation: 0, offset: m.offset, data: [] })];
  }

  on_GET_DEVICE_STATUS(m) {
    return [this.reply(m, { kind: 'GET_DEVICE_STATUS_RESP', status: this.status })];
  }

  on_SET_DEVICE_STATUS(m) {
    if (m.status === 0) {
      this.status = 0;
      this.driverFeatures = new Set();
      this.queues = this.queues.map(unconfigured);
      return [this.reply(m, { kind: 'SET_DEVICE_STATUS_RESP', status: 0 })];
    }
    const old = this.status;
    this.status = this.nextStatus(m.status);
    const kicks = this.status & DRIVER_OK & ~old ? this.queues.flatMap((_, i) => this.kick(i)) : [];
    return [this.reply(m, { kind: 'SET_DEVICE_STATUS_RESP', status: this.status }), ...kicks];
  }

  on_GET_VQUEUE(m) {
    const q = this.validIndex(m.index) ? this.queues[m.index] : undefined;
    return [this.reply(m, {
      kind: 'GET_VQUEUE_RESP', index: m.index, maxSize: q ? this.o.queueMaxSize : 0, curSize: q?.size ?? 0, flags: q?.enabled ? 1 : 0,
      descAddr: q?.descAddr ?? 0n, driverAddr: q?.driverAddr ?? 0n, deviceAddr: q?.deviceAddr ?? 0n,
    })];
  }

  /** All or nothing, never on an enabled queue, only with a power-of-two size up to the maximum. */
  on_SET_VQUEUE(m) {
    const done = [this.reply(m, { kind: 'SET_VQUEUE_RESP' })];
    const q = this.validIndex(m.index) ? this.queues[m.index] : undefined;
    if (!q || q.enabled || !this.queueWritesAllowed()) return done;
    const state = m.flags & 3;
    if (m.reserved !== 0 || m.flags >>> 6 !== 0 || state === 3) return done;
    const size = m.flags & IGNORE_SIZE ? q.size : m.size;
    const enable = state === ENABLE;
    if ((!(m.flags & IGNORE_SIZE) || enable) && !(size >= 1 && size <= this.o.queueMaxSize && (size & (size - 1)) === 0)) return done;
    this.queues[m.index] = {
      enabled: enable, size,
      descAddr: m.flags & IGNORE_DESC ? q.descAddr : m.descAddr,
      driverAddr: m.flags & IGNORE_DRIVER ? q.driverAddr : m.driverAddr,
      deviceAddr: m.flags & IGNORE_DEVICE ? q.deviceAddr : m.deviceAddr,
    };
    return enable ? [...done, ...this.kick(m.index)] : done;
  }

  on_RESET_VQUEUE(m) {
    if (this.validIndex(m.index) && this.negotiated(RING_RESET) && this.queueWritesAllowed()) this.queues[m.index] = unconfigured();
    return [this.reply(m, { kind: 'RESET_VQUEUE_RESP' })];
  }

  on_GET_SHM(m) {
    return [this.reply(m, { kind: 'GET_SHM_RESP', shmid: m.shmid, reserved: 0, length: 0n, address: 0n })];
  }

  /** A notification: look at the queue only if it is live. */
  on_EVENT_AVAIL(m) {
    if (!this.live(m.vqIndex)) return [];
    return [this.negotiated(NOTIFICATION_DATA) ? { process: m.vqIndex, nextOffset: m.nextOffset & 0x7fffffff } : { process: m.vqIndex }];
  }
}

export function createDevice(options) {
  return new Device(options);
}
