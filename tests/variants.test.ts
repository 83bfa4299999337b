/**
 * Every variant of every model gives its expected verdict with the default check: references pass
 * completely, each mutant violates the invariant it names. This is the proof that each oracle can
 * fail and that each reference is clean.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import { MODELS } from '../models/index.ts';

describe.each(MODELS.map((m) => [m.name, m] as const))('%s', (_, model) => {
  it.each(model.variants.map((v) => [v.name, v] as const))('variant %s gives its expected verdict', async (_, variant) => {
    const r = await check({ model: model.name, variant: variant.name });
    if (variant.expect.verdict === 'passed') {
      expect(r.verdict).toBe('passed');
      expect(r.complete).toBe(true);
    } else {
      expect(r.verdict).toBe('violated');
      expect(r.invariant).toBe(variant.expect.invariant);
      expect(r.counterexample!.message.length).toBeGreaterThan(40);
    }
    expect(r.asExpected).toBe(true);
  });

  it('every invariant of the model is broken by at least one mutant', () => {
    const broken = new Set(model.variants.flatMap((v) => (v.expect.verdict === 'violated' ? [v.expect.invariant] : [])));
    for (const inv of model.invariants) expect(broken, `invariant ${inv.name} has no mutant`).toContain(inv.name);
  });

  it('every mutant cites the bug or spec text it recreates', () => {
    for (const v of model.variants.filter((x) => x.name !== 'reference')) expect(v.recreates, v.name).toBeTruthy();
  });
});
