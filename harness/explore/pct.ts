/**
 * PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS
 * 2010): give the actors random distinct priorities, always run the highest-priority enabled one,
 * and at d-1 random steps drop the running actor below all others. For n actors and k steps, one
 * run finds any bug of depth d (d ordering constraints) with probability at least 1/(n k^(d-1)).
 *
 * k is not known before running: the strategy uses the longest execution seen so far (the first
 * run uses the model's step bound), so the printed bound holds for bugs within that length.
 * Under tso a store-buffer flush is one more schedulable entity with its own priority.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { Choice, Coverage, ExecutionSummary, Strategy } from './strategy.ts';

export class PctStrategy implements Strategy {
  readonly name = 'pct';
  private readonly rng: RandomGenerator;
  private executions = 0;
  private k: number;
  private maxEntities = 1;
  private priority = new Map<number, number>();
  private changePoints: number[] = [];
  private nextLow = 0;

  constructor(readonly seed: number, readonly depth: number, private readonly limit = Number.POSITIVE_INFINITY, initialSteps = 100) {
    if (depth < 1) throw new Error('pct depth must be at least 1');
    this.rng = xoroshiro128plus(seed);
    this.k = Math.max(1, initialSteps);
  }

  next(): boolean {
    if (this.executions >= this.limit) return false;
    this.priority = new Map();
    this.changePoints = [];
    for (let i = 1; i < this.depth; i++) this.changePoints.push(uniformInt(this.rng, 1, this.k));
    this.nextLow = 0;
    return true;
  }

  choose(c: Choice): number {
    for (const a of c.enabled) {
      // Initial priorities are above every priority a change point gives (those are <= 0).
      if (!this.priority.has(a)) this.priority.set(a, this.depth + uniformInt(this.rng, 0, 1 << 30));
    }
    this.maxEntities = Math.max(this.maxEntities, this.priority.size);
    let best = c.enabled[0];
    for (const a of c.enabled) if (this.priority.get(a)! > this.priority.get(best)!) best = a;
    if (this.changePoints.includes(c.step)) {
      this.priority.set(best, --this.nextLow);
      best = c.enabled[0];
      for (const a of c.enabled) if (this.priority.get(a)! > this.priority.get(best)!) best = a;
    }
    return best;
  }

  done(e: ExecutionSummary): void {
    this.executions++;
    this.k = Math.max(this.k, e.decisions.length);
  }

  /** The guaranteed probability that one run finds a given bug of depth d. */
  perRunBound(): number {
    return 1 / (this.maxEntities * this.k ** (this.depth - 1));
  }

  coverage(): Coverage {
    const p = this.perRunBound();
    const all = 1 - (1 - p) ** this.executions;
    return {
      complete: false,
      space: `${this.executions} PCT runs of depth ${this.depth} from seed ${this.seed}: each run finds a given bug of depth <= ${this.depth} with probability >= 1/(n k^(d-1)) = ${p.toExponential(2)} (n = ${this.maxEntities}, k = ${this.k} steps); all runs together >= ${(all * 100).toPrecision(3)}%`,
      details: { depth: this.depth, perRunProbability: p, allRunsProbability: all, n: this.maxEntities, k: this.k },
    };
  }
}
