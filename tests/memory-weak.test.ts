/**
 * Memory model weak (harness/core/weak-memory.ts): the litmus tests that tell it from sc and tso,
 * coherence, the split-ring barrier mutants it alone catches, the references it passes, and that
 * its choices replay and shrink like tso's flushes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, expectedUnder } from '../harness/check.ts';
import { defineModel, refs } from '../harness/core/define-model.ts';
import { defineLayout, type Field } from '../harness/core/layout.ts';
import type { MemoryModel } from '../harness/core/model.ts';
import { OpKind, port as p } from '../harness/core/ops.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';
import { collectOutcomes, withoutInvariants } from '../harness/explore/outcomes.ts';
import { replay } from '../harness/replay.ts';
import { validate } from '../harness/validate.ts';
import { renderTrace } from '../harness/report/text.ts';
import { findModel } from '../models/index.ts';

const MEMORIES: readonly MemoryModel[] = ['sc', 'tso', 'weak'];

describe('litmus-mp: message passing needs both virtio_wmb and virtio_rmb under weak', () => {
  const model = findModel('litmus-mp');
  const cases = model.variants.flatMap((v) => MEMORIES.map((m) => [v.name, m] as const));
  it.each(cases)('%s under %s', async (variant, memory) => {
    const r = await check({ model: 'litmus-mp', variant, memory });
    const want = expectedUnder(model.variants.find((v) => v.name === variant)!.expect, memory);
    expect(r.verdict).toBe(want.verdict);
    if (want.verdict === 'passed') expect(r.complete).toBe(true);
    else expect(r.invariant).toBe('mp-outcome');
    expect(r.asExpected).toBe(true);
  });

  it('the mutants are caught under weak only (and the reference nowhere)', () => {
    for (const v of model.variants) {
      expect(v.expect.verdict === 'passed' ? v.name : v.expect.memory).toBe(v.name === 'reference' ? 'reference' : 'weak');
    }
  });

  it('a stale read is explained in words and the counterexample replays on both engines', async () => {
    const r = await check({ model: 'litmus-mp', variant: 'wmb-only', memory: 'weak' });
    const c = r.counterexample!;
    expect(c.memory).toBe('weak');
    expect(c.schedule.some((s) => /^load data \(stale 1\)$/.test(s.op))).toBe(true);
    const text = renderTrace(c.trace);
    expect(text).toMatch(/reader read data = 0 \(stale: the writer's store of 1 became visible at step \d+, before this load\)/);
    for (const engine of ['inline', 'threads'] as const) {
      const again = await replay(c, engine);
      expect(again.reproduced, engine).toBe(true);
      expect(again.sameTrace, again.difference).toBe(true);
    }
  }, 30_000);

  it('a store made visible before an older one (no wmb) replays too', async () => {
    const r = await check({ model: 'litmus-mp', variant: 'rmb-only', memory: 'weak' });
    const c = r.counterexample!;
    const flushes = c.schedule.filter((s) => s.op.startsWith('flush ')).map((s) => s.op);
    expect(flushes[0]).toBe('flush flag');
    const again = await replay(c, 'inline');
    expect(again.reproduced).toBe(true);
    expect(again.sameTrace, again.difference).toBe(true);
  });

  it('random and pct find the no-barriers outcome under weak; state hashing keeps the verdicts', async () => {
    for (const strategy of ['random', 'pct']) {
      const r = await check({ model: 'litmus-mp', variant: 'no-barriers', memory: 'weak', strategy, seed: 1, executions: 2000 });
      expect(r.verdict, strategy).toBe('violated');
    }
    const hashed = await check({ model: 'litmus-mp', variant: 'reference', memory: 'weak', stateHashing: true });
    expect(hashed.verdict).toBe('passed');
    expect(hashed.complete).toBe(true);
    for (const variant of ['wmb-only', 'rmb-only']) {
      expect((await check({ model: 'litmus-mp', variant, memory: 'weak', stateHashing: true })).verdict, variant).toBe('violated');
    }
  });

  it('the outcome sets: weak adds exactly flag = 1, data = 0 to what tso allows', () => {
    const def = findModel('litmus-mp');
    const outcomes = (variant: string, memory: MemoryModel) => {
      const base = withoutInvariants(def.instantiate(variant, {}));
      const id = (name: string) => base.notes.find((n) => n.name === name)!.id;
      const pattern = new RegExp(`n${id('flag-seen')}\\((\\d)\\) n${id('data-seen')}\\((\\d)\\)`);
      const set = collectOutcomes(new InlineEngine(base, memory), new DfsStrategy());
      expect(set.exhausted).toBe(true);
      const seen = new Set<string>();
      for (const o of set.outcomes) {
        const m = pattern.exec(o);
        if (m) seen.add(`${m[1]}${m[2]}`);
      }
      return [...seen].sort();
    };
    expect(outcomes('no-barriers', 'sc')).toEqual(['00', '01', '11']);
    expect(outcomes('no-barriers', 'tso')).toEqual(['00', '01', '11']);
    expect(outcomes('no-barriers', 'weak')).toEqual(['00', '01', '10', '11']);
    expect(outcomes('reference', 'weak')).toEqual(['00', '01', '11']);
  });
});

describe('litmus-sb under weak', () => {
  it('without virtio_mb the forbidden outcome shows under tso and weak; with it, under neither', async () => {
    for (const memory of ['tso', 'weak'] as const) {
      expect((await check({ model: 'litmus-sb', variant: 'no-fence', memory })).invariant, memory).toBe('sc-outcome');
      const ref = await check({ model: 'litmus-sb', variant: 'reference', memory });
      expect(ref.verdict, memory).toBe('passed');
      expect(ref.complete).toBe(true);
    }
  });
});

/** CoRR and CoWR: one actor's reads of a field never go back in coherence order, nor before its own store. */
const NOTES = refs('r');
const coherence = defineModel<object, { x: Field }>({
  name: 'litmus-co',
  summary: 'coherence litmus tests',
  params: [],
  events: [],
  notes: [NOTES.r],
  reference: {},
  variants: [{ name: 'reference', description: 'reads never go backwards', expect: { verdict: 'passed' } }],
  invariants: [{
    name: 'coherence',
    kind: 'safety',
    protects: 'reads of one field by one actor follow its coherence order',
    observe() {
      // Every value stored is distinct, so the order in which values become visible is the coherence order.
      const pos = new Map<number, number>([[0, 0]]);
      const last = new Map<number, number>();
      return {
        onEntry(e) {
          if (e.k === OpKind.FLUSH || e.k === OpKind.DRAIN) {
            pos.set(e.v, pos.size);
            last.set(e.actor, Math.max(last.get(e.actor) ?? 0, pos.get(e.v)!)); // CoWR: not before its own store
            return undefined;
          }
          if (e.k !== OpKind.LOAD) return undefined;
          const at = pos.get(e.v);
          if (at === undefined) return undefined; // its own store, still pending
          const before = last.get(e.actor) ?? 0;
          last.set(e.actor, Math.max(before, at));
          return at < before ? `actor ${e.actor} read x = ${e.v}, older in coherence order than what it had seen` : undefined;
        },
        key: () => `${[...pos].join(';')}|${[...last].join(';')}`,
      };
    },
  }],
  defaultPreemptions: 10,
  maxSteps: () => 50,
  build() {
    const layout = defineLayout((b) => { b.u32('x'); });
    return { layout, ctx: { x: layout.field('x') } };
  },
  actors: (_, c) => [
    { name: 'w1', program: function* () { yield p.store(c.x, 1); yield p.store(c.x, 2); yield p.store(c.x, 3); } },
    { name: 'r', program: function* () { for (let i = 0; i < 3; i++) yield p.note(NOTES.r, yield p.load(c.x)); } },
    { name: 'w2', program: function* () { yield p.note(NOTES.r, yield p.load(c.x)); yield p.store(c.x, 4); yield p.note(NOTES.r, yield p.load(c.x)); } },
  ],
});

