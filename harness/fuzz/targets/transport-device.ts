/**
 * transport-msg-device: driver-to-device streams against the reference device (or a seeded mutant).
 * Each step hands the device one message (encoded, so it goes through the device's own decoding),
 * raw bytes, or a host action (tick, used, config change, needs-reset). After every step the
 * oracles compare the device's state before and after and what it returned.
 */
import { isStatusPrefix, VirtioMsgDevice, type DeviceOutput, type QueueState } from '../../../models/transport-msg/reference/device.ts';
import { F, unmetDependencies } from '../../../models/transport-msg/reference/features.ts';
import { directionOf, encode, isResponseTo, schemaOf, tryDecode } from '../../msg/codec.ts';
import { STATUS, type MessageKind } from '../../msg/types.ts';
import type { Step, Stream } from '../stream.ts';
import { labelOf, locationOf, mix, OracleFailure, stableJson, wellFormedProblem, type FuzzTarget, type RunOptions, type Violation } from '../target.ts';
import { CONFIG, DEVICE_VARIANTS, deviceOptions, MAX_MSG, pick, QUEUE_MAX, QUEUES } from './common.ts';
import { referenceSession } from './session.ts';

const NAME = 'transport-msg-device';
const INITIAL_STATUS = STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK;

export const DEVICE_REQUESTS: readonly MessageKind[] = [
  'GET_DEVICE_INFO', 'GET_DEVICE_FEATURES', 'SET_DRIVER_FEATURES', 'GET_CONFIG', 'SET_CONFIG', 'GET_DEVICE_STATUS', 'SET_DEVICE_STATUS',
  'GET_VQUEUE', 'SET_VQUEUE', 'RESET_VQUEUE', 'GET_SHM',
];

interface Snapshot {
  readonly status: number;
  readonly resetPending: boolean;
  readonly driverFeatures: string;
  readonly negotiated: ReadonlySet<number> | undefined;
  readonly queues: readonly QueueState[];
  readonly live: readonly boolean[];
}

function snapshot(dev: VirtioMsgDevice): Snapshot {
  const queues: QueueState[] = [];
  const live: boolean[] = [];
  for (let i = 0; i < QUEUES; i++) {
    queues.push(dev.queue(i));
    live.push(dev.isLive(i));
  }
  return {
    status: dev.status, resetPending: dev.resetInProgress, driverFeatures: [...dev.driverFeatures].sort((a, b) => a - b).join(','),
    negotiated: dev.negotiated ? new Set(dev.negotiated) : undefined, queues, live,
  };
}

/** The device's protocol phase: status, reset pending, features latched, per queue configured/enabled (a phase, not a path: anchors A8). */
function phase(s: Snapshot): number {
  let p = s.status | (s.resetPending ? 0x100 : 0) | (s.negotiated ? 0x200 : 0);
  s.queues.forEach((q, i) => { p |= ((q.enabled ? 1 : 0) | (q.size ? 2 : 0)) << (10 + 2 * i); });
  return p;
}

function sameQueue(a: QueueState, b: QueueState): boolean {
  return a.enabled === b.enabled && a.size === b.size && a.descAddr === b.descAddr && a.driverAddr === b.driverAddr && a.deviceAddr === b.deviceAddr;
}

function fail(oracle: string, message: string, location: string): never {
  throw new OracleFailure(oracle, message, location);
}

/** Runs one step on a device and returns what it returned (exceptions propagate). */
function apply(dev: VirtioMsgDevice, step: Step): DeviceOutput[] {
  if ('send' in step || 'raw' in step) {
    const bytes = bytesOf(step);
    return bytes ? dev.receiveBytes(bytes) : [];
  }
  const a = step.act;
  switch (a.type) {
    case 'tick': return dev.tick();
    case 'used': return a.index >= 0 && a.index < QUEUES ? dev.used(a.index) : [];
    case 'change': {
      const offset = Math.min(a.offset, CONFIG.length);
      return dev.changeConfig(offset, a.data.slice(0, CONFIG.length - offset));
    }
    case 'needs-reset': return dev.needsReset();
    default: return [];
  }
}

