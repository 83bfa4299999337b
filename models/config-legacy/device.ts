/**
 * The device model behind the trap. A config change runs under the device lock (one atomic
 * section: the driver's trapped accesses cannot interleave with it). Reading config_generation
 * is handled by device code too, on the driver's trapped access.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { NOTES, type LegacyConfig } from './layout.ts';

/** The spec's rule: mark the config dirty; the generation moves on the driver's next read of it. */
export function* changeConfig(c: LegacyConfig, words: readonly number[]): Program {
  yield p.atomicBegin();
  yield p.note(NOTES['update-begin'], ...words);
  for (let i = 0; i < c.data.length; i++) yield p.store(c.data[i], words[i]);
  yield p.store(c.dirty, 1);
  yield p.note(NOTES['update-end']);
  yield p.atomicEnd();
}

/** The trap handler for a driver read of config_generation. */
export function* onGenerationRead(c: LegacyConfig): Program<number> {
  if ((yield p.load(c.dirty)) !== 0) {
    const gen = yield p.load(c.gen);
    yield p.store(c.gen, (gen + 1) & 0xff);
    yield p.store(c.dirty, 0);
  }
  return yield p.load(c.gen);
}
