/**
 * Merges the JSON results of a sharded check (`check ... --shard i/n --json`, one per CI job or
 * per worker) into the result one run would have given: violated if any shard found a violation,
 * complete only if every shard is present and complete, executions and steps summed (each shard
 * counts only its own share: the first execution, which every shard runs, is counted by the first).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './core/model.ts';

export interface ShardResult {
  readonly model: string;
  readonly variant: string;
  readonly verdict: 'passed' | 'violated';
  readonly complete: boolean;
  readonly executions: number;
  readonly steps: number;
  readonly seconds: number;
  readonly invariant?: string;
  readonly counterexample?: string;
  readonly message?: string;
  readonly strategy: string;
  readonly memory: string;
  readonly preemptions: number;
  readonly params: Record<string, number>;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly coverage?: { readonly details?: Record<string, number | string> };
  readonly interrupted?: boolean;
}

export interface Merged {
  readonly model: string;
  readonly variant: string;
  readonly verdict: 'passed' | 'violated';
  readonly complete: boolean;
  readonly executions: number;
  readonly steps: number;
  /** Wall time of the slowest shard (they run side by side). */
  readonly seconds: number;
  readonly shards: number;
  readonly invariant?: string;
  readonly counterexample?: string;
  readonly message?: string;
  /** A shard was stopped by a signal. */
  readonly interrupted: boolean;
  readonly violations: readonly { readonly shard: number; readonly invariant?: string; readonly counterexample?: string }[];
}

export function loadShardResult(path: string): ShardResult {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read shard result ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const o = data as Partial<ShardResult>;
  if (typeof o !== 'object' || o === null || typeof o.model !== 'string' || (o.verdict !== 'passed' && o.verdict !== 'violated') || typeof o.executions !== 'number') {
    throw new UsageError(`${path} is not the JSON of a check (run check with --json)`);
  }
  return o as ShardResult;
}

export function mergeShards(results: readonly ShardResult[]): Merged {
  if (results.length === 0) throw new UsageError('merge needs at least one shard result');
  const first = results[0];
  const key = (r: ShardResult) => JSON.stringify([r.model, r.variant, r.strategy, r.memory, r.preemptions, r.params]);
  for (const r of results) {
    if (key(r) !== key(first)) throw new UsageError(`shard results disagree on what was checked: ${r.model}/${r.variant} (${r.strategy}, ${r.memory}, bound ${r.preemptions}) against ${first.model}/${first.variant} (${first.strategy}, ${first.memory}, bound ${first.preemptions})`);
  }
  const count = first.shard?.count ?? 1;
  const indices = new Set(results.map((r) => r.shard?.index ?? 1));
  if (results.some((r) => (r.shard?.count ?? 1) !== count)) throw new UsageError('shard results come from different shard counts');
  if (indices.size !== results.length) throw new UsageError('the same shard is given twice');
  const violations = results.filter((r) => r.verdict === 'violated').map((r) => ({ shard: r.shard?.index ?? 1, invariant: r.invariant, counterexample: r.counterexample }));
  const firstViolation = results.find((r) => r.verdict === 'violated');
  return {
    model: first.model,
    variant: first.variant,
    verdict: violations.length ? 'violated' : 'passed',
    complete: violations.length === 0 && indices.size === count && results.every((r) => r.complete),
    interrupted: results.some((r) => r.interrupted === true),
    executions: results.reduce((n, r) => n + r.executions, 0),
    steps: results.reduce((n, r) => n + r.steps, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
    shards: results.length,
    invariant: firstViolation?.invariant,
    counterexample: firstViolation?.counterexample,
    message: firstViolation?.message,
    violations,
  };
}
