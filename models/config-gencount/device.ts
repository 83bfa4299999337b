/**
 * The device side of design 1.
 *
 * update-config: make the counter odd, write the words, make it even again (virtio_wmb between
 * the counter and the words, so that a reader never sees new words under an old even counter).
 * signal-config-change: set the status bit; raise config-irq only on its 0 -> 1 edge.
 * take-driver-write: on config-doorbell, read the driver's words, then clear the flag (which hands
 * the fields back to the driver).
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { EVENTS, NOTES, type ConfigSpace } from './layout.ts';

export function* updateConfig(c: ConfigSpace, words: readonly number[]): Program {
  yield p.note(NOTES['update-begin'], ...words);
  const gen = yield p.load(c.gen);
  yield p.store(c.gen, gen + 1);
  yield p.wmb();
  for (let i = 0; i < c.data.length; i++) yield p.store(c.data[i], words[i]);
  yield p.wmb();
  yield p.store(c.gen, gen + 2);
  yield p.note(NOTES['update-end']);
}

export function* signalConfigChange(c: ConfigSpace): Program {
  const was = yield p.exchange(c.devChanged, 1);
  if (was === 0) yield p.notify(EVENTS['config-irq']);
}

export function* takeDriverWrite(c: ConfigSpace): Program {
  yield p.note(NOTES['apply-begin']);
  const words: number[] = [];
  for (const f of c.drv) words.push(yield p.load(f));
  yield p.note(NOTES.apply, ...words);
  yield p.store(c.drvChanged, 0);
}
