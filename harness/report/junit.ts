/**
 * JUnit XML for CI: one test suite per model (and one for the corpus, fuzz and validate jobs), one
 * test case per model x variant x invariant. A check's outcome lands on the invariant it concerns:
 * a mutant's target invariant fails when the mutant was not caught; an unexpected violation fails
 * the invariant violated, with the explanation, the trace and the replay command. Invariants the
 * exploration did not evaluate to the end (it stops at the first violation) are skipped.
 */
import { validateQualifiers, type CheckJob, type JobResult, type NightlyReport, type ValidateJob } from './nightly-types.ts';
import { qualifierText } from './nightly-common.ts';
import { renderTrace } from './text.ts';

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly seconds: number;
  readonly outcome:
    | { readonly kind: 'pass'; readonly note?: string }
    | { readonly kind: 'failure' | 'error'; readonly type: string; readonly message: string; readonly body: string }
    | { readonly kind: 'skipped'; readonly message: string };
}

// XML 1.0 allows tab, newline, carriage return and everything from space up, except surrogates and FFFE/FFFF.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The trace as text, cut to its first and last rows when it is long. */
export function traceExcerpt(text: string, head = 20, tail = 120): string {
  const lines = text.split('\n');
  if (lines.length <= head + tail + 10) return text;
  return [...lines.slice(0, head), `    ... ${lines.length - head - tail} rows left out (the full trace is in the counterexample file and the HTML report) ...`, ...lines.slice(-tail)].join('\n');
}

function failureBody(r: JobResult): string {
  const parts: string[] = [r.failure?.message ?? r.summary];
  const c = r.counterexample;
  if (c) {
    parts.push('', c.message, '', traceExcerpt(renderTrace(c.trace)));
  }
  if (r.job.kind === 'check') {
    parts.push('', `variant: ${r.job.description}`);
    if (r.job.recreates) parts.push(`recreates: ${r.job.recreates}`);
  }
  parts.push('');
  for (const f of r.findings ?? []) parts.push(`${f.oracle} at ${f.location}: ${f.message} (${f.steps} steps)${f.file ? `\n  saved: ${f.file}\n  show: ${f.showCommand}` : ''}`);
  if (r.findings?.length) parts.push('');
  if (r.replayCommand) parts.push(`replay: ${r.replayCommand}`);
  if (r.counterexampleFile) parts.push(`counterexample: ${r.counterexampleFile}`);
  if (r.rerunCommand) parts.push(`re-run: ${r.rerunCommand}`);
  return parts.join('\n');
}

/** A validate job: a case per invariant, named with the implementation (a config may validate several). */
function validateCases(r: JobResult & { job: ValidateJob }): Case[] {
  const j = r.job;
  const classname = `validate.${j.scheme}.${j.role}`;
  const q = [j.impl, ...validateQualifiers(j).filter((x, i) => !(i === 0 && x === 'sc'))].join(', ');
  if (!r.invariants) return [otherCase(r, classname, q)];
  const focus = r.invariant ?? r.invariants[0]?.name;
  return r.invariants.map((i): Case => {
    const mk = (outcome: Case['outcome']): Case => ({ classname, name: `${i.name} [${q}]`, seconds: i.name === focus ? r.seconds : 0, outcome });
    switch (i.status) {
      case 'holds': return mk({ kind: 'pass', note: r.complete ? undefined : r.summary });
      case 'not-applicable': return mk({ kind: 'skipped', message: `does not apply to the ${j.role}` });
      case 'not-established': return mk({ kind: 'skipped', message: `not established: the exploration stopped at an earlier finding (${r.invariant})` });
      default: break;
    }
    const c = i.counterexample;
    const message = `${i.name}: ${c?.message ?? i.finding?.message ?? ''}`;
    const body = [
      r.failure?.message ?? r.summary, '', c?.message ?? i.finding?.message ?? '', '',
      c ? traceExcerpt(renderTrace(c.trace)) : traceExcerpt(`messages exchanged (-> to the implementation, <- from it):\n${(i.finding?.exchange ?? []).join('\n')}`), '',
      ...(i.replayCommand ? [`replay: ${i.replayCommand}`, `counterexample: ${i.file}`] : []),
      ...(r.rerunCommand ? [`re-run: ${r.rerunCommand}`] : []),
    ];
    return mk({ kind: 'failure', type: r.failure?.type ?? 'unexpected-violation', message, body: body.join('\n') });
  });
}

