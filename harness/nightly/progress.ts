/**
 * Progress of a nightly run on stderr. Jobs that finish as expected are only counted; a line is
 * printed for each job that did not (failed, error, incomplete, skipped...). On a terminal a status
 * line is redrawn in place: the running job, its executions, the counts so far and the time left in
 * the budget. Elsewhere (not a TTY, or CI=true) there is no redrawing: plain lines only, and while
 * jobs run a heartbeat line at most every 30 s, so CI logs stay short.
 */
import type { Job } from './jobs.ts';
import type { JobResult, ProgressSink } from './run.ts';
import { durationText, jobTitle as name } from '../report/nightly-common.ts';
import { StatusLine, type Stream } from '../report/status-line.ts';

export type { Stream } from '../report/status-line.ts';

const TAG: Record<JobResult['status'], string> = {
  ok: 'ok', failed: 'FAILED', error: 'ERROR', incomplete: 'incomplete', interrupted: 'interrupted', skipped: 'skipped',
};

export function resultLine(r: JobResult, position: number, total: number): string {
  const width = String(total).length;
  return `[${String(position).padStart(width)}/${total}] ${TAG[r.status].padEnd(11)} ${name(r.job)}: ${r.summary}`;
}

export class Progress implements ProgressSink {
  private total = 0;
  private deadline = 0;
  private current?: { job: Job; position: number; since: number; executions: number };
  private lastHeartbeat = 0;
  private readonly outcomes = new Map<Job, JobResult['status']>();
  private readonly statusLine: StatusLine;

  constructor(private readonly stream: Stream, interactive?: boolean, private readonly heartbeatMs = 30_000) {
    this.statusLine = new StatusLine(stream, interactive);
  }

  private get interactive(): boolean {
    return this.statusLine.interactive;
  }

  start(jobs: readonly Job[], deadline: number): void {
    this.total = jobs.length;
    this.deadline = deadline;
    this.lastHeartbeat = Date.now();
    const count = (kind: Job['kind'], one: string, many: string) => {
      const n = jobs.filter((j) => j.kind === kind).length;
      return n ? [`${n} ${n === 1 ? one : many}`] : [];
    };
    const kinds = [...count('check', 'check', 'checks'), ...count('replay', 'corpus replay', 'corpus replays'), ...count('validate', 'validation', 'validations'), ...count('fuzz', 'fuzz run', 'fuzz runs')];
    this.line(`nightly: ${jobs.length} jobs${kinds.length ? ` (${kinds.join(', ')})` : ''}, budget ${durationText(deadline - Date.now())}`);
  }

  jobStart(job: Job, position: number, _budgetMs: number | undefined): void {
    this.current = { job, position, since: Date.now(), executions: 0 };
    this.status();
  }

  jobProgress(job: Job, p: { executions: number; seconds: number }): void {
    if (this.current?.job !== job) return;
    this.current.executions = p.executions;
    if (this.interactive) {
      this.status();
    } else {
      this.heartbeat();
    }
  }

  private get done(): number { return this.outcomes.size; }
  private get ok(): number { return [...this.outcomes.values()].filter((s) => s === 'ok').length; }
  private get notOk(): number { return this.done - this.ok; }

  private heartbeat(): void {
    if (Date.now() - this.lastHeartbeat < this.heartbeatMs) return;
    this.lastHeartbeat = Date.now();
    const running = this.current ? `; running ${name(this.current.job)} (${this.current.executions} executions, ${((Date.now() - this.current.since) / 1000).toFixed(0)} s)` : '';
    this.line(`  ... ${this.done}/${this.total} done (${this.ok} as expected, ${this.notOk} not)${running}; ${durationText(Math.max(0, this.deadline - Date.now()))} left in the budget`);
  }

  jobEnd(result: JobResult, position: number): void {
    if (this.current?.job === result.job) this.current = undefined;
    const again = this.outcomes.has(result.job);
    this.outcomes.set(result.job, result.status);
    if (result.status !== 'ok' || again) this.line(resultLine(result, position, this.total));
    if (this.interactive) this.status();
    else this.heartbeat();
  }

  message(text: string): void {
    this.line(text);
    this.status();
  }

  finish(): void {
    this.clearStatus();
    this.stream.write(`nightly: ${this.done} jobs done, ${this.ok} as expected, ${this.notOk} not as expected or not finished\n`);
  }

  private line(s: string): void {
    this.clearStatus();
    this.stream.write(`${s}\n`);
  }

  private clearStatus(): void {
    this.statusLine.clear();
  }

  private status(): void {
    if (!this.interactive || !this.current) return;
    const c = this.current;
    const left = Math.max(0, this.deadline - Date.now());
    this.statusLine.show(`[${this.done}/${this.total} done, ${this.notOk} not ok] running ${name(c.job)} · ${c.executions} executions · ${((Date.now() - c.since) / 1000).toFixed(0)} s · ${durationText(left)} left in the budget`);
  }
}
