/**
 * VirtioMsgDevice: the device side of the virtio-msg transport (draft 009bce08, digest section 5)
 * as a sans-IO state machine. It never touches memory, a clock or a channel: the host feeds it the
 * messages it receives and executes what it returns.
 *
 *   const dev = new VirtioMsgDevice({ deviceId: 1, offered: [F.VERSION_1], maxVirtqueues: 2, queueMaxSize: 8 });
 *   for (const out of dev.receive(message)) {
 *     if (out.type === 'send') bus.send(out.message);            // a response or an event
 *     if (out.type === 'process-queue') { ...use buffers...; handle(dev.used(out.index)); }
 *   }
 *   handle(dev.tick());                                          // deferred work (async reset)
 *
 * Each rule of the draft is one protected method, so a test (or a mutant in models/transport-msg)
 * can replace exactly one rule by subclassing: `validQueueIndex`, `phaseAllows`,
 * `statusTransition`, `featuresAcceptable`, `onFeaturesOk`, `implicitKick`, `onEventAvail`,
 * `hasFeature`, `respond`, `queueFlags`, ...
 */
import { decode, MsgError } from '../../../harness/msg/codec.ts';
import {
  RECOMMENDED_MAX_MSG_SIZE, STATUS, VQ_ENABLED, VQ_FLAGS_RESERVED, VQ_IGNORE_DESC, VQ_IGNORE_DEVICE, VQ_IGNORE_DRIVER, VQ_IGNORE_SIZE, VQ_STATE,
  VQ_STATE_MASK, type Body, type EventAvail, type GetConfig, type GetDeviceFeatures, type GetShm, type GetVqueue, type Message,
  type ResetVqueue, type SetConfig, type SetDeviceStatus, type SetDriverFeatures, type SetVqueue,
} from '../../../harness/msg/types.ts';
import { F, toBlocks, unmetDependencies, withBlocks, type Dependencies, type FeatureSet } from './features.ts';

export interface QueueState {
  /** Largest size the device supports for this queue (0: the queue does not exist). */
  readonly maxSize: number;
  readonly enabled: boolean;
  /** Current size; 0 while unconfigured. */
  readonly size: number;
  readonly descAddr: bigint;
  readonly driverAddr: bigint;
  readonly deviceAddr: bigint;
}

export interface DeviceOptions {
  /** The device number the bus gave this device (dev_num of every message). Default 0. */
  readonly devNum?: number;
  /** virtio device type (GET_DEVICE_INFO device_id). */
  readonly deviceId: number;
  readonly vendorId?: number;
  /** 16 bytes; default the nil UUID. */
  readonly uuid?: readonly number[];
  /** Feature bits the device offers. */
  readonly offered: readonly number[];
  /** Bits without which the device refuses FEATURES_OK (a modern device requires VERSION_1). */
  readonly required?: readonly number[];
  /** feature -> features it requires: a driver-selected set must be closed under these. */
  readonly dependencies?: Dependencies;
  /** Initial config bytes (config_size is their number). */
  readonly config?: readonly number[];
  /** Queues 0 .. maxVirtqueues-1 exist. */
  readonly maxVirtqueues: number;
  /** Maximum size of each queue (one number for all, or one per queue). */
  readonly queueMaxSize: number | readonly number[];
  /** Transport feature VIRTIO_MSG_F_STRICT_CONFIG_GENERATION on the bus: 'strict'; else 'baseline'. */
  readonly profile?: 'strict' | 'baseline';
  /** 'async': a reset from a non-zero status answers at once with the old status and completes at the next tick(). */
  readonly resetCompletion?: 'sync' | 'async';
  /** Status at start (a device a bootloader left running starts at DRIVER_OK). Default 0. */
  readonly initialStatus?: number;
  /** Shared memory regions by shmid (GET_SHM). */
  readonly shm?: Readonly<Record<number, { readonly address: bigint; readonly length: bigint }>>;
  /** The bus's maximum message size; responses never exceed it. Default 264. */
  readonly maxMessageSize?: number;
}

