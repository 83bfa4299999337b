/** What the nightly's report formats share: how a status, an expectation and a job are named. */
import type { Expectation } from '../core/model.ts';
import type { Counterexample } from './counterexample.ts';
import { qualifiers, type CheckJob, type Job, type JobResult, type JobStatus, type NightlyReport } from './nightly-types.ts';

export const STATUS_LABEL: Readonly<Record<JobStatus, string>> = {
  ok: 'as expected',
  failed: 'NOT as expected',
  error: 'error',
  incomplete: 'incomplete',
  interrupted: 'interrupted',
  skipped: 'skipped',
};

export function expectText(e: Expectation): string {
  return e.verdict === 'passed' ? 'passes' : `violates ${e.invariant}`;
}

/** "tso, threads, updates=3": the qualifiers beyond sc on the inline engine. */
export function qualifierText(j: CheckJob): string {
  return qualifiers(j).filter((q, i) => !(i === 0 && q === 'sc')).join(', ');
}

/** The column a check falls in in the verdict matrix: "sc", "tso", "sc, threads", "tso, updates=3". */
export function matrixColumn(j: CheckJob): string {
  return qualifiers(j).join(', ');
}

export function headline(r: NightlyReport): string {
  const bad = r.counts.failed + r.counts.error;
  const scope = r.shard ? ` (shard ${r.shard.index}/${r.shard.count}: ${r.counts.jobs} of ${r.totalJobs} jobs)` : '';
  if (bad) return `${bad} of ${r.counts.jobs} jobs NOT as expected${scope}`;
  if (r.interrupted) return `interrupted: ${r.counts.ok} of ${r.counts.jobs} jobs finished as expected${scope}`;
  const unfinished = r.counts.incomplete + r.counts.skipped + r.counts.interrupted;
  if (unfinished) return `no failure; ${unfinished} of ${r.counts.jobs} jobs incomplete or not run${scope}`;
  return `all ${r.counts.ok} jobs as expected${scope}`;
}

export function countsText(r: NightlyReport): string {
  const parts = [`${r.counts.ok} as expected`];
  if (r.counts.failed) parts.push(`${r.counts.failed} not as expected`);
  if (r.counts.error) parts.push(`${r.counts.error} errors`);
  if (r.counts.incomplete) parts.push(`${r.counts.incomplete} incomplete`);
  if (r.counts.interrupted) parts.push(`${r.counts.interrupted} interrupted`);
  if (r.counts.skipped) parts.push(`${r.counts.skipped} skipped`);
  return parts.join(', ');
}

export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function isBad(r: JobResult): boolean {
  return r.status === 'failed' || r.status === 'error';
}

/** How reports name a job: "model/variant [qualifiers]" for a check, its id otherwise. */
export function jobTitle(j: Job): string {
  if (j.kind !== 'check') return j.id;
  const q = qualifierText(j);
  return `${j.model}/${j.variant}${q ? ` [${q}]` : ''}`;
}

export interface ShownCounterexample {
  readonly counterexample: Counterexample;
  readonly file?: string;
  readonly replayCommand?: string;
}

/** A job's counterexamples: a check's or a replay's one, one per violated invariant of a validate job. */
export function counterexamplesOf(r: JobResult): ShownCounterexample[] {
  if (r.invariants) {
    return r.invariants.flatMap((i) => (i.counterexample ? [{ counterexample: i.counterexample, file: i.file, replayCommand: i.replayCommand }] : []));
  }
  return r.counterexample ? [{ counterexample: r.counterexample, file: r.counterexampleFile, replayCommand: r.replayCommand }] : [];
}

export function checkResults(r: NightlyReport): (JobResult & { job: CheckJob })[] {
  return r.results.filter((x): x is JobResult & { job: CheckJob } => x.job.kind === 'check');
}
