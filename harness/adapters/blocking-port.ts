/**
 * A worker-side mode of the threads engine for code that cannot yield: third-party JavaScript
 * calls a synchronous port, and every call publishes the operation, completes the current grant
 * and sleeps at the turnstile until the engine grants the next step. Only then is the operation
 * applied (SharedState.apply, as ActorDriver does) and its value returned to the caller.
 *
 * How it plugs in without changing harness/engine: the actor's `program()` is called by
 * ActorDriver.begin() inside the BEGIN grant. A blocking actor's program() never returns there; it
 * takes over the worker's turnstile loop with the same channel (from workerInit(): the buffers
 * are no longer in workerData, where the third-party code could reach them) and serves every
 * later grant itself. A BEGIN that arrives while the third-party code is inside a port call
 * abandons that execution: the port call throws Restart (again on every later call, should the
 * code catch it), and the loop starts the actor afresh.
 *
 * On the main thread (the inline engine) a blocking actor cannot run: program() throws.
 */
import { isMainThread } from 'node:worker_threads';
import type { ActorDef, ModelInstance } from '../core/model.ts';
import { Fence, OpKind, type Op, type Program } from '../core/ops.ts';
import { SharedState } from '../core/shared-state.ts';
import { DONE, FAILED } from '../engine/engine.ts';
import { Channel, Command, Pending, Word } from '../engine/threads/channel.ts';
import { workerInit } from '../engine/threads/worker-init.ts';
import { TraceWriter } from '../engine/threads/trace-channel.ts';
import { awaitGrant, complete } from '../engine/threads/turnstile.ts';

/** Thrown out of a port call when the engine starts a new execution; never an actor failure. */
export class Restart extends Error {
  override name = 'Restart';
}

/** The synchronous port third-party JavaScript uses: named fields and events (docs/third-party.md). */
export interface SyncPort {
  load(field: string): number;
  store(field: string, value: number): number;
  add(field: string, delta: number): number;
  exchange(field: string, value: number): number;
  cas(field: string, expected: number, value: number): number;
  wmb(): void;
  rmb(): void;
  mb(): void;
  notify(event: string): void;
  wait(event: string): void;
  poll(event: string): boolean;
  pause(): void;
  /** The model's parameters (configBytes, updates, ...). */
  readonly params: Readonly<Record<string, number>>;
  /** The layout's field names, in layout order. */
  readonly fields: readonly string[];
}

/** The low-level side the adapters use: raw ops and notes (ghost annotations for the oracles). */
export interface RawPort {
  op(o: Op): number;
  note(id: number, data?: readonly number[]): void;
}

/** An observer the scheme adapter may install to annotate the trace around memory operations. */
export type OpHook = (o: Op) => void;

