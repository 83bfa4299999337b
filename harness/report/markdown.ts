/**
 * The Markdown summary, fit for a CI job summary ($GITHUB_STEP_SUMMARY): the headline, what was not
 * as expected with its explanation and replay command, what did not finish, and the verdict matrix.
 * GitHub caps a step summary at 1 MiB; long explanations and traces are cut well below that.
 */
import type { JobResult, NightlyReport } from './nightly-types.ts';
import { checkResults, counterexamplesOf, countsText, durationText, expectText, headline, isBad, jobTitle, matrixColumn } from './nightly-common.ts';
import { renderTrace } from './text.ts';
import { traceExcerpt } from './junit.ts';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

const ICON: Record<JobResult['status'], string> = {
  ok: '✅', failed: '❌', error: '💥', incomplete: '⏳', interrupted: '⏹️', skipped: '⏭️',
};

function verdictCell(r: JobResult): string {
  const icon = ICON[r.status];
  switch (r.status) {
    case 'ok': return r.verdict === 'violated' ? `${icon} caught ${r.invariant}` : `${icon} passed`;
    case 'failed': return r.verdict === 'violated' ? `${icon} violated ${r.invariant}` : `${icon} **not caught**`;
    case 'incomplete': return `${icon} incomplete`;
    default: return `${icon} ${r.status}`;
  }
}

function problem(r: JobResult): string[] {
  const out = [`#### ${ICON[r.status]} ${cell(jobTitle(r.job))}: ${cell(r.failure?.message ?? r.summary)}`, ''];
  if (r.job.kind === 'check') out.push(`expected: ${expectText(r.job.expect)}${r.job.expectOverridden ? ' (set in the config)' : ''}. ${clip(r.job.description, 400)}`, '');
  const cxs = counterexamplesOf(r);
  for (const { counterexample: c } of cxs) {
    out.push(`> ${cxs.length > 1 || r.job.kind === 'validate' ? `**${c.invariant}**: ` : ''}${clip(c.message, 1500).replace(/\n/g, ' ')}`, '');
    out.push('<details><summary>trace</summary>', '', '```', traceExcerpt(renderTrace(c.trace), 10, 40), '```', '', '</details>', '');
  }
  for (const i of r.invariants ?? []) {
    if (!i.finding) continue;
    out.push(`> **${i.name}**: ${clip(i.finding.message, 1500).replace(/\n/g, ' ')}`, '');
    out.push('<details><summary>messages exchanged</summary>', '', '```', traceExcerpt(i.finding.exchange.join('\n'), 10, 40), '```', '', '</details>', '');
  }
  for (const f of r.findings ?? []) out.push(`- **${f.oracle}** at ${f.location}: ${cell(clip(f.message, 500))}${f.file ? ` (\`${f.file}\`)` : ''}`);
  if (r.findings?.length) out.push('');
  const cmds = [...cxs.map((x) => x.replayCommand), ...(r.findings ?? []).map((f) => f.showCommand), r.rerunCommand].filter((x): x is string => x !== undefined);
  if (cmds.length) out.push('```sh', ...cmds, '```', '');
  return out;
}

export function renderMarkdown(r: NightlyReport): string {
  const bad = r.results.filter(isBad);
  const icon = bad.length ? '❌' : r.exitCode === 0 ? '✅' : '⏳';
  const out: string[] = [
    `## ${icon} virtio-verify nightly: ${headline(r)}`,
    '',
    `${countsText(r)}. Exit code ${r.exitCode}; ${r.seconds.toFixed(1)} s of a ${durationText(r.budgetMs)} budget; `
    + `config: ${r.config ? `\`${r.config}\`` : 'the built-in default suite'}${r.shard ? `; shard ${r.shard.index}/${r.shard.count}` : ''}`
    + `${r.interrupted ? '; **interrupted by a signal**' : ''}.`,
    '',
  ];
  if (bad.length) {
    out.push('### Not as expected', '');
    for (const x of bad) out.push(...problem(x));
  }
  const unfinished = r.results.filter((x) => x.status === 'incomplete' || x.status === 'interrupted' || x.status === 'skipped');
  if (unfinished.length) {
    out.push(`### Incomplete or not run${r.requireComplete ? ' (completeness was required)' : ''}`, '', '| job | status | why |', '|---|---|---|');
    for (const x of unfinished) out.push(`| ${cell(jobTitle(x.job))} | ${ICON[x.status]} ${x.status} | ${cell(clip(x.summary, 300))} |`);
    out.push('');
  }

  const shallow = r.results.filter((x) => x.goalsMissed?.length);
  if (shallow.length) {
    out.push('### Passed without reaching every coverage goal', '', '| job | goals missed |', '|---|---|');
    for (const x of shallow) out.push(`| ${cell(jobTitle(x.job))} | ${cell(x.goalsMissed!.join(', '))} |`);
    out.push('');
  }

  const checks = checkResults(r);
  if (checks.length) {
    const columns = [...new Set(checks.map((x) => matrixColumn(x.job)))];
    const rows = new Map<string, { model: string; variant: string; expect: string; cells: Map<string, JobResult> }>();
    for (const x of checks) {
      const key = `${x.job.model}/${x.job.variant}`;
      if (!rows.has(key)) rows.set(key, { model: x.job.model, variant: x.job.variant, expect: expectText(x.job.expect), cells: new Map() });
      const row = rows.get(key)!;
      // A tso-only mutant's expectation differs by column; the row shows the strongest claim.
      if (x.job.expect.verdict === 'violated') row.expect = `${expectText(x.job.expect)}${x.job.memory === 'tso' ? ' (tso)' : ''}`;
      row.cells.set(matrixColumn(x.job), x);
    }
    out.push(`<details${bad.length ? '' : ' open'}><summary>Verdict matrix: ${rows.size} variants × ${columns.length} ${columns.length === 1 ? 'configuration' : 'configurations'}</summary>`, '');
    out.push(`| model | variant | expected | ${columns.map(cell).join(' | ')} |`, `|---|---|---|${columns.map(() => '---|').join('')}`);
    for (const row of rows.values()) {
      out.push(`| ${row.model} | ${row.variant} | ${cell(row.expect)} | ${columns.map((c) => (row.cells.has(c) ? verdictCell(row.cells.get(c)!) : '')).join(' | ')} |`);
    }
    out.push('', '</details>', '');
  }

  const replays = r.results.filter((x) => x.job.kind === 'replay');
  if (replays.length) {
    const ok = replays.filter((x) => x.status === 'ok').length;
    out.push(`**Corpus:** ${ok} of ${replays.length} saved counterexamples replayed as expected.`, '');
  }
  const others = r.results.filter((x) => x.job.kind === 'validate' || x.job.kind === 'fuzz');
  if (others.length) {
    out.push('| validate and fuzz | outcome | details |', '|---|---|---|');
    for (const x of others) out.push(`| ${cell(jobTitle(x.job))} | ${ICON[x.status]} ${x.status} | ${cell(clip(x.summary, 300))} |`);
    out.push('');
  }
  out.push('The HTML report (`reports/nightly.html`) draws each counterexample as a sequence diagram.', '');
  return out.join('\n');
}
