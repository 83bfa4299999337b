/**
 * The outcome of a nightly run as every report format sees it, the exit code, and the JSON summary
 * (reports/nightly.json). The JSON names counterexample files instead of embedding their traces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from '../report/html.ts';
import { renderJunit } from '../report/junit.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { qualifiers, type JobResult, type JobStatus, type NightlyReport } from '../report/nightly-types.ts';
import type { RunState } from './run.ts';

export type { NightlyReport } from '../report/nightly-types.ts';

export const SUMMARY_FORMAT = 'virtio-verify-nightly';
export const SUMMARY_VERSION = 1;


export const STATUSES: readonly JobStatus[] = ['ok', 'failed', 'error', 'incomplete', 'interrupted', 'skipped'];

/** 0: every job as expected; 1: a job failed or erred; 3: interrupted, or incomplete where completeness was required. */
export function exitCodeOf(results: readonly JobResult[], interrupted: boolean, requireComplete: boolean): number {
  if (results.some((r) => r.status === 'failed' || r.status === 'error')) return 1;
  if (interrupted) return 3;
  if (requireComplete && results.some((r) => r.status === 'incomplete' || r.status === 'skipped' || r.status === 'interrupted')) return 3;
  return 0;
}

export function makeReport(state: RunState, o: { config?: string; shard?: { index: number; count: number }; totalJobs: number; requireComplete: boolean }): NightlyReport {
  const results = state.results.filter((r): r is JobResult => r !== undefined);
  const counts = Object.fromEntries(STATUSES.map((s) => [s, results.filter((r) => r.status === s).length])) as Record<JobStatus, number>;
  const finished = state.finishedAt ?? new Date();
  return {
    config: o.config,
    shard: o.shard,
    totalJobs: o.totalJobs,
    budgetMs: state.budgetMs,
    requireComplete: o.requireComplete,
    startedAt: state.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (finished.getTime() - state.startedAt.getTime()) / 1000,
    interrupted: state.interrupted,
    exitCode: exitCodeOf(results, state.interrupted, o.requireComplete),
    counts: { ...counts, jobs: results.length },
    results,
  };
}

export function jsonSummary(r: NightlyReport) {
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    ok: r.exitCode === 0,
    exitCode: r.exitCode,
    config: r.config ?? null,
    shard: r.shard ?? null,
    totalJobs: r.totalJobs,
    budgetMs: r.budgetMs,
    requireComplete: r.requireComplete,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    seconds: round(r.seconds),
    interrupted: r.interrupted,
    counts: r.counts,
    jobs: r.results.map(jobJson),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function jobJson(r: JobResult) {
  const j = r.job;
  const common = {
    id: j.id, kind: j.kind, status: r.status, summary: r.summary, failure: r.failure ?? null, seconds: round(r.seconds),
  };
  if (j.kind === 'check') {
    return {
      ...common,
      model: j.model, variant: j.variant, memory: j.memory, engine: j.engine, strategy: j.strategy, params: j.params,
      qualifiers: qualifiers(j), expect: j.expect, expectOverridden: j.expectOverridden,
      verdict: r.verdict ?? null, invariant: r.invariant ?? null, complete: r.complete ?? null, budgetExhausted: r.budgetExhausted ?? null,
      coverage: r.coverage ?? null, executions: r.executions ?? null, steps: r.steps ?? null, budgetMs: r.budgetMs ?? null,
      counterexample: r.counterexampleFile ?? null, message: r.counterexample?.message ?? null,
      replay: r.replayCommand ?? null, rerun: r.rerunCommand ?? null,
    };
  }
  if (j.kind === 'replay') {
    return { ...common, file: r.counterexampleFile ?? j.file, engine: j.engine, expect: r.expect ?? null, verdict: r.verdict ?? null, invariant: r.invariant ?? null, replay: r.replayCommand ?? null };
  }
  if (j.kind === 'validate') {
    return {
      ...common,
      impl: j.impl, role: j.role, scheme: j.scheme, memory: j.memory, engine: j.engine ?? null, preemptions: j.preemptions ?? null, params: j.params,
      verdict: r.verdict ?? null, complete: r.complete ?? null, budgetExhausted: r.budgetExhausted ?? null, executions: r.executions ?? null, budgetMs: r.budgetMs ?? null,
      invariants: (r.invariants ?? []).map((i) => ({
        name: i.name, status: i.status, message: i.counterexample?.message ?? i.finding?.message ?? null,
        counterexample: i.file ?? null, replay: i.replayCommand ?? null, ...(i.finding ? { exchange: i.finding.exchange } : {}),
      })),
      rerun: r.rerunCommand ?? null,
    };
  }
  return {
    ...common,
    target: j.target, variant: j.variant, engine: j.engine, seed: j.seed, timeMs: j.timeMs, budgetMs: r.budgetMs ?? null, executions: r.executions ?? null,
    findings: r.findings ?? [], rerun: r.rerunCommand ?? null,
  };
}

export interface ReportFiles {
  readonly junit: string;
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

export function reportPaths(reportsDir: string): ReportFiles {
  return {
    junit: join(reportsDir, 'nightly.junit.xml'),
    json: join(reportsDir, 'nightly.json'),
    markdown: join(reportsDir, 'nightly.md'),
    html: join(reportsDir, 'nightly.html'),
  };
}

/** Writes the four formats synchronously (a signal handler may call this). */
export function writeReports(r: NightlyReport, reportsDir: string): ReportFiles {
  const paths = reportPaths(reportsDir);
  mkdirSync(reportsDir, { recursive: true });
  writeFileSync(paths.json, `${JSON.stringify(jsonSummary(r), null, 1)}\n`);
  writeFileSync(paths.junit, renderJunit(r));
  writeFileSync(paths.markdown, renderMarkdown(r));
  writeFileSync(paths.html, renderHtml(r));
  return paths;
}
