/**
 * virtio-msg messages as values: one interface per message kind of the latest stored draft
 * (wmamills/virtio-msg-spec transport-msg.tex, commit 009bce08; digest section 5).
 *
 * Requests and responses are separate kinds (`GET_CONFIG` and `GET_CONFIG_RESP`), so one
 * discriminant (`kind`) says what a message is. Length and count fields that only repeat the size
 * of a trailing array are not stored: `data.length` is the wire `length`, `features.length` the
 * wire `num_blocks`, `present.length` the bitmap `count`. That makes every value canonical, so
 * decode(encode(m)) equals m and encode(decode(b)) equals b. EVENT_CONFIG keeps its `length`
 * because its data is optional: an event may name a range without carrying it.
 *
 * Numbers are unsigned integers of the field's width; le64 fields are bigints. Config data and the
 * UUID are arrays of bytes (0..255).
 */

export interface Header {
  /** le16 dev_num: the device the message is for (or from); 0 for bus messages. */
  readonly devNum: number;
  /** le16 token: bus-owned correlation id, opaque to drivers and devices; copied into responses. */
  readonly token: number;
}

// Transport messages ------------------------------------------------------------------------------

export interface GetDeviceInfo extends Header { readonly kind: 'GET_DEVICE_INFO' }
export interface GetDeviceInfoResp extends Header {
  readonly kind: 'GET_DEVICE_INFO_RESP';
  readonly deviceId: number;
  readonly vendorId: number;
  /** 16 bytes; all zero is the nil UUID (no UUID provided). */
  readonly uuid: readonly number[];
  readonly numFeatureBlocks: number;
  readonly configSize: number;
  readonly maxVirtqueues: number;
  readonly adminVqStart: number;
  readonly adminVqCount: number;
}
export interface GetDeviceFeatures extends Header { readonly kind: 'GET_DEVICE_FEATURES'; readonly blockIndex: number; readonly numBlocks: number }
export interface GetDeviceFeaturesResp extends Header { readonly kind: 'GET_DEVICE_FEATURES_RESP'; readonly blockIndex: number; readonly features: readonly number[] }
export interface SetDriverFeatures extends Header { readonly kind: 'SET_DRIVER_FEATURES'; readonly blockIndex: number; readonly features: readonly number[] }
export interface SetDriverFeaturesResp extends Header { readonly kind: 'SET_DRIVER_FEATURES_RESP' }
export interface GetConfig extends Header { readonly kind: 'GET_CONFIG'; readonly offset: number; readonly length: number }
export interface GetConfigResp extends Header { readonly kind: 'GET_CONFIG_RESP'; readonly generation: number; readonly offset: number; readonly data: readonly number[] }
/** `generation` is the driver's view in the strict profile and 0 in the baseline profile. */
export interface SetConfig extends Header { readonly kind: 'SET_CONFIG'; readonly generation: number; readonly offset: number; readonly data: readonly number[] }
/** Applied: `data` echoes the request's bytes. Not applied: `data` is empty (wire length 0). */
export interface SetConfigResp extends Header { readonly kind: 'SET_CONFIG_RESP'; readonly generation: number; readonly offset: number; readonly data: readonly number[] }
export interface GetDeviceStatus extends Header { readonly kind: 'GET_DEVICE_STATUS' }
export interface GetDeviceStatusResp extends Header { readonly kind: 'GET_DEVICE_STATUS_RESP'; readonly status: number }
export interface SetDeviceStatus extends Header { readonly kind: 'SET_DEVICE_STATUS'; readonly status: number }
export interface SetDeviceStatusResp extends Header { readonly kind: 'SET_DEVICE_STATUS_RESP'; readonly status: number }
export interface GetVqueue extends Header { readonly kind: 'GET_VQUEUE'; readonly index: number }
export interface GetVqueueResp extends Header {
  readonly kind: 'GET_VQUEUE_RESP';
  readonly index: number;
  readonly maxSize: number;
  readonly curSize: number;
  /** bit 0: enabled; bits 31:1 reserved. */
  readonly flags: number;
  readonly descAddr: bigint;
  readonly driverAddr: bigint;
  readonly deviceAddr: bigint;
}
export interface SetVqueue extends Header {
  readonly kind: 'SET_VQUEUE';
  readonly index: number;
  /** bits 1:0 state operation (VQ_STATE), bits 2..5 ignore size/desc/driver/device, 31:6 reserved. */
  readonly flags: number;
  readonly size: number;
  /** Must be zero; a device does nothing for a request where it is not (but still responds). */
  readonly reserved: number;
  readonly descAddr: bigint;
  readonly driverAddr: bigint;
  readonly deviceAddr: bigint;
}
export interface SetVqueueResp extends Header { readonly kind: 'SET_VQUEUE_RESP' }
export interface ResetVqueue extends Header { readonly kind: 'RESET_VQUEUE'; readonly index: number }
export interface ResetVqueueResp extends Header { readonly kind: 'RESET_VQUEUE_RESP' }
export interface GetShm extends Header { readonly kind: 'GET_SHM'; readonly shmid: number }
export interface GetShmResp extends Header { readonly kind: 'GET_SHM_RESP'; readonly shmid: number; readonly reserved: number; readonly length: bigint; readonly address: bigint }
/** `data` is empty (range named, refetch with GET_CONFIG) or exactly `length` bytes. */
export interface EventConfig extends Header {
  readonly kind: 'EVENT_CONFIG';
  readonly deviceStatus: number;
  readonly generation: number;
  readonly offset: number;
  readonly length: number;
  readonly data: readonly number[];
}
/** `nextOffset`: bits 30:0 next_off, bit 31 next_wrap with VIRTIO_F_NOTIFICATION_DATA, else 0. */
export interface EventAvail extends Header { readonly kind: 'EVENT_AVAIL'; readonly vqIndex: number; readonly nextOffset: number }
export interface EventUsed extends Header { readonly kind: 'EVENT_USED'; readonly vqIndex: number }

