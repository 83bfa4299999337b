/**
 * VirtioMsgDriver: the driver side of the virtio-msg transport as a sans-IO state machine. The
 * host sends what next() returns and feeds back what arrives; the driver never touches a channel
 * or a clock.
 *
 *   const drv = new VirtioMsgDriver({ wanted: [F.VERSION_1, F.RING_RESET] });
 *   const init = drv.init([{ index: 0, size: 8, descAddr: 0x1000n, driverAddr: 0x2000n, deviceAddr: 0x3000n }]);
 *   while (!init.done) {
 *     const out = drv.next();
 *     if (out) bus.send(out); else drv.receive(await bus.receive());
 *   }
 *
 * Operations (init, probe, reset, negotiate = acknowledge + negotiateFeatures, setupQueue,
 * readConfig, writeConfig, driverOk, enableQueue, resetQueue, request) run one at a time, in the order asked, each a generator that yields
 * requests and is resumed with their responses: one function per operation, as the draft's
 * initialisation sequence reads. At most one request is outstanding. Events (EVENT_CONFIG,
 * EVENT_USED) are taken at any time. notify() sends EVENT_AVAIL at once (it needs no response).
 */
import { decode, isResponseTo, MsgError, responseKindOf } from '../../../harness/msg/codec.ts';
import {
  RECOMMENDED_MAX_MSG_SIZE, STATUS, VQ_IGNORE_DESC, VQ_IGNORE_DEVICE, VQ_IGNORE_DRIVER, VQ_IGNORE_SIZE, VQ_STATE,
  type Body, type EventConfig, type GetDeviceInfoResp, type GetVqueueResp, type Message, type MessageOf,
} from '../../../harness/msg/types.ts';
import { acceptable, describeFeatures, F, toBlocks, unmetDependencies, withBlocks, type Dependencies, type FeatureSet } from './features.ts';

export interface DriverOptions {
  /** The device number to talk to. Default 0. */
  readonly devNum?: number;
  /** Feature bits the driver understands and would use. */
  readonly wanted: readonly number[];
  /** feature -> features it requires; the driver accepts only sets closed under these. */
  readonly dependencies?: Dependencies;
  /** The bus's configuration profile (transport feature bit 0). Default 'strict'. */
  readonly profile?: 'strict' | 'baseline';
  /** Bytes per GET_CONFIG; default as many as fit in a message. */
  readonly chunkBytes?: number;
  /** The bus's maximum message size. Default 264. */
  readonly maxMessageSize?: number;
  /** Attempts of a config read or write before it fails (the device keeps changing it). Default 8. */
  readonly configRetries?: number;
}

export interface QueueSetup {
  readonly index: number;
  readonly size: number;
  readonly descAddr: bigint;
  readonly driverAddr: bigint;
  readonly deviceAddr: bigint;
  /** Enable now (default), or only configure it (enable later with enableQueue). */
  readonly enable?: boolean;
}

/** A running or finished operation. */
export interface Operation<T> {
  readonly name: string;
  readonly done: boolean;
  readonly result?: T;
  /** Why it failed (the driver then marks the device FAILED). */
  readonly error?: string;
}

/** A driver operation: yields request bodies, resumed with each response. */
export type Steps<T> = Generator<Body, T, Message>;

export class DriverError extends Error {}

interface Running {
  readonly op: { name: string; done: boolean; result?: unknown; error?: string };
  readonly steps: Steps<unknown>;
  /** The request the operation waits to send, or has sent (then `sent` is set). */
  pending?: Body;
  sent?: Message;
}

export class VirtioMsgDriver {
  readonly devNum: number;
  readonly maxMessageSize: number;
  protected readonly opts: DriverOptions;
  protected readonly queue: Running[] = [];
  protected current: Running | undefined;
  protected readonly outbox: Message[] = [];
  protected nextToken = 1;

