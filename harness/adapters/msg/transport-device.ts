/**
 * A third-party JavaScript transport-msg device: a sans-IO object, as the reference
 * VirtioMsgDevice is (docs/third-party.md, "transport-msg"):
 *
 *   createDevice(options) -> device
 *   device.receive(message) -> outputs      a message from the driver (decoded, harness/msg/types.ts)
 *   device.used(index) -> outputs           the host used the buffers of a queue it was asked to process
 *   device.tick() -> outputs                (optional) deferred work: completing a reset
 *   device.state() -> { status, driverFeatures, queues, resetting? }   the device's registers
 *
 * An output is a message to the driver, or { process: index, nextOffset? }: look at the queue's
 * available buffers (the host does, on the model's shared ring indices, then calls used(index)).
 *
 * Why a sans-IO object, run by the model's own host (models/transport-msg/host.ts): the host is what
 * turns a device's steps into the notes the invariants read (status, driver features, queue state,
 * buffers used), so running the third-party object in it, behind a facade of the reference's shape,
 * lets every transport-msg invariant judge it unchanged. The object never touches shared memory, so
 * the host stays a yielding actor (no blocking port) and every message is still one explored step.
 * It runs in a worker of the threads engine, as validate runs all third-party code: an object that
 * loops forever then costs a step timeout, not the tool (on the inline engine it would hang the
 * main thread). A fresh object is made in every execution.
 *
 * state() is asked for because the invariants judge the device's state transitions (the status only
 * rises, a queue changes only by an accepted SET_VQUEUE, features freeze at FEATURES_OK), which the
 * messages alone do not show: the draft defines these registers, every device holds them.
 */
import { STATUS, type Message } from '../../msg/types.ts';
import type { ModelInstance } from '../../core/model.ts';
import type { Program } from '../../core/ops.ts';
import { DeviceHost, type HostedDevice } from '../../../models/transport-msg/host.ts';
import { deviceOptions } from '../../../models/transport-msg/index.ts';
import { maxMessageSize, QUEUE_MAX, shared } from '../../../models/transport-msg/layout.ts';
import type { DeviceOutput, QueueState } from '../../../models/transport-msg/reference/device.ts';
import type { FeatureSet } from '../../../models/transport-msg/reference/features.ts';
import type { RoleSpec } from '../schemes.ts';
import { asList, asMessage, asObject, call, describeValue } from './messages.ts';

interface DeviceView {
  readonly status: number;
  readonly driverFeatures: FeatureSet;
  readonly queues: readonly QueueState[];
  readonly resetting: boolean;
}

const addr = (v: unknown, what: string): bigint => {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new TypeError(`${what} must be a bigint (or a non-negative integer), not ${describeValue(v)}`);
};

const u32 = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TypeError(`${what} must be a u32 number, not ${describeValue(v)}`);
  return v;
};

/** The third-party object in the reference's shape, with every value it returns checked. */
export class DeviceFacade implements HostedDevice {
  private cached: DeviceView | undefined;

  constructor(private readonly obj: Record<string, unknown>, readonly maxVirtqueues: number, private readonly queueMax: number, private readonly maxMessageSize: number) {}

  receive(m: Message): DeviceOutput[] { return this.run('receive', m); }
  used(index: number): DeviceOutput[] { return this.run('used', index); }
  tick(): DeviceOutput[] { return typeof this.obj.tick === 'function' ? this.run('tick') : []; }
  /** The only deferred work of the transport is completing a reset; a device without tick() never defers. */
  get hasDeferredWork(): boolean { return typeof this.obj.tick === 'function' && this.view().resetting; }
  get status(): number { return this.view().status; }
  get resetInProgress(): boolean { return this.view().resetting; }
  get driverFeatures(): FeatureSet { return this.view().driverFeatures; }
  /** The draft's negotiated set: the driver features the device accepted with FEATURES_OK. */
  get negotiated(): FeatureSet | undefined { return this.view().status & STATUS.FEATURES_OK ? this.view().driverFeatures : undefined; }
  queue(index: number): QueueState {
    const q = this.view().queues[index];
    if (!q) throw new RangeError(`queue ${index} does not exist (max_virtqueues ${this.maxVirtqueues})`);
    return q;
  }

  private run(method: string, ...args: unknown[]): DeviceOutput[] {
    this.cached = undefined;
    return asList(call(this.obj, method, 'the device', ...args), `device.${method}()`).map((o) => this.output(o, `device.${method}()`));
  }

  private output(o: unknown, what: string): DeviceOutput {
    if (typeof o === 'object' && o !== null && 'process' in o) {
      const p = o as { process: unknown; nextOffset?: unknown };
      return { type: 'process-queue', index: u32(p.process, `${what}: process`), nextOffset: p.nextOffset === undefined ? undefined : u32(p.nextOffset, `${what}: nextOffset`) };
    }
    return { type: 'send', message: asMessage(o, what, this.maxMessageSize) };
  }

  private view(): DeviceView {
    if (this.cached) return this.cached;
    const s = asObject(call(this.obj, 'state', 'the device'), 'device.state()');
    const features = s.driverFeatures;
    if (features === null || typeof features !== 'object' || !(Symbol.iterator in features)) {
      throw new TypeError(`device.state().driverFeatures must be the feature bits the driver selected (an array or Set of bit numbers), not ${describeValue(features)}`);
    }
    const queues = asList(s.queues, 'device.state().queues');
    if (queues.length < this.maxVirtqueues) throw new TypeError(`device.state().queues must describe all ${this.maxVirtqueues} queues, not ${queues.length}`);
    this.cached = {
      status: u32(s.status, 'device.state().status'),
      driverFeatures: new Set([...(features as Iterable<unknown>)].map((b) => u32(b, 'a feature bit'))),
      resetting: s.resetting === true,
      queues: queues.slice(0, this.maxVirtqueues).map((q, i) => {
        const w = `device.state().queues[${i}]`;
        const o = asObject(q, w);
        return {
          maxSize: this.queueMax, enabled: o.enabled === true, size: u32(o.size, `${w}.size`),
          descAddr: addr(o.descAddr, `${w}.descAddr`), driverAddr: addr(o.driverAddr, `${w}.driverAddr`), deviceAddr: addr(o.deviceAddr, `${w}.deviceAddr`),
        };
      }),
    };
    return this.cached;
  }
}

function* deviceActor(instance: ModelInstance, impl: Record<string, unknown>): Program {
  const params = instance.params;
  // A copy the module may keep or change: it must not reach the model's own constants.
  const options = structuredClone({ ...deviceOptions(params), devNum: 0 });
  const obj = asObject(call(impl, 'createDevice', 'the module', options), 'createDevice(options)');
  const device = new DeviceFacade(obj, params.queues, QUEUE_MAX, maxMessageSize(params));
  // The oracles start from the state the model describes; a device elsewhere would be judged on
  // transitions it never made.
  const initial = options.initialStatus ?? 0;
  if (device.status !== initial) {
    throw new TypeError(`the device must start at options.initialStatus 0x${initial.toString(16)} (a previous owner left it running), not at status 0x${device.status.toString(16)}`);
  }
  yield* new DeviceHost(device, shared(params)).run();
}

export const transportMsgDevice: RoleSpec = {
  required: ['createDevice'],
  optional: [],
  advisories: [],
  program: deviceActor,
};