/** What the host must do after a step. */
export type DeviceOutput =
  /** Send this message (a response or an event) to the driver. */
  | { readonly type: 'send'; readonly message: Message }
  /**
   * The queue may hold new buffers: examine its available ring and use what is there, then call
   * used(index). With VIRTIO_F_NOTIFICATION_DATA, `nextOffset` is the driver's next_off: process up
   * to it.
   */
  | { readonly type: 'process-queue'; readonly index: number; readonly nextOffset?: number }
  /** The queue was reset: forget its ring state. */
  | { readonly type: 'queue-reset'; readonly index: number }
  /** The device was reset: forget all ring state. */
  | { readonly type: 'device-reset' };

const BASE_ORDER = [STATUS.ACKNOWLEDGE, STATUS.DRIVER, STATUS.FEATURES_OK, STATUS.DRIVER_OK] as const;
const BASE_MASK = STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK;

/** Whether the init bits of `s` are a prefix of ACK, DRIVER, FEATURES_OK, DRIVER_OK. */
export function isStatusPrefix(s: number): boolean {
  let i = 0;
  while (i < BASE_ORDER.length && (s & BASE_ORDER[i])) i++;
  return BASE_ORDER.slice(i).every((b) => !(s & b));
}

function emptyQueue(maxSize: number): QueueState {
  return { maxSize, enabled: false, size: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n };
}

export class VirtioMsgDevice {
  readonly devNum: number;
  readonly maxVirtqueues: number;
  readonly maxMessageSize: number;
  readonly offered: FeatureSet;
  protected readonly opts: DeviceOptions;
  protected statusValue: number;
  protected driverSelected = new Set<number>();
  protected negotiatedSet: Set<number> | undefined;
  protected queues: QueueState[];
  protected configData: number[];
  protected gen = 0;
  protected resetPending = false;

  constructor(opts: DeviceOptions) {
    this.opts = opts;
    this.devNum = opts.devNum ?? 0;
    this.maxVirtqueues = opts.maxVirtqueues;
    this.maxMessageSize = opts.maxMessageSize ?? RECOMMENDED_MAX_MSG_SIZE;
    this.offered = new Set(opts.offered);
    this.statusValue = opts.initialStatus ?? 0;
    this.configData = [...(opts.config ?? [])];
    this.queues = Array.from({ length: opts.maxVirtqueues }, (_, i) => emptyQueue(this.maxSizeOf(i)));
  }

  // State ----------------------------------------------------------------------------------------

  get status(): number { return this.statusValue; }
  /** The driver-selected features (SET_DRIVER_FEATURES), whether or not FEATURES_OK was accepted. */
  get driverFeatures(): FeatureSet { return this.driverSelected; }
  /** The negotiated features, latched when FEATURES_OK was accepted; undefined before. */
  get negotiated(): FeatureSet | undefined { return this.negotiatedSet; }
  get config(): readonly number[] { return this.configData; }
  get generation(): number { return this.gen; }
  get resetInProgress(): boolean { return this.resetPending; }
  /** Whether deferred work (an asynchronous reset) waits for tick(). */
  get hasDeferredWork(): boolean { return this.resetPending; }
  queue(index: number): QueueState { return this.queueAt(index); }
  /** The device may use buffers of the queue and notify for it: DRIVER_OK, no NEEDS_RESET, queue enabled. */
  isLive(index: number): boolean {
    return this.validQueueIndex(index) && (this.statusValue & STATUS.DRIVER_OK) !== 0
      && (this.statusValue & STATUS.DEVICE_NEEDS_RESET) === 0 && this.queueAt(index).enabled;
  }

  // Input ----------------------------------------------------------------------------------------

  /** Decodes bytes as a device must (reserved header bits ignored); malformed input is discarded. */
  receiveBytes(bytes: Uint8Array): DeviceOutput[] {
    let m: Message;
    try {
      m = decode(bytes, { maxSize: this.maxMessageSize, reserved: 'ignore' });
    } catch (e) {
      if (e instanceof MsgError) return [];
      throw e;
    }
    return this.receive(m);
  }

