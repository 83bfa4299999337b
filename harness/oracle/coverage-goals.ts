/**
 * Coverage goals ("sometimes" assertions): counts, per goal of a model, the executions that
 * reached it. The explorer hands every finished execution to a tally (one walk over its trace, by
 * the model's scan); check and validate report the counts and the goals missed.
 */
import type { CoverageGoals, GoalContext, Params } from '../core/model.ts';

export interface GoalResult {
  readonly name: string;
  readonly description: string;
  /** Executions that reached it (0: missed). */
  readonly executions: number;
  /** false: the parameters rule the situation out; it is neither reached nor missed. */
  readonly applies: boolean;
}

export class GoalTally {
  private readonly counts = new Map<string, number>();

  constructor(private readonly goals: CoverageGoals | undefined, private readonly params: Params) {}

  /** Looks at the execution that just ended. */
  record(ctx: GoalContext): void {
    if (!this.goals) return;
    for (const name of this.goals.reached(ctx)) this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  results(): GoalResult[] {
    return (this.goals?.list ?? []).map((g) => ({
      name: g.name, description: g.description, executions: this.counts.get(g.name) ?? 0, applies: g.applies?.(this.params) ?? true,
    }));
  }
}

/** The goals that apply and that no execution reached. */
export function missedGoals(goals: readonly GoalResult[] | undefined): string[] {
  return (goals ?? []).filter((g) => g.applies && g.executions === 0).map((g) => g.name);
}

/** "; coverage goals missed: index-wrap, chain" for a verdict line, or nothing. */
export function missedSuffix(goals: readonly GoalResult[] | undefined): string {
  const missed = missedGoals(goals);
  return missed.length ? `; coverage goals missed: ${missed.join(', ')}` : '';
}

/** One line per goal: reached in how many executions, missed, or not applicable. */
export function goalLines(goals: readonly GoalResult[], executions: number): string[] {
  if (!goals.length) return [];
  const w = Math.max(...goals.map((g) => g.name.length));
  return goals.map((g) => {
    const status = !g.applies ? 'not applicable (the parameters rule it out)' : g.executions === 0 ? 'MISSED' : `reached in ${g.executions} of ${executions} executions`;
    return `  ${g.name.padEnd(w)}  ${status}`;
  });
}
