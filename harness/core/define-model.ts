/**
 * Wires a model from its parts: parameters, the layout built from them, the reference protocol
 * (driver and device steps), the mutants as overrides of single steps, the actors that run a
 * scenario with a protocol, and the invariants. Every models/<name>/index.ts is one call to this.
 */
import type { Layout } from './layout.ts';
import {
  resolveParams, variantInfo, type ActorDef, type CoverageGoals, type Invariant, type ModelDef, type ModelInstance, type ParamSpec, type Params, type VariantInfo,
} from './model.ts';
import type { EventRef, NoteRef } from './ops.ts';
import type { SharedState } from './shared-state.ts';

/** Named references with stable ids: `refs('config-irq', 'config-doorbell')['config-irq'].id === 0`. */
export function refs<const N extends string>(...names: N[]): { readonly [K in N]: EventRef & NoteRef } {
  const out = {} as Record<N, EventRef & NoteRef>;
  names.forEach((name, id) => { out[name] = { id, name }; });
  return out;
}

export interface Variant<P> extends VariantInfo {
  /** The steps of the reference protocol this variant replaces. */
  readonly override?: Partial<P>;
}

export interface Built<C> {
  readonly layout: Layout;
  /** What the protocol steps need: fields, events, notes, parameters. */
  readonly ctx: C;
  init?(state: SharedState): void;
}

export interface ModelSpec<P, C> {
  readonly name: string;
  readonly summary: string;
  readonly guarantees?: readonly string[];
  readonly params: readonly ParamSpec[];
  /** Why resolved params cannot run together, or undefined (ModelDef.paramsProblem). */
  readonly paramsProblem?: (params: Params) => string | undefined;
  readonly events: readonly (EventRef)[];
  readonly notes: readonly (NoteRef)[];
  readonly reference: P;
  readonly variants: readonly Variant<P>[];
  readonly invariants: readonly Invariant[];
  readonly defaultPreemptions: number;
  /** See ModelDef.defaultPreemptionsBuffered. */
  readonly defaultPreemptionsBuffered?: number;
  /** See ModelDef.reduction. */
  readonly reduction?: boolean;
  /** See ModelDef.goals. */
  readonly goals?: CoverageGoals;
  /** Steps one actor may take per execution before it counts as a livelock. */
  maxSteps(params: Params): number;
  build(params: Params): Built<C>;
  actors(protocol: P, ctx: C, params: Params): ActorDef[];
  /** Renders a note for traces (see ModelInstance.describeNote). */
  describeNote?(note: NoteRef, data: readonly number[], params: Params): string | undefined;
}

export function defineModel<P extends object, C>(spec: ModelSpec<P, C>): ModelDef {
  if (!spec.variants.some((v) => v.name === 'reference')) throw new Error(`model ${spec.name} has no reference variant`);
  const def: ModelDef = {
    name: spec.name,
    summary: spec.summary,
    guarantees: spec.guarantees,
    params: spec.params,
    paramsProblem: spec.paramsProblem,
    variants: spec.variants.map(({ override: _, ...info }) => info),
    invariants: spec.invariants.map(({ name, protects, kind }) => ({ name, protects, kind })),
    defaultPreemptions: spec.defaultPreemptions,
    defaultPreemptionsBuffered: spec.defaultPreemptionsBuffered,
    reduction: spec.reduction,
    goals: spec.goals,
    instantiate(variant: string, given: Params): ModelInstance {
      return def.instantiateWith!(variant, given, {});
    },
    instantiateWith(variant: string, given: Params, steps: object): ModelInstance {
      variantInfo(def, variant);
      const params = resolveParams(def, given);
      const v = spec.variants.find((x) => x.name === variant)!;
      const protocol = { ...spec.reference, ...v.override, ...steps } as P;
      const built = spec.build(params);
      return {
        model: spec.name,
        variant,
        params,
        layout: built.layout,
        events: spec.events,
        notes: spec.notes,
        actors: spec.actors(protocol, built.ctx, params),
        invariants: spec.invariants,
        maxSteps: spec.maxSteps(params),
        init: (state) => built.init?.(state),
        describeNote: spec.describeNote ? (note, data) => spec.describeNote!(note, data, params) : undefined,
      };
    },
  };
  return def;
}
