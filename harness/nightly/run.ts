/**
 * Runs the nightly's jobs within one budget. Replays of the corpus run first (one execution each),
 * then the checks and validations, each given a share of what is left of the budget in proportion
 * to its weight, so time a quick job does not use goes to the jobs after it; then the fuzz runs, for
 * the time their entries set. A check cut by its share is incomplete, never a pass of a mutant. An
 * abort signal stops the running job at its next progress report and leaves the jobs not yet
 * started as skipped; everything that finished is kept.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findModel } from '../../models/index.ts';
import { check, expectedUnder, meets, type CheckOptions, type CheckReport } from '../check.ts';
import { Interrupted, turn } from '../core/interrupt.ts';
import { UsageError, variantInfo } from '../core/model.ts';
import { addToCorpus, counterexampleName, loadCounterexample, type Counterexample } from '../report/counterexample.ts';
import { replay } from '../replay.ts';
import { missedGoals, missedSuffix } from '../oracle/coverage-goals.ts';
import type { NightlyConfig } from './config.ts';
import { fuzzRerun, runFuzzJob } from './fuzz-job.ts';
import { checkCommand, shown, type CheckJob, type Job, type ReplayJob } from './jobs.ts';
import { runValidateJob, validateRerun } from './validate-job.ts';
import type { JobResult } from '../report/nightly-types.ts';

export type { FailureType, JobResult, JobStatus } from '../report/nightly-types.ts';



export interface ProgressSink {
  start(jobs: readonly Job[], deadline: number): void;
  jobStart(job: Job, position: number, budgetMs: number | undefined): void;
  jobProgress(job: Job, p: { executions: number; seconds: number }): void;
  jobEnd(result: JobResult, position: number): void;
  message(text: string): void;
  finish(): void;
}

export interface RunOptions {
  readonly config: NightlyConfig;
  /** The jobs of this shard, in the stable order. */
  readonly jobs: readonly Job[];
  readonly budgetMs: number;
  /** reports/: counterexamples go to reports/counterexamples. */
  readonly reportsDir: string;
  readonly cwd: string;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressSink;
  /** The check to run (tests inject a weakened one). */
  readonly checkFn?: (o: CheckOptions) => Promise<CheckReport>;
  /** Clock in milliseconds (tests). */
  readonly now?: () => number;
}

/** What the run has so far; the signal handler writes reports from it at any moment. */
export interface RunState {
  readonly jobs: readonly Job[];
  readonly results: (JobResult | undefined)[];
  readonly startedAt: Date;
  readonly budgetMs: number;
  /** The job being run, with when it started. */
  current?: { job: Job; since: number };
  interrupted: boolean;
  finishedAt?: Date;
}


export function newRunState(jobs: readonly Job[], budgetMs: number): RunState {
  return { jobs, results: jobs.map(() => undefined), startedAt: new Date(), budgetMs, interrupted: false };
}

/** Time kept back from the checks for saving and writing the reports. */
function reserveMs(budgetMs: number): number {
  return Math.min(2000, budgetMs * 0.02);
}

