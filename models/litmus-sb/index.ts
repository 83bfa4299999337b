/**
 * litmus-sb: the store-buffering litmus test, the smallest program whose outcome tells sc from tso.
 *
 *   p0: x = 1; [virtio_mb]; r0 = y        p1: y = 1; [virtio_mb]; r1 = x
 *
 * Under sc some store comes first, so r0 = r1 = 0 is impossible. Under tso both stores can sit in
 * their store buffers while both loads read memory, so without the fences both read 0. This is the
 * shape of every missing-barrier bug between a ring index and the peer's suppression flag
 * (bug zoo B1, B2): publish, then read the other side's state.
 */
import { defineModel, refs, type Variant } from '../../harness/core/define-model.ts';
import { defineLayout, type Field } from '../../harness/core/layout.ts';
import { OpKind, port as p, type Program } from '../../harness/core/ops.ts';

const NOTES = refs('result');

interface Litmus {
  readonly x: Field;
  readonly y: Field;
}

interface SbProtocol {
  readonly storeThenLoad: (mine: Field, theirs: Field) => Program<number>;
}

function* storeFenceLoad(mine: Field, theirs: Field): Program<number> {
  yield p.store(mine, 1);
  yield p.mb();
  return yield p.load(theirs);
}

function* storeLoad(mine: Field, theirs: Field): Program<number> {
  yield p.store(mine, 1);
  return yield p.load(theirs);
}

const variants: readonly Variant<SbProtocol>[] = [
  { name: 'reference', description: 'Each side fences between its store and its load: r0 = r1 = 0 is impossible under sc and tso.', expect: { verdict: 'passed' } },
  {
    name: 'no-fence',
    description: 'No fence between the store and the load: both stores can wait in store buffers while both loads read 0. Passes under sc, fails under tso.',
    expect: { verdict: 'violated', invariant: 'sc-outcome', memory: 'tso' },
    recreates: 'the classic SB litmus test (x86-TSO); the pattern of bug zoo B1 and B2',
    override: { storeThenLoad: storeLoad },
  },
];

export const litmusSb = defineModel<SbProtocol, Litmus>({
  name: 'litmus-sb',
  summary: 'Store-buffering litmus test: shows what --memory tso adds to sc (the forbidden outcome r0 = r1 = 0 appears only without fences).',
  params: [],
  events: [],
  notes: Object.values(NOTES),
  reference: { storeThenLoad: storeFenceLoad },
  variants,
  invariants: [
    {
      name: 'sc-outcome',
      kind: 'liveness',
      protects: 'The outcome is one sequential consistency allows: at least one of the two loads sees the other side\'s store (not r0 = r1 = 0).',
      observe() {
        const results: number[] = [];
        return {
          onEntry(e) {
            if (e.k === OpKind.NOTE && e.t === NOTES.result.id) results[e.actor] = e.data?.[0] ?? -1;
            return undefined;
          },
          key: () => results.join(','),
          atQuiescence() {
            return results[0] === 0 && results[1] === 0
              ? 'p0 read y = 0 and p1 read x = 0: each load ran while the other side\'s store was still in its store buffer, an outcome no interleaving of the two programs gives (store then load with no virtio_mb between).'
              : undefined;
          },
        };
      },
    },
  ],
  defaultPreemptions: 10,
  maxSteps: () => 100,
  build() {
    const layout = defineLayout((b) => { b.u32('x'); b.u32('y'); });
    return { layout, ctx: { x: layout.field('x'), y: layout.field('y') } };
  },
  actors: (proto, c) => [
    { name: 'p0', program: function* () { yield p.note(NOTES.result, yield* proto.storeThenLoad(c.x, c.y)); } },
    { name: 'p1', program: function* () { yield p.note(NOTES.result, yield* proto.storeThenLoad(c.y, c.x)); } },
  ],
});
