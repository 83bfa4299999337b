/**
 * The virtio-msg wire codec: exact sizes and byte layout against the draft, round-trip of every
 * message kind, and typed rejection of malformed input (fast-check properties).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbMalformed, arbMessageBytes, arbMessageOf, arbNearValid } from '../harness/msg/arbitraries.ts';
import {
  decode, describeMessage, encode, frames, isResponseTo, MESSAGE_KINDS, messageSize, MsgError, responseKindOf, tryDecode,
} from '../harness/msg/codec.ts';
import type { Message, MessageKind } from '../harness/msg/types.ts';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const bytes = (s: string) => Uint8Array.from(s.split(/\s+/).filter(Boolean).map((x) => parseInt(x, 16)));

function errorOf(f: () => unknown): MsgError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MsgError);
    return e as MsgError;
  }
  throw new Error('expected a MsgError');
}

describe('wire layout (draft 009bce08)', () => {
  it('encodes the header and payload little-endian, field by field', () => {
    const req: Message = { kind: 'GET_CONFIG', devNum: 1, token: 0x0203, offset: 4, length: 8 };
    expect(hex(encode(req))).toBe('00 05 01 00 03 02 10 00 04 00 00 00 08 00 00 00');
    const resp: Message = { kind: 'GET_CONFIG_RESP', devNum: 1, token: 0x0203, generation: 7, offset: 4, data: [1, 2, 3, 4] };
    expect(hex(encode(resp))).toBe('01 05 01 00 03 02 18 00 07 00 00 00 04 00 00 00 04 00 00 00 01 02 03 04');
    const event: Message = { kind: 'EVENT_CONFIG', devNum: 2, token: 0, deviceStatus: 0x0f, generation: 2, offset: 0, length: 8, data: [] };
    expect(hex(encode(event))).toBe('00 40 02 00 00 00 18 00 0f 00 00 00 02 00 00 00 00 00 00 00 08 00 00 00');
    const ping: Message = { kind: 'BUS_PING', devNum: 0, token: 5, data: 0x12345678 };
    expect(hex(encode(ping))).toBe('02 03 00 00 05 00 0c 00 78 56 34 12');
    const devices: Message = { kind: 'BUS_GET_DEVICES_RESP', devNum: 0, token: 1, offset: 0, nextOffset: 16, present: [true, false, true, false, false, true, false, false, false, false] };
    expect(hex(encode(devices))).toBe('03 02 00 00 01 00 10 00 00 00 10 00 0a 00 25 00');
    const vq: Message = { kind: 'SET_VQUEUE', devNum: 0, token: 9, index: 1, flags: 1, size: 256, reserved: 0, descAddr: 0x1122334455667788n, driverAddr: 0n, deviceAddr: 1n };
    expect(hex(encode(vq))).toBe('00 0a 00 00 09 00 30 00 01 00 00 00 01 00 00 00 00 01 00 00 00 00 00 00 88 77 66 55 44 33 22 11 '
      + '00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00');
  });

  it('gives every message its exact size', () => {
    const sizes: [MessageKind, number, number?][] = [
      // [kind, size with an empty trailing array, bytes per element]
      ['GET_DEVICE_INFO', 8], ['GET_DEVICE_INFO_RESP', 52], ['GET_DEVICE_FEATURES', 16], ['GET_DEVICE_FEATURES_RESP', 16, 4],
      ['SET_DRIVER_FEATURES', 16, 4], ['SET_DRIVER_FEATURES_RESP', 8], ['GET_CONFIG', 16], ['GET_CONFIG_RESP', 20, 1],
      ['SET_CONFIG', 20, 1], ['SET_CONFIG_RESP', 20, 1], ['GET_DEVICE_STATUS', 8], ['GET_DEVICE_STATUS_RESP', 12],
      ['SET_DEVICE_STATUS', 12], ['SET_DEVICE_STATUS_RESP', 12], ['GET_VQUEUE', 12], ['GET_VQUEUE_RESP', 48], ['SET_VQUEUE', 48],
      ['SET_VQUEUE_RESP', 8], ['RESET_VQUEUE', 12], ['RESET_VQUEUE_RESP', 8], ['GET_SHM', 12], ['GET_SHM_RESP', 32],
      ['EVENT_CONFIG', 24, 1], ['EVENT_AVAIL', 16], ['EVENT_USED', 12], ['BUS_GET_DEVICES', 12], ['BUS_GET_DEVICES_RESP', 14],
      ['BUS_PING', 12], ['BUS_PING_RESP', 12], ['BUS_EVENT_DEVICE', 12],
    ];
    expect(sizes.map(([k]) => k).sort()).toEqual([...MESSAGE_KINDS].sort());
    for (const [kind, size, per] of sizes) {
      fc.assert(fc.property(arbMessageOf(kind), (m) => {
        const r = m as unknown as { data?: unknown[]; features?: unknown[]; present?: unknown[] };
        const tail = [r.data, r.features].find(Array.isArray) ?? [];
        const n = tail.length;
        const expected = kind === 'BUS_GET_DEVICES_RESP' ? size + Math.ceil((r.present ?? []).length / 8) : size + n * (per ?? 0);
        expect(encode(m).length).toBe(expected);
        expect(messageSize(m)).toBe(expected);
      }), { numRuns: 30 });
    }
  });

  it('fits 244 config bytes in a GET_CONFIG response and 240 in an EVENT_CONFIG at the recommended 264 bytes', () => {
    const data = (n: number) => new Array<number>(n).fill(0xab);
    expect(encode({ kind: 'GET_CONFIG_RESP', devNum: 0, token: 0, generation: 0, offset: 0, data: data(244) }, { maxSize: 264 }).length).toBe(264);
    expect(errorOf(() => encode({ kind: 'SET_CONFIG', devNum: 0, token: 0, generation: 0, offset: 0, data: data(245) }, { maxSize: 264 })).kind).toBe('bad-size');
    expect(encode({ kind: 'EVENT_CONFIG', devNum: 0, token: 0, deviceStatus: 0, generation: 0, offset: 0, length: 240, data: data(240) }, { maxSize: 264 }).length).toBe(264);
  });
});

describe('round trip', () => {
  it.each(MESSAGE_KINDS.map((k) => [k]))('%s: decode(encode(m)) is m, and its bytes re-encode identically', (kind) => {
    fc.assert(fc.property(arbMessageOf(kind), (m) => {
      const b = encode(m);
      const back = decode(b);
      expect(back).toEqual(m);
      expect(hex(encode(back))).toBe(hex(b));
      expect(describeMessage(back)).toContain(kind);
    }), { numRuns: 200 });
  });

  it('pairs every request with its response kind and matches by device and token', () => {
    fc.assert(fc.property(arbMessageOf('GET_CONFIG'), fc.nat(0xffff), (req, token) => {
      const resp: Message = { kind: 'GET_CONFIG_RESP', devNum: req.devNum, token: req.token, generation: 1, offset: req.offset, data: [] };
      expect(isResponseTo(resp, req)).toBe(true);
      expect(isResponseTo({ ...resp, token }, req)).toBe(token === req.token);
    }));
    expect(responseKindOf('SET_VQUEUE')).toBe('SET_VQUEUE_RESP');
    expect(responseKindOf('BUS_PING')).toBe('BUS_PING_RESP');
    expect(responseKindOf('EVENT_CONFIG')).toBeUndefined();
  });

  it('frames a stream of messages by msg_size', () => {
    fc.assert(fc.property(fc.array(arbMessageBytes(), { maxLength: 6 }), fc.nat(7), (list, cut) => {
      const total = list.reduce((n, b) => n + b.length, 0);
      const stream = new Uint8Array(total + cut);
      let at = 0;
      for (const b of list) { stream.set(b, at); at += b.length; }
      const r = frames(stream.subarray(0, total));
      expect(r.frames.map(hex)).toEqual(list.map(hex));
      expect(r.rest.length).toBe(0);
    }));
  });
});

describe('malformed input', () => {
  it('is rejected with the error kind of its defect', () => {
    fc.assert(fc.property(arbMalformed(), (x) => {
      const r = tryDecode(x.bytes, { maxSize: x.maxSize });
      if (r.ok) throw new Error(`${x.defect} of ${x.original.kind} decoded as ${describeMessage(r.message)}`);
      expect(r.error.kind, `${x.defect} of ${x.original.kind}: ${r.error.message}`).toBe(x.expect);
    }), { numRuns: 3000 });
  });

  it('never escapes as anything but a MsgError, and what decodes is canonical', () => {
    fc.assert(fc.property(arbNearValid(), (b) => {
      const r = tryDecode(b);
      if (r.ok) expect(hex(encode(r.message))).toBe(hex(b));
      else expect(r.error).toBeInstanceOf(MsgError);
    }), { numRuns: 5000 });
  });

  it('ignores reserved header bits and keeps reserved payload fields when decoding as a receiver', () => {
    const m: Message = { kind: 'SET_VQUEUE', devNum: 3, token: 4, index: 0, flags: 0x41, size: 8, reserved: 7, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n };
    const b = encode(m);
    b[0] |= 0x80;
    expect(errorOf(() => decode(b)).kind).toBe('reserved-bits');
    expect(decode(b, { reserved: 'ignore' })).toEqual(m);
  });

  it('refuses to encode values that do not fit their fields', () => {
    const bad: unknown[] = [
      { kind: 'GET_CONFIG', devNum: 0x10000, token: 0, offset: 0, length: 0 },
      { kind: 'GET_CONFIG', devNum: 0, token: 0, offset: -1, length: 0 },
      { kind: 'SET_CONFIG', devNum: 0, token: 0, generation: 0, offset: 0, data: [256] },
      { kind: 'GET_VQUEUE_RESP', devNum: 0, token: 0, index: 0, maxSize: 0, curSize: 0, flags: 0, descAddr: 1 << 20, driverAddr: 0n, deviceAddr: 0n },
      { kind: 'EVENT_CONFIG', devNum: 0, token: 0, deviceStatus: 0, generation: 0, offset: 0, length: 8, data: [1, 2] },
      { kind: 'BUS_PING', devNum: 1, token: 0, data: 0 },
      { kind: 'NOT_A_MESSAGE', devNum: 0, token: 0 },
    ];
    for (const m of bad) expect(errorOf(() => encode(m as Message)).kind).toMatch(/bad-field|unknown-id/);
  });

  it('names the problem in its message', () => {
    expect(errorOf(() => decode(bytes('00 05 00 00 00 00 10 00 04 00'))).message).toMatch(/truncated: msg_size says 16 bytes but only 10 arrived/);
    expect(errorOf(() => decode(bytes('00 0d 00 00 00 00 08 00'))).message).toMatch(/unknown-id: transport msg_id 0xd request/);
    expect(errorOf(() => decode(bytes('01 42 00 00 00 00 0c 00 00 00 00 00'))).message).toMatch(/bad-direction/);
  });
});