describe('coherence under weak', () => {
  it('reads of one field never go backwards, though stale reads are explored', async () => {
    const instance = coherence.instantiate('reference', {});
    const weak = await explore(new InlineEngine(instance, 'weak'), new DfsStrategy(3));
    expect(weak.violation?.message).toBeUndefined();
    expect(weak.complete).toBe(true);
    const sc = await explore(new InlineEngine(instance, 'sc'), new DfsStrategy(3));
    // The weak search ran the stale reads (and the delayed stores) on top of the interleavings.
    expect(weak.executions).toBeGreaterThan(sc.executions);
  });
});

describe('vring-split: barrier mutants only weak catches', () => {
  const mutants = [
    ['no-rmb-avail', 'descriptor-ownership'],
    ['no-wmb-avail', 'publish-order'],
    ['no-wmb-used', 'publish-order'],
  ] as const;
  it.each(mutants)('%s passes under sc and tso, violates %s under weak', async (variant, invariant) => {
    for (const memory of ['sc', 'tso'] as const) {
      const r = await check({ model: 'vring-split', variant, memory, preemptions: 2 });
      expect(r.verdict, memory).toBe('passed');
      expect(r.complete).toBe(true);
      expect(r.asExpected).toBe(true);
    }
    const r = await check({ model: 'vring-split', variant, memory: 'weak', preemptions: 2 });
    expect(r.verdict).toBe('violated');
    expect(r.invariant).toBe(invariant);
    expect(r.asExpected).toBe(true);
  }, 30_000);

  it('config-gencount no-rmb-read passes under sc and tso, violates no-torn-read under weak', async () => {
    const params = { updates: 1, writes: 1 };
    for (const memory of ['sc', 'tso'] as const) {
      const r = await check({ model: 'config-gencount', variant: 'no-rmb-read', memory, params, preemptions: 2 });
      expect(r.verdict, memory).toBe('passed');
      expect(r.complete).toBe(true);
    }
    const r = await check({ model: 'config-gencount', variant: 'no-rmb-read', memory: 'weak', params, preemptions: 2 });
    expect(r.invariant).toBe('no-torn-read');
    expect(r.counterexample!.trace.some((e) => e.op === 'stale')).toBe(true);
  }, 30_000);

  it('the reference vring-split and config-gencount pass under weak at a small bound', async () => {
    const ring = await check({ model: 'vring-split', variant: 'reference', memory: 'weak', params: { buffers: 2 }, preemptions: 2 });
    expect(ring.verdict).toBe('passed');
    expect(ring.complete).toBe(true);
    const config = await check({ model: 'config-gencount', variant: 'reference', memory: 'weak', params: { updates: 1, writes: 1 }, preemptions: 2 });
    expect(config.verdict).toBe('passed');
    expect(config.complete).toBe(true);
  }, 30_000);
});

