/**
 * Partial-order reduction against the plain search, measured by outcome sets (what each search
 * reaches), not verdicts: per model, memory model and bound, the executions and seconds of plain
 * bounded dfs and of the reduced search (sc only: under tso the reduction is not offered), the
 * outcome classes each reached and how many of the plain search's the reduced one missed; under
 * tso, how many sc classes the plain tso search missed (it must miss none). The figures
 * bench/RESULTS.md quotes.
 *
 *   npx tsx bench/outcomes.ts [--limit-executions 400000]
 *
 * The model's own invariants are off (tests/outcome-sets.test.ts explains why), the engine inline.
 */
import { parseArgs } from 'node:util';
import { resolveParams, type MemoryModel, type ModelInstance, type Params } from '../harness/core/model.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { DporStrategy } from '../harness/explore/dpor.ts';
import { collectOutcomes, missing, withoutInvariants, type OutcomeSet } from '../harness/explore/outcomes.ts';
import type { Strategy } from '../harness/explore/strategy.ts';
import { findModel } from '../models/index.ts';

const { values } = parseArgs({ options: { 'limit-executions': { type: 'string', default: '400000' } } });
const limit = Number(values['limit-executions']);

const RUNS: readonly { model: string; params: Params; bound: number }[] = [
  { model: 'litmus-sb', params: {}, bound: 3 },
  { model: 'vring-split', params: {}, bound: 3 },
  { model: 'vring-packed', params: {}, bound: 3 },
  { model: 'config-gencount', params: {}, bound: 3 },
  { model: 'config-gencount', params: { updates: 1, writes: 1 }, bound: 4 },
  { model: 'config-legacy', params: {}, bound: 2 },
  { model: 'config-msg', params: { updates: 1, writes: 0 }, bound: 2 },
  { model: 'transport-msg', params: { queues: 1 }, bound: 2 },
];

function instance(model: string, params: Params): ModelInstance {
  const def = findModel(model);
  return withoutInvariants(def.instantiate('reference', resolveParams(def, params)));
}

function timed(inst: ModelInstance, memory: MemoryModel, strategy: Strategy): OutcomeSet & { seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = collectOutcomes(new InlineEngine(inst, memory), strategy, limit);
  return { ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const fmt = (r: OutcomeSet & { seconds: number }) => `${r.executions.toLocaleString('en')}${r.exhausted ? '' : '+ (cut)'} ex, ${r.seconds.toFixed(1)} s, ${r.outcomes.size} classes`;

console.log('| model | parameters | bound | plain dfs, sc | reduced, sc | missed | plain dfs, tso | sc classes missing under tso |');
console.log('|---|---|---|---|---|---|---|---|');
for (const { model, params, bound } of RUNS) {
  const inst = instance(model, params);
  const plain = timed(inst, 'sc', new DfsStrategy(bound));
  const reduced = timed(inst, 'sc', new DporStrategy(bound));
  const tso = timed(inst, 'tso', new DfsStrategy(bound));
  const cut = !plain.exhausted || !reduced.exhausted ? ' (a search was cut: not comparable)' : '';
  console.log(`| ${model} | ${JSON.stringify(params)} | ${bound} | ${fmt(plain)} | ${fmt(reduced)} | ${missing(plain.outcomes, reduced.outcomes).length}${cut} | ${fmt(tso)} | ${tso.exhausted && plain.exhausted ? missing(plain.outcomes, tso.outcomes).length : 'n/a (cut)'} |`);
}
