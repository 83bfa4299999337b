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
  /** Partial-order reduction for dfs (default on). */
  readonly reduction?: boolean;
  readonly memory?: MemoryModel;
}

/** Whether dfs reduces: on by default, and only under sc (tso flushes have no happens-before yet). */
export function reduces(o: Pick<StrategyOptions, 'reduction' | 'memory'>): boolean {
  return o.reduction !== false && (o.memory ?? 'sc') === 'sc';
}

export function makeStrategy(name: string, o: StrategyOptions): Strategy {
  switch (name) {
    case 'dfs': return reduces(o) ? new DporStrategy(o.preemptions) : new DfsStrategy(o.preemptions);
    case 'random': return new RandomStrategy(o.seed, o.executions ?? Number.POSITIVE_INFINITY);
    case 'pct': return new PctStrategy(o.seed, o.depth ?? 3, o.executions ?? Number.POSITIVE_INFINITY);
    default: throw new UsageError(`unknown strategy ${name} (strategies: ${STRATEGY_NAMES.join(', ')})`);
  }
}
