/**
 * Spin loops: when an actor that pauses may sleep, and when a spin is a livelock.
 *
 * An attempt is what an actor does between two pauses (consecutive pauses, as in a back-off loop,
 * belong to one wait). When an actor pauses and nothing it read or polled during its current
 * attempt has been written (or raised) by anyone else since it read it, running it again would
 * repeat the same attempt on the same values: it sleeps until one of those fields is written or
 * one of those events raised. If it read nothing at all, nothing tells it apart from progress, and
 * it does not sleep.
 *
 * When no actor can run but some sleep, the sleepers are not declared stuck: an attempt may
 * differ from the last in its local state (a retry budget, a back-off counter), so they run on
 * freely, without sleeping, until one of them changes shared state (then the search goes on as
 * usual) or exceeds the step bound (a livelock).
 */
import type { TraceEntry } from '../core/model.ts';
import { OpKind } from '../core/ops.ts';

export class SpinWatch {
  /** Visible writes so far, per field; raises so far, per event. */
  private readonly version: Int32Array;
  private readonly raised: Int32Array;
  /** Per actor: fields read in its current attempt with the version they had, events polled with their raise count. */
  private readonly reads: Map<number, number>[];
  private readonly polls: Map<number, number>[];
  /** Per actor: its last operation was a pause, so its next other operation starts a new attempt. */
  private readonly fresh: boolean[];
  readonly asleep: boolean[];
  /** Nothing else could run: the sleepers retry without sleeping until someone changes shared state. */
  forcing = false;

  constructor(actors: number, fields: number, events: number, private readonly tso: boolean) {
    this.version = new Int32Array(fields);
    this.raised = new Int32Array(events);
    this.reads = Array.from({ length: actors }, () => new Map());
    this.polls = Array.from({ length: actors }, () => new Map());
    this.fresh = new Array<boolean>(actors).fill(true);
    this.asleep = new Array<boolean>(actors).fill(false);
  }

  /** Follows one trace entry: what actors read, and what became visible to the others. */
  observe(e: TraceEntry): void {
    const a = e.actor;
    switch (e.k) {
      case OpKind.NOTE: case OpKind.STALE: return;
      case OpKind.FLUSH: case OpKind.DRAIN: this.written(e.t, a); return;
      case OpKind.PAUSE: return;
      default: break;
    }
    if (this.fresh[a]) {
      this.fresh[a] = false;
      this.reads[a].clear();
      this.polls[a].clear();
    }
    switch (e.k) {
      case OpKind.LOAD: if (!this.reads[a].has(e.t)) this.reads[a].set(e.t, this.version[e.t]); return;
      case OpKind.POLL: if (!this.polls[a].has(e.t)) this.polls[a].set(e.t, this.raised[e.t]); return;
      // Under tso a store becomes visible when it is flushed (a FLUSH or DRAIN entry).
      case OpKind.STORE: if (!this.tso) this.written(e.t, a); return;
      case OpKind.ADD: case OpKind.XCHG: case OpKind.CAS: this.written(e.t, a); return;
      case OpKind.NOTIFY: this.raise(e.t); return;
      default: return;
    }
  }

  /** The actor paused: whether it sleeps now. */
  pause(a: number): boolean {
    this.fresh[a] = true;
    if (this.forcing) return false;
    const reads = this.reads[a];
    const polls = this.polls[a];
    if (reads.size === 0 && polls.size === 0) return false;
    for (const [f, v] of reads) if (this.version[f] !== v) return false;
    for (const [ev, r] of polls) if (this.raised[ev] !== r) return false;
    this.asleep[a] = true;
    return true;
  }

  /** No actor can run: wakes the sleepers to retry freely. Returns whether anyone was asleep. */
  force(): boolean {
    if (!this.asleep.some(Boolean)) return false;
    this.forcing = true;
    this.asleep.fill(false);
    return true;
  }

  /** What the state key needs: who sleeps, and for each actor whether what it read is still current. */
  key(): string {
    return this.asleep.map((s, a) => {
      let current = 0;
      for (const [f, v] of this.reads[a]) if (this.version[f] === v) current++;
      return `${s ? 1 : 0}${this.fresh[a] ? 1 : 0}${[...this.reads[a].keys()].sort((x, y) => x - y).join('.')}:${current}`;
    }).join('|') + (this.forcing ? '!' : '');
  }

  /** Whether a write of `field` by `writer` becoming visible now would wake a sleeper. */
  wouldWake(field: number, writer: number): boolean {
    for (let b = 0; b < this.asleep.length; b++) if (b !== writer && this.asleep[b] && this.reads[b].has(field)) return true;
    return false;
  }

  private written(field: number, writer: number): void {
    this.version[field]++;
    this.forcing = false;
    for (let b = 0; b < this.asleep.length; b++) if (b !== writer && this.asleep[b] && this.reads[b].has(field)) this.asleep[b] = false;
  }

  private raise(event: number): void {
    this.raised[event]++;
    this.forcing = false;
    for (let b = 0; b < this.asleep.length; b++) if (this.asleep[b] && this.polls[b].has(event)) this.asleep[b] = false;
  }
}
