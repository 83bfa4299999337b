/**
 * The shared memory between the main thread and the worker of ONE actor: control words for the
 * turnstile, the actor's next operation, its failure message and the trace entries of the current
 * step. Every worker gets its own channel, so a worker that hangs or dies can only scribble on its
 * own channel, which is thrown away with it when the engine recovers.
 */

/** Int32 control words (indices into `Channel.ctl`). */
export const Word = {
  /** Sequence number of the last grant; written by the main thread only. */
  GRANT: 0,
  /** What the grant asks for (a Command); written before GRANT is published. */
  CMD: 1,
  /** Sequence number of the last completed grant; written by the worker only. */
  ACK: 2,
  /** Float64 words of trace written for the current grant; the worker publishes it per entry. */
  CURSOR: 3,
  /** UTF-8 bytes of the failure message (when the pending kind is FAILED, or THROWN is set). */
  FAILURE_LENGTH: 4,
  /**
   * 1 when executing the operation itself threw (SharedState.apply: a harness limit, not the
   * actor's fault): InlineEngine.step lets that exception propagate, so the main thread rethrows it.
   */
  THROWN: 5,
} as const;

export const Command = {
  /** Start a fresh generator and run it to its first visible operation. */
  BEGIN: 1,
  /** Execute the pending operation and run on to the next visible one. */
  STEP: 2,
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/** Float64 slots of the pending operation (indices into `Channel.pending`). Float64 so that any value round-trips exactly. */
export const Pending = { KIND: 0, TARGET: 1, VALUE: 2 } as const;

const CONTROL_BYTES = 64; // 16 words, one cache line
const PENDING_BYTES = 32;
/** Longer failure messages are cut (on a UTF-8 boundary) to this many bytes. */
export const FAILURE_BYTES = 4096;
export const DEFAULT_TRACE_BYTES = 1 << 20;

const PENDING_OFFSET = CONTROL_BYTES;
const FAILURE_OFFSET = PENDING_OFFSET + PENDING_BYTES;
const TRACE_OFFSET = FAILURE_OFFSET + FAILURE_BYTES;

export class Channel {
  readonly sab: SharedArrayBuffer;
  readonly ctl: Int32Array;
  readonly pending: Float64Array;
  readonly failureBytes: Uint8Array;
  /** Entries of the current grant only: the main thread drains it before the next grant. */
  readonly trace: Float64Array;

  static create(traceBytes = DEFAULT_TRACE_BYTES): Channel {
    const words = Math.max(64, Math.floor(traceBytes / 8));
    return new Channel(new SharedArrayBuffer(TRACE_OFFSET + words * 8));
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.pending = new Float64Array(sab, PENDING_OFFSET, PENDING_BYTES / 8);
    this.failureBytes = new Uint8Array(sab, FAILURE_OFFSET, FAILURE_BYTES);
    this.trace = new Float64Array(sab, TRACE_OFFSET, (sab.byteLength - TRACE_OFFSET) / 8);
  }

  /** Worker side; must happen before the completion is published. */
  writeFailure(message: string): void {
    const { written } = new TextEncoder().encodeInto(message, this.failureBytes);
    this.ctl[Word.FAILURE_LENGTH] = written;
  }

  /** Main side, after the completion was observed. */
  readFailure(): string {
    const n = this.ctl[Word.FAILURE_LENGTH];
    // TextDecoder refuses views on shared memory, so copy the bytes out first.
    return new TextDecoder().decode(this.failureBytes.slice(0, n));
  }
}
