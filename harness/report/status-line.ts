/**
 * One status line redrawn in place on a terminal (stderr), for long runs: check, check --all,
 * validate and the nightly. Silent when the stream is not a TTY or under CI=true, so logs and
 * pipes get no control characters.
 */
import type { Coverage } from '../explore/strategy.ts';

export interface Stream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export function isInteractive(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !(env.CI && env.CI !== 'false' && env.CI !== '0');
}

export class StatusLine {
  private shown = false;
  readonly interactive: boolean;

  constructor(private readonly stream: Stream, interactive?: boolean) {
    this.interactive = interactive ?? isInteractive(stream);
  }

  /** Redraws the line (cut to the terminal's width); nothing when not interactive. */
  show(text: string): void {
    if (!this.interactive) return;
    const cols = this.stream.columns ?? 120;
    const s = text.length > cols - 1 ? `${text.slice(0, cols - 2)}…` : text;
    this.stream.write(`\r\x1b[2K${s}`);
    this.shown = true;
  }

  /** Removes the line, so that ordinary output can follow. */
  clear(): void {
    if (this.interactive && this.shown) {
      this.stream.write('\r\x1b[2K');
      this.shown = false;
    }
  }
}

/** "12,345 executions · 4,100/s · 3 s": the figures every exploration's status line shows. */
export function rateText(executions: number, seconds: number): string {
  const rate = seconds > 0 ? Math.round(executions / seconds) : 0;
  return `${executions.toLocaleString('en-US')} executions · ${rate.toLocaleString('en-US')}/s · ${seconds.toFixed(0)} s`;
}

/** How far the search is, as its strategy can tell: a share of the bound, the level reached, or PCT's bound. */
export function reachText(c: Coverage | undefined): string {
  const d = c?.details ?? {};
  const parts: string[] = [];
  if (typeof d.estimatedFractionExplored === 'number') parts.push(`~${(d.estimatedFractionExplored * 100).toFixed(1)}% of the bound`);
  if (typeof d.preemptionsReached === 'number') parts.push(`at ${d.preemptionsReached} preemptions`);
  if (typeof d.allRunsProbability === 'number') parts.push(`finds a depth-${d.depth} bug with probability >= ${(d.allRunsProbability * 100).toPrecision(3)}%`);
  return parts.join(' · ');
}
