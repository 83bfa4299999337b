/**
 * SIGINT and SIGTERM, sent to real processes of the tool: every command stops, prints what it
 * found so far (the same JSON document, marked interrupted), exits 3, and leaves no process of
 * its own running (shard processes of --workers, an implementation's process, jsfuzz). A second
 * signal exits at once with 130 or 143. How fast it stops is measured in bench/signals.ts, not
 * asserted here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endChildren, Interrupt, runningChildren, track } from '../harness/core/interrupt.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');

/** Process ids of every descendant of pid, from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const c of parents.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

/** Still running (not gone, not a zombie waiting to be reaped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Started {
  readonly child: ChildProcess;
  /** Process ids that have installed their signal handlers (VIRTIO_VERIFY_READY_FILE). */
  readonly ready: () => number[];
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(argv: readonly string[], cwd: string): Started {
  const readyFile = join(cwd, '.ready');
  const child = spawn(process.execPath, [bin, ...argv], { cwd, env: { ...process.env, CI: 'true', VIRTIO_VERIFY_READY_FILE: readyFile } });
  const ready = () => (existsSync(readyFile) ? readFileSync(readyFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, ready, stdout: () => out, stderr: () => err, exit };
}

/** Waits until the process handles both signals (and `ready` holds), signals it, and returns what it left. */
async function interrupt(p: Started, sig: 'SIGINT' | 'SIGTERM', ready: () => boolean = () => true) {
  const pid = p.child.pid!;
  await until('the signal handlers', () => p.ready().includes(pid));
  await until('the work to start', ready);
  await new Promise((r) => setTimeout(r, 500));
  const before = descendants(pid);
  p.child.kill(sig);
  const { code, signal } = await p.exit;
  // The exit of the children it ended may take a moment to be reaped; they must not run on.
  await until('every process it started to end', () => before.every((c) => !alive(c)), 10_000).catch(() => {});
  return { code, signal, before, left: before.filter(alive), stdout: p.stdout(), stderr: p.stderr() };
}

const dir = () => mkdtempSync(join(tmpdir(), 'vv-sig-'));

describe('interrupted commands print what they found so far and exit 3', () => {
  it('check (SIGINT): the JSON document, interrupted, with the executions so far', async () => {
    const r = await interrupt(start(['check', 'config-gencount', '--no-reduction', '--preemptions', '8', '--json'], dir()), 'SIGINT');
    expect(r.code, r.stderr).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ model: 'config-gencount', verdict: 'passed', complete: false, interrupted: true });
    expect(j.executions).toBeGreaterThan(0);
    expect(r.stderr).toBe('');
  });

  it('check (SIGTERM), text: says INTERRUPTED by SIGTERM', async () => {
    const r = await interrupt(start(['check', 'config-gencount', '--no-reduction', '--preemptions', '8'], dir()), 'SIGTERM');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^config-gencount\/reference: INTERRUPTED by SIGTERM, no violation so far: .* executions/);
  });

  it('check --all (SIGTERM): the variants done, the one interrupted, the ones not run', async () => {
    const w = dir();
    const r = await interrupt(start(['check', '--all', '--json', '--preemptions', '6'], w), 'SIGTERM');
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, interrupted: true });
    expect(j.results.length).toBeGreaterThan(0);
    expect(j.results.at(-1).interrupted || j.notRun.length > 0).toBe(true);
    expect(j.notRun.length).toBeGreaterThan(0);
  });

  it('check --workers 2 (SIGINT): both shard processes stop and report; none is left', async () => {
    const p = start(['check', 'config-gencount', '--no-reduction', '--preemptions', '8', '--workers', '2', '--json'], dir());
    const shardsReady = () => p.ready().length >= 3;
    const r = await interrupt(p, 'SIGINT', shardsReady);
    expect(r.before.length).toBeGreaterThanOrEqual(2);
    expect(r.left).toEqual([]);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ interrupted: true, complete: false, shards: 2 });
    expect(j.executions).toBeGreaterThan(0);
  });

  it('check --workers 2 whose parent is killed outright: the shards stop by themselves', async () => {
    const p = start(['check', 'config-gencount', '--no-reduction', '--preemptions', '8', '--workers', '2'], dir());
    const pid = p.child.pid!;
    await until('two shard processes with their handlers', () => p.ready().length >= 3);
    const shards = descendants(pid);
    p.child.kill('SIGKILL');
    await p.exit;
    await until('the orphaned shards to stop', () => shards.every((s) => !alive(s)), 30_000);
    expect(shards.filter(alive)).toEqual([]);
  });

  it('validate with a hung external device (SIGTERM): the device process is ended, the report says interrupted', async () => {
    const w = dir();
    writeFileSync(join(w, 'hung.py'), 'import time\ntime.sleep(1000)\n');
    const p = start(['validate', '--impl', 'python3 hung.py', '--role', 'device', '--scheme', 'transport-msg', '--step-timeout', '60s', '--json'], w);
    const r = await interrupt(p, 'SIGTERM', () => descendants(p.child.pid!).length > 0);
    expect(r.before.length).toBeGreaterThan(0);
    expect(r.left).toEqual([]);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'process', verdict: 'passed', complete: false, interrupted: true });
    expect(j.invariants.every((i: { status: string }) => i.status === 'not-established')).toBe(true);
  });

  it('validate a JavaScript module (SIGINT): the exploration stops, its workers with it', async () => {
    const r = await interrupt(start(['validate', '--impl', join(root, 'examples', 'js', 'gencount-driver-good.mjs'), '--role', 'driver', '--scheme', 'config-gencount', '--preemptions', '6', '--json'], dir()), 'SIGINT');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'js', complete: false, interrupted: true });
  });

  it('fuzz, builtin engine (SIGTERM): exit 3, stopped by the signal', async () => {
    const r = await interrupt(start(['fuzz', 'transport-msg-device', '--time', '10m', '--json'], dir()), 'SIGTERM');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ stoppedBy: 'signal', interrupted: true });
  });

  it('fuzz, jsfuzz engine (SIGINT): jsfuzz and its worker processes are ended', async () => {
    const p = start(['fuzz', 'transport-msg-device', '--engine', 'jsfuzz', '--time', '10m', '--json'], dir());
    const r = await interrupt(p, 'SIGINT', () => descendants(p.child.pid!).some((k) => { try { return readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('jsfuzz'); } catch { return false; } }));
    expect(r.left).toEqual([]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ engine: 'jsfuzz', interrupted: true });
  });

  it('nightly --sarif (SIGINT): the reports and the SARIF file of what finished', async () => {
    const w = dir();
    writeFileSync(join(w, 'n.json'), JSON.stringify({ corpus: false, checks: [{ model: 'config-gencount', variants: ['reference'], memory: ['sc'], strategy: 'random', seed: 1 }] }));
    const p = start(['nightly', '--config', 'n.json', '--budget', '10m', '--sarif', 'reports/nightly.sarif', '--json'], w);
    const r = await interrupt(p, 'SIGINT', () => p.stderr().includes('nightly: 1 jobs'));
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ interrupted: true, exitCode: 3 });
    expect(existsSync(join(w, 'reports', 'nightly.sarif'))).toBe(true);
    expect(existsSync(join(w, 'reports', 'nightly.junit.xml'))).toBe(true);
  });
});

