/**
 * Fuzzing benchmark (issue 6): executions per second of each engine on each target (reference,
 * seeded), and the time each engine needs to find each seeded transport-msg bug from an empty
 * corpus (several seeds, median; a run that finds nothing within its budget counts as "> budget").
 *
 *   npx tsx bench/fuzz.ts [--seeds 3] [--budget 15000] [--rate-time 5000] [--json reports/bench-fuzz.json]
 *
 * Prints a Markdown section for bench/RESULTS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fuzzBuiltin } from '../harness/fuzz/builtin.ts';
import { fuzzJsfuzz } from '../harness/fuzz/jsfuzz.ts';
import { FUZZ_TARGETS } from '../harness/fuzz/targets/index.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const SEEDS = arg('seeds', 3);
const BUDGET = arg('budget', 15_000);
const RATE_TIME = arg('rate-time', 5_000);
const jsonAt = process.argv.indexOf('--json');
const JSON_OUT = jsonAt >= 0 ? process.argv[jsonAt + 1] : 'reports/bench-fuzz.json';

type Engine = 'builtin' | 'jsfuzz';
const ENGINES: Engine[] = ['builtin', 'jsfuzz'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const fmt = (ms: number): string => (Number.isFinite(ms) ? (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`) : `> ${BUDGET / 1000} s`);

async function run(engine: Engine, target: (typeof FUZZ_TARGETS)[number], variant: string, seed: number, timeMs: number, find: boolean) {
  const o = { variant, seed, timeMs, stopOnFinding: find, noSeeds: find };
  return engine === 'builtin' ? fuzzBuiltin(target, o) : fuzzJsfuzz(target, o);
}

const rates: { target: string; engine: Engine; perSecond: number; executions: number }[] = [];
for (const t of FUZZ_TARGETS) {
  for (const engine of ENGINES) {
    const r = await run(engine, t, 'reference', 1, RATE_TIME, false);
    rates.push({ target: t.name, engine, perSecond: Math.round(r.executions / r.seconds), executions: r.executions });
    process.stderr.write(`rate ${t.name} ${engine}: ${Math.round(r.executions / r.seconds)}/s\n`);
  }
}

const finds: { target: string; variant: string; expect?: string; engine: Engine; times: number[]; oracles: string[] }[] = [];
for (const t of FUZZ_TARGETS) {
  for (const v of t.variants.filter((x) => x.expect)) {
    for (const engine of ENGINES) {
      const times: number[] = [];
      const oracles: string[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = await run(engine, t, v.name, seed, BUDGET, true);
        const f = r.findingsList[0];
        times.push(f ? f.afterMs : Infinity);
        oracles.push(f ? f.oracle : '-');
      }
      finds.push({ target: t.name, variant: v.name, expect: v.expect, engine, times, oracles });
      process.stderr.write(`find ${t.name} ${v.name} ${engine}: ${times.map(fmt).join(', ')}\n`);
    }
  }
}

mkdirSync(dirname(JSON_OUT), { recursive: true });
writeFileSync(JSON_OUT, `${JSON.stringify({ seeds: SEEDS, budgetMs: BUDGET, rateTimeMs: RATE_TIME, rates, finds }, (_k, x) => (x === Infinity ? null : x), 1)}\n`);

const out: string[] = [];
out.push('Executions per second (reference variant, built-in seeds, one run of ' + `${RATE_TIME / 1000} s):`, '');
out.push('| target | builtin exec/s | jsfuzz exec/s | builtin / jsfuzz |', '|---|---|---|---|');
for (const t of FUZZ_TARGETS) {
  const b = rates.find((r) => r.target === t.name && r.engine === 'builtin')!;
  const j = rates.find((r) => r.target === t.name && r.engine === 'jsfuzz')!;
  out.push(`| ${t.name} | ${b.perSecond} | ${j.perSecond} | ${j.perSecond ? (b.perSecond / j.perSecond).toFixed(2) : '-'} |`);
}
out.push('', `Time to find each seeded bug from an empty corpus (no seeds), median of ${SEEDS} seeds, budget ${BUDGET / 1000} s per run:`, '');
out.push('| target | variant | oracle | builtin median | builtin runs | jsfuzz median | jsfuzz runs | jsfuzz / builtin |', '|---|---|---|---|---|---|---|---|');
for (const t of FUZZ_TARGETS) {
  for (const v of t.variants.filter((x) => x.expect)) {
    const b = finds.find((f) => f.target === t.name && f.variant === v.name && f.engine === 'builtin')!;
    const j = finds.find((f) => f.target === t.name && f.variant === v.name && f.engine === 'jsfuzz')!;
    const mb = median(b.times);
    const mj = median(j.times);
    const ratio = !Number.isFinite(mj) ? `> ${(BUDGET / Math.max(mb, 1)).toFixed(0)}x` : mb > 0 ? `${(mj / mb).toFixed(1)}x` : '-';
    out.push(`| ${t.name} | ${v.name} | ${v.expect} | ${fmt(mb)} | ${b.times.map(fmt).join(', ')} | ${fmt(mj)} | ${j.times.map(fmt).join(', ')} | ${ratio} |`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
