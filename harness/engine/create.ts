/** Makes the engine a command asked for; the threads engine loads the model again in each worker. */
import { UsageError, type MemoryModel, type Params } from '../core/model.ts';
import { findModel } from '../../models/index.ts';
import type { Engine, EngineKind } from './engine.ts';
import { InlineEngine } from './inline.ts';
import { createThreadsEngine } from './threads/threads-engine.ts';

export interface EngineSpec {
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
}

export async function createEngine(kind: EngineKind, spec: EngineSpec, memory: MemoryModel = 'sc'): Promise<Engine> {
  switch (kind) {
    case 'inline': return new InlineEngine(findModel(spec.model).instantiate(spec.variant, spec.params), memory);
    case 'threads': return createThreadsEngine(spec, { memory });
    default: throw new UsageError(`unknown engine ${String(kind)} (engines: inline, threads)`);
  }
}
