/**
 * What a model is: a layout, actors (driver, device, ...) built from a protocol, invariants, and
 * named variants. The harness only ever sees a ModelDef; each models/<name>/index.ts makes one.
 */
import type { Layout } from './layout.ts';
import type { EventRef, NoteRef, OpKind, Program } from './ops.ts';
import type { SharedState } from './shared-state.ts';

export type Params = Record<string, number>;

export interface ParamSpec {
  readonly name: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** The value must be a multiple of this (config sizes in whole 32-bit words). */
  readonly multipleOf?: number;
  readonly description: string;
}

export type MemoryModel = 'sc' | 'tso' | 'weak';

/** What checking a variant must give. A mutant names the invariant it breaks. */
export type Expectation =
  | { readonly verdict: 'passed' }
  | { readonly verdict: 'violated'; readonly invariant: string; readonly memory?: MemoryModel };

export interface VariantInfo {
  readonly name: string;
  readonly description: string;
  readonly expect: Expectation;
  /** The real bug or spec text the mutant recreates (bug-zoo id, spec section). */
  readonly recreates?: string;
  /**
   * Parameters the expected verdict is stated at, in place of the model's defaults (parameters
   * given to check override them): a variant whose space is too large at the defaults.
   */
  readonly params?: Params;
}

export interface ActorDef {
  readonly name: string;
  readonly program: () => Program<void>;
}

/** One entry of a trace: a visible operation or a note, in the order they happened. */
export interface TraceEntry {
  /** Visible operations executed before this one (a note carries the count at its time). */
  readonly step: number;
  readonly actor: number;
  readonly k: OpKind;
  readonly t: number;
  /** Value read, written, old value of a read-modify-write, 1/0 for events. */
  readonly v: number;
  readonly data?: readonly number[];
}

export interface OracleContext {
  readonly instance: ModelInstance;
  /** The live shared memory (the globally visible values). */
  readonly state: SharedState;
  readonly trace: readonly TraceEntry[];
}

/** Returns a one-paragraph explanation when the invariant is violated, undefined while it holds. */
export interface Observer {
  onEntry?(e: TraceEntry, index: number): string | undefined;
  atQuiescence?(): string | undefined;
  /**
   * What the observer remembers that can still change its verdict, as a canonical string (no
   * trace positions). Two executions in the same state with the same keys have the same futures,
   * so state hashing may prune one; an observer without a key turns pruning off.
   */
  key?(): string;
}

export interface Invariant {
  readonly name: string;
  /** One sentence: what the invariant protects. */
  readonly protects: string;
  /** safety: checked as the trace grows; liveness: checked when no actor can run. */
  readonly kind: 'safety' | 'liveness';
  /**
   * Notes whose order across actors the verdict depends on (the start and end of an update and of
   * a read, for a linearizability oracle). Steps that emit them are treated as conflicting by the
   * partial-order reduction, so every order of them is explored and the verdict cannot change
   * between schedules the reduction takes for equivalent.
   */
  readonly orders?: readonly NoteRef[];
  observe(ctx: OracleContext): Observer;
}

export interface ModelInstance {
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
  readonly layout: Layout;
  readonly events: readonly EventRef[];
  readonly notes: readonly NoteRef[];
  readonly actors: readonly ActorDef[];
  readonly invariants: readonly Invariant[];
  /** Writes the initial field values after the memory was zeroed. */
  init(state: SharedState): void;
  /** Visible operations one actor may take in one execution before it counts as a livelock. */
  readonly maxSteps: number;
  /** Renders a note's numbers as a person reads them (a decoded message, a descriptor chain). */
  describeNote?(note: NoteRef, data: readonly number[]): string | undefined;
}

/** What a coverage goal's scan sees: one finished execution (its instance gives the parameters and the layout). */
export interface GoalContext {
  readonly instance: ModelInstance;
  readonly trace: readonly TraceEntry[];
}

/**
 * A situation a meaningful run must reach at least once (a "sometimes" assertion): the 16-bit index
 * wrap, a notification suppressed, a retry taken. A pass whose run never reached one says so.
 */
