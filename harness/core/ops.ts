/**
 * Visible operations and the port that makes them.
 *
 * Actors are generator functions. Each port call returns an operation; the actor yields it and the
 * engine decides when it executes (that is the scheduling point), executes it on the shared memory
 * and resumes the actor with the value read (or the value written, for a store). Both engines run
 * the same generators, so an actor never touches memory itself.
 */
import type { Field } from './layout.ts';

export const OpKind = {
  LOAD: 1,
  STORE: 2,
  /** fetch-and-add; returns the old value. */
  ADD: 3,
  /** exchange; returns the old value. */
  XCHG: 4,
  /** compare-and-swap; returns the old value (the swap happened iff old === expected). */
  CAS: 5,
  /** virtio_wmb / virtio_rmb / virtio_mb: `t` holds the Fence kind. */
  FENCE: 6,
  /** raise a named event (doorbell, interrupt); latched until a wait or poll consumes it. */
  NOTIFY: 7,
  /** block until the event is latched, then consume it. `v` = 1 marks an idle wait (see Port.idle). */
  WAIT: 8,
  /** consume the event if latched; returns 1 if it was, 0 if not. Never blocks. */
  POLL: 9,
  /** spin-loop hint: the actor cannot make progress until another actor runs. */
  PAUSE: 10,
  /** start and end of a section no other actor may interleave with (trap-and-emulate accesses). */
  ATOMIC_BEGIN: 11,
  ATOMIC_END: 12,
  /** a ghost annotation for the oracles; not a scheduling point and invisible to other actors. */
  NOTE: 13,
  /**
   * Trace only, memory model tso: the oldest store in an actor's store buffer becomes visible.
   * FLUSH is a scheduling decision of its own; DRAIN is forced by the actor's own fence,
   * read-modify-write, notify or atomic section and belongs to that operation's step.
   */
  FLUSH: 14,
  DRAIN: 15,
  /**
   * Trace only, memory model weak: the actor's next load reads a message `v` places older than the
   * newest it could read (a stale value). Not a decision of its own: it marks the load after it.
   */
  STALE: 16,
} as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

export const Fence = { WMB: 1, RMB: 2, MB: 3 } as const;
export type Fence = (typeof Fence)[keyof typeof Fence];
export const FENCE_NAMES: Record<number, string> = { 1: 'virtio_wmb', 2: 'virtio_rmb', 3: 'virtio_mb' };

export const OP_NAMES: Record<number, string> = {
  1: 'load', 2: 'store', 3: 'add', 4: 'xchg', 5: 'cas', 6: 'fence', 7: 'notify', 8: 'wait',
  9: 'poll', 10: 'pause', 11: 'atomic-begin', 12: 'atomic-end', 13: 'note', 14: 'flush', 15: 'drain', 16: 'stale',
};

export interface Op {
  readonly k: OpKind;
  /** field id for memory operations, event id for events, Fence for fences, note id for notes. */
  readonly t: number;
  /** value stored, delta added, or new value of a CAS. */
  readonly v: number;
  /** expected value of a CAS. */
  readonly w: number;
  /** payload of a note. */
  readonly data?: readonly number[];
}

/** Entries that name a field: the memory operations and, under tso and weak, store-buffer flushes and stale marks. */
export function touchesField(k: number): boolean {
  return (k >= OpKind.LOAD && k <= OpKind.CAS) || k === OpKind.FLUSH || k === OpKind.DRAIN || k === OpKind.STALE;
}

export interface EventRef {
  readonly id: number;
  readonly name: string;
}

export interface NoteRef {
  readonly id: number;
  readonly name: string;
}

/** An actor's algorithm: yields operations, is resumed with each operation's value. */
export type Program<T = void> = Generator<Op, T, number>;

/** Makes the operations an actor yields. Stateless, so one port serves every actor. */
export class Port {
  load(f: Field): Op { return { k: OpKind.LOAD, t: f.id, v: 0, w: 0 }; }
  store(f: Field, value: number): Op { return { k: OpKind.STORE, t: f.id, v: value, w: 0 }; }
  add(f: Field, delta: number): Op { return { k: OpKind.ADD, t: f.id, v: delta, w: 0 }; }
  exchange(f: Field, value: number): Op { return { k: OpKind.XCHG, t: f.id, v: value, w: 0 }; }
  cas(f: Field, expected: number, value: number): Op { return { k: OpKind.CAS, t: f.id, v: value, w: expected }; }
  wmb(): Op { return { k: OpKind.FENCE, t: Fence.WMB, v: 0, w: 0 }; }
  rmb(): Op { return { k: OpKind.FENCE, t: Fence.RMB, v: 0, w: 0 }; }
  mb(): Op { return { k: OpKind.FENCE, t: Fence.MB, v: 0, w: 0 }; }
  notify(e: EventRef): Op { return { k: OpKind.NOTIFY, t: e.id, v: 0, w: 0 }; }
  /** Blocks until `e` is raised. A driver or device that stays blocked here at the end is deadlocked. */
  wait(e: EventRef): Op { return { k: OpKind.WAIT, t: e.id, v: 0, w: 0 }; }
  /** Blocks until `e` is raised, as an idle event loop does: ending the run blocked here is normal. */
  idle(e: EventRef): Op { return { k: OpKind.WAIT, t: e.id, v: 1, w: 0 }; }
  poll(e: EventRef): Op { return { k: OpKind.POLL, t: e.id, v: 0, w: 0 }; }
  pause(): Op { return PAUSE; }
  atomicBegin(): Op { return ATOMIC_BEGIN; }
  atomicEnd(): Op { return ATOMIC_END; }
  note(n: NoteRef, ...data: number[]): Op { return { k: OpKind.NOTE, t: n.id, v: 0, w: 0, data }; }
}

const PAUSE: Op = { k: OpKind.PAUSE, t: 0, v: 0, w: 0 };
const ATOMIC_BEGIN: Op = { k: OpKind.ATOMIC_BEGIN, t: 0, v: 0, w: 0 };
const ATOMIC_END: Op = { k: OpKind.ATOMIC_END, t: 0, v: 0, w: 0 };

export const port = new Port();
