/**
 * The threads engine: every actor runs in its own pooled worker_thread over the instance's real
 * shared memory, and a turnstile in shared memory lets exactly one actor execute one visible
 * operation at a time. The operations, notes, failures and trace are those of InlineEngine for the
 * same sequence of choices; what differs is that the actor code really runs on another thread, as
 * third-party code must.
 *
 * begin/step/pending* are synchronous (the explorer calls them in a tight loop): the main thread
 * sleeps in Atomics.wait until the worker has completed. A worker that does not complete within
 * stepTimeoutMs (endless loop, crash) marks its actor FAILED and is replaced by recover().
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { MemoryModel, ModelInstance, TraceEntry } from '../../core/model.ts';
import { OpKind } from '../../core/ops.ts';
import { SharedState } from '../../core/shared-state.ts';
import { FAILED, type Engine } from '../engine.ts';
import { ActorWorker } from './actor-worker.ts';
import { Command, Pending, Word } from './channel.ts';
import { loadModel, type ModelSpec } from './model-source.ts';
import { drainTrace } from './trace-channel.ts';
import { awaitCompletion, grant } from './turnstile.ts';

export type ThreadsEngineSpec = ModelSpec;

export interface ThreadsEngineOptions {
  /** How long begin()/step() wait for an actor's worker before declaring it hung or crashed. Default 5000. */
  readonly stepTimeoutMs?: number;
  /** How long a worker may take to start: load TypeScript through tsx, instantiate the model. Default 30000. */
  readonly startupTimeoutMs?: number;
  /** Trace bytes one actor may write in one step (its operation and the notes up to its next one). Default 1 MiB. */
  readonly traceBytes?: number;
  /** Memory model, as InlineEngine's constructor takes it. Default 'sc'. */
  readonly memory?: MemoryModel;
  /** Heap limits of the workers of the actors named (validate's --memory-limit for a module's worker). */
  readonly resourceLimits?: Readonly<Record<string, ResourceLimits>>;
}

/** Starts one pooled worker per actor; resolves once every worker has loaded the model. */
export async function createThreadsEngine(spec: ThreadsEngineSpec, options: ThreadsEngineOptions = {}): Promise<ThreadsEngine> {
  return await ThreadsEngine.create(spec, options);
}

interface ResolvedOptions {
  readonly stepTimeoutMs: number;
  readonly startupTimeoutMs: number;
  readonly traceBytes: number | undefined;
  readonly resourceLimits: Readonly<Record<string, ResourceLimits>> | undefined;
}

/** How long recover() lets a broken worker's own end (and its reason) reach the main thread before terminating it. */
const WORKER_END_GRACE_MS = 250;

export class ThreadsEngine implements Engine {
  readonly kind = 'threads' as const;
  readonly trace: TraceEntry[] = [];
  steps = 0;
  private readonly workers: ActorWorker[] = [];
  // The pending operation of each actor as last published by its worker, copied once per
  // completion so that the explorer's many pending* calls are plain array reads.
  private readonly kinds: number[];
  private readonly targets: number[];
  private readonly values: number[];
  private readonly failures: (string | undefined)[];
  /** The actor's worker timed out: it is being terminated and must be replaced before the next begin(). */
  private readonly broken: boolean[];
  private spawnCount = 0;
  private closed = false;
  private recovering: Promise<void> | undefined;
  private readonly causes: (string | undefined)[] = [];

  static async create(spec: ThreadsEngineSpec, options: ThreadsEngineOptions = {}): Promise<ThreadsEngine> {
    const def = await loadModel(spec);
    const instance = def.instantiate(spec.variant, spec.params);
    const state = new SharedState(instance.layout, instance.events.length);
    // The flag lives in the shared memory, so the workers' apply() follows it too.
    state.setMemoryModel(options.memory ?? 'sc');
    // Only plain data crosses to the workers.
    const plain: ModelSpec = { model: spec.model, variant: spec.variant, params: { ...spec.params }, module: spec.module };
    const engine = new ThreadsEngine(instance, state, plain, {
      stepTimeoutMs: options.stepTimeoutMs ?? 5000,
      startupTimeoutMs: options.startupTimeoutMs ?? 30_000,
      traceBytes: options.traceBytes,
      resourceLimits: options.resourceLimits,
    });
    await engine.start();
    return engine;
  }

  private constructor(
    readonly instance: ModelInstance,
    readonly state: SharedState,
    private readonly spec: ModelSpec,
    private readonly options: ResolvedOptions,
  ) {
    // Flushes the scheduler chooses run here on the main thread (no actor code is involved); the
    // drains an operation forces happen in the worker and come back through its trace channel.
    state.onFlush = (actor, field, value, forced) => {
      this.trace.push({ step: this.steps, actor, k: forced ? OpKind.DRAIN : OpKind.FLUSH, t: field, v: value });
    };
    const n = instance.actors.length;
    this.kinds = new Array<number>(n).fill(FAILED);
    this.targets = new Array<number>(n).fill(0);
    this.values = new Array<number>(n).fill(0);
    this.failures = new Array<string | undefined>(n).fill('the execution has not begun');
    this.broken = new Array<boolean>(n).fill(false);
  }

