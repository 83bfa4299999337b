/**
 * The threads engine against the inline engine (same trace and memory for the same choices), and
 * its robustness: failures, hung or dying workers, worker reuse.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { MemoryModel, Params } from '../harness/core/model.ts';
import { OpKind } from '../harness/core/ops.ts';
import { MAX_ACTORS } from '../harness/core/shared-state.ts';
import { DONE, FAILED, type Engine } from '../harness/engine/engine.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { createThreadsEngine, type ThreadsEngine, type ThreadsEngineOptions } from '../harness/engine/threads/threads-engine.ts';
import { MODELS } from './fixtures/litmus-models.ts';

const MODULE = new URL('./fixtures/litmus-models.ts', import.meta.url).href;
/** Short, for the tests of hung workers only: elsewhere a slow CI machine must not look like a hang. */
const TIMEOUT = 300;

const open: ThreadsEngine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });

async function threads(model: string, variant = 'reference', params: Params = {}, options: ThreadsEngineOptions = {}): Promise<ThreadsEngine> {
  const e = await createThreadsEngine({ model, variant, params, module: MODULE }, options);
  open.push(e);
  return e;
}

function inline(model: string, variant = 'reference', params: Params = {}, memory: MemoryModel = 'sc'): InlineEngine {
  const def = MODELS.find((m) => m.name === model)!;
  return new InlineEngine(def.instantiate(variant, params), memory);
}

/** Deterministic 32-bit PRNG (mulberry32), so that a failing seed can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Actors that may step: a >= 0 steps actor a; under tso, -(a + 1) flushes a's oldest buffered store. */
function enabled(e: Engine): number[] {
  const out: number[] = [];
  for (let a = 0; a < e.instance.actors.length; a++) {
    if (e.state.memoryModel === 'tso' && e.state.buffered(a) > 0) out.push(-(a + 1));
    const k = e.pendingKind(a);
    if (k === DONE || k === FAILED) continue;
    if (k === OpKind.WAIT && e.state.latch[e.pendingTarget(a)] !== 1) continue;
    out.push(a);
  }
  return out;
}

function take(e: Engine, choice: number): void {
  if (choice >= 0) e.step(choice); else e.flush!(-choice - 1);
}

function pendings(e: Engine): unknown[] {
  return e.instance.actors.map((_, a) => [e.pendingKind(a), e.pendingTarget(a), e.pendingValue(a), e.failure(a)]);
}

/** Runs one execution with random choices on both engines in lockstep; returns the decisions. */
function lockstep(a: Engine, b: Engine, next: () => number, limit = 10_000): number[] {
  const decisions: number[] = [];
  a.begin();
  b.begin();
  for (;;) {
    same(pendings(b), pendings(a));
    const choices = enabled(a);
    same(enabled(b), choices);
    if (choices.length === 0 || decisions.length >= limit) break;
    const choice = choices[Math.floor(next() * choices.length)];
    decisions.push(choice);
    take(a, choice);
    take(b, choice);
  }
  same(b.trace, a.trace);
  expect(b.steps).toBe(a.steps);
  same(new Uint8Array(b.state.sab), new Uint8Array(a.state.sab));
  return decisions;
}

/** toStrictEqual, but fast when equal: expect() is slow enough to dominate an engine step. */
function same(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected);
}

