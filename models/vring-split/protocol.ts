/**
 * The steps of the split virtqueue that a variant may replace, and the reference that takes them
 * from the spec and Linux (drivers/virtio/virtio_ring.c, the driver) and vhost/QEMU (the device).
 * Each step gets its actor's context: the ring, the actor's private state, and the protocol, so that
 * a step calls the other steps through `x.proto` and an override of one is seen by all.
 */
import type { Program } from '../../harness/core/ops.ts';
import {
  addBuffer, disableCb, drainUsed, enableCb, enableCbPrepare, getBuf, kick, kickNeeded, kickPrepare, poll, publishAvail, writeChain,
  type DriverState,
} from './driver.ts';
import type { Segment, StepCtx, UsedBuffer } from '../vring-common/scenario.ts';
import {
  disableKicks, enableKicks, notifyNeeded, popAvail, pushUsed, readChain, serve, shouldNotify, type ChainBytes, type DeviceState,
} from './device.ts';
import type { Desc, SplitRing } from './layout.ts';

export type DriverCtx = StepCtx<SplitRing, DriverState, SplitProtocol>;
export type DeviceCtx = StepCtx<SplitRing, DeviceState, SplitProtocol>;

export interface SplitProtocol {
  // driver (virtio_ring.c)
  /** virtqueue_add_split: returns the head, or undefined when the ring has no room. */
  readonly addBuffer: (x: DriverCtx, buffer: number) => Program<number | undefined>;
  /** Writes the descriptors of one chain (in the ring or in an indirect table). */
  readonly writeChain: (x: DriverCtx, table: readonly Desc[], slots: readonly number[], segs: readonly Segment[]) => Program;
  /** Puts the head in the available ring and exposes it through avail.idx. */
  readonly publishAvail: (x: DriverCtx, head: number) => Program;
  /** virtqueue_kick_prepare_split: does the device want a kick? */
  readonly kickPrepare: (x: DriverCtx) => Program<boolean>;
  /** Reads the device's suppression state and applies the rule over the entries from `old`. */
  readonly kickNeeded: (x: DriverCtx, old: number) => Program<boolean>;
  readonly kick: (x: DriverCtx) => Program;
  /** virtqueue_get_buf_ctx_split: the next used buffer, or undefined. */
  readonly getBuf: (x: DriverCtx) => Program<UsedBuffer | undefined>;
  readonly disableCb: (x: DriverCtx) => Program;
  /** virtqueue_enable_cb_prepare_split: returns the last used index the driver has seen. */
  readonly enableCbPrepare: (x: DriverCtx) => Program<number>;
  /** virtqueue_poll: full barrier, then is there a used entry past `last`? */
  readonly poll: (x: DriverCtx, last: number) => Program<boolean>;
  /** virtqueue_enable_cb: true when interrupts are on and nothing is pending (safe to sleep). */
  readonly enableCb: (x: DriverCtx) => Program<boolean>;
  /** The interrupt handler's poll: take every used buffer, refill, re-enable, re-check. */
  readonly drainUsed: (x: DriverCtx, onBuffer: (b: UsedBuffer) => Program, refill: () => Program) => Program;
  // device (vhost / QEMU hw/virtio/virtio.c)
  /** The next available head, or undefined when the ring is empty. */
  readonly popAvail: (x: DeviceCtx) => Program<number | undefined>;
  /** Walks the chain of a head; returns its readable and writable bytes. */
  readonly readChain: (x: DeviceCtx, head: number) => Program<ChainBytes>;
  /** Consumes a chain: returns the bytes written into its writable part. */
  readonly serve: (x: DeviceCtx, head: number) => Program<number>;
  readonly pushUsed: (x: DeviceCtx, head: number, len: number) => Program;
  /** vhost_notify / virtio_split_should_notify: does the driver want an interrupt? */
  readonly shouldNotify: (x: DeviceCtx) => Program<boolean>;
  /** Reads the driver's suppression state and applies the rule. */
  readonly notifyNeeded: (x: DeviceCtx) => Program<boolean>;
  readonly disableKicks: (x: DeviceCtx) => Program;
  /** vhost_enable_notify: true when the ring is still empty after re-enabling (safe to sleep). */
  readonly enableKicks: (x: DeviceCtx) => Program<boolean>;
  /** The next value of a free-running ring index. */
  readonly nextIndex: (q: SplitRing, idx: number) => number;
}

export const reference: SplitProtocol = {
  addBuffer, writeChain, publishAvail, kickPrepare, kickNeeded, kick, getBuf, disableCb, enableCbPrepare, poll, enableCb, drainUsed,
  popAvail, readChain, serve, pushUsed, shouldNotify, notifyNeeded, disableKicks, enableKicks,
  nextIndex: (_q, idx) => (idx + 1) & 0xffff,
};
