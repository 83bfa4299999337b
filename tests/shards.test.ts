/** A sharded search covers the same space as one run: merged shards give the same verdict and executions. */
import { describe, expect, it } from 'vitest';
import { check, type CheckReport } from '../harness/check.ts';
import { mergeShards, type ShardResult } from '../harness/merge.ts';

function asShard(r: CheckReport): ShardResult {
  return { ...r, counterexample: undefined, message: r.counterexample?.message, coverage: r.coverage };
}

describe('shards', () => {
  it.each([['reference', 'passed'], ['clear-after-process', 'violated']] as const)('config-gencount/%s split in 3 merges to the single run', async (variant, verdict) => {
    const one = await check({ model: 'config-gencount', variant, reduction: false, preemptions: 2 });
    const parts = await Promise.all([1, 2, 3].map((index) => check({ model: 'config-gencount', variant, reduction: false, preemptions: 2, shard: { index, count: 3 } })));
    const merged = mergeShards(parts.map(asShard));
    expect(merged.verdict).toBe(verdict);
    expect(one.verdict).toBe(verdict);
    if (verdict === 'passed') {
      expect(merged.complete).toBe(true);
      // Each shard counts only its own executions and steps: they add up to the single run's.
      expect(parts.reduce((n, p) => n + p.executions, 0)).toBe(one.executions);
      expect(parts.reduce((n, p) => n + p.steps, 0)).toBe(one.steps);
      expect(merged.executions).toBe(one.executions);
      expect(merged.steps).toBe(one.steps);
      expect(parts.every((p) => p.executions < one.executions)).toBe(true);
    } else {
      expect(merged.invariant).toBe(one.invariant);
    }
  });

  it('a missing shard leaves the merge incomplete', async () => {
    const parts = await Promise.all([1, 2].map((index) => check({ model: 'config-gencount', reduction: false, preemptions: 1, shard: { index, count: 3 } })));
    expect(mergeShards(parts.map(asShard)).complete).toBe(false);
  });

  it('sampling strategies shard by seed and share the executions out', async () => {
    const parts = await Promise.all([1, 2].map((index) => check({ model: 'config-gencount', strategy: 'random', executions: 101, shard: { index, count: 2 } })));
    expect(parts.map((p) => p.executions)).toEqual([51, 50]);
  });
});
