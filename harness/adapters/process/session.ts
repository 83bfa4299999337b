/**
 * An external process as a transport-msg device: it speaks the virtio-msg wire format on stdin and
 * stdout (each message framed by its header's msg_size), is spawned without a shell, and is driven
 * by the reference driver (models/transport-msg/reference, sans-IO) through the transport-msg
 * scenario: probe, reset, ACKNOWLEDGE/DRIVER, the requests a conforming driver never sends,
 * features, config, queues (one enabled before DRIVER_OK, one provisioned late), notifications,
 * queue reset. Every message the process writes is checked against the rules of transport-msg.
 *
 * A process that exits, crashes, stays silent past the timeout or writes bytes that are not a
 * message is a finding with the exchange that led there, never an error of the tool.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { track } from '../../core/interrupt.ts';
import { describeMessage, directionOf, encode, frames, isResponseTo, peekHeader, tryDecode } from '../../msg/codec.ts';
import { HEADER_BYTES, STATUS, type Message } from '../../msg/types.ts';
import { QUEUE_SIZE, queueAddrs } from '../../../models/transport-msg/layout.ts';
import { limitHint } from '../../msg/limit.ts';
import { RECOMMENDED_MAX_MSG_SIZE } from '../../msg/types.ts';
import { driverOptions } from '../../../models/transport-msg/index.ts';
import { VirtioMsgDriver, type Operation } from '../../../models/transport-msg/reference/driver.ts';
import { F, toBlocks } from '../../../models/transport-msg/reference/features.ts';

/** The rules a process device is judged by, with transport-msg's names where they are the same rule. */
export const PROCESS_RULES = [
  { name: 'well-formed-messages', kind: 'safety', protects: 'Every message the device writes is well formed (strict codec: sizes, reserved bits, known ids).' },
  { name: 'one-response-per-request', kind: 'safety', protects: 'Every request is answered exactly once, with its token and the matching response kind, and nothing else is answered.' },
  { name: 'status-sequence', kind: 'safety', protects: 'The status the device reports only gains bits the driver set (a write that clears a bit is refused), until the driver writes 0.' },
  { name: 'init-completes', kind: 'liveness', protects: 'The reference driver completes initialisation: info, reset, features with FEATURES_OK read back, config, queues, DRIVER_OK, queue reset.' },
  { name: 'queue-state-rules', kind: 'safety', protects: 'GET_VQUEUE of an index beyond max_virtqueues answers the all-zero sentinel.' },
  { name: 'no-io-when-not-live', kind: 'safety', protects: 'The device announces used buffers (EVENT_USED) only for a live queue (enabled, after DRIVER_OK).' },
  { name: 'no-lost-notification', kind: 'liveness', protects: 'Every EVENT_AVAIL on a live queue is followed by EVENT_USED for that queue.' },
  { name: 'no-actor-error', kind: 'safety', protects: 'The device process does not exit, crash or stop answering while the driver talks to it.' },
] as const;

export type ProcessRule = (typeof PROCESS_RULES)[number]['name'];

export interface ProcessFinding<R extends string = ProcessRule> {
  readonly rule: R;
  readonly message: string;
  /** The messages exchanged up to the finding, one line each ("-> GET_DEVICE_INFO dev 0 #1"). */
  readonly exchange: readonly string[];
}

export interface ProcessSessionResult<R extends string = ProcessRule> {
  readonly finding?: ProcessFinding<R>;
  /** Rules the session got far enough to judge (those after a finding are not established). */
  readonly judged: readonly R[];
  readonly messages: number;
  readonly stderr: string;
  /** The command could not be started (bad input rather than a finding). */
  readonly couldNotRun?: string;
  /** The session was stopped by its abort signal (SIGINT, SIGTERM): the process was ended, nothing was judged from then on. */
  readonly interrupted?: boolean;
}

export interface ProcessOptions {
  /** Milliseconds the process may take to answer (or to announce used buffers). Default 2000. */
  readonly timeoutMs?: number;
  readonly queues?: number;
  /**
   * The bus's maximum message size in bytes (52..264; default 264): a frame larger is a finding.
   * The process learns it from the environment variable VIRTIO_MSG_MAX_MESSAGE_SIZE.
   */
  readonly maxMessageSize?: number;
  /**
   * Address-space limit of the process in MiB, set with util-linux prlimit (the process is then
   * `prlimit --as=N -- command...`, still without a shell). Runtimes that reserve large virtual
   * ranges (Node, Java, Go) need a generous value. Default: no limit.
   */
  readonly memoryLimitMb?: number;
  /** Ends the process and the session (SIGINT, SIGTERM). */
  readonly signal?: AbortSignal;
}

/** How long the first answer may take at least (the process starts up). */
export const STARTUP_MS = 10_000;

