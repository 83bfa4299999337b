/**
 * litmus-mp: the message-passing litmus test, the smallest program whose outcome tells tso from a
 * weak (Arm-like) memory model, and the shape of every "publish an entry, then its index" in virtio.
 *
 *   writer: data = 1; [virtio_wmb]; flag = 1        reader: r0 = flag; [virtio_rmb]; r1 = data
 *
 * r0 = 1 with r1 = 0 means the reader saw the flag but not the data it guards. sc and tso never
 * give it (tso keeps stores in order and loads in order). Under --memory weak both barriers are
 * needed: without the wmb the flag may become visible before the data; without the rmb the load of
 * data may be satisfied before the load of flag (it reads an older value).
 */
import { defineModel, refs, type Variant } from '../../harness/core/define-model.ts';
import { defineLayout, type Field } from '../../harness/core/layout.ts';
import { OpKind, port as p, type Program } from '../../harness/core/ops.ts';

const NOTES = refs('flag-seen', 'data-seen');

interface Litmus {
  readonly data: Field;
  readonly flag: Field;
}

interface MpProtocol {
  readonly wmb: boolean;
  readonly rmb: boolean;
}

function* writer(proto: MpProtocol, c: Litmus): Program<void> {
  yield p.store(c.data, 1);
  if (proto.wmb) yield p.wmb();
  yield p.store(c.flag, 1);
}

function* reader(proto: MpProtocol, c: Litmus): Program<void> {
  const r0 = yield p.load(c.flag);
  if (proto.rmb) yield p.rmb();
  const r1 = yield p.load(c.data);
  yield p.note(NOTES['flag-seen'], r0);
  yield p.note(NOTES['data-seen'], r1);
}

const variants: readonly Variant<MpProtocol>[] = [
  { name: 'reference', description: 'virtio_wmb between the two stores, virtio_rmb between the two loads: r0 = 1, r1 = 0 is impossible under sc, tso and weak.', expect: { verdict: 'passed' } },
  {
    name: 'no-barriers',
    description: 'Neither barrier: under weak the flag can become visible first, or the data load can read the old value. Passes under sc and tso.',
    expect: { verdict: 'violated', invariant: 'mp-outcome', memory: 'weak' },
    recreates: 'the classic MP litmus test (LKMM MP+poonceonces)',
    override: { wmb: false, rmb: false },
  },
  {
    name: 'wmb-only',
    description: 'The writer orders its stores but the reader does not order its loads: the data load may read the old value though the flag load saw the new one.',
    expect: { verdict: 'violated', invariant: 'mp-outcome', memory: 'weak' },
    recreates: 'a device reading avail.ring[] after avail.idx without virtio_rmb (the kvmtool and Firecracker arm64 fixes)',
    override: { rmb: false },
  },
  {
    name: 'rmb-only',
    description: 'The reader orders its loads but the writer publishes the flag without virtio_wmb: the flag can become visible before the data.',
    expect: { verdict: 'violated', invariant: 'mp-outcome', memory: 'weak' },
    recreates: 'a driver publishing avail.idx without virtio_wmb after the ring entry (Linux virtqueue_add_split keeps it)',
    override: { wmb: false },
  },
];

export const litmusMp = defineModel<MpProtocol, Litmus>({
  name: 'litmus-mp',
  summary: 'Message-passing litmus test: shows what --memory weak adds to tso (the forbidden outcome flag = 1, data = 0 appears unless both virtio_wmb and virtio_rmb are there).',
  params: [],
  events: [],
  notes: Object.values(NOTES),
  reference: { wmb: true, rmb: true },
  variants,
  invariants: [
    {
      name: 'mp-outcome',
      kind: 'liveness',
      protects: 'A reader that sees the flag set also sees the data written before it (not flag = 1 with data = 0).',
      observe() {
        let flag = -1;
        let data = -1;
        return {
          onEntry(e) {
            if (e.k === OpKind.NOTE && e.t === NOTES['flag-seen'].id) flag = e.data?.[0] ?? -1;
            if (e.k === OpKind.NOTE && e.t === NOTES['data-seen'].id) data = e.data?.[0] ?? -1;
            return undefined;
          },
          key: () => `${flag},${data}`,
          atQuiescence() {
            return flag === 1 && data === 0
              ? 'the reader read flag = 1 and then data = 0: it saw the flag but not the data stored before it (the flag became visible first, or the data load read an older value), an outcome no interleaving gives; a virtio_wmb between the stores and a virtio_rmb between the loads forbid it.'
              : undefined;
          },
        };
      },
    },
  ],
  defaultPreemptions: 10,
  maxSteps: () => 100,
  build() {
    const layout = defineLayout((b) => { b.u32('data'); b.u32('flag'); });
    return { layout, ctx: { data: layout.field('data'), flag: layout.field('flag') } };
  },
  actors: (proto, c) => [
    { name: 'writer', program: () => writer(proto, c) },
    { name: 'reader', program: () => reader(proto, c) },
  ],
});
