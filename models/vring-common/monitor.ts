/**
 * One monitor per execution watches the whole trace of a virtqueue and files each finding under the
 * invariant it breaks; each invariant of the model is a thin view of that monitor. Ring state (what
 * is exposed, used, owned) is tracked once per step instead of once per invariant, and the findings
 * still come out in the order the model lists its invariants, as the harness expects.
 *
 * A monitor learns the visible memory from the entries that make values visible (under tso a STORE
 * is only buffered; the value becomes visible at a later FLUSH or DRAIN entry of the same field, see
 * VisibleMemory), and what each actor did from the trace entries.
 */
import type { Invariant, ModelInstance, OracleContext, TraceEntry } from '../../harness/core/model.ts';
import { OpKind } from '../../harness/core/ops.ts';

/**
 * The globally visible memory as of one trace entry. ctx.state holds it as of the end of the step
 * being fed, but under tso one step can hold several forced DRAIN entries (a fence or notify empties
 * the whole store buffer), and an oracle judging the first of them must not see the later ones.
 * So the monitor keeps its own copy, moved by the entries that make values visible: a STORE under
 * sc, a FLUSH or DRAIN (with the value) under tso and weak, a read-modify-write (read back from ctx.state).
 */
export class VisibleMemory {
  private readonly v: number[];
  private readonly tso: boolean;

  constructor(private readonly ctx: OracleContext) {
    this.v = ctx.instance.layout.fields.map((f) => ctx.state.read(f));
    this.tso = ctx.state.memoryModel !== 'sc';
  }

  read(field: number): number {
    return this.v[field];
  }

  /** Applies the entry; true when it made a new value of its field visible. */
  apply(e: TraceEntry): boolean {
    switch (e.k) {
      case OpKind.STORE:
        if (this.tso) return false;
        this.v[e.t] = e.v;
        return true;
      case OpKind.FLUSH: case OpKind.DRAIN:
        this.v[e.t] = e.v;
        return true;
      case OpKind.ADD: case OpKind.XCHG: case OpKind.CAS:
        this.v[e.t] = this.ctx.state.read(e.t);
        return true;
      default:
        return false;
    }
  }
}

export abstract class RingMonitor {
  /** Index of the last trace entry fed. */
  fed = -1;
  private readonly found = new Map<string, string>();
  protected readonly instance: ModelInstance;
  protected readonly mem: VisibleMemory;
  /** The entry being fed made a new value of its field visible. */
  protected madeVisible = false;

  constructor(protected readonly ctx: OracleContext) {
    this.instance = ctx.instance;
    this.mem = new VisibleMemory(ctx);
  }

  /** Processes entry i once, whichever invariant asks first. */
  feed(e: TraceEntry, i: number): void {
    if (i <= this.fed) return;
    this.fed = i;
    this.found.clear();
    this.madeVisible = this.mem.apply(e);
    this.onEntry(e, i);
  }

  finding(invariant: string): string | undefined {
    return this.found.get(invariant);
  }

  /** Records a violation of `invariant` at the current entry (the first one per invariant wins). */
  protected report(invariant: string, message: string): void {
    if (!this.found.has(invariant)) this.found.set(invariant, message);
  }

  protected abstract onEntry(e: TraceEntry, i: number): void;

  /** Findings once no actor can run, by invariant (liveness, and safety rules an actor broke by going to sleep). */
  abstract atQuiescence(invariant: string): string | undefined;

  protected actorName(a: number): string {
    return this.instance.actors[a]?.name ?? `actor#${a}`;
  }

  protected fieldName(id: number): string {
    return this.instance.layout.fields[id]?.name ?? `field#${id}`;
  }

  /** "step 12" for a trace index (steps are what the trace table shows). */
  protected stepOf(i: number): string {
    return `step ${this.ctx.trace[i]?.step ?? '?'}`;
  }
}

/** Entries an actor issues (not notes, not store-buffer flushes, which the memory system does). */
export function isActorOperation(k: number): boolean {
  return k !== OpKind.NOTE && k !== OpKind.FLUSH && k !== OpKind.DRAIN;
}

const live = new WeakMap<object, RingMonitor>();

/**
 * The monitor of the current execution: the harness calls every invariant's observe() at the start
 * of an execution, before feeding any entry, so the first call makes the monitor and the others
 * find it unfed and share it.
 */
function monitorFor(ctx: OracleContext, make: (ctx: OracleContext) => RingMonitor): RingMonitor {
  const m = live.get(ctx.trace);
  if (m && m.fed < 0 && (m as unknown as { instance: ModelInstance }).instance === ctx.instance) return m;
  const fresh = make(ctx);
  live.set(ctx.trace, fresh);
  return fresh;
}

export interface InvariantText {
  readonly name: string;
  readonly kind: 'safety' | 'liveness';
  readonly protects: string;
}

/** The model's invariants as views of one monitor. */
export function monitorInvariants(texts: readonly InvariantText[], make: (ctx: OracleContext) => RingMonitor): Invariant[] {
  return texts.map((t) => ({
    ...t,
    observe(ctx: OracleContext) {
      const m = monitorFor(ctx, make);
      return {
        onEntry: (e: TraceEntry, i: number) => { m.feed(e, i); return m.finding(t.name); },
        atQuiescence: () => m.atQuiescence(t.name),
      };
    },
  }));
}
