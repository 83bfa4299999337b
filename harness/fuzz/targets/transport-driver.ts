/**
 * transport-msg-driver: device-to-driver streams against the reference driver (or a seeded mutant).
 * The driver initialises a device and uses it (init with a queue provisioned late, enable it,
 * write and read config, reset a queue, reset the device). Its peer is the reference device
 * behind a bus the stream controls: `deliver` hands the driver the device's next message, `drop`
 * and `duplicate` lose or repeat it, and `send`/`raw` steps inject what a hostile device sends
 * (events at any point, forged responses with reused tokens, malformed bytes). Whatever the driver
 * sends goes to the peer at once and is checked by the oracles.
 */
import { VirtioMsgDevice, type DeviceOutput } from '../../../models/transport-msg/reference/device.ts';
import type { VirtioMsgDriver } from '../../../models/transport-msg/reference/driver.ts';
import { unmetDependencies, withBlocks } from '../../../models/transport-msg/reference/features.ts';
import { directionOf, encode, isResponseTo, tryDecode } from '../../msg/codec.ts';
import { STATUS, type Message, type MessageKind } from '../../msg/types.ts';
import type { Step, Stream } from '../stream.ts';
import { labelOf, locationOf, mix, OracleFailure, wellFormedProblem, type FuzzTarget, type RunOptions, type Violation } from '../target.ts';
import { CONFIG, deviceOptions, DRIVER_VARIANTS, driverOptions, MAX_MSG, pick, QUEUE_MAX, QUEUES } from './common.ts';
import { referenceSession } from './session.ts';

const NAME = 'transport-msg-driver';
/** Messages the driver may send in a row without receiving anything (a runaway loop beyond it). */
const SEND_BOUND = 64;
/** Bus deliveries after the stream, to let the driver finish what it can. */
const DRAIN = 400;

const DEVICE_TO_DRIVER: readonly MessageKind[] = [
  'GET_DEVICE_INFO_RESP', 'GET_DEVICE_FEATURES_RESP', 'SET_DRIVER_FEATURES_RESP', 'GET_CONFIG_RESP', 'SET_CONFIG_RESP', 'GET_DEVICE_STATUS_RESP',
  'SET_DEVICE_STATUS_RESP', 'GET_VQUEUE_RESP', 'SET_VQUEUE_RESP', 'RESET_VQUEUE_RESP', 'GET_SHM_RESP', 'EVENT_CONFIG', 'EVENT_USED',
];

function fail(oracle: string, message: string, location: string): never {
  throw new OracleFailure(oracle, message, location);
}

/** The scenario: the same requests, in the same order (so with the same tokens), as the reference session. */
function startWork(drv: VirtioMsgDriver): void {
  drv.init([
    { index: 0, size: 8, descAddr: 0x1000n, driverAddr: 0x2000n, deviceAddr: 0x3000n },
    { index: 1, size: 4, descAddr: 0x4000n, driverAddr: 0x5000n, deviceAddr: 0x6000n, enable: false },
  ]);
  drv.enableQueue(1);
  drv.writeConfig(0, 2, (cur) => cur.map((b) => (b + 1) & 0xff));
  drv.readConfig();
  drv.resetQueue(0);
  drv.reset();
}

class Harness {
  readonly inbox: Message[] = [];
  /** The driver wrote 0 and has not yet been told the status is 0. */
  resetting = false;
  lastStatusWritten = 0;
  lastFeatures: number[] | undefined;
  offered: Set<number> | undefined;
  sentInARow = 0;
  constructor(readonly drv: VirtioMsgDriver, readonly dev: VirtioMsgDevice) {}

  /** The driver's messages go to the device; the device's answers wait in the inbox. */
  flush(): void {
    for (;;) {
      const m = this.drv.next();
      if (!m) return;
      this.checkSent(m);
      this.peer(this.dev.receive(m));
      if (this.dev.hasDeferredWork && m.kind === 'GET_DEVICE_STATUS') this.peer(this.dev.tick());
    }
  }

