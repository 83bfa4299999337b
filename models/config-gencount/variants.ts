/** Mutants of design 1: each replaces one step of the reference and says what it breaks. */
import type { Variant } from '../../harness/core/define-model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { readAndAccept, writeWords } from './driver.ts';
import { NOTES, type ConfigSpace } from './layout.ts';
import type { GencountProtocol } from './protocol.ts';

/** Accepts when the two counter reads agree, even if both saw an odd (in-progress) counter. */
function* readConfigNoOddCheck(c: ConfigSpace): Program<number[]> {
  for (;;) {
    const before = yield p.load(c.gen);
    yield p.rmb();
    const words: number[] = [];
    for (const f of c.data) words.push(yield p.load(f));
    yield p.rmb();
    const after = yield p.load(c.gen);
    if (after === before) return words;
  }
}

/** Reads the counter only before the words, so a change during the read goes unseen. */
function* readConfigNoRecheck(c: ConfigSpace): Program<number[]> {
  for (;;) {
    const before = yield p.load(c.gen);
    if (before & 1) {
      yield p.pause();
      continue;
    }
    yield p.rmb();
    const words: number[] = [];
    for (const f of c.data) words.push(yield p.load(f));
    return words;
  }
}

/** The reference reader with no virtio_rmb after either counter read (a weak CPU may read the words out of order with the counter). */
function* readConfigNoRmb(c: ConfigSpace): Program<number[]> {
  for (;;) {
    const before = yield p.load(c.gen);
    if (before & 1) {
      yield p.pause();
      continue;
    }
    const words: number[] = [];
    for (const f of c.data) words.push(yield p.load(f));
    const after = yield p.load(c.gen);
    if (after === before) return words;
  }
}

/** Bumps the counter once, after the words: readers never see an update in progress. */
function* updateConfigSingleBump(c: ConfigSpace, words: readonly number[]): Program {
  yield p.note(NOTES['update-begin'], ...words);
  const gen = yield p.load(c.gen);
  for (let i = 0; i < c.data.length; i++) yield p.store(c.data[i], words[i]);
  yield p.wmb();
  yield p.store(c.gen, gen + 2);
  yield p.note(NOTES['update-end']);
}

/** Clears the config-change status bit after the re-read: a change during the read raises no interrupt. */
function* handleConfigChangeClearAfter(c: ConfigSpace, read: (c: ConfigSpace) => Program<number[]>): Program {
  yield* readAndAccept(c, read);
  yield p.store(c.devChanged, 0);
  yield p.mb();
}

/** Writes again without waiting for the device to take the previous write. */
function* writeConfigBackToBack(c: ConfigSpace, words: readonly number[]): Program {
  yield* writeWords(c, words);
}

export const variants: readonly Variant<GencountProtocol>[] = [
  {
    name: 'no-rmb-read',
    description: 'The driver reads the counter, the words and the counter again with no virtio_rmb between: under --memory weak the word loads may read older values than the counter loads saw, so a torn read is accepted. Passes under sc and tso, which keep loads in order.',
    expect: { verdict: 'violated', invariant: 'no-torn-read', memory: 'weak' },
    recreates: 'Linux virtio_cread_many / __virtio_cread_many keep the generation check between reads; the seqlock pattern needs smp_rmb (Documentation/memory-barriers.txt, "SMP barrier pairing")',
    override: { readConfig: readConfigNoRmb },
  },
  {
    name: 'reference',
    description: 'The proposal as stated: odd counter while updating, reader retries while odd or changed, status bit cleared before the re-read, driver waits for the device to take a write before the next.',
    expect: { verdict: 'passed' },
  },
  {
    name: 'no-odd-check',
    description: 'The reader accepts when both counter reads agree, even when both are odd: it accepts words read in the middle of an update.',
    expect: { verdict: 'violated', invariant: 'no-torn-read' },
    recreates: 'digest section 1 (the odd = in-progress rule) and bug zoo B23 (a counter that does not expose the change)',
    override: { readConfig: readConfigNoOddCheck },
  },
  {
    name: 'single-bump',
    description: 'The device bumps the counter once, after writing the words; a reader that reads during the writes sees the same even counter before and after.',
    expect: { verdict: 'violated', invariant: 'no-torn-read' },
    recreates: 'bug zoo B23 (generation not bumped across the change the driver can observe)',
    override: { updateConfig: updateConfigSingleBump },
  },
  {
    name: 'no-recheck',
    description: 'The reader reads the counter only before the words and never re-checks it.',
    expect: { verdict: 'violated', invariant: 'no-torn-read' },
    recreates: 'Linux virtio_cread() for fields of 4 bytes or less, applied to a multi-field read (digest section 1, pitfall 5)',
    override: { readConfig: readConfigNoRecheck },
  },
  {
    name: 'clear-after-process',
    description: 'The driver clears the config-change status bit after handling the change instead of before; a change that lands during the handling sets a bit that is already set, raises nothing, and is cleared unseen.',
    expect: { verdict: 'violated', invariant: 'no-lost-config-event' },
    recreates: 'bug zoo B25 (lost config events) and pitfall 1 (re-enable, then re-check)',
    override: { handleConfigChange: handleConfigChangeClearAfter },
  },
  {
    name: 'driver-back-to-back',
    description: 'The driver writes its fields again before the device took the previous write: the weak spot the proposal itself names ("not perfect" for back-to-back overlapping changes).',
    expect: { verdict: 'violated', invariant: 'driver-write-intact' },
    recreates: 'virtio-dev transport requirements discussion, Dec 2023 (digest section 5, design (a))',
    override: { writeConfig: writeConfigBackToBack },
  },
];
