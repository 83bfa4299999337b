/**
 * What the transport targets share: the device and driver configuration of the transport-msg model
 * (models/transport-msg/layout.ts: a virtio-net-like device offering CTRL_RX without CTRL_VQ,
 * VERSION_1, NOTIFICATION_DATA and RING_RESET), and the seeded mutants, taken from the model's own
 * variants (models/transport-msg/variants.ts), each a subclass of the reference overriding one rule.
 */
import { variants as transportVariants } from '../../../models/transport-msg/variants.ts';
import { VirtioMsgDevice, type DeviceOptions } from '../../../models/transport-msg/reference/device.ts';
import { VirtioMsgDriver, type DriverOptions } from '../../../models/transport-msg/reference/driver.ts';
import { F } from '../../../models/transport-msg/reference/features.ts';
import { RECOMMENDED_MAX_MSG_SIZE } from '../../msg/types.ts';
import type { TargetVariant } from '../target.ts';

export const NET_F_CTRL_VQ = 17;
export const NET_F_CTRL_RX = 18;
export const MAX_MSG = RECOMMENDED_MAX_MSG_SIZE;
export const QUEUES = 2;
export const QUEUE_MAX = 8;
export const CONFIG = [0x52, 0x54, 0x00, 0x01, 0x00, 0x00, 0x05, 0xdc];

export function deviceOptions(over: Partial<DeviceOptions> = {}): DeviceOptions {
  return {
    deviceId: 1, offered: [NET_F_CTRL_RX, F.VERSION_1, F.NOTIFICATION_DATA, F.RING_RESET], required: [F.VERSION_1],
    dependencies: { [NET_F_CTRL_RX]: [NET_F_CTRL_VQ] }, config: CONFIG, maxVirtqueues: QUEUES, queueMaxSize: QUEUE_MAX,
    profile: 'strict', resetCompletion: 'async', initialStatus: 0, maxMessageSize: MAX_MSG, ...over,
  };
}

export function driverOptions(over: Partial<DriverOptions> = {}): DriverOptions {
  return { wanted: [NET_F_CTRL_VQ, NET_F_CTRL_RX, F.VERSION_1, F.RING_RESET], dependencies: { [NET_F_CTRL_RX]: [NET_F_CTRL_VQ] }, chunkBytes: 4, maxMessageSize: MAX_MSG, ...over };
}

/** The oracle each transport-msg mutant is expected to trip in the fuzzer (model invariant names where they match). */
const FUZZ_ORACLE: Record<string, string> = {
  'no-enable-kick': 'no-lost-notification',
  'signed-queue-index': 'no-exception',
  'wrong-phase-writes': 'status-sequence',
  'offered-not-negotiated': 'features-honoured',
  'features-ok-twice': 'queue-state-rules',
  'notify-deleted-queue': 'no-io-when-not-live',
  'token-not-copied': 'one-response-per-request',
  'vqueue-flags-echo': 'well-formed-messages',
  'reset-not-awaited': 'reset-completes',
  'no-feature-deps': 'features-negotiated',
};

function describe(v: (typeof transportVariants)[number]): TargetVariant {
  return { name: v.name, description: v.description, expect: FUZZ_ORACLE[v.name], recreates: v.recreates };
}

export const DEVICE_VARIANTS: readonly (TargetVariant & { readonly make: (o: DeviceOptions) => VirtioMsgDevice })[] = transportVariants
  .filter((v) => v.name === 'reference' || v.override?.makeDevice)
  .map((v) => ({ ...describe(v), make: v.override?.makeDevice ?? ((o: DeviceOptions) => new VirtioMsgDevice(o)) }));

export const DRIVER_VARIANTS: readonly (TargetVariant & { readonly make: (o: DriverOptions) => VirtioMsgDriver })[] = transportVariants
  .filter((v) => v.name === 'reference' || v.override?.makeDriver)
  .map((v) => ({ ...describe(v), make: v.override?.makeDriver ?? ((o: DriverOptions) => new VirtioMsgDriver(o)) }));

export function pick<V extends TargetVariant>(list: readonly V[], name: string, target: string): V {
  const v = list.find((x) => x.name === name);
  if (!v) throw new RangeError(`${target} has no variant ${name} (variants: ${list.map((x) => x.name).join(', ')})`);
  return v;
}
