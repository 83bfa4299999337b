/**
 * config-msg: the config exchange (digest section 5, design 2) between the reference driver and a
 * reference device, over a bus whose schedule the stream is: `to-device` (the device takes the
 * driver's next message), `deliver` (the driver gets the device's next message), the driver's
 * operations (`read-config`, `write-config`, `reset`) and the device's own changes (`change`, each
 * announced by EVENT_CONFIG). The device restarts its generation at reset, as the draft allows
 * (models/config-msg does the same). After the stream the bus delivers everything in order.
 *
 * The seeded mutants are those of models/config-msg/variants.ts, there expressed as protocol
 * overrides of the model; here each is the equivalent small subclass of the reference device or
 * driver (or, for events-unordered, a bus that lets a message overtake those before it).
 */
import { VirtioMsgDevice, type DeviceOptions, type DeviceOutput } from '../../../models/transport-msg/reference/device.ts';
import { VirtioMsgDriver, type DriverOptions, type Steps } from '../../../models/transport-msg/reference/driver.ts';
import { F } from '../../../models/transport-msg/reference/features.ts';
import { isResponseTo } from '../../msg/codec.ts';
import type { EventConfig, Message, SetConfig } from '../../msg/types.ts';
import type { Step, Stream } from '../stream.ts';
import { labelOf, locationOf, mix, OracleFailure, type FuzzTarget, type RunOptions, type TargetVariant, type Violation } from '../target.ts';
import { MAX_MSG } from './common.ts';

const NAME = 'config-msg';
const CONFIG = [1, 2, 3, 4, 5, 6, 7, 8];
const DRAIN = 600;

/** The device of config-msg: the generation count restarts at reset (draft: "MAY reset generation count"). */
class ConfigDevice extends VirtioMsgDevice {
  protected override completeReset(): DeviceOutput[] {
    this.gen = 0;
    return super.completeReset();
  }
}

/** reject-by-discard: a stale-generation SET_CONFIG discarded like a malformed message (Linaro/virtio-msg-spec PR #19). */
class RejectByDiscard extends ConfigDevice {
  protected override onSetConfig(m: SetConfig): DeviceOutput[] {
    if (m.data.length > 0 && !this.acceptsConfigWrite(m)) return [];
    return super.onSetConfig(m);
  }
}

/** chunks-no-gen-check: the driver assembles GET_CONFIG chunks without comparing their generations. */
class ChunksNoGenCheck extends VirtioMsgDriver {
  protected override *readConfigSteps(): Steps<number[]> {
    const size = this.info?.configSize ?? 0;
    const data: number[] = [];
    let gen = this.generation;
    for (let offset = 0; offset < size; offset += 4) {
      const r = yield* this.ask<'GET_CONFIG_RESP'>({ kind: 'GET_CONFIG', offset, length: Math.min(4, size - offset) });
      gen = r.generation;
      data.push(...r.data);
    }
    this.config = data;
    this.generation = gen;
    this.configStale = false;
    return data;
  }
}

/** monotonic-drop: the driver assumes generations only grow and drops EVENT_CONFIGs below the one it has (Linux vireshk/linux-bkp). */
class MonotonicDrop extends VirtioMsgDriver {
  /** Keeps the highest generation seen (a read never lowers it). */
  protected override *readConfigSteps(): Steps<number[]> {
    const before = this.generation;
    const data = yield* super.readConfigSteps();
    this.generation = Math.max(before, this.generation);
    return data;
  }
  protected override onEventConfig(m: EventConfig): void {
    if (m.generation < this.generation) return;
    super.onEventConfig(m);
  }
}

/** strict-profile: a rejected write retried by the transport: re-read, resend the same bytes at the new generation (PR #31 review, B24). */
class TransportRetry extends VirtioMsgDriver {
  protected override *writeConfigSteps(offset: number, length: number, update: (current: number[]) => number[]): Steps<boolean> {
    const data = update(this.config.slice(offset, offset + length));
    for (let attempt = 0; attempt < 8; attempt++) {
      const r = yield* this.ask<'SET_CONFIG_RESP'>({ kind: 'SET_CONFIG', generation: this.generation, offset, data });
      if (r.data.length > 0) {
        this.config.splice(offset, data.length, ...data);
        this.generation = r.generation;
        return true;
      }
      yield* this.readConfigSteps();
    }
    return false;
  }
}

interface ConfigVariant extends TargetVariant {
  readonly device?: (o: DeviceOptions) => VirtioMsgDevice;
  readonly driver?: (o: DriverOptions) => VirtioMsgDriver;
  readonly profile?: 'strict' | 'baseline';
  readonly unorderedBus?: boolean;
}