export async function runNightly(o: RunOptions, state: RunState = newRunState(o.jobs, o.budgetMs)): Promise<RunState> {
  const now = o.now ?? (() => performance.now());
  const start = now();
  const deadline = start + o.budgetMs;
  const reserve = reserveMs(o.budgetMs);
  o.progress?.start(o.jobs, Date.now() + o.budgetMs);
  const runOne = async (job: Job, budgetMs: number | undefined, position: number): Promise<JobResult> => {
    state.current = { job, since: Date.now() };
    o.progress?.jobStart(job, position, budgetMs);
    const result = await runJob(job, budgetMs, o, now);
    state.current = undefined;
    if (result.status === 'interrupted') state.interrupted = true;
    o.progress?.jobEnd(result, position);
    return result;
  };
  // Replays first (quick, and their outcome does not depend on the budget), fuzz runs last (see rank).
  const order = o.jobs.map((job, i) => ({ job, i })).sort((a, b) => rank(a.job) - rank(b.job) || a.i - b.i);
  const pending = (size: (j: Job) => number) => order.reduce((s, { job, i }) => s + (state.results[i] === undefined ? size(job) : 0), 0);
  const positions = new Map(order.map(({ job }, k) => [job, k + 1]));
  for (const { job, i } of order) {
    const position = positions.get(job)!;
    // A job may finish without ever yielding to the event loop: let a signal that came be handled.
    await turn();
    if (o.signal?.aborted) {
      state.interrupted = true;
      break;
    }
    const left = deadline - now() - reserve;
    if (left <= 0) {
      state.results[i] = { job, status: 'skipped', summary: 'not started: the budget was spent', seconds: 0 };
      o.progress?.jobEnd(state.results[i]!, position);
      continue;
    }
    let budgetMs: number | undefined;
    if (job.kind === 'check' || job.kind === 'validate') {
      // The fuzz runs to come keep their time (at most half of what is left): they run for a set time, not a share.
      const fuzzTime = Math.min(pending((j) => (j.kind === 'fuzz' ? j.timeMs : 0)), left / 2);
      budgetMs = Math.max(1, ((left - fuzzTime) * job.weight) / pending(weightOf));
      if (job.capMs !== undefined) budgetMs = Math.min(budgetMs, job.capMs);
      budgetMs = Math.round(budgetMs);
    } else if (job.kind === 'fuzz') {
      budgetMs = Math.round(Math.min(job.timeMs, left));
    }
    const result = await runOne(job, budgetMs, position);
    state.results[i] = result;
    if (result.status === 'interrupted') break;
  }
  // A second chance: checks cut by their share go again, once, with what the others left unused,
  // when that is clearly more than they had (a fresh run: the exploration does not resume).
  const retries = order.filter(({ i }) => {
    const r = state.results[i];
    return (r?.job.kind === 'check' || r?.job.kind === 'validate') && r.status === 'incomplete' && r.budgetExhausted === true && r.job.capMs === undefined;
  });
  let retryWeight = retries.reduce((s, { job }) => s + weightOf(job), 0);
  for (const { job, i } of retries) {
    await turn();
    if (o.signal?.aborted || state.interrupted) break;
    const first = state.results[i]!;
    const w = weightOf(job);
    const share = Math.round((deadline - now() - reserve) * w / retryWeight);
    retryWeight -= w;
    if (share < 1.5 * (first.budgetMs ?? 0) || share < 1000) continue;
    const result = await runOne(job, share, positions.get(job)!);
    state.results[i] = result.status === 'interrupted'
      ? first
      : { ...result, summary: `${result.summary}; second attempt with ${(share / 1000).toFixed(1)} s (the first, with ${((first.budgetMs ?? 0) / 1000).toFixed(1)} s, was cut)` };
    if (result.status === 'interrupted') break;
  }
  if (o.signal?.aborted) state.interrupted = true;
  finalize(state);
  state.finishedAt = new Date();
  o.progress?.finish();
  return state;
}

/** Runs one job, turning an interruption or an exception into its result. */
async function runJob(job: Job, budgetMs: number | undefined, o: RunOptions, now: () => number): Promise<JobResult> {
  const t0 = now();
  try {
    switch (job.kind) {
      case 'check': return await runCheck(job, budgetMs!, o, now);
      case 'validate': return await runValidateJob(job, budgetMs!, o, now, progressOf(job, o));
      case 'fuzz': return await runFuzzJob(job, budgetMs!, o, now);
      default: return await runReplay(job, o.cwd, o.signal);
    }
  } catch (e) {
    const seconds = (now() - t0) / 1000;
    if (e instanceof Interrupted) return { job, status: 'interrupted', summary: `interrupted after ${seconds.toFixed(1)} s`, seconds };
    const message = e instanceof Error ? e.message : String(e);
    return {
      job, status: 'error', summary: `error: ${message}`, seconds, failure: { type: 'error', message },
      rerunCommand: rerunOf(job, o.cwd),
    };
  }
}

