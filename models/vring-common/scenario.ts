/**
 * What the two virtqueue formats share above the ring layout: the events, the scenario notes, the
 * requests the driver sends, and the scenario loops that drive the protocol steps. Only the steps
 * (how a buffer is added, popped, used, how notifications are suppressed) differ per format.
 */
import { refs } from '../../harness/core/define-model.ts';
import type { ActorDef, Params } from '../../harness/core/model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { fmt } from './ring-math.ts';

/** What every protocol step gets: the ring, its actor's private state, and the protocol (to call the other steps through). */
export interface StepCtx<Q, S, P> {
  readonly q: Q;
  readonly s: S;
  readonly proto: P;
}

/** `kick`: available buffer notification (driver -> device); `used-irq`: used buffer notification (device -> driver). */
export const EVENTS = refs('kick', 'used-irq');

/** Ghost notes the scenario emits (never the protocol steps): what the oracles cannot see in memory. */
export const NOTES = refs(
  'added', // driver scenario: buffer b went in with head (split) or buffer id (packed) h (data: b, h)
  'got',   // driver scenario: get_buf returned a buffer (data: id, len)
);

export function describeNote(name: string, data: readonly number[]): string | undefined {
  if (name === 'added') return `buffer ${data[0]} made available as ${data[2] === 1 ? 'buffer id' : 'head'} ${data[1]}`;
  if (name === 'got') return `get_buf: id ${data[0]}, len ${fmt(data[1])}`;
  return undefined;
}

/** One scatter-gather segment of a request. */
export interface Segment {
  readonly addr: number;
  readonly len: number;
  readonly write: boolean;
}

/** Request b: `chainLength - 1` readable segments (the request), then one writable segment (room for the response). */
export function segmentsOf(chainLength: number, b: number): Segment[] {
  return Array.from({ length: chainLength }, (_, j) => ({
    addr: 0x100000 + 0x1000 * b + 0x100 * j,
    len: j === chainLength - 1 ? 0x100 : 0x10,
    write: j === chainLength - 1,
  }));
}

/**
 * The response the device has for every request: longer than the writable buffer (0x100), so the
 * device must cut it to what the driver offered and report only the bytes it wrote.
 */
export const RESPONSE_BYTES = 0x180;

export interface UsedBuffer {
  readonly id: number;
  readonly len: number;
}

/** The device marks the ring broken (QEMU virtio_error, NEEDS_RESET) and stops: a model assertion. */
export function broken(what: string): Error {
  return new Error(`broken ring: ${what}`);
}

export interface DriverSteps<X> {
  /** Adds buffer b; returns its head or buffer id, or undefined when the ring has no room. */
  readonly addBuffer: (x: X, buffer: number) => Program<number | undefined>;
  readonly kick: (x: X) => Program;
  readonly drainUsed: (x: X, onBuffer: (b: UsedBuffer) => Program, refill: () => Program) => Program;
}

/**
 * The driver scenario, shaped like virtio-net's receive path: post as many of the `buffers`
 * requests as fit and kick; sleep until the used-buffer interrupt; in the interrupt handler's poll
 * (the protocol's drain step) take the used buffers back, refill the ring (try_fill_recv before
 * napi_complete, so the device can be using new buffers while the driver is still polling), then
 * re-enable and re-check; again until every request came back.
 */
export function* driverScenario<X>(steps: DriverSteps<X>, x: X, buffers: number, idKind: 0 | 1): Program {
  let next = 0;
  let received = 0;
  function* refill(): Program {
    let added = 0;
    for (; next < buffers; next++, added++) {
      const h = yield* steps.addBuffer(x, next);
      if (h === undefined) break;
      yield p.note(NOTES.added, next, h, idKind);
    }
    if (added > 0) yield* steps.kick(x);
  }
  function* onBuffer(b: UsedBuffer): Program {
    yield p.note(NOTES.got, b.id, b.len);
    received++;
  }
  yield* refill();
  while (received < buffers) {
    yield p.idle(EVENTS['used-irq']);
    yield* steps.drainUsed(x, onBuffer, refill);
  }
}

