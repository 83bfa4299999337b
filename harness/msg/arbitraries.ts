/**
 * fast-check arbitraries for virtio-msg messages: valid messages of every kind, their bytes, and
 * near-valid bytes (a valid encoding with one defect) together with the error the codec must give.
 * For the codec's own property tests, for the fuzzer's seeds and mutators, and for users' property
 * tests of their own drivers and devices:
 *
 *   fc.assert(fc.property(arbMessage({ kinds: ['GET_CONFIG', 'SET_CONFIG'] }), (m) => ...));
 *   fc.assert(fc.property(arbMalformed(), ({ bytes, expect }) => myDecoder(bytes) fails with expect));
 *
 * Sizes are bounded by `maxSize` (default 264, the draft's recommended bus maximum), so a trailing
 * array never makes a message larger than a bus would carry.
 */
import fc from 'fast-check';
import { encode, MESSAGE_KINDS, messageSize, schemaOf, SCHEMAS, type FieldSpec, type MsgErrorKind, type Schema } from './codec.ts';
import {
  HEADER_BYTES, ID_EVENT, ID_IMPL_DEFINED, RECOMMENDED_MAX_MSG_SIZE, TYPE_BUS, TYPE_RESPONSE,
  type Message, type MessageKind, type MessageOf,
} from './types.ts';

export interface ArbOptions {
  /** Largest message generated, header included (default 264). */
  readonly maxSize?: number;
  /** Kinds to generate (default: all). */
  readonly kinds?: readonly MessageKind[];
}

const U64_MAX = (1n << 64n) - 1n;
const byte = fc.nat(0xff);

/** Values that often matter to implementations: 0, 1, small, powers of two, the maximum. */
function uint(max: number): fc.Arbitrary<number> {
  return fc.oneof({ weight: 3, arbitrary: fc.nat(max) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, Math.min(2, max), max, Math.floor(max / 2) + 1) });
}

function scalar(x: FieldSpec): fc.Arbitrary<unknown> {
  switch (x.type) {
    case 'u8': return uint(0xff);
    case 'u16': return uint(0xffff);
    case 'u32': return uint(0xffffffff);
    case 'u64': return fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(0n, 0x1000n, U64_MAX));
    default: return fc.array(byte, { minLength: 16, maxLength: 16 });
  }
}

/** Fields whose valid values are narrower than their width (reserved bits and values). */
const VALID_FIELD: Partial<Record<MessageKind, Record<string, fc.Arbitrary<unknown>>>> = {
  GET_VQUEUE_RESP: { flags: fc.constantFrom(0, 1) },
  SET_VQUEUE: { flags: fc.tuple(fc.constantFrom(0, 1, 2), fc.nat(0xf)).map(([op, ignore]) => op | (ignore << 2)), reserved: fc.constant(0) },
  GET_SHM_RESP: { reserved: fc.constant(0) },
  BUS_EVENT_DEVICE: { state: fc.oneof(fc.constantFrom(1, 2), fc.integer({ min: 0x8000, max: 0xffff })) },
};

