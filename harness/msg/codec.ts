/**
 * The virtio-msg wire codec: every transport and bus message of the latest stored draft (digest
 * section 5; wmamills/virtio-msg-spec transport-msg.tex at 009bce08), 8-byte common header,
 * little-endian fields, exact sizes.
 *
 * One table (SCHEMAS) describes each message's fields in wire order; `encode`, `decode` and
 * `describeMessage` all walk it, so a field cannot be encoded one way and decoded another.
 *
 * Decoding never throws anything but a MsgError, whose `kind` says what is wrong:
 *   short-header   fewer than the 8 header bytes
 *   truncated      fewer bytes than the header's msg_size
 *   bad-size       msg_size below 8 or above the bus maximum, bytes beyond msg_size, or a size that
 *                  disagrees with the message's own fields (a fixed-size message of another size,
 *                  trailing data longer than its length field says)
 *   short-payload  msg_size too small for the message's fixed fields or for the data its length
 *                  or count field announces
 *   reserved-bits  a reserved bit or reserved value is set (header type bits 2..7, SET_VQUEUE
 *                  reserved/flags, GET_VQUEUE flags 31:1, GET_SHM reserved, unused bitmap bits,
 *                  reserved EVENT_DEVICE states)
 *   unknown-id     a msg_id this draft does not define (including implementation-defined ids)
 *   bad-direction  an event id sent as a response
 *   bad-field      a field out of its range (bus message with dev_num != 0, GET_DEVICES
 *                  next_offset not beyond offset; on encode, a value too wide for its field)
 *
 * The draft tells receivers to ignore reserved header bits and tells a device to answer a
 * SET_VQUEUE with reserved bits as a no-op rather than drop it; `reserved: 'ignore'` decodes as
 * such a receiver does (header bits dropped, payload reserved fields kept in the value for the
 * receiver to act on). The default, 'reject', is the conformance view: a sender must zero them.
 */
import {
  HEADER_BYTES, ID_IMPL_DEFINED, TYPE_BUS, TYPE_RESPONSE, VQ_ENABLED, VQ_FLAGS_RESERVED, VQ_STATE, VQ_STATE_MASK, WIRE_MAX_MSG_SIZE,
  type Direction, type Message, type MessageKind,
} from './types.ts';

export type MsgErrorKind =
  | 'short-header' | 'truncated' | 'bad-size' | 'short-payload' | 'reserved-bits' | 'unknown-id' | 'bad-direction' | 'bad-field';

export const MSG_ERROR_KINDS: readonly MsgErrorKind[] = [
  'short-header', 'truncated', 'bad-size', 'short-payload', 'reserved-bits', 'unknown-id', 'bad-direction', 'bad-field',
];

/** Why bytes are not a valid message (decode), or a value cannot be encoded (encode). */
export class MsgError extends Error {
  override readonly name = 'MsgError';
  constructor(readonly kind: MsgErrorKind, message: string) {
    super(`${kind}: ${message}`);
  }
}

export interface CodecOptions {
  /** The bus's advertised maximum message size (52..65535); default 65535, the le16 limit. */
  readonly maxSize?: number;
  /** 'reject' (default): reserved bits set are an error. 'ignore': decode as a receiver must. */
  readonly reserved?: 'reject' | 'ignore';
}

// The table ----------------------------------------------------------------------------------------

export type Scalar = 'u8' | 'u16' | 'u32' | 'u64';
const WIDTH: Record<Scalar | 'uuid', number> = { u8: 1, u16: 2, u32: 4, u64: 8, uuid: 16 };

export interface FieldSpec {
  readonly name: string;
  readonly type: Scalar | 'uuid';
}

/**
 * A trailing array whose element count is the last fixed field on the wire (`count`, not stored in
 * the value): config bytes, 32-bit feature blocks, or a device bitmap (LSB first). `optional-bytes`
 * is EVENT_CONFIG's data: its count field is a real field (`length`) and the data is either absent
 * or exactly that long.
 */
