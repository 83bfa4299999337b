/** The strategies `check` offers, by name. Replay is not among them: it is a command of its own. */
import { UsageError, type MemoryModel } from '../core/model.ts';
import { DfsStrategy } from './dfs.ts';
import { DporStrategy } from './dpor.ts';
import { PctStrategy } from './pct.ts';
import { RandomStrategy } from './random.ts';
import type { Strategy } from './strategy.ts';

export const STRATEGY_NAMES = ['dfs', 'random', 'pct'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyOptions {
  readonly preemptions: number;
  readonly seed: number;
  /** Executions for strategies that sample; unlimited (until the budget) when absent. */
  readonly executions?: number;
  /** Bug depth PCT aims at. */
  readonly depth?: number;
  /** Partial-order reduction for dfs (default: see reduces). */
  readonly reduction?: boolean;
  /** The model's own default (ModelDef.reduction). */
  readonly modelDefault?: boolean;
  readonly memory?: MemoryModel;
  /** Prune revisited states (plain dfs only: sleep sets and state caching do not mix soundly). */
  readonly stateHashing?: boolean;
  /** This run's part of a sharded search: index from 0, count of shards. */
  readonly shard?: { readonly index: number; readonly count: number };
}

/**
 * Whether dfs reduces. Never in sharded runs (a race found in one shard's subtree adds backtrack
 * points in another's) or with state hashing (sleep sets and state caching do not mix soundly).
 * Never under tso (nor weak, whose stores wait the same way): with a preemption bound the reduced tso search misses outcome classes the plain
 * tso search reaches (17 of 45 on config-gencount with one update and one write at bound 2; the
 * cost it charges flushes and delays differs from the plain search's) and runs more executions
 * than the plain one, so it is not offered (the option table refuses --reduction there).
 * Otherwise as asked; by default where the model says it pays (ModelDef.reduction).
 */
export function reduces(o: Pick<StrategyOptions, 'reduction' | 'memory' | 'shard' | 'stateHashing'> & { readonly modelDefault?: boolean }): boolean {
  if (o.stateHashing || (o.shard?.count ?? 1) > 1 || o.memory === 'tso' || o.memory === 'weak') return false;
  if (o.reduction !== undefined) return o.reduction;
  return o.modelDefault !== false;
}

function share(executions: number | undefined, shard: { index: number; count: number }): number {
  if (executions === undefined) return Number.POSITIVE_INFINITY;
  return Math.floor(executions / shard.count) + (shard.index < executions % shard.count ? 1 : 0);
}

export function makeStrategy(name: string, o: StrategyOptions): Strategy {
  const shard = o.shard ?? { index: 0, count: 1 };
  switch (name) {
    case 'dfs': return reduces(o) ? new DporStrategy(o.preemptions) : new DfsStrategy(o.preemptions, shard, o.stateHashing);
    // Sampling strategies shard by seed and share the executions out.
    case 'random': return new RandomStrategy(o.seed + shard.index * 1_000_003, share(o.executions, shard));
    case 'pct': return new PctStrategy(o.seed + shard.index * 1_000_003, o.depth ?? 3, share(o.executions, shard));
    default: throw new UsageError(`unknown strategy ${name} (strategies: ${STRATEGY_NAMES.join(', ')})`);
  }
}