describe('threads engine = inline engine', () => {
  const cases: [string, Params, MemoryModel, number][] = [
    ['test-counter', {}, 'sc', 500],
    ['test-counter', { actors: 3, rounds: 3 }, 'sc', 150],
    ['test-kitchen', {}, 'sc', 500],
    ['test-kitchen', {}, 'tso', 500],
    ['test-counter', { actors: 3, rounds: 2 }, 'tso', 150],
    ['test-store-buffer', { flood: 40 }, 'tso', 150],
  ];
  for (const [model, params, memory, runs] of cases) {
    it(`${model} ${JSON.stringify(params)} ${memory}: same trace and memory for ${runs} random schedules`, async () => {
      const t = await threads(model, 'reference', params, { memory });
      const i = inline(model, 'reference', params, memory);
      expect(t.kind).toBe('threads');
      expect(t.instance.actors.map((x) => x.name)).toStrictEqual(i.instance.actors.map((x) => x.name));
      const next = rng(runs * 7919);
      let steps = 0;
      for (let r = 0; r < runs; r++) steps += lockstep(i, t, next).length;
      expect(steps).toBeGreaterThan(runs * 3);
      if (memory === 'tso') {
        const kinds = new Set(t.trace.map((x) => x.k));
        expect(kinds.has(OpKind.FLUSH) || kinds.has(OpKind.DRAIN)).toBe(true);
      }
    });
  }

  it('under tso, the drains an operation forces come back from the worker as part of its step', async () => {
    const t = await threads('test-store-buffer', 'reference', { flood: 40 }, { memory: 'tso' });
    t.begin();
    for (let s = 0; s < 33; s++) t.step(0); // x=1 and 32 stores to z: the last finds the buffer full
    const drains = t.trace.filter((x) => x.k === OpKind.DRAIN);
    expect(drains).toStrictEqual([{ step: 32, actor: 0, k: OpKind.DRAIN, t: 0, v: 1 }]);
    expect(t.state.read(t.instance.layout.field('x'))).toBe(1);
    t.flush(0);
    expect(t.trace.at(-1)).toStrictEqual({ step: 33, actor: 0, k: OpKind.FLUSH, t: 2, v: 1 });
    expect(t.steps).toBe(34);
  });

  it('notes without data, -0, 64-bit values and idle waits cross the thread boundary exactly', async () => {
    const t = await threads('test-kitchen');
    t.begin();
    expect(t.trace[0]).toStrictEqual({ step: 0, actor: 0, k: OpKind.NOTE, t: 1, v: 0, data: undefined });
    expect(t.trace[1]).toStrictEqual({ step: 0, actor: 0, k: OpKind.NOTE, t: 0, v: 0, data: [] });
    expect([t.pendingKind(1), t.pendingValue(1)]).toStrictEqual([OpKind.WAIT, 1]);
    // Drive the driver to its note with -0 and 2**60 (load, store, add, xchg, cas).
    for (let s = 0; s < 5; s++) t.step(0);
    const note = t.trace.at(-1)!;
    expect(note.data).toStrictEqual([0, -0, 2 ** 60, 1.5]);
    expect(Object.is(note.data![1], -0)).toBe(true);
    expect(t.state.read(t.instance.layout.field('d'))).toBe(2 ** 40 + 5);
  });
});

