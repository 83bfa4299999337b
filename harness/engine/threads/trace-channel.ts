/**
 * Trace entries cross from a worker to the main thread as Float64 words in the actor's channel
 * (Float64, so that 64-bit field values and note data round-trip exactly):
 *
 *   visible operation:  k, t, v
 *   forced drain (tso): DRAIN, field, value
 *   stale mark (weak):  STALE, field, how many messages older
 *   note:               NOTE, t, n, data[0..n)    (n = -1 when the note carries no data array)
 *
 * Entries carry neither actor nor step: the main thread knows which actor it granted, and numbers
 * the entries as InlineEngine does (a note, and a drain that is part of an operation, carry the
 * count of visible operations before them).
 */
import type { TraceEntry } from '../../core/model.ts';
import { OpKind } from '../../core/ops.ts';
import { Word, type Channel } from './channel.ts';

export class TraceOverflowError extends Error {
  override name = 'TraceOverflowError';
}

/** Worker side: appends the entries of one grant. */
export class TraceWriter {
  private cursor = 0;
  constructor(private readonly channel: Channel) {}

  /** The main thread drained the previous grant's entries before granting again. */
  reset(): void {
    this.cursor = 0;
    Atomics.store(this.channel.ctl, Word.CURSOR, 0);
  }

  op(k: number, t: number, v: number): void {
    const at = this.reserve(3);
    const w = this.channel.trace;
    w[at] = k; w[at + 1] = t; w[at + 2] = v;
    this.publish(at + 3);
  }

  note(t: number, data: readonly number[] | undefined): void {
    const n = data ? data.length : 0;
    const at = this.reserve(3 + n);
    const w = this.channel.trace;
    w[at] = OpKind.NOTE; w[at + 1] = t; w[at + 2] = data ? n : -1;
    for (let i = 0; i < n; i++) w[at + 3 + i] = data![i];
    this.publish(at + 3 + n);
  }

  private reserve(words: number): number {
    const cap = this.channel.trace.length;
    if (this.cursor + words > cap) {
      throw new TraceOverflowError(`the threads engine's trace buffer (${cap * 8} bytes) overflowed: the actor made more notes between two visible operations than fit; raise the engine option traceBytes`);
    }
    return this.cursor;
  }

  /** Published entry by entry, so that after a timeout the main thread still sees what the actor did. */
  private publish(end: number): void {
    this.cursor = end;
    Atomics.store(this.channel.ctl, Word.CURSOR, end);
  }
}

/**
 * Main side: decodes the published entries of the last grant to `actor` onto `out`; returns the
 * count of visible operations after them.
 */
export function drainTrace(channel: Channel, actor: number, steps: number, out: TraceEntry[]): number {
  const end = Atomics.load(channel.ctl, Word.CURSOR);
  const w = channel.trace;
  let i = 0;
  while (i < end) {
    const k = w[i] as OpKind;
    const t = w[i + 1];
    if (k === OpKind.NOTE) {
      const n = w[i + 2];
      const data = n < 0 ? undefined : Array.from(w.subarray(i + 3, i + 3 + n));
      out.push({ step: steps, actor, k, t, v: 0, data });
      i += 3 + Math.max(n, 0);
    } else if (k === OpKind.DRAIN || k === OpKind.STALE) {
      out.push({ step: steps, actor, k, t, v: w[i + 2] });
      i += 3;
    } else {
      out.push({ step: steps, actor, k, t, v: w[i + 2] });
      steps++;
      i += 3;
    }
  }
  return steps;
}
