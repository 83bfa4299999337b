/**
 * The steps of the packed virtqueue that a variant may replace, and the reference: Linux
 * virtio_ring.c for the driver, DPDK vhost / QEMU for the device. As in vring-split, each step gets
 * its actor's context and calls the others through `x.proto`.
 */
import type { Program } from '../../harness/core/ops.ts';
import type { Segment, StepCtx, UsedBuffer } from '../vring-common/scenario.ts';
import {
  addBuffer, descFlags, disableCb, drainUsed, enableCb, enableCbPrepare, getBuf, kick, kickNeeded, kickPrepare, makeAvailable, poll, writeList,
  type DriverState,
} from './driver.ts';
import {
  advanceUsed, disableKicks, enableKicks, notifyNeeded, popAvail, pushUsed, serve, shouldNotify, type DeviceState, type PackedList,
} from './device.ts';
import type { PackedRing } from './layout.ts';

export type DriverCtx = StepCtx<PackedRing, DriverState, PackedProtocol>;
export type DeviceCtx = StepCtx<PackedRing, DeviceState, PackedProtocol>;

export interface PackedProtocol {
  // driver (virtio_ring.c)
  /** virtqueue_add_packed: returns the buffer id, or undefined when the ring has no room. */
  readonly addBuffer: (x: DriverCtx, buffer: number) => Program<number | undefined>;
  /** Writes a list from `head` except the head's flags; returns the head's flags. */
  readonly writeList: (x: DriverCtx, head: number, id: number, segs: readonly Segment[]) => Program<number>;
  /** The flags of a list's j-th descriptor: AVAIL/USED of the current lap, NEXT but on the last, WRITE. */
  readonly listFlags: (s: DriverState, segs: readonly Segment[], j: number) => number;
  /** Did a list written from `head` up to (not including) `next` pass the end of the ring? */
  readonly passedEnd: (head: number, next: number) => boolean;
  /** Makes the list visible: virtio_wmb, then the head's flags. */
  readonly makeAvailable: (x: DriverCtx, head: number, headFlags: number) => Program;
  readonly kickPrepare: (x: DriverCtx) => Program<boolean>;
  /** Reads the device event suppression structure and decides over the descriptors from `old`. */
  readonly kickNeeded: (x: DriverCtx, old: number) => Program<boolean>;
  readonly kick: (x: DriverCtx) => Program;
  readonly getBuf: (x: DriverCtx) => Program<UsedBuffer | undefined>;
  readonly disableCb: (x: DriverCtx) => Program;
  /** Returns last_used with the used wrap counter in bit 15. */
  readonly enableCbPrepare: (x: DriverCtx) => Program<number>;
  readonly poll: (x: DriverCtx, offWrap: number) => Program<boolean>;
  readonly enableCb: (x: DriverCtx) => Program<boolean>;
  readonly drainUsed: (x: DriverCtx, onBuffer: (b: UsedBuffer) => Program, refill: () => Program) => Program;
  // device
  readonly popAvail: (x: DeviceCtx) => Program<PackedList | undefined>;
  readonly serve: (x: DeviceCtx, l: PackedList) => Program<number>;
  readonly pushUsed: (x: DeviceCtx, l: PackedList, len: number) => Program;
  readonly advanceUsed: (x: DeviceCtx, count: number) => void;
  readonly shouldNotify: (x: DeviceCtx) => Program<boolean>;
  readonly notifyNeeded: (x: DeviceCtx) => Program<boolean>;
  readonly disableKicks: (x: DeviceCtx) => Program;
  readonly enableKicks: (x: DeviceCtx) => Program<boolean>;
}

export const reference: PackedProtocol = {
  addBuffer, writeList, listFlags: descFlags, makeAvailable, kickPrepare, kickNeeded, kick, getBuf, disableCb, enableCbPrepare, poll, enableCb, drainUsed,
  // Linux 1acfe2c1225: a list of exactly N descriptors ends where it began, and that passes the end too.
  passedEnd: (head, next) => next <= head,
  popAvail, serve, pushUsed, advanceUsed, shouldNotify, notifyNeeded, disableKicks, enableKicks,
};
