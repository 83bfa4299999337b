/**
 * vring-packed: the packed virtqueue of the virtio spec (digest section 3), laid out exactly:
 *
 *   descriptor ring, align 16, 16*N bytes: le64 addr @0, le32 len @8, le16 id @12, le16 flags @14
 *   driver event suppression (Driver Area), align 4: le16 off_wrap {off:15, wrap:1}, le16 flags
 *   device event suppression (Device Area), align 4: le16 off_wrap, le16 flags
 *
 * N need not be a power of two. Flags are the spec's masks: AVAIL = 1<<7, USED = 1<<15 (Linux's
 * VRING_PACKED_DESC_F_AVAIL/USED are the shift counts 7 and 15). The driver event suppression
 * structure gates used-buffer notifications, the device's gates kicks.
 *
 * Events: `kick` (driver -> device), `used-irq` (device -> driver).
 */
import { defineLayout, type Field, type Layout } from '../../harness/core/layout.ts';
import type { Params } from '../../harness/core/model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { vringNeedEvent } from '../vring-common/ring-math.ts';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_AVAIL = 1 << 7;
export const VIRTQ_DESC_F_USED = 1 << 15;
export const RING_EVENT_FLAGS_ENABLE = 0;
export const RING_EVENT_FLAGS_DISABLE = 1;
export const RING_EVENT_FLAGS_DESC = 2;
export const EVENT_WRAP = 1 << 15;

export { EVENTS, NOTES } from '../vring-common/scenario.ts';

export interface PackedDesc {
  readonly addr: Field;
  readonly len: Field;
  readonly id: Field;
  readonly flags: Field;
}

export interface EventSuppress {
  readonly offWrap: Field;
  readonly flags: Field;
}

export interface PackedRing {
  readonly layout: Layout;
  readonly n: number;
  readonly desc: readonly PackedDesc[];
  /** Driver Event Suppression: written by the driver, read by the device before a used notification. */
  readonly driverEvent: EventSuppress;
  /** Device Event Suppression: written by the device, read by the driver before a kick. */
  readonly deviceEvent: EventSuppress;
  readonly eventIdx: boolean;
  readonly params: Params;
}

export function packedRing(params: Params): PackedRing {
  const n = params.queueSize;
  const layout = defineLayout((b) => {
    b.at(0).array('desc', n, (m) => { m.u64('addr').u32('len').u16('id').u16('flags'); });
    b.at(16 * n).u16('driver_event.off_wrap').u16('driver_event.flags');
    b.u16('device_event.off_wrap').u16('device_event.flags');
  });
  const ev = (who: string): EventSuppress => ({ offWrap: layout.field(`${who}.off_wrap`), flags: layout.field(`${who}.flags`) });
  return {
    layout, n,
    desc: Array.from({ length: n }, (_, i) => ({
      addr: layout.field(`desc[${i}].addr`), len: layout.field(`desc[${i}].len`), id: layout.field(`desc[${i}].id`), flags: layout.field(`desc[${i}].flags`),
    })),
    driverEvent: ev('driver_event'),
    deviceEvent: ev('device_event'),
    eventIdx: params.eventIdx === 1,
    params,
  };
}

/** The AVAIL/USED bits that mark a descriptor available in a lap with wrap counter w. */
export function availBits(w: number): number {
  return w ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/** The AVAIL/USED bits that mark a descriptor used in a lap with wrap counter w. */
export function usedBits(w: number): number {
  return w ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;
}

export const POLARITY = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

export function isAvail(flags: number, w: number): boolean {
  return (flags & POLARITY) === availBits(w);
}

export function isUsed(flags: number, w: number): boolean {
  return (flags & POLARITY) === usedBits(w);
}

/**
 * The producer's decision over the peer's event suppression structure (Linux
 * virtqueue_kick_prepare_packed, DPDK vhost_vring_call_packed): not DESC: notify unless DISABLE;
 * DESC: read off_wrap, take N off the offset when its wrap bit is not the producer's counter, and
 * apply vring_need_event over [old, new).
 */
export function* eventNeeded(ev: EventSuppress, wrap: number, n: number, newIdx: number, old: number): Program<boolean> {
  const flags = yield p.load(ev.flags);
  if (flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
  const offWrap = yield p.load(ev.offWrap);
  let event = offWrap & ~EVENT_WRAP;
  if (offWrap >> 15 !== wrap) event -= n;
  return vringNeedEvent(event, newIdx, old);
}
