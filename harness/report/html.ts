/**
 * The nightly's HTML report: one self-contained file (inline CSS and SVG, no script, no external
 * asset) with the verdict matrix, then every counterexample: the explanation, the replay command,
 * the fields it wrote, and its sequence diagram (sequence.ts). Jobs not as expected come first and
 * open; counterexamples of mutants caught as expected are folded.
 */
import type { CheckJob, JobResult, NightlyReport } from './nightly-types.ts';
import type { Counterexample } from './counterexample.ts';
import { traceExcerpt } from './junit.ts';
import { checkResults, counterexamplesOf, countsText, durationText, expectText, headline, isBad, jobTitle, matrixColumn, STATUS_LABEL, type ShownCounterexample } from './nightly-common.ts';
import { esc, fieldHistory, markerDefs, renderSequence } from './sequence.ts';
import { fmtValue } from './text.ts';

const CSS = `
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header, main { padding: 0 24px; max-width: 100%; }
header { border-bottom: 1px solid var(--line); padding-bottom: 12px; }
h1 { font-size: 22px; margin: 16px 0 6px; }
h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.headline { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; display: inline-block; }
.headline.good { background: #dafbe1; color: var(--ok); }
.headline.bad { background: #ffebe9; color: var(--bad); }
.headline.warn { background: #fff8c5; color: var(--warn); }
.meta { color: var(--muted); margin: 6px 0 0; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); }
td.st-ok { background: #dafbe1; }
td.st-failed, td.st-error { background: #ffebe9; font-weight: 600; }
td.st-incomplete, td.st-interrupted, td.st-skipped { background: #fff8c5; }
td a { color: inherit; }
.legend span { margin-right: 14px; }
article.cx { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 14px 0; }
article.cx.bad { border-color: var(--bad); box-shadow: 0 0 0 1px var(--bad) inset; }
.explanation { background: var(--bg2); border-left: 4px solid var(--muted); padding: 8px 12px; margin: 8px 0; white-space: pre-wrap; }
article.cx.bad .explanation { border-left-color: var(--bad); }
.cmd { background: #24292f; color: #f6f8fa; padding: 6px 10px; border-radius: 6px; display: block; overflow-x: auto; margin: 4px 0; }
.status { font-weight: 600; }
.status.bad { color: var(--bad); }
.status.ok { color: var(--ok); }
details > summary { cursor: pointer; color: #0969da; margin: 6px 0; }
.seq { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; margin-top: 6px; }
.seq-svg { display: block; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11px; }
.seq-svg .actor-name { fill: #fff; font-weight: 700; font-size: 13px; font-family: system-ui, sans-serif; }
.seq-svg .col-head { fill: var(--muted); font-size: 11px; font-family: system-ui, sans-serif; }
.seq-svg .lifeline { stroke-width: 1.5; stroke-dasharray: 4 3; opacity: .55; }
.seq-svg .lifeline.memory { stroke-dasharray: none; stroke-width: 3; opacity: .25; }
.seq-svg .step { fill: var(--muted); }
.seq-svg .op line { stroke-width: 1.4; }
.seq-svg .op.buffered line { stroke-dasharray: 5 3; }
.seq-svg .op.flush line { stroke-dasharray: 2 2; stroke-width: 2; }
.seq-svg .op.event-out line, .seq-svg .op.event-in line { stroke-dasharray: 7 2 1 2; }
.seq-svg .op.changed text { font-weight: 700; }
.seq-svg .atomic { opacity: .22; }
.seq-svg .switch { stroke: var(--line); stroke-dasharray: 2 3; }
.seq-svg .note rect { fill: #fffbe6; }
.seq-svg .note .note-link { stroke-dasharray: 1 3; opacity: .6; }
.seq-svg .fold rect { fill: var(--bg2); stroke: var(--line); }
.seq-svg .fold text { fill: var(--muted); font-style: italic; }
.seq-svg .violation rect { fill: #ffebe9; stroke: var(--bad); }
.seq-svg .violation text { fill: var(--bad); font-weight: 700; font-size: 12px; }
.fields td:first-child { white-space: nowrap; }
.small { font-size: 12px; color: var(--muted); }
`;

function statusClass(r: NightlyReport): string {
  if (r.counts.failed + r.counts.error) return 'bad';
  return r.exitCode === 0 ? 'good' : 'warn';
}

function anchor(i: number): string {
  return `cx-${i}`;
}

function verdictText(x: JobResult): string {
  switch (x.status) {
    case 'ok': return x.verdict === 'violated' ? `caught: ${x.invariant}` : { replay: 'reproduced', validate: 'conforms', fuzz: 'no finding', check: 'passed' }[x.job.kind];
    case 'failed':
      if (x.findings?.length) return `${x.findings.length} ${x.findings.length === 1 ? 'finding' : 'findings'}`;
      if (x.invariants) return `violates ${x.invariants.filter((i) => i.status === 'violated').map((i) => i.name).join(', ')}`;
      return x.verdict === 'violated' ? `violated ${x.invariant}` : 'NOT CAUGHT (passed)';
    default: return STATUS_LABEL[x.status];
  }
}

