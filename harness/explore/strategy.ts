/**
 * The interface every exploration strategy implements (one strategy per file, as in Shuttle's
 * scheduler folder). A strategy prepares executions and picks the next actor among the enabled
 * ones; it never touches memory or actors.
 */

/** What a strategy sees at a scheduling point. */
export interface Choice {
  /** Visible operations executed so far in this execution. */
  readonly step: number;
  /** Actors that can take a step now, ascending. Never empty. */
  readonly enabled: readonly number[];
  /** The actor that took the previous step (-1 before the first). */
  readonly current: number;
  /** Whether continuing with `current` is possible: switching away from it now is a preemption. */
  readonly currentEnabled: boolean;
  /** The pending operation of an actor as a person reads it ("driver load config.gen"). */
  label(actor: number): string;
}

export interface ExecutionSummary {
  /** The actor chosen at each step. */
  readonly decisions: readonly number[];
  readonly violated: boolean;
}

export interface Coverage {
  /** True when every schedule of the bounded space was explored. */
  readonly complete: boolean;
  /** The space explored, e.g. "all schedules with at most 2 preemptions". */
  readonly space: string;
  /** Extra figures a user may want (schedules left beyond the bound, bound reached, ...). */
  readonly details?: Record<string, number | string>;
}

export interface Strategy {
  readonly name: string;
  /** Prepares the next execution; false when there is none left. */
  next(): boolean;
  choose(choice: Choice): number;
  done(execution: ExecutionSummary): void;
  coverage(): Coverage;
}

/** Counts the preemptions of a decision sequence given, per step, whether the current actor could continue. */
export function isPreemption(choice: Choice, actor: number): boolean {
  return choice.currentEnabled && actor !== choice.current;
}
