/**
 * The `virtio-verify` command (DESIGN.md section 5). Exit codes: 0 no violation (or, for suites,
 * every variant as expected), 1 a violation (or a variant not as expected), 2 bad usage or input,
 * 3 incomplete where --require-complete asked for completeness.
 */
import { parseArgs } from 'node:util';
import { MODELS, findModel } from '../models/index.ts';
import { check, type CheckOptions, type CheckReport } from './check.ts';
import { parseChoice, parseDuration, parseInteger, parseParams, parseShard } from './cli-args.ts';
import { UsageError } from './core/model.ts';
import { ENGINE_KINDS } from './engine/engine.ts';
import { HARNESS_INVARIANTS } from './explore/execution.ts';
import { STRATEGY_NAMES } from './explore/strategies.ts';
import { loadCounterexample } from './report/counterexample.ts';
import { saveMatrices, verdictMatrix } from './report/matrix.ts';
import { renderTrace, table, wrap } from './report/text.ts';
import { replay } from './replay.ts';
import { loadShardResult, mergeShards, type Merged, type ShardResult } from './merge.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nightlyCommand } from './nightly/command.ts';
import { corpusCommand, fuzzCommand } from './fuzz/command.ts';
import { validateCommand } from './validate.ts';

const USAGE = `usage: virtio-verify <command> [options]

  list                          models, variants, expected verdicts, invariants
  check <model> [options]       explore one variant (default: reference)
  check <model> --all-variants  every variant of a model, against its expected verdict
  check --all                   every variant of every model (the main job)
  replay <file.json>            re-run a saved counterexample and print its trace
  merge <shard.json>...         merge the --json results of a sharded check into one verdict
  nightly [options]             the CI suite within a budget, reports in reports/ (docs/nightly.md)
  fuzz <target> [options]       fuzz message streams (docs/fuzzing.md): transport-msg-device, transport-msg-driver
  corpus show FILE              decode a saved message stream (corpus/msg/, reports/fuzz/)
  validate --impl FILE --role R --scheme M [options]
                                your driver or device in place of ours: a conformance report (docs/third-party.md)

check options:
  --variant V          variant to check (see list)
  --engine E           inline (default, fastest) or threads (actors in worker threads)
  --strategy S         dfs (default: every schedule, fewest preemptions first), random, pct
  --memory M           sc (default)
  --preemptions N      preemption bound for dfs (default: the model's)
  --no-reduction       dfs without partial-order reduction (for comparison; tso always runs without)
  --state-hashing      dfs prunes states it has seen (memory, actors' histories, oracle state) and reports distinct states
  --shard i/n          explore only shard i of n (deterministic split; sharded dfs runs without reduction)
  --workers N          split the search over N processes on this machine and merge their results
  --budget T           stop after T (500ms, 30s, 10m); the report then says incomplete
  --seed N             seed for random and pct (default 1)
  --executions N       executions for random and pct (default: until the budget, or 1000)
  --depth D            bug depth for pct (default 3); the per-run probability bound is printed
  --param k=v          model parameter, repeatable (see list)
  --require-complete   exit 3 when the bounded space was not covered completely
  --out DIR            where reports/ and corpus/ go (default: the current directory)
  --json               one JSON document on stdout
replay options: --engine E, --json
validate options: --impl FILE|"COMMAND ARGS" (a .mjs/.js/.ts module, C (.c) or WebAssembly (.wasm), or a command speaking virtio-msg on stdin/stdout),
  --role driver|device, --scheme M, --engine inline|threads (C: inline by default; modules: threads only), --step-timeout T (default 2s),
  --memory-limit MB (heap of a module's worker, address space of a command), --out DIR (where reports/counterexamples go),
  and --strategy, --memory, --preemptions, --budget, --seed, --executions, --depth, --param, --json, --require-complete as for check
nightly options: --config FILE, --budget T (default 10m), --shard i/n, --out DIR, --json, --require-complete
fuzz options: --variant V, --seed N, --time T (default 60s), --engine builtin|jsfuzz, --corpus DIR, --differential, --no-seeds, --out DIR, --json`;

