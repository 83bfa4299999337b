/**
 * Schedule shrinking: a found counterexample is reduced to a shorter schedule with fewer
 * preemptions that still violates the same invariant. No other model checker shrinks schedules;
 * a person reading a counterexample should see only the steps that matter.
 *
 * A candidate is a list of wanted choices, followed leniently (a wanted actor that cannot run is
 * skipped) and then completed with cost-free default choices (the current actor goes on). From the
 * failing schedule we try, until nothing improves or the budget is spent:
 *  - cutting it at every point and letting the defaults finish (drops the tail and the preemptions
 *    in it);
 *  - removing chunks of it, halving the chunk size (delta debugging: drops operations of other
 *    actors that did not matter).
 * A candidate is kept when it violates the same invariant with fewer preemptions, or as many
 * preemptions and fewer steps.
 */
import type { Engine } from '../engine/engine.ts';
import { runExecution } from './execution.ts';
import { choiceCost, defaultChoice, type Choice, type Coverage, type ExecutionSummary, type Strategy } from './strategy.ts';

class GuidedStrategy implements Strategy {
  readonly name = 'guided';
  private i = 0;
  private started = false;
  cost = 0;

  constructor(private readonly wanted: readonly number[]) {}

  next(): boolean {
    if (this.started) return false;
    this.started = true;
    return true;
  }

  choose(c: Choice): number {
    while (this.i < this.wanted.length && !c.enabled.includes(this.wanted[this.i])) this.i++;
    const actor = this.i < this.wanted.length ? this.wanted[this.i++] : defaultChoice(c);
    this.cost += choiceCost(c, actor);
    return actor;
  }

  done(_: ExecutionSummary): void {}
  coverage(): Coverage { return { complete: true, space: 'one guided schedule' }; }
}

export interface Shrunk {
  readonly decisions: readonly number[];
  readonly steps: number;
  /** Preemptions plus, under tso, delayed stores. */
  readonly preemptions: number;
  readonly original: { readonly steps: number; readonly preemptions: number };
  /** Executions the shrinking ran. */
  readonly runs: number;
}

export interface ShrinkOptions {
  readonly maxRuns?: number;
  readonly maxMs?: number;
}

export function shrinkSchedule(engine: Engine, decisions: readonly number[], invariant: string, o: ShrinkOptions = {}): Shrunk {
  const maxRuns = o.maxRuns ?? 5000;
  const deadline = performance.now() + (o.maxMs ?? 3000);
  let runs = 0;
  const attempt = (wanted: readonly number[]) => {
    runs++;
    const guide = new GuidedStrategy(wanted);
    guide.next();
    const r = runExecution(engine, guide);
    return r.violation?.invariant === invariant ? { decisions: r.decisions, steps: r.decisions.length, preemptions: guide.cost } : undefined;
  };
  const first = attempt(decisions);
  if (!first) throw new Error(`shrinking: the schedule does not violate ${invariant} when replayed; the model is not deterministic`);
  let best = first;
  // A person follows context switches before steps: fewer preemptions first, then fewer steps.
  const better = (c: typeof best | undefined) => c !== undefined && (c.preemptions < best.preemptions || (c.preemptions === best.preemptions && c.steps < best.steps));
  const spent = () => runs >= maxRuns || performance.now() >= deadline;

  let improved = true;
  while (improved && !spent()) {
    improved = false;
    for (let k = 0; k < best.decisions.length && !spent(); k++) {
      const c = attempt(best.decisions.slice(0, k));
      if (better(c)) { best = c!; improved = true; break; }
    }
    if (improved) continue;
    for (let size = best.decisions.length >> 1; size >= 1 && !improved && !spent(); size >>= 1) {
      for (let at = 0; at + size <= best.decisions.length && !spent(); at += size) {
        const c = attempt([...best.decisions.slice(0, at), ...best.decisions.slice(at + size)]);
        if (better(c)) { best = c!; improved = true; break; }
      }
    }
  }
  return { ...best, original: { steps: first.steps, preemptions: first.preemptions }, runs };
}