class Finding extends Error {
  constructor(readonly rule: ProcessRule, message: string) { super(message); }
}

/** `clean`: the process exited with code 0 (for a driver, the normal end once its work is done). */
export type Arrival = { kind: 'frame'; bytes: Uint8Array } | { kind: 'gone'; why: string; clean: boolean } | { kind: 'garbage'; why: string };

/** The process and its byte stream, framed into messages (shared by the device and driver sessions). */
export class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = new Uint8Array(0);
  private readonly maxSize: number;
  private readonly arrivals: Arrival[] = [];
  private waiter: (() => void) | undefined;
  private gone: string | undefined;
  stderr = '';
  /** Set when the command could not be started at all (no such program). */
  couldNotRun: string | undefined;
  /** The abort signal ended the process. */
  interrupted = false;

  /** `maxSize`: the most bytes a message may have; a header announcing more is not a message (debug text, garbage). */
  constructor(argv: readonly string[], o: { memoryLimitMb?: number; maxSize: number; signal?: AbortSignal }) {
    const full = o.memoryLimitMb === undefined ? argv : ['prlimit', `--as=${o.memoryLimitMb * 1024 * 1024}`, '--', ...argv];
    this.maxSize = o.maxSize;
    const env = { ...process.env, VIRTIO_MSG_MAX_MESSAGE_SIZE: String(o.maxSize) };
    this.child = track(spawn(full[0], full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], shell: false, env }));
    if (o.signal) {
      const stop = () => { this.interrupted = true; this.child.kill('SIGKILL'); };
      if (o.signal.aborted) stop(); else o.signal.addEventListener('abort', stop, { once: true });
      this.child.once('close', () => o.signal!.removeEventListener('abort', stop));
    }
    this.child.on('error', (e) => { this.couldNotRun = e.message; this.end(`it could not run: ${e.message}`); });
    // 'close', not 'exit': by then everything it wrote on stdout has been read.
    this.child.on('close', (code, signal) => this.end(signal ? `it was killed by ${signal}` : `it exited with code ${code}`, code === 0));
    this.child.stdin.on('error', () => { /* EPIPE once it is gone: the exit says why */ });
    this.child.stderr.on('data', (d: Buffer) => { if (this.stderr.length < 4096) this.stderr += d.toString('utf8'); });
    this.child.stdout.on('data', (d: Buffer) => this.data(d));
  }

  private data(d: Buffer): void {
    const joined = new Uint8Array(this.buffer.length + d.length);
    joined.set(this.buffer);
    joined.set(d, this.buffer.length);
    try {
      const f = frames(joined);
      for (const bytes of f.frames) this.push({ kind: 'frame', bytes: bytes.slice() });
      this.buffer = f.rest.slice();
      // Waiting for the rest of a "message" no message can be as long as would only end in a timeout.
      const size = this.buffer.length >= HEADER_BYTES ? peekHeader(this.buffer).msgSize : 0;
      if (size > this.maxSize) {
        this.push({ kind: 'garbage', why: `a header announcing msg_size ${size}, more than the ${this.maxSize} bytes a message may have (${describeBytes(this.buffer)}${printable(this.buffer)}); ${limitHint(this.maxSize)}` });
        this.buffer = new Uint8Array(0);
      }
    } catch (e) {
      this.push({ kind: 'garbage', why: (e as Error).message });
      this.buffer = new Uint8Array(0);
    }
  }

  private end(why: string, clean = false): void {
    if (this.gone !== undefined) return;
    this.gone = why;
    if (this.buffer.length) this.push({ kind: 'garbage', why: `${this.buffer.length} bytes that are not a whole message before it ended` });
    this.push({ kind: 'gone', why, clean });
  }

  private push(a: Arrival): void {
    this.arrivals.push(a);
    this.waiter?.();
  }

  send(bytes: Uint8Array): void {
    if (this.gone === undefined) this.child.stdin.write(bytes);
  }

  /** The next arrival, or undefined after `timeoutMs`. */
  async next(timeoutMs: number): Promise<Arrival | undefined> {
    if (this.arrivals.length) return this.arrivals.shift();
    if (this.gone !== undefined) return undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.waiter = undefined; resolve(); }, timeoutMs);
      this.waiter = () => { clearTimeout(timer); this.waiter = undefined; resolve(); };
    });
    return this.arrivals.shift();
  }

  /** Collects what arrives within `ms` (events the device may still send). */
  async settle(ms: number): Promise<Arrival[]> {
    const out: Arrival[] = [];
    const end = performance.now() + ms;
    for (let left = ms; left > 0; left = end - performance.now()) {
      const a = await this.next(left);
      if (!a) break;
      out.push(a);
      if (a.kind !== 'frame') break;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.gone !== undefined) return;
    // Ended by 'close' (stdio drained); a grandchild holding stdout open must not keep us waiting.
    const closed = new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      setTimeout(resolve, 1500).unref();
    });
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 500);
    await closed;
    clearTimeout(timer);
  }
}

