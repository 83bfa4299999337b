/**
 * `validate` with JavaScript drivers and devices of vring-split and vring-packed
 * (docs/third-party.md, "vring-split and vring-packed"): the shipped examples pass or are caught
 * with the right invariant, over-notification is an advisory while a missing notification stays a
 * violation, and a module without the role's entry points is bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate, type ValidateReport } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
const example = (name: string) => join(root, 'examples', 'js', name);
const dir = mkdtempSync(join(tmpdir(), 'vv-vring-'));
const status = (r: ValidateReport) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));
// Small rings, a bound that still interleaves every pair of steps twice: seconds per run.
const SPLIT = { queueSize: 2, buffers: 3, chainLength: 2, startIndex: 0 }; // the messages below name indices from 0
const PACKED = { queueSize: 2, buffers: 3, chainLength: 2 };

describe('validate: JavaScript drivers and devices of vring-split and vring-packed', () => {
  const good: [string, string, string, Record<string, number>][] = [
    ['split-device-good.mjs', 'device', 'vring-split', SPLIT],
    ['split-driver-good.mjs', 'driver', 'vring-split', SPLIT],
    ['packed-device-good.mjs', 'device', 'vring-packed', PACKED],
    ['packed-driver-good.mjs', 'driver', 'vring-packed', PACKED],
  ];
  it.each(good)('%s conforms as the %s of %s: every invariant holds, complete, no advisory', async (file, role, scheme, params) => {
    const r = await validate({ impl: example(file), role, scheme, params, preemptions: 2 });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
    expect(r.advisories).toEqual([]);
    expect(r.executions).toBeGreaterThan(20);
  });

  it('the examples hold under tso (their barriers), and with flags instead of EVENT_IDX across the index wrap', async () => {
    const tso = await validate({ impl: example('split-device-good.mjs'), role: 'device', scheme: 'vring-split', params: { ...SPLIT, chainLength: 1 }, memory: 'tso', preemptions: 2 });
    expect(tso.verdict).toBe('passed');
    const packed = await validate({ impl: example('packed-driver-good.mjs'), role: 'driver', scheme: 'vring-packed', params: { ...PACKED, chainLength: 1 }, memory: 'tso', preemptions: 2 });
    expect(packed.verdict).toBe('passed');
    const flags = await validate({ impl: example('split-driver-good.mjs'), role: 'driver', scheme: 'vring-split', params: { ...SPLIT, eventIdx: 0, startIndex: 65534 }, preemptions: 1 });
    expect(flags.verdict).toBe('passed');
  });

  const buggy: [string, string, string, string, RegExp, string][] = [
    ['split-device-buggy.mjs', 'device', 'vring-split', 'publish-order', /used\.idx 0 -> 1 .* had not written used\.ring\[0\]\.id and len/, 'device store used.idx'],
    ['split-driver-buggy.mjs', 'driver', 'vring-split', 'publish-order', /avail\.idx 0 -> 1 .* had not written avail\.ring\[0\]/, 'driver store avail.idx'],
    ['packed-device-buggy.mjs', 'device', 'vring-packed', 'publish-order', /marked position 0 .* used .* had not written desc\[0\]\.id and len/, 'device store desc[0].flags'],
    ['packed-driver-buggy.mjs', 'driver', 'vring-packed', 'descriptor-ownership', /driver read desc\[\d\]\.id=\d+ while the device owns/, 'driver load desc[1].id'],
  ];
  it.each(buggy)('%s as the %s of %s: %s violated, with a shrunk counterexample ending at the faulty access', async (file, role, scheme, invariant, message, last) => {
    const r = await validate({ impl: example(file), role, scheme, params: scheme === 'vring-split' ? SPLIT : PACKED, preemptions: 2 });
    expect(r.verdict).toBe('violated');
    expect(status(r)[invariant]).toBe('violated');
    const c = r.invariants.find((i) => i.name === invariant)!.counterexample!;
    expect(c.message).toMatch(message);
    expect(c.schedule.map((s) => `${s.actor} ${s.op}`).at(-1)).toBe(last);
    expect(c.stats?.steps).toBeDefined();
  });

  /** The good split device, with its interrupt decision taken and then overridden by `decision`. */
  function deviceDeciding(name: string, decision: boolean): string {
    const file = join(dir, `${name}.mjs`);
    const good = JSON.stringify(example('split-device-good.mjs'));
    writeFileSync(file, `import { processQueue as serveQueue, STEPS } from ${good};
export { setup } from ${good};
export function processQueue(port, vq, serve) {
  serveQueue(port, vq, serve, { ...STEPS, shouldNotify: (p, q) => { STEPS.shouldNotify(p, q); return ${decision}; } });
}\n`);
    return file;
  }

  it('a device that interrupts regardless of EVENT_IDX: an advisory, not a violation; one that never interrupts: violations', async () => {
    const r = await validate({ impl: deviceDeciding('noisy-device', true), role: 'device', scheme: 'vring-split', params: SPLIT, preemptions: 1 });
    expect(r.verdict).toBe('passed');
    expect(status(r)['notify-decision']).toBe('holds');
    expect(r.advisories.map((a) => a.rule)).toEqual(['event-idx-irq']);
    expect(r.advisories[0].first).toMatch(/so no notification is due, yet it sent used-irq/);

    const s = await validate({ impl: deviceDeciding('silent-device', false), role: 'device', scheme: 'vring-split', params: SPLIT, preemptions: 1 });
    expect(status(s)).toMatchObject({ 'notify-decision': 'violated', 'no-lost-notification': 'violated' });
    expect(s.invariants.find((i) => i.name === 'no-lost-notification')!.counterexample!.message).toMatch(/^Lost interrupt/);
  });

  it('a module missing an entry point is bad input (exit 2) naming what is missing', () => {
    const partial = join(dir, 'no-enable-cb.mjs');
    writeFileSync(partial, `export { setup, addBuffer, kick, getBuf } from ${JSON.stringify(example('split-driver-good.mjs'))};\n`);
    const r = spawnSync(process.execPath, [join(root, 'bin', 'virtio-verify.js'), 'validate', '--impl', partial, '--role', 'driver', '--scheme', 'vring-split'], { encoding: 'utf8', cwd: root });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/does not export the driver entry points enableCb as functions/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a device module given as a driver is bad input too', async () => {
    await expect(validate({ impl: example('packed-device-good.mjs'), role: 'driver', scheme: 'vring-packed' }))
      .rejects.toThrow(/does not export the driver entry points addBuffer, kick, getBuf, enableCb/);
  });

  it('takes a TypeScript driver typed with VringDriver', async () => {
    const file = join(dir, 'typed-driver.mts');
    const good = JSON.stringify(example('split-driver-good.mjs'));
    writeFileSync(file, `import type { VringDriver } from ${JSON.stringify(join(root, 'harness', 'adapters', 'vring', 'roles.ts'))};
import * as good from ${good};
const driver: VringDriver<ReturnType<typeof good.setup>> = good;
export const { setup, addBuffer, kick, getBuf, disableCb, enableCb } = driver;
`);
    const r = await validate({ impl: file, role: 'driver', scheme: 'vring-split', params: SPLIT, preemptions: 1 });
    expect(r.verdict).toBe('passed');
  });

  it("docs/third-party.md's copy-paste device validates as written", async () => {
    const doc = readFileSync(join(root, 'docs', 'third-party.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## vring-split and vring-packed'));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1];
    const file = join(dir, 'doc-device.mjs');
    writeFileSync(file, code);
    const r = await validate({ impl: file, role: 'device', scheme: 'vring-split', params: SPLIT, preemptions: 1 });
    expect(r.verdict).toBe('passed');
  });
});