export interface TailSpec {
  readonly name: string;
  readonly type: 'bytes' | 'u32s' | 'bits' | 'optional-bytes';
  readonly count: Scalar;
}

export interface Schema {
  readonly kind: MessageKind;
  readonly id: number;
  readonly direction: Direction;
  readonly bus: boolean;
  readonly fields: readonly FieldSpec[];
  readonly tail?: TailSpec;
  /** Checks beyond field widths: [error kind, explanation] when the value is not valid. */
  readonly check?: (m: Record<string, unknown>) => [MsgErrorKind, string] | undefined;
}

const f = (name: string, type: FieldSpec['type'] = 'u32'): FieldSpec => ({ name, type });
const configData: TailSpec = { name: 'data', type: 'bytes', count: 'u32' };
const featureBlocks: TailSpec = { name: 'features', type: 'u32s', count: 'u32' };
const vqAddrs = [f('descAddr', 'u64'), f('driverAddr', 'u64'), f('deviceAddr', 'u64')];

function transport(kind: MessageKind, id: number, direction: Direction, fields: FieldSpec[] = [], tail?: TailSpec, check?: Schema['check']): Schema {
  return { kind, id, direction, bus: false, fields, tail, check };
}
function bus(kind: MessageKind, id: number, direction: Direction, fields: FieldSpec[] = [], tail?: TailSpec, check?: Schema['check']): Schema {
  return { kind, id, direction, bus: true, fields, tail, check };
}

const reservedNonZero = (what: string, v: unknown): [MsgErrorKind, string] | undefined =>
  (v !== 0 ? ['reserved-bits', `${what} is ${hex(v as number)}; it is reserved and must be zero`] : undefined);

export const SCHEMAS: readonly Schema[] = [
  transport('GET_DEVICE_INFO', 0x02, 'request'),
  transport('GET_DEVICE_INFO_RESP', 0x02, 'response', [
    f('deviceId'), f('vendorId'), f('uuid', 'uuid'), f('numFeatureBlocks'), f('configSize'), f('maxVirtqueues'), f('adminVqStart'), f('adminVqCount'),
  ]),
  transport('GET_DEVICE_FEATURES', 0x03, 'request', [f('blockIndex'), f('numBlocks')]),
  transport('GET_DEVICE_FEATURES_RESP', 0x03, 'response', [f('blockIndex')], featureBlocks),
  transport('SET_DRIVER_FEATURES', 0x04, 'request', [f('blockIndex')], featureBlocks),
  transport('SET_DRIVER_FEATURES_RESP', 0x04, 'response'),
  transport('GET_CONFIG', 0x05, 'request', [f('offset'), f('length')]),
  transport('GET_CONFIG_RESP', 0x05, 'response', [f('generation'), f('offset')], configData),
  transport('SET_CONFIG', 0x06, 'request', [f('generation'), f('offset')], configData),
  transport('SET_CONFIG_RESP', 0x06, 'response', [f('generation'), f('offset')], configData),
  transport('GET_DEVICE_STATUS', 0x07, 'request'),
  transport('GET_DEVICE_STATUS_RESP', 0x07, 'response', [f('status')]),
  transport('SET_DEVICE_STATUS', 0x08, 'request', [f('status')]),
  transport('SET_DEVICE_STATUS_RESP', 0x08, 'response', [f('status')]),
  transport('GET_VQUEUE', 0x09, 'request', [f('index')]),
  transport('GET_VQUEUE_RESP', 0x09, 'response', [f('index'), f('maxSize'), f('curSize'), f('flags'), ...vqAddrs],
    undefined, (m) => reservedNonZero('flags bits 31:1', (m.flags as number) & ~VQ_ENABLED)),
  transport('SET_VQUEUE', 0x0a, 'request', [f('index'), f('flags'), f('size'), f('reserved'), ...vqAddrs], undefined, (m) => {
    const flags = m.flags as number;
    if ((flags & VQ_STATE_MASK) === VQ_STATE.RESERVED) return ['reserved-bits', 'flags bits 1:0 = 3, a reserved state operation'];
    return reservedNonZero('flags bits 31:6', (flags & VQ_FLAGS_RESERVED) >>> 0) ?? reservedNonZero('the reserved field', m.reserved);
  }),
  transport('SET_VQUEUE_RESP', 0x0a, 'response'),
  transport('RESET_VQUEUE', 0x0b, 'request', [f('index')]),
  transport('RESET_VQUEUE_RESP', 0x0b, 'response'),
  transport('GET_SHM', 0x0c, 'request', [f('shmid')]),
  transport('GET_SHM_RESP', 0x0c, 'response', [f('shmid'), f('reserved'), f('length', 'u64'), f('address', 'u64')],
    undefined, (m) => reservedNonZero('the reserved field', m.reserved)),
  transport('EVENT_CONFIG', 0x40, 'event', [f('deviceStatus'), f('generation'), f('offset')], { name: 'data', type: 'optional-bytes', count: 'u32' }),
  transport('EVENT_AVAIL', 0x41, 'event', [f('vqIndex'), f('nextOffset')]),
  transport('EVENT_USED', 0x42, 'event', [f('vqIndex')]),
  bus('BUS_GET_DEVICES', 0x02, 'request', [f('offset', 'u16'), f('count', 'u16')]),
  bus('BUS_GET_DEVICES_RESP', 0x02, 'response', [f('offset', 'u16'), f('nextOffset', 'u16')], { name: 'present', type: 'bits', count: 'u16' }, (m) => {
    const { offset, nextOffset } = m as { offset: number; nextOffset: number };
    return nextOffset !== 0 && nextOffset <= offset
      ? ['bad-field', `next_offset ${nextOffset} is neither 0 (done) nor beyond offset ${offset}`] : undefined;
  }),
  bus('BUS_PING', 0x03, 'request', [f('data')]),
  bus('BUS_PING_RESP', 0x03, 'response', [f('data')]),
  bus('BUS_EVENT_DEVICE', 0x40, 'event', [f('deviceNumber', 'u16'), f('state', 'u16')], undefined, (m) => {
    const s = m.state as number;
    return s >= 3 && s <= 0x7fff ? ['reserved-bits', `device_bus_state ${hex(s)} is reserved (defined: 1 ADDED, 2 REMOVED, 0x8000+ implementation-defined)`] : undefined;
  }),
];

