/**
 * Exhaustive search with dynamic partial-order reduction (Flanagan and Godefroid, POPL 2005):
 * explore one schedule, find the pairs of dependent choices that could have run the other way
 * round (not ordered by happens-before, tracked with vector clocks), and come back only to those
 * points. Dependence is footprint.ts's: two choices conflict when they touch the same field and one
 * writes it, raise or consume the same event, when one is an atomic-section boundary, or when one
 * is a pause and the other wakes pausing actors.
 *
 * Memory model tso: each actor's store buffer is a process of its own (choice n + a flushes a's
 * oldest store), always enabled while the buffer holds something, ordered after the store that
 * filled the entry and before the next flush of the same buffer. As for the plain search, a choice
 * costs one per preemption and one per delay (an access that overtakes another actor's buffered
 * store, see choiceCost in strategy.ts); flushes are free, and the default run flushes what the
 * running actor would overtake, so the sc schedules cost what they cost under sc.
 *
 * With a preemption bound the reduction follows Coons, Musuvathi and McKinley's bounded
 * partial-order reduction (OOPSLA 2013): a backtrack point is also placed where the actor that took
 * the racing step was last scheduled, and a point that would exceed the bound moves to the latest
 * earlier point where the racing actor can start without a preemption. Sleep sets are used only
 * without a bound: under a bound they prune schedules whose equivalent the bound cut off (the
 * clash the paper describes), so a bounded search runs without them.
 */
import { dependent, type Footprint } from './footprint.ts';
import { PRUNE, type Choice, type Coverage, type ExecutionSummary, type Strategy } from './strategy.ts';

interface Joins {
  /** Joins of the clocks of every transition so far, of those that wake pausers, of pauses, of atomic-section boundaries. */
  readonly all: Int32Array;
  readonly wakes: Int32Array;
  readonly pauses: Int32Array;
  readonly globals: Int32Array;
}

interface Node {
  /** Bit c set: choice c was enabled at this state. */
  readonly enabled: number;
  readonly current: number;
  readonly currentEnabled: boolean;
  /** Preemptions (and, under tso, delays) spent before this state. */
  readonly cost: number;
  /** Bit a set: running actor a here lets its access overtake another actor's buffered store (tso: a delay, which costs one). */
  readonly delays: number;
  /** Footprint of every choice at this state (sleep sets need them; kept only when they are on). */
  readonly footprints: readonly (Footprint | undefined)[] | undefined;
  readonly sleep: number;
  backtrack: number;
  done: number;
  chosen: number;
  fp: Footprint | undefined;
  /** Memory model tso: the stores whose buffered entries this transition made visible (a flush: one; a drain: all). */
  fills: readonly number[];
  /** Vector clock of the transition taken from this state, and the joins including it. */
  clock: Int32Array | undefined;
  /** The transition emitted an ordered note and was ordered after the previous one (orderNotes). */
  noted: boolean;
  joins: Joins | undefined;
}

/** The ghost location that steps emitting ordered notes (Invariant.orders) all write. */
const ORDERED_NOTES = -1;

function bit(c: number): number {
  return 1 << c;
}

function has(mask: number, c: number): boolean {
  return (mask & (1 << c)) !== 0;
}

function join(into: Int32Array, from: Int32Array | undefined): void {
  if (!from) return;
  for (let k = 0; k < into.length; k++) if (from[k] > into[k]) into[k] = from[k];
}

/** The join `base` extended with `clock` when `yes` (a fresh array), else `base` itself. */
function grow(base: Int32Array | undefined, clock: Int32Array, yes: boolean): Int32Array {
  if (!yes && base) return base;
  const j = new Int32Array(clock.length);
  join(j, base);
  if (yes) join(j, clock);
  return j;
}

/** Whether a clock is ordered after the transition first[r] of some choice r (-1: none). */
function orderedAfterAny(clock: Int32Array | undefined, first: Int32Array): boolean {
  if (!clock) return false;
  for (let r = 0; r < first.length; r++) if (first[r] >= 0 && clock[r] >= first[r] + 1) return true;
  return false;
}

function last(xs: readonly number[] | undefined): number {
  return xs && xs.length ? xs[xs.length - 1] : -1;
}

/** Drops the depths from d on (the list is increasing). */
function cutFrom(xs: number[], d: number): void {
  while (xs.length && xs[xs.length - 1] >= d) xs.pop();
}

function listOf(m: Map<number, number[]>, key: number): number[] {
  let xs = m.get(key);
  if (!xs) m.set(key, (xs = []));
  return xs;
}

