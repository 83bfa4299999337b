/** Replays are deterministic, and every saved counterexample in the corpus still reproduces. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import { loadCounterexample } from '../harness/report/counterexample.ts';
import { replay } from '../harness/replay.ts';

const corpus = join(import.meta.dirname, '..', 'corpus', 'counterexamples');
const files = readdirSync(corpus).filter((f) => f.endsWith('.json'));

describe('determinism', () => {
  it('the same seed gives the same schedule and trace', async () => {
    const run = () => check({ model: 'config-gencount', variant: 'no-odd-check', strategy: 'random', seed: 7, executions: 2000 });
    const [a, b] = [await run(), await run()];
    expect(a.verdict).toBe('violated');
    expect(b.counterexample).toEqual(a.counterexample);
  });

  it('different seeds explore different schedules', async () => {
    // Unshrunk: shrinking takes both to the same minimal schedule.
    const a = await check({ model: 'config-gencount', variant: 'no-recheck', strategy: 'random', seed: 1, executions: 500, shrink: false });
    const b = await check({ model: 'config-gencount', variant: 'no-recheck', strategy: 'random', seed: 2, executions: 500, shrink: false });
    expect(a.counterexample?.schedule).not.toEqual(b.counterexample?.schedule);
  });

  it('a fresh counterexample replays to the identical trace', async () => {
    const r = await check({ model: 'config-gencount', variant: 'single-bump' });
    const again = await replay(r.counterexample!, 'inline');
    expect(again.reproduced).toBe(true);
    expect(again.sameTrace).toBe(true);
    expect(again.trace).toEqual(r.counterexample!.trace);
  });
});

describe('regression corpus', () => {
  it('holds counterexamples', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s reproduces with an identical trace', async (file) => {
    const c = loadCounterexample(join(corpus, file));
    const r = await replay(c, 'inline');
    expect(r.difference).toBeUndefined();
    expect(r.reproduced).toBe(true);
    expect(r.invariant).toBe(c.invariant);
  });
});

describe('shrinking', () => {
  it('keeps the violation and never grows the schedule', async () => {
    const shrunk = await check({ model: 'config-gencount', variant: 'no-odd-check' });
    const raw = await check({ model: 'config-gencount', variant: 'no-odd-check', shrink: false });
    const s = shrunk.counterexample!.stats!;
    expect(s.steps).toBeLessThan(raw.counterexample!.schedule.length);
    expect(s.originalSteps).toBe(raw.counterexample!.schedule.length);
    expect(s.preemptions).toBeLessThanOrEqual(s.originalPreemptions);
    expect(shrunk.counterexample!.schedule).toHaveLength(s.steps);
    const again = await replay(shrunk.counterexample!, 'inline');
    expect(again.reproduced).toBe(true);
    expect(again.invariant).toBe('no-torn-read');
  });

  it('gives the minimal torn read of the no-odd-check mutant: one update interrupted after its first word', async () => {
    const r = await check({ model: 'config-gencount', variant: 'no-odd-check' });
    const device = r.counterexample!.trace.filter((e) => e.actor === 'device' && e.op === 'store');
    expect(device.map((e) => e.target)).toEqual(['config.gen', 'config.data[0]']);
  });
});
