/**
 * `check`: explore one variant of one model and say whether it meets its expected verdict.
 * Used by the command line, by `check --all`, and by the tests.
 */
import { findModel } from '../models/index.ts';
import { resolveParams, variantInfo, type Expectation, type MemoryModel, type Params } from './core/model.ts';
import { createEngine } from './engine/create.ts';
import type { EngineKind } from './engine/engine.ts';
import { explore, type ExploreResult, type FoundViolation } from './explore/explore.ts';
import { ReplayStrategy } from './explore/replay.ts';
import { shrinkSchedule } from './explore/shrink.ts';
import { makeStrategy, reduces } from './explore/strategies.ts';
import type { Coverage } from './explore/strategy.ts';
import { makeCounterexample, saveCounterexample, type Counterexample } from './report/counterexample.ts';

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
  /** Where reports/ and corpus/ are; counterexamples are not saved when absent. */
  readonly root?: string;
  readonly onProgress?: (p: { executions: number; steps: number; seconds: number }) => void;
  /** Shrink a found counterexample (default true). */
  readonly shrink?: boolean;
  /** Partial-order reduction for dfs (default true; applies under sc). */
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
  readonly coverage: Coverage;
  readonly executions: number;
  readonly steps: number;
  readonly seconds: number;
  /** The verdict is the one the variant is expected to give under this memory model. */
  readonly asExpected: boolean;
  readonly counterexample?: Counterexample;
  /** Saved files: reports/counterexamples/... first, then the corpus copy. */
  readonly files?: readonly string[];
}

/** Under a stronger memory model than the one a mutant needs, the mutant is expected to pass. */
export function expectedUnder(expect: Expectation, memory: MemoryModel): Expectation {
  if (expect.verdict === 'violated' && expect.memory === 'tso' && memory === 'sc') return { verdict: 'passed' };
  return expect;
}

export function meets(expect: Expectation, verdict: 'passed' | 'violated', invariant: string | undefined): boolean {
  return expect.verdict === 'passed' ? verdict === 'passed' : verdict === 'violated' && invariant === expect.invariant;
}

export async function check(o: CheckOptions): Promise<CheckReport> {
  const def = findModel(o.model);
  const variant = o.variant ?? 'reference';
  const info = variantInfo(def, variant);
  const params = resolveParams(def, o.params ?? {});
  const memory = o.memory ?? 'sc';
  const engineKind = o.engine ?? 'inline';
  const strategyName = o.strategy ?? 'dfs';
  const seed = o.seed ?? 1;
  const preemptions = o.preemptions ?? def.defaultPreemptions;
  const shard = o.shard ? { index: o.shard.index - 1, count: o.shard.count } : undefined;
  const reduction = strategyName === 'dfs' && reduces({ reduction: o.reduction, memory, shard, stateHashing: o.stateHashing });
  const strategy = makeStrategy(strategyName, { preemptions, seed, executions: o.executions, depth: o.depth, reduction: o.reduction, memory, shard, stateHashing: o.stateHashing });
  const spec = { model: def.name, variant, params };
  const engine = await createEngine(engineKind, spec, memory);
  let result: ExploreResult;
  let found: FoundViolation | undefined;
  let stats: Record<string, number> | undefined;
  try {
    result = await explore(engine, strategy, { budgetMs: o.budgetMs, onProgress: o.onProgress });
    found = result.violation;
    if (found && o.shrink !== false) {
      // Shrink on the inline engine (same traces, a thousand times faster), then run the shrunk
      // schedule on the engine the user asked for: that run is the counterexample.
      const shrinker = engineKind === 'inline' ? engine : await createEngine('inline', spec, memory);
      const shrunk = shrinkSchedule(shrinker, found.decisions, found.invariant);
      const names = engine.instance.actors.map((a) => a.name);
      const final = await explore(engine, new ReplayStrategy(shrunk.decisions.map((actor) => ({ actor })), names));
      if (final.violation?.invariant !== found.invariant) throw new Error(`the shrunk schedule no longer violates ${found.invariant}`);
      stats = {
        execution: found.execution, steps: shrunk.steps, preemptions: shrunk.preemptions,
        originalSteps: shrunk.original.steps, originalPreemptions: shrunk.original.preemptions, shrinkRuns: shrunk.runs,
      };
      found = { ...final.violation, execution: found.execution };
    } else if (found) {
      stats = { execution: found.execution, steps: found.decisions.length };
    }
  } finally {
    await engine.close();
  }
  const expect = expectedUnder(info.expect, memory);
  const v = found;
  const counterexample = v ? makeCounterexample(engine.instance, v, { engine: engineKind, memory, strategy: strategyName, seed, stats }) : undefined;
  const files = counterexample && o.root !== undefined ? saveCounterexample(counterexample, o.root) : undefined;
  return {
    model: def.name, variant, params, engine: engineKind, strategy: strategyName, memory, seed, preemptions, reduction, shard: o.shard,
    expect, verdict: result.verdict, invariant: v?.invariant, complete: result.complete, budgetExhausted: result.budgetExhausted,
    coverage: result.coverage, executions: result.executions, steps: result.steps, seconds: result.seconds,
    asExpected: meets(expect, result.verdict, v?.invariant), counterexample, files,
  };
}
