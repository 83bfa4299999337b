/**
 * `virtio-verify nightly [--config FILE] [--budget 10m] [--shard i/n] [--out DIR] [--json]
 * [--require-complete] [--sarif FILE]`: the CI suite. Writes reports/nightly.{junit.xml,json,md,html}
 * (and the SARIF file) and the counterexamples under reports/counterexamples. Exit codes: 0 every
 * job as expected, 1 a job not as expected (or an error), 2 bad usage or a bad config, 3
 * interrupted, or incomplete where completeness was required. SIGINT/SIGTERM stop the running job
 * within a second and write the reports of what finished; a second signal writes them at once and
 * exits 130 (SIGINT) or 143 (SIGTERM).
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
import { nightlyFindings, writeSarif } from '../report/sarif.ts';
import { Interrupt } from '../core/interrupt.ts';

const ALLOWED = new Set(['config', 'budget', 'shard', 'out', 'json', 'require-complete', 'sarif', 'help']);

export interface NightlyDeps {
  /** Where progress goes (stderr). */
  readonly stderr?: Stream;
  /** Tests inject a weakened check here. */
  readonly checkFn?: (o: CheckOptions) => Promise<CheckReport>;
  /** The process's SIGINT/SIGTERM (the command line's): the run stops on it and writes its reports. */
  readonly interrupt?: Interrupt;
  /** Without `interrupt`: install SIGINT/SIGTERM handlers of its own (default true; in-process tests say false). */
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
  const reportOf = (s: RunState) => makeReport(s, { config: configFile, shard, totalJobs: all.length, requireComplete });
  const sarif = str('sarif');
  const write = (report: NightlyReport) => {
    const files = writeReports(report, reportsDir);
    if (sarif !== undefined) writeSarif(resolve(cwd, sarif), nightlyFindings(report), `virtio-verify nightly${configFile ? ` --config ${configFile}` : ''}${shard ? ` --shard ${shard.index}/${shard.count}` : ''}`, cwd);
    return files;
  };

  // The command line passes its interrupt; on its own (deps.signals) the command installs one.
  const own = deps.interrupt === undefined && (deps.signals ?? true) ? new Interrupt() : undefined;
  const uninstall = own?.install();
  const interrupt = deps.interrupt ?? own;
  const onFirst = () => progress.message(`nightly: ${interrupt?.received ?? 'signal'}: stopping, then writing the reports of what finished (again to stop at once)`);
  interrupt?.signal.addEventListener('abort', onFirst, { once: true });
  // A second signal: the running job may be deep in a long execution; write what there is and go.
  const removeLastWords = interrupt?.lastWords(() => {
    state.interrupted = true;
    finalize(state);
    write(reportOf(state));
    stderr.write(`nightly: signal again: reports written to ${shown(reportsDir, cwd)}; exit at once\n`);
  });
  try {
    await runNightly({ config, jobs, budgetMs, reportsDir, cwd, signal: interrupt?.signal, progress, checkFn: deps.checkFn }, state);
  } finally {
    interrupt?.signal.removeEventListener('abort', onFirst);
    removeLastWords?.();
    uninstall?.();
  }
  const report = reportOf(state);
  const files = write(report);
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
