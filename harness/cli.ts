/**
 * The `virtio-verify` command (DESIGN.md section 5). The command line is checked against the
 * option table (cli/options.ts) before anything runs. Exit codes: 0 no violation (or, for suites,
 * every variant as expected), 1 a violation (or a variant not as expected), 2 bad usage or input,
 * 3 interrupted (SIGINT, SIGTERM: what was found so far is printed), or incomplete where
 * --require-complete asked for completeness.
 */
import { MODELS, findModel } from '../models/index.ts';
import { check, type CheckOptions, type CheckReport } from './check.ts';
import { parseChoice, parseDuration, parseInteger, parseParams, parseShard } from './cli-args.ts';
import { UsageError } from './core/model.ts';
import { ENGINE_KINDS } from './engine/engine.ts';
import { HARNESS_INVARIANTS } from './explore/execution.ts';
import { reduces, STRATEGY_NAMES } from './explore/strategies.ts';
import { loadCounterexample } from './report/counterexample.ts';
import { saveMatrices, verdictMatrix } from './report/matrix.ts';
import { renderTrace, table, wrap } from './report/text.ts';
import { goalLines, missedGoals, missedSuffix } from './oracle/coverage-goals.ts';
import { replay } from './replay.ts';
import { loadShardResult, mergeShards, type Merged, type ShardResult } from './merge.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nightlyCommand } from './nightly/command.ts';
import { corpusCommand, fuzzCommand } from './fuzz/command.ts';
import { validateCommand } from './validate.ts';
import { commandHelp, globalHelp, version } from './cli/help.ts';
import { COMMANDS, parseCommandLine } from './cli/options.ts';
import { INTERRUPTED_EXIT, track, type Interrupt } from './core/interrupt.ts';
import { counterexampleFinding, writeSarif, type Finding } from './report/sarif.ts';
import { rateText, reachText, StatusLine, type Stream } from './report/status-line.ts';

/** What main() uses from its process (the command line gives the real ones; tests, none). */
export interface CliContext {
  /** SIGINT/SIGTERM of the process: long commands stop on its signal and say they were interrupted. */
  readonly interrupt?: Interrupt;
  /** Where progress goes (stderr). */
  readonly stderr?: Stream;
}

