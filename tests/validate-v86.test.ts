/**
 * The VirtIO device of the npm package `v86` (split ring, device side, unmodified) as the device of
 * vring-split, against our reference driver under the model's invariants
 * (harness/adapters/v86/scheme.ts): what it gets right, what it does not, and the EVENT_IDX
 * advisory. Everything comes from the npm package.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bulkCopyOutsideRing, RING_BASE } from '../harness/adapters/v86/scheme.ts';
import { renderValidateReport, validate, type ValidateReport } from '../harness/validate.ts';

const adapter = (file: string) => join(import.meta.dirname, '..', 'harness', 'adapters', 'v86', file);
const params = { queueSize: 2, buffers: 3, chainLength: 2, eventIdx: 1 };
const status = (r: ValidateReport) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));
const SAFETY = ['free-running-indices', 'in-flight-within-size', 'publish-order', 'chain-bounded', 'descriptor-ownership', 'used-exactly-once'];
const HARNESS = ['no-deadlock', 'no-livelock', 'no-actor-error'];

describe('validate: the v86 VirtIO device as the device of vring-split', () => {
  it('as v86 runs it (each notify handler atomic): every invariant holds; interrupts ignore EVENT_IDX (advisory)', async () => {
    const r = await validate({ impl: adapter('virtio-trapped.ts'), role: 'device', scheme: 'vring-split', preemptions: 2, params });
    console.log(renderValidateReport(r));
    const s = status(r);
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    for (const name of [...SAFETY, 'notify-decision', 'no-lost-notification', ...HARNESS]) expect(s[name], name).toBe('holds');
    const adv = r.advisories.find((a) => a.rule === 'event-idx-irq');
    expect(adv?.first).toMatch(/vring_need_event is false, no interrupt was due/);
    expect(r.executions).toBeGreaterThan(10);
  }, 300_000);

  it('as v86 runs it, across the 16-bit index wrap and under tso: still conforms', async () => {
    const r = await validate({
      impl: adapter('virtio-trapped.ts'), role: 'device', scheme: 'vring-split', memory: 'tso', preemptions: 2,
      params: { queueSize: 4, buffers: 6, chainLength: 1, eventIdx: 1, startIndex: 65534 },
    });
    console.log(renderValidateReport(r));
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(status(r)['free-running-indices']).toBe('holds');
    expect(status(r)['no-lost-notification']).toBe('holds');
  }, 300_000);

  it('as a concurrent device (its own thread): the ring handling holds, but it loses a kick (no re-check after notify_me_after)', async () => {
    const r = await validate({ impl: adapter('virtio.ts'), role: 'device', scheme: 'vring-split', preemptions: 2, params });
    console.log(renderValidateReport(r));
    const s = status(r);
    // Its interrupts follow the driver's suppression state; what it loses is a kick (no re-check).
    for (const name of [...SAFETY, 'notify-decision', ...HARNESS]) expect(s[name], name).toBe('holds');
    expect(s['no-lost-notification']).toBe('violated');
    expect(r.invariants.find((i) => i.name === 'no-lost-notification')!.counterexample!.message).toMatch(/^Lost kick/);
    expect(r.advisories.map((a) => a.rule)).toContain('event-idx-irq');
  }, 300_000);
});

describe('the v86 gate', () => {
  it('a bulk copy that touches the ring is a finding; one into a buffer is not', () => {
    expect(() => bulkCopyOutsideRing(RING_BASE + 8, 16, 64, 'read')).toThrow(/v86 read 16 bytes at guest address 0x10008 \(ring offset 8\) with a bulk copy/);
    expect(() => bulkCopyOutsideRing(RING_BASE - 4, 8, 64, 'wrote')).toThrow(/ring offset -4/);
    expect(() => bulkCopyOutsideRing(RING_BASE + 64, 256, 64, 'wrote')).not.toThrow();
    expect(() => bulkCopyOutsideRing(RING_BASE - 16, 16, 64, 'read')).not.toThrow();
    expect(() => bulkCopyOutsideRing(RING_BASE, 0, 64, 'read')).not.toThrow();
  });
});

