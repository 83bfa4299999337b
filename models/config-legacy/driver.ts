/**
 * The driver's read (Linux __virtio_cread_many): read the generation, read the fields one access
 * at a time, read the generation again, retry until the two agree.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { NOTES, type LegacyConfig } from './layout.ts';

/** A driver read of config_generation traps: the device's handler runs inside the access. */
export function* readGeneration(c: LegacyConfig, handler: (c: LegacyConfig) => Program<number>): Program<number> {
  yield p.atomicBegin();
  const gen = yield* handler(c);
  yield p.atomicEnd();
  return gen;
}

export function* readConfig(c: LegacyConfig, handler: (c: LegacyConfig) => Program<number>): Program<number[]> {
  let before = yield* readGeneration(c, handler);
  for (;;) {
    const words: number[] = [];
    for (const f of c.data) words.push(yield p.load(f));
    const after = yield* readGeneration(c, handler);
    if (after === before) return words;
    before = after;
  }
}

export function* readAndAccept(c: LegacyConfig, handler: (c: LegacyConfig) => Program<number>): Program {
  yield p.note(NOTES['read-begin']);
  const words = yield* readConfig(c, handler);
  yield p.note(NOTES['read-accept'], ...words);
}
