/**
 * An engine runs the actors of one model instance, one visible operation at a time, over the
 * instance's shared memory, and records the trace. It never chooses: the explorer asks a strategy
 * which actor steps next and tells the engine. Both engines give the same trace for the same
 * sequence of choices (tests/engine-equivalence.test.ts holds them to it).
 */
import type { ModelInstance, TraceEntry } from '../core/model.ts';
import type { SharedState } from '../core/shared-state.ts';

export type EngineKind = 'inline' | 'threads';
export const ENGINE_KINDS: readonly EngineKind[] = ['inline', 'threads'];

/** pendingKind() of an actor whose program returned. */
export const DONE = 0;
/** pendingKind() of an actor whose program threw, or whose worker failed. */
export const FAILED = -1;

export interface Engine {
  readonly kind: EngineKind;
  readonly instance: ModelInstance;
  /** The main thread's view of the shared memory, for the oracles. */
  readonly state: SharedState;
  /** Entries of the current execution, in order; the engine appends, the explorer reads. */
  readonly trace: TraceEntry[];
  /** Visible operations executed in the current execution. */
  readonly steps: number;

  /** Starts a fresh execution: memory initialised, every actor parked at its first visible operation. */
  begin(): void;
  /** OpKind of the actor's next visible operation, or DONE, or FAILED. */
  pendingKind(actor: number): number;
  /** Field, event or fence of the next operation (meaningless when DONE or FAILED). */
  pendingTarget(actor: number): number;
  /** Value operand of the next operation (for WAIT: 1 if the wait is idle). */
  pendingValue(actor: number): number;
  /** Executes the actor's pending operation and runs it on to its next visible one. */
  step(actor: number): void;
  /**
   * Memory model tso: makes the actor's oldest buffered store visible, as a step of its own
   * (a FLUSH trace entry). Forced drains inside an operation are recorded as DRAIN entries.
   */
  flush?(actor: number): void;
  /** Why an actor FAILED: its exception, or what happened to its worker. */
  failure(actor: number): string | undefined;
  close(): Promise<void>;
}