/** The values of the command line, as the option table (cli/options.ts) checked them. */
interface Values {
  readonly [name: string]: string | boolean | readonly string[] | undefined;
  readonly variant?: string; readonly engine?: string; readonly strategy?: string; readonly memory?: string;
  readonly preemptions?: string; readonly budget?: string; readonly seed?: string; readonly executions?: string;
  readonly depth?: string; readonly param?: readonly string[]; readonly 'require-complete'?: boolean;
  readonly 'require-coverage'?: boolean;
  readonly 'no-reduction'?: boolean; readonly reduction?: boolean; readonly 'state-hashing'?: boolean; readonly workers?: string;
  readonly 'all-variants'?: boolean; readonly all?: boolean; readonly out?: string; readonly json?: boolean;
  readonly shard?: string; readonly 'save-corpus'?: string; readonly sarif?: string;
}

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`), ctx: CliContext = {}): Promise<number> {
  const line = parseCommandLine(argv);
  if (line.version) { out(version()); return 0; }
  if (!line.command) {
    if (line.help) { out(globalHelp()); return 0; }
    throw new UsageError(`which command? (${COMMANDS.map((c) => c.name).join(', ')}; see virtio-verify --help)`);
  }
  if (line.help) { out(commandHelp(line.command)); return 0; }
  const values = line.values as Values;
  const rest = line.positionals;
  const signal = ctx.interrupt?.signal;
  switch (line.command.name) {
    case 'list': return list(values, out);
    case 'check': return checkCommand(rest, values, out, argv, ctx);
    case 'replay': return replayCommand(rest, values, out, signal);
    case 'merge': return mergeCommand(rest, values, out);
    case 'nightly': return nightlyCommand(rest, values, out, { interrupt: ctx.interrupt, signals: false, stderr: ctx.stderr });
    case 'fuzz': return fuzzCommand(rest, values, out, signal);
    case 'corpus': return corpusCommand(rest, values, out);
    case 'validate': return validateCommand(rest, values, out, { signal, stderr: ctx.stderr });
    default: throw new Error(`command ${line.command.name} is in the option table but has no implementation`);
  }
}

function list(values: Values, out: (s: string) => void): number {
  const models = MODELS.map((m) => ({
    name: m.name,
    summary: m.summary,
    defaultPreemptions: m.defaultPreemptions,
    defaultPreemptionsBuffered: m.defaultPreemptionsBuffered ?? m.defaultPreemptions,
    params: m.params,
    invariants: [...m.invariants, ...HARNESS_INVARIANTS],
    variants: m.variants,
    guarantees: m.guarantees ?? [],
    goals: (m.goals?.list ?? []).map((g) => ({ name: g.name, description: g.description })),
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
    if (m.goals.length) {
      out('  coverage goals (situations every default run reaches; --require-coverage exits 3 when one is missed):');
      for (const g of m.goals) out(wrap(`${g.name}: ${g.description}`, '    '));
    }
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
    memory: parseChoice(values.memory, 'memory model', ['sc', 'tso', 'weak'] as const),
    preemptions: parseInteger(values.preemptions, '--preemptions'),
    budgetMs: values.budget === undefined ? undefined : parseDuration(values.budget, '--budget'),
    seed: parseInteger(values.seed, '--seed'),
    executions: parseInteger(values.executions, '--executions', 1) ?? ((values.strategy === 'random' || values.strategy === 'pct') && values.budget === undefined ? 1000 : undefined),
    depth: parseInteger(values.depth, '--depth', 1),
    reduction: values['no-reduction'] ? false : values.reduction ? true : undefined,
    stateHashing: values['state-hashing'] ? true : undefined,
    shard: values.shard === undefined ? undefined : parseShard(values.shard),
    root: values.out ?? process.cwd(),
    corpus: values['save-corpus'],
  };
}

async function checkCommand(args: readonly string[], values: Values, out: (s: string) => void, argv: readonly string[], ctx: CliContext): Promise<number> {
  const options = { ...checkOptions(values), signal: ctx.interrupt?.signal };
  const status = new StatusLine(ctx.stderr ?? process.stderr);
  const workers = parseInteger(values.workers, '--workers', 1);
  if (workers !== undefined && workers > 1) {
    const def = findModel(needModel(args));
    if (options.reduction === undefined && (options.strategy ?? 'dfs') === 'dfs' && reduces({ memory: options.memory, modelDefault: def.reduction })) {
      throw new UsageError(`--workers splits the plain search, without the partial-order reduction ${def.name} uses by default under ${options.memory ?? 'sc'} (one reduced process explores far fewer executions): add --no-reduction to split the plain search, or drop --workers`);
    }
    return workersCommand(argv, workers, values, out, ctx);
  }
  if (values.all || values['all-variants']) {
    const models = values.all ? MODELS : [findModel(needModel(args))];
    // Without --memory, each variant runs under the memory model it is about: a mutant that only a
    // weaker model exposes (a missing barrier) runs under that model, so the main job shows it caught.
    const all = models.flatMap((m) => m.variants.map((v) => ({
      model: m.name, variant: v.name, memory: options.memory ?? (v.expect.verdict === 'violated' ? v.expect.memory : undefined) ?? 'sc',
    })));
    const reports: CheckReport[] = [];
    for (const [k, { model, variant, memory }] of all.entries()) {
      if (options.signal?.aborted) break;
      const label = `[${k + 1}/${all.length}] ${model}/${variant}`;
      status.show(`${label}: starting`);
      reports.push(await check({ ...options, model, variant, memory, onProgress: (p) => status.show(`${label}: ${rateText(p.executions, p.seconds)}${withReach(p.coverage)}`) }));
    }
    status.clear();
    const notRun = all.slice(reports.length).map((x) => `${x.model}/${x.variant}`);
    return suiteOutput(reports, notRun, values, out, ctx);
  }
  const model = needModel(args);
  const report = await check({ ...options, model, variant: values.variant, onProgress: (p) => status.show(`check ${model}/${values.variant ?? 'reference'}: ${rateText(p.executions, p.seconds)}${withReach(p.coverage)}`) });
  status.clear();
  if (values.sarif) writeSarif(values.sarif, checkFindings([report]), `virtio-verify ${argv.join(' ')}`);
  if (values.json) out(JSON.stringify(jsonOf(report), null, 1));
  else out(renderReport(report, values.out, ctx));
  if (report.verdict === 'violated') return 1;
  if (report.interrupted) return INTERRUPTED_EXIT;
  if (values['require-coverage'] && missedGoals(report.goals).length) return 3;
  return values['require-complete'] && !report.complete ? 3 : 0;
}

function withReach(c: Parameters<typeof reachText>[0]): string {
  const t = reachText(c);
  return t ? ` · ${t}` : '';
}

function checkFindings(reports: readonly CheckReport[]): Finding[] {
  return reports.filter((r) => r.counterexample).map((r) => {
    const inv = findModel(r.model).invariants.find((i) => i.name === r.invariant) ?? HARNESS_INVARIANTS.find((i) => i.name === r.invariant);
    return counterexampleFinding(r.counterexample!, { expected: r.asExpected, protects: inv?.protects, file: r.files?.[0] && shownPath(r.files[0]) });
  });
}

function needModel(args: readonly string[]): string {
  if (args.length !== 1) throw new UsageError(`check needs one model name (models: ${MODELS.map((m) => m.name).join(', ')})`);
  return args[0];
}

function jsonOf(r: CheckReport) {
  return {
    model: r.model, variant: r.variant, verdict: r.verdict, complete: r.complete, interrupted: r.interrupted, executions: r.executions, seconds: r.seconds,
    invariant: r.invariant, counterexample: r.files?.[0], corpusFile: r.corpusFile, message: r.counterexample?.message, shrink: r.counterexample?.stats,
    expected: r.expect, asExpected: r.asExpected, steps: r.steps, budgetExhausted: r.budgetExhausted, coverage: r.coverage,
    goals: r.goals, goalsMissed: missedGoals(r.goals),
    engine: r.engine, strategy: r.strategy, reduction: r.reduction, memory: r.memory, seed: r.seed, preemptions: r.preemptions, params: r.params, shard: r.shard,
  };
}

function expectation(r: CheckReport): string {
  return r.expect.verdict === 'passed' ? 'passes' : `violates ${r.expect.invariant}`;
}

/** A path as the output shows it: relative to the working directory when inside it. */
function shownPath(p: string): string {
  return p.startsWith(`${process.cwd()}/`) ? p.slice(process.cwd().length + 1) : p;
}

function renderReport(r: CheckReport, outDir: string | undefined, ctx: CliContext): string {
  const how = `${r.strategy}${r.reduction ? ' with partial-order reduction' : ''}, ${r.engine} engine, memory ${r.memory}: ${r.executions} executions, ${r.steps} steps, ${r.seconds.toFixed(2)} s`;
  const lines: string[] = [];
  if (r.verdict === 'passed') {
    const scope = r.interrupted
      ? `INTERRUPTED${ctx.interrupt?.received ? ` by ${ctx.interrupt.received}` : ''}, no violation so far: ${r.coverage.space}`
      : r.complete ? `complete: ${r.coverage.space}` : `INCOMPLETE${r.budgetExhausted ? ' (budget exhausted)' : ''}: ${r.coverage.space}`;
    lines.push(`${r.model}/${r.variant}: ${r.interrupted ? '' : 'PASSED, '}${scope}${missedSuffix(r.goals)} (${how})`);
  } else {
    const c = r.counterexample!;
    lines.push(`${r.model}/${r.variant}: VIOLATED ${r.invariant} (${how})`, '', wrap(c.message), '', renderTrace(c.trace), '');
    const st = c.stats;
    if (st?.originalSteps !== undefined) {
      lines.push(`shrunk from ${st.originalSteps} steps and ${st.originalPreemptions} preemptions to ${st.steps} steps and ${st.preemptions} preemptions (${st.shrinkRuns} runs)`);
    }
    if (r.files) {
      lines.push(`counterexample: ${r.files[0]}`);
      if (r.corpusFile) lines.push(r.corpusFile.added ? `added to the corpus: ${r.corpusFile.path}` : `already in the corpus: ${r.corpusFile.path} (the same schedule; left as it is)`);
      lines.push(`replay: npx virtio-verify replay ${outDir ? r.files[0] : shownPath(r.files[0])}`);
    }
  }
  if (r.goals.length) lines.push('', 'coverage goals:', ...goalLines(r.goals, r.executions));
  if (r.livelock) lines.push(`also VIOLATED no-livelock (execution ${r.livelock.execution}): ${r.livelock.message}`);
  if (!r.asExpected && !r.interrupted) lines.push(`note: this variant is expected to ${expectation(r)}`);
  return lines.join('\n');
}

function suiteOutput(reports: readonly CheckReport[], notRun: readonly string[], values: Values, out: (s: string) => void, ctx: CliContext): number {
  // A variant cut short by the signal is neither as expected nor not.
  const failing = reports.filter((r) => !r.asExpected && !(r.interrupted && r.verdict === 'passed'));
  const interrupted = reports.some((r) => r.interrupted) || notRun.length > 0;
  const incomplete = reports.filter((r) => r.verdict === 'passed' && !r.complete);
  if (values.sarif) writeSarif(values.sarif, checkFindings(reports), `virtio-verify check ${values.all ? '--all' : '--all-variants'}`);
  if (values.json) {
    out(JSON.stringify({ ok: failing.length === 0 && !interrupted, interrupted, results: reports.map(jsonOf), notRun }, null, 1));
  } else {
    out(table([
      ['model', 'variant', 'memory', 'expected', 'verdict', 'complete', 'executions', 'seconds', 'as expected'],
      ...reports.map((r) => [
        r.model, r.variant, r.memory, expectation(r), r.verdict === 'passed' ? (r.interrupted ? 'interrupted' : 'passed') : `violated ${r.invariant}`,
        r.verdict === 'violated' ? '-' : r.complete ? 'yes' : 'NO', String(r.executions), r.seconds.toFixed(2),
        r.interrupted && r.verdict === 'passed' ? '-' : r.asExpected ? 'yes' : 'NO',
      ]),
    ]));
    out('');
    if (interrupted) out(`INTERRUPTED${ctx.interrupt?.received ? ` by ${ctx.interrupt.received}` : ''}: ${reports.filter((r) => !r.interrupted).length} of ${reports.length + notRun.length} variants checked${notRun.length ? `; not run: ${notRun.join(', ')}` : ''}`);
    out(failing.length === 0
      ? `${interrupted ? 'so far, ' : ''}all ${reports.length} variants gave their expected verdict${incomplete.length ? ` (${incomplete.length} passed incompletely)` : ''}`
      : `${failing.length} of ${reports.length} variants did not give their expected verdict: ${failing.map((r) => `${r.model}/${r.variant}`).join(', ')}`);
    const files = reports.filter((r) => r.files).length;
    if (files) out(`${files} counterexamples written under ${values.out ?? '.'}/reports/counterexamples (replay any with: npx virtio-verify replay FILE)`);
    const added = reports.filter((r) => r.corpusFile?.added).length;
    if (values['save-corpus']) out(`corpus ${values['save-corpus']}: ${added} new counterexamples added, ${reports.filter((r) => r.corpusFile && !r.corpusFile.added).length} already there`);
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
  if (interrupted) return INTERRUPTED_EXIT;
  if (values['require-coverage'] && reports.some((r) => r.verdict === 'passed' && missedGoals(r.goals).length)) return 3;
  return values['require-complete'] && incomplete.length ? 3 : 0;
}

async function replayCommand(args: readonly string[], values: Values, out: (s: string) => void, signal: AbortSignal | undefined): Promise<number> {
  if (args.length !== 1) throw new UsageError('replay needs one counterexample file');
  const c = loadCounterexample(args[0]);
  const r = await replay(c, parseChoice(values.engine, 'engine', ENGINE_KINDS), signal);
  if (values.json) {
    out(JSON.stringify({ file: args[0], model: c.model, variant: c.variant, ...r }, null, 1));
  } else {
    const who = c.implementation ? `${c.model} with ${c.implementation.impl} as the ${c.implementation.role}` : `${c.model}/${c.variant}`;
    if (r.interrupted) out(`${who}: the replay on the ${r.engine} engine was INTERRUPTED before the schedule ended`);
    else out(`${who} replayed on the ${r.engine} engine: ${r.reproduced ? `VIOLATED ${r.invariant} again` : r.invariant ? `violated ${r.invariant} instead of ${c.invariant}` : `no violation of ${c.invariant} any more`}`);
    if (r.message) out(`\n${wrap(r.message)}\n`);
    if (r.trace.length) out(renderTrace(r.trace));
    if (!r.interrupted) out(r.sameTrace ? '\ntrace identical to the one in the file' : `\nthe trace differs from the file's: ${r.difference}`);
  }
  if (r.invariant) return 1;
  return r.interrupted ? INTERRUPTED_EXIT : 0;
}

