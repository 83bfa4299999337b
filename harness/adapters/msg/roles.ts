/**
 * The message schemes' third-party interfaces as TypeScript types, for implementations written in
 * TypeScript (docs/third-party.md, "Message schemes"): `export function createDevice(o:
 * DeviceOptions): TransportMsgDevice`. validate checks every value at run time as well, so
 * JavaScript implementations need none of this.
 */
import type { Body, Message, MessageOf } from '../../msg/types.ts';
import type { DeviceOptions } from '../../../models/transport-msg/reference/device.ts';

export type { Body, DeviceOptions, Message, MessageOf };

/** A transport-msg device's output: a message to the driver, or a queue to look at. */
export type TransportDeviceOutput = Message | { readonly process: number; readonly nextOffset?: number };

export interface QueueRegisters {
  readonly enabled: boolean;
  readonly size: number;
  readonly descAddr: bigint;
  readonly driverAddr: bigint;
  readonly deviceAddr: bigint;
}

export interface TransportMsgDevice {
  receive(message: Message): readonly TransportDeviceOutput[];
  used(index: number): readonly TransportDeviceOutput[];
  tick?(): readonly TransportDeviceOutput[];
  state(): {
    readonly status: number;
    readonly driverFeatures: Iterable<number>;
    readonly queues: readonly QueueRegisters[];
    readonly resetting?: boolean;
  };
}

/** An operation: yields request bodies (no devNum, no token), resumed with each response. */
export type Operation<T = void> = Generator<Body, T, Message>;

export interface TransportMsgDriverOptions {
  readonly devNum: number;
  readonly wanted: readonly number[];
  readonly dependencies: Readonly<Record<number, readonly number[]>>;
  readonly maxMessageSize: number;
}

export interface QueueSetup extends Omit<QueueRegisters, 'enabled'> {
  readonly index: number;
  readonly enable: boolean;
}

export interface TransportMsgDriver {
  init(queues: readonly QueueSetup[]): Operation<unknown>;
  ready(): Operation<unknown>;
  enableQueue(index: number): Operation<unknown>;
  resetQueue(index: number): Operation<unknown>;
  notify(index: number, nextOffset: number): Body<MessageOf<'EVENT_AVAIL'>> | undefined;
  event(message: Message): void;
}

export interface ConfigMsgDriverOptions {
  readonly devNum: number;
  readonly profile: 'strict';
  readonly chunkBytes: number;
  readonly maxMessageSize: number;
}

export interface ConfigMsgDriver {
  init?(): Operation<unknown>;
  readConfig(): Operation<readonly number[]>;
  writeConfig(offset: number, length: number, update: (current: readonly number[]) => readonly number[]): Operation<unknown>;
  reset(): Operation<unknown>;
  event(message: Message): boolean | void;
  config(): readonly number[];
}
