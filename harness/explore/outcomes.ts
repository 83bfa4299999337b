/**
 * Outcome sets: what a search reached, stated so that two searches can be compared, and so that
 * an optimisation (partial-order reduction, state hashing, shards, a memory model) can be held to
 * "reaches every outcome the plain search reaches".
 *
 * The outcome of one execution is each actor's sequence of visible operations with the values they
 * returned (its notes included), the final shared memory, and how the execution ended (normally,
 * or which harness invariant it broke). It does not change when two independent operations of
 * different actors are swapped, so every schedule of one equivalence class has the same outcome,
 * and a reduction that explores one schedule per class must still produce every outcome.
 *
 * Outcomes are collected with the model's own invariants switched off, so that a violation does
 * not end the search early: the question is what the exploration reaches, not what the oracles say.
 */
import type { ModelInstance, TraceEntry } from '../core/model.ts';
import { OpKind } from '../core/ops.ts';
import type { Engine } from '../engine/engine.ts';
import { runExecution } from './execution.ts';
import type { Strategy } from './strategy.ts';

export interface OutcomeSet {
  /** Canonical outcome strings of the executions that ran to their end (pruned ones excluded). */
  readonly outcomes: ReadonlySet<string>;
  readonly executions: number;
  readonly pruned: number;
  /** The strategy ran out of executions before the limit. */
  readonly exhausted: boolean;
}

/** The model without its invariants: only the harness's own checks (errors, livelocks, deadlocks) end an execution. */
export function withoutInvariants(instance: ModelInstance): ModelInstance {
  return { ...instance, invariants: [] };
}

/** The outcome of the execution the engine just ran, as a canonical string. */
export function outcomeOf(engine: Engine, ended: string): string {
  const n = engine.instance.actors.length;
  const perActor: string[][] = Array.from({ length: n }, () => []);
  for (const e of engine.trace) {
    if (e.k === OpKind.FLUSH || e.k === OpKind.DRAIN || e.k === OpKind.STALE) continue; // store-buffer effects show in values and memory
    perActor[e.actor]?.push(entryText(e));
  }
  // The globally visible memory and the event latches (not the store buffers' bookkeeping, which
  // differs between memory models though nothing observable does).
  const state = engine.state;
  const memory = state.layout.fields.map((f) => state.read(f)).join(',');
  return `${perActor.map((xs) => xs.join(' ')).join(' | ')} || mem ${memory} latches ${Array.from(state.latch).join('')} || ${ended}`;
}

function entryText(e: TraceEntry): string {
  return e.k === OpKind.NOTE ? `n${e.t}(${(e.data ?? []).join(',')})` : `${e.k}.${e.t}=${e.v}`;
}

/**
 * Runs the strategy to exhaustion (or `limit` executions) on an engine whose instance has no
 * model invariants, and returns every outcome reached.
 */
export function collectOutcomes(engine: Engine, strategy: Strategy, limit = Number.POSITIVE_INFINITY): OutcomeSet {
  const outcomes = new Set<string>();
  let executions = 0;
  let pruned = 0;
  let exhausted = false;
  for (;;) {
    if (executions >= limit) break;
    if (!strategy.next()) { exhausted = true; break; }
    const r = runExecution(engine, strategy);
    executions++;
    if (r.pruned) { pruned++; continue; }
    outcomes.add(outcomeOf(engine, r.violation ? r.violation.invariant : 'ok'));
  }
  return { outcomes, executions, pruned, exhausted };
}

/** Outcomes of `expected` missing from `actual`. */
export function missing(expected: ReadonlySet<string>, actual: ReadonlySet<string>): string[] {
  return [...expected].filter((o) => !actual.has(o));
}