const BY_KIND = new Map(SCHEMAS.map((s) => [s.kind, s]));
const BY_WIRE = new Map(SCHEMAS.map((s) => [wireKey(s.bus, s.id, s.direction === 'response'), s]));

function wireKey(isBus: boolean, id: number, response: boolean): number {
  return (isBus ? 0x200 : 0) | (response ? 0x100 : 0) | id;
}

export const MESSAGE_KINDS: readonly MessageKind[] = SCHEMAS.map((s) => s.kind);

export function schemaOf(kind: MessageKind): Schema {
  const s = BY_KIND.get(kind);
  if (!s) throw new MsgError('unknown-id', `no message kind ${String(kind)}`);
  return s;
}

export function directionOf(kind: MessageKind): Direction {
  return schemaOf(kind).direction;
}

/** The response kind that answers a request kind (undefined for events and responses). */
export function responseKindOf(kind: MessageKind): MessageKind | undefined {
  const s = schemaOf(kind);
  return s.direction === 'request' ? BY_WIRE.get(wireKey(s.bus, s.id, true))?.kind : undefined;
}

/** The request kind a response kind answers (undefined for events and requests). */
export function requestKindOf(kind: MessageKind): MessageKind | undefined {
  const s = schemaOf(kind);
  return s.direction === 'response' ? BY_WIRE.get(wireKey(s.bus, s.id, false))?.kind : undefined;
}

/** Whether `resp` answers `req`: the response of the same message, device and token. */
export function isResponseTo(resp: Message, req: Message): boolean {
  return resp.kind === responseKindOf(req.kind) && resp.devNum === req.devNum && resp.token === req.token;
}

// Sizes ----------------------------------------------------------------------------------------------