  /** GET_DEVICE_INFO, once probed. */
  info: GetDeviceInfoResp | undefined;
  /** The status the device last reported (or the driver last wrote, before an answer). */
  status = 0;
  /** Offered features from GET_DEVICE_FEATURES. */
  offered: FeatureSet = new Set();
  /** Features accepted by the device at FEATURES_OK. */
  negotiated: FeatureSet | undefined;
  /** The driver's copy of the config and the generation it is at. */
  config: number[] = [];
  generation = 0;
  /** A generic EVENT_CONFIG arrived (no data): the copy may be stale. */
  configStale = false;
  /** EVENT_USED received, per queue. */
  readonly usedEvents = new Map<number, number>();
  /** The device reported DEVICE_NEEDS_RESET. */
  needsReset = false;
  /** Set once an operation failed. */
  failed: string | undefined;

  constructor(opts: DriverOptions) {
    this.opts = opts;
    this.devNum = opts.devNum ?? 0;
    this.maxMessageSize = opts.maxMessageSize ?? RECOMMENDED_MAX_MSG_SIZE;
  }

  // Sans-IO plumbing ------------------------------------------------------------------------------

  /** The next message to send, or undefined when the driver waits for the device (or has nothing to do). */
  next(): Message | undefined {
    const event = this.outbox.shift();
    if (event) return event;
    this.advance();
    const r = this.current;
    if (!r?.pending || r.sent) return undefined;
    const m = { ...r.pending, devNum: this.devNum, token: this.nextToken } as Message;
    this.nextToken = this.nextToken >= 0xffff ? 1 : this.nextToken + 1;
    r.sent = m;
    return m;
  }

  /** The request sent and not yet answered. */
  get awaiting(): Message | undefined {
    return this.current?.sent;
  }

  /** Nothing running, queued or to send. */
  get idle(): boolean {
    this.advance();
    return this.current === undefined && this.outbox.length === 0;
  }

  /** Decodes bytes as a driver must (reserved bits ignored, as the device does); malformed input is discarded. */
  receiveBytes(bytes: Uint8Array): MsgError | undefined {
    try {
      this.receive(decode(bytes, { maxSize: this.maxMessageSize, reserved: 'ignore' }));
      return undefined;
    } catch (e) {
      if (e instanceof MsgError) return e;
      throw e;
    }
  }

  /** A message from the device: the response awaited, or an event. Anything else is discarded. */
  receive(m: Message): void {
    if (m.devNum !== this.devNum) return;
    if (m.kind === 'EVENT_CONFIG') return this.onEventConfig(m);
    if (m.kind === 'EVENT_USED') {
      this.usedEvents.set(m.vqIndex, (this.usedEvents.get(m.vqIndex) ?? 0) + 1);
      return;
    }
    const r = this.current;
    if (!r?.sent || !isResponseTo(m, r.sent)) return;
    if (m.kind === 'SET_DEVICE_STATUS_RESP' || m.kind === 'GET_DEVICE_STATUS_RESP') this.status = m.status;
    r.pending = undefined;
    r.sent = undefined;
    this.step(r, m);
  }

  // Operations -----------------------------------------------------------------------------------

  /** Runs a sequence of requests of the caller's (a test, a probe). */
  run<T>(name: string, steps: (d: this) => Steps<T>): Operation<T> {
    const op = { name, done: false } as { name: string; done: boolean; result?: T; error?: string };
    this.queue.push({ op, steps: steps(this) as Steps<unknown> });
    return op;
  }

  /** One request, answered. */
  request(body: Body): Operation<Message> {
    return this.run(`request ${body.kind}`, function* (): Steps<Message> { return yield body; });
  }

  /** The whole initialisation of the draft: probe, reset, negotiate, read config, set up queues, DRIVER_OK. */
  init(queues: readonly QueueSetup[]): Operation<void> {
    return this.run('init', function* (d) {
      yield* d.probeSteps();
      yield* d.resetSteps();
      yield* d.negotiateSteps();
      yield* d.readConfigSteps();
      for (const q of queues) yield* d.setupQueueSteps(q);
      yield* d.driverOkSteps();
    });
  }

