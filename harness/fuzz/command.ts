/**
 * `virtio-verify fuzz <target> [--variant V] [--seed N] [--time T] [--engine jsfuzz|builtin]
 * [--corpus DIR] [--differential] [--no-seeds] [--json]` and `virtio-verify corpus show FILE`.
 * Exit codes: 0 nothing found, 1 a finding (saved under reports/fuzz/), 2 bad usage, 3 interrupted
 * (SIGINT or SIGTERM: the run stops after its batch, ends jsfuzz's processes and reports).
 */
import { readFileSync } from 'node:fs';
import { parseChoice, parseDuration, parseInteger } from '../cli-args.ts';
import { INTERRUPTED_EXIT } from '../core/interrupt.ts';
import { UsageError } from '../core/model.ts';
import type { FuzzResult, FuzzStatus } from './builtin.ts';
import type { JsfuzzResult } from './jsfuzz.ts';
import { FUZZ_ENGINES, fuzzTargetOf, runFuzz } from './run.ts';
import { describeStep, streamFromJson } from './stream.ts';
import { FUZZ_TARGETS } from './targets/index.ts';

export interface FuzzValues {
  readonly variant?: string;
  readonly seed?: string;
  readonly time?: string;
  readonly engine?: string;
  readonly corpus?: string;
  readonly differential?: boolean;
  readonly 'no-seeds'?: boolean;
  readonly out?: string;
  readonly json?: boolean;
}

function line(s: FuzzStatus, label: string): string {
  return `fuzz ${label}  ${s.seconds.toFixed(1)}s  execs ${s.executions}  ${s.perSecond}/s  corpus ${s.corpus}  findings ${s.findings}`;
}

export async function fuzzCommand(rest: readonly string[], values: FuzzValues, out: (s: string) => void, signal?: AbortSignal): Promise<number> {
  const [name, ...extra] = rest;
  if (!name) throw new UsageError(`fuzz needs a target (${FUZZ_TARGETS.map((t) => t.name).join(', ')})`);
  if (extra.length) throw new UsageError(`fuzz takes one target, not ${rest.join(' ')}`);
  const variant = values.variant ?? 'reference';
  const t = fuzzTargetOf(name, variant);
  const engine = parseChoice(values.engine, '--engine', FUZZ_ENGINES) ?? 'builtin';
  const seed = parseInteger(values.seed, '--seed') ?? 1;
  const timeMs = values.time ? parseDuration(values.time, '--time') : 60_000;
  const label = `${t.name}/${variant} (${engine})`;
  const tty = process.stderr.isTTY === true && !values.json;
  let lastQuiet = Date.now();
  const control = { stop: signal?.aborted === true };
  const onSignal = () => { control.stop = true; };
  signal?.addEventListener('abort', onSignal, { once: true });
  let r: FuzzResult | JsfuzzResult;
  try {
    r = await runFuzz({
      target: t.name, variant, engine, seed, timeMs, control, differential: values.differential, noSeeds: values['no-seeds'],
      corpus: values.corpus, out: values.out ?? '.',
      onStatus: (s) => {
        if (tty) process.stderr.write(`\r\x1b[K${line(s, label)}`);
        else if (!values.json && Date.now() - lastQuiet >= 10_000) { lastQuiet = Date.now(); process.stderr.write(`${line(s, label)}\n`); }
      },
    });
  } finally {
    signal?.removeEventListener('abort', onSignal);
    if (tty) process.stderr.write('\n');
  }
  const findings = r.findingsList.map((f) => ({ oracle: f.oracle, location: f.location, message: f.message, steps: f.steps.length, originalSteps: f.originalSteps, afterMs: f.afterMs, afterExecutions: f.afterExecutions, file: f.file }));
  if (values.json) {
    out(JSON.stringify({
      target: t.name, variant, engine, seed, verdict: findings.length ? 'violated' : 'passed', stoppedBy: r.stoppedBy, interrupted: r.stoppedBy === 'signal', executions: r.executions,
      seconds: Number(r.seconds.toFixed(3)), perSecond: r.perSecond, corpus: r.corpus, features: r.features, corpusDir: r.corpusSaved, findings,
    }, null, 1));
  } else {
    out(`${label}: ${r.executions} executions in ${r.seconds.toFixed(1)}s (${r.perSecond}/s), corpus ${r.corpus}, ${engine === 'builtin' ? 'features' : 'coverage'} ${r.features}, stopped by ${r.stoppedBy}`);
    if (r.corpusSaved) out(`corpus: ${r.corpusSaved}`);
    if (!findings.length) out('no findings');
    for (const f of r.findingsList) {
      out(`FINDING ${f.oracle} at ${f.location}: ${f.message}`);
      out(`  minimized from ${f.originalSteps} to ${f.steps.length} steps, found after ${f.afterExecutions} executions (${(f.afterMs / 1000).toFixed(2)}s)`);
      for (const s of f.steps) out(`    ${describeStep(s)}`);
      if (f.file) out(`  saved: ${f.file} (virtio-verify corpus show ${f.file})`);
    }
  }
  if (findings.length) return 1;
  return r.stoppedBy === 'signal' ? INTERRUPTED_EXIT : 0;
}

export function corpusCommand(rest: readonly string[], values: FuzzValues, out: (s: string) => void): number {
  const [sub, file, ...extra] = rest;
  if (sub !== 'show' || !file || extra.length) throw new UsageError('usage: virtio-verify corpus show FILE');
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { throw new UsageError(`cannot read ${file}`); }
  let s;
  try { s = streamFromJson(text); } catch (e) { throw new UsageError(`${file}: ${(e as Error).message}`); }
  const lines = s.steps.map((x, i) => `${String(i).padStart(4)}  ${describeStep(x)}`);
  if (values.json) out(JSON.stringify({ target: s.target, note: s.note, ...s.extra, steps: s.steps.map(describeStep) }, null, 1));
  else {
    out(`${s.target}${s.extra.variant ? ` variant ${String(s.extra.variant)}` : ''}${s.extra.oracle ? `: ${String(s.extra.oracle)} at ${String(s.extra.location)}` : ''}`);
    if (s.note) out(`  ${s.note}`);
    for (const l of lines) out(l);
  }
  return 0;
}