// Bus messages (type bit 1, dev_num 0) ------------------------------------------------------------

export interface BusGetDevices extends Header { readonly kind: 'BUS_GET_DEVICES'; readonly offset: number; readonly count: number }
/** `present[i]`: device number offset+i exists (the LSB-first bitmap, count = present.length). */
export interface BusGetDevicesResp extends Header { readonly kind: 'BUS_GET_DEVICES_RESP'; readonly offset: number; readonly nextOffset: number; readonly present: readonly boolean[] }
export interface BusPing extends Header { readonly kind: 'BUS_PING'; readonly data: number }
export interface BusPingResp extends Header { readonly kind: 'BUS_PING_RESP'; readonly data: number }
/** `state`: 1 ADDED, 2 REMOVED, 0x8000..0xffff implementation-defined (3..0x7fff reserved). */
export interface BusEventDevice extends Header { readonly kind: 'BUS_EVENT_DEVICE'; readonly deviceNumber: number; readonly state: number }

export type Message =
  | GetDeviceInfo | GetDeviceInfoResp | GetDeviceFeatures | GetDeviceFeaturesResp | SetDriverFeatures | SetDriverFeaturesResp
  | GetConfig | GetConfigResp | SetConfig | SetConfigResp | GetDeviceStatus | GetDeviceStatusResp | SetDeviceStatus | SetDeviceStatusResp
  | GetVqueue | GetVqueueResp | SetVqueue | SetVqueueResp | ResetVqueue | ResetVqueueResp | GetShm | GetShmResp
  | EventConfig | EventAvail | EventUsed
  | BusGetDevices | BusGetDevicesResp | BusPing | BusPingResp | BusEventDevice;

export type MessageKind = Message['kind'];
export type MessageOf<K extends MessageKind> = Extract<Message, { kind: K }>;
/** A message before the header is filled in (what a sender builds; the channel adds devNum/token). */
export type Body<M extends Message = Message> = M extends Message ? Omit<M, 'devNum' | 'token'> : never;

/** What a message is on the wire: request, response or one-way event. */
export type Direction = 'request' | 'response' | 'event';

// Constants ---------------------------------------------------------------------------------------

/** The 8-byte common header. */
export const HEADER_BYTES = 8;
/** Revision 1: a bus advertises a maximum message size of at least 52 bytes... */
export const MIN_MAX_MSG_SIZE = 52;
/** ...and SHOULD NOT advertise more than 264 (256-byte payload plus the header). */
export const RECOMMENDED_MAX_MSG_SIZE = 264;
/** msg_size is a le16. */
export const WIRE_MAX_MSG_SIZE = 0xffff;

/** header.type bits. */
export const TYPE_RESPONSE = 1 << 0;
export const TYPE_BUS = 1 << 1;
/** header.msg_id bits. */
export const ID_EVENT = 1 << 6;
export const ID_IMPL_DEFINED = 1 << 7;

/** Device status bits (virtio core, digest section 4). */
export const STATUS = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  SUSPEND: 16,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

/** SET_VQUEUE flags. */
export const VQ_STATE = { KEEP_DISABLED: 0, ENABLE: 1, KEEP: 2, RESERVED: 3 } as const;
export const VQ_STATE_MASK = 0x3;
export const VQ_IGNORE_SIZE = 1 << 2;
export const VQ_IGNORE_DESC = 1 << 3;
export const VQ_IGNORE_DRIVER = 1 << 4;
export const VQ_IGNORE_DEVICE = 1 << 5;
/** SET_VQUEUE flags bits 31:6 are reserved. */
export const VQ_FLAGS_RESERVED = ~0x3f >>> 0;
/** GET_VQUEUE_RESP flags bit 0. */
export const VQ_ENABLED = 1;

/** BUS_EVENT_DEVICE states. */
export const DEVICE_BUS_STATE = { ADDED: 1, REMOVED: 2 } as const;

/** Transport feature bit 0 (bus-level, not a device feature): strict configuration profile. */
export const VIRTIO_MSG_F_STRICT_CONFIG_GENERATION = 0;
