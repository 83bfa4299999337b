/**
 * The turnstile: the handoff between the main thread and one actor's worker, in the channel's
 * control words. A step is one grant (main: store GRANT, notify) and one completion (worker: store
 * ACK, notify). Both sides sleep in Atomics.wait and never spin: on 2 cores a spinner steals the
 * core the other side needs (anchors/third-party-feasibility.md section 5).
 *
 * GRANT and ACK are sequence numbers, not flags, so neither side can miss or double-count a
 * handoff, and a late completion of an abandoned grant is never taken for the current one.
 */
import { Word, type Command } from './channel.ts';

// ---- main thread ----

/** Hands the actor a command; returns the sequence number its completion will carry. */
export function grant(ctl: Int32Array, cmd: Command): number {
  const seq = (ctl[Word.GRANT] + 1) | 0;
  ctl[Word.CMD] = cmd;
  // The atomic store orders the CMD write before it: the worker reads GRANT first, then CMD.
  Atomics.store(ctl, Word.GRANT, seq);
  Atomics.notify(ctl, Word.GRANT, 1);
  return seq;
}

/** How often a long wait for a completion looks whether the worker is still there. */
const ALIVE_CHECK_MS = 50;

/**
 * Sleeps until the worker completed grant `seq`; false if `deadline` (performance.now() time)
 * passed first, or if `alive` (asked every ALIVE_CHECK_MS) says the worker has stopped: a worker
 * that ran out of memory or exited never completes, and its end need not cost the whole timeout.
 */
export function awaitCompletion(ctl: Int32Array, seq: number, deadline: number, alive?: () => boolean): boolean {
  for (;;) {
    const seen = Atomics.load(ctl, Word.ACK);
    if (seen === seq) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    if (Atomics.wait(ctl, Word.ACK, seen, alive ? Math.min(left, ALIVE_CHECK_MS) : left) === 'timed-out' && alive && !alive()) {
      return Atomics.load(ctl, Word.ACK) === seq;
    }
  }
}

// ---- worker ----

/** Sleeps until a grant newer than `seen` arrives; returns its sequence number. */
export function awaitGrant(ctl: Int32Array, seen: number): number {
  for (;;) {
    const seq = Atomics.load(ctl, Word.GRANT);
    if (seq !== seen) return seq;
    Atomics.wait(ctl, Word.GRANT, seen);
  }
}

/** Publishes the completion of grant `seq`; everything written before is visible to the main thread. */
export function complete(ctl: Int32Array, seq: number): void {
  Atomics.store(ctl, Word.ACK, seq);
  Atomics.notify(ctl, Word.ACK, 1);
}