/** "11 bytes: 00 05 00 ..." for a frame that does not decode. */
export function describeBytes(bytes: Uint8Array): string {
  return `${bytes.length} bytes: ${Array.from(bytes.slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ')}${bytes.length > 16 ? ' ...' : ''}`;
}

/** `; the bus maximum ...` for a frame longer than the limit (the finding names the limit and how to change it). */
export function oversize(bytes: Uint8Array, max: number): string {
  return bytes.length > max ? `; ${limitHint(max)}` : '';
}

/** `, text "hello"` when the bytes read as text (a process printing debug output on stdout). */
function printable(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.slice(0, 40));
  return /^[\x20-\x7e\t\r\n]+$/.test(text) ? `, text ${JSON.stringify(text)}` : '';
}


export async function runProcessDevice(argv: readonly string[], o: ProcessOptions = {}): Promise<ProcessSessionResult> {
  const timeoutMs = o.timeoutMs ?? 2000;
  const queues = o.queues ?? 2;
  const max = o.maxMessageSize ?? RECOMMENDED_MAX_MSG_SIZE;
  const peer = new Peer(argv, { memoryLimitMb: o.memoryLimitMb, maxSize: max, signal: o.signal });
  const drv = new VirtioMsgDriver(driverOptions({ maxMessageSize: max }));
  const exchange: string[] = [];
  const judged = new Set<ProcessRule>();
  let messages = 0;
  let outstanding: Message | undefined;
  // status-sequence: bits the driver wrote since its last reset, the last status reported.
  let resetting = true;
  let written = 0;
  let reported = 0;
  const live = new Set<number>();
  const enabled = new Set<number>();
  let driverOk = false;
  const used = new Map<number, number>();

  const send = (m: Message) => {
    exchange.push(`-> ${describeMessage(m)}`);
    if (directionOf(m.kind) === 'request') outstanding = m;
    if (m.kind === 'SET_DEVICE_STATUS') {
      if (m.status === 0) { resetting = true; written = 0; } else written |= m.status;
    }
    peer.send(encode(m, { maxSize: max }));
  };

  const judge = (m: Message) => {
    if (directionOf(m.kind) === 'response') {
      if (!outstanding || !isResponseTo(m, outstanding)) {
        throw new Finding('one-response-per-request', outstanding
          ? `the device answered ${describeMessage(outstanding)} with ${describeMessage(m)} (wrong kind or token)`
          : `the device sent ${describeMessage(m)}, but no request is outstanding`);
      }
      outstanding = undefined;
      if (m.kind === 'SET_DEVICE_STATUS_RESP' || m.kind === 'GET_DEVICE_STATUS_RESP') {
        const s = m.status;
        if (resetting) {
          if (s === 0) { resetting = false; reported = 0; }
        } else {
          if (s & ~written & ~(STATUS.DEVICE_NEEDS_RESET | STATUS.FAILED)) throw new Finding('status-sequence', `the device reports status 0x${s.toString(16)}, with bits the driver never set since the reset (it set 0x${written.toString(16)})`);
          if (reported & ~s) throw new Finding('status-sequence', `the device reports status 0x${s.toString(16)} after 0x${reported.toString(16)}: a bit was cleared without a reset (the driver's write that clears a bit must be refused)`);
          reported = s;
        }
      }
      if (m.kind === 'GET_VQUEUE_RESP' && m.index >= queues && (m.maxSize !== 0 || m.curSize !== 0 || m.flags !== 0 || m.descAddr !== 0n || m.driverAddr !== 0n || m.deviceAddr !== 0n)) {
        throw new Finding('queue-state-rules', `GET_VQUEUE of queue ${m.index} (beyond max_virtqueues ${queues}) answered ${describeMessage(m)}, not the all-zero sentinel`);
      }
    } else if (m.kind === 'EVENT_USED') {
      if (!live.has(m.vqIndex)) throw new Finding('no-io-when-not-live', `the device announced used buffers on queue ${m.vqIndex}, which is not live`);
      used.set(m.vqIndex, (used.get(m.vqIndex) ?? 0) + 1);
    }
  };

  // The first answer may take the interpreter's start-up too.
  const wait = () => peer.next(messages === 0 ? Math.max(timeoutMs, STARTUP_MS) : timeoutMs);
  const take = (a: Arrival | undefined, waitingFor: string): void => {
    if (!a) throw new Finding(outstanding ? 'one-response-per-request' : 'no-actor-error', `no message within ${messages === 0 ? Math.max(timeoutMs, STARTUP_MS) : timeoutMs} ms while ${waitingFor} (hung, or the request was dropped)`);
    if (a.kind === 'gone') throw new Finding('no-actor-error', `the device process ended while ${waitingFor}: ${a.why}`);
    if (a.kind === 'garbage') throw new Finding('well-formed-messages', `the device wrote bytes that cannot be framed as messages: ${a.why}`);
    messages++;
    const r = tryDecode(a.bytes, { maxSize: max });
    if (!r.ok) {
      exchange.push(`<- ${describeBytes(a.bytes)}`);
      throw new Finding('well-formed-messages', `the device wrote a malformed message (${r.error.kind}): ${r.error.message}${oversize(a.bytes, max)}`);
    }
    exchange.push(`<- ${describeMessage(r.message)}`);
    judge(r.message);
    drv.receive(r.message);
  };

  const run = async <T>(op: Operation<T>): Promise<Operation<T>> => {
    for (;;) {
      for (let m = drv.next(); m; m = drv.next()) send(m);
      if (op.done) break;
      take(await wait(), `the driver waits for the answer to ${outstanding ? describeMessage(outstanding) : 'its request'}`);
    }
    if (op.error) throw new Finding('init-completes', `the reference driver's ${op.name} failed: ${op.error}`);
    return op;
  };
  const notify = async (index: number) => {
    drv.notify(index, 0);
    for (let m = drv.next(); m; m = drv.next()) send(m);
  };
  /** Takes whatever the device sends within a short while (events are asynchronous). */
  const drain = async (ms: number) => {
    for (const a of await peer.settle(ms)) take(a, 'the driver waits for events');
  };

  let finding: ProcessFinding | undefined;
  try {
    await run(drv.probe());
    await run(drv.reset());
    await run(drv.acknowledge());
    judged.add('well-formed-messages').add('one-response-per-request');
    // What a conforming driver never sends: a status write clearing ACKNOWLEDGE, a queue set up
    // before FEATURES_OK.
    await run(drv.request({ kind: 'SET_DEVICE_STATUS', status: STATUS.DRIVER }));
    judged.add('status-sequence');
    await run(drv.request({ kind: 'SET_VQUEUE', index: 0, flags: 1, size: QUEUE_SIZE, reserved: 0, ...queueAddrs(0) }));
    await run(drv.negotiateFeatures());
    await run(drv.request({ kind: 'SET_DRIVER_FEATURES', blockIndex: 0, features: toBlocks(new Set([F.VERSION_1, F.NOTIFICATION_DATA, F.RING_RESET]), 0, 2) }));
    await run(drv.readConfig());
    for (let i = 0; i < queues; i++) {
      await run(drv.setupQueue({ index: i, size: QUEUE_SIZE, ...queueAddrs(i), enable: i === 0 }));
      if (i === 0) enabled.add(0);
    }
    await run(drv.request({ kind: 'GET_VQUEUE', index: 0xffffffff }));
    judged.add('queue-state-rules');
    await notify(0xffffffff);
    await run(drv.driverOk());
    driverOk = true;
    for (const i of enabled) live.add(i);
    await drain(50);
    // Queues provisioned late: notified while disabled (nothing may happen), then enabled and notified.
    for (let i = 1; i < queues; i++) {
      await notify(i);
      await drain(50);
      await run(drv.enableQueue(i));
      enabled.add(i);
      if (driverOk) live.add(i);
    }
    judged.add('no-io-when-not-live');
    const before = new Map(used);
    for (let i = 0; i < queues; i++) await notify(i);
    const deadline = performance.now() + timeoutMs;
    for (let i = 0; i < queues; i++) {
      while ((used.get(i) ?? 0) <= (before.get(i) ?? 0)) {
        const left = deadline - performance.now();
        const a = left > 0 ? await peer.next(left) : undefined;
        if (!a) throw new Finding('no-lost-notification', `the driver made buffers available on live queue ${i} and sent EVENT_AVAIL; no EVENT_USED for queue ${i} came within ${timeoutMs} ms`);
        take(a, `the driver waits for EVENT_USED on queue ${i}`);
      }
    }
    judged.add('no-lost-notification');
    await run(drv.resetQueue(0));
    live.delete(0);
    await drain(50);
    judged.add('init-completes').add('no-actor-error');
  } catch (e) {
    if (!(e instanceof Finding)) throw e;
    finding = { rule: e.rule, message: e.message, exchange: exchange.slice() };
  } finally {
    await peer.close();
  }
  // Ended by a signal: what it did until then is judged, the end itself is no finding.
  if (peer.interrupted) return { judged: [...judged], messages, stderr: peer.stderr, interrupted: true };
  return { finding, judged: [...judged], messages, stderr: peer.stderr, couldNotRun: peer.couldNotRun };
}