/**
 * The transitions of the current path indexed by what they touch, so that finding the dependent
 * predecessors of a choice looks at a few short lists (paths of the message models run to a
 * thousand steps). Every list holds depths in increasing order and is cut back on backtracking.
 */
class PathIndex {
  readonly writes = new Map<number, number[]>();
  readonly reads = new Map<number, number[]>();
  readonly events = new Map<number, number[]>();
  readonly globals: number[] = [];
  /** Per choice: its transitions, those that wake pausers, its pauses. */
  readonly byProc: number[][];
  readonly wakesByProc: number[][];
  readonly pausesByProc: number[][];
  /** Per actor (tso): the transitions that filled its store buffer, and one entry per entry removed. */
  readonly enqueued: number[][];
  readonly dequeued: number[][];

  constructor(readonly procs: number) {
    const lists = () => Array.from({ length: procs }, () => [] as number[]);
    this.byProc = lists();
    this.wakesByProc = lists();
    this.pausesByProc = lists();
    this.enqueued = lists();
    this.dequeued = lists();
  }

  add(d: number, p: number, actor: number, fp: Footprint): void {
    this.byProc[p].push(d);
    if (fp.wakes) this.wakesByProc[p].push(d);
    if (fp.pause) this.pausesByProc[p].push(d);
    if (fp.global) this.globals.push(d);
    for (const f of fp.reads) listOf(this.reads, f).push(d);
    for (const f of fp.writes) listOf(this.writes, f).push(d);
    if (fp.event >= 0) listOf(this.events, fp.event).push(d);
    for (let k = 0; k < fp.dequeues; k++) this.dequeued[actor].push(d);
    if (fp.enqueues) this.enqueued[actor].push(d);
  }

  truncate(d: number): void {
    for (const m of [this.writes, this.reads, this.events]) for (const xs of m.values()) cutFrom(xs, d);
    cutFrom(this.globals, d);
    for (const lists of [this.byProc, this.wakesByProc, this.pausesByProc, this.enqueued, this.dequeued]) for (const xs of lists) cutFrom(xs, d);
  }

  /** The transition that filled the entry actor a's next flush makes visible. */
  nextFlushed(a: number): number {
    return this.enqueued[a][this.dequeued[a].length] ?? -1;
  }
}

export interface DporOptions {
  /** Sleep sets (default: only without a bound, where they are sound). */
  readonly sleepSets?: boolean;
}

export class DporStrategy implements Strategy {
  readonly name = 'dfs';
  /** Store-buffer flushes are always offered: the reduction decides which orders matter. */
  readonly eagerFlushes = true;
  private readonly stack: Node[] = [];
  private index: PathIndex | undefined;
  /** Depth up to which the next execution replays the stack. */
  private replayTo = 0;
  private started = false;
  private exhausted = false;
  private pruned = 0;
  private beyondBound = 0;
  private relocated = 0;
  private executions = 0;
  private maxCost = 0;
  private cost = 0;
  private actors = 0;
  private readonly sleepSets: boolean;
  /** Vector clock of each choice's last transition on the current path. */
  private procClock: (Int32Array | undefined)[] = [];

  constructor(readonly maxPreemptions = Number.POSITIVE_INFINITY, options: DporOptions = {}) {
    this.sleepSets = options.sleepSets ?? !Number.isFinite(maxPreemptions);
  }

  next(): boolean {
    if (!this.started) {
      this.started = true;
      this.replayTo = 0;
      return true;
    }
    for (let d = this.stack.length - 1; d >= 0; d--) {
      const node = this.stack[d];
      const open = node.backtrack & ~node.done & ~node.sleep;
      if (open === 0) continue;
      const p = 31 - Math.clz32(open & -open);
      this.stack.length = d + 1;
      node.chosen = p;
      node.done |= bit(p);
      node.fp = undefined;
      node.fills = [];
      node.noted = false;
      node.clock = undefined;
      node.joins = undefined;
      this.index?.truncate(d);
      this.replayTo = d;
      return true;
    }
    this.exhausted = true;
    return false;
  }

  choose(c: Choice): number {
    const depth = c.step;
    if (depth === 0) {
      this.cost = 0;
      this.actors = c.actors;
      this.procClock = new Array(2 * c.actors);
      this.index ??= new PathIndex(2 * c.actors);
    }
    const existing = this.stack[depth];
    if (depth <= this.replayTo && existing) {
      // Replaying the prefix, or at the branch point whose alternative next() chose.
      existing.fp ??= c.footprint(existing.chosen);
      this.advance(existing, depth);
      return existing.chosen;
    }
    if (depth > 0 && c.noted(depth - 1)) this.orderNotes(depth - 1);
    const node = this.push(c, depth);
    this.detectRaces(c, depth);
    const awake = node.enabled & ~node.sleep;
    if (awake === 0) {
      this.pruned++;
      return PRUNE;
    }
    node.chosen = this.preferred(c, awake);
    node.backtrack |= bit(node.chosen);
    node.done |= bit(node.chosen);
    node.fp = node.footprints?.[node.chosen] ?? c.footprint(node.chosen);
    this.advance(node, depth);
    return node.chosen;
  }