const VARIANTS: readonly ConfigVariant[] = [
  { name: 'reference', description: 'strict profile, chunk generations compared, rejected writes re-read and decided again, events in order with responses' },
  { name: 'chunks-no-gen-check', expect: 'config-snapshot', description: 'chunks of two config versions assembled', recreates: 'digest section 5 and pitfall 5 (tearing across chunks)', driver: (o) => new ChunksNoGenCheck(o) },
  { name: 'events-unordered', expect: 'copies-converge', description: 'an EVENT_CONFIG overtaken by a fresher response is applied after it', recreates: 'digest pitfall 8; draft 009bce08 Message Ordering', unorderedBus: true },
  { name: 'monotonic-drop', expect: 'copies-converge', description: 'events below the highest generation seen are dropped; after a reset the device counts from 0 again', recreates: 'Linux vireshk/linux-bkp virtio_msg_transport.c; draft: generation not monotonic across resets', driver: (o) => new MonotonicDrop(o) },
  { name: 'baseline-set-race', expect: 'no-lost-update', description: 'baseline profile: a write decided before a device change to the same bytes erases it', recreates: 'bug zoo B24 (Linaro/virtio-msg-spec issue #8, PR #31)', profile: 'baseline' },
  { name: 'strict-profile', expect: 'no-lost-update', description: 'the strict profile retried by the transport with the same bytes still erases the device change', recreates: 'draft 009bce08 strict profile; PR #31 review (bug zoo B24)', driver: (o) => new TransportRetry(o) },
  { name: 'reject-by-discard', expect: 'one-response-per-request', description: 'a stale-generation SET_CONFIG is discarded without a response', recreates: 'Linaro/virtio-msg-spec PR #19', device: (o) => new RejectByDiscard(o) },
];

function fail(oracle: string, message: string, location: string): never {
  throw new OracleFailure(oracle, message, location);
}

class Bus {
  readonly d2v: Message[] = [];
  readonly v2d: Message[] = [];
  /** Device config versions, oldest first (each a copy at one instant). */
  readonly versions: string[] = [];
  /** Per write: the bytes the driver's update saw (what it computed the write from). */
  base: number[] | undefined;
  constructor(readonly dev: VirtioMsgDevice, readonly drv: VirtioMsgDriver, readonly unordered: boolean) {
    this.versions.push(String(dev.config));
  }

  collect(): void {
    for (let m = this.drv.next(); m; m = this.drv.next()) this.d2v.push(m);
  }

  toDevice(): void {
    const m = this.d2v.shift();
    if (!m) return;
    const before = this.dev.config.slice();
    const outs = this.dev.receive(m);
    const responses = outs.filter((o) => o.type === 'send' && isResponseTo(o.message, m));
    if (m.kind !== 'EVENT_AVAIL' && responses.length !== 1) fail('one-response-per-request', `${m.kind} #${m.token} got ${responses.length} responses`, m.kind);
    for (const o of outs) {
      if (o.type !== 'send') continue;
      if (o.message.kind === 'SET_CONFIG_RESP' && o.message.data.length > 0 && m.kind === 'SET_CONFIG' && this.base) {
        const over = before.slice(m.offset, m.offset + m.data.length);
        if (String(over) !== String(this.base)) fail('no-lost-update', `a write computed from [${this.base}] was applied over [${over}]: a change in between is lost`, 'SET_CONFIG');
      }
      this.v2d.push(o.message);
    }
    if (m.kind === 'SET_DEVICE_STATUS' && m.status === 0) this.dev.tick();
    this.noteVersion();
  }

  noteVersion(): void {
    const v = String(this.dev.config);
    if (this.versions[this.versions.length - 1] !== v) this.versions.push(v);
  }

  toDriver(index = 0): void {
    const i = this.unordered ? Math.min(index, this.v2d.length - 1) : 0;
    const [m] = this.v2d.splice(i, 1);
    if (m) this.drv.receive(m);
  }

  change(offset: number, data: readonly number[]): void {
    const at = Math.min(offset, CONFIG.length - 1);
    for (const o of this.dev.changeConfig(at, data.slice(0, CONFIG.length - at))) if (o.type === 'send') this.v2d.push(o.message);
    this.noteVersion();
  }
}

function phase(b: Bus): number {
  const a = b.drv.awaiting;
  // Where the first event waits among the device's messages, and whether the copies agree right now:
  // the ordering and the divergence that the config oracles are about.
  const ev = b.v2d.findIndex((m) => m.kind === 'EVENT_CONFIG');
  const inSync = String(b.drv.config) === String(b.dev.config) ? 1 : 0;
  return mix(b.d2v.length ? 1 : 0, Math.min(b.v2d.length, 3), a ? labelOf(a.kind) : 0, b.drv.configStale ? 1 : 0, b.dev.generation & 7, Math.min(ev + 1, 3), inSync);
}