  peer(outs: DeviceOutput[]): void {
    for (const o of outs) {
      if (o.type === 'send') this.inbox.push(o.message);
      else if (o.type === 'process-queue') this.peer(this.dev.used(o.index));
    }
  }

  checkSent(m: Message): void {
    if (++this.sentInARow > SEND_BOUND) fail('bounded-requests', `the driver sent ${SEND_BOUND} messages without receiving any`, m.kind);
    const p = wellFormedProblem(m, MAX_MSG);
    if (p) fail('well-formed-messages', `the driver sent a malformed message: ${p}`, m.kind);
    if (directionOf(m.kind) === 'response') fail('well-formed-messages', `the driver sent a response (${m.kind})`, m.kind);
    if (directionOf(m.kind) === 'request' && m.token === 0) fail('well-formed-messages', `${m.kind} with token 0`, m.kind);
    if (this.resetting) {
      const polling = m.kind === 'GET_DEVICE_STATUS' || (m.kind === 'SET_DEVICE_STATUS' && (m.status === 0 || (m.status & STATUS.FAILED) !== 0)) || m.kind === 'EVENT_AVAIL';
      if (!polling) fail('reset-completes', `the driver sent ${m.kind} before the device reported the reset complete (status 0)`, m.kind);
    }
    if (m.kind === 'SET_DRIVER_FEATURES') this.lastFeatures = [...withBlocks(new Set(), m.blockIndex, m.features)];
    if (m.kind === 'SET_DEVICE_STATUS') {
      if (m.status === 0) this.resetting = true;
      if (m.status & STATUS.FEATURES_OK & ~this.lastStatusWritten) {
        const set = new Set(this.lastFeatures ?? []);
        const notOffered = [...set].filter((b) => !this.offered?.has(b));
        const unmet = unmetDependencies(set, driverOptions().dependencies ?? {});
        if (notOffered.length || unmet.length) {
          fail('features-negotiated', `FEATURES_OK for {${[...set].join(', ')}}: ${notOffered.length ? `not offered ${notOffered.join(', ')}` : unmet.map((u) => `${u.feature} needs ${u.requires}`).join(', ')}`, m.kind);
        }
      }
      this.lastStatusWritten = m.status;
    }
  }

  /** Hands a message to the driver, noting what it learns from an accepted response. */
  give(m: Message): void {
    this.sentInARow = 0;
    // The reference driver allocates num_feature_blocks words without a bound (a finding of this
    // fuzzer, corpus/msg/findings); capped so that the fuzzer's heap survives. The oversize
    // SET_DRIVER_FEATURES it leads to is still reported.
    if (m.kind === 'GET_DEVICE_INFO_RESP' && m.numFeatureBlocks > 0x10000) m = { ...m, numFeatureBlocks: 0x10000 };
    const awaiting = this.drv.awaiting;
    const accepted = awaiting !== undefined && isResponseTo(m, awaiting);
    this.drv.receive(m);
    if (accepted) {
      if ((m.kind === 'SET_DEVICE_STATUS_RESP' || m.kind === 'GET_DEVICE_STATUS_RESP') && m.status === 0) this.resetting = false;
      if (m.kind === 'GET_DEVICE_FEATURES_RESP') this.offered = withBlocks(new Set(), m.blockIndex, m.features);
    }
  }

  /** Bytes: decoded as the driver's receiveBytes decodes them, then given; malformed ones go to receiveBytes itself. */
  giveBytes(b: Uint8Array): void {
    const d = tryDecode(b, { maxSize: MAX_MSG, reserved: 'ignore' });
    if (d.ok) this.give(d.message);
    else if (this.drv.receiveBytes(b) === undefined) fail('malformed-dropped', `the driver took bytes that do not decode (${d.error.kind})`, 'raw');
  }
}