describe('failures', () => {
  const expected: Record<string, string> = {
    reference: 'RangeError: boom at 0',
    eager: 'Error: before anything — déjà vu ✗',
    factory: 'TypeError: no program today',
    string: 'plain string thrown',
  };
  for (const [variant, message] of Object.entries(expected)) {
    it(`a throwing actor (${variant}) is FAILED with its message, as inline`, async () => {
      const t = await threads('test-throw', variant);
      const i = inline('test-throw', variant);
      for (const e of [i, t]) {
        e.begin();
        while (e.pendingKind(0) > 0) e.step(0);
        expect(e.pendingKind(0)).toBe(FAILED);
        expect(e.failure(0)).toBe(message);
        expect(e.pendingKind(1)).toBe(OpKind.STORE);
      }
      expect(t.trace).toStrictEqual(i.trace);
      // The failure is per execution: the next one starts clean and fails the same way as inline.
      lockstep(i, t, rng(3));
      expect(t.pendingKind(0)).toBe(FAILED);
      expect(t.failure(0)).toBe(i.failure(0));
      expect(t.needsRecovery()).toBe(false);
    });
  }

  it('an operation the shared state refuses throws from step(), as inline, and stays pending', async () => {
    const params = { actors: MAX_ACTORS + 1, rounds: 1 };
    const t = await threads('test-counter', 'reference', params, { memory: 'tso' });
    const i = inline('test-counter', 'reference', params, 'tso');
    const last = MAX_ACTORS;
    for (const e of [i, t]) {
      e.begin();
      e.step(last); // its load
      expect(() => e.step(last)).toThrow(/tso supports at most/);
      expect(e.pendingKind(last)).toBe(OpKind.STORE);
    }
    expect(t.trace).toStrictEqual(i.trace);
  });

  it('a trace that overflows the buffer fails the actor with a clear message, not silently', async () => {
    const t = await threads('test-counter', 'reference', { actors: 1, rounds: 1, chatter: 1000 }, { traceBytes: 4096 });
    t.begin();
    t.step(0);
    t.step(0);
    expect(t.pendingKind(0)).toBe(FAILED);
    expect(t.failure(0)).toMatch(/^TraceOverflowError: the threads engine's trace buffer \(4096 bytes\) overflowed/);
  });
});

describe('hung and dead workers', () => {
  const hung = `actor driver did not finish its operation within ${TIMEOUT} ms (hung or crashed)`;

  it('an actor in an endless loop is FAILED within the timeout, and recover() makes the engine usable again', async () => {
    const t = await threads('test-hang', 'reference', {}, { stepTimeoutMs: TIMEOUT });
    t.begin();
    expect(t.pendingKind(0)).toBe(OpKind.LOAD);
    const started = performance.now();
    t.step(0);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(TIMEOUT - 1);
    expect(took).toBeLessThan(TIMEOUT + 1500);
    expect(t.pendingKind(0)).toBe(FAILED);
    expect(t.failure(0)).toBe(hung);
    // The load did execute before the actor hung, so it is in the trace.
    expect(t.trace).toStrictEqual([{ step: 0, actor: 0, k: OpKind.LOAD, t: 0, v: 0 }]);
    // The other actors go on in the same execution.
    t.step(1);
    expect(t.state.read(0)).toBe(1);
    expect(t.steps).toBe(2);

    expect(t.needsRecovery()).toBe(true);
    expect(() => t.begin()).toThrow(/await recover\(\)/);
    const before = t.threadIds();
    await t.recover();
    expect(t.needsRecovery()).toBe(false);
    const after = t.threadIds();
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(t.spawned).toBe(3);

    t.begin();
    expect(t.pendingKind(0)).toBe(OpKind.LOAD);
    expect(t.failure(0)).toBeUndefined();
    expect(t.state.read(0)).toBe(0);
    t.step(1);
    t.step(1);
    expect(t.pendingKind(1)).toBe(DONE);
    expect(t.state.read(0)).toBe(2);
  });

  it('an actor that hangs before its first operation fails begin() for it alone', async () => {
    const t = await threads('test-hang', 'start', {}, { stepTimeoutMs: TIMEOUT });
    const started = performance.now();
    t.begin();
    expect(performance.now() - started).toBeLessThan(TIMEOUT + 1500);
    expect(t.pendingKind(0)).toBe(FAILED);
    expect(t.failure(0)).toBe(hung);
    expect(t.pendingKind(1)).toBe(OpKind.STORE);
    await t.recover();
    t.begin();
    expect(t.failure(0)).toBe(hung);
    expect(t.pendingKind(1)).toBe(OpKind.STORE);
    await t.recover();
  });

  it('a worker that exits is FAILED, does not crash the process, and is replaced', async () => {
    const t = await threads('test-hang', 'exit', {}, { stepTimeoutMs: TIMEOUT });
    t.begin();
    t.step(0);
    expect(t.pendingKind(0)).toBe(FAILED);
    expect(t.failure(0)).toBe(hung);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.needsRecovery()).toBe(true);
    await t.recover();
    t.begin();
    expect(t.pendingKind(0)).toBe(OpKind.LOAD);
  });

  it('an actor whose worker is already known dead fails at once', async () => {
    const t = await threads('test-hang', 'exit', {}, { stepTimeoutMs: TIMEOUT });
    t.begin();
    t.step(0); // the worker exits: timeout
    await new Promise((r) => setTimeout(r, 50));
    await t.recover();
    t.begin();
    // Terminate the fresh worker behind the engine's back, as a crash would.
    await (t as unknown as { workers: { terminate(): Promise<void> }[] }).workers[0].terminate();
    const started = performance.now();
    t.step(0);
    expect(performance.now() - started).toBeLessThan(TIMEOUT / 2);
    expect(t.failure(0)).toMatch(/^actor driver cannot run: its worker exited with code/);
    expect(t.needsRecovery()).toBe(true);
    await t.recover();
  });
});

describe('worker pool', () => {
  it('1000 executions reuse the same workers', async () => {
    const t = await threads('test-counter');
    const ids = t.threadIds();
    expect(t.spawned).toBe(2);
    const next = rng(1);
    let steps = 0;
    for (let r = 0; r < 1000; r++) {
      t.begin();
      for (let choices = enabled(t); choices.length > 0; choices = enabled(t)) {
        t.step(choices[Math.floor(next() * choices.length)]);
      }
      steps += t.steps;
      expect(t.trace.filter((e) => e.k !== OpKind.NOTE)).toHaveLength(t.steps);
    }
    expect(steps).toBe(1000 * 2 * 2 * 2);
    expect(t.threadIds()).toStrictEqual(ids);
    expect(t.spawned).toBe(2);
    expect(t.needsRecovery()).toBe(false);
  });

  it('close() stops every worker, and a closed engine refuses to begin', async () => {
    const t = await threads('test-counter');
    await t.close();
    expect(() => t.begin()).toThrow(/closed/);
  });

  it('a worker that cannot start makes createThreadsEngine reject with the reason', async () => {
    await expect(createThreadsEngine({ model: 'test-main-only', variant: 'reference', params: {}, module: MODULE }))
      .rejects.toThrow(/the worker of actor solo did not start: Error: this model refuses to load in a worker/);
  });

  it('an unknown model is reported by createThreadsEngine, in a module or in the registry', async () => {
    await expect(createThreadsEngine({ model: 'no-such-model', variant: 'reference', params: {}, module: MODULE })).rejects.toThrow(/unknown model no-such-model/);
    await expect(createThreadsEngine({ model: 'no-such-model', variant: 'reference', params: {} })).rejects.toThrow(/unknown model no-such-model/);
  });
});
