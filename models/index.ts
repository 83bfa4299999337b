/** Every model the toolkit ships, by its contract name (DESIGN.md section 6). */
import { UsageError, type ModelDef } from '../harness/core/model.ts';
import { configGencount } from './config-gencount/index.ts';
import { configLegacy } from './config-legacy/index.ts';
import { configMsg } from './config-msg/index.ts';
import { litmusMp } from './litmus-mp/index.ts';
import { litmusSb } from './litmus-sb/index.ts';
import { transportMsg } from './transport-msg/index.ts';
import { vringPacked } from './vring-packed/index.ts';
import { vringSplit } from './vring-split/index.ts';

export const MODELS: readonly ModelDef[] = [configGencount, configLegacy, configMsg, transportMsg, litmusSb, litmusMp, vringSplit, vringPacked];

export function findModel(name: string): ModelDef {
  const m = MODELS.find((x) => x.name === name);
  if (!m) throw new UsageError(`unknown model ${name} (models: ${MODELS.map((x) => x.name).join(', ')})`);
  return m;
}
