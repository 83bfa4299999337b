/**
 * Every variant of every model gives its expected verdict with the default check: references pass
 * completely under sc and tso, each mutant violates the invariant it names (a tso-only mutant
 * passes under sc and fails under tso). This is the proof that each oracle can fail and that each
 * reference is clean.
 */
import { describe, expect, it } from 'vitest';
import { check, expectedUnder } from '../harness/check.ts';
import type { MemoryModel } from '../harness/core/model.ts';
import { MODELS } from '../models/index.ts';

/**
 * The slowest variant check (config-msg's linux2026-fix-device-gen under tso, a complete search of
 * its small scope) takes minutes on a loaded 2-core machine: above the suite's default timeout.
 */
const SLOWEST_VARIANT_MS = 900_000;

describe.each(MODELS.map((m) => [m.name, m] as const))('%s', (_, model) => {
  const cases = model.variants.flatMap((v) => {
    // A reference passes under sc and tso; a mutant that needs a weaker model passes under the stronger ones.
    const needs = v.expect.verdict === 'violated' ? v.expect.memory : undefined;
    const memories: MemoryModel[] = needs === 'weak' ? ['sc', 'tso', 'weak']
      : v.expect.verdict === 'passed' || needs === 'tso' ? ['sc', 'tso'] : ['sc'];
    return memories.map((memory) => [v.name, memory, v] as const);
  });

  it.each(cases)('variant %s under %s gives its expected verdict', async (_, memory, variant) => {
    const r = await check({ model: model.name, variant: variant.name, memory });
    const want = expectedUnder(variant.expect, memory);
    if (want.verdict === 'passed') {
      expect(r.verdict).toBe('passed');
      expect(r.complete).toBe(true);
    } else {
      expect(r.verdict).toBe('violated');
      expect(r.invariant).toBe(want.invariant);
      expect(r.counterexample!.message.length).toBeGreaterThan(40);
    }
    expect(r.asExpected).toBe(true);
  }, SLOWEST_VARIANT_MS);

  it('every invariant of the model is broken by at least one mutant', () => {
    const broken = new Set(model.variants.flatMap((v) => (v.expect.verdict === 'violated' ? [v.expect.invariant] : [])));
    for (const inv of model.invariants) expect(broken, `invariant ${inv.name} has no mutant`).toContain(inv.name);
  });

  it('every mutant cites the bug or spec text it recreates', () => {
    for (const v of model.variants.filter((x) => x.name !== 'reference')) expect(v.recreates, v.name).toBeTruthy();
  });
});
