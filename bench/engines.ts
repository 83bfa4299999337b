/**
 * Visible steps per second and executions per second of each engine on config-gencount, the
 * figures bench/RESULTS.md compares with the machine's limits (DESIGN.md section 3).
 *
 *   npx tsx bench/engines.ts [--repeat 3]
 *
 * Exhaustive: dfs over the reference at its default bound (every schedule with at most 2
 * preemptions), oracles on. Random: 2,000 random schedules of the same model.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createEngine } from '../harness/engine/create.ts';
import type { EngineKind } from '../harness/engine/engine.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';
import { RandomStrategy } from '../harness/explore/random.ts';
import type { Strategy } from '../harness/explore/strategy.ts';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, model: { type: 'string', default: 'config-gencount' } } });
const repeat = Number(values.repeat);
const model = values.model!;

async function measure(engine: EngineKind, strategy: () => Strategy, memory: 'sc' | 'tso' = 'sc') {
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const e = await createEngine(engine, { model, variant: 'reference', params: {} }, memory);
    const r = await explore(e, strategy());
    await e.close();
    runs.push(r);
  }
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { executions: best.executions, steps: best.steps, seconds: best.seconds, stepsPerSecond: best.steps / best.seconds, executionsPerSecond: best.executions / best.seconds, usPerStep: (best.seconds * 1e6) / best.steps };
}

const rows: [string, string, Awaited<ReturnType<typeof measure>>][] = [];
for (const engine of ['inline', 'threads'] as const) {
  rows.push([engine, 'dfs, bound 2, sc', await measure(engine, () => new DfsStrategy(2))]);
  rows.push([engine, 'dfs, bound 2, tso', await measure(engine, () => new DfsStrategy(2), 'tso')]);
  rows.push([engine, 'random, 2000 runs', await measure(engine, () => new RandomStrategy(1, 2000))]);
}
console.log(`${model}, best of ${repeat}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| engine | exploration | executions | steps | seconds | steps/s | executions/s | µs/step |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [engine, what, m] of rows) {
  console.log(`| ${engine} | ${what} | ${m.executions} | ${m.steps} | ${m.seconds.toFixed(2)} | ${Math.round(m.stepsPerSecond).toLocaleString('en')} | ${Math.round(m.executionsPerSecond).toLocaleString('en')} | ${m.usPerStep.toFixed(2)} |`);
}
