/**
 * An external process as the transport-msg DRIVER: it writes requests and EVENT_AVAIL on stdout and
 * reads responses and events on stdin, in the wire format and framing the device direction uses
 * (session.ts), spawned without a shell. The model's reference device answers: VirtioMsgDevice
 * with transport-msg's options (a virtio-net-like device left at DRIVER_OK by a previous owner,
 * offering CTRL_RX without CTRL_VQ, resetting asynchronously). Every message the process writes
 * is judged against the driver's side of the transport-msg rules, on the state the driver has
 * been shown (the last status it read, the features it was offered).
 *
 * The session ends when the driver, having brought the device to DRIVER_OK, exits with code 0,
 * falls quiet for the step timeout, or has written MAX_MESSAGES messages. A process that crashes,
 * exits earlier, stays silent (or keeps writing) before DRIVER_OK or writes bytes that are not a
 * message is a finding, never an error of the tool.
 */
import { describeMessage, directionOf, encode, tryDecode } from '../../msg/codec.ts';
import { STATUS, type Message } from '../../msg/types.ts';
import { deviceOptions } from '../../../models/transport-msg/index.ts';
import { DEPENDENCIES } from '../../../models/transport-msg/layout.ts';
import { RECOMMENDED_MAX_MSG_SIZE } from '../../msg/types.ts';
import { isStatusPrefix, VirtioMsgDevice } from '../../../models/transport-msg/reference/device.ts';
import { describeFeatures, unmetDependencies, withBlocks } from '../../../models/transport-msg/reference/features.ts';
import { describeBytes, oversize, Peer, STARTUP_MS, type ProcessOptions, type ProcessSessionResult } from './session.ts';

export const PROCESS_DRIVER_RULES = [
  { name: 'well-formed-messages', kind: 'safety', protects: 'Every message the driver writes is well formed (strict codec: sizes, reserved bits, known ids) and is one a driver sends: a transport request or EVENT_AVAIL.' },
  { name: 'reset-completes', kind: 'safety', protects: 'The driver resets the device first, and after writing status 0 sends nothing but GET_DEVICE_STATUS (or GET_DEVICE_INFO) until it reads status 0.' },
  { name: 'status-sequence', kind: 'safety', protects: 'The driver\'s status writes never clear a bit it read (only writing 0 does), follow ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, and set DRIVER_OK only after FEATURES_OK was read back.' },
  { name: 'features-negotiated', kind: 'safety', protects: 'The driver selects only features the device offered, closed under their dependencies, and only before FEATURES_OK.' },
  { name: 'queue-state-rules', kind: 'safety', protects: 'The driver sets up or resets queues only after FEATURES_OK was read back, and notifies (EVENT_AVAIL) only existing queues, only after DRIVER_OK.' },
  { name: 'init-completes', kind: 'liveness', protects: 'The driver brings the conforming reference device to DRIVER_OK (accepted) before it ends.' },
  { name: 'no-actor-error', kind: 'safety', protects: 'The driver process does not crash (non-zero exit, signal) or fall silent before the device is initialised.' },
] as const;

export type ProcessDriverRule = (typeof PROCESS_DRIVER_RULES)[number]['name'];

class Finding extends Error {
  constructor(readonly rule: ProcessDriverRule, message: string) { super(message); }
}

const hex = (s: number) => `0x${s.toString(16)}`;

/** An exchange is bounded: a driver that never stops writing cannot keep the tool busy for ever. */
const MAX_MESSAGES = 10_000;

/** What the driver has been shown, and the rules over what it sends next. */
class DriverRules {
  /** The last status the device reported to the driver (undefined: none yet). */
  saw: number | undefined;
  /** The driver wrote 0 and has not read 0 since. */
  resetAsked = false;
  /** The driver read status 0 after writing 0 (the device is its to initialise). */
  resetDone = false;
  offered = new Set<number>();

  constructor(private readonly queues: number) {}

  get driverOk(): boolean { return ((this.saw ?? 0) & STATUS.DRIVER_OK) !== 0 && this.resetDone; }
  private get featuresOk(): boolean { return ((this.saw ?? 0) & STATUS.FEATURES_OK) !== 0; }

