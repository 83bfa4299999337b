/**
 * transport-msg: the virtio-msg transport between a driver and one device. Shared memory holds the
 * message rings and, for each virtqueue, the two indices the device and the driver exchange
 * buffers by (the rest of a split ring is vring-split's business):
 *   d2v                    driver -> device: requests and EVENT_AVAIL   doorbell `doorbell`
 *   v2d                    device -> driver: responses and events      doorbell `irq`
 *   vq[i].avail_idx        driver: buffers made available so far (le16)
 *   vq[i].used_idx         device: buffers used so far (le16)
 * Each side's transport state lives in its reference object (VirtioMsgDriver, VirtioMsgDevice);
 * ghost notes tell the oracles what the device's state is after each step.
 */
import { refs } from '../../harness/core/define-model.ts';
import { defineLayout, type Field, type Layout } from '../../harness/core/layout.ts';
import type { Params } from '../../harness/core/model.ts';
import { declareRing, ringIn, type MsgNotes, type Ring } from '../../harness/msg/channel.ts';
import { busMaxMessageSize } from '../../harness/msg/limit.ts';
import { STATUS } from '../../harness/msg/types.ts';
import { F, type Dependencies } from './reference/features.ts';

export const EVENTS = refs('doorbell', 'irq', 'd2v-space', 'v2d-space');

export const NOTES = refs(
  'send', 'recv', 'drop',  // channel
  'dev-status',            // device: its status register is now [status]
  'dev-features',          // device: the driver-selected features it holds are now [block 0, block 1]
  'negotiated',            // device: features latched at FEATURES_OK [block 0, block 1], or [] when forgotten
  'vq-state',              // device: queue [index, enabled, size, desc, driver, device (low 32 bits)]
  'reset-begin',           // device: a reset started and is not complete
  'reset-done',            // device: the reset completed
  'used',                  // device: it used the buffers of queue [index] from [used_idx] up to [new used_idx]
  'avail',                 // driver: buffers of queue [index] are available up to [avail_idx]
);

export const MSG_NOTES: MsgNotes = { sent: NOTES.send, received: NOTES.recv, dropped: NOTES.drop };
export const RING_NAMES = ['d2v', 'v2d'] as const;

/**
 * The bus's maximum message size: the `maxMessageSize` parameter (52..264, default 264). Every
 * message of this model's scenario fits the draft's minimum of 52; the limit decides what the
 * rings carry, what the codec accepts and what the device and driver build.
 */
export const maxMessageSize = busMaxMessageSize;

export interface VqFields {
  readonly avail: Field;
  readonly used: Field;
}

export interface Shared {
  readonly layout: Layout;
  readonly d2v: Ring;
  readonly v2d: Ring;
  readonly vq: readonly VqFields[];
}

export function shared(params: Params): Shared {
  const max = maxMessageSize(params);
  const specs = [
    { name: 'd2v', slots: params.slots, maxMsgBytes: max, doorbell: EVENTS.doorbell, space: EVENTS['d2v-space'] },
    { name: 'v2d', slots: params.slots, maxMsgBytes: max, doorbell: EVENTS.irq, space: EVENTS['v2d-space'] },
  ];
  const layout = defineLayout((b) => {
    b.array('vq', params.queues, (q) => q.u16('avail_idx').u16('used_idx'));
    for (const s of specs) declareRing(b, s.name, s.slots, s.maxMsgBytes);
  });
  const [d2v, v2d] = specs.map((s, i) => ringIn(layout, s, i));
  const vq = Array.from({ length: params.queues }, (_, i) => ({ avail: layout.field(`vq[${i}].avail_idx`), used: layout.field(`vq[${i}].used_idx`) }));
  return { layout, d2v, v2d, vq };
}

// The device type's rules (a virtio-net-like device) -------------------------------------------------

export const NET_F_CTRL_VQ = 17;
export const NET_F_CTRL_RX = 18;
/** virtio-net: CTRL_RX requires CTRL_VQ. */
export const DEPENDENCIES: Dependencies = { [NET_F_CTRL_RX]: [NET_F_CTRL_VQ] };
/**
 * The device offers CTRL_RX without CTRL_VQ (the device of bug zoo B30), RING_RESET, and
 * NOTIFICATION_DATA, which the driver does not want.
 */
export const OFFERED = [NET_F_CTRL_RX, F.VERSION_1, F.NOTIFICATION_DATA, F.RING_RESET];
export const REQUIRED = [F.VERSION_1];
export const WANTED = [NET_F_CTRL_VQ, NET_F_CTRL_RX, F.VERSION_1, F.RING_RESET];
/** A bootloader left the device running: the driver's first reset must wait for it. */
export const INITIAL_STATUS = STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK;
export const CONFIG = [0x52, 0x54, 0x00, 0x01]; // 4 config bytes (a MAC-like value)

/** Every queue's maximum size, and the size the driver sets up. */
export const QUEUE_MAX = 8;
export const QUEUE_SIZE = 4;

/** The made-up bus addresses of queue i's areas (the device keeps them; this model's rings are the vq fields). */
export function queueAddrs(i: number): { descAddr: bigint; driverAddr: bigint; deviceAddr: bigint } {
  const base = BigInt(0x10000 * (i + 1));
  return { descAddr: base, driverAddr: base + 0x1000n, deviceAddr: base + 0x2000n };
}
