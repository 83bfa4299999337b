/** State hashing prunes revisited states without changing any verdict, and counts distinct states. */
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import type { MemoryModel } from '../harness/core/model.ts';
import { findModel } from '../models/index.ts';

const models = ['config-gencount', 'config-legacy', 'litmus-sb'];
const cases = models.flatMap((m) => findModel(m).variants.flatMap((v) =>
  (['sc', 'tso'] as MemoryModel[]).map((memory) => [`${m}/${v.name}`, memory, m, v.name] as const)));

describe('state hashing', () => {
  it.each(cases)('%s under %s: same verdict as without', async (_, memory, model, variant) => {
    const hashed = await check({ model, variant, memory, stateHashing: true, preemptions: 2 });
    const plain = await check({ model, variant, memory, reduction: false, preemptions: 2 });
    expect(hashed.verdict).toBe(plain.verdict);
    expect(hashed.invariant).toBe(plain.invariant);
    expect(hashed.complete).toBe(plain.complete);
  });

  it('prunes most of config-gencount and reports its distinct states', async () => {
    const hashed = await check({ model: 'config-gencount', stateHashing: true });
    const plain = await check({ model: 'config-gencount', reduction: false });
    expect(hashed.reduction).toBe(false);
    expect(hashed.executions * 3).toBeLessThan(plain.executions);
    expect(hashed.coverage.details?.distinctStates).toBeGreaterThan(1000);
  });

  it('says when a model has an oracle without a state key, and prunes nothing', async () => {
    const r = await check({ model: 'config-msg', stateHashing: true, preemptions: 0 });
    expect(r.coverage.details?.distinctStates).toMatch(/unavailable/);
    expect(r.coverage.details?.prunedRevisits).toBe(0);
  });
});
