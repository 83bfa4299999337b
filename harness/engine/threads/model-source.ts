/**
 * Where the main thread and the workers find a model by name. A worker cannot be handed a
 * ModelDef (functions do not cross threads), so both sides look the model up in the same module:
 * models/index.ts, or another module exporting `MODELS` (test fixtures, third-party models).
 */
import { UsageError, type ModelDef, type Params } from '../../core/model.ts';

/** What both sides instantiate; plain data, so it can travel in workerData. */
export interface ModelSpec {
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
  /** File URL of a module exporting `MODELS: ModelDef[]`; default: the toolkit's models/index.ts. */
  readonly module?: string;
}

export async function loadModel(spec: ModelSpec): Promise<ModelDef> {
  // Imported on demand: a worker serving a fixture or third-party module need not load every model.
  if (spec.module === undefined) return (await import('../../../models/index.ts')).findModel(spec.model);
  const mod: { MODELS?: unknown } = await import(spec.module);
  if (!Array.isArray(mod.MODELS)) throw new UsageError(`model module ${spec.module} does not export a MODELS array`);
  const models = mod.MODELS as readonly ModelDef[];
  const def = models.find((m) => m.name === spec.model);
  if (!def) throw new UsageError(`unknown model ${spec.model} in ${spec.module} (models: ${models.map((m) => m.name).join(', ')})`);
  return def;
}