export interface CoverageGoal {
  readonly name: string;
  /** One sentence: the protocol situation, in terms of the spec, not of our code. */
  readonly description: string;
  /** Whether the parameters allow the situation at all (a chain needs chainLength > 1); default yes. */
  applies?(params: Params): boolean;
}

/** A model's goals and the one walk over an execution's trace that finds which it reached. */
export interface CoverageGoals {
  readonly list: readonly CoverageGoal[];
  /** The names of the goals this execution reached; run once, after the execution ended. */
  reached(ctx: GoalContext): ReadonlySet<string>;
}

export interface ModelDef {
  readonly name: string;
  readonly summary: string;
  readonly params: readonly ParamSpec[];
  /** Why resolved params cannot run together (one parameter too small for another), or undefined: bad input. */
  readonly paramsProblem?: (params: Params) => string | undefined;
  readonly variants: readonly VariantInfo[];
  /** name, kind and purpose of each invariant, for `list` and reports. */
  readonly invariants: readonly Pick<Invariant, 'name' | 'protects' | 'kind'>[];
  /** What the reference design guarantees and what it does not, in plain words. */
  readonly guarantees?: readonly string[];
  /** The preemption bound the default check explores completely in seconds. */
  readonly defaultPreemptions: number;
  /**
   * The default bound under a memory model with store buffers (tso), where it is lower: each
   * buffered store adds flush choices, so a bound explored in seconds under sc can take minutes.
   */
  readonly defaultPreemptionsBuffered?: number;
  /**
   * Whether dfs uses partial-order reduction by default under sc (default true). A model whose
   * steps nearly all conflict (atomic sections everywhere, one message channel) gains nothing from
   * it and says false, with the measurement that shows it.
   */
  readonly reduction?: boolean;
  /** The situations every meaningful run of the model reaches (coverage goals); none when absent. */
  readonly goals?: CoverageGoals;
  instantiate(variant: string, params: Params): ModelInstance;
  /**
   * Instantiates with some protocol steps replaced on top of the variant's (validate runs compiled
   * third-party steps this way). Models built with defineModel have it.
   */
  instantiateWith?(variant: string, params: Params, steps: object): ModelInstance;
}

export class UsageError extends Error {}

/** Fills in defaults and rejects unknown or out-of-range parameters. */
export function resolveParams(def: ModelDef, given: Params): Params {
  const out: Params = {};
  for (const spec of def.params) out[spec.name] = spec.default;
  for (const [k, v] of Object.entries(given)) {
    const spec = def.params.find((p) => p.name === k);
    if (!spec) throw new UsageError(`model ${def.name} has no parameter ${k} (it has: ${def.params.map((p) => p.name).join(', ') || 'none'})`);
    if (!Number.isInteger(v) || v < spec.min || v > spec.max) {
      throw new UsageError(`parameter ${k}=${v} is out of range for ${def.name}: an integer from ${spec.min} to ${spec.max}`);
    }
    if (spec.multipleOf && v % spec.multipleOf !== 0) {
      throw new UsageError(`parameter ${k}=${v} of ${def.name} must be a multiple of ${spec.multipleOf}`);
    }
    out[k] = v;
  }
  const problem = def.paramsProblem?.(out);
  if (problem !== undefined) throw new UsageError(`${def.name}: ${problem}`);
  return out;
}

/** The bound a check or validate explores when none is given. */
export function defaultBound(def: Pick<ModelDef, 'defaultPreemptions' | 'defaultPreemptionsBuffered'>, memory: MemoryModel): number {
  return memory === 'sc' ? def.defaultPreemptions : def.defaultPreemptionsBuffered ?? def.defaultPreemptions;
}

/** A run that made no step proves nothing: it is bad input, not a pass. */
export function nothingExercised(model: string, params: Params): string {
  const given = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${model} with ${given}: the run made no step, so nothing was exercised and a pass would prove nothing (the parameters leave the actors nothing to do)`;
}

export function variantInfo(def: ModelDef, variant: string): VariantInfo {
  const v = def.variants.find((x) => x.name === variant);
  if (!v) throw new UsageError(`model ${def.name} has no variant ${variant} (it has: ${def.variants.map((x) => x.name).join(', ')})`);
  return v;
}