  /** Spawns one worker per actor (in parallel); on any failure terminates those that started. */
  private async start(): Promise<void> {
    const started = await Promise.allSettled(this.instance.actors.map((_, a) => this.spawn(a)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    started.forEach((r, a) => { if (r.status === 'fulfilled') this.workers[a] = r.value; });
    if (failed) {
      await this.close();
      throw failed.reason;
    }
  }

  begin(): void {
    if (this.closed) throw new Error('the threads engine is closed');
    if (this.needsRecovery()) throw new Error('the threads engine lost a worker (hung or crashed): await recover() before the next begin()');
    this.state.reset();
    this.instance.init(this.state);
    this.trace.length = 0;
    this.steps = 0;
    // All actors start at once; their entries are still appended in actor order, as inline does.
    const seqs = this.workers.map((w, a) => {
      this.failures[a] = undefined;
      return grant(w.channel.ctl, Command.BEGIN);
    });
    const deadline = performance.now() + this.options.stepTimeoutMs;
    seqs.forEach((seq, a) => this.complete(a, seq, deadline));
  }

  pendingKind(a: number): number { return this.kinds[a]; }
  pendingTarget(a: number): number { return this.targets[a]; }
  pendingValue(a: number): number { return this.values[a]; }
  failure(a: number): string | undefined { return this.failures[a]; }

  step(a: number): void {
    if (this.kinds[a] <= 0) throw new Error(`actor ${this.instance.actors[a].name} has no pending operation`);
    const w = this.workers[a];
    // A death the event loop already reported need not cost a timeout.
    if (w.gone !== undefined) { this.breakActor(a, `actor ${this.instance.actors[a].name} cannot run: ${w.gone}`); return; }
    const seq = grant(w.channel.ctl, Command.STEP);
    this.complete(a, seq, performance.now() + this.options.stepTimeoutMs);
  }

  /** Memory model tso: makes the actor's oldest buffered store visible, as a step of its own. */
  flush(a: number): void {
    this.state.flush(a);
    this.steps++;
  }

  /**
   * Why actor a's last replaced worker ended, if it ended on its own (out of memory, process.exit,
   * an uncaught error) rather than hung: known only after recover(), since a step cannot see it.
   */
  workerEnd(a: number): string | undefined {
    return this.causes[a];
  }

  /** True when a worker hung or died: call recover() before the next begin(). */
  needsRecovery(): boolean {
    for (let a = 0; a < this.workers.length; a++) {
      if (this.broken[a] || this.workers[a].gone !== undefined) return true;
    }
    return false;
  }

  /** Replaces every worker that hung or died by a fresh one; the others keep running. */
  recover(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Two overlapping calls must not both replace the same worker.
    this.recovering ??= Promise.all(this.workers.map(async (w, a) => {
      if (!this.broken[a] && w.gone === undefined) return;
      this.causes[a] = await w.endedOnItsOwn(WORKER_END_GRACE_MS);
      await w.terminate();
      this.workers[a] = await this.spawn(a);
      this.broken[a] = false;
    })).then(() => {}).finally(() => { this.recovering = undefined; });
    return this.recovering;
  }

  async close(): Promise<void> {
    this.closed = true;
    // A recovery under way would otherwise add a worker after we terminated the others.
    await this.recovering?.catch(() => {});
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Thread ids of the current workers (they change only when recover() replaces one). */
  threadIds(): number[] {
    return this.workers.map((w) => w.threadId);
  }

  /** Workers spawned since creation: one per actor, plus one per recovery. */
  get spawned(): number {
    return this.spawnCount;
  }

  private spawn(a: number): Promise<ActorWorker> {
    this.spawnCount++;
    return ActorWorker.start(
      { spec: this.spec, actor: a, actorName: this.instance.actors[a].name, memory: this.state.sab },
      { traceBytes: this.options.traceBytes, startupTimeoutMs: this.options.startupTimeoutMs, resourceLimits: this.options.resourceLimits?.[this.instance.actors[a].name] },
    );
  }

  /** Waits for grant `seq` of actor a, then takes over its trace entries and next operation. */
  private complete(a: number, seq: number, deadline: number): void {
    const w = this.workers[a];
    const ch = w.channel;
    const done = awaitCompletion(ch.ctl, seq, deadline, () => !w.stoppedNow());
    // After a timeout this still takes what the actor published before it hung: the operation it
    // executed on the shared memory belongs in the trace.
    this.steps = drainTrace(ch, a, this.steps, this.trace);
    if (!done) {
      this.breakActor(a, w.stoppedNow()
        ? `actor ${this.instance.actors[a].name}'s worker stopped during its operation (crashed)`
        : `actor ${this.instance.actors[a].name} did not finish its operation within ${this.options.stepTimeoutMs} ms (hung or crashed)`);
      return;
    }
    if (ch.ctl[Word.THROWN] === 1) throw new Error(ch.readFailure());
    const p = ch.pending;
    const k = p[Pending.KIND];
    this.kinds[a] = k;
    this.targets[a] = p[Pending.TARGET];
    this.values[a] = p[Pending.VALUE];
    this.failures[a] = k === FAILED ? ch.readFailure() : undefined;
  }

  private breakActor(a: number, why: string): void {
    this.kinds[a] = FAILED;
    this.targets[a] = 0;
    this.values[a] = 0;
    this.failures[a] = why;
    this.broken[a] = true;
    // Terminate now: a worker in an endless loop would otherwise keep one of the two cores busy.
    void this.workers[a].terminate();
  }
}
