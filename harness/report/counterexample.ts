/**
 * Counterexample files: versioned JSON that replays. The schedule names actors and operations
 * ("driver", "load config.gen"), not indices, so a saved schedule says exactly where it stops
 * applying when a model changes. The trace is stored too, so a replay can prove it is identical.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { actorName, opLabel, targetName } from '../core/describe.ts';
import { UsageError, type MemoryModel, type ModelInstance, type Params, type TraceEntry } from '../core/model.ts';
import { OP_NAMES, OpKind } from '../core/ops.ts';
import type { EngineKind } from '../engine/engine.ts';
import type { FoundViolation } from '../explore/explore.ts';

export const FORMAT = 'virtio-verify-counterexample';
export const FORMAT_VERSION = 1;

export interface NamedStep {
  readonly actor: string;
  readonly op: string;
}

export interface NamedEntry {
  readonly step: number;
  readonly actor: string;
  readonly op: string;
  readonly target?: string;
  readonly value?: number;
  readonly data?: readonly number[];
  /** A note as the model renders it (a decoded message), when the model can. */
  readonly text?: string;
}

export interface Counterexample {
  readonly format: typeof FORMAT;
  readonly version: typeof FORMAT_VERSION;
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
  readonly engine: EngineKind;
  readonly memory: MemoryModel;
  readonly strategy: string;
  readonly seed: number;
  readonly invariant: string;
  readonly message: string;
  readonly schedule: readonly NamedStep[];
  readonly trace: readonly NamedEntry[];
  readonly stats?: Record<string, number>;
  /** validate's findings: the third-party implementation that ran in place of the role's reference actor. */
  readonly implementation?: Implementation;
}

/**
 * `--impl` as given (a path relative to where validate ran) and the role it played; `path` is the
 * file's absolute path, so that the counterexample replays from any directory.
 */
export interface Implementation {
  readonly impl: string;
  readonly role: string;
  readonly path?: string;
}

export interface Provenance {
  readonly engine: EngineKind;
  readonly memory: MemoryModel;
  readonly strategy: string;
  readonly seed: number;
  readonly stats?: Record<string, number>;
}

export function nameEntry(instance: ModelInstance, e: TraceEntry): NamedEntry {
  const target = targetName(instance, e.k, e.t);
  const base = { step: e.step, actor: actorName(instance, e.actor), op: OP_NAMES[e.k] ?? `op#${e.k}` };
  if (e.k === OpKind.NOTE) {
    const data = e.data ?? [];
    const text = instance.describeNote?.(instance.notes[e.t], data);
    return text === undefined ? { ...base, target, data } : { ...base, target, data, text };
  }
  return target ? { ...base, target, value: e.v } : { ...base, value: e.v };
}

/**
 * The decision at each step is the actor that executed that step's visible operation, or the
 * store-buffer flush (tso, weak) the scheduler chose. Notes and forced drains are not decisions.
 * Under weak a load that read an older message than it could have is "load f (stale k)" (a STALE
 * mark precedes its entry), which replay turns back into the same choice.
 */
export function scheduleOf(instance: ModelInstance, trace: readonly TraceEntry[]): NamedStep[] {
  const stale = new Map<number, number>();
  const out: NamedStep[] = [];
  for (const e of trace) {
    if (e.k === OpKind.NOTE || e.k === OpKind.DRAIN) continue;
    if (e.k === OpKind.STALE) { stale.set(e.actor, e.v); continue; }
    let op = opLabel(instance, e.k, e.t);
    const older = stale.get(e.actor);
    if (e.k === OpKind.LOAD && older !== undefined) { op += ` (stale ${older})`; stale.delete(e.actor); }
    out.push({ actor: actorName(instance, e.actor), op });
  }
  return out;
}

/**
 * Memory model weak: what a stale load at trace index `at` (its STALE mark) read, in words: the
 * value, and the newest store of the field that was already visible then, by whom and at which step.
 */
export function staleText(instance: ModelInstance, trace: readonly TraceEntry[], at: number): string {
  const mark = trace[at];
  const load = trace.slice(at + 1).find((e) => e.actor === mark.actor && e.k === OpKind.LOAD && e.t === mark.t);
  let last: { actor: number; value: number; step: number } | undefined;
  for (let i = 0; i < at; i++) {
    const e = trace[i];
    if (e.t !== mark.t) continue;
    if (e.k === OpKind.FLUSH || e.k === OpKind.DRAIN) last = { actor: e.actor, value: e.v, step: e.step };
    else if (e.k === OpKind.ADD || e.k === OpKind.XCHG || e.k === OpKind.CAS) last = { actor: e.actor, value: Number.NaN, step: e.step };
  }
  const field = targetName(instance, OpKind.LOAD, mark.t);
  const what = `${actorName(instance, mark.actor)} read ${field}${load ? ` = ${load.v}` : ''}`;
  if (!last) return `${what} (stale: ${mark.v} newer ${mark.v === 1 ? 'value was' : 'values were'} already visible, before this load)`;
  const store = Number.isNaN(last.value) ? 'atomic update' : `store of ${last.value}`;
  return `${what} (stale: the ${actorName(instance, last.actor)}'s ${store} became visible at step ${last.step}, before this load)`;
}

