/**
 * Exhaustive search with dynamic partial-order reduction and sleep sets (Flanagan and Godefroid,
 * POPL 2005): explore one schedule, find the pairs of dependent operations that could have run the
 * other way round (not ordered by happens-before, tracked with vector clocks), and come back only
 * to those points. Sleep sets stop a schedule as soon as it can only repeat an explored one.
 *
 * Two operations of different actors are dependent when they touch the same field and one writes
 * it, when they raise or consume the same event, when one is a pause and the other changes shared
 * state (which wakes the pausing actor), or when one is an atomic section boundary (which decides
 * whether others may run at all). Everything else commutes.
 *
 * With a preemption bound, a backtrack point that would exceed it is moved to the latest earlier
 * point where the racing actor can start without a preemption (the conservative rule of bounded
 * partial-order reduction, Coons, Musuvathi and McKinley, OOPSLA 2013), or dropped and counted.
 * Memory model tso is not reduced (store-buffer flushes would need their own happens-before); the
 * check falls back to the plain dfs there.
 */
import { OpKind } from '../core/ops.ts';
import { changesSharedState } from './execution.ts';
import { PRUNE, type Choice, type Coverage, type ExecutionSummary, type Strategy } from './strategy.ts';

interface Joins {
  /** Joins of the clocks of every transition so far, of those that change shared state, of pauses, of atomic-section boundaries. */
  readonly all: Int32Array;
  readonly changes: Int32Array;
  readonly pauses: Int32Array;
  readonly globals: Int32Array;
}

interface Node {
  readonly enabled: readonly number[];
  /** kind and target of every actor's next operation at this state, by actor. */
  readonly kinds: Int32Array;
  readonly targets: Int32Array;
  readonly current: number;
  readonly currentEnabled: boolean;
  /** Preemptions spent before this state. */
  readonly cost: number;
  readonly sleep: Set<number>;
  readonly backtrack: Set<number>;
  readonly done: Set<number>;
  chosen: number;
  /** Vector clock of the transition taken from this state, and the joins including it. */
  clock: Int32Array | undefined;
  joins: Joins | undefined;
}

const WRITES = new Set<number>([OpKind.STORE, OpKind.ADD, OpKind.XCHG, OpKind.CAS]);
const FIELD_OPS = new Set<number>([OpKind.LOAD, OpKind.STORE, OpKind.ADD, OpKind.XCHG, OpKind.CAS]);
const EVENT_OPS = new Set<number>([OpKind.NOTIFY, OpKind.WAIT, OpKind.POLL]);
/** Operations that change whether other actors may run: dependent with everything. */
const GLOBAL = new Set<number>([OpKind.ATOMIC_BEGIN, OpKind.ATOMIC_END]);

export function dependent(k1: number, t1: number, k2: number, t2: number): boolean {
  if (GLOBAL.has(k1) || GLOBAL.has(k2)) return true;
  // A pausing actor sleeps until someone changes shared state (execution.ts): its pause races
  // with exactly those operations.
  if (k1 === OpKind.PAUSE) return changesSharedState(k2) && k2 !== OpKind.PAUSE;
  if (k2 === OpKind.PAUSE) return changesSharedState(k1) && k1 !== OpKind.PAUSE;
  if (FIELD_OPS.has(k1) && FIELD_OPS.has(k2)) return t1 === t2 && (WRITES.has(k1) || WRITES.has(k2));
  if (EVENT_OPS.has(k1) && EVENT_OPS.has(k2)) return t1 === t2;
  return false;
}

/**
 * The transitions of the current path, indexed by what they touch, so that finding the dependent
 * predecessors of an operation looks at a few short lists instead of the whole path (paths of
 * the message models run to a thousand steps).
 */
class PathIndex {
  readonly fieldWrites = new Map<number, number[]>();
  readonly fieldReads = new Map<number, number[]>();
  readonly events = new Map<number, number[]>();
  readonly pauses: number[] = [];
  readonly changes: number[] = [];
  readonly globals: number[] = [];
  /** Transitions 0 .. length-1 are indexed. */
  length = 0;

  add(i: number, k: number, t: number): void {
    if (GLOBAL.has(k)) this.globals.push(i);
    if (k === OpKind.PAUSE) this.pauses.push(i);
    if (changesSharedState(k)) this.changes.push(i);
    if (FIELD_OPS.has(k)) list(WRITES.has(k) ? this.fieldWrites : this.fieldReads, t).push(i);
    else if (EVENT_OPS.has(k)) list(this.events, t).push(i);
    this.length = i + 1;
  }