function mergedOutput(m: Merged, values: Values, out: (s: string) => void): number {
  if (values.json) out(JSON.stringify(m, null, 1));
  else {
    const verdict = m.verdict === 'violated' ? `VIOLATED ${m.invariant}` : m.interrupted ? 'INTERRUPTED, no violation so far' : `PASSED${m.complete ? ', complete' : ', INCOMPLETE'}`;
    out(`${m.model}/${m.variant} over ${m.shards} shards: ${verdict} (${m.executions} executions, ${m.steps} steps, ${m.seconds.toFixed(2)} s for the slowest shard)`);
    for (const v of m.violations) out(`  shard ${v.shard}: violated ${v.invariant}${v.counterexample ? `, counterexample ${v.counterexample}` : ''}`);
  }
  if (m.verdict === 'violated') return 1;
  if (m.interrupted) return INTERRUPTED_EXIT;
  return values['require-complete'] && !m.complete ? 3 : 0;
}

async function mergeCommand(args: readonly string[], values: Values, out: (s: string) => void): Promise<number> {
  if (args.length === 0) throw new UsageError('merge needs the --json results of the shards');
  return mergedOutput(mergeShards(args.map(loadShardResult)), values, out);
}

/**
 * Runs the same check as N shard processes side by side (one per core) and merges them. A signal
 * is passed on to the shards (each stops and prints what it found so far); a shard whose parent is
 * gone stops by itself (VIRTIO_VERIFY_PARENT, see main.ts).
 */
