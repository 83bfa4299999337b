/**
 * Notification suppression judged on implementations written from the spec alone
 * (tests/outsider/notify/README.md): the correct ones conform under sc and tso with the defaults,
 * each buggy one is caught by notify-decision (and its lost notification by no-lost-notification)
 * where its bug can happen.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate, type ValidateReport } from '../harness/validate.ts';
import type { MemoryModel } from '../harness/core/model.ts';

const folder = join(import.meta.dirname, 'outsider', 'notify');
const roleOf = (file: string) => (file.includes('driver') ? 'driver' : 'device');
const status = (r: ValidateReport) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));
const MEMORY: readonly MemoryModel[] = ['sc', 'tso'];

const run = (file: string, memory: MemoryModel, params: Record<string, number> = {}) =>
  validate({ impl: join(folder, file), role: roleOf(file), scheme: 'vring-split', memory, params });

describe('outsider implementations of notification suppression (vring-split, defaults)', () => {
  const correct = ['correct-qemu-device.js', 'correct-batch-device.js', 'correct-mb-kick-driver.js', 'correct-spurious-kick-driver.js', 'correct-linux-driver.js'];
  it.each(correct.flatMap((f) => MEMORY.map((m) => [f, m] as const)))('%s conforms under %s', async (file, memory) => {
    const r = await run(file, memory);
    expect(status(r)).toMatchObject({ 'notify-decision': 'holds', 'no-lost-notification': 'holds' });
    expect(r.verdict).toBe('passed');
    if (file !== 'correct-spurious-kick-driver.js') expect(r.advisories).toEqual([]);
  });

  it('a kick the device did not ask for is an advisory, not a violation', async () => {
    const r = await run('correct-spurious-kick-driver.js', 'sc');
    expect(r.advisories.map((a) => a.rule)).toEqual(['event-idx-kick']);
  });

  /** file, memory models where the bug shows with these parameters, parameters. */
  const buggy: [string, readonly MemoryModel[], Record<string, number>][] = [
    ['buggy-early-read-driver.js', MEMORY, {}],
    ['buggy-no-mb-device.js', ['tso'], {}],
    ['buggy-off-by-one-device.js', MEMORY, {}],
    ['buggy-sticky-suppression-driver.js', MEMORY, {}],
    // The defaults do not cross the 16-bit wrap (issue 14 item 3): start just before it.
    ['buggy-wrap-device.js', MEMORY, { startIndex: 65535 }],
  ];
  it.each(buggy.flatMap(([f, ms, p]) => ms.map((m) => [f, m, p] as const)))('%s is caught under %s by notify-decision', async (file, memory, params) => {
    const r = await run(file, memory, params);
    expect(r.verdict).toBe('violated');
    expect(status(r)).toMatchObject({ 'notify-decision': 'violated', 'no-lost-notification': 'violated' });
  });

  it('the fence bug is invisible under sc (no store-load reordering), as it should be', async () => {
    const r = await run('buggy-no-mb-device.js', 'sc');
    expect(r.verdict).toBe('passed');
  });
});