  probe(): Operation<GetDeviceInfoResp> { return this.run('probe', (d) => d.probeSteps()); }
  reset(): Operation<void> { return this.run('reset', (d) => d.resetSteps()); }
  negotiate(): Operation<FeatureSet> { return this.run('negotiate', (d) => d.negotiateSteps()); }
  acknowledge(): Operation<void> { return this.run('acknowledge', (d) => d.acknowledgeSteps()); }
  negotiateFeatures(): Operation<FeatureSet> { return this.run('features', (d) => d.featuresSteps()); }
  setupQueue(q: QueueSetup): Operation<GetVqueueResp> { return this.run(`setup queue ${q.index}`, (d) => d.setupQueueSteps(q)); }
  enableQueue(index: number): Operation<GetVqueueResp> { return this.run(`enable queue ${index}`, (d) => d.enableQueueSteps(index)); }
  resetQueue(index: number): Operation<void> { return this.run(`reset queue ${index}`, (d) => d.resetQueueSteps(index)); }
  driverOk(): Operation<void> { return this.run('driver ok', (d) => d.driverOkSteps()); }
  readConfig(): Operation<number[]> { return this.run('read config', (d) => d.readConfigSteps()); }
  /** A read-modify-write of config bytes [offset, offset + length): `update` is called again after a rejection. */
  writeConfig(offset: number, length: number, update: (current: number[]) => number[]): Operation<boolean> {
    return this.run('write config', (d) => d.writeConfigSteps(offset, length, update));
  }

  /** Sends EVENT_AVAIL for the queue (next_offset only with VIRTIO_F_NOTIFICATION_DATA). */
  notify(index: number, nextOffset = 0): void {
    const data = this.negotiated?.has(F.NOTIFICATION_DATA) ?? false;
    this.outbox.push({ kind: 'EVENT_AVAIL', devNum: this.devNum, token: 0, vqIndex: index, nextOffset: data ? nextOffset >>> 0 : 0 });
  }

  // Steps ----------------------------------------------------------------------------------------

  protected *ask<K extends Message['kind']>(body: Body): Steps<MessageOf<K>> {
    const r = yield body;
    const want = responseKindOf(body.kind);
    if (r.kind !== want) throw new DriverError(`${body.kind} answered by ${r.kind}`);
    return r as MessageOf<K>;
  }

  protected *probeSteps(): Steps<GetDeviceInfoResp> {
    this.info = yield* this.ask<'GET_DEVICE_INFO_RESP'>({ kind: 'GET_DEVICE_INFO' });
    return this.info;
  }

  /** Write 0, then poll until the device reports 0: only then is the reset complete. */
  protected *resetSteps(): Steps<void> {
    let s = (yield* this.ask<'SET_DEVICE_STATUS_RESP'>({ kind: 'SET_DEVICE_STATUS', status: 0 })).status;
    while (s !== 0) s = (yield* this.ask<'GET_DEVICE_STATUS_RESP'>({ kind: 'GET_DEVICE_STATUS' })).status;
    this.negotiated = undefined;
    this.failed = undefined;
    this.needsReset = false;
    this.usedEvents.clear();
  }

  /** Adds status bits; the device may refuse, and reports what it took. */
  protected *addStatus(bits: number): Steps<number> {
    // Status is a u32 on the wire: keep it unsigned (bit 31 set by a device must not turn negative).
    const r = yield* this.ask<'SET_DEVICE_STATUS_RESP'>({ kind: 'SET_DEVICE_STATUS', status: (this.status | bits) >>> 0 });
    return r.status;
  }

  /** ACKNOWLEDGE and DRIVER, then the features. */
  protected *negotiateSteps(): Steps<FeatureSet> {
    yield* this.acknowledgeSteps();
    return yield* this.featuresSteps();
  }

  /** ACKNOWLEDGE (a driver noticed the device), then DRIVER (it knows how to drive it). */
  protected *acknowledgeSteps(): Steps<void> {
    yield* this.addStatus(STATUS.ACKNOWLEDGE);
    const s = yield* this.addStatus(STATUS.DRIVER);
    if (!(s & STATUS.DRIVER)) throw new DriverError(`the device refused DRIVER (status ${s})`);
  }

