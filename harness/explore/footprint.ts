/**
 * What one scheduling choice touches, in the state where it is taken: the fields it reads and
 * writes in the globally visible memory, the event it raises or consumes, whether it decides who
 * may run at all (atomic sections), and how it relates to pausing actors. Two choices of different
 * actors commute exactly when their footprints are independent; partial-order reduction is built
 * on that relation and nothing else, so it is stated once, here.
 *
 * The footprint depends on the state under tso: a load that its own store buffer answers reads no
 * shared memory, a store only enters the buffer (unless the buffer is full), a fence, notify,
 * read-modify-write or atomic section drains the buffer (it writes every field waiting there),
 * and a flush writes the oldest buffered field.
 */
import { Fence, OpKind } from '../core/ops.ts';
import { BUFFER_CAPACITY } from '../core/shared-state.ts';
import type { Engine } from '../engine/engine.ts';

export interface Footprint {
  /** Fields read from the visible memory. */
  readonly reads: readonly number[];
  /** Fields written to the visible memory (a store, a read-modify-write, a flush, a drain). */
  readonly writes: readonly number[];
  /** Event raised, waited for or polled; -1 for none. */
  readonly event: number;
  /** Raises the event (a notify), or blocks until it is raised (a wait). */
  readonly raises?: boolean;
  readonly waits?: boolean;
  /** Starts or ends an atomic section: it decides whether the others may run, so it depends on everything. */
  readonly global: boolean;
  /** A spin-loop pause: the actor sleeps until another one changes shared state. */
  readonly pause: boolean;
  /** Counts as a change of shared state for pausing actors (they wake up after it). */
  readonly wakes: boolean;
  /** Memory model tso: the choice adds an entry to its actor's store buffer. */
  readonly enqueues: boolean;
  /** Memory model tso: entries it removes from the head of its actor's buffer (a flush: 1; a drain: all). */
  readonly dequeues: number;
}

const NONE: readonly number[] = [];

/** Operations that drain the actor's store buffer under tso (shared-state.ts apply does the same). */
export function drainsUnderTso(k: number, t: number): boolean {
  return k === OpKind.ADD || k === OpKind.XCHG || k === OpKind.CAS || k === OpKind.NOTIFY
    || k === OpKind.ATOMIC_BEGIN || k === OpKind.ATOMIC_END || (k === OpKind.FENCE && t === Fence.MB);
}

/** Operations after which a pausing actor may see something new (a load or a fence changes nothing). */
export function changesSharedState(k: number): boolean {
  return k !== OpKind.LOAD && k !== OpKind.FENCE && k !== OpKind.PAUSE && k !== OpKind.NOTE;
}

/**
 * The footprint of choice `c` (an actor below `n`, a flush of actor c - n from `n` on) in the
 * engine's current state. Done or failed actors have an empty footprint.
 */
export function footprintOf(engine: Engine, n: number, c: number): Footprint {
  const state = engine.state;
  const tso = state.memoryModel === 'tso';
  if (c >= n) return memo(FLUSH_KEY, state.oldestBufferedField(c - n), false);
  const k = engine.pendingKind(c);
  if (k <= 0) return EMPTY;
  const t = engine.pendingTarget(c);
  if (!tso) return memo(k, t, false);
  const buffered = state.buffered(c);
  if (drainsUnderTso(k, t) && buffered > 0) return build(k, t, true, state.bufferedFields(c), buffered);
  if (k === OpKind.LOAD) return memo(k, t, state.bufferHas(c, t) ? 'own' : true);
  if (k === OpKind.STORE && buffered === BUFFER_CAPACITY) return build(k, t, true, [state.oldestBufferedField(c)], 1);
  return memo(k, t, true);
}

const FLUSH_KEY = 100;
const EMPTY: Footprint = { reads: NONE, writes: NONE, event: -1, global: false, pause: false, wakes: false, enqueues: false, dequeues: 0 };
/** Footprints that depend only on the operation (and, under tso, on whether a load hits the own buffer), made once. */
const cache = new Map<number, Footprint>();

function memo(k: number, t: number, tso: boolean | 'own'): Footprint {
  const key = (t * 128 + k) * 4 + (tso === 'own' ? 2 : tso ? 1 : 0);
  let f = cache.get(key);
  if (!f) cache.set(key, (f = k === FLUSH_KEY ? build(OpKind.STORE, t, false, NONE, 1, true) : build(k, t, tso !== false, NONE, 0, false, tso === 'own')));
  return f;
}

/**
 * `drained`: the fields this operation makes visible from the store buffer first (`dequeues`
 * entries); `flush`: a store-buffer flush, which writes its field; `ownHit`: a tso load that its
 * own buffer answers.
 */
function build(k: number, t: number, tso: boolean, drained: readonly number[], dequeues: number, flush = false, ownHit = false): Footprint {
  const f = { reads: NONE, writes: drained, event: -1, global: false, pause: false, wakes: flush || changesSharedState(k), enqueues: false, dequeues, raises: false, waits: false };
  if (flush) return { ...f, writes: [t] };
  switch (k) {
    case OpKind.LOAD: return ownHit ? f : { ...f, reads: [t] };
    // Under tso a store only enters the buffer (a full one first makes its oldest entry visible).
    case OpKind.STORE: return tso ? { ...f, enqueues: true } : { ...f, writes: [t] };
    case OpKind.ADD: case OpKind.XCHG: case OpKind.CAS:
      return { ...f, reads: [t], writes: drained.includes(t) ? drained : [...drained, t] };
    case OpKind.NOTIFY: case OpKind.WAIT: case OpKind.POLL:
      return { ...f, event: t, raises: k === OpKind.NOTIFY, waits: k === OpKind.WAIT };
    case OpKind.ATOMIC_BEGIN: case OpKind.ATOMIC_END: return { ...f, global: true };
    case OpKind.PAUSE: return { ...f, pause: true };
    default: return f; // fences: an mb drains under tso, otherwise nothing is touched
  }
}

function meets(xs: readonly number[], ys: readonly number[]): boolean {
  for (const x of xs) if (ys.includes(x)) return true;
  return false;
}

/** Whether two choices of different actors (or buffers) fail to commute. */
export function dependent(f: Footprint, g: Footprint): boolean {
  if (f.global || g.global) return true;
  if ((f.pause && g.wakes) || (g.pause && f.wakes)) return true;
  if (f.event >= 0 && f.event === g.event) return true;
  return meets(f.writes, g.writes) || meets(f.writes, g.reads) || meets(f.reads, g.writes);
}
