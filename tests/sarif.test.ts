/**
 * SARIF 2.1.0 for code scanning: check, validate and nightly write logs that the official SARIF
 * 2.1.0 JSON schema (from @microsoft/jest-sarif, validated with ajv) accepts; every violation is a
 * result with the invariant as rule, the model's variant or the implementation file as location,
 * the counterexample as one thread flow per actor; within GitHub's 10,000 steps per result.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../harness/cli.ts';
import type { NamedEntry } from '../harness/report/counterexample.ts';
import { flowsOf, MAX_FLOW_STEPS, nightlyFindings, sarifLog } from '../harness/report/sarif.ts';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const Ajv = require('ajv-draft-04') as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null } };
const addFormats = require('ajv-formats') as (ajv: object) => void;
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
// The schema's one language-tag pattern is not a valid Unicode regular expression: checked without the u flag.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const valid = ajv.compile(schema);

interface Log {
  version: string;
  runs: { tool: { driver: { name: string; rules: { id: string; name: string }[] } }; results: Result[] }[];
}
interface Result {
  ruleId: string; level: string; message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region?: { startLine: number } } }[];
  codeFlows?: { threadFlows: { id: string; locations: { executionOrder: number; location: { message: { text: string } } }[] }[] }[];
}

function expectValid(log: unknown): Log {
  const ok = valid(log);
  expect(valid.errors ?? [], JSON.stringify(valid.errors?.slice(0, 3))).toEqual([]);
  expect(ok).toBe(true);
  return log as Log;
}

async function cli(...argv: string[]): Promise<number> {
  return main(argv, () => {});
}

const lineOf = (file: string, text: string) => readFileSync(join(root, file), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

describe('the schema check can fail', () => {
  it('rejects a log without a tool name and a result without a message', () => {
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    expect(valid({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ ruleId: 'r' }] }] })).toBe(false);
  });
});

describe('check --sarif', () => {
  it('a mutant: one result, the invariant as rule, located at the variant, one thread flow per actor in schedule order', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vv-sarif-'));
    const file = join(out, 'check.sarif');
    expect(await cli('check', 'config-gencount', '--variant', 'no-odd-check', '--out', out, '--sarif', file)).toBe(1);
    const log = expectValid(JSON.parse(readFileSync(file, 'utf8')));
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('virtio-verify');
    expect(run.results).toHaveLength(1);
    const r = run.results[0];
    expect(r.ruleId).toBe('config-gencount/no-torn-read');
    expect(run.tool.driver.rules.map((x) => x.id)).toEqual(['config-gencount/no-torn-read']);
    // A seeded mutant caught as it must be: a note, not an alert.
    expect(r.level).toBe('note');
    const loc = r.locations[0].physicalLocation;
    expect(loc.artifactLocation).toEqual({ uri: 'models/config-gencount/variants.ts', uriBaseId: '%SRCROOT%' });
    expect(loc.region?.startLine).toBe(lineOf('models/config-gencount/variants.ts', "name: 'no-odd-check'"));
    const flows = r.codeFlows![0].threadFlows;
    expect(flows.map((f) => f.id).sort()).toEqual(['device', 'driver']);
    const order = flows.flatMap((f) => f.locations.map((l) => l.executionOrder)).sort((a, b) => a - b);
    expect(order).toEqual(order.map((_, i) => i + 1));
    expect(flows.find((f) => f.id === 'driver')!.locations.some((l) => /driver load config\.gen/.test(l.location.message.text))).toBe(true);
    expect(r.message.text).toMatch(/Replay: npx virtio-verify replay /);
  });

  it('a reference that passes: a valid log with no result', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vv-sarif-')), 'pass.sarif');
    expect(await cli('check', 'litmus-sb', '--sarif', file)).toBe(0);
    expect(expectValid(JSON.parse(readFileSync(file, 'utf8'))).runs[0].results).toEqual([]);
  });
});

describe('validate --sarif', () => {
  it('a buggy JavaScript driver: an error located in the implementation file', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vv-sarif-'));
    const file = join(out, 'v.sarif');
    const impl = join(root, 'examples', 'js', 'gencount-driver-buggy.mjs');
    expect(await cli('validate', '--impl', impl, '--role', 'driver', '--scheme', 'config-gencount', '--preemptions', '1', '--out', out, '--sarif', file)).toBe(1);
    const log = expectValid(JSON.parse(readFileSync(file, 'utf8')));
    const results = log.runs[0].results;
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.level).toBe('error');
      expect(r.ruleId).toMatch(/^config-gencount\//);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe(relative(process.cwd(), impl));
      expect(r.codeFlows![0].threadFlows.map((f) => f.id)).toContain('driver');
    }
  });

  it('a buggy external device: the message exchange as two thread flows', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vv-sarif-'));
    const file = join(out, 'p.sarif');
    const code = await cli('validate', '--impl', `python3 ${join(root, 'examples', 'python', 'virtio_msg_device_buggy.py')}`, '--role', 'device', '--scheme', 'transport-msg', '--sarif', file);
    expect(code).toBe(1);
    const r = expectValid(JSON.parse(readFileSync(file, 'utf8'))).runs[0].results[0];
    expect(r.ruleId).toMatch(/^transport-msg\//);
    expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('examples/python/virtio_msg_device_buggy.py');
    const flows = r.codeFlows![0].threadFlows;
    expect(flows.map((f) => f.id)).toEqual(['driver', 'device']);
    expect(flows[0].locations[0].location.message.text).toMatch(/^-> /);
  });
});

describe('nightly --sarif', () => {
  it('the problems of the run, valid against the schema; mutants caught as expected are no alerts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vv-sarif-n-'));
    writeFileSync(join(dir, 'n.json'), JSON.stringify({
      corpus: false,
      checks: [
        { model: 'config-gencount', variants: ['no-recheck'], memory: ['sc'] },
        // Declared as passing: its violation is not as expected.
        { model: 'config-gencount', variants: ['single-bump'], memory: ['sc'], expect: { verdict: 'passed' } },
        // Declared as breaking an invariant it cannot break under sc: not caught.
        { model: 'litmus-sb', variants: ['no-fence'], memory: ['sc'], expect: { verdict: 'violated', invariant: 'sc-outcome' } },
      ],
    }));
    const { nightlyCommand } = await import('../harness/nightly/command.ts');
    const code = await nightlyCommand([], { config: join(dir, 'n.json'), sarif: 'reports/nightly.sarif' }, () => {}, { signals: false, cwd: dir, stderr: { write: () => true } });
    expect(code).toBe(1);
    const log = expectValid(JSON.parse(readFileSync(join(dir, 'reports', 'nightly.sarif'), 'utf8')));
    const rules = log.runs[0].results.map((r) => r.ruleId).sort();
    expect(rules).toContain('config-gencount/no-torn-read');
    expect(rules).toContain('litmus-sb/mutant-not-caught');
    // no-recheck was caught as expected: not an alert.
    expect(log.runs[0].results.filter((r) => r.message.text.includes('no-recheck'))).toEqual([]);
    expect(log.runs[0].results.every((r) => r.level === 'error')).toBe(true);
  });
});

describe('nightly fuzz findings', () => {
  it('a finding is a result whose flow is the minimized stream', () => {
    const job = { kind: 'fuzz' as const, index: 0, id: 'fuzz config-msg/reject-by-discard [1 s]', target: 'config-msg', variant: 'reject-by-discard', engine: 'builtin' as const, seed: 1, timeMs: 1000 };
    const report = {
      totalJobs: 1, budgetMs: 1000, requireComplete: false, startedAt: '', finishedAt: '', seconds: 1, interrupted: false, exitCode: 1,
      counts: { ok: 0, failed: 1, error: 0, incomplete: 0, interrupted: 0, skipped: 0, jobs: 1 },
      results: [{
        job, status: 'failed' as const, summary: 'x', seconds: 1, failure: { type: 'fuzz-finding' as const, message: '1 finding' },
        findings: [{ oracle: 'one-response-per-request', location: 'GET_CONFIG', message: 'no answer', steps: 2, stream: ['-> GET_CONFIG #1', '-> GET_CONFIG #2'] }],
      }],
    };
    const log = expectValid(sarifLog(nightlyFindings(report), { root, version: '0', command: 'nightly' }));
    const r = log.runs[0].results[0];
    expect(r.ruleId).toBe('fuzz/config-msg/one-response-per-request');
    expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('models/config-msg/variants.ts');
    expect(r.codeFlows![0].threadFlows[0].locations.map((l) => l.location.message.text)).toEqual(['-> GET_CONFIG #1', '-> GET_CONFIG #2']);
  });
});

describe("GitHub's limits", () => {
  it('a trace longer than 10,000 steps keeps its last 10,000 (where the violation is) and says what it left out', () => {
    const trace: NamedEntry[] = Array.from({ length: 25_000 }, (_, i) => ({ step: i, actor: i % 3 === 0 ? 'driver' : 'device', op: 'load', target: 'config.gen', value: i }));
    const flows = flowsOf(trace, () => ({ file: join(root, 'models', 'config-gencount', 'driver.ts'), line: 1 }));
    const steps = flows.flatMap((f) => f.steps);
    expect(steps).toHaveLength(MAX_FLOW_STEPS);
    expect(Math.max(...steps.map((s) => s.order))).toBe(25_000);
    expect(Math.min(...steps.map((s) => s.order))).toBe(25_000 - MAX_FLOW_STEPS + 1);
    expect(flows.reduce((n, f) => n + (f.omitted ?? 0), 0)).toBe(15_000);
    const log = sarifLog([{
      ruleId: 'm/i', invariant: 'i', level: 'error', message: 'm', place: { file: join(root, 'README.md'), line: 1 }, flows, identity: 'x',
    }], { root, version: '0', command: 'test' });
    const r = expectValid(log).runs[0].results[0];
    expect(r.codeFlows![0].threadFlows.reduce((n, f) => n + f.locations.length, 0)).toBe(MAX_FLOW_STEPS);
  });
});