export function makeCounterexample(instance: ModelInstance, v: FoundViolation, p: Provenance): Counterexample {
  const trace = v.trace.slice(0, v.at + 1);
  const named = trace.map((e, i) => (e.k === OpKind.STALE ? { ...nameEntry(instance, e), text: staleText(instance, v.trace, i) } : nameEntry(instance, e)));
  return {
    format: FORMAT,
    version: FORMAT_VERSION,
    model: instance.model,
    variant: instance.variant,
    params: instance.params,
    engine: p.engine,
    memory: p.memory,
    strategy: p.strategy,
    seed: p.seed,
    invariant: v.invariant,
    message: v.message,
    schedule: scheduleOf(instance, trace),
    trace: named,
    stats: p.stats,
  };
}

export function counterexampleName(c: Pick<Counterexample, 'model' | 'variant' | 'invariant' | 'memory'>): string {
  return `${c.model}.${c.variant}.${c.invariant}${c.memory === 'sc' ? '' : `.${c.memory}`}.json`;
}

/** Writes this run's file under <root>/reports/counterexamples (replacing the last run's); returns its path. */
export function saveCounterexample(c: Counterexample, root: string): string {
  const path = join(root, 'reports', 'counterexamples', counterexampleName(c));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, counterexampleText(c));
  return path;
}

export function counterexampleText(c: Counterexample): string {
  return `${JSON.stringify(c, null, 1)}\n`;
}

/**
 * What makes two counterexamples the same regression test: what ran (model, variant, parameters,
 * memory model, implementation) and the schedule. The engine, seed and figures do not matter: the
 * same schedule gives the same trace on either engine.
 */
function sameTest(c: Pick<Counterexample, 'model' | 'variant' | 'params' | 'memory' | 'invariant' | 'schedule' | 'implementation'>): string {
  const params = Object.keys(c.params).sort().map((k) => [k, c.params[k]]);
  const impl = c.implementation ? [c.implementation.role, c.implementation.path ?? c.implementation.impl] : null;
  return JSON.stringify([c.model, c.variant, params, c.memory, c.invariant, impl, c.schedule.map((s) => [s.actor, s.op])]);
}

/**
 * Adds a counterexample to a corpus folder without touching what is there: a file already holding
 * the same test is kept as it is (and named); otherwise the file gets the usual name, or, when a
 * different counterexample has that name, the name with a hash of the schedule. The corpus is the
 * union of what every run found.
 */
export function addToCorpus(c: Counterexample, dir: string): { path: string; added: boolean } {
  const key = sameTest(c);
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      let other: unknown;
      try { other = JSON.parse(readFileSync(join(dir, name), 'utf8')); } catch { continue; }
      const o = other as Partial<Counterexample>;
      if (o?.format === FORMAT && Array.isArray(o.schedule) && typeof o.params === 'object' && o.params !== null && sameTest(o as Counterexample) === key) {
        return { path: join(dir, name), added: false };
      }
    }
  }
  mkdirSync(dir, { recursive: true });
  const plain = counterexampleName(c);
  const hashed = plain.replace(/\.json$/, `.${createHash('sha256').update(key).digest('hex').slice(0, 10)}.json`);
  for (const name of [plain, hashed]) {
    const path = join(dir, name);
    try {
      writeFileSync(path, counterexampleText(c), { flag: 'wx' });
      return { path, added: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`${join(dir, hashed)} exists and holds another counterexample`);
}

/** Reads and validates a counterexample file; anything it does not understand is a UsageError. */
export function loadCounterexample(path: string): Counterexample {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read counterexample ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not JSON: ${(e as Error).message}`);
  }
  return validate(data, path);
}

function validate(data: unknown, path: string): Counterexample {
  const bad = (why: string): never => { throw new UsageError(`${path} is not a counterexample this version understands: ${why}`); };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('expected a JSON object');
  const o = data as Record<string, unknown>;
  if (o.format !== FORMAT) bad(`format is ${JSON.stringify(o.format)}, expected "${FORMAT}"`);
  if (o.version !== FORMAT_VERSION) bad(`format version ${JSON.stringify(o.version)}; this build reads version ${FORMAT_VERSION}`);
  for (const k of ['model', 'variant', 'invariant', 'message', 'strategy'] as const) {
    if (typeof o[k] !== 'string') bad(`field ${k} must be a string`);
  }
  if (o.engine !== 'inline' && o.engine !== 'threads') bad('field engine must be "inline" or "threads"');
  if (o.memory !== 'sc' && o.memory !== 'tso' && o.memory !== 'weak') bad('field memory must be "sc", "tso" or "weak"');
  if (typeof o.seed !== 'number') bad('field seed must be a number');
  if (typeof o.params !== 'object' || o.params === null || Array.isArray(o.params) || Object.values(o.params).some((v) => typeof v !== 'number')) {
    bad('field params must map parameter names to numbers');
  }
  if (!Array.isArray(o.schedule) || o.schedule.some((s) => typeof s !== 'object' || s === null || typeof s.actor !== 'string' || typeof s.op !== 'string')) {
    bad('field schedule must be a list of {actor, op}');
  }
  if (!Array.isArray(o.trace) || o.trace.some((e) => typeof e !== 'object' || e === null || typeof e.actor !== 'string' || typeof e.op !== 'string' || typeof e.step !== 'number')) {
    bad('field trace must be a list of {step, actor, op, ...}');
  }
  if (o.implementation !== undefined) {
    const i = o.implementation as Record<string, unknown> | null;
    if (typeof i !== 'object' || i === null || typeof i.impl !== 'string' || typeof i.role !== 'string' || (i.path !== undefined && typeof i.path !== 'string')) {
      bad('field implementation must be {impl, role, path}');
    }
  }
  return o as unknown as Counterexample;
}
