/**
 * The verdict matrix: variant x invariant, each cell "holds", "VIOLATED" or "not checked". This is
 * the table spec authors quote ("which variant of the design is safe, and which invariant the
 * others break"). An exploration stops at its first violation, so a violating variant's other
 * invariants are "not checked"; a pass cut by its budget holds only "so far".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckReport } from '../check.ts';
import type { ModelDef } from '../core/model.ts';
import { HARNESS_INVARIANTS } from '../explore/execution.ts';

export type Cell = 'holds' | 'holds so far' | 'VIOLATED' | 'not checked';

export interface Matrix {
  readonly model: string;
  readonly invariants: readonly string[];
  readonly rows: readonly { readonly variant: string; readonly expected: string; readonly asExpected: boolean; readonly cells: readonly Cell[] }[];
}

export function verdictMatrix(def: ModelDef, reports: readonly CheckReport[]): Matrix {
  const invariants = [...def.invariants.map((i) => i.name), ...HARNESS_INVARIANTS.map((i) => i.name)];
  const rows = reports.filter((r) => r.model === def.name).map((r) => ({
    variant: `${r.variant}${r.memory === 'sc' ? '' : ` (${r.memory})`}${scopeOf(def, r.variant)}`,
    expected: r.expect.verdict === 'passed' ? 'passes' : `violates ${r.expect.invariant}`,
    asExpected: r.asExpected,
    cells: invariants.map((name): Cell => {
      if (r.verdict === 'violated') return name === r.invariant ? 'VIOLATED' : 'not checked';
      return r.complete ? 'holds' : 'holds so far';
    }),
  }));
  return { model: def.name, invariants, rows };
}

/** A variant whose verdict is stated at parameters of its own says so: " at writes=0, resets=0". */
function scopeOf(def: ModelDef, variant: string): string {
  const params = def.variants.find((v) => v.name === variant)?.params;
  if (!params) return '';
  return ` at ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ')}`;
}

export function matrixMarkdown(m: Matrix): string {
  const head = `| variant | expected | ${m.invariants.join(' | ')} | as expected |`;
  const rule = `|---|---|${m.invariants.map(() => '---').join('|')}|---|`;
  const body = m.rows.map((r) => `| ${r.variant} | ${r.expected} | ${r.cells.map((c) => (c === 'VIOLATED' ? '**VIOLATED**' : c)).join(' | ')} | ${r.asExpected ? 'yes' : '**NO**'} |`);
  return [`### ${m.model}`, '', head, rule, ...body, ''].join('\n');
}

/** Writes reports/verdict-matrix.md; returns its path. */
export function saveMatrices(matrices: readonly Matrix[], root: string): string {
  const dir = join(root, 'reports');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'verdict-matrix.md');
  const legend = 'holds: no schedule in the explored bound violates it; VIOLATED: a counterexample was found; not checked: the exploration stopped at another violation.';
  writeFileSync(path, `# Verdict matrix\n\n${legend}\n\n${matrices.map(matrixMarkdown).join('\n')}`);
  return path;
}
