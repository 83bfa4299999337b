/**
 * The driver side of design 1, as the proposal states it.
 *
 * read-config: read the counter; while it is odd an update is in progress, so retry; read the
 * words; read the counter again; accept only if it did not change.
 * config-change: on config-irq, clear the status bit first, then re-read, so that a change that
 * lands during the read raises the interrupt again.
 * write-config: wait until the device took the previous write, write the words, set the flag and
 * ring the doorbell.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { EVENTS, NOTES, type ConfigSpace } from './layout.ts';

export function* readConfig(c: ConfigSpace): Program<number[]> {
  for (;;) {
    const before = yield p.load(c.gen);
    if (before & 1) {
      yield p.pause();
      continue;
    }
    yield p.rmb();
    const words: number[] = [];
    for (const f of c.data) words.push(yield p.load(f));
    yield p.rmb();
    const after = yield p.load(c.gen);
    if (after === before) return words;
  }
}

export function* handleConfigChange(c: ConfigSpace, read: (c: ConfigSpace) => Program<number[]>): Program {
  yield p.store(c.devChanged, 0);
  yield p.mb();
  yield* readAndAccept(c, read);
}

export function* writeConfig(c: ConfigSpace, words: readonly number[]): Program {
  while ((yield p.load(c.drvChanged)) !== 0) yield p.pause();
  yield* writeWords(c, words);
}

/** The write itself, shared by the reference and the back-to-back variant. */
export function* writeWords(c: ConfigSpace, words: readonly number[]): Program {
  yield p.note(NOTES['write-begin'], ...words);
  for (let j = 0; j < c.drv.length; j++) yield p.store(c.drv[j], words[j]);
  yield p.wmb();
  yield p.note(NOTES['write-end']);
  yield p.store(c.drvChanged, 1);
  yield p.notify(EVENTS['config-doorbell']);
}

/** A read as the oracles see it: its interval and the value accepted. */
export function* readAndAccept(c: ConfigSpace, read: (c: ConfigSpace) => Program<number[]>): Program {
  yield p.note(NOTES['read-begin']);
  const words = yield* read(c);
  yield p.note(NOTES['read-accept'], ...words);
}
