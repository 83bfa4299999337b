/** Plain-text reports: the verdict line, the explanation, and the trace as a table a person reads. */
import type { NamedEntry } from './counterexample.ts';
import { foldRepeats } from './fold.ts';

export function fmtValue(v: number): string {
  return v < 256 ? String(v) : `0x${v.toString(16)}`;
}

const VALUELESS = new Set(['pause', 'atomic-begin', 'atomic-end', 'virtio_wmb', 'virtio_rmb', 'virtio_mb', 'fence']);

/**
 * One row per entry. Notes (what the actors say they did: "read-accept [...]") are shown between
 * the operations, a line marks every switch from one actor to another, and long repetitions are
 * folded (see fold.ts).
 */
export function renderTrace(entries: readonly NamedEntry[]): string {
  const rows: string[][] = [['step', 'actor', 'operation', 'field / event', 'value']];
  const folds = new Map<number, string>();
  const switches = new Set<number>();
  let last: string | undefined;
  for (const row of foldRepeats(entries)) {
    if ('fold' in row) {
      const f = row.fold;
      folds.set(rows.length, `... the ${f.rows} ${f.rows === 1 ? 'row' : 'rows'} above repeat ${f.times} more times (steps ${f.from} to ${f.to}) ...`);
      continue;
    }
    const e = row.entry;
    if (e.op !== 'note') {
      if (last !== undefined && e.actor !== last) switches.add(rows.length);
      last = e.actor;
    }
    if (e.op === 'note') {
      rows.push(['', e.actor, `  (${e.target})`, '', e.text ?? (e.data ?? []).map(fmtValue).join(' ')]);
    } else if (e.op === 'stale') {
      rows.push(['', e.actor, '  (stale read)', e.target ?? '', e.text ?? '']);
    } else if (e.op === 'fence') {
      rows.push([String(e.step), e.actor, e.target ?? 'fence', '', '']);
    } else {
      rows.push([String(e.step), e.actor, e.op, e.target ?? '', VALUELESS.has(e.op) || e.value === undefined ? '' : fmtValue(e.value)]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const out: string[] = [];
  rows.forEach((r, i) => {
    const fold = folds.get(i);
    if (fold) out.push(`${' '.repeat(widths[0])}  ${fold}`);
    if (switches.has(i)) out.push(`${' '.repeat(widths[0])}  ${'-'.repeat(Math.max(8, widths[1]))}`);
    out.push(line(r));
    if (i === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  return out.join('\n');
}

/** Wraps a paragraph at about 100 columns with an indent, for terminals. */
export function wrap(text: string, indent = '  ', width = 100): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width - indent.length) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.map((l) => indent + l).join('\n');
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}