  done(e: ExecutionSummary): void {
    this.executions++;
    const lastStep = e.decisions.length - 1;
    if (lastStep >= 0 && e.noted?.[lastStep] && this.stack[lastStep]) this.orderNotes(lastStep);
  }

  /**
   * The step at depth d emitted a note an invariant orders: it conflicts with every other actor's
   * such step (a ghost location they all write), which is only known once the step has run, so
   * the race with the previous one is found here and d's clock extended with that order.
   */
  private orderNotes(d: number): void {
    const node = this.stack[d];
    if (!node.clock || node.noted) return;
    node.noted = true;
    const index = this.index!;
    const i = last(index.writes.get(ORDERED_NOTES));
    if (i >= 0) {
      if (this.racing(i, node.chosen, node.clock)) this.race(i, node.chosen, d);
      join(node.clock, this.stack[i].clock);
      node.clock[node.chosen] = d + 1;
      const prev = this.stack[d - 1]?.joins;
      const fp = node.fp!;
      node.joins = {
        all: grow(prev?.all, node.clock, true),
        wakes: grow(prev?.wakes, node.clock, fp.wakes),
        pauses: grow(prev?.pauses, node.clock, fp.pause),
        globals: grow(prev?.globals, node.clock, fp.global),
      };
    }
    listOf(index.writes, ORDERED_NOTES).push(d);
  }

  coverage(): Coverage {
    const bounded = Number.isFinite(this.maxPreemptions);
    const details = {
      prunedBySleepSets: this.pruned, backtrackBeyondBound: this.beyondBound, backtrackMoved: this.relocated,
      preemptionsReached: this.maxCost, sleepSets: this.sleepSets ? 'on' : 'off',
    };
    if (!this.exhausted) return { complete: false, space: 'schedules up to equivalence (dynamic partial-order reduction), search cut short', details };
    return {
      complete: true,
      space: bounded
        ? `all schedules up to equivalence with at most ${this.maxPreemptions} preemptions (bounded partial-order reduction)`
        : 'all schedules up to equivalence (dynamic partial-order reduction with sleep sets, no bound)',
      details,
    };
  }

  /**
   * The choice that costs nothing: go on with the current actor (else the lowest awake actor),
   * flushing first what it would overtake; a flush of its own only when no actor can run.
   */
  private preferred(c: Choice, awake: number): number {
    const actorsMask = awake & (bit(c.actors) - 1);
    if (actorsMask === 0) return 31 - Math.clz32(awake & -awake);
    const a = c.currentEnabled && has(awake, c.current) ? c.current : 31 - Math.clz32(actorsMask & -actorsMask);
    if (c.delays(a)) {
      const flush = c.flushesBefore(a).find((f) => has(awake, f));
      if (flush !== undefined) return flush;
    }
    return a;
  }

  /** What taking choice p at node costs against the bound: a preemption, and under tso a delay. */
  private costOf(node: Node, p: number): number {
    return (node.currentEnabled && p !== node.current && p < this.actors ? 1 : 0) + (has(node.delays, p) ? 1 : 0);
  }

  private push(c: Choice, depth: number): Node {
    let enabled = 0;
    for (const a of c.enabled) enabled |= bit(a);
    const parent = this.stack[depth - 1];
    let sleep = 0;
    let footprints: (Footprint | undefined)[] | undefined;
    if (this.sleepSets) {
      footprints = [];
      for (let q = 0; q < 2 * c.actors; q++) footprints.push(c.footprint(q));
      if (parent?.footprints && parent.fp) {
        // Siblings explored before the parent's choice, and what was asleep there, stay asleep while independent of it.
        const candidates = (parent.sleep | parent.done) & ~bit(parent.chosen);
        for (let q = 0; q < 2 * c.actors; q++) {
          const f = parent.footprints[q];
          if (has(candidates, q) && f && !dependent(f, parent.fp)) sleep |= bit(q);
        }
      }
    }
    let delays = 0;
    for (const a of c.enabled) if (a < c.actors && c.delays(a)) delays |= bit(a);
    const node: Node = {
      enabled, current: c.current, currentEnabled: c.currentEnabled, cost: this.cost, delays, footprints, sleep,
      backtrack: 0, done: 0, chosen: -1, fp: undefined, fills: [], clock: undefined, joins: undefined, noted: false,
    };
    if (this.stack.length > depth) this.stack.length = depth;
    this.stack.push(node);
    return node;
  }