function bytesOf(step: Step): Uint8Array | undefined {
  if ('raw' in step) return Uint8Array.from(step.raw);
  if ('send' in step) {
    try {
      return encode(step.send);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function checkStep(dev: VirtioMsgDevice, step: Step, before: Snapshot, after: Snapshot, outs: DeviceOutput[]): void {
  const where = 'send' in step ? step.send.kind : 'raw' in step ? 'raw' : step.act.type;
  const sends = outs.filter((o): o is Extract<DeviceOutput, { type: 'send' }> => o.type === 'send').map((o) => o.message);
  // Every message the device sends is well formed (reserved bits zero, within the bus maximum).
  for (const m of sends) {
    const p = wellFormedProblem(m, MAX_MSG);
    if (p) fail('well-formed-messages', `the device sent a malformed message: ${p}`, m.kind);
  }
  if ('send' in step || 'raw' in step) {
    const bytes = bytesOf(step);
    const d = bytes ? tryDecode(bytes, { maxSize: MAX_MSG, reserved: 'ignore' }) : undefined;
    if (!d || !d.ok) {
      if (outs.length) fail('malformed-dropped', `malformed input (${d && !d.ok ? d.error.kind : 'no encoding'}) was not dropped: ${outs.length} outputs`, where);
    } else {
      const m = d.message;
      const forMe = m.devNum === dev.devNum && !schemaOf(m.kind).bus;
      const isRequest = forMe && directionOf(m.kind) === 'request';
      const responses = sends.filter((s) => directionOf(s.kind) === 'response');
      if (isRequest) {
        if (responses.length !== 1) fail('one-response-per-request', `${m.kind} #${m.token} got ${responses.length} responses`, m.kind);
        if (!isResponseTo(responses[0], m)) {
          fail('one-response-per-request', `${m.kind} #${m.token} was answered by ${responses[0].kind} #${responses[0].token} dev ${responses[0].devNum}`, m.kind);
        }
      } else if (responses.length) fail('one-response-per-request', `${m.kind} (not a request for this device) was answered`, m.kind);
      if (forMe && m.kind === 'EVENT_AVAIL' && before.live[m.vqIndex] && after.live[m.vqIndex] && !outs.some((o) => o.type === 'process-queue' && o.index === m.vqIndex)) {
        fail('no-lost-notification', `EVENT_AVAIL for live queue ${m.vqIndex} was not processed`, m.kind);
      }
    }
  }
  const reset = outs.some((o) => o.type === 'device-reset');
  // Status: only rises along ACK, DRIVER, FEATURES_OK, DRIVER_OK (or adds FAILED / NEEDS_RESET); only a reset clears it.
  if (reset) {
    if (after.status !== 0) fail('status-sequence', `status ${after.status} after a completed reset`, where);
  } else {
    if (before.status & ~after.status) fail('status-sequence', `status went from 0x${before.status.toString(16)} to 0x${after.status.toString(16)} without a reset`, where);
    if (after.status !== before.status && !isStatusPrefix(after.status)) fail('status-sequence', `status 0x${after.status.toString(16)} skips a step of the initialisation`, where);
    if (after.driverFeatures !== before.driverFeatures) {
      const s = before.status;
      const ok = !before.resetPending && (s & STATUS.DRIVER) && !(s & (STATUS.FEATURES_OK | STATUS.FAILED | STATUS.DEVICE_NEEDS_RESET));
      if (!ok) fail('status-sequence', `driver features changed at status 0x${s.toString(16)} (only in DRIVER, before FEATURES_OK)`, where);
    }
  }
  // Features: latched only for an offered set, closed under dependencies, with the required bits.
  if (after.negotiated && after.negotiated !== before.negotiated && !sameSet(after.negotiated, before.negotiated)) {
    const set = after.negotiated;
    const notOffered = [...set].filter((b) => !dev.offered.has(b));
    const unmet = unmetDependencies(set, deviceOptions().dependencies ?? {});
    if (notOffered.length || unmet.length || !set.has(F.VERSION_1)) fail('features-negotiated', `features {${[...set].join(', ')}} accepted at FEATURES_OK`, where);
  }
  for (let i = 0; i < QUEUES; i++) {
    const q0 = before.queues[i];
    const q1 = after.queues[i];
    const qreset = reset || outs.some((o) => o.type === 'queue-reset' && o.index === i);
    // An enabled queue keeps its parameters until a reset of it or of the device.
    if (q0.enabled && !qreset && !sameQueue(q0, q1)) fail('queue-state-rules', `enabled queue ${i} changed (size ${q0.size} -> ${q1.size}, enabled ${q0.enabled} -> ${q1.enabled}) without a reset`, where);
    if (!q0.enabled && !sameQueue(q0, q1) && !qreset && !(before.status & STATUS.FEATURES_OK)) fail('queue-state-rules', `queue ${i} configured at status 0x${before.status.toString(16)}, before FEATURES_OK`, where);
    if (q1.enabled && !(q1.size >= 1 && q1.size <= QUEUE_MAX && (q1.size & (q1.size - 1)) === 0)) fail('queue-state-rules', `queue ${i} enabled with size ${q1.size}`, where);
    // A queue that becomes live is looked at (B8).
    if (!before.live[i] && after.live[i] && !outs.some((o) => o.type === 'process-queue' && o.index === i)) fail('no-lost-notification', `queue ${i} became live and was not looked at`, where);
  }
  for (const o of outs) {
    if (o.type === 'process-queue') {
      let live = false;
      try { live = dev.isLive(o.index); } catch { live = false; }
      if (!live) fail('no-io-when-not-live', `the device processed queue ${o.index >>> 0}, which is not live`, where);
      if (o.nextOffset !== undefined && !after.negotiated?.has(F.NOTIFICATION_DATA)) fail('features-honoured', `next_offset used for queue ${o.index} without VIRTIO_F_NOTIFICATION_DATA negotiated`, where);
    }
    if (o.type === 'queue-reset' && !before.negotiated?.has(F.RING_RESET)) fail('features-honoured', `queue ${o.index} reset without VIRTIO_F_RING_RESET negotiated`, where);
  }
}

function sameSet(a: ReadonlySet<number> | undefined, b: ReadonlySet<number> | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function stepLabel(step: Step): number {
  if ('send' in step) return labelOf(step.send.kind);
  if ('raw' in step) {
    const d = tryDecode(Uint8Array.from(step.raw), { maxSize: MAX_MSG, reserved: 'ignore' });
    return labelOf(d.ok ? `raw:${d.message.kind}` : `raw!${d.error.kind}`);
  }
  return labelOf(`act:${step.act.type}`);
}

function outLabel(outs: DeviceOutput[]): number {
  let l = 0;
  for (const o of outs) l = (l * 7 + (o.type === 'send' ? labelOf(o.message.kind) & 0xff : o.type.length)) >>> 0;
  return l;
}

export function runDevice(steps: readonly Step[], variant: string, options: RunOptions = {}): Violation | undefined {
  const v = pick(DEVICE_VARIANTS, variant, NAME);
  const dev = v.make(deviceOptions({ initialStatus: INITIAL_STATUS }));
  const ref = options.differential ? new VirtioMsgDevice(deviceOptions({ initialStatus: INITIAL_STATUS })) : undefined;
  const cover = options.cover;
  let i = 0;
  try {
    let before = snapshot(dev);
    for (; i < steps.length; i++) {
      const step = steps[i];
      let outs: DeviceOutput[];
      try {
        outs = apply(dev, step);
      } catch (e) {
        return { oracle: 'no-exception', message: `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, step: i, location: locationOf(e) };
      }
      const after = snapshot(dev);
      if (cover) cover(mix(phase(before), stepLabel(step), phase(after), outLabel(outs)));
      checkStep(dev, step, before, after, outs);
      if (ref) {
        const theirs = apply(ref, step);
        if (stableJson(outs) !== stableJson(theirs) || ref.status !== dev.status) {
          fail('differential', `the reference answered ${stableJson(theirs)} (status 0x${ref.status.toString(16)}), this device ${stableJson(outs)} (status 0x${dev.status.toString(16)})`, 'send' in step ? step.send.kind : 'raw' in step ? 'raw' : step.act.type);
        }
      }
      before = after;
    }
  } catch (e) {
    if (e instanceof OracleFailure) return { oracle: e.oracle, message: e.message, step: i, location: e.location };
    return { oracle: 'no-exception', message: `in the oracle: ${e instanceof Error ? e.message : String(e)}`, step: i, location: locationOf(e) };
  }
  return undefined;
}

export const transportDevice: FuzzTarget = {
  name: NAME,
  summary: 'driver-to-device message streams against the reference device (models/transport-msg/reference) or a seeded mutant',
  variants: DEVICE_VARIANTS,
  oracles: [
    { name: 'no-exception', description: 'no exception escapes the device (receive, receiveBytes, tick, used)' },
    { name: 'one-response-per-request', description: 'every valid request for the device gets exactly one response, at once, with its token; nothing else is answered' },
    { name: 'malformed-dropped', description: 'bytes that do not decode (as a receiver decodes: reserved header bits ignored) give no output' },
    { name: 'well-formed-messages', description: 'what the device sends encodes within the bus maximum and decodes strictly (reserved bits zero)' },
    { name: 'status-sequence', description: 'the status only rises along ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK (or adds FAILED); only a completed reset clears it; features change only in DRIVER' },
    { name: 'features-negotiated', description: 'FEATURES_OK is accepted only for offered bits, closed under dependencies, with the required ones' },
    { name: 'features-honoured', description: 'behaviour keyed on negotiated features only (notification data, queue reset)' },
    { name: 'queue-state-rules', description: 'an enabled queue keeps its parameters until a reset; queues are configured only from FEATURES_OK; enabled sizes are powers of two within the maximum' },
    { name: 'no-io-when-not-live', description: 'the device processes only live queues' },
    { name: 'no-lost-notification', description: 'a queue that becomes live, or is notified while live, is processed' },
    { name: 'differential', description: '(--differential) the reference device, fed the same stream, sends the same and reaches the same status' },
  ],
  kinds: [...DEVICE_REQUESTS, 'EVENT_AVAIL'],
  actions: ['tick', 'used', 'change', 'needs-reset'],
  maxMessageSize: MAX_MSG,
  shape: { queues: QUEUES, queueMax: QUEUE_MAX, configBytes: CONFIG.length },
  run: runDevice,
  seeds(): Stream[] {
    const s = referenceSession();
    return [{ target: NAME, note: 'the reference driver\'s session: init, late queue, notifications, config write and read, queue reset, reset', steps: s.toDevice }];
  },
};