export interface DeviceSteps<X, L> {
  /** The next available chain or list, or undefined when the ring is empty. */
  readonly popAvail: (x: X) => Program<L | undefined>;
  /** Consumes it; returns the bytes written into its writable part. */
  readonly serve: (x: X, l: L) => Program<number>;
  readonly pushUsed: (x: X, l: L, len: number) => Program;
  readonly shouldNotify: (x: X) => Program<boolean>;
  readonly disableKicks: (x: X) => Program;
  /** Re-enables kicks and re-checks: true when the ring is still empty (safe to sleep). */
  readonly enableKicks: (x: X) => Program<boolean>;
}

/** The device scenario (vhost handle_tx style): sleep until a kick, then serve until empty, re-enabling and re-checking before sleeping. */
export function* deviceScenario<X, L>(steps: DeviceSteps<X, L>, x: X): Program {
  for (;;) {
    yield p.idle(EVENTS.kick);
    yield* steps.disableKicks(x);
    for (;;) {
      const l = yield* steps.popAvail(x);
      if (l === undefined) {
        if (yield* steps.enableKicks(x)) break;
        yield* steps.disableKicks(x);
        continue;
      }
      const written = yield* steps.serve(x, l);
      yield* steps.pushUsed(x, l, written);
      if (yield* steps.shouldNotify(x)) yield p.notify(EVENTS['used-irq']);
    }
  }
}

export interface CallbackSteps<X> {
  readonly getBuf: (x: X) => Program<UsedBuffer | undefined>;
  readonly disableCb: (x: X) => Program;
  /** virtqueue_enable_cb: true when callbacks are on and nothing is pending (safe to sleep). */
  readonly enableCb: (x: X) => Program<boolean>;
}

/**
 * The interrupt handler's poll (virtio-net virtnet_poll): disable callbacks, take every used buffer,
 * refill, re-enable and re-check (virtqueue_napi_complete), and go round again if the re-check
 * found more.
 */
export function* drainUsedLoop<X>(steps: CallbackSteps<X>, x: X, onBuffer: (b: UsedBuffer) => Program, refill: () => Program): Program {
  yield* steps.disableCb(x);
  for (;;) {
    for (let b = yield* steps.getBuf(x); b !== undefined; b = yield* steps.getBuf(x)) yield* onBuffer(b);
    yield* refill();
    if (yield* steps.enableCb(x)) return;
    yield* steps.disableCb(x);
  }
}

/** The driver and the device of a model, each running its scenario over the protocol's steps. */
export function vringActors<XD, XV, L>(
  driver: { steps: DriverSteps<XD>; ctx: () => XD; buffers: number; idKind: 0 | 1 },
  device: { steps: DeviceSteps<XV, L>; ctx: () => XV },
): ActorDef[] {
  return [
    { name: 'driver', program: () => driverScenario(driver.steps, driver.ctx(), driver.buffers, driver.idKind) },
    { name: 'device', program: () => deviceScenario(device.steps, device.ctx()) },
  ];
}

/** The parts of defineModel both virtqueue models fill in the same way. */
export const VRING_MODEL_COMMON = {
  events: Object.values(EVENTS),
  notes: Object.values(NOTES),
  // The lost-notification races of the missing-barrier mutants cost 3 under tso (two preemptions
  // and one load that overtakes a buffered store); under sc every mutant is found with fewer.
  defaultPreemptions: 3,
  /** Generous: a run that goes past it is a livelock (a chain walked forever, a spin that never ends). */
  maxSteps: (q: Params) => 400 + 120 * q.buffers * (Math.max(q.chainLength, q.lastChainLength ?? 1) + 4),
  describeNote: (note: { name: string }, data: readonly number[]) => describeNote(note.name, data),
};

export const BUFFERS_PARAM = { name: 'buffers', default: 3, min: 1, max: 64, description: 'requests the driver sends' } as const;

/** Mutant steps that read the same in both formats. */
export const commonMutantSteps = {
  /** Re-enables used notifications and goes to sleep without re-checking the ring. */
  *enableCbNoRecheck<X extends { readonly proto: { readonly enableCbPrepare: (x: X) => Program<number> } }>(x: X): Program<boolean> {
    yield* x.proto.enableCbPrepare(x);
    return true;
  },
  /** Reads the driver's suppression state right after publishing used entries, with no full barrier in between. */
  *shouldNotifyNoMb<X extends { readonly proto: { readonly notifyNeeded: (x: X) => Program<boolean> } }>(x: X): Program<boolean> {
    return yield* x.proto.notifyNeeded(x);
  },
};