async function workersCommand(argv: readonly string[], workers: number, values: Values, out: (s: string) => void, ctx: CliContext): Promise<number> {
  const bin = fileURLToPath(new URL('../bin/virtio-verify.js', import.meta.url));
  const base: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workers' || argv[i] === '--sarif') { i++; continue; }
    if (argv[i].startsWith('--workers=') || argv[i].startsWith('--sarif=') || argv[i] === '--json') continue;
    base.push(argv[i]);
  }
  const signal = ctx.interrupt?.signal;
  const runs = Array.from({ length: workers }, (_, k) => new Promise<ShardResult | undefined>((resolve, reject) => {
    const child = track(spawn(process.execPath, [bin, ...base, '--shard', `${k + 1}/${workers}`, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIRTIO_VERIFY_PARENT: String(process.pid) },
    }));
    const stop = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', stop, { once: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      if (code === 0 || code === 1 || code === 3) {
        try { resolve(JSON.parse(stdout) as ShardResult); return; } catch { /* fall through */ }
      }
      // Stopped before it could say anything: the merge is incomplete without it.
      if (signal?.aborted) { resolve(undefined); return; }
      reject(new UsageError(`worker ${k + 1}/${workers} failed (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  }));
  const results = (await Promise.all(runs)).filter((r): r is ShardResult => r !== undefined);
  if (results.length === 0) {
    out(values.json ? JSON.stringify({ interrupted: true, shards: 0 }) : 'interrupted before any shard reported');
    return INTERRUPTED_EXIT;
  }
  const merged = mergeShards(results);
  return mergedOutput(signal?.aborted && !merged.interrupted ? { ...merged, interrupted: true, complete: false } : merged, values, out);
}
