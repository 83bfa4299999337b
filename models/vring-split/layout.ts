/**
 * vring-split: the split virtqueue of the virtio spec (digest section 2), laid out exactly:
 *
 *   descriptor table, align 16, 16*N bytes:  le64 addr @0, le32 len @8, le16 flags @12, le16 next @14
 *   available ring,   align 2,  6+2*N bytes: le16 flags, le16 idx, le16 ring[N], le16 used_event
 *   used ring,        align 4,  6+8*N bytes: le16 flags, le16 idx, {le32 id, le32 len}[N], le16 avail_event
 *
 * used_event and avail_event exist only with VIRTIO_F_EVENT_IDX. With VIRTIO_F_INDIRECT_DESC the
 * driver also owns one indirect table per descriptor of the ring (`ind[h].desc[j]`, the memory it
 * would allocate per request), placed after the used ring.
 *
 * Events: `kick` is the available buffer notification (driver -> device), `used-irq` the used
 * buffer notification (device -> driver).
 */
import { defineLayout, type Field, type Layout, type LayoutBuilder } from '../../harness/core/layout.ts';
import type { Params } from '../../harness/core/model.ts';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_USED_F_NO_NOTIFY = 1;
export const DESC_BYTES = 16;

export { EVENTS, NOTES } from '../vring-common/scenario.ts';

export interface Desc {
  readonly addr: Field;
  readonly len: Field;
  readonly flags: Field;
  readonly next: Field;
}

export interface SplitRing {
  readonly layout: Layout;
  /** Queue size N (a power of two). */
  readonly n: number;
  readonly desc: readonly Desc[];
  readonly availFlags: Field;
  readonly availIdx: Field;
  readonly availRing: readonly Field[];
  /** avail.used_event (EVENT_IDX only). */
  readonly usedEvent: Field | undefined;
  readonly usedFlags: Field;
  readonly usedIdx: Field;
  readonly usedRing: readonly { readonly id: Field; readonly len: Field }[];
  /** used.avail_event (EVENT_IDX only). */
  readonly availEvent: Field | undefined;
  /** ind[h]: the indirect table the driver uses when head h carries an indirect chain. */
  readonly ind: readonly (readonly Desc[])[];
  /** Guest address of ind[h] (its byte offset in the shared memory), as desc.addr carries it. */
  readonly indAddr: readonly number[];
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  readonly params: Params;
}

const descStruct = (m: LayoutBuilder): void => {
  m.u64('addr').u32('len').u16('flags').u16('next');
};

/**
 * Descriptors of request b: chainLength, except the last request, which has lastChainLength when
 * that is longer (up to the queue size, or 4 in an indirect table), so that a run of requests of
 * one descriptor still ends with a chain.
 */
export function splitRequestLength(params: Params, b: number): number {
  const last = Math.min(params.lastChainLength ?? 1, params.indirect ? 4 : params.queueSize);
  return b === params.buffers - 1 ? Math.max(params.chainLength, last) : params.chainLength;
}

/** The longest request: the entries of an indirect table. */
export function splitLongestRequest(params: Params): number {
  return splitRequestLength(params, params.buffers - 1);
}

export function splitRing(params: Params): SplitRing {
  const n = params.queueSize;
  const chain = splitLongestRequest(params);
  const eventIdx = params.eventIdx === 1;
  const indirect = params.indirect === 1;
  const availAt = DESC_BYTES * n;
  const usedAt = Math.ceil((availAt + 6 + 2 * n) / 4) * 4;
  const indAt = Math.ceil((usedAt + 6 + 8 * n) / 16) * 16;
  const layout = defineLayout((b) => {
    b.at(0).array('desc', n, descStruct);
    b.at(availAt).u16('avail.flags').u16('avail.idx').array('avail.ring', n, 16);
    if (eventIdx) b.u16('avail.used_event');
    b.at(usedAt).u16('used.flags').u16('used.idx').array('used.ring', n, (m) => { m.u32('id'); m.u32('len'); });
    if (eventIdx) b.u16('used.avail_event');
    if (indirect) for (let h = 0; h < n; h++) b.at(indAt + h * DESC_BYTES * chain).array(`ind[${h}].desc`, chain, descStruct);
  });
  const descs = (prefix: string, count: number): Desc[] => Array.from({ length: count }, (_, i) => ({
    addr: layout.field(`${prefix}[${i}].addr`), len: layout.field(`${prefix}[${i}].len`),
    flags: layout.field(`${prefix}[${i}].flags`), next: layout.field(`${prefix}[${i}].next`),
  }));
  return {
    layout, n,
    desc: descs('desc', n),
    availFlags: layout.field('avail.flags'),
    availIdx: layout.field('avail.idx'),
    availRing: layout.array('avail.ring', n),
    usedEvent: eventIdx ? layout.field('avail.used_event') : undefined,
    usedFlags: layout.field('used.flags'),
    usedIdx: layout.field('used.idx'),
    usedRing: Array.from({ length: n }, (_, i) => ({ id: layout.field(`used.ring[${i}].id`), len: layout.field(`used.ring[${i}].len`) })),
    availEvent: eventIdx ? layout.field('used.avail_event') : undefined,
    ind: indirect ? Array.from({ length: n }, (_, h) => descs(`ind[${h}].desc`, chain)) : [],
    indAddr: indirect ? Array.from({ length: n }, (_, h) => indAt + h * DESC_BYTES * chain) : [],
    eventIdx, indirect, params,
  };
}
