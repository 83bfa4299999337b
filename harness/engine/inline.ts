/**
 * The inline engine: every actor is a generator driven on this thread, so a context switch is a
 * generator resume (tens of nanoseconds). This is the engine for exhaustive exploration.
 */
import type { MemoryModel, ModelInstance, TraceEntry } from '../core/model.ts';
import { OpKind, type Op, type Program } from '../core/ops.ts';
import { SharedState } from '../core/shared-state.ts';
import { DONE, FAILED, type Engine } from './engine.ts';

export class InlineEngine implements Engine {
  readonly kind = 'inline' as const;
  readonly state: SharedState;
  readonly trace: TraceEntry[] = [];
  steps = 0;
  private readonly programs: (Program | undefined)[];
  private readonly pending: (Op | undefined)[];
  private readonly failures: (string | undefined)[];

  constructor(readonly instance: ModelInstance, memory: MemoryModel = 'sc') {
    this.state = new SharedState(instance.layout, instance.events.length);
    this.state.setMemoryModel(memory);
    this.state.onFlush = (actor, field, value, forced) => {
      this.trace.push({ step: this.steps, actor, k: forced ? OpKind.DRAIN : OpKind.FLUSH, t: field, v: value });
    };
    this.state.onStale = (actor, field, older) => {
      this.trace.push({ step: this.steps, actor, k: OpKind.STALE, t: field, v: older });
    };
    const n = instance.actors.length;
    this.programs = new Array(n);
    this.pending = new Array(n);
    this.failures = new Array(n);
  }

  begin(): void {
    this.state.reset();
    this.instance.init(this.state);
    this.trace.length = 0;
    this.steps = 0;
    this.instance.actors.forEach((actor, a) => {
      this.failures[a] = undefined;
      this.pending[a] = undefined;
      try {
        this.programs[a] = actor.program();
      } catch (e) {
        this.fail(a, e);
        return;
      }
      this.advance(a, 0);
    });
  }

  pendingKind(a: number): number {
    if (this.failures[a] !== undefined) return FAILED;
    return this.pending[a]?.k ?? DONE;
  }
  pendingTarget(a: number): number { return this.pending[a]?.t ?? 0; }
  pendingValue(a: number): number { return this.pending[a]?.v ?? 0; }
  failure(a: number): string | undefined { return this.failures[a]; }

  step(a: number): void {
    const op = this.pending[a];
    if (!op) throw new Error(`actor ${this.instance.actors[a].name} has no pending operation`);
    const value = this.state.apply(a, op);
    this.trace.push({ step: this.steps, actor: a, k: op.k, t: op.t, v: value });
    this.steps++;
    this.advance(a, value);
  }

  flush(a: number): void {
    this.state.flush(a);
    this.steps++;
  }

  async close(): Promise<void> {}

  /** Resumes the actor until its next visible operation; notes on the way go straight to the trace. */
  private advance(a: number, value: number): void {
    const program = this.programs[a]!;
    try {
      for (;;) {
        const r = program.next(value);
        if (r.done) { this.pending[a] = undefined; return; }
        const op = r.value;
        if (op.k !== OpKind.NOTE) { this.pending[a] = op; return; }
        this.trace.push({ step: this.steps, actor: a, k: op.k, t: op.t, v: 0, data: op.data });
        value = 0;
      }
    } catch (e) {
      this.fail(a, e);
    }
  }

  private fail(a: number, e: unknown): void {
    this.pending[a] = undefined;
    this.failures[a] = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}