  /** Handles one message from the driver. Messages for another device, responses and unknown ones are discarded. */
  receive(m: Message): DeviceOutput[] {
    if (m.devNum !== this.devNum) return [];
    switch (m.kind) {
      case 'GET_DEVICE_INFO': return this.onGetDeviceInfo(m);
      case 'GET_DEVICE_FEATURES': return this.onGetDeviceFeatures(m);
      case 'SET_DRIVER_FEATURES': return this.onSetDriverFeatures(m);
      case 'GET_CONFIG': return this.onGetConfig(m);
      case 'SET_CONFIG': return this.onSetConfig(m);
      case 'GET_DEVICE_STATUS': return [this.respond(m, { kind: 'GET_DEVICE_STATUS_RESP', status: this.statusValue })];
      case 'SET_DEVICE_STATUS': return this.onSetDeviceStatus(m);
      case 'GET_VQUEUE': return this.onGetVqueue(m);
      case 'SET_VQUEUE': return this.onSetVqueue(m);
      case 'RESET_VQUEUE': return this.onResetVqueue(m);
      case 'GET_SHM': return this.onGetShm(m);
      case 'EVENT_AVAIL': return this.onEventAvail(m);
      default: return [];
    }
  }

  /** Deferred work: completes an asynchronous reset. */
  tick(): DeviceOutput[] {
    if (!this.resetPending) return [];
    return this.completeReset();
  }

  // What the device's own side does ---------------------------------------------------------------

  /** The device changed its config: new bytes, new generation, EVENT_CONFIG to a bound driver. */
  changeConfig(offset: number, data: readonly number[]): DeviceOutput[] {
    this.configData.splice(offset, data.length, ...data);
    this.gen = (this.gen + 1) >>> 0;
    if (!(this.statusValue & STATUS.DRIVER)) return [];
    const fits = 24 + data.length <= this.maxMessageSize;
    const strict = (this.opts.profile ?? 'strict') === 'strict';
    return [this.event({
      kind: 'EVENT_CONFIG', deviceStatus: this.statusValue, generation: this.gen,
      offset: fits || strict ? offset : 0, length: fits || strict ? data.length : 0, data: fits ? [...data] : [],
    })];
  }

  /** The host used buffers of the queue: EVENT_USED, if the queue is live. */
  used(index: number): DeviceOutput[] {
    return this.isLive(index) ? [this.event({ kind: 'EVENT_USED', vqIndex: index })] : [];
  }

  /** An unrecoverable error: DEVICE_NEEDS_RESET, reported by EVENT_CONFIG once the driver is running. */
  needsReset(): DeviceOutput[] {
    this.statusValue |= STATUS.DEVICE_NEEDS_RESET;
    if (!(this.statusValue & STATUS.DRIVER_OK)) return [];
    return [this.event({ kind: 'EVENT_CONFIG', deviceStatus: this.statusValue, generation: this.gen, offset: 0, length: 0, data: [] })];
  }

  // Rules (one method each) -----------------------------------------------------------------------

  protected respond(req: Message, body: Body): DeviceOutput {
    return { type: 'send', message: { ...body, devNum: this.devNum, token: req.token } as Message };
  }

  protected event(body: Body): DeviceOutput {
    return { type: 'send', message: { ...body, devNum: this.devNum, token: 0 } as Message };
  }

  protected maxSizeOf(index: number): number {
    const m = this.opts.queueMaxSize;
    return typeof m === 'number' ? m : m[index] ?? 0;
  }

  /** A queue index names a queue only if, as an unsigned 32-bit number, it is below max_virtqueues (B19). */
  protected validQueueIndex(index: number): boolean {
    return index >>> 0 < this.maxVirtqueues;
  }