function matrix(r: NightlyReport, cxIndex: Map<JobResult, number>): string {
  const checks = checkResults(r);
  if (!checks.length) return '<p>No checks ran in this run.</p>';
  const columns = [...new Set(checks.map((x) => matrixColumn(x.job)))];
  const models = new Map<string, Map<string, { expect: string; cells: Map<string, JobResult & { job: CheckJob }> }>>();
  for (const x of checks) {
    const variants = models.get(x.job.model) ?? new Map();
    models.set(x.job.model, variants);
    const row = variants.get(x.job.variant) ?? { expect: expectText(x.job.expect), cells: new Map() };
    if (x.job.expect.verdict === 'violated') row.expect = `${expectText(x.job.expect)}${x.job.memory === 'tso' ? ' (under tso)' : ''}`;
    row.cells.set(matrixColumn(x.job), x);
    variants.set(x.job.variant, row);
  }
  const out = [`<table class="matrix"><thead><tr><th>model</th><th>variant</th><th>expected</th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>`];
  for (const [model, variants] of models) {
    let first = true;
    for (const [variant, row] of variants) {
      const cells = columns.map((c) => {
        const x = row.cells.get(c);
        if (!x) return '<td></td>';
        const i = cxIndex.get(x);
        const text = esc(verdictText(x));
        const body = i === undefined ? text : `<a href="#${anchor(i)}">${text}</a>`;
        return `<td class="st-${x.status}" title="${esc(x.summary)}">${body}</td>`;
      }).join('');
      out.push(`<tr data-model="${esc(model)}" data-variant="${esc(variant)}">${first ? `<th rowspan="${variants.size}">${esc(model)}</th>` : ''}<td>${esc(variant)}</td><td>${esc(row.expect)}</td>${cells}</tr>`);
      first = false;
    }
  }
  out.push('</tbody></table>');
  out.push('<p class="legend small"><span>caught / passed: as expected</span><span>NOT CAUGHT: a mutant passed, the checker lost power</span><span>violated: a violation that was not expected</span><span>incomplete: the budget share ran out first</span></p>');
  return out.join('');
}

function fieldsTable(c: Counterexample): string {
  const fields = fieldHistory(c);
  if (!fields.length) return '';
  const rows = fields.slice(0, 40).map((f) => {
    const values = f.writes.length > 12 ? [...f.writes.slice(0, 4), undefined, ...f.writes.slice(-6)] : f.writes;
    const text = values.map((w) => (w ? `<span title="step ${w.step}, ${esc(w.actor)}">${esc(fmtValue(w.value))}</span>` : '…')).join(' → ');
    return `<tr><td class="mono">${esc(f.field)}</td><td class="mono">${text}</td><td>${f.writes.length}</td></tr>`;
  });
  const more = fields.length > 40 ? `<p class="small">${fields.length - 40} more fields are in the counterexample file.</p>` : '';
  return `<details class="fields"><summary>fields written (${fields.length})</summary><table><thead><tr><th>field</th><th>values as they became visible</th><th>writes</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}</details>`;
}

function counterexampleArticle(x: JobResult, cx: ShownCounterexample, i: number): string {
  const c = cx.counterexample;
  const bad = isBad(x);
  const j = x.job;
  const expect = j.kind === 'check' ? `expected: ${expectText(j.expect)}${j.expectOverridden ? ' (set in the config)' : ''}` : '';
  const st = c.stats;
  const stats = st?.originalSteps !== undefined && (st.originalSteps !== st.steps || st.originalPreemptions !== st.preemptions)
    ? ` Shrunk from ${st.originalSteps} steps and ${st.originalPreemptions} preemptions to ${st.steps} and ${st.preemptions}.`
    : '';
  const commands = [cx.replayCommand, x.rerunCommand].filter((s): s is string => s !== undefined).map((s) => `<code class="cmd">${esc(s)}</code>`).join('');
  const description = j.kind === 'check' ? `<p class="small">${esc(j.description)}${j.recreates ? ` Recreates: ${esc(j.recreates)}.` : ''}</p>` : '';
  const diagram = renderSequence(c);
  return `<article class="cx${bad ? ' bad' : ''}" id="${anchor(i)}" data-status="${x.status}" data-model="${esc(c.model)}" data-variant="${esc(c.variant)}" data-invariant="${esc(c.invariant)}">`
    + `<h3>${esc(jobTitle(x.job))}: ${esc(c.invariant)}</h3>`
    + `<p><span class="status ${bad ? 'bad' : 'ok'}">${esc(bad ? (x.failure?.message ?? x.summary) : x.summary)}</span> <span class="small">${esc(expect)}; memory ${c.memory}, ${c.engine} engine, ${c.trace.length} trace entries.${esc(stats)}</span></p>`
    + description
    + `<div class="explanation">${esc(c.message)}</div>`
    + commands
    + fieldsTable(c)
    + `<details class="diagram"${bad ? ' open' : ''}><summary>sequence diagram (${esc(c.trace.filter((e) => e.op !== 'note').length.toString())} operations)</summary>${diagram}</details>`
    + '</article>';
}

