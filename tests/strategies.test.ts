/** The sampling strategies: reproducible from their seed, and PCT reports its probability bound. */
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';

describe('pct', () => {
  it('finds the lost config event that random walks miss, reproducibly from its seed', async () => {
    const a = await check({ model: 'config-gencount', variant: 'clear-after-process', strategy: 'pct', depth: 2, seed: 1, executions: 5000 });
    const b = await check({ model: 'config-gencount', variant: 'clear-after-process', strategy: 'pct', depth: 2, seed: 1, executions: 5000 });
    expect(a.verdict).toBe('violated');
    expect(a.invariant).toBe('no-lost-config-event');
    expect(b.executions).toBe(a.executions);
    expect(b.counterexample?.schedule).toEqual(a.counterexample?.schedule);
  });

  it('reports the per-run probability bound 1/(n k^(d-1)) on a pass', async () => {
    const r = await check({ model: 'config-gencount', strategy: 'pct', depth: 3, seed: 5, executions: 200 });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(false);
    const d = r.coverage.details!;
    expect(d.perRunProbability).toBeCloseTo(1 / (Number(d.n) * Number(d.k) ** 2), 12);
    expect(r.coverage.space).toMatch(/probability >= 1\/\(n k\^\(d-1\)\)/);
  });

  it('random walks run for a budget and say the run is incomplete', async () => {
    const r = await check({ model: 'config-gencount', strategy: 'random', budgetMs: 300 });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(false);
    expect(r.budgetExhausted).toBe(true);
    expect(r.executions).toBeGreaterThan(10);
  });
});