  /** The queue table, bounds-checked like memory-safe code: a bad index is a crash, not a silent read. */
  protected queueAt(index: number): QueueState {
    const q = this.queues[index];
    if (q === undefined) throw new RangeError(`queue table access at index ${index} (${this.queues.length} entries): out of bounds`);
    return q;
  }

  /** Which requests the current status allows (B27): features in DRIVER, queue and config writes from FEATURES_OK. */
  protected phaseAllows(kind: 'features' | 'queue' | 'config-write'): boolean {
    const s = this.statusValue;
    if (this.resetPending || s & (STATUS.FAILED | STATUS.DEVICE_NEEDS_RESET)) return false;
    if (kind === 'features') return (s & STATUS.DRIVER) !== 0 && (s & STATUS.FEATURES_OK) === 0;
    return (s & STATUS.FEATURES_OK) !== 0;
  }

  /** The status a non-zero write leads to: only rising along ACK, DRIVER, FEATURES_OK, DRIVER_OK, or FAILED. */
  protected statusTransition(old: number, requested: number): number {
    if ((old & requested) !== old) return old; // clears a bit: only a write of 0 may do that
    if (requested & STATUS.DEVICE_NEEDS_RESET & ~old) return old; // the device's bit, not the driver's
    if (requested & ~(BASE_MASK | STATUS.FAILED | STATUS.DEVICE_NEEDS_RESET)) return old; // SUSPEND and unknown bits
    if (!isStatusPrefix(requested)) return old; // skips a step of the sequence
    return requested;
  }

  /** Why a driver-selected set cannot be accepted at FEATURES_OK, or undefined (B30). */
  protected featuresAcceptable(set: FeatureSet): string | undefined {
    const notOffered = [...set].filter((b) => !this.offered.has(b));
    if (notOffered.length) return `bits ${notOffered.join(', ')} were not offered`;
    const unmet = unmetDependencies(set, this.opts.dependencies ?? {});
    if (unmet.length) return unmet.map((u) => `bit ${u.feature} requires bit ${u.requires}`).join('; ');
    const missing = (this.opts.required ?? []).filter((b) => !set.has(b));
    if (missing.length) return `required bits ${missing.join(', ')} missing`;
    return undefined;
  }

  /** What the device does with the features: latched once, on the 0 -> 1 edge of FEATURES_OK (B29). */
  protected onFeaturesOk(): void {
    this.negotiatedSet = new Set(this.driverSelected);
    this.featureSetup();
  }

  /** Sets the queues up for the negotiated features: every queue unconfigured. */
  protected featureSetup(): void {
    this.queues = this.queues.map((q) => emptyQueue(q.maxSize));
  }

  /** Behaviour depends on negotiated features only (B28). */
  protected hasFeature(bit: number): boolean {
    return this.negotiatedSet?.has(bit) ?? false;
  }

  /** A queue that becomes live may already hold buffers: look at it as if notified (B8). */
  protected implicitKick(index: number): DeviceOutput[] {
    return [{ type: 'process-queue', index }];
  }

  /** GET_VQUEUE flags: bit 0 enabled, bits 31:1 zero. */
  protected queueFlags(_index: number, q: QueueState): number {
    return q.enabled ? VQ_ENABLED : 0;
  }

  // Messages ---------------------------------------------------------------------------------------

  protected onGetDeviceInfo(m: Message): DeviceOutput[] {
    const highest = Math.max(-1, ...this.offered);
    return [this.respond(m, {
      kind: 'GET_DEVICE_INFO_RESP', deviceId: this.opts.deviceId, vendorId: this.opts.vendorId ?? 0,
      uuid: [...(this.opts.uuid ?? new Array<number>(16).fill(0))], numFeatureBlocks: Math.floor(highest / 32) + 1,
      configSize: this.configData.length, maxVirtqueues: this.maxVirtqueues, adminVqStart: 0, adminVqCount: 0,
    })];
  }