/** Shows an exploration's progress, and stops it (by throwing from its progress report) on a signal. */
function progressOf(job: Job, o: RunOptions): (p: { executions: number; seconds: number }) => void {
  return (p) => {
    o.progress?.jobProgress(job, p);
    if (o.signal?.aborted) throw new Interrupted();
  };
}

/** Jobs that never finished get a result saying why: interrupted (the one running) or skipped. */
export function finalize(state: RunState): void {
  state.jobs.forEach((job, i) => {
    if (state.results[i] !== undefined) return;
    if (state.current?.job === job) {
      const seconds = (Date.now() - state.current.since) / 1000;
      state.results[i] = { job, status: 'interrupted', summary: `interrupted after ${seconds.toFixed(1)} s`, seconds };
    } else {
      state.results[i] = { job, status: 'skipped', summary: state.interrupted ? 'not started: the run was interrupted' : 'not started', seconds: 0 };
    }
  });
}

/**
 * Replays, then mutants (usually quick: what they leave goes to the rest), then checks that must
 * pass and validations, then fuzz runs: their time is set aside while the others run, and what
 * the others leave unused is not lost, since the checks cut short get a second chance after them.
 */
function rank(j: Job): number {
  switch (j.kind) {
    case 'replay': return 0;
    case 'check': return j.expect.verdict === 'violated' ? 1 : 2;
    case 'validate': return 2;
    default: return 3;
  }
}

function weightOf(j: Job): number {
  return j.kind === 'check' || j.kind === 'validate' ? j.weight : 0;
}

/** The command that runs a job again by hand. */
function rerunOf(j: Job, cwd: string): string | undefined {
  switch (j.kind) {
    case 'check': return checkCommand(j);
    case 'validate': return validateRerun(j, cwd);
    case 'fuzz': return fuzzRerun(j);
    default: return undefined;
  }
}

/** reports/counterexamples/<model>.<variant>.<invariant>[.tso][.threads][.k-v].json */
export function counterexampleFileName(c: Counterexample, job: CheckJob): string {
  const extra = [job.engine !== 'inline' ? job.engine : '', ...Object.entries(job.params).map(([k, v]) => `${k}-${v}`)].filter(Boolean);
  return counterexampleName(c).replace(/\.json$/, `${extra.map((x) => `.${x}`).join('')}.json`);
}

