/** `replay`: re-run a saved schedule on either engine and show whether the violation is still there. */
import { findModel } from '../models/index.ts';
import { resolveParams, UsageError, variantInfo } from './core/model.ts';
import { createEngine } from './engine/create.ts';
import type { EngineKind } from './engine/engine.ts';
import { explore } from './explore/explore.ts';
import { ReplayDivergence, ReplayStrategy } from './explore/replay.ts';
import { makeCounterexample, type Counterexample, type NamedEntry } from './report/counterexample.ts';

export interface ReplayReport {
  readonly engine: EngineKind;
  /** The same invariant is violated again. */
  readonly reproduced: boolean;
  readonly invariant?: string;
  readonly message?: string;
  readonly trace: readonly NamedEntry[];
  /** The trace equals the one stored in the file, entry by entry. */
  readonly sameTrace: boolean;
  /** The first entry where the traces differ, when they do. */
  readonly difference?: string;
  /** A signal stopped it before the schedule ended. */
  readonly interrupted: boolean;
}

export async function replay(c: Counterexample, engineKind: EngineKind = c.engine, signal?: AbortSignal): Promise<ReplayReport> {
  const def = findModel(c.model);
  variantInfo(def, c.variant);
  const params = resolveParams(def, c.params);
  // A finding of validate runs the implementation again (loaded on demand: only then is the adapter code needed).
  const engine = c.implementation
    ? await (await import('./validate.ts')).implementationEngine(c, engineKind)
    : await createEngine(engineKind, { model: c.model, variant: c.variant, params }, c.memory);
  try {
    const names = engine.instance.actors.map((a) => a.name);
    const schedule = c.schedule.map((s, i) => {
      const actor = names.indexOf(s.actor);
      if (actor < 0) throw new UsageError(`schedule step ${i} runs actor ${s.actor}, but model ${c.model} has actors ${names.join(', ')}`);
      // A store-buffer flush is the choice numbered after the actors (see execution.ts).
      return { actor: s.op.startsWith('flush ') ? names.length + actor : actor, label: `${s.actor} ${s.op}` };
    });
    let result;
    try {
      result = await explore(engine, new ReplayStrategy(schedule, names), { signal });
    } catch (e) {
      if (e instanceof ReplayDivergence) throw new UsageError(e.message);
      throw e;
    }
    const v = result.violation;
    const trace = v ? makeCounterexample(engine.instance, v, { engine: engineKind, memory: c.memory, strategy: 'replay', seed: c.seed }).trace : [];
    const difference = firstDifference(c.trace, trace);
    return {
      engine: engineKind,
      reproduced: v?.invariant === c.invariant,
      invariant: v?.invariant,
      message: v?.message,
      trace,
      sameTrace: difference === undefined,
      difference,
      interrupted: result.interrupted,
    };
  } finally {
    await engine.close();
  }
}

function firstDifference(a: readonly NamedEntry[], b: readonly NamedEntry[]): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = JSON.stringify(a[i] ?? null);
    const y = JSON.stringify(b[i] ?? null);
    if (x !== y) return `entry ${i}: the file has ${x}, the replay gives ${y}`;
  }
  return undefined;
}
