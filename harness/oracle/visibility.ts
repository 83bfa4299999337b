/**
 * When an actor's stores become visible to the others. Under sc a store is visible at once; under
 * tso (and weak) it waits in the actor's store buffer until a FLUSH or DRAIN entry. Oracles that put a point
 * in time on "the writer finished" (an update-end note) must use the moment the writer's earlier
 * stores are visible, or they would blame readers for not seeing stores still in a buffer.
 */
import type { OracleContext, TraceEntry } from '../core/model.ts';
import { OpKind } from '../core/ops.ts';

export class StoreVisibility {
  private readonly buffered = new Map<number, number>();
  private readonly waiting: { actor: number; remaining: number; then: (index: number) => void }[] = [];
  private readonly tso: boolean;

  constructor(ctx: OracleContext) {
    this.tso = ctx.state.memoryModel !== 'sc';
  }

  /** Feed every trace entry, in order, before acting on it. */
  observe(e: TraceEntry, index: number): void {
    if (!this.tso) return;
    if (e.k === OpKind.STORE) this.buffered.set(e.actor, (this.buffered.get(e.actor) ?? 0) + 1);
    else if (e.k === OpKind.FLUSH || e.k === OpKind.DRAIN) {
      this.buffered.set(e.actor, (this.buffered.get(e.actor) ?? 1) - 1);
      for (let i = 0; i < this.waiting.length; i++) {
        const w = this.waiting[i];
        if (w.actor === e.actor && --w.remaining === 0) {
          this.waiting.splice(i--, 1);
          w.then(index);
        }
      }
    }
  }

  /** The pending work as a canonical string, for state hashing. */
  key(): string {
    return `${[...this.buffered].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]).join(';')}|${this.waiting.map((w) => `${w.actor}:${w.remaining}`).join(';')}`;
  }

  /** Calls `then` with the trace index at which every store the actor made so far is visible. */
  whenVisible(actor: number, index: number, then: (index: number) => void): void {
    const pending = this.buffered.get(actor) ?? 0;
    if (pending === 0) then(index);
    else this.waiting.push({ actor, remaining: pending, then });
  }
}