/** Valid messages of one kind. */
export function arbMessageOf<K extends MessageKind>(kind: K, options: ArbOptions = {}): fc.Arbitrary<MessageOf<K>> {
  const s = schemaOf(kind);
  const maxSize = options.maxSize ?? RECOMMENDED_MAX_MSG_SIZE;
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    devNum: s.bus ? fc.constant(0) : uint(0xffff),
    token: uint(0xffff),
  };
  for (const x of s.fields) fields[x.name] = VALID_FIELD[kind]?.[x.name] ?? scalar(x);
  const base = fc.record(fields);
  const room = maxSize - HEADER_BYTES - fixedPayload(s);
  let arb: fc.Arbitrary<Record<string, unknown>>;
  if (!s.tail) arb = base;
  else if (s.tail.type === 'u32s') arb = fc.tuple(base, fc.array(uint(0xffffffff), { maxLength: Math.floor(room / 4) })).map(([b, t]) => ({ ...b, features: t }));
  else if (s.tail.type === 'bits') {
    arb = fc.tuple(base, fc.array(fc.boolean(), { maxLength: Math.min(0xffff, 8 * room) }))
      .map(([b, t]) => ({ ...b, present: t, nextOffset: validNextOffset(b.offset as number, b.nextOffset as number) }));
  } else if (s.tail.type === 'optional-bytes') {
    // An event carries its range's data or none; a range without data may be longer than a message.
    arb = fc.tuple(base, fc.array(byte, { maxLength: room }), fc.boolean(), uint(0xffffffff))
      .map(([b, data, withData, length]) => (withData ? { ...b, length: data.length, data } : { ...b, length, data: [] }));
  } else arb = fc.tuple(base, fc.array(byte, { maxLength: room })).map(([b, data]) => ({ ...b, data }));
  return arb.map((r) => ({ kind, ...r }) as unknown as MessageOf<K>);
}

function validNextOffset(offset: number, next: number): number {
  return next === 0 || next > offset ? next : offset === 0xffff ? 0 : offset + 1 + (next % (0xffff - offset));
}

function fixedPayload(s: Schema): number {
  return messageSize({ kind: s.kind, devNum: 0, token: 0, ...emptyFields(s) } as unknown as Message) - HEADER_BYTES;
}

function emptyFields(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const x of s.fields) out[x.name] = x.type === 'uuid' ? new Array(16).fill(0) : x.type === 'u64' ? 0n : 0;
  if (s.tail) out[s.tail.name] = [];
  if (s.tail?.type === 'optional-bytes') out.length = 0;
  return out;
}

/** Valid messages of every kind (or of `options.kinds`), each kind equally likely. */
export function arbMessage(options: ArbOptions = {}): fc.Arbitrary<Message> {
  const kinds = options.kinds ?? MESSAGE_KINDS;
  return fc.oneof(...kinds.map((k) => arbMessageOf(k, options) as fc.Arbitrary<Message>));
}

/** The bytes of valid messages. */
export function arbMessageBytes(options: ArbOptions = {}): fc.Arbitrary<Uint8Array> {
  return arbMessage(options).map((m) => encode(m));
}

// Near-valid input -------------------------------------------------------------------------------

export interface Malformed {
  readonly bytes: Uint8Array;
  /** The error kind a strict decoder must give. */
  readonly expect: MsgErrorKind;
  /** What was done to a valid encoding, for the failure report. */
  readonly defect: string;
  readonly original: Message;
  /** The maximum message size to decode with, when the defect is exceeding it. */
  readonly maxSize?: number;
}

const setU16 = (b: Uint8Array, at: number, v: number) => { b[at] = v & 0xff; b[at + 1] = (v >> 8) & 0xff; };

/** A copy of `bytes` with msg_size set to the new length, cut or padded with zeros to match. */
function resized(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, size));
  setU16(out, 6, size);
  return out;
}

function ids(space: 'transport' | 'bus'): Set<number> {
  return new Set(SCHEMAS.filter((s) => s.bus === (space === 'bus')).map((s) => s.id));
}