function fixedBytes(s: Schema): number {
  return s.fields.reduce((n, x) => n + WIDTH[x.type], 0) + (s.tail ? WIDTH[s.tail.count] : 0);
}

function tailElements(s: Schema, m: Record<string, unknown>): number {
  return s.tail ? (m[s.tail.name] as readonly unknown[]).length : 0;
}

function tailBytes(type: TailSpec['type'], n: number): number {
  return type === 'u32s' ? 4 * n : type === 'bits' ? Math.ceil(n / 8) : n;
}

/** Total bytes of a message on the wire (header included). */
export function messageSize(m: Message): number {
  const s = schemaOf(m.kind);
  const r = m as unknown as Record<string, unknown>;
  return HEADER_BYTES + fixedBytes(s) + (s.tail ? tailBytes(s.tail.type, tailElements(s, r)) : 0);
}

// Encode -----------------------------------------------------------------------------------------

const MAX: Record<Scalar, number> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, u64: 0 };
const U64_MAX = (1n << 64n) - 1n;

function checkScalar(kind: MessageKind, name: string, type: Scalar, v: unknown): void {
  if (type === 'u64') {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new MsgError('bad-field', `${kind}.${name} must be a bigint in 0..2^64-1, not ${String(v)}`);
  } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX[type]) {
    throw new MsgError('bad-field', `${kind}.${name} must be an integer in 0..${MAX[type]} (${type}), not ${String(v)}`);
  }
}

function checkArray(kind: MessageKind, name: string, v: unknown, element: Scalar | 'bool', length?: number): readonly unknown[] {
  if (!Array.isArray(v)) throw new MsgError('bad-field', `${kind}.${name} must be an array`);
  if (length !== undefined && v.length !== length) throw new MsgError('bad-field', `${kind}.${name} must have ${length} elements, not ${v.length}`);
  v.forEach((x, i) => {
    if (element === 'bool') {
      if (typeof x !== 'boolean') throw new MsgError('bad-field', `${kind}.${name}[${i}] must be a boolean`);
    } else checkScalar(kind, `${name}[${i}]`, element, x);
  });
  return v;
}

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  put(type: Scalar, v: number | bigint): void {
    switch (type) {
      case 'u8': this.view.setUint8(this.at, v as number); break;
      case 'u16': this.view.setUint16(this.at, v as number, true); break;
      case 'u32': this.view.setUint32(this.at, v as number, true); break;
      default: this.view.setBigUint64(this.at, v as bigint, true);
    }
    this.at += WIDTH[type];
  }
  putBytes(b: readonly number[]): void {
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
}

