/**
 * The guard for every optimisation of the search: compared by the outcomes they reach (each
 * actor's operations with the values they returned, the final memory, how the run ended), not by
 * verdicts. For every model's reference and generated operation-level mutants (the k-th store,
 * notify or exchange of an actor skipped, its k-th load zeroed):
 *
 * - partial-order reduction reaches every outcome plain bounded dfs reaches, at the default bound
 *   and one more;
 * - under tso, the plain search reaches every sc outcome (x86-TSO allows every sc execution; a
 *   flush that wakes a spinning actor is a branch of its own, as the store was under sc). The
 *   reduced tso search is not offered (harness/explore/strategies.ts says why), so not compared;
 * - state hashing and shards reach exactly the plain search's outcomes.
 *
 * Where the default parameters make the plain search too slow for the suite, smaller parameters
 * and bounds are used (named in each case); bench/RESULTS.md has the figures at the defaults.
 */
import { describe, expect, it, vi } from 'vitest';
import { resolveParams, type MemoryModel, type ModelInstance, type Params } from '../harness/core/model.ts';
import { applyOpMutant, OP_MUTATIONS, opMutantName, type OpMutant } from '../harness/core/op-mutants.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { DporStrategy } from '../harness/explore/dpor.ts';
import { collectOutcomes, missing, withoutInvariants, type OutcomeSet } from '../harness/explore/outcomes.ts';
import type { Strategy } from '../harness/explore/strategy.ts';
import { findModel } from '../models/index.ts';

interface Case {
  readonly model: string;
  /** The reference at its default bound (defaults, or the parameters given) and at one more. */
  readonly runs: readonly { readonly params: Params; readonly bound: number }[];
  /** Parameters and bound for the generated mutants and the memory-model comparisons. */
  readonly mutantParams: Params;
  readonly mutantBound: number;
}

const CASES: readonly Case[] = [
  { model: 'litmus-sb', runs: [{ params: {}, bound: 2 }, { params: {}, bound: 3 }], mutantParams: {}, mutantBound: 2 },
  { model: 'vring-split', runs: [{ params: {}, bound: 3 }, { params: { buffers: 2 }, bound: 4 }], mutantParams: { buffers: 2 }, mutantBound: 2 },
  { model: 'vring-packed', runs: [{ params: {}, bound: 3 }, { params: { buffers: 2 }, bound: 3 }], mutantParams: { buffers: 2 }, mutantBound: 2 },
  { model: 'config-gencount', runs: [{ params: { updates: 1 }, bound: 3 }, { params: { updates: 1, writes: 1 }, bound: 3 }], mutantParams: { updates: 1, writes: 1 }, mutantBound: 2 },
  { model: 'config-legacy', runs: [{ params: { updates: 4 }, bound: 1 }, { params: { updates: 4 }, bound: 2 }], mutantParams: { updates: 2 }, mutantBound: 1 },
  { model: 'config-msg', runs: [{ params: { updates: 1 }, bound: 1 }, { params: { updates: 1, writes: 0 }, bound: 1 }], mutantParams: { updates: 1, writes: 0 }, mutantBound: 1 },
  { model: 'transport-msg', runs: [{ params: {}, bound: 1 }, { params: { queues: 1 }, bound: 1 }], mutantParams: { queues: 1 }, mutantBound: 1 },
];

function instance(model: string, params: Params, mutant?: OpMutant): ModelInstance {
  const def = findModel(model);
  const base = withoutInvariants(def.instantiate('reference', resolveParams(def, params)));
  return mutant ? applyOpMutant(base, mutant) : base;
}

function outcomes(inst: ModelInstance, memory: MemoryModel, strategy: Strategy): OutcomeSet {
  const r = collectOutcomes(new InlineEngine(inst, memory), strategy, 2_000_000);
  expect(r.exhausted, `${strategy.name} on ${inst.variant} did not finish`).toBe(true);
  return r;
}

/**
 * The generated mutants of a model: every actor, every mutation, at its first occurrence (the
 * second too on the litmus test, where it is cheap; a suite that runs in minutes on two cores
 * cannot afford it everywhere).
 */
function mutants(inst: ModelInstance, model: string): OpMutant[] {
  const nths = model === 'litmus-sb' ? [1, 2] : [1];
  return inst.actors.flatMap((_, actor) => OP_MUTATIONS.flatMap((mutation) => nths.map((nth) => ({ actor, mutation, nth }))));
}