  protected onGetDeviceFeatures(m: GetDeviceFeatures): DeviceOutput[] {
    const fit = Math.floor((this.maxMessageSize - 16) / 4);
    return [this.respond(m, { kind: 'GET_DEVICE_FEATURES_RESP', blockIndex: m.blockIndex, features: toBlocks(this.offered, m.blockIndex, Math.min(m.numBlocks, fit)) })];
  }

  protected onSetDriverFeatures(m: SetDriverFeatures): DeviceOutput[] {
    if (this.phaseAllows('features')) this.driverSelected = withBlocks(this.driverSelected, m.blockIndex, m.features);
    return [this.respond(m, { kind: 'SET_DRIVER_FEATURES_RESP' })];
  }

  protected onGetConfig(m: GetConfig): DeviceOutput[] {
    const ok = m.offset + m.length <= this.configData.length && 20 + m.length <= this.maxMessageSize;
    return [this.respond(m, { kind: 'GET_CONFIG_RESP', generation: this.gen, offset: m.offset, data: ok ? this.configData.slice(m.offset, m.offset + m.length) : [] })];
  }

  /** Profile rule: strict applies only at the current generation; baseline ignores it. */
  protected acceptsConfigWrite(m: SetConfig): boolean {
    return (this.opts.profile ?? 'strict') === 'baseline' || m.generation === this.gen;
  }

  protected onSetConfig(m: SetConfig): DeviceOutput[] {
    const apply = m.data.length > 0 && m.offset + m.data.length <= this.configData.length && this.phaseAllows('config-write') && this.acceptsConfigWrite(m);
    if (apply) {
      this.configData.splice(m.offset, m.data.length, ...m.data);
      this.gen = (this.gen + 1) >>> 0;
    }
    return [this.respond(m, { kind: 'SET_CONFIG_RESP', generation: this.gen, offset: m.offset, data: apply ? [...m.data] : [] })];
  }

  protected onSetDeviceStatus(m: SetDeviceStatus): DeviceOutput[] {
    if (m.status === 0) return this.beginReset(m);
    if (this.resetPending) return [this.respond(m, { kind: 'SET_DEVICE_STATUS_RESP', status: this.statusValue })];
    const old = this.statusValue;
    let next = this.statusTransition(old, m.status);
    if (next & STATUS.FEATURES_OK & ~old && this.featuresAcceptable(this.driverSelected) !== undefined) next &= ~(STATUS.FEATURES_OK | STATUS.DRIVER_OK);
    this.statusValue = next;
    if (this.featuresOkEdge(old, next)) this.onFeaturesOk();
    const out: DeviceOutput[] = [];
    if (next & STATUS.DRIVER_OK & ~old) for (let i = 0; i < this.queues.length; i++) if (this.isLive(i)) out.push(...this.implicitKick(i));
    return [this.respond(m, { kind: 'SET_DEVICE_STATUS_RESP', status: this.statusValue }), ...out];
  }

  /** Whether this status change is the one that accepts the features (the 0 -> 1 edge of FEATURES_OK). */
  protected featuresOkEdge(old: number, next: number): boolean {
    return (next & STATUS.FEATURES_OK & ~old) !== 0;
  }

  protected beginReset(m: SetDeviceStatus): DeviceOutput[] {
    if (this.statusValue === 0 && !this.resetPending) return [this.respond(m, { kind: 'SET_DEVICE_STATUS_RESP', status: 0 })];
    if ((this.opts.resetCompletion ?? 'sync') === 'async') {
      this.resetPending = true;
      return [this.respond(m, { kind: 'SET_DEVICE_STATUS_RESP', status: this.statusValue })];
    }
    const out = this.completeReset();
    return [this.respond(m, { kind: 'SET_DEVICE_STATUS_RESP', status: 0 }), ...out];
  }

  /** Reset completion: status 0, features and queues forgotten. The generation survives. */
  protected completeReset(): DeviceOutput[] {
    this.resetPending = false;
    this.statusValue = 0;
    this.driverSelected = new Set();
    this.negotiatedSet = undefined;
    this.queues = this.queues.map((q) => emptyQueue(q.maxSize));
    return [{ type: 'device-reset' }];
  }

