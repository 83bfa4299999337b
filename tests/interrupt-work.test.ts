/**
 * What makes a signal take effect within a second, in process: the nightly lets the event loop
 * turn between jobs (issue 17: back-to-back jobs that never yielded ran on for 17 to 21 s after
 * the signal), and a long shrink goes on in a worker thread, so the signal cuts it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, type CheckOptions } from '../harness/check.ts';
import { Interrupt } from '../harness/core/interrupt.ts';
import { nightlyCommand } from '../harness/nightly/command.ts';
import { findModel } from '../models/index.ts';
import { resolveParams } from '../harness/core/model.ts';
import { createEngine } from '../harness/engine/create.ts';
import { explore } from '../harness/explore/explore.ts';
import { ReplayStrategy } from '../harness/explore/replay.ts';
import { makeStrategy } from '../harness/explore/strategies.ts';
import { shrinkInterruptibly } from '../harness/shrink/interruptible.ts';

describe('the nightly between jobs', () => {
  it('a signal that comes while quick jobs run stops the run after the job under way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vv-int-'));
    const variants = ['no-odd-check', 'single-bump', 'no-recheck', 'clear-after-process', 'driver-back-to-back'];
    writeFileSync(join(dir, 'n.json'), JSON.stringify({ corpus: false, checks: [{ model: 'config-gencount', variants, memory: ['sc'] }] }));
    const interrupt = new Interrupt((() => { throw new Error('no second signal here'); }) as () => never);
    let calls = 0;
    const checkFn = (o: CheckOptions) => {
      // The signal arrives during the first job: its handler runs at the next turn of the event loop.
      if (calls++ === 0) setTimeout(() => interrupt.stop('SIGINT'), 0);
      return check(o);
    };
    const out: string[] = [];
    const code = await nightlyCommand([], { config: join(dir, 'n.json'), json: true }, (s) => out.push(s), { interrupt, cwd: dir, checkFn, stderr: { write: () => true } });
    const j = JSON.parse(out.join('\n'));
    expect(code).toBe(3);
    expect(j.interrupted).toBe(true);
    expect(calls).toBeLessThan(variants.length);
    expect(j.counts.skipped).toBeGreaterThan(0);
  });
});

describe('shrinking', () => {
  it('a long shrink goes on in a worker, and the signal cuts it: the schedule is what the quick pass made, and still violates', async () => {
    // config-legacy/never-bump: found at once, and its shrinking uses its whole budget.
    const spec = { model: 'config-legacy', variant: 'never-bump', params: resolveParams(findModel('config-legacy'), {}) };
    const engine = await createEngine('inline', spec, 'sc');
    const found = (await explore(engine, makeStrategy('dfs', { preemptions: findModel('config-legacy').defaultPreemptions, seed: 1, memory: 'sc' }))).violation!;
    const c = new AbortController();
    // The quick pass on the main thread is synchronous: this fires only once the worker has the rest.
    const timer = setTimeout(() => c.abort(), 400);
    const shrunk = await shrinkInterruptibly(engine, spec, 'sc', found.decisions, found.invariant, c.signal);
    clearTimeout(timer);
    expect(shrunk.cut).toBe(true);
    const names = engine.instance.actors.map((a) => a.name);
    const again = await explore(engine, new ReplayStrategy(shrunk.decisions.map((actor) => ({ actor })), names));
    expect(again.violation?.invariant).toBe(found.invariant);

    // Left to finish, the worker goes on from the quick pass's schedule with the rest of the budget.
    const full = await shrinkInterruptibly(engine, spec, 'sc', found.decisions, found.invariant, new AbortController().signal);
    expect(full.cut).toBe(false);
    expect(full.runs).toBeGreaterThan(shrunk.runs);
    expect(full.steps).toBeLessThanOrEqual(shrunk.steps);
    const last = await explore(engine, new ReplayStrategy(full.decisions.map((actor) => ({ actor })), names));
    expect(last.violation?.invariant).toBe(found.invariant);
  });

  it('without a signal, or when it never comes, the shrink is the usual one', async () => {
    const plain = await check({ model: 'config-gencount', variant: 'no-odd-check' });
    const watched = await check({ model: 'config-gencount', variant: 'no-odd-check', signal: new AbortController().signal });
    expect(watched.counterexample!.schedule).toEqual(plain.counterexample!.schedule);
    expect(watched.counterexample!.stats?.shrinkInterrupted).toBeUndefined();
  });
});
