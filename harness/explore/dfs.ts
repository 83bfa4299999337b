/**
 * Exhaustive depth-first search, in order of preemption count (iterative context bounding, as in
 * CHESS): every schedule with 0 preemptions, then every schedule with 1, and so on up to the bound.
 * Deep bugs that need few preemptions (a device running hundreds of updates between two driver
 * reads needs two) come out in the first seconds, and each schedule is run exactly once.
 *
 * A schedule is the sequence of actors chosen. At each scheduling point the default is to go on
 * with the current actor; every other enabled actor is a branch, filed under the number of
 * preemptions its schedule has. A switch away from an actor that is blocked, done or pausing is not
 * a preemption. Under tso a choice also costs one when it lets an access overtake a buffered store
 * (see choiceCost in strategy.ts).
 */
import { isFlush, weakChoice } from './weak-choices.ts';
import { choiceCost, defaultChoice, isPreemption, PRUNE, type Choice, type Coverage, type ExecutionSummary, type Strategy } from './strategy.ts';

interface Branch {
  /** Decisions of the execution the branch was found in; the first `at` are replayed. */
  readonly base: readonly number[];
  readonly at: number;
  /** The choices taken from step `at` on: one actor, or under tso the flushes an actor's access needs and then the actor. */
  readonly choices: readonly number[];
}

export class NondeterminismError extends Error {}

export class DfsStrategy implements Strategy {
  readonly name = 'dfs';
  /** pending[k]: branches whose schedules have k preemptions, explored depth-first (LIFO). */
  private readonly pending: Branch[][] = [[]];
  private level = 0;
  private branch: Branch | undefined;
  private decisions: number[] = [];
  private preemptions = 0;
  private started = false;
  private executionsAtLevel: number[] = [0];
  /** Branches not filed because their schedule would exceed the bound. */
  private beyondBound = 0;
  private exhausted = false;

  /** Branches of the first execution so far, dealt round-robin to the shards. */
  private rootBranches = 0;
  private inRoot = true;

  /**
   * `shard` splits the search deterministically: every shard runs the first execution, and the
   * branches found in it (the roots of disjoint subtrees) are dealt round-robin; each shard
   * explores only its own subtrees, so the shards together run every schedule exactly once, plus
   * the first execution once per extra shard.
   */
  /** State fingerprint -> fewest preemptions it was reached with (state hashing). */
  private readonly visited = new Map<number, number>();
  private revisits = 0;
  private unhashable = false;

  constructor(
    readonly maxPreemptions = Number.POSITIVE_INFINITY,
    private readonly shard = { index: 0, count: 1 },
    /** Prune an execution when it reaches a state already explored with no more preemptions. */
    private readonly stateHashing = false,
  ) {}

  next(): boolean {
    this.decisions = [];
    this.preemptions = 0;
    if (!this.started) {
      this.started = true;
      this.branch = undefined;
      return true;
    }
    for (;;) {
      const b = this.pending[this.level]?.pop();
      if (b) {
        this.branch = b;
        this.preemptions = this.level;
        return true;
      }
      if (this.level + 1 >= this.pending.length || this.level + 1 > this.maxPreemptions) {
        this.exhausted = true;
        return false;
      }
      this.level++;
      this.executionsAtLevel[this.level] = 0;
    }
  }

