/**
 * Visible steps/s and executions/s of the threads engine against the inline engine, on the counter
 * fixture model with uniformly random choices. Run: npx tsx bench/threads-handoff.ts [seconds]
 */
import { Worker } from 'node:worker_threads';
import type { Params } from '../harness/core/model.ts';
import { OpKind } from '../harness/core/ops.ts';
import { DONE, FAILED, type Engine } from '../harness/engine/engine.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { createThreadsEngine } from '../harness/engine/threads/threads-engine.ts';
import { MODELS } from '../tests/fixtures/litmus-models.ts';

const MODULE = new URL('../tests/fixtures/litmus-models.ts', import.meta.url).href;
const MODEL = 'test-counter';
const seconds = Number(process.argv[2] ?? 3);

interface Result { executions: number; steps: number; ms: number }

function run(engine: Engine, ms: number): Result {
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const n = engine.instance.actors.length;
  const choices: number[] = [];
  let executions = 0;
  let steps = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    // Check the clock every 64 executions only: performance.now() is not free on the inline engine.
    for (let i = 0; i < 64; i++) {
      engine.begin();
      for (;;) {
        choices.length = 0;
        for (let a = 0; a < n; a++) {
          const k = engine.pendingKind(a);
          if (k === DONE || k === FAILED) continue;
          if (k === OpKind.WAIT && engine.state.latch[engine.pendingTarget(a)] !== 1) continue;
          choices.push(a);
        }
        if (choices.length === 0) break;
        engine.step(choices[Math.floor(random() * choices.length)]);
      }
      steps += engine.steps;
      executions++;
    }
    now = performance.now();
  }
  return { executions, steps, ms: now - start };
}

function line(name: string, r: Result): string {
  const s = r.ms / 1000;
  return `${name.padEnd(8)} ${Math.round(r.steps / s).toLocaleString('en-US').padStart(12)} steps/s ${Math.round(r.executions / s).toLocaleString('en-US').padStart(11)} executions/s ${(r.ms * 1000 / r.steps).toFixed(2).padStart(8)} us/step`;
}

/**
 * The floor on this machine right now: bare Atomics.wait/notify round trips with a worker that
 * does nothing but answer. The engine's us/step should be read against it (futex wake-up
 * latency on a small VM varies by a factor of 3 to 5 from minute to minute).
 */
async function handoffFloor(ms: number): Promise<number> {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const echo = `const { workerData } = require('node:worker_threads'); const c = new Int32Array(workerData); let seen = 0;
    for (;;) { let s; while ((s = Atomics.load(c, 0)) === seen) Atomics.wait(c, 0, seen); seen = s; Atomics.store(c, 1, s); Atomics.notify(c, 1, 1); }`;
  const worker = new Worker(echo, { eval: true, workerData: ctl.buffer });
  await new Promise((r) => worker.once('online', r));
  let trips = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 256; i++) {
      const seq = ++trips;
      Atomics.store(ctl, 0, seq);
      Atomics.notify(ctl, 0, 1);
      for (let v = Atomics.load(ctl, 1); v !== seq; v = Atomics.load(ctl, 1)) Atomics.wait(ctl, 1, v, 5000);
    }
  }
  const us = (performance.now() - start) * 1000 / trips;
  await worker.terminate();
  return us;
}

console.log(`bare handoff floor (grant + completion with an idle echo worker): ${(await handoffFloor(1000)).toFixed(2)} us/round trip`);

const cases: Params[] = [{ actors: 2, rounds: 2 }, { actors: 2, rounds: 8 }, { actors: 4, rounds: 4 }];
console.log(`${MODEL}, random choices, ${seconds} s per engine and case (node ${process.version})`);
for (const params of cases) {
  const def = MODELS.find((m) => m.name === MODEL)!;
  const inline = new InlineEngine(def.instantiate('reference', params));
  run(inline, 200); // warm-up
  const ri = run(inline, seconds * 1000);

  const t0 = performance.now();
  const threads = await createThreadsEngine({ model: MODEL, variant: 'reference', params, module: MODULE });
  const startup = performance.now() - t0;
  try {
    run(threads, 200);
    const rt = run(threads, seconds * 1000);
    console.log(`\n${JSON.stringify(params)}: ${ri.steps / ri.executions} visible steps per execution; threads engine started in ${startup.toFixed(0)} ms`);
    console.log(line('inline', ri));
    console.log(line('threads', rt));
    console.log(`inline/threads: ${(ri.steps / ri.ms / (rt.steps / rt.ms)).toFixed(0)}x`);
  } finally {
    await threads.close();
  }
}
