/** Shared by the nightly tests: a config in a fresh directory, the command run in process, JUnit lookups. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { nightlyCommand } from '../harness/nightly/command.ts';

export const root = join(import.meta.dirname, '..');
export const bin = join(root, 'bin', 'virtio-verify.js');

/** A fresh directory holding nightly.json with `config` (or `make(dir)` for configs naming files in it). */
export function workdir(config: unknown | ((dir: string) => unknown)): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vv-nightly-'));
  const file = join(dir, 'nightly.json');
  writeFileSync(file, JSON.stringify(typeof config === 'function' ? (config as (d: string) => unknown)(dir) : config, null, 1));
  return { dir, config: file };
}

/** Runs the command in process (no signal handlers), quietly, and reads the reports back. */
export async function run(config: unknown | ((dir: string) => unknown), ...extra: [string, unknown][]) {
  const w = workdir(config);
  const out: string[] = [];
  const err: string[] = [];
  const values: Record<string, unknown> = { config: w.config, json: true, ...Object.fromEntries(extra) };
  const code = await nightlyCommand([], values, (s) => out.push(s), { signals: false, cwd: w.dir, stderr: { write: (s: string) => err.push(s) } });
  const reports = join(w.dir, 'reports');
  return {
    code, dir: w.dir, reports, stderr: err.join(''),
    json: JSON.parse(out.join('\n')),
    junit: readFileSync(join(reports, 'nightly.junit.xml'), 'utf8'),
    markdown: readFileSync(join(reports, 'nightly.md'), 'utf8'),
    html: readFileSync(join(reports, 'nightly.html'), 'utf8'),
  };
}

/** One <testcase> element of a JUnit report. */
export function testcase(junit: string, classname: string, name: string): string {
  const start = junit.indexOf(`<testcase classname="${classname}" name="${name}"`);
  expect(start, `testcase ${classname} ${name}`).toBeGreaterThanOrEqual(0);
  const selfClosed = junit.indexOf('/>', start);
  const open = junit.indexOf('>', start);
  if (selfClosed + 1 === open) return junit.slice(start, open + 1);
  return junit.slice(start, junit.indexOf('</testcase>', start) + '</testcase>'.length);
}
