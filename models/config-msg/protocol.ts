/**
 * The steps of config-msg that a variant may replace, each side's state, and the reference: the
 * strict configuration profile (transport feature VIRTIO_MSG_F_STRICT_CONFIG_GENERATION).
 */
import type { Params } from '../../harness/core/model.ts';
import type { Program } from '../../harness/core/ops.ts';
import type { Ring } from '../../harness/msg/channel.ts';
import type { EventConfig, SetConfig } from '../../harness/msg/types.ts';
import { acceptsWriteStrict, changeConfig, eventRingInOrder, rejectWrite, resetDevice as deviceReset } from './device.ts';
import { followEvents, onEventConfig, readConfig, resetDevice, setGenerationStrict, trackGeneration, writeConfig } from './driver.ts';
import type { Shared } from './layout.ts';

/** The driver's state: its copy of the config and what it knows about the device. */
export interface Driver {
  readonly proto: ConfigMsgProtocol;
  readonly mem: Shared;
  readonly params: Params;
  /** config_size from GET_DEVICE_INFO. */
  configSize: number;
  /** The driver's copy of the config, one entry per 32-bit word. */
  copy: number[];
  /** The generation the driver last learned (GET_CONFIG, SET_CONFIG responses, EVENT_CONFIG). */
  gen: number;
  /** The next request token (the model has no bus, so the driver side numbers its requests). */
  token: number;
  /** A generic EVENT_CONFIG (no data) arrived: re-read the config when the current request is done. */
  refetch: boolean;
  /** The driver gave up a read and marked the device failed: it sends nothing more. */
  failed: boolean;
}

/** A whole-config read: the words and the generation they are at, or 'failed' when the driver gave up. */
export type ReadResult = { readonly words: number[]; readonly gen: number } | 'failed';

/** One of the device's actors: its state is in shared memory (mem.dev), changed under the device lock. */
export interface Device {
  readonly proto: ConfigMsgProtocol;
  readonly mem: Shared;
  readonly params: Params;
}

export interface ConfigMsgProtocol {
  /** Driver: read the whole config in GET_CONFIG chunks; the words and the generation they are at. */
  readonly readConfig: (d: Driver) => Program<ReadResult>;
  /** Driver: the w-th write of config word 0 (a read-modify-write of what the driver saw there). */
  readonly writeConfig: (d: Driver, w: number) => Program;
  /** Driver: the generation a SET_CONFIG carries. */
  readonly setGeneration: (d: Driver) => Program<number>;
  /** Driver: record a generation the device reported. */
  readonly trackGeneration: (d: Driver, gen: number) => Program;
  /** Driver: handle an EVENT_CONFIG. */
  readonly onEventConfig: (d: Driver, ev: EventConfig) => Program;
  /** Driver: after its script, follow the device's changes for ever. */
  readonly followEvents: (d: Driver) => Program;
  /**
   * Driver: the bus's receive context, an actor of its own, when events are delivered there (as a
   * bus interrupt runs while the driver waits or works) rather than when the driver is idle.
   */
  readonly receiveContext?: (d: Driver) => Program;
  /** Driver: reset the device and come back to a known config. */
  readonly resetDevice: (d: Driver) => Program;
  /** Device: whether it applies a SET_CONFIG arriving at generation `gen` (the profile's rule). */
  readonly acceptsWrite: (req: SetConfig, gen: number) => boolean;
  /** Device: answer a SET_CONFIG it does not apply. */
  readonly rejectWrite: (v: Device, req: SetConfig, gen: number) => Program;
  /** Device: make a config change of its own and tell the driver. */
  readonly changeConfig: (v: Device, words: readonly number[]) => Program;
  /** Device: the ring its EVENT_CONFIGs travel on. */
  readonly eventRing: (v: Device) => Ring;
  /** Device: handle SET_DEVICE_STATUS(0). */
  readonly deviceReset: (v: Device, token: number) => Program;
}

export const reference: ConfigMsgProtocol = {
  readConfig,
  writeConfig,
  setGeneration: setGenerationStrict,
  trackGeneration,
  onEventConfig,
  followEvents,
  resetDevice,
  acceptsWrite: acceptsWriteStrict,
  rejectWrite,
  changeConfig,
  eventRing: eventRingInOrder,
  deviceReset,
};