function save(c: Counterexample, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(c, null, 1)}\n`);
}

async function runCheck(job: CheckJob, budgetMs: number, o: RunOptions, now: () => number): Promise<JobResult> {
  const t0 = now();
  const r = await (o.checkFn ?? check)({
    model: job.model, variant: job.variant, params: job.params, engine: job.engine, memory: job.memory, strategy: job.strategy,
    preemptions: job.preemptions, seed: job.seed, executions: job.executions, budgetMs,
    onProgress: progressOf(job, o), signal: o.signal,
  });
  if (r.interrupted && r.verdict === 'passed') throw new Interrupted();
  // A signal that came during the last stretch still stops the run after this job.
  const base = {
    job, seconds: (now() - t0) / 1000, budgetMs, verdict: r.verdict, invariant: r.invariant, complete: r.complete,
    budgetExhausted: r.budgetExhausted, coverage: r.coverage.space, executions: r.executions, steps: r.steps, rerunCommand: checkCommand(job),
    ...(r.verdict === 'passed' && missedGoals(r.goals).length ? { goalsMissed: missedGoals(r.goals) } : {}),
  };
  const expect = job.expect;
  const figures = `${r.executions} executions, ${r.seconds.toFixed(2)} s`;
  if (r.verdict === 'violated') {
    const c = r.counterexample!;
    const path = join(o.reportsDir, 'counterexamples', counterexampleFileName(c, job));
    save(c, path);
    const asExpected = meets(expect, r.verdict, r.invariant);
    // Added to the corpus folder, never over a file there (the same schedule is not written twice).
    if (!asExpected && o.config.corpus?.save) addToCorpus(c, o.config.corpus.save);
    const file = shown(path, o.cwd);
    const withCx = { ...base, counterexample: c, counterexampleFile: file, replayCommand: `npx virtio-verify replay ${file}` };
    if (asExpected) return { ...withCx, status: 'ok', summary: `caught: violated ${r.invariant} (${figures})` };
    if (expect.verdict === 'passed') {
      const message = `violated ${r.invariant}, but ${job.variant} must pass${job.memory !== 'sc' ? ` under ${job.memory}` : ''}`;
      return { ...withCx, status: 'failed', summary: message, failure: { type: 'unexpected-violation', message } };
    }
    const message = `violated ${r.invariant} instead of ${expect.invariant}`;
    return { ...withCx, status: 'failed', summary: message, failure: { type: 'wrong-invariant', message } };
  }
  if (expect.verdict === 'passed') {
    return r.complete
      ? { ...base, status: 'ok', summary: `passed, complete: ${r.coverage.space}${missedSuffix(r.goals)} (${figures})` }
      : { ...base, status: 'incomplete', summary: `passed so far, INCOMPLETE${r.budgetExhausted ? ' (its budget share ran out)' : ''}: ${r.coverage.space} (${figures})` };
  }
  if (!r.complete) {
    return {
      ...base, status: 'incomplete',
      summary: `not caught yet, INCOMPLETE${r.budgetExhausted ? ' (its budget share ran out)' : ''}: ${expect.invariant} must be violated (${figures})`,
    };
  }
  const message = `mutant ${job.variant} passed: it must violate ${expect.invariant}${job.memory !== 'sc' ? ` under ${job.memory}` : ''}, `
    + `but the complete exploration (${r.coverage.space}, ${r.executions} executions) found nothing: the checker lost power`;
  return { ...base, status: 'failed', summary: `NOT CAUGHT: passed, but must violate ${expect.invariant}`, failure: { type: 'mutant-not-caught', message } };
}

/**
 * A corpus file of a variant that must violate an invariant must reproduce it. A file of a variant
 * that must pass (a reference whose bug was fixed) must not: the replay then shows no violation, or
 * its schedule no longer applies because the code changed.
 */
async function runReplay(job: ReplayJob, cwd: string, signal: AbortSignal | undefined): Promise<JobResult> {
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const c = loadCounterexample(job.file);
  const expect = expectedUnder(variantInfo(findModel(c.model), c.variant).expect, c.memory);
  const file = shown(job.file, cwd);
  const base = { job, expect, replayCommand: `npx virtio-verify replay ${file}`, counterexampleFile: file };
  // A validate counterexample replays its implementation, which may run on one engine only (JavaScript: threads).
  const engine = c.implementation ? c.engine : job.engine;
  const who = c.implementation ? `${c.implementation.impl} as the ${c.implementation.role} of ${c.model}` : `${c.model}/${c.variant}`;
  let r;
  try {
    r = await replay(c, engine, signal);
    if (r.interrupted) throw new Interrupted();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (expect.verdict === 'passed') return { ...base, status: 'ok', seconds: seconds(), summary: `fixed: the schedule no longer applies (${e.message})` };
    const message = `does not reproduce ${c.invariant}: ${e.message}`;
    return { ...base, status: 'failed', seconds: seconds(), summary: message, failure: { type: 'not-reproduced', message } };
  }
  const common = { ...base, seconds: seconds(), verdict: r.invariant ? 'violated' as const : 'passed' as const, invariant: r.invariant };
  if (expect.verdict === 'passed') {
    if (!r.invariant) return { ...common, status: 'ok', summary: `fixed: ${who} no longer violates ${c.invariant} on this schedule` };
    const message = `${who} must pass, but this saved schedule violates ${r.invariant} again`;
    return { ...common, status: 'failed', summary: message, failure: { type: 'regression', message } };
  }
  if (r.reproduced) return { ...common, status: 'ok', summary: `reproduced ${c.invariant}${r.sameTrace ? ', identical trace' : `; the trace differs: ${r.difference}`}` };
  const message = r.invariant ? `violated ${r.invariant} instead of ${c.invariant}` : `no violation of ${c.invariant} any more`;
  return { ...common, status: 'failed', summary: message, failure: { type: 'not-reproduced', message } };
}