  private actorOf(p: number): number {
    return p >= this.actors ? p - this.actors : p;
  }

  /** The clock every transition p has already been ordered after: its own last one and, for a flush, the store that filled the entry. */
  private seenBy(p: number): Int32Array | undefined {
    const own = this.procClock[p];
    if (p < this.actors) return own;
    const filler = this.index!.nextFlushed(p - this.actors);
    const fill = filler >= 0 ? this.stack[filler].clock : undefined;
    if (!fill) return own;
    if (!own) return fill;
    const both = new Int32Array(own);
    join(both, fill);
    return both;
  }

  /** Takes the node's chosen transition: its vector clock (computed once per path) and its cost. */
  private advance(node: Node, depth: number): void {
    const p = node.chosen;
    const index = this.index!;
    if (!node.clock) {
      const fp = node.fp!;
      const m = 2 * this.actors;
      const prev = this.stack[depth - 1]?.joins;
      const clock = new Int32Array(m);
      join(clock, this.seenBy(p));
      join(clock, prev?.globals);
      if (fp.global) join(clock, prev?.all);
      if (fp.pause) join(clock, prev?.wakes);
      if (fp.wakes) join(clock, prev?.pauses);
      for (const f of fp.reads) {
        const w = last(index.writes.get(f));
        if (w >= 0) join(clock, this.stack[w].clock);
      }
      for (const f of fp.writes) {
        // The last write covers the writes and reads before it; reads after it matter to a write.
        const w = last(index.writes.get(f));
        if (w >= 0) join(clock, this.stack[w].clock);
        for (const r of index.reads.get(f) ?? []) if (r > w) join(clock, this.stack[r].clock);
      }
      if (fp.event >= 0) {
        const e = last(index.events.get(fp.event));
        if (e >= 0) join(clock, this.stack[e].clock);
      }
      clock[p] = depth + 1;
      node.clock = clock;
      const actor = this.actorOf(p);
      const from = index.dequeued[actor].length;
      node.fills = fp.dequeues > 0 ? index.enqueued[actor].slice(from, from + fp.dequeues) : [];
      node.joins = {
        all: grow(prev?.all, clock, true),
        wakes: grow(prev?.wakes, clock, fp.wakes),
        pauses: grow(prev?.pauses, clock, fp.pause),
        globals: grow(prev?.globals, clock, fp.global),
      };
      index.add(depth, p, this.actorOf(p), fp);
    }
    this.procClock[p] = node.clock;
    this.cost += this.costOf(node, p);
    if (this.cost > this.maxCost) this.maxCost = this.cost;
  }

  /** For every choice's next transition, the last dependent transition not ordered before it is a race. */
  private detectRaces(c: Choice, depth: number): void {
    const index = this.index!;
    const node = this.stack[depth];
    const m = 2 * c.actors;
    for (let p = 0; p < m; p++) {
      const fp = node.footprints ? node.footprints[p] : c.footprint(p);
      if (!fp) continue;
      const seen = this.seenBy(p);
      let latest = this.racingAfter(index.globals, -1, p, seen);
      if (fp.global) for (let q = 0; q < m; q++) latest = this.racingAfter(index.byProc[q], latest, p, seen);
      if (fp.pause) for (let q = 0; q < m; q++) latest = this.racingAfter(index.wakesByProc[q], latest, p, seen);
      if (fp.wakes) for (let q = 0; q < m; q++) latest = this.racingAfter(index.pausesByProc[q], latest, p, seen);
      if (fp.event >= 0) {
        // A wait that could not run before the notify that raised its event is enabled by that
        // notify, not in a race with it: the wait can never come first.
        const xs = index.events.get(fp.event);
        const e = last(xs);
        const enabler = e >= 0 && fp.waits === true && this.stack[e].fp?.raises === true && !has(this.stack[e].enabled, p) && last(index.byProc[p]) < e;
        if (!enabler) latest = this.racingAfter(xs, latest, p, seen);
      }
      for (const f of fp.reads) latest = this.racingAfter(index.writes.get(f), latest, p, seen);
      for (const f of fp.writes) {
        const ws = index.writes.get(f);
        const w = last(ws);
        latest = this.racingAfter(ws, latest, p, seen);
        // Reads since the last write are not ordered among themselves: the latest racing one counts.
        const rs = index.reads.get(f);
        if (rs) for (let j = rs.length - 1; j >= 0 && rs[j] > w && rs[j] > latest; j--) if (this.racing(rs[j], p, seen)) { latest = rs[j]; break; }
      }
      if (latest >= 0) this.race(latest, p);
    }
  }

