/**
 * `virtio-verify nightly [--config FILE] [--budget 10m] [--shard i/n] [--out DIR] [--json]
 * [--require-complete]`: the CI suite. Writes reports/nightly.{junit.xml,json,md,html} and the
 * counterexamples under reports/counterexamples. Exit codes: 0 every job as expected, 1 a job not
 * as expected (or an error), 2 bad usage or a bad config, 3 interrupted, or incomplete where
 * completeness was required. SIGINT/SIGTERM stop the run and write the reports of what finished; a
 * second signal writes them at once and exits.
 */
import { join, resolve } from 'node:path';
import { parseDuration } from '../cli-args.ts';
import type { CheckOptions, CheckReport } from '../check.ts';
import { UsageError } from '../core/model.ts';
import { defaultConfig, loadConfig, parseShard } from './config.ts';
import { buildJobs, shardJobs, shown } from './jobs.ts';
import { Progress, type Stream } from './progress.ts';
import { finalize, newRunState, runNightly, type RunState } from './run.ts';
import { jsonSummary, makeReport, writeReports, type NightlyReport, type ReportFiles } from './summary.ts';
import { countsText, headline, isBad } from '../report/nightly-common.ts';

const ALLOWED = new Set(['config', 'budget', 'shard', 'out', 'json', 'require-complete', 'help']);

export interface NightlyDeps {
  /** Where progress goes (stderr). */
  readonly stderr?: Stream;
  /** Tests inject a weakened check here. */
  readonly checkFn?: (o: CheckOptions) => Promise<CheckReport>;
  /** Install SIGINT/SIGTERM handlers (the command line does; in-process tests may not). */
  readonly signals?: boolean;
  readonly cwd?: string;
}

export async function nightlyCommand(args: readonly string[], values: Readonly<Record<string, unknown>>, out: (s: string) => void, deps: NightlyDeps = {}): Promise<number> {
  if (args.length) throw new UsageError(`nightly takes no model name (it runs the suite of --config, or the built-in one), not "${args[0]}"`);
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && !ALLOWED.has(k)) throw new UsageError(`nightly does not take --${k} (put it in the config file: see docs/nightly.md)`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] as string : undefined);
  const cwd = deps.cwd ?? process.cwd();
  const configFile = str('config');
  const config = configFile ? loadConfig(resolve(cwd, configFile), cwd) : defaultConfig(cwd);
  const budget = str('budget');
  const budgetMs = budget !== undefined ? parseDuration(budget, '--budget') : config.budgetMs;
  if (budgetMs <= 0) throw new UsageError('--budget must be more than 0');
  const shardText = str('shard');
  const shard = shardText !== undefined ? parseShard(shardText) : undefined;
  const requireComplete = values['require-complete'] === true || config.requireComplete;
  const root = str('out') !== undefined ? resolve(cwd, str('out')!) : cwd;
  const reportsDir = join(root, 'reports');
  const all = buildJobs(config, cwd);
  const jobs = shardJobs(all, shard);
  const state = newRunState(jobs, budgetMs);
  const stderr = deps.stderr ?? process.stderr;
  const progress = new Progress(stderr);
  const controller = new AbortController();
  const reportOf = (s: RunState) => makeReport(s, { config: configFile, shard, totalJobs: all.length, requireComplete });

  let signalled = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signalled++;
    if (signalled === 1) {
      progress.message(`nightly: ${sig}: stopping, then writing the reports of what finished (${sig} again to stop at once)`);
      controller.abort();
      return;
    }
    // A second signal: the running job may be deep in a long execution; write what there is and go.
    state.interrupted = true;
    finalize(state);
    const report = reportOf(state);
    writeReports(report, reportsDir);
    stderr.write(`nightly: ${sig} again: reports written to ${shown(reportsDir, cwd)}; exit ${report.exitCode}\n`);
    process.exit(report.exitCode);
  };
  const install = deps.signals ?? true;
  if (install) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    await runNightly({ config, jobs, budgetMs, reportsDir, cwd, signal: controller.signal, progress, checkFn: deps.checkFn }, state);
  } finally {
    if (install) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  const report = reportOf(state);
  const files = writeReports(report, reportsDir);
  if (values.json === true) out(JSON.stringify({ ...jsonSummary(report), reports: files }, null, 1));
  else out(textSummary(report, files, cwd));
  return report.exitCode;
}

function textSummary(r: NightlyReport, files: ReportFiles, cwd: string): string {
  const lines = [`nightly: ${headline(r)}`, `  ${countsText(r)}; ${r.seconds.toFixed(1)} s; exit ${r.exitCode}${r.interrupted ? ' (interrupted)' : ''}`];
  const bad = r.results.filter(isBad);
  if (bad.length) {
    lines.push('', 'not as expected:');
    for (const x of bad) {
      lines.push(`  ${x.job.id}: ${x.failure?.message ?? x.summary}`);
      if (x.replayCommand) lines.push(`    replay: ${x.replayCommand}`);
      else if (x.rerunCommand) lines.push(`    re-run: ${x.rerunCommand}`);
    }
  }
  lines.push('', 'reports:', ...Object.values(files).map((f) => `  ${shown(f, cwd)}`));
  return lines.join('\n');
}
