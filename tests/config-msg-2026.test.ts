/**
 * The 2026 Linux virtio-msg driver's config path (models/config-msg/linux2026.ts): the saved torn
 * read replays, and the quick verdicts hold. Every variant's default verdict is also checked by
 * tests/variants.test.ts; this file keeps to what runs in seconds.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import { loadCounterexample } from '../harness/report/counterexample.ts';
import { replay } from '../harness/replay.ts';

const TORN_READ = join(import.meta.dirname, '..', 'corpus', 'counterexamples', 'config-msg.linux2026-bracketed-read.config-snapshot.json');

describe('config-msg, 2026 Linux driver', () => {
  it('the saved torn read of linux2026-bracketed-read replays with an identical trace', async () => {
    const c = loadCounterexample(TORN_READ);
    expect(c.variant).toBe('linux2026-bracketed-read');
    const r = await replay(c, 'inline');
    expect(r.difference).toBeUndefined();
    expect(r.reproduced).toBe(true);
    expect(r.sameTrace).toBe(true);
    expect(r.invariant).toBe('config-snapshot');
    expect(c.message).toMatch(/torn read/);
  });

  it('the saved torn read is the reset scenario: no write, one reset, two device changes', () => {
    const c = loadCounterexample(TORN_READ);
    expect(c.params).toMatchObject({ writes: 0, resets: 1, updates: 2 });
    const sent = c.trace.filter((e) => e.op === 'note' && e.target === 'send' && e.text?.startsWith('d2v ')).map((e) => e.text);
    expect(sent.filter((t) => t?.includes('GET_CONFIG '))).toHaveLength(4);
    expect(sent.some((t) => t?.includes('SET_DEVICE_STATUS'))).toBe(true);
  });

  it('linux2026-fail-on-mismatch fails a healthy device (failed-only-under-churn)', async () => {
    const r = await check({ model: 'config-msg', variant: 'linux2026-fail-on-mismatch' });
    expect(r.verdict).toBe('violated');
    expect(r.invariant).toBe('failed-only-under-churn');
    expect(r.asExpected).toBe(true);
  });

  it('linux2026-set-gen0 loses a device change like baseline-set-race (no-lost-update)', async () => {
    const r = await check({ model: 'config-msg', variant: 'linux2026-set-gen0' });
    expect(r.verdict).toBe('violated');
    expect(r.invariant).toBe('no-lost-update');
    expect(r.asExpected).toBe(true);
  });

  it('the restart budget cannot fail the device when it changes fewer times than the budget allows', async () => {
    // Without writes or resets the space is small: two changes never exhaust a budget of 2.
    const r = await check({ model: 'config-msg', variant: 'linux2026-restart-budget', params: { writes: 0, resets: 0, restartBudget: 2 } });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
  });

  it('a budget below the changes during a read fails the device, and that is allowed', async () => {
    // Budget 0: one change during the read exhausts it; the failure is then legitimate, so the
    // invariant holds; what is lost is liveness: the driver's copy never converges (copies-converge).
    const r = await check({ model: 'config-msg', variant: 'linux2026-restart-budget', params: { writes: 0, resets: 0, restartBudget: 0, updates: 1 } });
    expect(r.verdict).toBe('violated');
    expect(r.invariant).toBe('copies-converge');
  });
});