function applyStep(h: Harness, step: Step): void {
  if ('send' in step) {
    let ok = true;
    try { encode(step.send); } catch { ok = false; }
    if (ok) h.give(step.send);
  } else if ('raw' in step) h.giveBytes(Uint8Array.from(step.raw));
  else {
    const a = step.act;
    switch (a.type) {
      case 'deliver':
        for (let k = 0; k < Math.max(1, Math.min(a.count ?? 1, 64)); k++) {
          const m = h.inbox.shift();
          if (!m) break;
          h.give(m);
          h.flush();
        }
        break;
      case 'drop': h.inbox.shift(); break;
      case 'duplicate': {
        const m = h.inbox.shift();
        if (m) { h.give(m); h.flush(); h.give(m); }
        break;
      }
      case 'tick': h.peer(h.dev.tick()); break;
      case 'used': if (a.index >= 0 && a.index < QUEUES) h.peer(h.dev.used(a.index)); break;
      case 'change': {
        const offset = Math.min(a.offset, CONFIG.length);
        h.peer(h.dev.changeConfig(offset, a.data.slice(0, CONFIG.length - offset)));
        break;
      }
      case 'needs-reset': h.peer(h.dev.needsReset()); break;
      default: break;
    }
  }
  h.flush();
}

function phase(drv: VirtioMsgDriver): number {
  const a = drv.awaiting;
  return mix(drv.status, drv.negotiated ? 1 : 0, drv.failed ? 1 : 0, drv.needsReset ? 1 : 0, drv.configStale ? 1 : 0, a ? labelOf(a.kind) : 0);
}

function stepLabel(step: Step): number {
  if ('send' in step) return labelOf(step.send.kind);
  if ('raw' in step) return labelOf('raw');
  return labelOf(`act:${step.act.type}`);
}

export function runDriver(steps: readonly Step[], variant: string, options: RunOptions = {}): Violation | undefined {
  const v = pick(DRIVER_VARIANTS, variant, NAME);
  const h = new Harness(v.make(driverOptions()), new VirtioMsgDevice(deviceOptions({ initialStatus: 0x0f })));
  const cover = options.cover;
  let i = 0;
  try {
    startWork(h.drv);
    h.flush();
    for (; i < steps.length; i++) {
      const before = phase(h.drv);
      applyStep(h, steps[i]);
      if (cover) cover(mix(before, stepLabel(steps[i]), phase(h.drv)));
    }
    // The bus delivers what is left; the driver finishes what it can.
    for (let k = 0; k < DRAIN && h.inbox.length; k++) applyStep(h, { act: { type: 'deliver' } });
  } catch (e) {
    if (e instanceof OracleFailure) return { oracle: e.oracle, message: e.message, step: i, location: e.location };
    return { oracle: 'no-exception', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), step: i, location: locationOf(e) };
  }
  return undefined;
}

export const transportDriver: FuzzTarget = {
  name: NAME,
  summary: 'device-to-driver streams (events at any point, forged responses, a lossy bus) against the reference driver or a seeded mutant',
  variants: DRIVER_VARIANTS,
  oracles: [
    { name: 'no-exception', description: 'no exception escapes the driver (next, receive, receiveBytes)' },
    { name: 'well-formed-messages', description: 'the driver sends only well-formed requests and events, requests with a non-zero token' },
    { name: 'reset-completes', description: 'after writing status 0 the driver only polls until the device reports status 0' },
    { name: 'features-negotiated', description: 'FEATURES_OK only for a set of offered bits closed under the dependencies' },
    { name: 'malformed-dropped', description: 'bytes that do not decode are refused (receiveBytes reports the error)' },
    { name: 'bounded-requests', description: `the driver never sends more than ${SEND_BOUND} messages without receiving one` },
  ],
  kinds: DEVICE_TO_DRIVER,
  actions: ['deliver', 'drop', 'duplicate', 'tick', 'used', 'change', 'needs-reset'],
  maxMessageSize: MAX_MSG,
  shape: { queues: QUEUES, queueMax: QUEUE_MAX, configBytes: CONFIG.length },
  run: runDriver,
  seeds(): Stream[] {
    const s = referenceSession();
    return [
      { target: NAME, note: 'an honest in-order bus: every message of the reference device delivered', steps: Array.from({ length: 40 }, () => ({ act: { type: 'deliver', count: 2 } })) },
      { target: NAME, note: 'the reference device\'s session replayed as injected messages (same tokens)', steps: s.toDriver.map((m) => ({ send: m })) },
    ];
  },
};
