/**
 * The device side of config-msg: it owns the config and its 32-bit generation, which changes with
 * every change of the config. Two actors share that state under the device lock (an atomic
 * section), and every message the device sends is published under the lock together with the
 * state it reports, so no message can describe an older state than one sent before it.
 *
 * transport: takes one request at a time, in receive order, and answers it (GET_DEVICE_INFO,
 *   GET_CONFIG, SET_CONFIG, GET/SET_DEVICE_STATUS).
 * set-config: strict profile: apply only if the request's generation is the current one, else
 *   answer with length 0 and the current generation; an applied write is all-or-nothing and
 *   answered with the resulting generation and an echo of the data.
 * backend: makes the device's own changes (a link state, a capacity): new words, new generation,
 *   and an EVENT_CONFIG carrying the data (the whole config fits one message here).
 * reset: status 0 at once (synchronous completion); the generation count restarts at 0, which the
 *   draft allows ("a device MAY reset generation count, including when it resets internal state").
 *   The config itself survives the reset, as device-owned fields such as a capacity do.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { publishOrFail, serveForever, type Ring } from '../../harness/msg/channel.ts';
import { bytesToWords, wordsToBytes } from '../../harness/msg/codec.ts';
import type { Body, GetConfig, Message, SetConfig, SetDeviceStatus } from '../../harness/msg/types.ts';
import { DEV } from './driver.ts';
import { MSG_NOTES, NOTES } from './layout.ts';
import type { Device } from './protocol.ts';

export function* respond(v: Device, body: Body, token: number): Program {
  yield* publishOrFail(v.mem.v2d, MSG_NOTES, { ...body, devNum: DEV, token } as Message);
}

/** The transport: one request at a time, answered under the lock; idle when there is none. */
export function* transport(v: Device): Program {
  yield* serveForever([v.mem.d2v], MSG_NOTES, (m) => serve(v, m));
}

/** The backend: `updates` changes of the device's own, each under the lock. */
export function* backend(v: Device, changes: readonly (readonly number[])[]): Program {
  for (const words of changes) {
    yield p.atomicBegin();
    yield* v.proto.changeConfig(v, words);
    yield p.atomicEnd();
  }
}

export function* serve(v: Device, m: Message): Program {
  switch (m.kind) {
    case 'GET_DEVICE_INFO':
      return yield* respond(v, {
        kind: 'GET_DEVICE_INFO_RESP', deviceId: 1, vendorId: 0, uuid: new Array<number>(16).fill(0), numFeatureBlocks: 1,
        configSize: 4 * v.mem.dev.config.length, maxVirtqueues: 0, adminVqStart: 0, adminVqCount: 0,
      }, m.token);
    case 'GET_CONFIG': return yield* getConfig(v, m);
    case 'SET_CONFIG': return yield* setConfig(v, m);
    case 'GET_DEVICE_STATUS': return yield* respond(v, { kind: 'GET_DEVICE_STATUS_RESP', status: yield p.load(v.mem.dev.status) }, m.token);
    case 'SET_DEVICE_STATUS': return yield* setDeviceStatus(v, m);
    default: throw new Error(`config-msg's device does not model ${m.kind} (transport-msg does)`);
  }
}

function* configBytes(v: Device): Program<number[]> {
  const words: number[] = [];
  for (const f of v.mem.dev.config) words.push(yield p.load(f));
  return wordsToBytes(words);
}

function inRange(v: Device, offset: number, length: number): boolean {
  return offset + length <= 4 * v.mem.dev.config.length;
}

export function* getConfig(v: Device, req: GetConfig): Program {
  const gen = yield p.load(v.mem.dev.gen);
  const data = inRange(v, req.offset, req.length) ? (yield* configBytes(v)).slice(req.offset, req.offset + req.length) : [];
  yield* respond(v, { kind: 'GET_CONFIG_RESP', generation: gen, offset: req.offset, data }, req.token);
}

export function* setConfig(v: Device, req: SetConfig): Program {
  const gen = yield p.load(v.mem.dev.gen);
  if (req.data.length === 0 || !inRange(v, req.offset, req.data.length)) {
    return yield* respond(v, { kind: 'SET_CONFIG_RESP', generation: gen, offset: req.offset, data: [] }, req.token);
  }
  if (!v.proto.acceptsWrite(req, gen)) return yield* v.proto.rejectWrite(v, req, gen);
  const bytes = yield* configBytes(v);
  bytes.splice(req.offset, req.data.length, ...req.data);
  const words = bytesToWords(bytes);
  const first = Math.floor(req.offset / 4);
  yield p.note(NOTES['write-applied'], first, ...words.slice(first, Math.ceil((req.offset + req.data.length) / 4)));
  const next = yield* updateTo(v, words);
  yield* respond(v, { kind: 'SET_CONFIG_RESP', generation: next, offset: req.offset, data: req.data }, req.token);
}

/** Strict profile: only a write made at the current generation is applied. */
export function acceptsWriteStrict(req: SetConfig, gen: number): boolean {
  return req.generation === gen;
}

export function* rejectWrite(v: Device, req: SetConfig, gen: number): Program {
  yield* respond(v, { kind: 'SET_CONFIG_RESP', generation: gen, offset: req.offset, data: [] }, req.token);
}

/** A new version of the config: the words and a changed generation, as one change. */
function* updateTo(v: Device, words: readonly number[]): Program<number> {
  yield p.note(NOTES['config-begin'], ...words);
  for (let i = 0; i < words.length; i++) yield p.store(v.mem.dev.config[i], words[i]);
  const gen = ((yield p.load(v.mem.dev.gen)) + 1) >>> 0;
  yield p.store(v.mem.dev.gen, gen);
  yield p.note(NOTES['config-end']);
  return gen;
}

export function* changeConfig(v: Device, words: readonly number[]): Program {
  const gen = yield* updateTo(v, words);
  yield* publishOrFail(v.proto.eventRing(v), MSG_NOTES, {
    kind: 'EVENT_CONFIG', devNum: DEV, token: 0, deviceStatus: yield p.load(v.mem.dev.status), generation: gen,
    offset: 0, length: 4 * words.length, data: wordsToBytes(words),
  });
}

/** A bus that keeps events in order with responses: one ring for both. */
export function eventRingInOrder(v: Device): Ring {
  return v.mem.v2d;
}

export function* setDeviceStatus(v: Device, req: SetDeviceStatus): Program {
  if (req.status === 0) return yield* v.proto.deviceReset(v, req.token);
  yield p.store(v.mem.dev.status, req.status);
  yield* respond(v, { kind: 'SET_DEVICE_STATUS_RESP', status: req.status }, req.token);
}

export function* resetDevice(v: Device, token: number): Program {
  yield p.store(v.mem.dev.status, 0);
  yield p.store(v.mem.dev.gen, 0);
  yield* respond(v, { kind: 'SET_DEVICE_STATUS_RESP', status: 0 }, token);
}