/** What a person needs to follow up a job that is not a check: commands, an exchange, findings. */
function details(x: JobResult): string {
  const exchanges = (x.invariants ?? []).filter((i) => i.finding).map((i) => `<p><b>${esc(i.name)}</b>: ${esc(i.finding!.message)}</p>`
    + `<details><summary>messages exchanged (${i.finding!.exchange.length})</summary><pre>${esc(traceExcerpt(i.finding!.exchange.join('\n'), 20, 60))}</pre></details>`);
  const findings = (x.findings ?? []).map((f) => `<li><b>${esc(f.oracle)}</b> at ${esc(f.location)}: ${esc(f.message)}${f.showCommand ? `<code class="cmd">${esc(f.showCommand)}</code>` : ''}</li>`);
  const commands = [...counterexamplesOf(x).map((c) => c.replayCommand), x.rerunCommand].filter((s): s is string => s !== undefined);
  return exchanges.join('') + (findings.length ? `<ul>${findings.join('')}</ul>` : '') + commands.map((s) => `<code class="cmd">${esc(s)}</code>`).join('');
}

function otherJobs(r: NightlyReport): string {
  const rows = r.results.filter((x) => x.job.kind !== 'check');
  if (!rows.length) return '';
  const body = rows.map((x) => `<tr><td class="mono">${esc(x.job.id)}</td><td class="st-${x.status}">${esc(verdictText(x))}</td><td>${esc(x.summary)}${isBad(x) ? details(x) : ''}</td></tr>`);
  return `<h2 id="other">Corpus replays, validations and fuzz runs</h2><table><thead><tr><th>job</th><th>outcome</th><th>details</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

export function renderHtml(r: NightlyReport): string {
  const withCx = r.results.flatMap((x) => counterexamplesOf(x).map((cx) => ({ x, cx }))).sort((a, b) => Number(isBad(b.x)) - Number(isBad(a.x)));
  // A job's first counterexample is where the matrix and the list of problems link to.
  const cxIndex = new Map<JobResult, number>();
  withCx.forEach(({ x }, i) => { if (!cxIndex.has(x)) cxIndex.set(x, i); });
  const bad = r.results.filter(isBad);
  const problems = bad.length
    ? `<h2 id="problems">Not as expected (${bad.length})</h2><ul>${bad.map((x) => {
      const i = cxIndex.get(x);
      const text = `${esc(jobTitle(x.job))}: ${esc(x.failure?.message ?? x.summary)}`;
      return `<li>${i === undefined ? text : `<a href="#${anchor(i)}">${text}</a>`}${i === undefined && x.rerunCommand ? `<code class="cmd">${esc(x.rerunCommand)}</code>` : ''}</li>`;
    }).join('')}</ul>`
    : '';
  const unfinished = r.results.filter((x) => x.status === 'incomplete' || x.status === 'interrupted' || x.status === 'skipped');
  const unfinishedHtml = unfinished.length
    ? `<h2 id="unfinished">Incomplete or not run (${unfinished.length})</h2><ul>${unfinished.map((x) => `<li>${esc(jobTitle(x.job))}: ${esc(x.summary)}</li>`).join('')}</ul>`
    : '';
  const meta = [
    countsText(r),
    `exit code ${r.exitCode}`,
    `${r.seconds.toFixed(1)} s of a ${durationText(r.budgetMs)} budget`,
    `config: ${r.config ?? 'the built-in default suite'}`,
    r.shard ? `shard ${r.shard.index}/${r.shard.count} (${r.counts.jobs} of ${r.totalJobs} jobs)` : '',
    `started ${r.startedAt}`,
    r.interrupted ? 'INTERRUPTED by a signal: the reports hold what finished' : '',
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>virtio-verify nightly: ${esc(headline(r))}</title>
<style>${CSS}</style>
</head>
<body>
${markerDefs()}
<header>
<h1>virtio-verify nightly</h1>
<div class="headline ${statusClass(r)}" id="headline">${esc(headline(r))}</div>
<p class="meta">${meta.map(esc).join(' · ')}</p>
<nav><a href="#matrix">verdict matrix</a><a href="#counterexamples">counterexamples (${withCx.length})</a>${r.results.some((x) => x.job.kind !== 'check') ? '<a href="#other">corpus, validate and fuzz</a>' : ''}</nav>
</header>
<main>
${problems}
${unfinishedHtml}
<h2 id="matrix">Verdict matrix</h2>
${matrix(r, cxIndex)}
<h2 id="counterexamples">Counterexamples (${withCx.length})</h2>
<p class="small">Columns are the actors and shared memory; rows are operations in the order they happened. Arrows into memory are writes (dashed: still in a store buffer under tso; dotted: the buffer flushed), arrows out of it reads; bold labels change a field; bars are atomic sections; notes are what the actors said they did.</p>
${withCx.map(({ x, cx }, i) => counterexampleArticle(x, cx, i)).join('\n')}
${otherJobs(r)}
</main>
</body>
</html>
`;
}
