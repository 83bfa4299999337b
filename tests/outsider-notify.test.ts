/**
 * Notification suppression judged on implementations written from the spec digest alone
 * (tests/outsider/notify/README.md): the correct ones conform under sc (defaults) and tso (a
 * smaller bound, to keep this file fast), each buggy one is caught by notify-decision, the
 * invariant its bug breaks, and by no-lost-notification, its consequence.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryModel } from '../harness/core/model.ts';
import { validate, type ValidateReport } from '../harness/validate.ts';

const folder = join(import.meta.dirname, 'outsider', 'notify');
const roleOf = (file: string) => (file.includes('driver') ? 'driver' : 'device');
const status = (r: ValidateReport) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));
/** sc: the defaults; tso: fewer buffers and preemptions (a tso run of the defaults takes 30 s or more). */
const BOUND: Record<MemoryModel, { params: Record<string, number>; preemptions?: number }> = {
  sc: { params: {} },
  tso: { params: { buffers: 2 }, preemptions: 1 },
  weak: { params: { buffers: 2 }, preemptions: 1 },
};

/** One validate run per file, memory model and parameters (the tests below share them). */
const runs = new Map<string, Promise<ValidateReport>>();
function run(file: string, memory: MemoryModel, params: Record<string, number> = {}): Promise<ValidateReport> {
  const key = JSON.stringify([file, memory, params]);
  if (!runs.has(key)) {
    runs.set(key, validate({
      impl: join(folder, file), role: roleOf(file), scheme: 'vring-split', memory,
      params: { ...BOUND[memory].params, ...params }, preemptions: BOUND[memory].preemptions,
    }));
  }
  return runs.get(key)!;
}

const CORRECT = ['correct-qemu-device.js', 'correct-batch-device.js', 'correct-mb-kick-driver.js', 'correct-spurious-kick-driver.js', 'correct-linux-driver.js'];
/** file, the memory models it runs under, parameters that make the bug reachable. */
const BUGGY: [string, readonly MemoryModel[], Record<string, number>][] = [
  // Its stale snapshot needs a third request (a second kick) to matter.
  ['buggy-early-read-driver.js', ['sc', 'tso'], { buffers: 3 }],
  ['buggy-off-by-one-device.js', ['sc', 'tso'], {}],
  // A fence bug: only tso lets the used_event load pass the buffered used.idx store.
  ['buggy-no-mb-device.js', ['tso'], {}],
  // The suppression turns sticky at the third kick: a fourth request must follow it.
  ['buggy-sticky-suppression-driver.js', ['sc'], { buffers: 4 }],
  // The defaults do not cross the 16-bit wrap (issue 14 item 3): start at its edge.
  ['buggy-wrap-device.js', ['sc', 'tso'], { startIndex: 65535 }],
];

describe('outsider implementations of notification suppression (vring-split)', () => {
  it.each(CORRECT.flatMap((f) => (['sc', 'tso'] as const).map((m) => [f, m] as const)))('%s conforms under %s', async (file, memory) => {
    const r = await run(file, memory);
    expect(status(r)).toMatchObject({ 'notify-decision': 'holds', 'no-lost-notification': 'holds' });
    expect(r.verdict).toBe('passed');
    if (file !== 'correct-spurious-kick-driver.js') expect(r.advisories).toEqual([]);
  });

  it('a kick the device did not ask for is the event-idx-kick advisory, not a violation', async () => {
    const r = await run('correct-spurious-kick-driver.js', 'sc');
    expect(r.advisories.map((a) => a.rule)).toEqual(['event-idx-kick']);
  });

  it.each(BUGGY.flatMap(([f, ms, p]) => ms.map((m) => [f, m, p] as const)))('%s is caught under %s by notify-decision', async (file, memory, params) => {
    const r = await run(file, memory, params);
    expect(r.verdict).toBe('violated');
    expect(status(r)['notify-decision']).toBe('violated');
    // The lost notification itself needs the larger sc bound to show.
    if (memory === 'sc') expect(status(r)['no-lost-notification']).toBe('violated');
  });

  it('the missing full barrier is invisible under sc, and under tso blamed on the read it failed to order', async () => {
    expect((await run('buggy-no-mb-device.js', 'sc')).verdict).toBe('passed');
    const r = await run('buggy-no-mb-device.js', 'tso');
    const c = r.invariants.find((i) => i.name === 'notify-decision')!.counterexample!;
    expect(c.message).toMatch(/its store used\.idx=\d+ was not visible yet .*: no full barrier between the publish and the read/);
  });

  it('a decision without a fresh read is reported as that, naming the publish and the stale read', async () => {
    const r = await run('buggy-sticky-suppression-driver.js', 'sc', { buffers: 4 });
    const c = r.invariants.find((i) => i.name === 'notify-decision')!.counterexample!;
    expect(c.message).toMatch(/^driver published new entries at step \d+ and neither read the device's suppression state after it \(its last read, used\.avail_event=\d+ at step \d+, came before that publish\) nor sent kick/);
    expect(c.message).toMatch(/a decision not to notify taken without a fresh read after publishing/);
  });
});