/** One valid message with one defect, and the error kind the defect must produce. */
export function arbMalformed(options: ArbOptions = {}): fc.Arbitrary<Malformed> {
  const maxSize = options.maxSize ?? RECOMMENDED_MAX_MSG_SIZE;
  const withBytes = arbMessage(options).map((m) => ({ m, b: encode(m) }));
  const defects: fc.Arbitrary<Malformed>[] = [
    // Cut anywhere before the end: the header is incomplete, or msg_size promises more.
    withBytes.chain(({ m, b }) => fc.nat(b.length - 1).map((n) => ({
      bytes: b.slice(0, n), expect: (n < HEADER_BYTES ? 'short-header' : 'truncated') as MsgErrorKind, defect: `cut to ${n} of ${b.length} bytes`, original: m,
    }))),
    // Bytes after the message that msg_size does not count.
    withBytes.chain(({ m, b }) => fc.integer({ min: 1, max: 8 }).map((n) => {
      const out = new Uint8Array(b.length + n);
      out.set(b);
      return { bytes: out, expect: 'bad-size' as MsgErrorKind, defect: `${n} bytes appended beyond msg_size`, original: m };
    })),
    // msg_size smaller than the header it includes (the bytes kept as they are).
    withBytes.chain(({ m, b }) => fc.nat(HEADER_BYTES - 1).map((size) => {
      const out = b.slice();
      setU16(out, 6, size);
      return { bytes: out, expect: 'bad-size' as MsgErrorKind, defect: `msg_size set to ${size}`, original: m };
    })),
    // A message larger than the bus maximum.
    withBytes.filter(({ b }) => b.length > MIN_DECODE_MAX).map(({ m, b }) => ({ bytes: b, expect: 'bad-size' as MsgErrorKind, defect: `decoded with maxSize ${MIN_DECODE_MAX} (msg_size ${b.length})`, original: m, maxSize: MIN_DECODE_MAX })),
    // Fixed-size messages shrunk below or grown beyond their size, msg_size following the bytes.
    withBytes.filter(({ m }) => !schemaOf(m.kind).tail).chain(({ m, b }) => fc.integer({ min: HEADER_BYTES, max: Math.min(maxSize, b.length + 8) })
      .filter((size) => size !== b.length)
      .map((size) => ({ bytes: resized(b, size), expect: (size < b.length ? 'short-payload' : 'bad-size') as MsgErrorKind, defect: `msg_size and length changed from ${b.length} to ${size}`, original: m }))),
    // Reserved bits of the header's type byte.
    withBytes.chain(({ m, b }) => fc.integer({ min: 1, max: 0x3f }).map((bits) => {
      const out = b.slice();
      out[0] |= bits << 2;
      return { bytes: out, expect: 'reserved-bits' as MsgErrorKind, defect: `type bits ${hex(bits << 2)} set`, original: m };
    })),
    // An id the draft does not define in the message's namespace (either direction), or bit 7.
    withBytes.chain(({ m, b }) => fc.oneof(fc.nat(0x7f), fc.integer({ min: 0x80, max: 0xff }))
      .filter((id) => id >= ID_IMPL_DEFINED || !ids((b[0] & TYPE_BUS) !== 0 ? 'bus' : 'transport').has(id))
      .map((id) => {
        const out = b.slice();
        out[1] = id;
        return { bytes: out, expect: 'unknown-id' as MsgErrorKind, defect: `msg_id set to ${hex(id)}`, original: m };
      })),
    // An event sent as a response.
    withBytes.filter(({ b }) => (b[1] & ID_EVENT) !== 0).map(({ m, b }) => {
      const out = b.slice();
      out[0] |= TYPE_RESPONSE;
      return { bytes: out, expect: 'bad-direction' as MsgErrorKind, defect: 'response bit set on an event', original: m };
    }),
    // A bus message addressed to a device.
    withBytes.filter(({ b }) => (b[0] & TYPE_BUS) !== 0).chain(({ m, b }) => fc.integer({ min: 1, max: 0xffff }).map((dev) => {
      const out = b.slice();
      setU16(out, 2, dev);
      return { bytes: out, expect: 'bad-field' as MsgErrorKind, defect: `bus message with dev_num ${dev}`, original: m };
    })),
    // Reserved payload fields.
    fc.oneof(
      arbMessageOf('SET_VQUEUE', options).chain((m) => fc.oneof(
        fc.integer({ min: 1, max: 0xffffffff }).map((reserved) => ({ ...m, reserved })),
        fc.integer({ min: 1, max: 0x3ffffff }).map((hi) => ({ ...m, flags: ((m.flags & 0x3f) | (hi << 6)) >>> 0 })),
        fc.constant({ ...m, flags: m.flags | 3 }),
      ).map((bad) => ({ bytes: encode(bad), expect: 'reserved-bits' as MsgErrorKind, defect: `SET_VQUEUE reserved=${hex(bad.reserved)} flags=${hex(bad.flags)}`, original: m as Message }))),
      arbMessageOf('GET_VQUEUE_RESP', options).chain((m) => fc.integer({ min: 1, max: 0x7fffffff }).map((hi) => {
        const bad = { ...m, flags: ((hi << 1) | m.flags) >>> 0 };
        return { bytes: encode(bad), expect: 'reserved-bits' as MsgErrorKind, defect: `GET_VQUEUE_RESP flags=${hex(bad.flags)}`, original: m as Message };
      })),
      arbMessageOf('GET_SHM_RESP', options).chain((m) => fc.integer({ min: 1, max: 0xffffffff }).map((reserved) => ({
        bytes: encode({ ...m, reserved }), expect: 'reserved-bits' as MsgErrorKind, defect: `GET_SHM_RESP reserved=${hex(reserved)}`, original: m as Message,
      }))),
      arbMessageOf('BUS_EVENT_DEVICE', options).chain((m) => fc.integer({ min: 3, max: 0x7fff }).map((state) => ({
        bytes: encode({ ...m, state }), expect: 'reserved-bits' as MsgErrorKind, defect: `EVENT_DEVICE state ${hex(state)}`, original: m as Message,
      }))),
    ),
    // Trailing arrays whose length or count field disagrees with the bytes that follow.
    withBytes.filter(({ m }) => { const t = schemaOf(m.kind).tail; return t !== undefined && t.type !== 'optional-bytes'; })
      .chain(({ m, b }) => fc.integer({ min: -Math.min(8, b.length - HEADER_BYTES - fixedPayload(schemaOf(m.kind))), max: 8 }).filter((d) => d !== 0).map((d) => {
        const out = resized(b, b.length + d);
        const s = schemaOf(m.kind);
        // For a bitmap, whole bytes must go: a byte more or less is always a mismatch of count.
        return { bytes: out, expect: (d < 0 ? 'short-payload' : 'bad-size') as MsgErrorKind, defect: `${s.kind} resized by ${d} bytes without changing its count`, original: m };
      })),
  ];
  return fc.oneof(...defects);
}