  choose(c: Choice): number {
    const b = this.branch;
    let actor: number;
    if (b && c.step < b.at) {
      actor = b.base[c.step];
      if (!c.enabled.includes(actor)) {
        throw new NondeterminismError(`replaying step ${c.step}: actor ${actor} was enabled in an earlier run of the same schedule but is not now; the actors are not deterministic (they must depend only on the values they read)`);
      }
    } else if (b && c.step < b.at + b.choices.length) {
      actor = b.choices[c.step - b.at];
      if (!c.enabled.includes(actor)) {
        throw new NondeterminismError(`branching at step ${c.step}: choice ${actor} is not enabled; the actors are not deterministic (they must depend only on the values they read)`);
      }
    } else {
      if (this.stateHashing && !this.unhashable) {
        const key = c.stateKey();
        if (key === undefined) this.unhashable = true;
        else {
          const seen = this.visited.get(key);
          // Everything after a state depends only on the state (and the preemptions left).
          if (seen !== undefined && seen <= this.preemptions) {
            this.revisits++;
            return PRUNE;
          }
          this.visited.set(key, this.preemptions);
        }
      }
      actor = defaultChoice(c);
      for (const other of c.enabled) {
        // A flush nobody is about to observe commutes with the default step and stays enabled
        // until someone is; branching on it only when it is due keeps tso from multiplying runs.
        if (other === actor) continue;
        if (isFlush(c.actors, other) && actor < c.actors) {
          // Unless it wakes a spinning actor: under sc the store woke it, so its wake-up and what
          // the sleeper then does are schedules the sc search has.
          // Under weak a younger store made visible first is a reordering: always a branch, at its cost.
          if (weakChoice(c.actors, other) !== undefined) this.file(c, [other], choiceCost(c, other));
          else if (c.wakes(other)) this.file(c, [other], 0);
          continue;
        }
        this.file(c, [other], choiceCost(c, other));
        // Under tso an access that overtakes a buffered store is a reordering (it costs one); the
        // same access after those stores became visible is the sc schedule, at the sc cost.
        if (other < c.actors && c.delays(other)) this.file(c, [...c.flushesBefore(other), other], isPreemption(c, other) ? 1 : 0);
      }
    }
    this.decisions.push(actor);
    return actor;
  }

  done(_: ExecutionSummary): void {
    this.executionsAtLevel[this.level]++;
    this.inRoot = false;
  }

  coverage(): Coverage {
    const bound = Number.isFinite(this.maxPreemptions) ? this.maxPreemptions : undefined;
    const details: Record<string, number | string> = {
      // Each shard but the first repeats the first execution; merging subtracts these.
      duplicateExecutions: this.shard.index > 0 ? 1 : 0,
      estimatedFractionExplored: this.estimate(),
      ...(this.stateHashing ? { distinctStates: this.unhashable ? 'unavailable: an oracle of this model has no state key' : this.visited.size, prunedRevisits: this.revisits } : {}),
      preemptionsReached: this.level,
      beyondBound: this.beyondBound,
      pendingAtLevel: this.pending[this.level]?.length ?? 0,
    };
    this.executionsAtLevel.forEach((n, k) => { details[`executionsWith${k}Preemptions`] = n; });
    if (this.exhausted && this.beyondBound === 0) {
      return { complete: true, space: 'all schedules (no schedule needed more preemptions than the bound)', details };
    }
    if (this.exhausted) {
      return { complete: true, space: `all schedules with at most ${bound} preemptions`, details };
    }
    return { complete: false, space: `schedules in order of preemptions, stopped at ${this.level} preemptions${bound !== undefined ? ` (bound ${bound})` : ''}`, details };
  }

  /**
   * Share of the bounded space explored, as a budget-cut run can estimate it: whole levels count
   * as done, the current level by its executions against the branches still pending in it (a
   * lower bound for the levels above, whose size is not known yet).
   */
  private estimate(): number {
    if (this.exhausted) return 1;
    const bound = Number.isFinite(this.maxPreemptions) ? this.maxPreemptions : this.level + 1;
    const doneHere = this.executionsAtLevel[this.level] ?? 0;
    const pendingHere = this.pending[this.level]?.length ?? 0;
    const levelShare = doneHere / Math.max(1, doneHere + pendingHere);
    return Math.min(1, (this.level + levelShare) / (bound + 1));
  }

  private file(c: Choice, choices: readonly number[], cost: number): void {
    if (this.inRoot && this.rootBranches++ % this.shard.count !== this.shard.index) return;
    // Past its branch point an execution only follows defaults, so its preemptions are its level.
    const level = this.preemptions + cost;
    if (level > this.maxPreemptions) {
      this.beyondBound++;
      return;
    }
    while (this.pending.length <= level) this.pending.push([]);
    this.pending[level].push({ base: this.decisions, at: c.step, choices });
  }
}
