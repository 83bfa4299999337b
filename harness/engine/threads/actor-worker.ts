/**
 * One actor's worker_thread and its lifecycle: spawn, wait until it has loaded the model, notice
 * when it errs or exits (without letting that crash the process), terminate. The step protocol
 * itself runs over the channel (turnstile.ts), never over messages.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { Channel } from './channel.ts';
import type { ModelSpec } from './model-source.ts';

/** What a worker receives in workerData. */
export interface WorkerInit {
  readonly entry: string;
  readonly spec: ModelSpec;
  readonly actor: number;
  /** Checked by the worker: its instance must have the same actors as the main thread's. */
  readonly actorName: string;
  readonly memory: SharedArrayBuffer;
  readonly channel: SharedArrayBuffer;
}

// From a compiled build the worker can start directly; from sources it needs tsx first, and a
// worker does not inherit the loader of a vitest or tsx parent reliably, so bootstrap.mjs loads it.
const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = new URL(COMPILED ? './worker.js' : './worker.ts', import.meta.url);
const SCRIPT = COMPILED ? ENTRY : new URL('./bootstrap.mjs', import.meta.url);

export interface ActorWorkerOptions {
  readonly traceBytes?: number;
  readonly startupTimeoutMs: number;
  /** Heap limits of this worker (V8 ends it with ERR_WORKER_OUT_OF_MEMORY past them). */
  readonly resourceLimits?: ResourceLimits;
}

export class ActorWorker {
  readonly channel: Channel;
  readonly threadId: number;
  private readonly actorName: string;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private goneReason: string | undefined;

  /** Spawns the worker and resolves once it has instantiated the model and parked at the turnstile. */
  static async start(init: Omit<WorkerInit, 'entry' | 'channel'>, options: ActorWorkerOptions): Promise<ActorWorker> {
    const w = new ActorWorker(init, options.traceBytes, options.resourceLimits);
    try {
      await w.ready(options.startupTimeoutMs);
    } catch (e) {
      await w.terminate();
      throw e;
    }
    // The workers sleep in Atomics.wait between executions; they must not keep the process alive
    // if a caller forgets close().
    w.worker.unref();
    return w;
  }

  private constructor(init: Omit<WorkerInit, 'entry' | 'channel'>, traceBytes: number | undefined, resourceLimits: ResourceLimits | undefined) {
    this.actorName = init.actorName;
    this.channel = Channel.create(traceBytes);
    const workerData: WorkerInit = { ...init, entry: ENTRY.href, channel: this.channel.sab };
    this.worker = new Worker(SCRIPT, { workerData, name: `virtio-verify actor ${init.actorName}`, resourceLimits });
    this.threadId = this.worker.threadId;
    // Listeners stay for the worker's whole life: an unhandled 'error' event would crash the process.
    this.worker.on('error', (e: unknown) => { this.goneReason ??= `its worker failed: ${describe(e)}`; });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => { this.goneReason ??= `its worker exited with code ${code}`; resolve(); });
    });
  }

  /**
   * Whether the worker's thread has stopped (out of memory, process.exit, an uncaught error),
   * known at once, without the event loop: Node reports a stopped worker's event-loop idle time
   * as -1 (its 'exit' event comes only when the main thread's loop turns).
   */
  stoppedNow(): boolean {
    return this.goneReason !== undefined || this.worker.performance.eventLoopUtilization().idle < 0;
  }

  /** Why the worker is gone, once the main thread has seen it error or exit; undefined while it lives. */
  get gone(): string | undefined {
    return this.goneReason;
  }

  /**
   * Waits up to `ms` for the worker to end on its own, and says why it did (out of memory, an
   * uncaught error, process.exit) or undefined if it is still running: its events reach the main
   * thread only once it turns its event loop, which a step's synchronous wait does not.
   */
  async endedOnItsOwn(ms: number): Promise<string | undefined> {
    if (this.goneReason === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise<void>((r) => { timer = setTimeout(r, ms); })]);
      clearTimeout(timer);
    }
    return this.goneReason;
  }

  /** Stops the worker wherever it is (even in an endless loop) and resolves when its thread has exited. */
  terminate(): Promise<void> {
    // Ref'd again so that a caller awaiting this (recover(), close()) is not cut short by the
    // process exiting for lack of work while the thread winds down.
    this.worker.ref();
    if (this.goneReason === undefined) this.worker.terminate().catch(() => { /* the 'exit' event settles `exited` */ });
    return this.exited;
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => { cleanup(); reject(new Error(`the worker of actor ${this.actorName} did not start: ${why}`)); };
      const onMessage = (m: unknown) => { if (m === 'ready') { cleanup(); resolve(); } };
      const onError = (e: unknown) => fail(describe(e));
      const onExit = (code: number) => fail(`it exited with code ${code}`);
      const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      this.worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