export function runConfig(steps: readonly Step[], variant: string, options: RunOptions = {}): Violation | undefined {
  const v = VARIANTS.find((x) => x.name === variant);
  if (!v) throw new RangeError(`${NAME} has no variant ${variant} (variants: ${VARIANTS.map((x) => x.name).join(', ')})`);
  const profile = v.profile ?? 'strict';
  const devOpts: DeviceOptions = { deviceId: 1, offered: [F.VERSION_1], required: [F.VERSION_1], config: CONFIG, maxVirtqueues: 0, queueMaxSize: 0, profile, resetCompletion: 'sync', maxMessageSize: MAX_MSG };
  const drvOpts: DriverOptions = { wanted: [F.VERSION_1], profile, chunkBytes: 4, maxMessageSize: MAX_MSG };
  const b = new Bus((v.device ?? ((o) => new ConfigDevice(o)))(devOpts), (v.driver ?? ((o) => new VirtioMsgDriver(o)))(drvOpts), v.unorderedBus === true);
  const reads: { op: { done: boolean; result?: number[] }; from: number }[] = [];
  const checkReads = () => {
    for (const r of reads.splice(0)) {
      if (!r.op.done || !r.op.result) { reads.push(r); continue; }
      const got = String(r.op.result);
      if (!b.versions.slice(r.from).includes(got)) fail('config-snapshot', `a read returned [${got}], which the device config never was during the read`, 'read-config');
    }
  };
  const read = () => reads.push({ op: b.drv.readConfig(), from: b.versions.length - 1 });
  let i = 0;
  try {
    b.drv.probe();
    b.drv.reset();
    b.drv.negotiate();
    read();
    b.collect();
    for (; i < steps.length; i++) {
      const s = steps[i];
      const before = options.cover ? phase(b) : 0;
      if ('act' in s) {
        const a = s.act;
        switch (a.type) {
          case 'to-device': b.toDevice(); break;
          case 'deliver': b.toDriver(); break;
          case 'overtake': b.toDriver(a.index); break;
          case 'change': b.change(a.offset, a.data); break;
          case 'read-config': read(); break;
          case 'write-config':
            b.drv.writeConfig(Math.min(a.offset, CONFIG.length - 1), Math.max(1, Math.min(a.length, 4)), (cur) => { b.base = cur.slice(); return cur.map((x) => (x + a.add) & 0xff); });
            break;
          case 'reset': b.drv.reset(); b.drv.negotiate(); read(); break;
          default: break;
        }
      }
      b.collect();
      checkReads();
      options.cover?.(mix(before, labelOf('act' in s ? s.act.type : 'msg'), phase(b)));
    }
    // Quiescence: the bus delivers everything in order.
    for (let k = 0; k < DRAIN && (b.d2v.length || b.v2d.length); k++) {
      if (b.d2v.length) b.toDevice();
      else b.toDriver();
      b.collect();
      checkReads();
    }
    if (b.drv.awaiting && !b.d2v.length && !b.v2d.length) fail('one-response-per-request', `the driver waits for ever for the answer to ${b.drv.awaiting.kind} #${b.drv.awaiting.token}`, b.drv.awaiting.kind);
    if (!b.drv.failed && !b.drv.configStale && String(b.drv.config) !== String(b.dev.config)) {
      fail('copies-converge', `at quiescence the driver's copy is [${b.drv.config}] and the device's [${b.dev.config}]`, 'quiescence');
    }
  } catch (e) {
    if (e instanceof OracleFailure) return { oracle: e.oracle, message: e.message, step: i, location: e.location };
    return { oracle: 'no-exception', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), step: i, location: locationOf(e) };
  }
  return undefined;
}

export const configMsg: FuzzTarget = {
  name: NAME,
  summary: 'the config exchange (GET_CONFIG chunks, SET_CONFIG, EVENT_CONFIG, reset) under every schedule the stream picks, device changes at any point',
  variants: VARIANTS,
  oracles: [
    { name: 'no-exception', description: 'no exception escapes the driver or the device' },
    { name: 'config-snapshot', description: 'an accepted read equals the device config at one instant during the read' },
    { name: 'no-lost-update', description: 'a driver write is applied only over the bytes it was computed from' },
    { name: 'one-response-per-request', description: 'every request is answered exactly once; the driver never waits for ever' },
    { name: 'copies-converge', description: 'at quiescence the driver\'s copy equals the device config (unless the driver knows it is stale)' },
  ],
  kinds: [],
  actions: ['to-device', 'deliver', 'overtake', 'change', 'read-config', 'write-config', 'reset'],
  maxMessageSize: MAX_MSG,
  shape: { queues: 0, queueMax: 0, configBytes: CONFIG.length },
  run: runConfig,
  seeds(): Stream[] {
    const td = { act: { type: 'to-device' } } as const;
    const dl = { act: { type: 'deliver' } } as const;
    const pump = (n: number): Step[] => Array.from({ length: n }, () => [td, dl]).flat();
    return [
      { target: NAME, note: 'init and read, a device change, a driver write, a reset, a read', steps: [
        ...pump(12), { act: { type: 'change', offset: 0, data: [9] } }, ...pump(2),
        { act: { type: 'write-config', offset: 0, length: 2, add: 1 } }, ...pump(4), { act: { type: 'reset' } }, ...pump(6),
        { act: { type: 'change', offset: 4, data: [7, 7] } }, ...pump(4),
      ] },
    ];
  },
};
