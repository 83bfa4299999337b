/**
 * Runs executions chosen by a strategy until a violation, the end of the strategy's space, or the
 * budget. A run cut by its budget says so: it is never reported as complete.
 */
import type { TraceEntry } from '../core/model.ts';
import type { Engine } from '../engine/engine.ts';
import type { GoalTally } from '../oracle/coverage-goals.ts';
import { runExecution, type Violation } from './execution.ts';
import type { Coverage, Strategy } from './strategy.ts';

export interface ExploreOptions {
  /** Wall-clock budget in milliseconds; unlimited when absent. */
  readonly budgetMs?: number;
  /** Called about every `progressEveryMs` with the figures so far. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEveryMs?: number;
  /**
   * Stops the exploration when aborted (SIGINT, SIGTERM): it then yields to the event loop every
   * YIELD_MS, so the signal handler runs, and ends after the execution under way, as incomplete.
   */
  readonly signal?: AbortSignal;
  /** Counts the coverage goals each finished execution reached (one walk over its trace). */
  readonly goals?: GoalTally;
}

/** How often an exploration that can be interrupted lets signal handlers run. */
const YIELD_MS = 50;

export interface Progress {
  readonly executions: number;
  readonly steps: number;
  readonly seconds: number;
}

export interface FoundViolation extends Violation {
  readonly decisions: readonly number[];
  readonly trace: readonly TraceEntry[];
  /** Which execution (1-based) found it. */
  readonly execution: number;
}

export interface ExploreResult {
  readonly verdict: 'passed' | 'violated';
  /** The strategy covered its bounded space (never true when the budget cut the run). */
  readonly complete: boolean;
  readonly budgetExhausted: boolean;
  /** Stopped by its abort signal before the end of its space or budget. */
  readonly interrupted: boolean;
  readonly coverage: Coverage;
  readonly executions: number;
  readonly steps: number;
  readonly seconds: number;
  readonly violation?: FoundViolation;
  /** A livelock found on the way to `violation` (which is then another invariant's). */
  readonly livelock?: FoundViolation;
}

/** Engines that can lose a worker (threads) repair themselves between executions. */
interface Recoverable {
  needsRecovery(): boolean;
  recover(): Promise<void>;
}
function isRecoverable(e: Engine): e is Engine & Recoverable {
  return typeof (e as Partial<Recoverable>).recover === 'function';
}

export async function explore(engine: Engine, strategy: Strategy, options: ExploreOptions = {}): Promise<ExploreResult> {
  const start = performance.now();
  const deadline = options.budgetMs === undefined ? Number.POSITIVE_INFINITY : start + options.budgetMs;
  const every = options.progressEveryMs ?? 1000;
  let lastProgress = start;
  let lastYield = start;
  let interrupted = options.signal?.aborted === true;
  let executions = 0;
  let steps = 0;
  let budgetExhausted = false;
  let violation: FoundViolation | undefined;
  let livelock: FoundViolation | undefined;

  while (!interrupted && strategy.next()) {
    const r = runExecution(engine, strategy);
    executions++;
    steps += r.steps;
    options.goals?.record({ instance: engine.instance, trace: engine.trace });
    if (r.violation) {
      const found = { ...r.violation, decisions: r.decisions, trace: engine.trace.slice(), execution: executions };
      // A livelock does not end the search: the other invariants are still judged on the rest.
      if (found.invariant === 'no-livelock') livelock ??= found;
      else { violation = found; break; }
    }
    if (isRecoverable(engine) && engine.needsRecovery()) await engine.recover();
    const now = performance.now();
    if (now >= deadline) { budgetExhausted = true; break; }
    if (options.onProgress && now - lastProgress >= every) {
      lastProgress = now;
      lastYield = now;
      options.onProgress({ executions, steps, seconds: (now - start) / 1000 });
      // Let timers and signal handlers run during long explorations.
      await new Promise((r) => setImmediate(r));
    } else if (options.signal && now - lastYield >= YIELD_MS) {
      lastYield = now;
      await new Promise((r) => setImmediate(r));
    }
    if (options.signal?.aborted) { interrupted = true; break; }
  }
  const coverage = strategy.coverage();
  if (!violation && livelock) { violation = livelock; livelock = undefined; }
  return {
    verdict: violation ? 'violated' : 'passed',
    complete: !violation && !budgetExhausted && !interrupted && coverage.complete,
    livelock,
    budgetExhausted,
    interrupted,
    coverage,
    executions,
    steps,
    seconds: (performance.now() - start) / 1000,
    violation,
  };
}