/** Builds a SyncPort over raw ops; `before` sees every operation before it is published. */
export function syncPort(instance: ModelInstance, raw: RawPort, before?: OpHook): SyncPort {
  const fieldId = (name: string): number => {
    if (typeof name !== 'string' || !instance.layout.has(name)) {
      throw new TypeError(`no field named ${String(name)} (fields: ${instance.layout.fields.map((f) => f.name).join(', ')})`);
    }
    return instance.layout.field(name).id;
  };
  const eventId = (name: string): number => {
    const e = instance.events.find((x) => x.name === name);
    if (!e) throw new TypeError(`no event named ${String(name)} (events: ${instance.events.map((x) => x.name).join(', ')})`);
    return e.id;
  };
  const num = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what} must be a finite number, not ${String(v)}`);
    return v;
  };
  const run = (o: Op): number => { before?.(o); return raw.op(o); };
  return {
    load: (f) => run({ k: OpKind.LOAD, t: fieldId(f), v: 0, w: 0 }),
    store: (f, v) => run({ k: OpKind.STORE, t: fieldId(f), v: num(v, 'a stored value'), w: 0 }),
    add: (f, d) => run({ k: OpKind.ADD, t: fieldId(f), v: num(d, 'a delta'), w: 0 }),
    exchange: (f, v) => run({ k: OpKind.XCHG, t: fieldId(f), v: num(v, 'a value'), w: 0 }),
    cas: (f, e, v) => run({ k: OpKind.CAS, t: fieldId(f), v: num(v, 'a value'), w: num(e, 'an expected value') }),
    wmb: () => { run({ k: OpKind.FENCE, t: Fence.WMB, v: 0, w: 0 }); },
    rmb: () => { run({ k: OpKind.FENCE, t: Fence.RMB, v: 0, w: 0 }); },
    mb: () => { run({ k: OpKind.FENCE, t: Fence.MB, v: 0, w: 0 }); },
    notify: (e) => { run({ k: OpKind.NOTIFY, t: eventId(e), v: 0, w: 0 }); },
    wait: (e) => { run({ k: OpKind.WAIT, t: eventId(e), v: 0, w: 0 }); },
    poll: (e) => run({ k: OpKind.POLL, t: eventId(e), v: 0, w: 0 }) === 1,
    pause: () => { run({ k: OpKind.PAUSE, t: 0, v: 0, w: 0 }); },
    params: Object.freeze({ ...instance.params }),
    fields: instance.layout.fields.map((f) => f.name),
  };
}

/** A synchronous actor body: runs one execution to its end (or forever, idling). */
export type BlockingBody = (raw: RawPort) => void;

/**
 * An actor whose body runs synchronously in its threads-engine worker. `prepare` runs in the
 * worker once, at the first BEGIN (it may import the third-party module) and returns the body.
 */
export function blockingActor(name: string, instance: () => ModelInstance, prepare: () => BlockingBody): ActorDef {
  return {
    name,
    program: (): Program => {
      if (isMainThread) {
        throw new Error(`actor ${name} runs third-party code that cannot yield: it runs on the threads engine only`);
      }
      const init = workerInit();
      const inst = instance();
      const state = new SharedState(inst.layout, inst.events.length, init.memory);
      return new BlockingRunner(init.actor, state, new Channel(init.channel)).serve(prepare);
    },
  };
}

class BlockingRunner {
  private readonly trace: TraceWriter;
  private seq: number;
  private abandoned = false;

  constructor(private readonly index: number, private readonly state: SharedState, private readonly channel: Channel) {
    this.trace = new TraceWriter(channel);
    state.onFlush = (_a, field, value, forced) => this.trace.op(forced ? OpKind.DRAIN : OpKind.FLUSH, field, value);
    state.onStale = (_a, field, older) => this.trace.op(OpKind.STALE, field, older);
    // We are inside the BEGIN grant ActorDriver is serving; its trace cursor was reset already.
    this.seq = Atomics.load(channel.ctl, Word.GRANT);
  }

  serve(prepare: () => BlockingBody): never {
    let body: BlockingBody | undefined;
    const raw: RawPort = { op: (o) => this.op(o), note: (id, data) => this.trace.note(id, data) };
    for (;;) {
      // In a BEGIN grant here.
      this.abandoned = false;
      let outcome: { failed?: unknown } | undefined;
      try {
        body ??= prepare();
        body(raw);
        outcome = {};
      } catch (e) {
        outcome = e instanceof Restart || this.abandoned ? undefined : { failed: e };
      }
      if (this.abandoned) continue; // a new BEGIN arrived during a port call: start again at once
      if (outcome?.failed !== undefined) this.fail(outcome.failed); else this.publish(undefined);
      // Finished (done or failed): the only meaningful next grant is a BEGIN.
      for (;;) {
        this.next();
        if (this.channel.ctl[Word.CMD] === Command.BEGIN) break;
        this.fail(new Error('the actor has no pending operation'));
      }
    }
  }

  /** Completes the current grant and waits for the next one. */
  private next(): void {
    complete(this.channel.ctl, this.seq);
    this.seq = awaitGrant(this.channel.ctl, this.seq);
    this.trace.reset();
    this.channel.ctl[Word.THROWN] = 0;
  }

  private op(o: Op): number {
    if (this.abandoned) throw new Restart('the execution was abandoned');
    this.publish(o);
    for (;;) {
      this.next();
      if (this.channel.ctl[Word.CMD] === Command.BEGIN) {
        this.abandoned = true;
        throw new Restart('the execution was abandoned');
      }
      let value: number;
      try {
        value = this.state.apply(this.index, o);
      } catch (e) {
        // A harness limit, not the actor's fault: the main thread rethrows it; the op stays pending.
        this.channel.writeFailure(e instanceof Error ? e.message : String(e));
        this.channel.ctl[Word.THROWN] = 1;
        continue;
      }
      this.trace.op(o.k, o.t, value);
      return value;
    }
  }

  private publish(o: Op | undefined): void {
    const p = this.channel.pending;
    p[Pending.KIND] = o ? o.k : DONE;
    p[Pending.TARGET] = o ? o.t : 0;
    p[Pending.VALUE] = o ? o.v : 0;
  }

  private fail(e: unknown): void {
    this.channel.writeFailure(e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${String(e)}`);
    const p = this.channel.pending;
    p[Pending.KIND] = FAILED;
    p[Pending.TARGET] = 0;
    p[Pending.VALUE] = 0;
  }
}