  /** A message from the driver, before the device sees it. */
  sent(m: Message): void {
    const d = directionOf(m.kind);
    if (m.kind.startsWith('BUS_') || d === 'response' || (d === 'event' && m.kind !== 'EVENT_AVAIL')) {
      throw new Finding('well-formed-messages', `the driver wrote ${describeMessage(m)}, which is not a driver-to-device message (a transport request or EVENT_AVAIL)`);
    }
    if (this.resetAsked && m.kind !== 'GET_DEVICE_STATUS' && m.kind !== 'GET_DEVICE_INFO' && !(m.kind === 'SET_DEVICE_STATUS' && m.status === 0)) {
      throw new Finding('reset-completes', `the driver sent ${describeMessage(m)} while the reset it asked for had not been reported complete (last status read: ${this.saw === undefined ? 'none' : hex(this.saw)}): after writing 0 a driver polls GET_DEVICE_STATUS until it reads 0`);
    }
    if (m.kind === 'SET_DEVICE_STATUS') this.statusWrite(m.status);
    if (m.kind === 'SET_DRIVER_FEATURES') {
      const set = withBlocks(new Set(), m.blockIndex, m.features);
      const notOffered = [...set].filter((b) => !this.offered.has(b));
      const unmet = unmetDependencies(set, DEPENDENCIES);
      if (this.featuresOk) throw new Finding('features-negotiated', `the driver wrote features ${describeFeatures(set)} after FEATURES_OK was accepted: features are frozen until a reset`);
      if (notOffered.length || unmet.length) {
        throw new Finding('features-negotiated', `the driver selected features ${describeFeatures(set)}: ${[
          notOffered.length ? `bits ${notOffered.join(', ')} were not offered (offered: ${describeFeatures(this.offered)})` : '',
          ...unmet.map((u) => `bit ${u.feature} requires bit ${u.requires}, not selected`)].filter(Boolean).join('; ')}`);
      }
    }
    if ((m.kind === 'SET_VQUEUE' || m.kind === 'RESET_VQUEUE') && !this.featuresOk) {
      throw new Finding('queue-state-rules', `the driver sent ${describeMessage(m)} before it read FEATURES_OK back (last status read: ${this.saw === undefined ? 'none' : hex(this.saw)}): queues are set up only once the features are accepted`);
    }
    if (m.kind === 'EVENT_AVAIL') {
      if (m.vqIndex >>> 0 >= this.queues) throw new Finding('queue-state-rules', `the driver notified queue ${m.vqIndex}, which does not exist (max_virtqueues ${this.queues})`);
      if (!this.driverOk) throw new Finding('queue-state-rules', `the driver notified queue ${m.vqIndex} before DRIVER_OK (last status read: ${this.saw === undefined ? 'none' : hex(this.saw)}): a driver sends no notification before it sets DRIVER_OK`);
    }
  }

  private statusWrite(s: number): void {
    if (s === 0) { this.resetAsked = true; this.resetDone = false; return; }
    if (!this.resetDone) throw new Finding('reset-completes', `the driver wrote status ${hex(s)} before it reset the device (write 0, then read 0): the device may still run with a previous owner's state`);
    const base = this.saw ?? 0;
    if ((base & s) !== base) throw new Finding('status-sequence', `the driver wrote status ${hex(s)}, clearing bits ${hex(base & ~s)} of the status ${hex(base)} it read: only a reset (writing 0) clears bits`);
    if (!isStatusPrefix(s & ~(STATUS.FAILED | STATUS.DEVICE_NEEDS_RESET))) throw new Finding('status-sequence', `the driver wrote status ${hex(s)}, skipping a step of ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK`);
    if (s & STATUS.DRIVER_OK & ~base && !this.featuresOk) {
      throw new Finding('status-sequence', `the driver set DRIVER_OK (status ${hex(s)}) though the last status it read, ${hex(base)}, does not have FEATURES_OK: it must see FEATURES_OK read back (the device may refuse the features) before it goes on`);
    }
  }

