/**
 * Shrinking that a signal can stop. The shrinker is synchronous and may run for seconds on a long
 * trace, and a signal handler runs only between turns of the event loop. So a counterexample is
 * shrunk on the main thread for at most QUICK_MS (most are done by then, with the same result as
 * ever); a longer one goes on in a worker thread with the rest of the budget while the main thread
 * waits, free to see a signal: then the worker is ended and the counterexample is what the quick
 * pass made of it.
 */
import { Worker } from 'node:worker_threads';
import type { MemoryModel, Params } from '../core/model.ts';
import type { Engine } from '../engine/engine.ts';
import { shrinkSchedule, type Shrunk } from '../explore/shrink.ts';

/** What the worker is given (plain data). */
export interface ShrinkJob {
  readonly entry: string;
  readonly spec: { readonly model: string; readonly variant: string; readonly params: Params; readonly module?: string };
  readonly memory: MemoryModel;
  readonly decisions: readonly number[];
  readonly invariant: string;
  readonly maxMs: number;
  readonly maxRuns: number;
}

/** The shrinker's own limits (harness/explore/shrink.ts), split between the two passes. */
const TOTAL_MS = 3000;
const TOTAL_RUNS = 5000;
const QUICK_MS = 150;

const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = new URL(COMPILED ? './worker.js' : './worker.ts', import.meta.url);
const SCRIPT = COMPILED ? ENTRY : new URL('../engine/threads/bootstrap.mjs', import.meta.url);

export interface InterruptibleShrunk extends Shrunk {
  /** The signal stopped the shrinking: the result is what the quick pass made. */
  readonly cut: boolean;
}

/**
 * Shrinks `decisions` (an inline engine of the spec's model), stopping at `signal`. Without a
 * signal it is shrinkSchedule with its usual limits.
 */
export async function shrinkInterruptibly(
  engine: Engine, spec: ShrinkJob['spec'], memory: MemoryModel, decisions: readonly number[], invariant: string, signal: AbortSignal | undefined,
): Promise<InterruptibleShrunk> {
  if (!signal) return { ...shrinkSchedule(engine, decisions, invariant), cut: false };
  const t0 = performance.now();
  const quick = shrinkSchedule(engine, decisions, invariant, { maxMs: QUICK_MS, maxRuns: TOTAL_RUNS });
  const spent = performance.now() - t0;
  if (spent < QUICK_MS || quick.runs >= TOTAL_RUNS || signal.aborted) return { ...quick, cut: signal.aborted && spent >= QUICK_MS };
  const job: ShrinkJob = {
    entry: ENTRY.href, spec, memory, decisions: quick.decisions, invariant, maxMs: TOTAL_MS - spent, maxRuns: TOTAL_RUNS - quick.runs,
  };
  const worker = new Worker(SCRIPT, { workerData: job, name: 'virtio-verify shrink' });
  const more = await new Promise<Shrunk | 'stopped' | 'failed'>((resolve) => {
    const stop = () => resolve('stopped');
    signal.addEventListener('abort', stop, { once: true });
    worker.once('message', (m: Shrunk) => { signal.removeEventListener('abort', stop); resolve(m); });
    // A worker that cannot run leaves the quick pass's result, as if the budget had been that.
    worker.once('error', () => { signal.removeEventListener('abort', stop); resolve('failed'); });
  }).finally(() => { void worker.terminate(); });
  if (more === 'stopped' || more === 'failed') return { ...quick, cut: more === 'stopped' };
  return { ...more, original: quick.original, runs: quick.runs + more.runs, cut: false };
}
