/**
 * Drives one actor's generator inside its worker, exactly as InlineEngine.begin/step/advance do on
 * the main thread, but publishing results through the actor's channel: every operation runs through
 * SharedState.apply on the real shared memory, notes go to the trace and are not scheduling points,
 * and an exception marks the actor FAILED with `${name}: ${message}`.
 */
import type { ActorDef } from '../../core/model.ts';
import { OpKind, type Op, type Program } from '../../core/ops.ts';
import type { SharedState } from '../../core/shared-state.ts';
import { DONE, FAILED } from '../engine.ts';
import { Command, Pending, Word, type Channel } from './channel.ts';
import { TraceWriter } from './trace-channel.ts';
import { awaitGrant, complete } from './turnstile.ts';

export class ActorDriver {
  private program: Program | undefined;
  private pending: Op | undefined;
  private readonly trace: TraceWriter;

  constructor(
    private readonly actor: ActorDef,
    private readonly index: number,
    private readonly state: SharedState,
    private readonly channel: Channel,
  ) {
    this.trace = new TraceWriter(channel);
    // Memory model tso: stores an operation forces out of the store buffer belong to its step.
    state.onFlush = (_actor, field, value, forced) => this.trace.op(forced ? OpKind.DRAIN : OpKind.FLUSH, field, value);
    // Memory model weak: the mark of a stale load goes before the load's own entry.
    state.onStale = (_actor, field, older) => this.trace.op(OpKind.STALE, field, older);
  }

  /** Serves grants forever; the worker ends when the engine terminates it. */
  serve(): never {
    const ctl = this.channel.ctl;
    let seen = 0;
    for (;;) {
      seen = awaitGrant(ctl, seen);
      this.trace.reset();
      ctl[Word.THROWN] = 0;
      if (ctl[Word.CMD] === Command.BEGIN) this.begin(); else this.step();
      complete(ctl, seen);
    }
  }

  private begin(): void {
    this.pending = undefined;
    this.program = undefined;
    try {
      this.program = this.actor.program();
    } catch (e) {
      this.fail(e);
      return;
    }
    this.advance(0);
  }

  private step(): void {
    const op = this.pending;
    if (!op) { this.fail(new Error(`actor ${this.actor.name} has no pending operation`)); return; }
    let value: number;
    try {
      value = this.state.apply(this.index, op);
    } catch (e) {
      // Not the actor's failure but the harness's (InlineEngine.step lets it propagate): the main
      // thread rethrows it, and the operation stays pending.
      this.channel.writeFailure(e instanceof Error ? e.message : String(e));
      this.channel.ctl[Word.THROWN] = 1;
      return;
    }
    try {
      this.trace.op(op.k, op.t, value);
    } catch (e) {
      // The drains the operation forced may have filled the trace buffer: a TraceOverflowError.
      this.fail(e);
      return;
    }
    this.advance(value);
  }

  private advance(value: number): void {
    const program = this.program!;
    try {
      for (;;) {
        const r = program.next(value);
        if (r.done) { this.publish(undefined); return; }
        const op = r.value;
        if (op.k !== OpKind.NOTE) { this.publish(op); return; }
        this.trace.note(op.t, op.data);
        value = 0;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private publish(op: Op | undefined): void {
    this.pending = op;
    const p = this.channel.pending;
    p[Pending.KIND] = op ? op.k : DONE;
    p[Pending.TARGET] = op ? op.t : 0;
    p[Pending.VALUE] = op ? op.v : 0;
  }

  private fail(e: unknown): void {
    this.pending = undefined;
    this.channel.writeFailure(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    const p = this.channel.pending;
    p[Pending.KIND] = FAILED;
    p[Pending.TARGET] = 0;
    p[Pending.VALUE] = 0;
  }
}
