/**
 * The nightly's job list: every check (model x variant x parameters x engine x memory model), every
 * corpus replay, every fuzz run and every validation (per memory model), in one stable order.
 * `--shard i/n` keeps the jobs whose position k (from 0) has k mod n = i - 1, so n machines split
 * one list without talking to each other, and the same job always lands on the same shard.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findModel } from '../../models/index.ts';
import { expectedUnder } from '../check.ts';
import { resolveParams, variantInfo, type Expectation, type MemoryModel } from '../core/model.ts';
import { HARNESS_INVARIANTS } from '../explore/execution.ts';
import { qualifiers, validateQualifiers, type CheckJob, type FuzzJob, type Job, type ReplayJob, type ValidateJob } from '../report/nightly-types.ts';
import { roleSpec } from '../adapters/schemes.ts';
import { implKind } from '../validate.ts';
import type { MemorySpec, NightlyConfig, ValidateEntry } from './config.ts';

export { qualifiers, validateQualifiers, type CheckJob, type FuzzJob, type Job, type ReplayJob, type ValidateJob };


/** A fuzz job's time when its entry gives none (the fuzz command's default). */
export const DEFAULT_FUZZ_MS = 60_000;


/**
 * "auto" for a validate entry: sc and tso when the role makes memory accesses (C, WebAssembly, a
 * JavaScript module of a shared-memory scheme); sc only for a message scheme's object or an
 * external command (tso would change nothing). An unknown scheme or role gets sc: its job reports
 * the error.
 */
function validateMemories(v: ValidateEntry, spec: MemorySpec): MemoryModel[] {
  const entry = v.memory ?? spec;
  if (entry !== 'auto') return [...entry];
  const kind = implKind(v.resolved);
  if (kind !== 'js') return kind === 'wasm' ? ['sc', 'tso'] : ['sc'];
  try {
    return roleSpec(v.scheme, v.role, pathToFileURL(v.resolved.trim()).href).program ? ['sc', 'tso'] : ['sc'];
  } catch {
    return ['sc'];
  }
}


function memoriesFor(spec: MemorySpec, expect: Expectation): MemoryModel[] {
  if (spec !== 'auto') return [...spec];
  if (expect.verdict === 'violated' && expect.memory === 'weak') return ['sc', 'weak'];
  return expect.verdict === 'passed' || expect.memory === 'tso' ? ['sc', 'tso'] : ['sc'];
}

