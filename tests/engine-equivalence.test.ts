/**
 * The engine of record (threads: one worker per actor over the real SharedArrayBuffer) and the
 * fast engine (inline coroutines) give the same trace for the same schedule, on every variant of
 * every model: random schedules run inline, then replay step for step on threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { MemoryModel, TraceEntry } from '../harness/core/model.ts';
import { createEngine } from '../harness/engine/create.ts';
import type { Engine } from '../harness/engine/engine.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { runExecution } from '../harness/explore/execution.ts';
import { RandomStrategy } from '../harness/explore/random.ts';
import { ReplayStrategy } from '../harness/explore/replay.ts';
import type { Strategy } from '../harness/explore/strategy.ts';
import { MODELS } from '../models/index.ts';

const SCHEDULES = 12;
const open: Engine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });

function once(engine: Engine, strategy: Strategy): { decisions: number[]; trace: TraceEntry[]; violation?: string } {
  strategy.next();
  const r = runExecution(engine, strategy);
  return { decisions: r.decisions, trace: engine.trace.slice(), violation: r.violation?.invariant };
}

const cases = MODELS.flatMap((m) => m.variants.flatMap((v) => {
  const memories: MemoryModel[] = v.expect.verdict === 'violated' && v.expect.memory === 'tso' ? ['sc', 'tso'] : ['sc'];
  return memories.map((memory) => [`${m.name}/${v.name}`, memory, m.name, v.name] as const);
}));

describe('threads and inline engines agree', () => {
  it.each(cases)('%s under %s', async (_, memory, model, variant) => {
    const def = MODELS.find((m) => m.name === model)!;
    const inline = new InlineEngine(def.instantiate(variant, {}), memory);
    const threads = await createEngine('threads', { model, variant, params: {} }, memory);
    open.push(threads);
    const names = inline.instance.actors.map((a) => a.name);
    for (let seed = 1; seed <= SCHEDULES; seed++) {
      const a = once(inline, new RandomStrategy(seed, 1));
      const b = once(threads, new ReplayStrategy(a.decisions.map((actor) => ({ actor })), names));
      expect(b.trace, `seed ${seed}`).toEqual(a.trace);
      expect(b.violation).toBe(a.violation);
    }
    await threads.close();
  });
});