  /**
   * The later of `latest` and the last transition of `xs` if it races with p's next one. Only the
   * last counts: the transitions of one list are ordered among themselves (writes of one field,
   * operations on one event, one choice's own), so if the last is ordered before p, all are.
   */
  private racingAfter(xs: readonly number[] | undefined, latest: number, p: number, seen: Int32Array | undefined): number {
    const i = last(xs);
    return i > latest && this.racing(i, p, seen) ? i : latest;
  }

  /**
   * Whether the transition at depth i can be reordered with p's next one: another choice took it,
   * and p has not been ordered after it. An actor and its own store buffer never race: its loads
   * read its buffered value before the flush and the same value after it, and its own flushes do
   * not wake it.
   */
  private racing(i: number, p: number, seen: Int32Array | undefined): boolean {
    const q = this.stack[i].chosen;
    const n = this.actors;
    return q !== p && q !== (p < n ? p + n : p - n) && !(seen !== undefined && seen[q] >= i + 1);
  }

  /**
   * Reverse the race at depth i with choice p: p from state i if it can run there; otherwise one
   * of the choices that can start the reversed order (the initials of the events after i that do
   * not depend on it, followed by p's: the source sets of Abdulla, Aronis, Jonsson and Sagonas,
   * POPL 2014), and every enabled choice only if none is found.
   */
  private race(i: number, p: number, depth = this.stack.length - 1): void {
    // Under tso a write that became visible at i was issued by its store: running p before that
    // store is the sc schedule, at the sc cost (after it, p's read would be a delay).
    for (const at of [i, ...this.stack[i].fills]) {
      this.reverseAt(at, p, depth);
      if (Number.isFinite(this.maxPreemptions)) {
        // Bounded partial-order reduction: also where the actor that ran there was scheduled.
        const q = this.stack[at].chosen;
        let j = at;
        while (j > 0 && this.stack[j - 1].chosen === q) j--;
        if (j < at) this.reverseAt(j, p, depth);
      }
    }
  }

  private reverseAt(j: number, p: number, depth: number): void {
    const at = this.stack[j];
    if (has(at.enabled, p)) { this.addBacktrack(j, p); return; }
    const starts = this.initials(j, depth, p) & at.enabled;
    if (starts === 0) { for (let e = 0; e < 32; e++) if (has(at.enabled, e)) this.addBacktrack(j, e); return; }
    if ((starts & at.backtrack) !== 0) return;
    const actorsFirst = starts & (bit(this.actors) - 1);
    const q = actorsFirst !== 0 ? actorsFirst : starts;
    this.addBacktrack(j, 31 - Math.clz32(q & -q));
  }

  /**
   * Choices whose first transition after state i neither depends on the transition taken at i nor
   * follows another transition of that sequence, where the sequence is every transition in
   * (i, depth) not ordered after i, then p's next one.
   */
  private initials(i: number, depth: number, p: number): number {
    const procI = this.stack[i].chosen;
    const first = new Int32Array(2 * this.actors).fill(-1);
    let mask = 0;
    for (let j = i + 1; j < depth; j++) {
      const node = this.stack[j];
      const clock = node.clock!;
      if (clock[procI] >= i + 1) continue; // ordered after i
      const q = node.chosen;
      if (first[q] >= 0) continue;
      if (!orderedAfterAny(clock, first)) mask |= bit(q);
      first[q] = j;
    }
    if (first[p] < 0 && !orderedAfterAny(this.seenBy(p), first)) mask |= bit(p);
    return mask;
  }

  private addBacktrack(i: number, p: number): void {
    const node = this.stack[i];
    if (has(node.backtrack, p)) return;
    if (node.cost + this.costOf(node, p) <= this.maxPreemptions) {
      node.backtrack |= bit(p);
      return;
    }
    // Too costly here: start p earlier, at the latest point where switching to it is free.
    for (let j = i - 1; j >= 0; j--) {
      const earlier = this.stack[j];
      if (has(earlier.enabled, p) && this.costOf(earlier, p) === 0 && earlier.cost <= this.maxPreemptions) {
        if (!has(earlier.backtrack, p)) {
          earlier.backtrack |= bit(p);
          this.relocated++;
        }
        return;
      }
    }
    this.beyondBound++;
  }
}
