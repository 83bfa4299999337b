/**
 * The nightly's validate and fuzz jobs: third-party implementations (JavaScript, C, an external
 * command) validated within a share of the budget, the fuzz engine run for a set time; their
 * outcomes in every report format and in the exit code; counterexamples saved and replayable.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findWasmToolchain } from '../harness/adapters/wasm/build.ts';
import { parseConfig, resolveImpl } from '../harness/nightly/config.ts';
import { loadCounterexample } from '../harness/report/counterexample.ts';
import { replay } from '../harness/replay.ts';
import { root, run, testcase } from './nightly-helpers.ts';

const example = (...p: string[]) => join(root, 'examples', ...p);
type JobJson = { id: string; kind: string; status: string; [k: string]: unknown };
const job = (json: { jobs: JobJson[] }, prefix: string) => {
  const j = json.jobs.find((x) => x.id.startsWith(prefix));
  expect(j, prefix).toBeDefined();
  return j!;
};

describe('validate and fuzz jobs', () => {
  it('a conforming and a buggy JavaScript driver, a fuzz run with nothing to find and one on a seeded mutant: exit 1', async () => {
    // Paths relative to the config file's directory, as the config's other paths.
    const r = await run((dir: string) => ({
      checks: [],
      corpus: false,
      validate: [
        { impl: relative(dir, example('js', 'gencount-driver-good.mjs')), role: 'driver', scheme: 'config-gencount', memory: ['sc'], preemptions: 1 },
        { impl: relative(dir, example('js', 'gencount-driver-buggy.mjs')), role: 'driver', scheme: 'config-gencount', memory: ['sc'], preemptions: 1 },
      ],
      fuzz: [
        { target: 'config-msg', time: '1s' },
        { target: 'config-msg', variant: 'reject-by-discard', time: '1s' },
      ],
    }), ['budget', '30s']);
    expect(r.code).toBe(1);
    expect(r.json.counts).toMatchObject({ jobs: 4, ok: 2, failed: 2 });

    const good = job(r.json, 'validate config-gencount driver ../');
    expect(good).toMatchObject({ status: 'ok', verdict: 'passed', complete: true });
    expect((good.invariants as { status: string }[]).every((i) => i.status === 'holds')).toBe(true);

    const buggy = r.json.jobs.find((j: JobJson) => j.id.includes('gencount-driver-buggy'));
    expect(buggy).toMatchObject({ status: 'failed', verdict: 'violated', failure: { type: 'unexpected-violation' } });
    expect(buggy.failure.message).toMatch(/gencount-driver-buggy\.mjs as the driver of config-gencount violates driver-write-intact/);
    const violated = buggy.invariants.find((i: { status: string }) => i.status === 'violated');
    // Two jobs validate the same role of the same scheme: the file names say which implementation.
    expect(violated.counterexample).toBe('reports/counterexamples/validate.config-gencount.driver.driver-write-intact.gencount-driver-buggy.json');
    expect(violated.replay).toBe(`npx virtio-verify replay ${violated.counterexample}`);
    // The file names the implementation: replay runs it again and sees the same violation.
    const again = await replay(loadCounterexample(join(r.dir, violated.counterexample)));
    expect(again).toMatchObject({ reproduced: true, invariant: 'driver-write-intact' });

    // Kept in a corpus folder, the file is a regression test of the implementation: replayed on its own engine.
    const corpus = join(r.dir, 'corpus');
    mkdirSync(corpus);
    copyFileSync(join(r.dir, violated.counterexample), join(corpus, 'buggy.json'));
    const replayed = await run({ checks: [], corpus: { dirs: [corpus] } });
    expect(replayed.code).toBe(1);
    expect(replayed.json.jobs[0]).toMatchObject({ kind: 'replay', status: 'failed', failure: { type: 'regression' } });
    expect(replayed.json.jobs[0].failure.message).toMatch(/gencount-driver-buggy\.mjs as the driver of config-gencount must pass, but this saved schedule violates driver-write-intact again/);

    const fuzzOk = job(r.json, 'fuzz config-msg/reference');
    expect(fuzzOk).toMatchObject({ status: 'ok', findings: [] });
    expect(fuzzOk.executions).toBeGreaterThan(100);
    const fuzzBad = job(r.json, 'fuzz config-msg/reject-by-discard');
    expect(fuzzBad).toMatchObject({ status: 'failed', failure: { type: 'fuzz-finding' } });
    const finding = (fuzzBad.findings as { oracle: string; file: string }[])[0];
    expect(finding.oracle).toBe('one-response-per-request');
    expect(existsSync(join(r.dir, finding.file))).toBe(true);
    expect(finding.file).toMatch(/^reports\/fuzz\/config-msg\/findings\//);
    // The corpus grown is not dumped into the reports (no corpus folder was named).
    expect(existsSync(join(r.reports, 'fuzz', 'config-msg', 'corpus'))).toBe(false);

    // JUnit: a suite per kind, a case per invariant of each validation, a case per fuzz run.
    expect(r.junit).toMatch(/<testsuite name="validate" tests="12" failures="1" errors="0"/);
    expect(r.junit).toMatch(/<testsuite name="fuzz" tests="2" failures="1" errors="0"/);
    const implName = relative(r.dir, example('js', 'gencount-driver-buggy.mjs'));
    const tc = testcase(r.junit, 'validate.config-gencount.driver', `driver-write-intact [${implName}, preemptions 1]`);
    expect(tc).toMatch(/<failure type="unexpected-violation" message="driver-write-intact: device accepted/);
    expect(tc).toContain(`replay: npx virtio-verify replay ${violated.counterexample}`);
    expect(testcase(r.junit, 'validate.config-gencount.driver', `no-torn-read [${implName}, preemptions 1]`)).toMatch(/\/>$/);
    expect(testcase(r.junit, 'fuzz', 'fuzz config-msg/reject-by-discard [1 s]')).toMatch(/<failure type="fuzz-finding"[^]*corpus show reports\/fuzz/);
    expect(testcase(r.junit, 'fuzz', 'fuzz config-msg/reference [1 s]')).toMatch(/system-out>no finding/);

    expect(r.markdown).toMatch(/^## ❌ virtio-verify nightly: 2 of 4 jobs NOT as expected/);
    expect(r.markdown).toMatch(/\*\*driver-write-intact\*\*: device accepted/);
    expect(r.markdown).toMatch(/\| fuzz config-msg\/reference \[1 s\] \| ✅ ok \| no finding/);
    expect(r.markdown).not.toMatch(/reserved|not available/);
    expect(r.html).toMatch(/<article class="cx bad"[^>]*data-invariant="driver-write-intact"/);
    expect(r.html).toContain(`npx virtio-verify replay ${violated.counterexample}`);
    expect(r.html).toMatch(/<td class="st-ok">conforms<\/td>/);
    expect(r.stderr).toMatch(/nightly: 4 jobs \(2 validations, 2 fuzz runs\)/);
    expect(r.stderr).toMatch(/FAILED +validate config-gencount driver .*gencount-driver-buggy\.mjs \[sc, preemptions 1\]: DOES NOT CONFORM/);
  });

  it('budget cuts: incomplete, and exit 0; a file that does not exist: error, exit 1', async () => {
    const r = await run({
      checks: [],
      corpus: false,
      validate: [
        { impl: example('js', 'gencount-driver-good.mjs'), role: 'driver', scheme: 'config-gencount', memory: ['sc'], preemptions: 3, budget: '50ms' },
      ],
    });
    expect(r.code).toBe(0);
    expect(r.json.jobs[0]).toMatchObject({ status: 'incomplete', verdict: 'passed', complete: false, budgetExhausted: true });
    expect(r.markdown).toMatch(/### Incomplete or not run/);

    // A fuzz job gets at most what is left of the budget: cut short of its time, it is incomplete.
    const cut = await run({ checks: [], corpus: false, fuzz: [{ target: 'config-msg', time: '10s' }] }, ['budget', '1500ms']);
    expect(cut.code).toBe(0);
    expect(cut.json.jobs[0]).toMatchObject({ status: 'incomplete', findings: [] });
    expect(cut.json.jobs[0].budgetMs).toBeLessThan(1500);
    expect(cut.json.jobs[0].seconds).toBeLessThan(5);

    const missing = await run({ checks: [], corpus: false, validate: [{ impl: 'no-such-driver.mjs', role: 'driver', scheme: 'config-gencount' }] });
    expect(missing.code).toBe(1);
    expect(missing.json.jobs[0]).toMatchObject({ status: 'error', failure: { type: 'error' } });
    expect(missing.json.jobs[0].failure.message).toMatch(/no-such-driver\.mjs: no such file/);
    expect(testcase(missing.junit, 'validate.config-gencount.driver', 'no-such-driver.mjs')).toMatch(/<error type="error"/);
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!python)('an external command: its finding is the message exchange, in the reports (no counterexample file)', async () => {
    const r = await run((dir: string) => ({
      checks: [],
      corpus: false,
      // "python3" stays a program looked up on PATH; the script's path is resolved against the config's directory.
      validate: [{ impl: `python3 ${relative(dir, example('python', 'virtio_msg_driver_buggy.py'))}`, role: 'driver', scheme: 'transport-msg' }],
    }));
    expect(r.code).toBe(1);
    const j = r.json.jobs[0];
    expect(j).toMatchObject({ kind: 'validate', memory: 'sc', status: 'failed', failure: { type: 'unexpected-violation' } });
    const v = j.invariants.find((i: { status: string }) => i.status === 'violated');
    expect(v).toMatchObject({ name: 'reset-completes', counterexample: null });
    expect(v.exchange.length).toBeGreaterThan(0);
    expect(existsSync(join(r.reports, 'counterexamples'))).toBe(false);
    expect(r.junit).toMatch(/<failure type="unexpected-violation" message="reset-completes: [^]*messages exchanged[^]*GET_DEVICE_INFO/);
    expect(r.markdown).toMatch(/<summary>messages exchanged<\/summary>/);
    expect(r.html).toMatch(/messages exchanged \(\d+\)/);
  });

  const found = findWasmToolchain();
  if ('missing' in found && process.env.CI) throw new Error(`nightly-jobs: ${found.missing}`);
  it.skipIf('missing' in found)('a buggy C driver under "auto" memory: sc and tso jobs, both failed, files named by memory model', async () => {
    const r = await run({
      checks: [],
      corpus: false,
      preemptions: 1,
      validate: [{ impl: example('c', 'gencount-driver-buggy.c'), role: 'driver', scheme: 'config-gencount' }],
    });
    expect(r.code).toBe(1);
    expect(r.json.jobs.map((j: JobJson) => [j.memory, j.status])).toEqual([['sc', 'failed'], ['tso', 'failed']]);
    for (const j of r.json.jobs) {
      for (const i of j.invariants.filter((x: { status: string }) => x.status === 'violated')) {
        expect(i.counterexample).toBe(`reports/counterexamples/validate.config-gencount.driver.${i.name}${j.memory === 'tso' ? '.tso' : ''}.json`);
        expect(existsSync(join(r.dir, i.counterexample))).toBe(true);
      }
    }
    expect(r.junit).toMatch(/name="no-torn-read \[[^\]]*gencount-driver-buggy\.c, tso, preemptions 1\]"/);
  });
});

describe('config of validate and fuzz jobs', () => {
  const parse = (data: unknown) => parseConfig(data, 'test.json', '/cfg', '/cfg');
  it('paths: one word is a file; in a command only the program with a slash and words naming files next to the config', () => {
    expect(resolveImpl('build/driver.wasm', '/cfg')).toBe('/cfg/build/driver.wasm');
    expect(resolveImpl('/abs/driver.mjs', '/cfg')).toBe('/abs/driver.mjs');
    expect(resolveImpl('./dev --fast', '/cfg')).toBe('/cfg/dev --fast');
    const examples = join(root, 'examples');
    expect(resolveImpl('python3 python/virtio_msg_driver.py -v 2', examples)).toBe(`python3 ${join(examples, 'python', 'virtio_msg_driver.py')} -v 2`);
  });
  it.each([
    ['unknown fuzz target', { fuzz: [{ target: 'nope' }] }, /fuzz\[0\]\.target: unknown fuzz target nope/],
    ['unknown fuzz variant', { fuzz: [{ target: 'config-msg', variant: 'nope' }] }, /fuzz\[0\]\.variant: config-msg has no variant nope/],
    ['unknown fuzz engine', { fuzz: [{ target: 'config-msg', engine: 'afl' }] }, /fuzz\[0\]\.engine: expected one of builtin, jsfuzz/],
    ['bad validate memory', { validate: [{ impl: 'x.mjs', role: 'driver', scheme: 'config-gencount', memory: ['pso'] }] }, /validate\[0\]\.memory\[0\]: expected one of sc, tso/],
    ['bad validate params', { validate: [{ impl: 'x.mjs', role: 'driver', scheme: 'config-gencount', params: { updates: 'two' } }] }, /validate\[0\]\.params\.updates: expected a number/],
  ])('%s', (_, data, message) => {
    expect(() => parse(data)).toThrow(message);
  });
});
