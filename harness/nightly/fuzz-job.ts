/**
 * A nightly fuzz job: the fuzz engine on its target for the entry's time (less when the budget has
 * less left). No finding: ok (incomplete when the budget cut its time); any finding: failed, with
 * the minimized streams saved under <out>/reports/fuzz/<target>/findings/ as the fuzz command saves them.
 * The corpus grown is saved only to the entry's `corpus` folder (which also seeds the run).
 */
import { dirname } from 'node:path';
import { runFuzz } from '../fuzz/run.ts';
import { describeStep } from '../fuzz/stream.ts';
import { shown, type FuzzJob } from './jobs.ts';
import type { FuzzFindingOutcome } from '../report/nightly-types.ts';
import type { JobResult, RunOptions } from './run.ts';

export type { FuzzFindingOutcome } from '../report/nightly-types.ts';


export function fuzzRerun(j: FuzzJob): string {
  const parts = ['npx virtio-verify fuzz', j.target];
  if (j.variant !== 'reference') parts.push('--variant', j.variant);
  if (j.engine !== 'builtin') parts.push('--engine', j.engine);
  if (j.seed !== 1) parts.push('--seed', String(j.seed));
  parts.push('--time', `${j.timeMs / 1000}s`);
  return parts.join(' ');
}

export async function runFuzzJob(job: FuzzJob, timeMs: number, o: RunOptions, now: () => number): Promise<JobResult> {
  const t0 = now();
  const control = { stop: false };
  const r = await runFuzz({
    target: job.target, variant: job.variant, engine: job.engine, seed: job.seed, timeMs, corpus: job.corpus, out: dirname(o.reportsDir), control,
    // Thousands of small files in the CI artifact help nobody: the corpus grown is kept only in the entry's own folder.
    saveCorpus: false,
    onStatus: (s) => {
      o.progress?.jobProgress(job, s);
      if (o.signal?.aborted) control.stop = true;
    },
  });
  const findings: FuzzFindingOutcome[] = r.findingsList.map((f) => {
    const file = f.file && shown(f.file, o.cwd);
    return { oracle: f.oracle, location: f.location, message: f.message, steps: f.steps.length, file, showCommand: file && `npx virtio-verify corpus show ${file}`, stream: f.steps.map(describeStep) };
  });
  const figures = `${r.executions} executions in ${r.seconds.toFixed(1)} s, corpus ${r.corpus}`;
  const base = { job, seconds: (now() - t0) / 1000, budgetMs: timeMs, executions: r.executions, findings, rerunCommand: fuzzRerun(job) };
  if (findings.length) {
    const message = `${findings.length} ${findings.length === 1 ? 'finding' : 'findings'} on ${job.target}/${job.variant}: ${findings.map((f) => `${f.oracle} at ${f.location}`).join('; ')}`;
    return { ...base, status: 'failed', verdict: 'violated', invariant: findings[0].oracle, summary: `${message} (${figures})`, failure: { type: 'fuzz-finding', message } };
  }
  if (r.stoppedBy === 'signal') return { ...base, status: 'interrupted', summary: `interrupted: no finding in ${figures}` };
  if (timeMs < job.timeMs) {
    return { ...base, status: 'incomplete', budgetExhausted: true, summary: `no finding, INCOMPLETE: ${figures} (the budget left ${(timeMs / 1000).toFixed(1)} s of the ${job.timeMs / 1000} s asked)` };
  }
  return { ...base, status: 'ok', verdict: 'passed', complete: true, summary: `no finding: ${figures}` };
}
