/**
 * A nightly validate job: `validate()` on the implementation within the job's share of the budget.
 * Conforms within the explored bound: ok; conforms as far as the share went: incomplete; an
 * invariant violated: failed, each counterexample saved as `validate` saves it (replay runs the
 * implementation again). An external command's finding is a message exchange, kept in the report.
 */
import { dirname } from 'node:path';
import type { InvariantOutcome } from '../report/nightly-types.ts';
import { saveFindings, validate } from '../validate.ts';
import { missedGoals, missedSuffix } from '../oracle/coverage-goals.ts';

export type { InvariantOutcome } from '../report/nightly-types.ts';
import { shown, type ValidateJob } from './jobs.ts';
import type { JobResult, RunOptions } from './run.ts';


/** The validate command line that runs this job again by hand (from the working directory). */
export function validateRerun(j: ValidateJob, cwd: string): string {
  const impl = j.resolved.includes(' ') ? JSON.stringify(j.resolved) : shown(j.resolved, cwd);
  const parts = ['npx virtio-verify validate --impl', impl, '--role', j.role, '--scheme', j.scheme];
  if (j.memory !== 'sc') parts.push('--memory', j.memory);
  if (j.engine !== undefined) parts.push('--engine', j.engine);
  if (j.preemptions !== undefined) parts.push('--preemptions', String(j.preemptions));
  for (const [k, v] of Object.entries(j.params)) parts.push('--param', `${k}=${v}`);
  return parts.join(' ');
}

/** `onProgress` shows the progress and throws to stop the exploration on a signal. */
export async function runValidateJob(
  job: ValidateJob, budgetMs: number, o: RunOptions, now: () => number, onProgress: (p: { executions: number; seconds: number }) => void,
): Promise<JobResult> {
  const t0 = now();
  const r = await validate({
    impl: job.resolved, role: job.role, scheme: job.scheme, memory: job.memory, engine: job.engine, preemptions: job.preemptions, params: job.params, budgetMs, onProgress,
    signal: o.signal,
  });
  // reportsDir is <out>/reports; validate writes under <out>/reports/counterexamples as the command does.
  const files = new Map(saveFindings(r, dirname(o.reportsDir), job.fileTag).map((f) => [f.invariant, shown(f.file, o.cwd)]));
  const invariants: InvariantOutcome[] = r.invariants.map((i) => {
    const file = files.get(i.name);
    return { name: i.name, status: i.status, counterexample: i.counterexample, finding: i.finding, file, replayCommand: file && `npx virtio-verify replay ${file}` };
  });
  const violated = invariants.filter((i) => i.status === 'violated');
  const figures = r.kind === 'process'
    ? `one scripted exchange of ${r.steps} messages, ${r.seconds.toFixed(2)} s`
    : `${r.executions} executions, ${r.seconds.toFixed(2)} s`;
  const base = {
    job, seconds: (now() - t0) / 1000, budgetMs, verdict: r.verdict, invariant: violated[0]?.name, complete: r.complete,
    budgetExhausted: r.budgetExhausted, executions: r.executions, steps: r.steps, invariants, rerunCommand: validateRerun(job, o.cwd),
    ...(r.verdict === 'passed' && missedGoals(r.goals).length ? { goalsMissed: missedGoals(r.goals) } : {}),
  };
  if (violated.length) {
    const message = `${job.impl} as the ${job.role} of ${job.scheme} violates ${violated.map((i) => i.name).join(', ')}${job.memory === 'tso' ? ' under tso' : ''}`;
    return { ...base, status: 'failed', summary: `DOES NOT CONFORM: violates ${violated.map((i) => i.name).join(', ')} (${figures})`, failure: { type: 'unexpected-violation', message } };
  }
  if (r.interrupted) return { ...base, status: 'interrupted', summary: `interrupted: no violation in ${figures}` };
  if (r.complete) return { ...base, status: 'ok', summary: `conforms${r.kind === 'process' ? '' : ' within the explored bound'}${missedSuffix(r.goals)} (${figures})` };
  return { ...base, status: 'incomplete', summary: `conforms so far, INCOMPLETE${r.budgetExhausted ? ' (its budget share ran out)' : ''} (${figures})` };
}
