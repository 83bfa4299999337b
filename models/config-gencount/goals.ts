/**
 * config-gencount's coverage goal: a device change that lands during a driver read, so that the
 * reader's generation check fails and it reads again. Read from the driver's loads of the counter,
 * so it holds for a third-party driver as for ours.
 */
import type { CoverageGoals } from '../../harness/core/model.ts';
import { OpKind } from '../../harness/core/ops.ts';

export const goals: CoverageGoals = {
  list: [{
    name: 'read-retried',
    description: 'A config change overlapped a driver read: the driver saw the generation odd, or changed across its read of the words, and read again.',
  }],
  reached({ instance, trace }) {
    const reached = new Set<string>();
    const driver = instance.actors.findIndex((a) => a.name === 'driver');
    const gen = instance.layout.field('config.gen').id;
    const data = new Set(instance.layout.fields.filter((f) => f.name.startsWith('config.data')).map((f) => f.id));
    let before: number | undefined;
    let wordsRead = false;
    for (const e of trace) {
      if (e.actor !== driver || e.k !== OpKind.LOAD) continue;
      if (e.t === gen) {
        if ((e.v & 1) !== 0 || (before !== undefined && wordsRead && e.v !== before)) reached.add('read-retried');
        before = e.v;
        wordsRead = false;
      } else if (data.has(e.t)) wordsRead = true;
    }
    return reached;
  },
};