/** The message's bytes. Throws MsgError ('bad-field', 'bad-size') for a value that has no encoding. */
export function encode(m: Message, options: CodecOptions = {}): Uint8Array {
  const s = BY_KIND.get(m?.kind);
  if (!s) throw new MsgError('unknown-id', `cannot encode a message of kind ${String(m?.kind)}`);
  const r = m as unknown as Record<string, unknown>;
  checkScalar(s.kind, 'devNum', 'u16', r.devNum);
  checkScalar(s.kind, 'token', 'u16', r.token);
  if (s.bus && r.devNum !== 0) throw new MsgError('bad-field', `${s.kind} is a bus message: dev_num must be 0, not ${String(r.devNum)}`);
  for (const x of s.fields) {
    if (x.type === 'uuid') checkArray(s.kind, x.name, r[x.name], 'u8', 16);
    else checkScalar(s.kind, x.name, x.type, r[x.name]);
  }
  if (s.tail) {
    const element = s.tail.type === 'u32s' ? 'u32' : s.tail.type === 'bits' ? 'bool' : 'u8';
    const tail = checkArray(s.kind, s.tail.name, r[s.tail.name], element);
    if (s.tail.type !== 'optional-bytes' && tail.length > MAX[s.tail.count]) {
      throw new MsgError('bad-size', `${s.kind}.${s.tail.name} has ${tail.length} elements; its count field is a ${s.tail.count}`);
    }
    if (s.tail.type === 'optional-bytes') {
      checkScalar(s.kind, 'length', 'u32', r.length);
      if (tail.length !== 0 && tail.length !== r.length) {
        throw new MsgError('bad-field', `${s.kind} carries ${tail.length} data bytes for length ${String(r.length)}: data must be absent or exactly length bytes`);
      }
    }
  }
  const size = messageSize(m);
  const max = options.maxSize ?? WIRE_MAX_MSG_SIZE;
  if (size > max) throw new MsgError('bad-size', `${s.kind} needs ${size} bytes, more than the maximum message size ${max}`);
  const w = new Writer(size);
  w.put('u8', (s.direction === 'response' ? TYPE_RESPONSE : 0) | (s.bus ? TYPE_BUS : 0));
  w.put('u8', s.id);
  w.put('u16', r.devNum as number);
  w.put('u16', r.token as number);
  w.put('u16', size);
  for (const x of s.fields) {
    if (x.type === 'uuid') w.putBytes(r[x.name] as number[]);
    else w.put(x.type, r[x.name] as number | bigint);
  }
  if (s.tail) {
    const tail = r[s.tail.name] as readonly (number | boolean)[];
    w.put(s.tail.count, s.tail.type === 'optional-bytes' ? (r.length as number) : tail.length);
    if (s.tail.type === 'u32s') for (const x of tail) w.put('u32', x as number);
    else if (s.tail.type === 'bits') w.putBytes(packBits(tail as boolean[]));
    else w.putBytes(tail as number[]);
  }
  return w.bytes;
}

function packBits(bits: readonly boolean[]): number[] {
  const out = new Array<number>(Math.ceil(bits.length / 8)).fill(0);
  bits.forEach((b, i) => { if (b) out[i >> 3] |= 1 << (i & 7); });
  return out;
}

// Decode -----------------------------------------------------------------------------------------

export interface HeaderFields {
  readonly type: number;
  readonly msgId: number;
  readonly devNum: number;
  readonly token: number;
  readonly msgSize: number;
}