function expectContains(expected: OutcomeSet, actual: OutcomeSet, what: string): void {
  const lost = missing(expected.outcomes, actual.outcomes);
  expect(lost.length, `${what}: ${lost.length} of ${expected.outcomes.size} outcome classes missing, e.g. ${lost[0]?.slice(0, 400)}`).toBe(0);
}

vi.setConfig({ testTimeout: 600_000 });

describe.each(CASES)('$model', ({ model, runs, mutantParams, mutantBound }) => {
  it.each(runs)('reference $params: partial-order reduction reaches every outcome of plain dfs at bound $bound', ({ params, bound }) => {
    const inst = instance(model, params);
    const plain = outcomes(inst, 'sc', new DfsStrategy(bound));
    const reduced = outcomes(inst, 'sc', new DporStrategy(bound));
    expectContains(plain, reduced, `${model} at bound ${bound}`);
  });

  it('generated mutants: partial-order reduction reaches every outcome of plain dfs', () => {
    const base = instance(model, mutantParams);
    for (const m of mutants(base, model)) {
      const inst = applyOpMutant(base, m);
      const plain = outcomes(inst, 'sc', new DfsStrategy(mutantBound));
      const reduced = outcomes(inst, 'sc', new DporStrategy(mutantBound));
      expectContains(plain, reduced, `${model} ${opMutantName(base, m)}`);
    }
  });

  it('tso reaches every sc outcome (reference and mutants)', () => {
    const base = instance(model, mutantParams);
    for (const inst of [base, ...mutants(base, model).map((m) => applyOpMutant(base, m))]) {
      const sc = outcomes(inst, 'sc', new DfsStrategy(mutantBound));
      const tso = outcomes(inst, 'tso', new DfsStrategy(mutantBound));
      expectContains(sc, tso, `${inst.variant}: sc within tso`);
    }
  });

  it('state hashing and shards reach exactly the outcomes of the plain search', () => {
    const inst = instance(model, mutantParams);
    const plain = outcomes(inst, 'sc', new DfsStrategy(mutantBound));
    const hashed = outcomes(inst, 'sc', new DfsStrategy(mutantBound, { index: 0, count: 1 }, true));
    expect([...hashed.outcomes].sort()).toEqual([...plain.outcomes].sort());
    const shards = [0, 1, 2].map((index) => outcomes(inst, 'sc', new DfsStrategy(mutantBound, { index, count: 3 })));
    const union = new Set(shards.flatMap((s) => [...s.outcomes]));
    expect([...union].sort()).toEqual([...plain.outcomes].sort());
    // Each shard runs the first execution; the others are split without overlap.
    expect(shards.reduce((t, s) => t + s.executions, 0)).toBe(plain.executions + 2);
  });
});

describe('sleep sets', () => {
  it('without a bound, the reduction with sleep sets reaches every outcome of the plain search', () => {
    // Unbounded, the plain search of anything with a retry loop runs for hours: the litmus test
    // and its generated mutants, and the rings with one buffer (their spins are bounded by the
    // step limit).
    const litmus = instance('litmus-sb', {});
    const cases = [litmus, ...mutants(litmus, 'litmus-sb').map((m) => applyOpMutant(litmus, m)), instance('config-legacy', { updates: 3 }), instance('vring-split', { buffers: 1 }), instance('vring-packed', { buffers: 1 })];
    for (const inst of cases) {
      const model = inst.variant;
      const plain = outcomes(inst, 'sc', new DfsStrategy());
      const reduced = outcomes(inst, 'sc', new DporStrategy());
      expectContains(plain, reduced, `${model} without a bound`);
      expect(reduced.executions).toBeLessThanOrEqual(plain.executions);
    }
  });

  it('under a bound they skip outcome classes the bound allows (why the bounded search runs without them)', () => {
    const inst = instance('vring-split', {});
    const plain = outcomes(inst, 'sc', new DfsStrategy(3));
    const withSleep = outcomes(inst, 'sc', new DporStrategy(3, { sleepSets: true }));
    expect(missing(plain.outcomes, withSleep.outcomes).length).toBeGreaterThan(0);
  });
});