  truncate(d: number): void {
    const cut = (xs: number[]) => { while (xs.length && xs[xs.length - 1] >= d) xs.pop(); };
    for (const m of [this.fieldWrites, this.fieldReads, this.events]) for (const xs of m.values()) cut(xs);
    cut(this.pauses); cut(this.changes); cut(this.globals);
    this.length = Math.min(this.length, d);
  }

  /** Lists that hold every earlier transition dependent with an operation (k, t), atomic sections aside. */
  candidates(k: number, t: number): readonly (readonly number[])[] {
    if (k === OpKind.PAUSE) return [this.changes, this.globals];
    const out: (readonly number[])[] = [this.globals];
    if (FIELD_OPS.has(k)) {
      out.push(this.fieldWrites.get(t) ?? []);
      if (WRITES.has(k)) out.push(this.fieldReads.get(t) ?? []);
    } else if (EVENT_OPS.has(k)) out.push(this.events.get(t) ?? []);
    if (changesSharedState(k)) out.push(this.pauses);
    return out;
  }
}

function list(m: Map<number, number[]>, t: number): number[] {
  let xs = m.get(t);
  if (!xs) m.set(t, (xs = []));
  return xs;
}

function join(into: Int32Array, from: Int32Array | undefined): void {
  if (!from) return;
  for (let k = 0; k < into.length; k++) if (from[k] > into[k]) into[k] = from[k];
}

export class DporStrategy implements Strategy {
  readonly name = 'dfs';
  private readonly stack: Node[] = [];
  private readonly index = new PathIndex();
  /** Depth up to which the next execution replays the stack. */
  private replayTo = 0;
  private started = false;
  private exhausted = false;
  private pruned = 0;
  private beyondBound = 0;
  private relocated = 0;
  private executions = 0;
  private cost = 0;
  /** Vector clock of each actor's last transition on the current path. */
  private actorClock: Int32Array[] = [];

  constructor(readonly maxPreemptions = Number.POSITIVE_INFINITY) {}

  next(): boolean {
    if (!this.started) {
      this.started = true;
      this.replayTo = 0;
      return true;
    }
    for (let d = this.stack.length - 1; d >= 0; d--) {
      const node = this.stack[d];
      const p = [...node.backtrack].find((a) => !node.done.has(a) && !node.sleep.has(a));
      if (p === undefined) continue;
      this.stack.length = d + 1;
      node.chosen = p;
      node.done.add(p);
      node.clock = undefined;
      node.joins = undefined;
      this.index.truncate(d);
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
      this.actorClock = [];
    }
    let node = this.stack[depth];
    if (depth <= this.replayTo && node) {
      // Replaying the prefix, or at the branch point whose alternative next() chose.
      this.advance(node, depth, c.actors);
      return node.chosen;
    }
    node = this.push(c, depth);
    this.detectRaces(node, depth, c.actors);
    const awake = c.enabled.filter((a) => !node.sleep.has(a));
    if (awake.length === 0) {
      this.pruned++;
      return PRUNE;
    }
    const chosen = c.currentEnabled && awake.includes(c.current) ? c.current : awake[0];
    node.chosen = chosen;
    node.backtrack.add(chosen);
    node.done.add(chosen);
    this.advance(node, depth, c.actors);
    return chosen;
  }

  done(_: ExecutionSummary): void {
    this.executions++;
  }

  coverage(): Coverage {
    const bounded = Number.isFinite(this.maxPreemptions);
    const details = { prunedBySleepSets: this.pruned, backtrackBeyondBound: this.beyondBound, backtrackMoved: this.relocated };
    if (!this.exhausted) return { complete: false, space: 'schedules up to equivalence (dynamic partial-order reduction), search cut short', details };
    return {
      complete: true,
      space: bounded
        ? `all schedules up to equivalence with at most ${this.maxPreemptions} preemptions (bounded partial-order reduction)`
        : 'all schedules up to equivalence (dynamic partial-order reduction, no bound)',
      details,
    };
  }

  private push(c: Choice, depth: number): Node {
    const n = c.actors;
    const kinds = new Int32Array(n);
    const targets = new Int32Array(n);
    for (let a = 0; a < n; a++) {
      kinds[a] = c.kind(a);
      targets[a] = c.target(a);
    }
    const sleep = new Set<number>();
    const parent = this.stack[depth - 1];
    if (parent) {
      const p = parent.chosen;
      // Siblings explored before p, and what was asleep already, stay asleep while independent of p.
      for (const q of [...parent.sleep, ...parent.done]) {
        if (q !== p && !dependent(parent.kinds[q], parent.targets[q], parent.kinds[p], parent.targets[p])) sleep.add(q);
      }
    }
    const node: Node = {
      enabled: c.enabled, kinds, targets, current: c.current, currentEnabled: c.currentEnabled, cost: this.cost,
      sleep, backtrack: new Set(), done: new Set(), chosen: -1, clock: undefined, joins: undefined,
    };
    this.stack[depth] = node;
    this.stack.length = depth + 1;
    return node;
  }

