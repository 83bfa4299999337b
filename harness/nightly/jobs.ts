/**
 * The nightly's job list: every check (model x variant x parameters x engine x memory model), every
 * corpus replay, and the reserved fuzz and validate jobs, in one stable order. `--shard i/n` keeps
 * the jobs whose position k (from 0) has k mod n = i - 1, so n machines split one list without
 * talking to each other, and the same job always lands on the same shard.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findModel } from '../../models/index.ts';
import { expectedUnder } from '../check.ts';
import { resolveParams, variantInfo, type Expectation, type MemoryModel, type Params } from '../core/model.ts';
import type { EngineKind } from '../engine/engine.ts';
import { HARNESS_INVARIANTS } from '../explore/execution.ts';
import type { MemorySpec, NightlyConfig } from './config.ts';

export interface CheckJob {
  readonly kind: 'check';
  /** Position in the full, unsharded list. */
  readonly index: number;
  readonly id: string;
  readonly model: string;
  readonly variant: string;
  /** Only the parameters the config set (the rest are the model's defaults). */
  readonly params: Params;
  readonly engine: EngineKind;
  readonly memory: MemoryModel;
  readonly strategy: string;
  readonly preemptions?: number;
  readonly seed?: number;
  readonly executions?: number;
  readonly capMs?: number;
  readonly weight: number;
  /** What the variant must give under this memory model. */
  readonly expect: Expectation;
  /** The expectation was set in the config, not taken from the model. */
  readonly expectOverridden: boolean;
  /** The model's invariants and the harness's own, in order: one JUnit test case each. */
  readonly invariants: readonly string[];
  readonly description: string;
  readonly recreates?: string;
}

export interface ReplayJob {
  readonly kind: 'replay';
  readonly index: number;
  readonly id: string;
  readonly file: string;
  readonly engine: EngineKind;
}

export interface PlaceholderJob {
  readonly kind: 'fuzz' | 'validate';
  readonly index: number;
  readonly id: string;
  readonly what: string;
}

export type Job = CheckJob | ReplayJob | PlaceholderJob;

/** The qualifiers that tell jobs of one variant apart: "tso", "threads", "updates=3", "random seed 7". */
export function qualifiers(j: Pick<CheckJob, 'memory' | 'engine' | 'params' | 'strategy' | 'seed' | 'preemptions'>): string[] {
  const q: string[] = [j.memory];
  if (j.engine !== 'inline') q.push(j.engine);
  for (const [k, v] of Object.entries(j.params)) q.push(`${k}=${v}`);
  if (j.strategy !== 'dfs') q.push(j.seed === undefined ? j.strategy : `${j.strategy} seed ${j.seed}`);
  if (j.preemptions !== undefined) q.push(`preemptions ${j.preemptions}`);
  return q;
}

function memoriesFor(spec: MemorySpec, expect: Expectation): MemoryModel[] {
  if (spec !== 'auto') return [...spec];
  return expect.verdict === 'passed' || expect.memory === 'tso' ? ['sc', 'tso'] : ['sc'];
}

export function buildJobs(config: NightlyConfig, cwd: string): Job[] {
  const jobs: Job[] = [];
  const push = (j: Omit<CheckJob, 'index'> | Omit<ReplayJob, 'index'> | Omit<PlaceholderJob, 'index'>) => jobs.push({ ...j, index: jobs.length } as Job);
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
      const rel = relative(cwd, file);
      const shown = rel.startsWith('..') ? file : rel;
      if (seen.has(shown)) continue;
      seen.add(shown);
      push({ kind: 'replay', id: `replay ${shown}`, file, engine: config.corpus!.engine });
    }
  }
  for (const f of config.fuzz) push({ kind: 'fuzz', id: `fuzz ${f.target}`, what: `fuzz ${f.target}${f.timeMs ? ` for ${f.timeMs / 1000} s` : ''}` });
  for (const v of config.validate) push({ kind: 'validate', id: `validate ${v.scheme} ${v.role} ${v.impl}`, what: `validate --impl ${v.impl} --role ${v.role} --scheme ${v.scheme}` });
  return jobs;
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