  /** Read the offered features, accept a closed subset, set FEATURES_OK and check that it stuck. */
  protected *featuresSteps(): Steps<FeatureSet> {
    // Never trust the device's block count: ask only for the blocks the wanted features live in,
    // and never for more than one message can carry (found by the fuzzer: a claim of 2^32-1 blocks).
    const needed = Math.floor(Math.max(0, ...this.opts.wanted) / 32) + 1;
    const fit = Math.floor((this.maxMessageSize - 16) / 4);
    const blocks = Math.max(1, Math.min(this.info?.numFeatureBlocks ?? needed, needed, fit));
    const got = yield* this.ask<'GET_DEVICE_FEATURES_RESP'>({ kind: 'GET_DEVICE_FEATURES', blockIndex: 0, numBlocks: blocks });
    this.offered = withBlocks(new Set(), got.blockIndex, got.features);
    const accepted = this.chooseFeatures(this.offered);
    yield* this.ask({ kind: 'SET_DRIVER_FEATURES', blockIndex: 0, features: toBlocks(accepted, 0, blocks) });
    const s = yield* this.addStatus(STATUS.FEATURES_OK);
    if (!(s & STATUS.FEATURES_OK)) throw new DriverError(`the device refused FEATURES_OK for features ${describeFeatures(accepted)}`);
    this.negotiated = accepted;
    return accepted;
  }

  /** What the driver accepts: wanted and offered, closed under the dependencies (B30). */
  protected chooseFeatures(offered: FeatureSet): FeatureSet {
    const set = acceptable(new Set(this.opts.wanted), offered, this.opts.dependencies ?? {});
    const unmet = unmetDependencies(set, this.opts.dependencies ?? {});
    if (unmet.length) throw new DriverError(`feature set ${describeFeatures(set)} is not closed`);
    return set;
  }

  /** GET_VQUEUE for the maximum, SET_VQUEUE, then GET_VQUEUE to confirm (SET_VQUEUE may be a silent no-op). */
  protected *setupQueueSteps(q: QueueSetup): Steps<GetVqueueResp> {
    const before = yield* this.ask<'GET_VQUEUE_RESP'>({ kind: 'GET_VQUEUE', index: q.index });
    if (before.maxSize === 0) throw new DriverError(`queue ${q.index} is not available`);
    const size = Math.min(q.size, before.maxSize);
    const enable = q.enable ?? true;
    yield* this.ask({
      kind: 'SET_VQUEUE', index: q.index, flags: enable ? VQ_STATE.ENABLE : VQ_STATE.KEEP_DISABLED, size, reserved: 0,
      descAddr: q.descAddr, driverAddr: q.driverAddr, deviceAddr: q.deviceAddr,
    });
    const after = yield* this.ask<'GET_VQUEUE_RESP'>({ kind: 'GET_VQUEUE', index: q.index });
    if (after.curSize !== size || (after.flags & 1) !== (enable ? 1 : 0)) throw new DriverError(`queue ${q.index} did not take size ${size}${enable ? ' and enable' : ''}`);
    return after;
  }

  /** Enables a configured queue, keeping its parameters; confirmed with GET_VQUEUE. */
  protected *enableQueueSteps(index: number): Steps<GetVqueueResp> {
    yield* this.ask({
      kind: 'SET_VQUEUE', index, flags: VQ_STATE.ENABLE | VQ_IGNORE_SIZE | VQ_IGNORE_DESC | VQ_IGNORE_DRIVER | VQ_IGNORE_DEVICE,
      size: 0, reserved: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n,
    });
    const after = yield* this.ask<'GET_VQUEUE_RESP'>({ kind: 'GET_VQUEUE', index });
    if (!(after.flags & 1)) throw new DriverError(`queue ${index} did not enable`);
    return after;
  }

  /** RESET_VQUEUE, only with VIRTIO_F_RING_RESET negotiated. */
  protected *resetQueueSteps(index: number): Steps<void> {
    if (!this.negotiated?.has(F.RING_RESET)) throw new DriverError(`queue reset needs VIRTIO_F_RING_RESET (bit ${F.RING_RESET}), not negotiated`);
    yield* this.ask({ kind: 'RESET_VQUEUE', index });
  }

