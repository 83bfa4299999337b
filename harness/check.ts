/**
 * `check`: explore one variant of one model and say whether it meets its expected verdict.
 * Used by the command line, by `check --all`, and by the tests.
 */
import { findModel } from '../models/index.ts';
import { defaultBound, nothingExercised, resolveParams, UsageError, variantInfo, type Expectation, type MemoryModel, type Params } from './core/model.ts';
import { createEngine } from './engine/create.ts';
import type { EngineKind } from './engine/engine.ts';
import { explore, type ExploreResult, type FoundViolation } from './explore/explore.ts';
import { ReplayStrategy } from './explore/replay.ts';
import { shrinkInterruptibly } from './shrink/interruptible.ts';
import { makeStrategy, reduces } from './explore/strategies.ts';
import type { Choice, Coverage, ExecutionSummary, Strategy } from './explore/strategy.ts';
import { unlessAborted } from './core/interrupt.ts';
import { GoalTally, type GoalResult } from './oracle/coverage-goals.ts';
import { addToCorpus, makeCounterexample, saveCounterexample, type Counterexample } from './report/counterexample.ts';

export interface CheckOptions {
  readonly model: string;
  readonly variant?: string;
  readonly params?: Params;
  readonly engine?: EngineKind;
  readonly strategy?: string;
  readonly memory?: MemoryModel;
  /** Preemption bound for dfs; the model's default when absent. */
  readonly preemptions?: number;
  readonly budgetMs?: number;
  readonly seed?: number;
  readonly executions?: number;
  /** Bug depth for pct. */
  readonly depth?: number;
  /** Where reports/ goes (reports/counterexamples/); counterexamples are not saved when absent. */
  readonly root?: string;
  /**
   * A corpus folder the counterexample is added to (--save-corpus): a new file when no file there
   * holds the same schedule, never a changed one.
   */
  readonly corpus?: string;
  /** Stops the exploration (SIGINT, SIGTERM); the report is then incomplete and says interrupted. */
  readonly signal?: AbortSignal;
  /** About every second: the figures so far and how far the strategy got (its coverage so far). */
  readonly onProgress?: (p: { executions: number; steps: number; seconds: number; coverage: Coverage }) => void;
  /** Shrink a found counterexample (default true). */
  readonly shrink?: boolean;
  /** Partial-order reduction for dfs (default: the model's choice under sc, off under tso). */
  readonly reduction?: boolean;
  /** dfs prunes revisited states (and runs without partial-order reduction). */
  readonly stateHashing?: boolean;
  /** Explore only this shard's part of the space (index from 1). */
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface CheckReport {
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
  readonly engine: EngineKind;
  readonly strategy: string;
  readonly memory: MemoryModel;
  readonly seed: number;
  readonly preemptions: number;
  /** dfs ran with partial-order reduction. */
  readonly reduction: boolean;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly expect: Expectation;
  readonly verdict: 'passed' | 'violated';
  readonly invariant?: string;
  readonly complete: boolean;
  readonly budgetExhausted: boolean;
  /** A signal stopped the exploration before the end of its space or budget. */
  readonly interrupted: boolean;
  readonly coverage: Coverage;
  /** Per coverage goal of the model, the executions that reached it (see ModelDef.goals). */
  readonly goals: readonly GoalResult[];
  readonly executions: number;
  readonly steps: number;
  readonly seconds: number;
  /** The verdict is the one the variant is expected to give under this memory model. */
  readonly asExpected: boolean;
  readonly counterexample?: Counterexample;
  /** A livelock found while searching for the violation reported (the search goes on past livelocks). */
  readonly livelock?: { readonly message: string; readonly execution: number };
  /** The saved file, reports/counterexamples/... */
  readonly files?: readonly string[];
  /** With `corpus`: the corpus file holding this schedule, and whether this run added it. */
  readonly corpusFile?: { readonly path: string; readonly added: boolean };
}

/** Under a stronger memory model than the one a mutant needs, the mutant is expected to pass. */
export function expectedUnder(expect: Expectation, memory: MemoryModel): Expectation {
  const strength: Record<MemoryModel, number> = { sc: 2, tso: 1, weak: 0 };
  if (expect.verdict === 'violated' && expect.memory !== undefined && strength[memory] > strength[expect.memory]) return { verdict: 'passed' };
  return expect;
}

export function meets(expect: Expectation, verdict: 'passed' | 'violated', invariant: string | undefined): boolean {
  return expect.verdict === 'passed' ? verdict === 'passed' : verdict === 'violated' && invariant === expect.invariant;
}

export async function check(o: CheckOptions): Promise<CheckReport> {
  const def = findModel(o.model);
  const variant = o.variant ?? 'reference';
  const info = variantInfo(def, variant);
  const params = resolveParams(def, { ...info.params, ...o.params });
  const memory = o.memory ?? 'sc';
  const engineKind = o.engine ?? 'inline';
  const strategyName = o.strategy ?? 'dfs';
  const seed = o.seed ?? 1;
  const preemptions = o.preemptions ?? defaultBound(def, memory);
  const shard = o.shard ? { index: o.shard.index - 1, count: o.shard.count } : undefined;
  const reduction = strategyName === 'dfs' && reduces({ reduction: o.reduction, modelDefault: def.reduction, memory, shard, stateHashing: o.stateHashing });
  const strategy = makeStrategy(strategyName, { preemptions, seed, executions: o.executions, depth: o.depth, reduction, memory, shard, stateHashing: o.stateHashing });
  const spec = { model: def.name, variant, params };
  const created = createEngine(engineKind, spec, memory);
  const ready = await unlessAborted(created, o.signal);
  const tally = new GoalTally(def.goals, params);
  const header = { model: def.name, variant, params, engine: engineKind, strategy: strategyName, memory, seed, preemptions, reduction, shard: o.shard };
  const expect = expectedUnder(info.expect, memory);
  if (!('instance' in ready)) {
    // Interrupted while the workers started: they are closed once up.
    void created.then((e) => e.close(), () => {});
    return {
      ...header, expect, verdict: 'passed', complete: false, budgetExhausted: false, interrupted: true,
      coverage: { complete: false, space: 'nothing explored: interrupted before the first execution' }, goals: tally.results(),
      executions: 0, steps: 0, seconds: 0, asExpected: expect.verdict === 'passed',
    };
  }
  const engine = ready;
  // Every shard after the first repeats the first execution: counted once, by the first shard.
  const counted = shard && shard.index > 0 && strategyName === 'dfs' ? new RepeatedFirst(strategy) : undefined;
  let result: ExploreResult;
  let found: FoundViolation | undefined;
  let stats: Record<string, number> | undefined;
  try {
    const onProgress = o.onProgress && ((p: { executions: number; steps: number; seconds: number }) => o.onProgress!({ ...p, coverage: strategy.coverage() }));
    result = await explore(engine, counted ?? strategy, { budgetMs: o.budgetMs, onProgress, signal: o.signal, goals: tally });
    found = result.violation;
    if (!result.interrupted && result.steps === 0) throw new UsageError(nothingExercised(def.name, params));
    if (found && o.shrink !== false) {
      // Shrink on the inline engine (same traces, a thousand times faster), then run the shrunk
      // schedule on the engine the user asked for: that run is the counterexample.
      const shrinker = engineKind === 'inline' ? engine : await createEngine('inline', spec, memory);
      const shrunk = await shrinkInterruptibly(shrinker, spec, memory, found.decisions, found.invariant, o.signal);
      const names = engine.instance.actors.map((a) => a.name);
      const final = await explore(engine, new ReplayStrategy(shrunk.decisions.map((actor) => ({ actor })), names));
      if (final.violation?.invariant !== found.invariant) throw new Error(`the shrunk schedule no longer violates ${found.invariant}`);
      stats = {
        execution: found.execution, steps: shrunk.steps, preemptions: shrunk.preemptions,
        originalSteps: shrunk.original.steps, originalPreemptions: shrunk.original.preemptions, shrinkRuns: shrunk.runs,
        ...(shrunk.cut ? { shrinkInterrupted: 1 } : {}),
      };
      found = { ...final.violation, execution: found.execution };
    } else if (found) {
      stats = { execution: found.execution, steps: found.decisions.length };
    }
  } finally {
    await engine.close();
  }
  const v = found;
  const counterexample = v ? makeCounterexample(engine.instance, v, { engine: engineKind, memory, strategy: strategyName, seed, stats }) : undefined;
  const files = counterexample && o.root !== undefined ? [saveCounterexample(counterexample, o.root)] : undefined;
  const corpusFile = counterexample && o.corpus !== undefined ? addToCorpus(counterexample, o.corpus) : undefined;
  const repeated = counted && result.executions > 0 ? counted : undefined;
  return {
    ...header,
    expect, verdict: result.verdict, invariant: v?.invariant, complete: result.complete, budgetExhausted: result.budgetExhausted,
    interrupted: result.interrupted, coverage: result.coverage, goals: tally.results(),
    executions: result.executions - (repeated ? 1 : 0), steps: result.steps - (repeated?.firstSteps ?? 0), seconds: result.seconds,
    asExpected: meets(expect, result.verdict, v?.invariant), counterexample, files, corpusFile,
    livelock: result.livelock ? { message: result.livelock.message, execution: result.livelock.execution } : undefined,
  };
}

/**
 * A shard after the first runs the search's first execution again (to find its share of the
 * branches): this records that execution's steps, so that the shards' figures add up to the
 * unsharded run's.
 */
class RepeatedFirst implements Strategy {
  firstSteps: number | undefined;
  constructor(private readonly inner: Strategy) {}
  get name(): string { return this.inner.name; }
  get eagerFlushes(): boolean | undefined { return this.inner.eagerFlushes; }
  next(): boolean { return this.inner.next(); }
  choose(c: Choice): number { return this.inner.choose(c); }
  done(e: ExecutionSummary): void {
    this.firstSteps ??= e.decisions.length;
    this.inner.done(e);
  }
  coverage(): Coverage { return this.inner.coverage(); }
}
