/**
 * Folds repetition out of a trace for display: a device making 256 identical-shaped changes is
 * shown as its first and last change around one line saying how many were left out. The saved
 * counterexample keeps every entry; only the rendering folds.
 */
import type { NamedEntry } from './counterexample.ts';

export type Row = { readonly entry: NamedEntry } | { readonly fold: { readonly rows: number; readonly times: number; readonly from: number; readonly to: number } };

const MAX_PERIOD = 32;
const MIN_REPEATS = 4;

function shape(e: NamedEntry): string {
  return `${e.actor}|${e.op}|${e.target ?? ''}`;
}

export function foldRepeats(entries: readonly NamedEntry[]): Row[] {
  const shapes = entries.map(shape);
  const rows: Row[] = [];
  let i = 0;
  while (i < entries.length) {
    let best = { period: 0, repeats: 1 };
    for (let p = 1; p <= MAX_PERIOD && i + 2 * p <= entries.length; p++) {
      let r = 1;
      while (i + (r + 1) * p <= entries.length && sameBlock(shapes, i, i + r * p, p)) r++;
      if (r >= MIN_REPEATS && r * p > best.period * best.repeats) best = { period: p, repeats: r };
    }
    if (best.period === 0) {
      rows.push({ entry: entries[i++] });
      continue;
    }
    const { period, repeats } = best;
    for (let k = 0; k < period; k++) rows.push({ entry: entries[i + k] });
    const hiddenStart = i + period;
    const hiddenEnd = i + (repeats - 1) * period; // exclusive: the last repetition is shown
    const steps = entries.slice(hiddenStart, hiddenEnd).filter((e) => e.op !== 'note').map((e) => e.step);
    rows.push({ fold: { rows: period, times: repeats - 2, from: steps[0] ?? 0, to: steps[steps.length - 1] ?? 0 } });
    for (let k = hiddenEnd; k < hiddenEnd + period; k++) rows.push({ entry: entries[k] });
    i += repeats * period;
  }
  return rows;
}

function sameBlock(shapes: readonly string[], a: number, b: number, p: number): boolean {
  for (let k = 0; k < p; k++) if (shapes[a + k] !== shapes[b + k]) return false;
  return true;
}