  protected *driverOkSteps(): Steps<void> {
    const s = yield* this.addStatus(STATUS.DRIVER_OK);
    if (!(s & STATUS.DRIVER_OK)) throw new DriverError(`the device refused DRIVER_OK (status ${s})`);
  }

  /** GET_CONFIG in chunks that must all report one generation, else read again. */
  protected *readConfigSteps(): Steps<number[]> {
    const size = this.info?.configSize ?? 0;
    const chunk = Math.max(1, Math.min(this.opts.chunkBytes ?? Number.MAX_SAFE_INTEGER, this.maxMessageSize - 20));
    for (let attempt = 0; attempt < (this.opts.configRetries ?? 8); attempt++) {
      const data: number[] = [];
      let gen: number | undefined;
      let stable = true;
      for (let offset = 0; offset < size && stable; offset += chunk) {
        const r = yield* this.ask<'GET_CONFIG_RESP'>({ kind: 'GET_CONFIG', offset, length: Math.min(chunk, size - offset) });
        stable = gen === undefined || r.generation === gen;
        gen = r.generation;
        data.push(...r.data);
      }
      if (stable) {
        this.config = data;
        this.generation = gen ?? this.generation;
        this.configStale = false;
        return data;
      }
    }
    throw new DriverError('the config kept changing during the read');
  }

  /** Strict profile: send the latest generation; on rejection re-read and decide the bytes again. */
  protected *writeConfigSteps(offset: number, length: number, update: (current: number[]) => number[]): Steps<boolean> {
    const strict = (this.opts.profile ?? 'strict') === 'strict';
    for (let attempt = 0; attempt < (this.opts.configRetries ?? 8); attempt++) {
      const data = update(this.config.slice(offset, offset + length));
      const r = yield* this.ask<'SET_CONFIG_RESP'>({ kind: 'SET_CONFIG', generation: strict ? this.generation : 0, offset, data });
      if (r.data.length > 0) {
        this.config.splice(offset, data.length, ...data);
        this.generation = r.generation;
        return true;
      }
      yield* this.readConfigSteps();
    }
    throw new DriverError('the config write kept being rejected');
  }

  // Events ---------------------------------------------------------------------------------------

  protected onEventConfig(m: EventConfig): void {
    if (m.deviceStatus & STATUS.DEVICE_NEEDS_RESET) this.needsReset = true;
    if (m.data.length > 0 && m.offset + m.data.length <= this.config.length) {
      this.config.splice(m.offset, m.data.length, ...m.data);
      this.generation = m.generation;
    } else if (m.length > 0 || m.offset === 0) {
      this.configStale = true;
    }
  }

  // Running operations ----------------------------------------------------------------------------

  /** Starts the next operation when none runs. */
  protected advance(): void {
    while (!this.current && this.queue.length) {
      const r = this.queue.shift()!;
      this.current = r;
      this.step(r, undefined);
    }
  }

  /** Resumes an operation with a response (or starts it); it stops at its next request or ends. */
  protected step(r: Running, response: Message | undefined): void {
    let it: IteratorResult<Body, unknown>;
    try {
      it = response === undefined ? r.steps.next(undefined as unknown as Message) : r.steps.next(response);
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      r.op.done = true;
      r.op.error = e.message;
      this.current = undefined;
      this.fail(e.message);
      return;
    }
    if (it.done) {
      r.op.done = true;
      r.op.result = it.value;
      this.current = undefined;
    } else {
      r.pending = it.value;
    }
  }

  /** An operation failed: tell the device (FAILED) and drop what was queued behind it. */
  protected fail(reason: string): void {
    this.failed = reason;
    for (const q of this.queue.splice(0)) {
      q.op.done = true;
      q.op.error = `not run: ${reason}`;
    }
    this.queue.push({ op: { name: 'failed', done: false }, steps: (function* (d: VirtioMsgDriver) { yield { kind: 'SET_DEVICE_STATUS', status: (d.status | STATUS.FAILED) >>> 0 } as Body; })(this) as Steps<unknown> });
  }
}
