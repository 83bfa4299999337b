/**
 * `validate` with JavaScript implementations (docs/third-party.md): the shipped examples, the
 * command-line contract, advisories, and third-party code that misbehaves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');
const example = (name: string) => join(root, 'examples', 'js', name);
const dir = mkdtempSync(join(tmpdir(), 'vv-validate-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A driver module: the good example's readConfig and handleConfigChange, with `writeConfig` replaced. */
function driverWith(name: string, writeConfig: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `export { readConfig, handleConfigChange } from ${JSON.stringify(example('gencount-driver-good.mjs'))};\n${writeConfig}\n`);
  return file;
}

const status = (r: Awaited<ReturnType<typeof validate>>) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));

describe('validate: JavaScript drivers and devices for config-gencount', () => {
  it('passes the good driver: every invariant holds within the bound, complete', async () => {
    const r = await validate({ impl: example('gencount-driver-good.mjs'), role: 'driver', scheme: 'config-gencount', preemptions: 2 });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
    expect(r.executions).toBeGreaterThan(100);
  });

  it('finds the ordering bug of the buggy driver, with a shrunk counterexample, and still judges the rest', async () => {
    const r = await validate({ impl: example('gencount-driver-buggy.mjs'), role: 'driver', scheme: 'config-gencount', preemptions: 2 });
    expect(r.verdict).toBe('violated');
    expect(status(r)).toMatchObject({ 'driver-write-intact': 'violated', 'no-torn-read': 'holds', 'no-lost-config-event': 'holds', 'no-actor-error': 'holds' });
    const c = r.invariants.find((i) => i.name === 'driver-write-intact')!.counterexample!;
    expect(c.message).toMatch(/torn read/);
    // The flag is published before the words: the schedule shows the device taking the fields
    // after the doorbell and before the driver's stores.
    const ops = c.schedule.map((s) => `${s.actor} ${s.op}`);
    const flag = ops.indexOf('driver store config.drv_changed');
    expect(flag).toBeGreaterThanOrEqual(0);
    expect(ops.slice(flag).some((s) => s.startsWith('device load config.drv['))).toBe(true);
  });

  it('passes the good device, and reports over-notification as an advisory, not a violation', async () => {
    const good = await validate({ impl: example('gencount-device-good.mjs'), role: 'device', scheme: 'config-gencount', preemptions: 1 });
    expect(good.verdict).toBe('passed');
    expect(good.advisories).toEqual([]);
    const noisy = join(dir, 'noisy-device.mjs');
    writeFileSync(noisy, `export { updateConfig, takeDriverWrite } from ${JSON.stringify(example('gencount-device-good.mjs'))};
export function signalConfigChange(port) { port.exchange('config.dev_changed', 1); port.notify('config-irq'); }\n`);
    const r = await validate({ impl: noisy, role: 'device', scheme: 'config-gencount', preemptions: 1 });
    expect(r.verdict).toBe('passed');
    expect(r.advisories.map((a) => a.rule)).toEqual(['coalesce-config-irq']);
  });

  it('command line: exit 0 for the good driver, 1 for the buggy one, JSON on request', () => {
    const good = cli('validate', '--impl', example('gencount-driver-good.mjs'), '--role', 'driver', '--scheme', 'config-gencount', '--preemptions', '1');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/CONFORMS/);
    const outDir = join(dir, 'cli-out');
    const bad = cli('validate', '--impl', example('gencount-driver-buggy.mjs'), '--role', 'driver', '--scheme', 'config-gencount', '--preemptions', '1', '--json', '--out', outDir);
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.stdout);
    expect(doc.verdict).toBe('violated');
    expect(doc.invariants.find((i: { name: string }) => i.name === 'driver-write-intact')).toMatchObject({ status: 'violated' });
    // The finding is a file naming the module: replay runs the module again, with the same trace.
    const file = join(outDir, 'reports', 'counterexamples', 'validate.config-gencount.driver.driver-write-intact.json');
    expect(doc.files).toEqual([{ invariant: 'driver-write-intact', file }]);
    const again = cli('replay', file);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/config-gencount with .*gencount-driver-buggy\.mjs as the driver replayed on the threads engine: VIOLATED driver-write-intact again/);
    expect(again.stdout).toMatch(/trace identical to the one in the file/);
  });

  it('config-legacy: a driver over trapping accesses and a device behind the trap', async () => {
    const params = { updates: 8 };
    const good = await validate({ impl: example('legacy-driver-good.mjs'), role: 'driver', scheme: 'config-legacy', params });
    expect(good.verdict).toBe('passed');
    const buggy = await validate({ impl: example('legacy-driver-buggy.mjs'), role: 'driver', scheme: 'config-legacy', params });
    expect(status(buggy)['no-torn-read']).toBe('violated');
    const device = await validate({ impl: example('legacy-device-good.mjs'), role: 'device', scheme: 'config-legacy', params });
    expect(device.verdict).toBe('passed');
    expect(device.complete).toBe(true);
  });

  it('takes a TypeScript module', async () => {
    const file = join(dir, 'typed-driver.mts');
    writeFileSync(file, `import type { SyncPort } from ${JSON.stringify(join(root, 'harness', 'adapters', 'blocking-port.ts'))};
export { readConfig, handleConfigChange } from ${JSON.stringify(example('gencount-driver-good.mjs'))};
export function writeConfig(port: SyncPort, words: readonly number[]): void {
  while (port.load('config.drv_changed') !== 0) port.pause();
  words.forEach((w, j) => port.store(\`config.drv[\${j}]\`, w));
  port.store('config.drv_changed', 1);
  port.notify('config-doorbell');
}
`);
    const r = await validate({ impl: file, role: 'driver', scheme: 'config-gencount', preemptions: 1 });
    expect(r.verdict).toBe('passed');
  });

  it("README's copy-paste driver validates as written", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Validating your implementation'));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1];
    const file = join(dir, 'my-driver.mjs');
    writeFileSync(file, code);
    const r = await validate({ impl: file, role: 'driver', scheme: 'config-gencount', preemptions: 1 });
    expect(r.verdict).toBe('passed');
  });

  const badInput: [string, string[], RegExp][] = [
    ['missing --impl', ['--role', 'driver', '--scheme', 'config-gencount'], /needs --impl/],
    ['no such file', ['--impl', 'nope.mjs', '--role', 'driver', '--scheme', 'config-gencount'], /no such file/],
    ['unknown role', ['--impl', 'examples/js/gencount-driver-good.mjs', '--role', 'bus', '--scheme', 'config-gencount'], /--role takes one of driver, device, not "bus"/],
    ['unsupported scheme', ['--impl', 'examples/js/gencount-driver-good.mjs', '--role', 'driver', '--scheme', 'litmus-sb'], /does not support scheme litmus-sb/],
    ['the inline engine', ['--impl', 'examples/js/gencount-driver-good.mjs', '--role', 'driver', '--scheme', 'config-gencount', '--engine', 'inline'], /runs on --engine threads only/],
    ['a module without the entry points', ['--impl', 'examples/js/gencount-device-good.mjs', '--role', 'driver', '--scheme', 'config-gencount'], /does not export the driver entry points readConfig, writeConfig/],
  ];
  it.each(badInput)('bad input, exit 2: %s', (_, args, message) => {
    const r = cli('validate', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('validate: third-party JavaScript that misbehaves is a finding, never a crash of the tool', () => {
  const faults: [string, string, RegExp][] = [
    ['throws', 'export function writeConfig() { throw new RangeError("firmware says no"); }', /RangeError: firmware says no/],
    ['throws a non-error', 'export function writeConfig() { throw 42; }', /thrown: 42/],
    ['loops forever', 'export function writeConfig() { for (;;) {} }', /did not finish its operation within 500 ms/],
    ['blocks forever', 'export function writeConfig() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }', /did not finish its operation within 500 ms/],
    ['kills its worker', 'export function writeConfig() { process.exit(3); }', /did not finish its operation within 500 ms \(hung or crashed\): its worker exited with code 3/],
    ['misuses the port', 'export function writeConfig(port) { port.store("config.nope", 1); }', /no field named config.nope/],
  ];
  it.each(faults)('a driver that %s: no-actor-error with the schedule that led there', async (name, code, message) => {
    const impl = driverWith(name.replace(/\W+/g, '-'), code);
    const r = await validate({ impl, role: 'driver', scheme: 'config-gencount', preemptions: 1, stepTimeoutMs: 500 });
    expect(r.verdict).toBe('violated');
    const e = r.invariants.find((i) => i.name === 'no-actor-error')!;
    expect(e.status).toBe('violated');
    expect(e.counterexample!.message).toMatch(message);
    // The driver's initial config read ran before the fault: the schedule leads up to writeConfig.
    expect(e.counterexample!.schedule.some((s) => s.actor === 'driver' && s.op === 'load config.gen')).toBe(true);
    // What the fault hides is said plainly, not claimed to hold.
    expect(status(r)['no-torn-read']).toBe('not-established');
  });
});

describe('validate: the gate has no way around it', () => {
  it('a module in the actor worker finds no SharedArrayBuffer in workerData (it reaches shared memory only through the port)', async () => {
    const impl = join(root, 'tests', 'fixtures', 'js', 'gencount-driver-workerdata.mjs');
    const r = await validate({ impl, role: 'driver', scheme: 'config-gencount', preemptions: 1 });
    expect(r.invariants.find((i) => i.name === 'no-actor-error')!.counterexample?.message).toBeUndefined();
    expect(r.verdict).toBe('passed');
  });
});

describe('validate: a JavaScript module that exhausts memory', () => {
  it('ends its worker at the memory limit, noticed at once (not at the step timeout); the finding names the schedule, the tool goes on', async () => {
    const impl = driverWith('exhausts-memory', 'export function writeConfig() { const hog = []; for (;;) hog.push(new Array(1e5).fill(Math.random())); }');
    // A step timeout of ten minutes: the test would time out if the end of the worker were noticed only then.
    const r = await validate({ impl, role: 'driver', scheme: 'config-gencount', preemptions: 1, stepTimeoutMs: 600_000, memoryLimitMb: 128 });
    const e = r.invariants.find((i) => i.name === 'no-actor-error')!;
    expect(e.status).toBe('violated');
    // The step saw the worker stop; recovery learnt it ran out of memory.
    expect(e.counterexample!.message).toMatch(/worker stopped during its operation \(crashed\): its worker failed: .*(ERR_WORKER_OUT_OF_MEMORY|out of memory)/i);
    expect(e.counterexample!.schedule.some((s) => s.actor === 'driver' && s.op === 'load config.gen')).toBe(true);
    expect(process.memoryUsage().rss).toBeLessThan(1024 * 1024 * 1024);
  });
});