const OPTIONS = {
  variant: { type: 'string' },
  engine: { type: 'string' },
  strategy: { type: 'string' },
  memory: { type: 'string' },
  preemptions: { type: 'string' },
  budget: { type: 'string' },
  seed: { type: 'string' },
  executions: { type: 'string' },
  depth: { type: 'string' },
  param: { type: 'string', multiple: true },
  'require-complete': { type: 'boolean' },
  'no-reduction': { type: 'boolean' },
  'state-hashing': { type: 'boolean' },
  workers: { type: 'string' },
  'all-variants': { type: 'boolean' },
  all: { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  shard: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  time: { type: 'string' },
  corpus: { type: 'string' },
  differential: { type: 'boolean' },
  'no-seeds': { type: 'boolean' },
  impl: { type: 'string' },
  role: { type: 'string' },
  scheme: { type: 'string' },
  'step-timeout': { type: 'string' },
  'memory-limit': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs explains at length; the first sentence names the culprit.
    throw new UsageError(`${(e as Error).message.split('. ')[0]} (see virtio-verify --help)`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    out(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  switch (command) {
    case 'list': return list(values, out);
    case 'check': return checkCommand(rest, values, out, argv);
    case 'replay': return replayCommand(rest, values, out);
    case 'merge': return mergeCommand(rest, values, out);
    case 'nightly': return nightlyCommand(rest, values, out);
    case 'fuzz': return fuzzCommand(rest, values, out);
    case 'corpus': return corpusCommand(rest, values, out);
    case 'validate': return validateCommand(rest, values, out);
    default: throw new UsageError(`unknown command ${command} (commands: list, check, replay, merge, nightly, validate; see virtio-verify --help)`);
  }
}

function list(values: Values, out: (s: string) => void): number {
  const models = MODELS.map((m) => ({
    name: m.name,
    summary: m.summary,
    defaultPreemptions: m.defaultPreemptions,
    params: m.params,
    invariants: [...m.invariants, ...HARNESS_INVARIANTS],
    variants: m.variants,
    guarantees: m.guarantees ?? [],
  }));
  if (values.json) {
    out(JSON.stringify({ models }, null, 1));
    return 0;
  }
  for (const m of models) {
    out(`${m.name}: ${m.summary}`);
    out(`  parameters: ${m.params.map((p) => `${p.name}=${p.default} (${p.description})`).join('; ')}`);
    out('  invariants:');
    for (const i of m.invariants) out(`    ${i.name} [${i.kind}]: ${i.protects}`);
    out('  variants:');
    for (const v of m.variants) {
      const expect = v.expect.verdict === 'passed' ? 'passes' : `violates ${v.expect.invariant}${v.expect.memory ? ` under ${v.expect.memory}` : ''}`;
      out(`    ${v.name} (${expect})${v.recreates ? ` [recreates ${v.recreates}]` : ''}`);
      out(wrap(v.description, '      '));
    }
    if (m.guarantees.length) {
      out('  what the reference guarantees:');
      for (const g of m.guarantees) out(wrap(g, '    '));
    }
    out('');
  }
  return 0;
}

function checkOptions(values: Values): Omit<CheckOptions, 'model' | 'variant'> {
  return {
    params: parseParams(values.param),
    engine: parseChoice(values.engine, 'engine', ENGINE_KINDS),
    strategy: parseChoice(values.strategy, 'strategy', STRATEGY_NAMES),
    memory: parseChoice(values.memory, 'memory model', ['sc', 'tso'] as const),
    preemptions: parseInteger(values.preemptions, '--preemptions'),
    budgetMs: values.budget === undefined ? undefined : parseDuration(values.budget, '--budget'),
    seed: parseInteger(values.seed, '--seed'),
    executions: parseInteger(values.executions, '--executions', 1) ?? ((values.strategy === 'random' || values.strategy === 'pct') && values.budget === undefined ? 1000 : undefined),
    depth: parseInteger(values.depth, '--depth', 1),
    reduction: values['no-reduction'] ? false : undefined,
    stateHashing: values['state-hashing'] ? true : undefined,
    shard: values.shard === undefined ? undefined : parseShard(values.shard),
    root: values.out ?? process.cwd(),
  };
}

async function checkCommand(args: readonly string[], values: Values, out: (s: string) => void, argv: readonly string[]): Promise<number> {
  const options = checkOptions(values);
  const workers = parseInteger(values.workers, '--workers', 1);
  if (workers !== undefined && workers > 1) {
    if (values.all || values['all-variants'] || values.shard) throw new UsageError('--workers splits one check; it cannot be combined with --all, --all-variants or --shard');
    return workersCommand(argv, workers, values, out);
  }
  if (values.all || values['all-variants']) {
    if (values.variant) throw new UsageError('--variant cannot be combined with --all or --all-variants');
    if (values.all && args.length) throw new UsageError('check --all takes no model name');
    const models = values.all ? MODELS : [findModel(needModel(args))];
    const reports: CheckReport[] = [];
    for (const m of models) {
      for (const v of m.variants) reports.push(await check({ ...options, model: m.name, variant: v.name }));
    }
    return suiteOutput(reports, values, out);
  }
  const report = await check({ ...options, model: needModel(args), variant: values.variant });
  if (values.json) out(JSON.stringify(jsonOf(report), null, 1));
  else out(renderReport(report, values.out));
  if (report.verdict === 'violated') return 1;
  return values['require-complete'] && !report.complete ? 3 : 0;
}

function needModel(args: readonly string[]): string {
  if (args.length !== 1) throw new UsageError(`check needs one model name (models: ${MODELS.map((m) => m.name).join(', ')})`);
  return args[0];
}

function jsonOf(r: CheckReport) {
  return {
    model: r.model, variant: r.variant, verdict: r.verdict, complete: r.complete, executions: r.executions, seconds: r.seconds,
    invariant: r.invariant, counterexample: r.files?.[0], message: r.counterexample?.message, shrink: r.counterexample?.stats,
    expected: r.expect, asExpected: r.asExpected, steps: r.steps, budgetExhausted: r.budgetExhausted, coverage: r.coverage,
    engine: r.engine, strategy: r.strategy, reduction: r.reduction, memory: r.memory, seed: r.seed, preemptions: r.preemptions, params: r.params, shard: r.shard,
  };
}

function expectation(r: CheckReport): string {
  return r.expect.verdict === 'passed' ? 'passes' : `violates ${r.expect.invariant}`;
}

function renderReport(r: CheckReport, outDir: string | undefined): string {
  const how = `${r.strategy}${r.reduction ? ' with partial-order reduction' : ''}, ${r.engine} engine, memory ${r.memory}: ${r.executions} executions, ${r.steps} steps, ${r.seconds.toFixed(2)} s`;
  const lines: string[] = [];
  if (r.verdict === 'passed') {
    const scope = r.complete ? `complete: ${r.coverage.space}` : `INCOMPLETE${r.budgetExhausted ? ' (budget exhausted)' : ''}: ${r.coverage.space}`;
    lines.push(`${r.model}/${r.variant}: PASSED, ${scope} (${how})`);
  } else {
    const c = r.counterexample!;
    lines.push(`${r.model}/${r.variant}: VIOLATED ${r.invariant} (${how})`, '', wrap(c.message), '', renderTrace(c.trace), '');
    const st = c.stats;
    if (st?.originalSteps !== undefined) {
      lines.push(`shrunk from ${st.originalSteps} steps and ${st.originalPreemptions} preemptions to ${st.steps} steps and ${st.preemptions} preemptions (${st.shrinkRuns} runs)`);
    }
    if (r.files) {
      lines.push(`counterexample: ${r.files[0]} (copy: ${r.files[1]})`);
      const rel = outDir ? r.files[0] : r.files[0].replace(`${process.cwd()}/`, '');
      lines.push(`replay: npx virtio-verify replay ${rel}`);
    }
  }
  if (!r.asExpected) lines.push(`note: this variant is expected to ${expectation(r)}`);
  return lines.join('\n');
}

function suiteOutput(reports: readonly CheckReport[], values: Values, out: (s: string) => void): number {
  const failing = reports.filter((r) => !r.asExpected);
  const incomplete = reports.filter((r) => r.verdict === 'passed' && !r.complete);
  if (values.json) {
    out(JSON.stringify({ ok: failing.length === 0, results: reports.map(jsonOf) }, null, 1));
  } else {
    out(table([
      ['model', 'variant', 'expected', 'verdict', 'complete', 'executions', 'seconds', 'as expected'],
      ...reports.map((r) => [
        r.model, r.variant, expectation(r), r.verdict === 'passed' ? 'passed' : `violated ${r.invariant}`,
        r.verdict === 'violated' ? '-' : r.complete ? 'yes' : 'NO', String(r.executions), r.seconds.toFixed(2), r.asExpected ? 'yes' : 'NO',
      ]),
    ]));
    out('');
    out(failing.length === 0
      ? `all ${reports.length} variants gave their expected verdict${incomplete.length ? ` (${incomplete.length} passed incompletely)` : ''}`
      : `${failing.length} of ${reports.length} variants did not give their expected verdict: ${failing.map((r) => `${r.model}/${r.variant}`).join(', ')}`);
    const files = reports.filter((r) => r.files).length;
    if (files) out(`${files} counterexamples written under ${values.out ?? '.'}/reports/counterexamples (replay any with: npx virtio-verify replay FILE)`);
    const matrices = MODELS.filter((m) => reports.some((r) => r.model === m.name)).map((m) => verdictMatrix(m, reports));
    for (const m of matrices) {
      out('');
      out(`${m.model}: variant x invariant`);
      out(table([['variant', ...m.invariants], ...m.rows.map((r) => [r.variant, ...r.cells])]));
    }
    out('');
    out(`verdict matrix (Markdown): ${saveMatrices(matrices, values.out ?? process.cwd())}`);
  }
  if (failing.length) return 1;
  return values['require-complete'] && incomplete.length ? 3 : 0;
}

async function replayCommand(args: readonly string[], values: Values, out: (s: string) => void): Promise<number> {
  if (args.length !== 1) throw new UsageError('replay needs one counterexample file');
  const c = loadCounterexample(args[0]);
  const r = await replay(c, parseChoice(values.engine, 'engine', ENGINE_KINDS));
  if (values.json) {
    out(JSON.stringify({ file: args[0], model: c.model, variant: c.variant, ...r }, null, 1));
  } else {
    const who = c.implementation ? `${c.model} with ${c.implementation.impl} as the ${c.implementation.role}` : `${c.model}/${c.variant}`;
    out(`${who} replayed on the ${r.engine} engine: ${r.reproduced ? `VIOLATED ${r.invariant} again` : r.invariant ? `violated ${r.invariant} instead of ${c.invariant}` : `no violation of ${c.invariant} any more`}`);
    if (r.message) out(`\n${wrap(r.message)}\n`);
    if (r.trace.length) out(renderTrace(r.trace));
    out(r.sameTrace ? '\ntrace identical to the one in the file' : `\nthe trace differs from the file's: ${r.difference}`);
  }
  return r.invariant ? 1 : 0;
}

function mergedOutput(m: Merged, values: Values, out: (s: string) => void): number {
  if (values.json) out(JSON.stringify(m, null, 1));
  else {
    out(`${m.model}/${m.variant} over ${m.shards} shards: ${m.verdict === 'violated' ? `VIOLATED ${m.invariant}` : `PASSED${m.complete ? ', complete' : ', INCOMPLETE'}`} (${m.executions} executions, ${m.steps} steps, ${m.seconds.toFixed(2)} s for the slowest shard)`);
    for (const v of m.violations) out(`  shard ${v.shard}: violated ${v.invariant}${v.counterexample ? `, counterexample ${v.counterexample}` : ''}`);
  }
  if (m.verdict === 'violated') return 1;
  return values['require-complete'] && !m.complete ? 3 : 0;
}

async function mergeCommand(args: readonly string[], values: Values, out: (s: string) => void): Promise<number> {
  if (args.length === 0) throw new UsageError('merge needs the --json results of the shards');
  return mergedOutput(mergeShards(args.map(loadShardResult)), values, out);
}

/** Runs the same check as N shard processes side by side (one per core) and merges them. */
async function workersCommand(argv: readonly string[], workers: number, values: Values, out: (s: string) => void): Promise<number> {
  const bin = fileURLToPath(new URL('../bin/virtio-verify.js', import.meta.url));
  const base: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workers') { i++; continue; }
    if (argv[i].startsWith('--workers=') || argv[i] === '--json') continue;
    base.push(argv[i]);
  }
  const runs = Array.from({ length: workers }, (_, k) => new Promise<ShardResult>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...base, '--shard', `${k + 1}/${workers}`, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => {
      if (code === 0 || code === 1 || code === 3) {
        try { resolve(JSON.parse(stdout) as ShardResult); return; } catch { /* fall through */ }
      }
      reject(new UsageError(`worker ${k + 1}/${workers} failed (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  }));
  return mergedOutput(mergeShards(await Promise.all(runs)), values, out);
}