describe('a JavaScript device without the virtio_rmb (examples/js/split-device-no-rmb.mjs)', () => {
  const impl = join(import.meta.dirname, '..', 'examples', 'js', 'split-device-no-rmb.mjs');
  it('conforms under tso and is caught under weak; its good twin conforms under weak', async () => {
    // tso at bound 1 covers sc at bound 1 (every sc schedule is a tso schedule at the same cost).
    const tso = await validate({ impl, role: 'device', scheme: 'vring-split', params: { buffers: 2 }, memory: 'tso', preemptions: 1 });
    expect(tso.verdict).toBe('passed');
    expect(tso.complete).toBe(true);
    const weak = await validate({ impl, role: 'device', scheme: 'vring-split', memory: 'weak', preemptions: 2 });
    expect(weak.verdict).toBe('violated');
    expect(weak.invariants.find((i) => i.name === 'descriptor-ownership')?.counterexample).toBeDefined();
    const good = await validate({ impl: join(import.meta.dirname, '..', 'examples', 'js', 'split-device-good.mjs'), role: 'device', scheme: 'vring-split', params: { buffers: 2 }, memory: 'weak', preemptions: 1 });
    expect(good.verdict).toBe('passed');
    expect(good.complete).toBe(true);
  }, 60_000);
});