/** The header fields of the first 8 bytes, without judging them (for framing a byte stream). */
export function peekHeader(bytes: Uint8Array): HeaderFields {
  if (bytes.length < HEADER_BYTES) throw new MsgError('short-header', `${bytes.length} bytes; the common header alone is ${HEADER_BYTES}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: v.getUint8(0), msgId: v.getUint8(1), devNum: v.getUint16(2, true), token: v.getUint16(4, true), msgSize: v.getUint16(6, true) };
}

/** Decodes exactly one message; throws MsgError for anything else. */
export function decode(bytes: Uint8Array, options: CodecOptions = {}): Message {
  const h = peekHeader(bytes);
  const max = options.maxSize ?? WIRE_MAX_MSG_SIZE;
  const strict = (options.reserved ?? 'reject') === 'reject';
  if (h.msgSize < HEADER_BYTES) throw new MsgError('bad-size', `msg_size ${h.msgSize} is smaller than the ${HEADER_BYTES}-byte header it includes`);
  if (h.msgSize > max) throw new MsgError('bad-size', `msg_size ${h.msgSize} exceeds the maximum message size ${max}`);
  if (bytes.length < h.msgSize) throw new MsgError('truncated', `msg_size says ${h.msgSize} bytes but only ${bytes.length} arrived`);
  if (bytes.length > h.msgSize) throw new MsgError('bad-size', `msg_size says ${h.msgSize} bytes but ${bytes.length} arrived`);
  if (strict && (h.type & ~(TYPE_RESPONSE | TYPE_BUS)) !== 0) throw new MsgError('reserved-bits', `type ${hex(h.type)} has reserved bits 2..7 set`);
  const isBus = (h.type & TYPE_BUS) !== 0;
  const response = (h.type & TYPE_RESPONSE) !== 0;
  const space = isBus ? 'bus' : 'transport';
  if (h.msgId & ID_IMPL_DEFINED) throw new MsgError('unknown-id', `msg_id ${hex(h.msgId)} is implementation-defined (bit 7); this codec knows only the standard ${space} messages`);
  const s = BY_WIRE.get(wireKey(isBus, h.msgId, response));
  if (!s) {
    if (response && BY_WIRE.get(wireKey(isBus, h.msgId, false))?.direction === 'event') {
      throw new MsgError('bad-direction', `${space} msg_id ${hex(h.msgId)} is an event, sent with the response bit set: events are never responses`);
    }
    throw new MsgError('unknown-id', `${space} msg_id ${hex(h.msgId)} ${response ? 'response' : 'request'} is not defined by the draft`);
  }
  if (s.bus && h.devNum !== 0) throw new MsgError('bad-field', `${s.kind} is a bus message with dev_num ${h.devNum}; bus messages carry dev_num 0`);
  const payload = h.msgSize - HEADER_BYTES;
  const fixed = fixedBytes(s);
  if (payload < fixed) throw new MsgError('short-payload', `${s.kind} has ${payload} payload bytes; its fixed fields need ${fixed}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset + HEADER_BYTES, payload);
  let at = 0;
  const get = (type: Scalar): number | bigint => {
    const x = type === 'u8' ? v.getUint8(at) : type === 'u16' ? v.getUint16(at, true) : type === 'u32' ? v.getUint32(at, true) : v.getBigUint64(at, true);
    at += WIDTH[type];
    return x;
  };
  const getBytes = (n: number): number[] => {
    const out = Array.from(bytes.subarray(HEADER_BYTES + at, HEADER_BYTES + at + n));
    at += n;
    return out;
  };
  const out: Record<string, unknown> = { kind: s.kind, devNum: h.devNum, token: h.token };
  for (const x of s.fields) out[x.name] = x.type === 'uuid' ? getBytes(16) : get(x.type);
  if (s.tail) {
    const count = get(s.tail.count) as number;
    const rest = payload - at;
    const announced = tailBytes(s.tail.type, count);
    if (s.tail.type === 'optional-bytes') {
      out.length = count;
      if (rest !== 0 && rest !== count) {
        throw new MsgError(rest < count ? 'short-payload' : 'bad-size', `${s.kind} length is ${count} but ${rest} data bytes follow: data must be absent or exactly length bytes`);
      }
      out[s.tail.name] = getBytes(rest);
    } else {
      if (rest < announced) throw new MsgError('short-payload', `${s.kind} announces ${count} ${s.tail.name === 'data' ? 'bytes' : 'elements'} (${announced} bytes) but only ${rest} follow`);
      if (rest > announced) throw new MsgError('bad-size', `${s.kind} announces ${count} ${s.tail.name === 'data' ? 'bytes' : 'elements'} (${announced} bytes) but ${rest} follow`);
      if (s.tail.type === 'u32s') out[s.tail.name] = Array.from({ length: count }, () => get('u32'));
      else if (s.tail.type === 'bits') {
        const packed = getBytes(announced);
        if (strict && count % 8 !== 0 && packed[packed.length - 1] >> (count % 8) !== 0) {
          throw new MsgError('reserved-bits', `${s.kind} bitmap has bits set beyond count ${count}`);
        }
        out[s.tail.name] = Array.from({ length: count }, (_, i) => ((packed[i >> 3] >> (i & 7)) & 1) === 1);
      } else out[s.tail.name] = getBytes(count);
    }
  } else if (payload > fixed) {
    throw new MsgError('bad-size', `${s.kind} is ${HEADER_BYTES + fixed} bytes, but msg_size is ${h.msgSize}`);
  }
  const problem = s.check?.(out);
  if (problem && (strict || problem[0] !== 'reserved-bits')) throw new MsgError(problem[0], `${s.kind}: ${problem[1]}`);
  return out as unknown as Message;
}

export type DecodeResult = { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly error: MsgError };

/** decode without throwing. */
export function tryDecode(bytes: Uint8Array, options: CodecOptions = {}): DecodeResult {
  try {
    return { ok: true, message: decode(bytes, options) };
  } catch (e) {
    if (e instanceof MsgError) return { ok: false, error: e };
    throw e;
  }
}