function checkCases(r: JobResult & { job: CheckJob }): Case[] {
  const j = r.job;
  const q = qualifierText(j);
  const name = (inv: string) => (q ? `${inv} [${q}]` : inv);
  const classname = `${j.model}.${j.variant}`;
  const target = j.expect.verdict === 'violated' ? j.expect.invariant : undefined;
  // Where the job's time goes: the invariant the outcome is about.
  const focus = r.invariant ?? target ?? j.invariants[0];
  return j.invariants.map((inv): Case => {
    const seconds = inv === focus ? r.seconds : 0;
    const mk = (outcome: Case['outcome']): Case => ({ classname, name: name(inv), seconds, outcome });
    switch (r.status) {
      case 'error':
        return inv === focus
          ? mk({ kind: 'error', type: 'error', message: r.summary, body: failureBody(r) })
          : mk({ kind: 'skipped', message: 'not run to the end: the check stopped with an error' });
      case 'skipped': case 'interrupted':
        return mk({ kind: 'skipped', message: r.summary });
      default: break;
    }
    if (r.verdict === 'violated') {
      if (inv === r.invariant) {
        return r.status === 'ok'
          ? mk({ kind: 'pass', note: `caught as expected: ${r.counterexample?.message ?? ''}\nreplay: ${r.replayCommand ?? ''}` })
          : mk({ kind: 'failure', type: r.failure!.type, message: r.failure!.message, body: failureBody(r) });
      }
      if (inv === target) return mk({ kind: 'skipped', message: `not reached: the exploration stopped at a violation of ${r.invariant} first` });
      return mk({ kind: 'skipped', message: `not evaluated to the end: the exploration stops at the first violation (${r.invariant})` });
    }
    // Passed: no invariant was violated in what was explored.
    if (inv === target) {
      return r.status === 'failed'
        ? mk({ kind: 'failure', type: r.failure!.type, message: r.failure!.message, body: failureBody(r) })
        : mk({ kind: 'skipped', message: r.summary });
    }
    return mk({ kind: 'pass', note: r.complete ? undefined : r.summary });
  });
}

function otherCase(r: JobResult, classname: string, name: string): Case {
  const outcome: Case['outcome'] = r.status === 'ok' ? { kind: 'pass', note: r.summary }
    : r.status === 'failed' || r.status === 'error'
      ? { kind: r.status === 'error' ? 'error' : 'failure', type: r.failure?.type ?? r.status, message: r.failure?.message ?? r.summary, body: failureBody(r) }
      : { kind: 'skipped', message: r.summary };
  return { classname, name, seconds: r.seconds, outcome };
}

function suiteOf(r: JobResult): string {
  return r.job.kind === 'check' ? r.job.model : r.job.kind === 'replay' ? 'corpus' : r.job.kind;
}

function casesOf(r: JobResult): Case[] {
  const j = r.job;
  if (j.kind === 'check') return checkCases(r as JobResult & { job: CheckJob });
  if (j.kind === 'replay') {
    const base = j.file.split('/').pop()!;
    const [model, variant] = base.split('.');
    return [otherCase(r, `corpus.${model}.${variant}`, base)];
  }
  if (j.kind === 'validate') return validateCases(r as JobResult & { job: ValidateJob });
  return [otherCase(r, 'fuzz', j.id)];
}

function caseXml(c: Case): string {
  const head = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="${c.seconds.toFixed(3)}"`;
  const o = c.outcome;
  switch (o.kind) {
    case 'pass':
      return o.note ? `${head}>\n      <system-out>${xmlEscape(o.note)}</system-out>\n    </testcase>` : `${head}/>`;
    case 'skipped':
      return `${head}>\n      <skipped message="${xmlEscape(o.message)}"/>\n    </testcase>`;
    default:
      return `${head}>\n      <${o.kind} type="${xmlEscape(o.type)}" message="${xmlEscape(o.message)}">${xmlEscape(o.body)}</${o.kind}>\n    </testcase>`;
  }
}

export function renderJunit(r: NightlyReport): string {
  const suites = new Map<string, Case[]>();
  for (const res of r.results) {
    const name = suiteOf(res);
    suites.set(name, [...(suites.get(name) ?? []), ...casesOf(res)]);
  }
  const count = (cs: readonly Case[], k: Case['outcome']['kind']) => cs.filter((c) => c.outcome.kind === k).length;
  const all = [...suites.values()].flat();
  const time = (cs: readonly Case[]) => cs.reduce((s, c) => s + c.seconds, 0).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="virtio-verify nightly${r.shard ? ` shard ${r.shard.index}/${r.shard.count}` : ''}" tests="${all.length}" failures="${count(all, 'failure')}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${r.seconds.toFixed(3)}" timestamp="${r.startedAt}">`,
  ];
  for (const [name, cs] of suites) {
    lines.push(`  <testsuite name="${xmlEscape(name)}" tests="${cs.length}" failures="${count(cs, 'failure')}" errors="${count(cs, 'error')}" skipped="${count(cs, 'skipped')}" time="${time(cs)}" timestamp="${r.startedAt}">`);
    for (const c of cs) lines.push(caseXml(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
