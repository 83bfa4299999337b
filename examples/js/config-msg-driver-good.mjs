/**
 * A virtio-msg driver's config handling (config-msg) as a sans-IO object: each operation is a
 * generator that yields a request ({ kind, ...fields }, without devNum and token: the bus sets
 * those) and gets its response back. Validate it with:
 *
 *   npx virtio-verify validate --impl examples/js/config-msg-driver-good.mjs --role driver --scheme config-msg
 *
 * Strict profile: SET_CONFIG carries the generation the driver last learned, and the device
 * refuses a stale one; the driver then reads the config again and decides its write anew.
 */
export class Driver {
  constructor(options) {
    this.chunk = options.chunkBytes;
    this.size = 0;
    this.copy = [];
    this.gen = 0;
  }

  config() {
    return this.copy;
  }

  /** The generation the device reported last (a response or an event). */
  track(generation) {
    this.gen = generation;
  }

  *init() {
    this.size = (yield { kind: 'GET_DEVICE_INFO' }).configSize;
  }

  /** Chunks must all report one generation; if the config changed in between, start over. */
  *readConfig() {
    for (;;) {
      const data = [];
      let gen;
      for (let offset = 0; offset < this.size; offset += this.chunk) {
        const r = yield { kind: 'GET_CONFIG', offset, length: Math.min(this.chunk, this.size - offset) };
        if (gen !== undefined && r.generation !== gen) break;
        gen = r.generation;
        data.push(...r.data);
      }
      if (data.length === this.size) {
        this.copy = data;
        if (gen !== undefined) this.track(gen);
        return data;
      }
    }
  }

  *writeConfig(offset, length, update) {
    for (;;) {
      const data = update(this.copy.slice(offset, offset + length));
      const r = yield { kind: 'SET_CONFIG', generation: this.gen, offset, data };
      if (r.data.length > 0) {
        this.copy = [...this.copy.slice(0, offset), ...data, ...this.copy.slice(offset + data.length)];
        this.track(r.generation);
        return;
      }
      yield* this.readConfig(); // refused: the config moved on, so decide again from what is there now
    }
  }

  /** Write 0, then poll until the device reports 0: only then is the reset complete. */
  *reset() {
    let status = (yield { kind: 'SET_DEVICE_STATUS', status: 0 }).status;
    while (status !== 0) status = (yield { kind: 'GET_DEVICE_STATUS' }).status;
  }

  /** EVENT_CONFIG with data updates the copy; one without data asks for a re-read. */
  event(m) {
    if (m.kind !== 'EVENT_CONFIG') return false;
    if (m.data.length === 0) return true;
    this.copy = [...this.copy.slice(0, m.offset), ...m.data, ...this.copy.slice(m.offset + m.data.length)];
    this.track(m.generation);
    return false;
  }
}

export function createDriver(options) {
  return new Driver(options);
}