/**
 * Splits a byte stream into messages by their msg_size (as an external process speaks the wire
 * format on stdin/stdout). Returns the messages' byte ranges and the unconsumed rest.
 */
export function frames(stream: Uint8Array): { readonly frames: Uint8Array[]; readonly rest: Uint8Array } {
  const out: Uint8Array[] = [];
  let at = 0;
  while (stream.length - at >= HEADER_BYTES) {
    const size = peekHeader(stream.subarray(at)).msgSize;
    if (size < HEADER_BYTES) throw new MsgError('bad-size', `msg_size ${size} at stream offset ${at} cannot frame a message`);
    if (stream.length - at < size) break;
    out.push(stream.subarray(at, at + size));
    at += size;
  }
  return { frames: out, rest: stream.subarray(at) };
}

// Words (messages in u32 slots of shared memory) --------------------------------------------------

/** The bytes as little-endian 32-bit words, the last one zero-padded. */
export function toWords(bytes: Uint8Array): number[] {
  const words = new Array<number>(Math.ceil(bytes.length / 4)).fill(0);
  bytes.forEach((b, i) => { words[i >> 2] = (words[i >> 2] | (b << (8 * (i & 3)))) >>> 0; });
  return words;
}

/** The first `size` bytes of little-endian words. */
export function fromWords(words: readonly number[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = ((words[i >> 2] ?? 0) >>> (8 * (i & 3))) & 0xff;
  return out;
}

/** Config data as the little-endian words a model keeps (data.length a multiple of 4). */
export function bytesToWords(data: readonly number[]): number[] {
  return toWords(Uint8Array.from(data));
}

export function wordsToBytes(words: readonly number[]): number[] {
  return Array.from(fromWords(words, 4 * words.length));
}

// Rendering --------------------------------------------------------------------------------------

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function renderBytes(data: readonly number[]): string {
  // Config data in these models is made of 32-bit words: show it as the words a layout would.
  if (data.length > 0 && data.length % 4 === 0) return `[${bytesToWords(data).map(hex).join(' ')}]`;
  return `[${data.map((b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
}

function renderUuid(b: readonly number[]): string {
  if (b.every((x) => x === 0)) return 'nil';
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * One line a person reads in a trace: kind, token, then the fields, with length and count fields
 * shown (they are on the wire) and data as words.
 * `GET_CONFIG_RESP #3 generation=2 offset=0 length=8 data=[0x10001 0x10002]`; an event's token 0 is
 * left out.
 */
export function describeMessage(m: Message): string {
  const s = schemaOf(m.kind);
  const r = m as unknown as Record<string, unknown>;
  const token = s.direction === 'event' && m.token === 0 ? '' : ` #${m.token}`;
  const parts = [`${m.kind}${m.devNum !== 0 ? ` dev ${m.devNum}` : ''}${token}`];
  for (const x of s.fields) {
    const v = r[x.name];
    const bits = /flags|status/i.test(x.name); // bit fields read best in hex
    parts.push(`${x.name}=${x.type === 'uuid' ? renderUuid(v as number[]) : typeof v === 'bigint' || bits || (v as number) > 0xffff ? hex(v as number | bigint) : String(v)}`);
  }
  if (s.tail) {
    const tail = r[s.tail.name] as readonly unknown[];
    if (s.tail.type === 'optional-bytes') parts.push(`length=${String(r.length)}`, tail.length ? `data=${renderBytes(tail as number[])}` : '(no data)');
    else if (s.tail.type === 'bytes') parts.push(`length=${tail.length}`, ...(tail.length ? [`data=${renderBytes(tail as number[])}`] : []));
    else if (s.tail.type === 'u32s') parts.push(`numBlocks=${tail.length}`, `features=[${(tail as number[]).map(hex).join(' ')}]`);
    else parts.push(`count=${tail.length}`, `present=[${(tail as boolean[]).flatMap((b, i) => (b ? [String((r.offset as number) + i)] : [])).join(' ')}]`);
  }
  return parts.join(' ');
}