  /** A message from the device, as the driver is shown it. */
  shown(m: Message): void {
    if (m.kind === 'SET_DEVICE_STATUS_RESP' || m.kind === 'GET_DEVICE_STATUS_RESP') {
      this.saw = m.status;
      if (this.resetAsked && m.status === 0) { this.resetAsked = false; this.resetDone = true; }
    }
    if (m.kind === 'GET_DEVICE_FEATURES_RESP') this.offered = withBlocks(this.offered, m.blockIndex, m.features);
  }
}

export async function runProcessDriver(argv: readonly string[], o: ProcessOptions = {}): Promise<ProcessSessionResult<ProcessDriverRule>> {
  const timeoutMs = o.timeoutMs ?? 2000;
  const queues = o.queues ?? 2;
  const max = o.maxMessageSize ?? RECOMMENDED_MAX_MSG_SIZE;
  const peer = new Peer(argv, { memoryLimitMb: o.memoryLimitMb, maxSize: max, signal: o.signal });
  const dev = new VirtioMsgDevice({ ...deviceOptions({ queues, maxMessageSize: max }), devNum: 0 });
  const rules = new DriverRules(queues);
  const exchange: string[] = [];
  let messages = 0;

  const send = (m: Message) => {
    exchange.push(`<- ${describeMessage(m)}`);
    rules.shown(m);
    peer.send(encode(m, { maxSize: max }));
  };
  /** The device's answer, with buffers "used" at once: no ring memory is shared with a process. */
  const answer = (m: Message) => {
    if (dev.hasDeferredWork) dev.tick(); // an asynchronous reset completes before the next message
    for (const out of dev.receive(m)) {
      if (out.type === 'send') send(out.message);
      else if (out.type === 'process-queue') for (const u of dev.used(out.index)) if (u.type === 'send') send(u.message);
    }
  };
  const stderrTail = () => (peer.stderr.trim() ? `; its stderr ends: ${peer.stderr.trim().slice(-300)}` : '');

  let finding: ProcessSessionResult<ProcessDriverRule>['finding'];
  try {
    for (;;) {
      const wait = messages === 0 ? Math.max(timeoutMs, STARTUP_MS) : timeoutMs;
      const a = await peer.next(wait);
      if (!a) {
        if (rules.driverOk) break; // quiet once the device runs: done
        throw new Finding('no-actor-error', `the driver wrote nothing for ${wait} ms before the device reached DRIVER_OK (hung, or waiting for a message the device does not send)`);
      }
      if (a.kind === 'gone') {
        if (!a.clean) throw new Finding('no-actor-error', `the driver process ended: ${a.why}${stderrTail()}`);
        if (rules.driverOk) break;
        throw new Finding('init-completes', `the driver process exited (code 0) before it brought the device to DRIVER_OK (last status read: ${rules.saw === undefined ? 'none' : hex(rules.saw)})`);
      }
      if (a.kind === 'garbage') throw new Finding('well-formed-messages', `the driver wrote bytes that cannot be framed as messages: ${a.why}`);
      if (++messages > MAX_MESSAGES) {
        if (rules.driverOk) break; // a driver that keeps working: judged on what it did so far
        throw new Finding('init-completes', `the driver wrote ${MAX_MESSAGES} messages without bringing the device to DRIVER_OK (a livelock: it retries for ever)`);
      }
      const r = tryDecode(a.bytes, { maxSize: max });
      if (!r.ok) {
        exchange.push(`-> ${describeBytes(a.bytes)}`);
        throw new Finding('well-formed-messages', `the driver wrote a malformed message (${r.error.kind}): ${r.error.message}${oversize(a.bytes, max)}`);
      }
      exchange.push(`-> ${describeMessage(r.message)}`);
      rules.sent(r.message);
      answer(r.message);
    }
  } catch (e) {
    if (!(e instanceof Finding)) throw e;
    finding = { rule: e.rule, message: e.message, exchange: exchange.slice() };
  } finally {
    await peer.close();
  }
  if (peer.interrupted) return { judged: [], messages, stderr: peer.stderr, interrupted: true };
  // A driver's rules concern the whole exchange: after a finding cut it short, none is established.
  const judged = finding === undefined ? PROCESS_DRIVER_RULES.map((r) => r.name) : [];
  return { finding, judged, messages, stderr: peer.stderr, couldNotRun: peer.couldNotRun };
}
