/** The command line contract: exit codes, one-line errors, JSON documents, saved counterexamples. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'bin', 'virtio-verify.js');
const out = mkdtempSync(join(tmpdir(), 'vv-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: out });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bad input: exit 2 with a one-line reason and no stack trace', () => {
  const bad: [string, string[], RegExp][] = [
    ['unknown model', ['check', 'no-such-model'], /unknown model no-such-model/],
    ['unknown variant', ['check', 'config-gencount', '--variant', 'nope'], /has no variant nope/],
    ['unknown parameter', ['check', 'config-gencount', '--param', 'nope=3'], /has no parameter nope/],
    ['parameter out of range', ['check', 'config-gencount', '--param', 'configBytes=6'], /multiple of 4/],
    ['unknown engine', ['check', 'config-gencount', '--engine', 'warp'], /--engine takes one of inline, threads, not "warp"/],
    ['bad duration', ['check', 'config-gencount', '--budget', 'soon'], /duration/],
    ['unknown option', ['check', 'config-gencount', '--frobnicate'], /unknown option --frobnicate \(see virtio-verify check --help\)/],
    ['missing counterexample file', ['replay', 'missing.json'], /cannot read counterexample/],
  ];
  it.each(bad)('%s', (_, args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a malformed counterexample file', () => {
    const file = join(out, 'malformed.json');
    writeFileSync(file, '{"format": "virtio-verify-counterexample", "version": 1, "model": 3');
    const r = cli('replay', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not JSON/);
  });

  it('a counterexample from a future format version', () => {
    const file = join(out, 'future.json');
    writeFileSync(file, JSON.stringify({ format: 'virtio-verify-counterexample', version: 99 }));
    const r = cli('replay', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/format version 99/);
  });
});

describe('check and replay', () => {
  it('the reference passes with a complete bounded exploration (exit 0, JSON)', () => {
    const r = cli('check', 'config-gencount', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ model: 'config-gencount', variant: 'reference', verdict: 'passed', complete: true });
    expect(j.executions).toBeGreaterThan(100);
    expect(typeof j.seconds).toBe('number');
  });

  it('a mutant exits 1, writes a counterexample, and replay exits 1 with the same trace', () => {
    const r = cli('check', 'config-gencount', '--variant', 'no-recheck', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ verdict: 'violated', invariant: 'no-torn-read' });
    const saved = JSON.parse(readFileSync(j.counterexample, 'utf8'));
    expect(saved.format).toBe('virtio-verify-counterexample');
    expect(saved.schedule[0]).toHaveProperty('actor');
    const again = cli('replay', j.counterexample);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/VIOLATED no-torn-read again/);
    expect(again.stdout).toMatch(/trace identical/);
    expect(again.stdout).toMatch(/config\.data\[\d\]/);
  });

  it('--require-complete turns a budget-cut run into exit 3', () => {
    const r = cli('check', 'config-gencount', '--preemptions', '6', '--budget', '200ms', '--require-complete');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/INCOMPLETE/);
  });

  it('--all-variants prints the verdict matrix and writes it as Markdown', () => {
    const r = cli('check', 'config-legacy', '--all-variants', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config-legacy: variant x invariant/);
    const md = readFileSync(join(out, 'reports', 'verdict-matrix.md'), 'utf8');
    expect(md).toMatch(/\| bump-per-change \| violates no-torn-read \| \*\*VIOLATED\*\*/);
    expect(md).toMatch(/\| reference \| passes \| holds/);
  });

  it('list names every variant with its expected verdict', () => {
    const r = cli('list', '--json');
    expect(r.code).toBe(0);
    const { models } = JSON.parse(r.stdout);
    const gencount = models.find((m: { name: string }) => m.name === 'config-gencount');
    expect(gencount.variants.map((v: { name: string }) => v.name)).toContain('driver-back-to-back');
  });
});
