/**
 * The jsfuzz engine: the real npm jsfuzz (1.0.15) on a CommonJS bundle of the target, built with
 * esbuild (DESIGN.md section 8: jsfuzz requires its target and instruments it with istanbul's
 * require hook, so an ESM target fails). jsfuzz mutates raw bytes, read as the byte form of a
 * stream; its feedback is one total of covered statements, functions and branches, and each
 * execution is one IPC round trip to its worker process. It has no time budget of its own: it is
 * stopped (SIGKILL to its process group) when ours runs out, or when it reports a crash. A crash
 * file is read back as a stream, re-run, minimized and saved as a finding like the builtin's.
 */
import { spawn } from 'node:child_process';
import { track } from '../core/interrupt.ts';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, FuzzOptions, FuzzResult } from './builtin.ts';
import { hashSteps, loadStreams, saveStream } from './corpus.ts';
import { minimize } from './minimize.ts';
import { bytesToSteps, streamToBytes } from './stream.ts';
import type { FuzzTarget } from './target.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '..', '..');

export interface JsfuzzResult extends Omit<FuzzResult, 'engine'> {
  readonly engine: 'jsfuzz';
  /** jsfuzz's own coverage total at the end. */
  readonly coverage: number;
}

/** Bundles harness/fuzz/jsfuzz-entry.ts (and the target, its reference code and the codec) to one .cjs file. */
export async function bundleTarget(outFile: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  await esbuild.build({
    entryPoints: [join(HERE, 'jsfuzz-entry.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: outFile,
    logLevel: 'silent', external: ['fast-check'],
  });
}

export async function fuzzJsfuzz(t: FuzzTarget, o: FuzzOptions & { readonly workDir?: string }): Promise<JsfuzzResult> {
  const work = resolve(o.workDir ?? join(ROOT, 'reports', 'fuzz', 'jsfuzz', `${t.name}.${o.variant}.${o.seed}`));
  rmSync(work, { recursive: true, force: true });
  const corpusDir = join(work, 'corpus');
  mkdirSync(corpusDir, { recursive: true });
  const bundle = join(work, 'target.cjs');
  await bundleTarget(bundle);
  // Seeds: the same as the builtin's, in byte form (jsfuzz needs at least one file or starts empty).
  const seeds = o.noSeeds ? [] : [...t.seeds().map((s) => s.steps), ...loadStreams(join(ROOT, 'corpus', 'msg', t.name), t.name).map((x) => x.stream.steps)];
  for (const dir of o.corpusDirs ?? []) for (const { stream } of loadStreams(dir, t.name)) seeds.push(stream.steps);
  seeds.forEach((s, i) => writeFileSync(join(corpusDir, `seed-${i}`), streamToBytes(s)));
  const crashFile = join(work, 'crash');
  const cli = join(ROOT, 'node_modules', 'jsfuzz', 'build', 'src', 'index.js');
  const start = Date.now();
  let executions = 0;
  let coverage = 0;
  let corpusSize = seeds.length;
  let perSecond = 0;
  const child = track(spawn(process.execPath, [cli, relative(work, bundle), relative(work, corpusDir), '--exact-artifact-path', crashFile, '--versifier', 'false'], {
    cwd: work, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VV_FUZZ_TARGET: t.name, VV_FUZZ_VARIANT: o.variant },
  }), { group: true });
  let stoppedBy: FuzzResult['stoppedBy'] = 'time';
  const status = () => {
    const seconds = (Date.now() - start) / 1000;
    return { executions, seconds, perSecond: perSecond || (seconds > 0 ? Math.round(executions / seconds) : 0), corpus: corpusSize, features: coverage, findings: existsSync(crashFile) ? 1 : 0 };
  };
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^#(\d+) \w+\s+cov: (\d+) corp: (\d+) exec\/s: (\d+)/.exec(line);
      if (m) {
        executions = Number(m[1]);
        coverage = Number(m[2]);
        corpusSize = Number(m[3]);
        if (Number(m[4]) > 0) perSecond = Number(m[4]);
      }
    }
  });
  child.stderr.on('data', () => {});
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const kill = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      o.onStatus?.(status());
      if (o.control?.stop) { stoppedBy = 'signal'; finish(); }
      else if (Date.now() - start >= o.timeMs) { stoppedBy = 'time'; finish(); }
      else if (o.maxExecs !== undefined && executions >= o.maxExecs) { stoppedBy = 'executions'; finish(); }
    }, 100);
    let over = false;
    function finish(): void {
      if (over) return;
      over = true;
      clearInterval(timer);
      kill();
      done();
    }
    void exited.then(() => { if (!over) { stoppedBy = existsSync(crashFile) ? 'finding' : stoppedBy; finish(); } });
  });
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  const seconds = (Date.now() - start) / 1000;
  const findings: Finding[] = [];
  if (existsSync(crashFile)) {
    const steps = bytesToSteps(readFileSync(crashFile));
    const v = t.run(steps, o.variant);
    if (v) {
      const min = minimize(t, o.variant, steps, v);
      let file: string | undefined;
      if (o.findingsDir) {
        file = saveStream(o.findingsDir, `${o.variant}.${v.oracle}.${hashSteps(min.steps)}.json`, { target: t.name, steps: min.steps, note: min.violation.message }, {
          variant: o.variant, oracle: min.violation.oracle, location: min.violation.location, engine: 'jsfuzz', seed: o.seed,
        });
      }
      findings.push({ oracle: v.oracle, location: v.location, message: v.message, steps: min.steps, originalSteps: steps.length, afterMs: Math.round(seconds * 1000), afterExecutions: executions, file });
    }
  }
  return {
    ...status(), seconds, findings: findings.length, target: t.name, variant: o.variant, engine: 'jsfuzz', seed: o.seed, stoppedBy,
    findingsList: findings, corpusSaved: corpusDir, coverage,
  };
}
