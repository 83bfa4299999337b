/** Random walks: each step picks uniformly among the enabled actors, from a seeded generator. */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { Choice, Coverage, ExecutionSummary, Strategy } from './strategy.ts';

export class RandomStrategy implements Strategy {
  readonly name = 'random';
  private readonly rng: RandomGenerator;
  private executions = 0;

  /** `executions` bounds the walk when no time budget is given. */
  constructor(readonly seed: number, private readonly limit = Number.POSITIVE_INFINITY) {
    this.rng = xoroshiro128plus(seed);
  }

  next(): boolean {
    return this.executions < this.limit;
  }

  choose(c: Choice): number {
    return c.enabled.length === 1 ? c.enabled[0] : c.enabled[uniformInt(this.rng, 0, c.enabled.length - 1)];
  }

  done(_: ExecutionSummary): void {
    this.executions++;
  }

  coverage(): Coverage {
    return { complete: false, space: `${this.executions} random schedules from seed ${this.seed}` };
  }
}