/** The maximum size the "larger than the bus maximum" defect decodes with. */
export const MIN_DECODE_MAX = 52;

/**
 * Arbitrary corruptions of valid encodings (bit flips, cuts, splices, size rewrites) with no
 * expectation: what a decoder must survive. For the property "decode returns a message that
 * re-encodes to the same bytes, or fails with a MsgError".
 */
export function arbNearValid(options: ArbOptions = {}): fc.Arbitrary<Uint8Array> {
  const valid = arbMessageBytes(options);
  return fc.oneof(
    valid.chain((b) => fc.array(fc.tuple(fc.nat(b.length - 1), fc.nat(7)), { minLength: 1, maxLength: 4 }).map((flips) => {
      const out = b.slice();
      for (const [i, bit] of flips) out[i] ^= 1 << bit;
      return out;
    })),
    valid.chain((b) => fc.nat(b.length).map((n) => b.slice(0, n))),
    valid.chain((b) => fc.tuple(fc.nat(0xffff), fc.boolean()).map(([size, follow]) => {
      const out = follow ? resized(b, Math.max(HEADER_BYTES, Math.min(size, b.length + 64))) : b.slice();
      setU16(out, 6, size);
      return out;
    })),
    fc.tuple(valid, valid).chain(([a, b]) => fc.tuple(fc.nat(a.length), fc.nat(b.length)).map(([i, j]) => {
      const out = new Uint8Array(i + b.length - j);
      out.set(a.subarray(0, i));
      out.set(b.subarray(j), i);
      return out;
    })),
    fc.uint8Array({ maxLength: 80 }),
  );
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}