  protected onGetVqueue(m: GetVqueue): DeviceOutput[] {
    if (!this.validQueueIndex(m.index)) {
      return [this.respond(m, { kind: 'GET_VQUEUE_RESP', index: m.index, maxSize: 0, curSize: 0, flags: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n })];
    }
    const q = this.queueAt(m.index);
    return [this.respond(m, {
      kind: 'GET_VQUEUE_RESP', index: m.index, maxSize: q.maxSize, curSize: q.size, flags: this.queueFlags(m.index, q),
      descAddr: q.descAddr, driverAddr: q.driverAddr, deviceAddr: q.deviceAddr,
    })];
  }

  protected onSetVqueue(m: SetVqueue): DeviceOutput[] {
    const done = this.respond(m, { kind: 'SET_VQUEUE_RESP' });
    if (!this.validQueueIndex(m.index) || !this.phaseAllows('queue')) return [done];
    const op = m.flags & VQ_STATE_MASK;
    if (m.reserved !== 0 || (m.flags & VQ_FLAGS_RESERVED) !== 0 || op === VQ_STATE.RESERVED) return [done];
    const q = this.queueAt(m.index);
    const updates = {
      size: !(m.flags & VQ_IGNORE_SIZE), desc: !(m.flags & VQ_IGNORE_DESC), driver: !(m.flags & VQ_IGNORE_DRIVER), device: !(m.flags & VQ_IGNORE_DEVICE),
    };
    // An enabled queue can neither be changed nor disabled by SET_VQUEUE.
    if (q.enabled) return [done];
    const size = updates.size ? m.size : q.size;
    const enable = op === VQ_STATE.ENABLE;
    // A queue becomes usable only with a size in 1..max that is a power of two (B13).
    if ((updates.size || enable) && !(size >= 1 && size <= q.maxSize && (size & (size - 1)) === 0)) return [done];
    const next: QueueState = {
      maxSize: q.maxSize,
      enabled: enable,
      size,
      descAddr: updates.desc ? m.descAddr : q.descAddr,
      driverAddr: updates.driver ? m.driverAddr : q.driverAddr,
      deviceAddr: updates.device ? m.deviceAddr : q.deviceAddr,
    };
    this.queues[m.index] = next;
    this.storeQueueFlags(m.index, m.flags);
    return enable && this.isLive(m.index) ? [done, ...this.implicitKick(m.index)] : [done];
  }

  /** Hook for implementations that keep the flags word a driver wrote (the reference does not). */
  protected storeQueueFlags(_index: number, _flags: number): void {}

  protected onResetVqueue(m: ResetVqueue): DeviceOutput[] {
    const done = this.respond(m, { kind: 'RESET_VQUEUE_RESP' });
    if (!this.validQueueIndex(m.index) || !this.hasFeature(F.RING_RESET) || !this.phaseAllows('queue')) return [done];
    this.queues[m.index] = emptyQueue(this.queueAt(m.index).maxSize);
    return [done, { type: 'queue-reset', index: m.index }];
  }

  protected onGetShm(m: GetShm): DeviceOutput[] {
    const r = this.opts.shm?.[m.shmid];
    return [this.respond(m, { kind: 'GET_SHM_RESP', shmid: m.shmid, reserved: 0, length: r?.length ?? 0n, address: r?.address ?? 0n })];
  }

  /** A driver notification: look at the queue if it is live (B31: never for a deleted or disabled queue). */
  protected onEventAvail(m: EventAvail): DeviceOutput[] {
    if (!this.isLive(m.vqIndex)) return [];
    return [this.hasFeature(F.NOTIFICATION_DATA)
      ? { type: 'process-queue', index: m.vqIndex, nextOffset: m.nextOffset & 0x7fffffff }
      : { type: 'process-queue', index: m.vqIndex }];
  }
}
