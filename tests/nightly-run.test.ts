/**
 * The nightly end to end on small suites: the four report formats, the verdict oracle (a mutant
 * that passes fails the run: shown with a deliberately wrong expectation through the command line,
 * and with a really weakened oracle in process), budget cuts reported as incomplete, sharding, and
 * SIGTERM writing the reports of what finished.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelDef } from '../harness/core/model.ts';
import { findModel } from '../models/index.ts';
import { bin, root, run, testcase, workdir } from './nightly-helpers.ts';

describe('a small suite', () => {
  it('runs, writes the four formats, and exits 0 when every job is as expected', async () => {
    const corpus = join(mkdtempSync(join(tmpdir(), 'vv-corpus-')), 'cx');
    mkdirSync(corpus);
    for (const f of ['config-gencount.no-odd-check.no-torn-read.json', 'litmus-sb.no-fence.sc-outcome.tso.json']) {
      copyFileSync(join(root, 'corpus', 'counterexamples', f), join(corpus, f));
    }
    const r = await run({
      budget: '60s',
      checks: [{ model: 'config-gencount', variants: ['reference', 'no-recheck'], memory: ['sc'] }, { model: 'litmus-sb' }],
      corpus: { dirs: [corpus] },
    });
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ format: 'virtio-verify-nightly', version: 1, ok: true, exitCode: 0, interrupted: false });
    // litmus-sb: reference sc+tso, no-fence sc (must pass) and tso (caught); 2 replays.
    expect(r.json.counts).toMatchObject({ jobs: 8, ok: 8, failed: 0 });
    const noRecheck = r.json.jobs.find((j: { id: string }) => j.id === 'config-gencount/no-recheck [sc]');
    expect(noRecheck).toMatchObject({ status: 'ok', verdict: 'violated', invariant: 'no-torn-read' });
    expect(existsSync(join(r.dir, noRecheck.counterexample))).toBe(true);
    expect(noRecheck.replay).toBe(`npx virtio-verify replay ${noRecheck.counterexample}`);
    // The run left the corpus alone: counterexamples go to reports/.
    expect(noRecheck.counterexample).toMatch(/^reports\/counterexamples\//);

    // JUnit: one test case per model x variant x invariant.
    const gencount = findModel('config-gencount');
    const perVariant = gencount.invariants.length + 3;
    expect(r.junit.match(/<testcase classname="config-gencount\.reference"/g)).toHaveLength(perVariant);
    expect(r.junit).toMatch(/<testsuites name="virtio-verify nightly" tests="\d+" failures="0" errors="0"/);
    expect(testcase(r.junit, 'config-gencount.no-recheck', 'no-torn-read')).toMatch(/system-out>caught as expected/);
    expect(testcase(r.junit, 'config-gencount.no-recheck', 'no-deadlock')).toMatch(/<skipped message="not evaluated to the end/);
    expect(testcase(r.junit, 'litmus-sb.no-fence', 'sc-outcome [tso]')).toMatch(/caught as expected/);
    expect(r.junit).toMatch(/classname="corpus\.litmus-sb\.no-fence"/);

    expect(r.markdown).toMatch(/^## ✅ virtio-verify nightly: all 8 jobs as expected/);
    expect(r.markdown).toMatch(/\| config-gencount \| no-recheck \| violates no-torn-read \| ✅ caught no-torn-read \|/);

    expect(r.html).toMatch(/^<!doctype html>/);
    expect(r.html).not.toMatch(/<script|<link |src="http|href="http/);
    expect(r.html).toMatch(/<svg class="seq-svg"/);
    expect(r.html).toContain('npx virtio-verify replay reports/counterexamples/config-gencount.no-recheck.no-torn-read.json');
  });

  it('budget cuts are incomplete, never a pass of a mutant; --require-complete makes them exit 3', async () => {
    const config = {
      corpus: false,
      checks: [
        { model: 'config-gencount', variants: ['reference'], memory: ['sc'], preemptions: 6, budget: '200ms' },
        { model: 'config-gencount', variants: ['clear-after-process'], strategy: 'random', seed: 3, budget: 1 },
      ],
    };
    const r = await run(config);
    expect(r.code).toBe(0);
    const byId = (id: string) => r.json.jobs.find((j: { id: string }) => j.id.startsWith(id));
    expect(byId('config-gencount/reference')).toMatchObject({ status: 'incomplete', verdict: 'passed', complete: false, budgetExhausted: true });
    const mutant = byId('config-gencount/clear-after-process');
    expect(mutant).toMatchObject({ status: 'incomplete', verdict: 'passed', complete: false });
    expect(mutant.summary).toMatch(/not caught yet, INCOMPLETE/);
    expect(testcase(r.junit, 'config-gencount.clear-after-process', 'no-lost-config-event [random seed 3]')).toMatch(/<skipped message="not caught yet, INCOMPLETE/);
    expect(r.markdown).toMatch(/### Incomplete or not run/);

    const strict = await run(config, ['require-complete', true]);
    expect(strict.code).toBe(3);
    expect(strict.json.exitCode).toBe(3);
  });

  it('a truly weakened oracle: the mutant passes, the run exits 1 and the JUnit marks it', async () => {
    // Take the no-torn-read oracle out of config-gencount for this process only.
    const def = findModel('config-gencount') as { -readonly [K in keyof ModelDef]: ModelDef[K] };
    const original = def.instantiate;
    def.instantiate = (variant, params) => {
      const instance = original(variant, params);
      return { ...instance, invariants: instance.invariants.filter((i) => i.name !== 'no-torn-read') };
    };
    try {
      const r = await run({ corpus: false, checks: [{ model: 'config-gencount', variants: ['no-odd-check'], memory: ['sc'] }] });
      expect(r.code).toBe(1);
      expect(r.json.jobs[0]).toMatchObject({ status: 'failed', verdict: 'passed', failure: { type: 'mutant-not-caught' } });
      const tc = testcase(r.junit, 'config-gencount.no-odd-check', 'no-torn-read');
      expect(tc).toMatch(/<failure type="mutant-not-caught" message="mutant no-odd-check passed: it must violate no-torn-read, but the complete exploration/);
      expect(tc).toContain('the checker lost power');
      expect(tc).toContain('npx virtio-verify check config-gencount --variant no-odd-check');
      expect(r.markdown).toMatch(/^## ❌/);
      expect(r.html).toMatch(/NOT CAUGHT/);
    } finally {
      def.instantiate = original;
    }
  });

  it('shards of one suite add up to the whole suite', async () => {
    const config = { corpus: false, checks: [{ model: 'config-gencount', memory: ['sc'] }] };
    const all = (await run(config)).json.jobs.map((j: { id: string }) => j.id).sort();
    const a = (await run(config, ['shard', '1/2'])).json;
    const b = (await run(config, ['shard', '2/2'])).json;
    expect(a.shard).toEqual({ index: 1, count: 2 });
    expect(a.totalJobs).toBe(all.length);
    expect([...a.jobs, ...b.jobs].map((j: { id: string }) => j.id).sort()).toEqual(all);
    // A shard with nothing to do still writes its reports and passes.
    const empty = await run(config, ['shard', '40/40']);
    expect(empty.code).toBe(0);
    expect(empty.json.counts.jobs).toBe(0);
    expect(empty.html).toMatch(/No checks ran/);
  });
});

describe('the command line process', () => {
  it('a deliberately wrong expectation (a mutant that cannot be caught): exit 1, JUnit marks the mutant', () => {
    // litmus-sb/no-fence breaks sc-outcome only under tso; declared as breaking it under sc, it passes.
    const w = workdir({ corpus: false, checks: [{ model: 'litmus-sb', variants: ['no-fence'], memory: ['sc'], expect: { verdict: 'violated', invariant: 'sc-outcome' } }] });
    const r = spawnSync(process.execPath, [bin, 'nightly', '--config', w.config, '--budget', '30s'], { encoding: 'utf8', cwd: w.dir, env: { ...process.env, CI: 'true' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/1 of 1 jobs NOT as expected/);
    expect(r.stderr).toMatch(/FAILED +litmus-sb\/no-fence: NOT CAUGHT/);
    const junit = readFileSync(join(w.dir, 'reports', 'nightly.junit.xml'), 'utf8');
    expect(testcase(junit, 'litmus-sb.no-fence', 'sc-outcome')).toMatch(/<failure type="mutant-not-caught"/);
    expect(junit).toMatch(/failures="1"/);
  });

  const slowSuite = (extra: unknown[] = []) => ({
    budget: '90s',
    corpus: false,
    checks: [
      ...extra,
      { model: 'config-gencount', variants: ['no-recheck'], memory: ['sc'] },
      // Random runs until its budget: the job the signal interrupts.
      { model: 'config-gencount', variants: ['reference'], memory: ['sc'], strategy: 'random', seed: 1 },
    ],
  });

  async function terminated(config: unknown, waitFor: string) {
    const w = workdir(config);
    const child = spawn(process.execPath, [bin, 'nightly', '--config', w.config, '--json'], { cwd: w.dir, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const marker = join(w.dir, 'reports', 'counterexamples', waitFor);
    const t0 = Date.now();
    while (!existsSync(marker) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(marker), `${waitFor} was written before the signal`).toBe(true);
    await new Promise((r) => setTimeout(r, 800));
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    return { code, stdout, stderr, dir: w.dir, stopSeconds: (Date.now() - signalled) / 1000, json: JSON.parse(stdout) };
  }

  it('SIGTERM: stops, writes the reports of what finished and its counterexample, exit 3 (incomplete)', async () => {
    const r = await terminated(slowSuite(), 'config-gencount.no-recheck.no-torn-read.json');
    expect(r.code).toBe(3);
    expect(r.stopSeconds).toBeLessThan(15);
    expect(r.stderr).toMatch(/SIGTERM: stopping/);
    expect(r.json).toMatchObject({ interrupted: true, exitCode: 3 });
    const [mutant, reference] = r.json.jobs;
    expect(mutant).toMatchObject({ status: 'ok', invariant: 'no-torn-read' });
    expect(reference.status).toBe('interrupted');
    for (const f of ['nightly.junit.xml', 'nightly.json', 'nightly.md', 'nightly.html']) expect(existsSync(join(r.dir, 'reports', f)), f).toBe(true);
    expect(readFileSync(join(r.dir, 'reports', 'nightly.html'), 'utf8')).toContain('data-variant="no-recheck"');
    expect(readFileSync(join(r.dir, 'reports', 'nightly.md'), 'utf8')).toMatch(/interrupted by a signal/);
  });

  it('SIGTERM after a failure: exit 1', async () => {
    const wrong = { model: 'litmus-sb', variants: ['no-fence'], memory: ['sc'], expect: { verdict: 'violated', invariant: 'sc-outcome' } };
    const r = await terminated(slowSuite([wrong]), 'config-gencount.no-recheck.no-torn-read.json');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ interrupted: true, exitCode: 1 });
    expect(r.json.jobs.map((j: { status: string }) => j.status)).toEqual(['failed', 'ok', 'interrupted']);
  });
});
