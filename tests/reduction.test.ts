/**
 * Partial-order reduction is sound on every model: each variant gives the same verdict and the
 * same violated invariant with and without it, and it explores far fewer executions.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import { dependent } from '../harness/explore/dpor.ts';
import { OpKind } from '../harness/core/ops.ts';
import { MODELS } from '../models/index.ts';

const cases = MODELS.flatMap((m) => m.variants.map((v) => [`${m.name}/${v.name}`, m.name, v.name] as const));

describe('partial-order reduction', () => {
  it.each(cases)('%s: same verdict with and without reduction', async (_, model, variant) => {
    const reduced = await check({ model, variant });
    const full = await check({ model, variant, reduction: false });
    expect(reduced.reduction).toBe(true);
    expect(full.reduction).toBe(false);
    expect(reduced.verdict).toBe(full.verdict);
    expect(reduced.invariant).toBe(full.invariant);
    expect(reduced.complete).toBe(full.complete);
  });

  it('explores at least 10 times fewer executions on config-gencount at its defaults', async () => {
    const reduced = await check({ model: 'config-gencount' });
    const full = await check({ model: 'config-gencount', reduction: false });
    expect(reduced.complete && full.complete).toBe(true);
    expect(full.executions / reduced.executions).toBeGreaterThanOrEqual(10);
  });

  it('treats loads of one field as independent, and a store as dependent with any access to its field', () => {
    expect(dependent(OpKind.LOAD, 1, OpKind.LOAD, 1)).toBe(false);
    expect(dependent(OpKind.LOAD, 1, OpKind.STORE, 1)).toBe(true);
    expect(dependent(OpKind.STORE, 1, OpKind.STORE, 2)).toBe(false);
    expect(dependent(OpKind.NOTIFY, 0, OpKind.WAIT, 0)).toBe(true);
    expect(dependent(OpKind.PAUSE, 0, OpKind.LOAD, 3)).toBe(false);
    expect(dependent(OpKind.PAUSE, 0, OpKind.STORE, 3)).toBe(true);
    expect(dependent(OpKind.ATOMIC_BEGIN, 0, OpKind.LOAD, 3)).toBe(true);
  });
});