describe('the second signal', () => {
  function withInterrupt(fn: (i: Interrupt, exits: number[]) => void): void {
    const exits: number[] = [];
    const i = new Interrupt(((code: number) => { exits.push(code); }) as (code: number) => never);
    const uninstall = i.install();
    try { fn(i, exits); } finally { uninstall(); }
  }

  it('the first aborts the signal; the second runs the last words, ends the children and exits 130 (SIGINT)', async () => {
    const child = track(spawn('sleep', ['60']));
    await until('sleep to start', () => child.pid !== undefined && alive(child.pid));
    withInterrupt((i, exits) => {
      const said: string[] = [];
      i.lastWords(() => said.push('reports written'));
      process.emit('SIGINT', 'SIGINT');
      expect(i.signal.aborted).toBe(true);
      expect(i.received).toBe('SIGINT');
      expect(exits).toEqual([]);
      process.emit('SIGINT', 'SIGINT');
      expect(said).toEqual(['reports written']);
      expect(exits).toEqual([130]);
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    expect(runningChildren()).not.toContain(child.pid);
  });

  it('SIGTERM then SIGTERM exits 143', () => {
    withInterrupt((_, exits) => {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGTERM', 'SIGTERM');
      expect(exits).toEqual([143]);
    });
  });

  it('endChildren ends a tracked process group (jsfuzz runs detached)', async () => {
    const child = track(spawn('sh', ['-c', 'sleep 60 & wait'], { detached: true }), { group: true });
    await until('the group', () => descendants(child.pid!).length > 0);
    const grandchild = descendants(child.pid!)[0];
    endChildren();
    await new Promise((r) => child.once('exit', r));
    await until('the grandchild to end', () => !alive(grandchild), 5000);
    expect(alive(grandchild)).toBe(false);
  });
});
