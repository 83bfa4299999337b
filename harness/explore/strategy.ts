/**
 * The interface every exploration strategy implements (one strategy per file, as in Shuttle's
 * scheduler folder). A strategy prepares executions and picks the next actor among the enabled
 * ones; it never touches memory or actors.
 */
import type { Footprint } from './footprint.ts';
import { moverOf, weakChoice } from './weak-choices.ts';

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
  /** Number of actors; choices from this number on are store-buffer flushes (memory model tso). */
  readonly actors: number;
  /**
   * Memory model tso: whether running this actor now lets its next access overtake another
   * actor's buffered store to the same field (it reads a stale value, or its store lands first).
   */
  delays(actor: number): boolean;
  /**
   * Memory model tso: the flush choices that make every store the actor's next access would
   * overtake visible first (empty when it overtakes nothing). Choosing them and then the actor is
   * the schedule sc would run, at sc's cost.
   */
  flushesBefore(actor: number): readonly number[];
  /**
   * Memory model tso: whether flush choice c (a store buffer, numbered from `actors` on) holds a
   * store that would wake an actor asleep in a spin on that field. Under sc the store itself
   * would have woken it, so a search must be able to flush then, even while the writer runs on.
   */
  wakes(c: number): boolean;
  /** What choice c touches in the current state (undefined for a done actor or an empty buffer). */
  footprint(c: number): Footprint | undefined;
  /** OpKind of the actor's next operation (any actor, enabled or not; FLUSH for a flush choice). */
  kind(actor: number): number;
  /** Field, event or fence of the actor's next operation. */
  target(actor: number): number;
  /**
   * Fingerprint of the whole state: shared memory, each actor's history of values seen (its local
   * state, actors being deterministic), next operations, the current actor and the oracles'
   * memory. Undefined when an oracle cannot name its state (then nothing may be pruned).
   */
  stateKey(): number | undefined;
  /** The pending operation of an actor as a person reads it ("driver load config.gen"). */
  label(actor: number): string;
  /** Whether the step taken at index `step` of this execution emitted a note some invariant orders (Invariant.orders). */
  noted(step: number): boolean;
}

export interface ExecutionSummary {
  /** The actor chosen at each step. */
  readonly decisions: readonly number[];
  readonly violated: boolean;
  /** noted[i]: step i emitted a note some invariant orders (see Choice.noted). */
  readonly noted?: readonly boolean[];
  /** The strategy abandoned the execution as redundant. */
  readonly pruned?: boolean;
}

/** What choose() returns to abandon an execution that can only repeat explored ones (sleep sets). */
export const PRUNE = -1;

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
  /**
   * Memory model tso: offer every non-empty store buffer's flush at every step. Otherwise a flush
   * is offered only when another actor is about to observe it (or nothing else can run), which
   * loses nothing for searches that branch on every choice and spares them flushes nobody sees.
   */
  readonly eagerFlushes?: boolean;
  /** Prepares the next execution; false when there is none left. */
  next(): boolean;
  choose(choice: Choice): number;
  done(execution: ExecutionSummary): void;
  coverage(): Coverage;
}

/**
 * Whether choosing `actor` now preempts the current actor: it could continue, and another actor
 * runs instead. Store-buffer flushes never preempt; a stale read (weak) is a move of its actor.
 */
export function isPreemption(choice: Choice, actor: number): boolean {
  const mover = moverOf(choice.actors, actor);
  return choice.currentEnabled && mover >= 0 && mover !== choice.current;
}

/**
 * What a choice costs against a bound: one per preemption, and under tso one per delay (an access
 * that overtakes a store still in another actor's buffer). Flushing is free, so a bound of k
 * covers every schedule with at most k preemptions and reorderings together, and the sc
 * schedules of a tso run cost what they cost under sc. Under weak a stale read and a store made
 * visible before an older pending one are reorderings too, and cost one each.
 */
export function choiceCost(choice: Choice, actor: number): number {
  const weak = weakChoice(choice.actors, actor) === undefined ? 0 : 1;
  return (isPreemption(choice, actor) ? 1 : 0) + (actor < choice.actors && choice.delays(actor) ? 1 : 0) + weak;
}

/** The choice that costs nothing: go on with the current actor, flushing first what it would overtake. */
export function defaultChoice(choice: Choice): number {
  const actor = choice.currentEnabled ? choice.current : choice.enabled[0];
  if (actor < choice.actors && choice.delays(actor)) return choice.enabled.find((a) => a >= choice.actors) ?? actor;
  return actor;
}