  /** Takes the node's chosen transition: its vector clock (computed once per path) and its cost. */
  private advance(node: Node, depth: number, n: number): void {
    const a = node.chosen;
    if (!node.clock) {
      const k = node.kinds[a];
      const t = node.targets[a];
      const prev = this.stack[depth - 1]?.joins;
      const clock = new Int32Array(n);
      join(clock, this.actorClock[a]);
      join(clock, prev?.globals);
      // The last write covers the writes and reads before it; reads after it matter to a write.
      const lastOf = (xs: readonly number[] | undefined) => (xs && xs.length ? xs[xs.length - 1] : -1);
      if (GLOBAL.has(k)) join(clock, prev?.all);
      else if (k === OpKind.PAUSE) join(clock, prev?.changes);
      else if (FIELD_OPS.has(k)) {
        const w = lastOf(this.index.fieldWrites.get(t));
        if (w >= 0) join(clock, this.stack[w].clock);
        if (WRITES.has(k)) for (const r of this.index.fieldReads.get(t) ?? []) if (r > w) join(clock, this.stack[r].clock);
      } else if (EVENT_OPS.has(k)) {
        const e = lastOf(this.index.events.get(t));
        if (e >= 0) join(clock, this.stack[e].clock);
      }
      if (changesSharedState(k) && k !== OpKind.PAUSE) join(clock, prev?.pauses);
      clock[a] = depth + 1;
      node.clock = clock;
      const zero = new Int32Array(n);
      const grow = (base: Int32Array | undefined, yes: boolean) => {
        if (!yes) return base ?? zero;
        const j = new Int32Array(n);
        join(j, base);
        join(j, clock);
        return j;
      };
      node.joins = {
        all: grow(prev?.all, true),
        changes: grow(prev?.changes, changesSharedState(k)),
        pauses: grow(prev?.pauses, k === OpKind.PAUSE),
        globals: grow(prev?.globals, GLOBAL.has(k)),
      };
      this.index.add(depth, k, t);
    }
    this.actorClock[a] = node.clock;
    if (node.currentEnabled && a !== node.current) this.cost++;
  }

  /** For each actor's next operation, the last dependent transition not ordered before it is a race. */
  private detectRaces(node: Node, depth: number, n: number): void {
    for (let p = 0; p < n; p++) {
      const k = node.kinds[p];
      if (k <= 0) continue; // done or failed
      const seen = this.actorClock[p];
      const racing = (i: number) => {
        const q = this.stack[i].chosen;
        return q !== p && !(seen && seen[q] >= i + 1);
      };
      let last = -1;
      if (GLOBAL.has(k)) {
        for (let i = depth - 1; i >= 0; i--) if (racing(i)) { last = i; break; }
      } else {
        for (const xs of this.index.candidates(k, node.targets[p])) {
          for (let j = xs.length - 1; j >= 0 && xs[j] > last; j--) {
            if (racing(xs[j]) && dependent(this.stack[xs[j]].kinds[this.stack[xs[j]].chosen], this.stack[xs[j]].targets[this.stack[xs[j]].chosen], k, node.targets[p])) {
              last = xs[j];
              break;
            }
          }
        }
      }
      if (last < 0) continue;
      const prev = this.stack[last];
      if (prev.enabled.includes(p)) this.addBacktrack(last, p);
      else for (const e of prev.enabled) this.addBacktrack(last, e);
    }
  }

  private addBacktrack(i: number, p: number): void {
    const node = this.stack[i];
    if (node.backtrack.has(p)) return;
    const extra = node.currentEnabled && p !== node.current ? 1 : 0;
    if (node.cost + extra <= this.maxPreemptions) {
      node.backtrack.add(p);
      return;
    }
    // Too costly here: start p earlier, at the latest point where switching to it is free.
    for (let j = i - 1; j >= 0; j--) {
      const earlier = this.stack[j];
      if (earlier.enabled.includes(p) && (!earlier.currentEnabled || earlier.current === p) && earlier.cost <= this.maxPreemptions) {
        if (!earlier.backtrack.has(p)) {
          earlier.backtrack.add(p);
          this.relocated++;
        }
        return;
      }
    }
    this.beyondBound++;
  }
}