export function buildJobs(config: NightlyConfig, cwd: string): Job[] {
  const jobs: Job[] = [];
  const push = (j: Omit<CheckJob, 'index'> | Omit<ReplayJob, 'index'> | Omit<ValidateJob, 'index'> | Omit<FuzzJob, 'index'>) => jobs.push({ ...j, index: jobs.length } as Job);
  const seen = new Set<string>();
  for (const entry of config.checks) {
    const def = findModel(entry.model);
    const invariants = [...def.invariants.map((i) => i.name), ...HARNESS_INVARIANTS.map((i) => i.name)];
    for (const variant of entry.variants ?? def.variants.map((v) => v.name)) {
      const info = variantInfo(def, variant);
      const declared = entry.expect ?? info.expect;
      for (const params of entry.params ?? [{}]) {
        resolveParams(def, params);
        for (const engine of entry.engines ?? config.engines) {
          for (const memory of memoriesFor(entry.memory ?? config.memory, declared)) {
            const strategy = entry.strategy ?? config.strategy;
            const job = {
              kind: 'check' as const,
              model: def.name, variant, params, engine, memory, strategy,
              preemptions: entry.preemptions ?? config.preemptions,
              seed: entry.seed ?? config.seed,
              executions: entry.executions,
              capMs: entry.capMs,
              expect: expectedUnder(declared, memory),
              expectOverridden: entry.expect !== undefined,
              invariants,
              description: info.description,
              recreates: info.recreates,
            };
            const id = `${def.name}/${variant} [${qualifiers(job).join(', ')}]`;
            if (seen.has(id)) continue; // the same job listed twice runs once
            seen.add(id);
            push({ ...job, id, weight: entry.weight ?? (job.expect.verdict === 'passed' ? 4 : 1) });
          }
        }
      }
    }
  }
  for (const dir of config.corpus?.dirs ?? []) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const file = join(dir, name);
      const id = `replay ${shown(file, cwd)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      push({ kind: 'replay', id, file, engine: config.corpus!.engine });
    }
  }
  for (const f of config.fuzz) {
    const timeMs = f.timeMs ?? DEFAULT_FUZZ_MS;
    const seed = f.seed ?? 1;
    const q = [f.engine !== 'builtin' ? f.engine : '', seed !== 1 ? `seed ${seed}` : '', `${timeMs / 1000} s`].filter(Boolean);
    push({ kind: 'fuzz', id: `fuzz ${f.target}/${f.variant} [${q.join(', ')}]`, target: f.target, variant: f.variant, engine: f.engine, seed, timeMs, corpus: f.corpus });
  }
  const listed = config.validate.flatMap((v) => validateMemories(v, config.memory).map((memory) => {
    const params = v.params ?? {};
    const job = {
      kind: 'validate' as const, impl: v.impl, resolved: v.resolved, role: v.role, scheme: v.scheme,
      memory, engine: v.engine, preemptions: v.preemptions ?? config.preemptions, params, capMs: v.capMs, weight: v.weight ?? 4,
    };
    return { ...job, id: `validate ${v.scheme} ${v.role} ${v.impl} [${validateQualifiers(job).join(', ')}]` };
  }));
  const validateJobs = [...new Map(listed.map((j) => [j.id, j])).values()]; // the same job listed twice runs once
  // validate names its files validate.<scheme>.<role>.<invariant>[.tso].json: tag the jobs that would share them.
  const fileKey = (j: { scheme: string; role: string; memory: string }) => `${j.scheme}.${j.role}.${j.memory}`;
  // The tag: the implementation's file name without extension (a command's last word), engine, parameters.
  const tagOf = (j: typeof validateJobs[number]) => [basename(j.impl.trim().split(/\s+/).at(-1)!).replace(/\.[^.]*$/, ''), j.engine ?? '', ...Object.entries(j.params).map(([k, v]) => `${k}-${v}`)]
    .filter(Boolean).join('.').replace(/[^A-Za-z0-9._-]/g, '_');
  for (const j of validateJobs) {
    const shared = validateJobs.filter((o) => fileKey(o) === fileKey(j)).length > 1;
    push(shared ? { ...j, fileTag: tagOf(j) } : j);
  }
  return jobs;
}

/** A path as reports show it: relative to the working directory when inside it, else absolute. */
export function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export function shardJobs<J extends { index: number }>(jobs: readonly J[], shard: { index: number; count: number } | undefined): J[] {
  if (!shard || shard.count === 1) return [...jobs];
  return jobs.filter((j) => j.index % shard.count === shard.index - 1);
}

/** The command that re-runs one check job by hand. */
export function checkCommand(j: CheckJob): string {
  const parts = ['npx virtio-verify check', j.model];
  if (j.variant !== 'reference') parts.push('--variant', j.variant);
  if (j.memory !== 'sc') parts.push('--memory', j.memory);
  if (j.engine !== 'inline') parts.push('--engine', j.engine);
  if (j.strategy !== 'dfs') parts.push('--strategy', j.strategy);
  if (j.seed !== undefined) parts.push('--seed', String(j.seed));
  if (j.executions !== undefined) parts.push('--executions', String(j.executions));
  if (j.preemptions !== undefined) parts.push('--preemptions', String(j.preemptions));
  for (const [k, v] of Object.entries(j.params)) parts.push('--param', `${k}=${v}`);
  return parts.join(' ');
}
