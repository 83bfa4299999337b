/**
 * The driver side of config-msg: it keeps its own copy of the config and talks to the device only
 * through messages.
 *
 * discover: GET_DEVICE_INFO gives config_size.
 * read-config: GET_CONFIG in chunks; every chunk reports the generation it was read at, and chunks
 *   of different generations are never assembled: the read starts over (the draft: "re-read until
 *   it observes a stable generation"; Linux restarts the whole read).
 * write-config: a read-modify-write of config word 0 sent as SET_CONFIG with the driver's latest
 *   generation (strict profile). If the device rejects it (response length 0), the config moved on:
 *   re-read it and decide the write again from what is there now.
 * event-config: apply the event's data and generation to the copy; an event without data asks for
 *   a re-read.
 * reset: SET_DEVICE_STATUS(0), poll GET_DEVICE_STATUS until it reads 0, then re-read the config
 *   (the device may have restarted its generation count).
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { receive, send } from '../../harness/msg/channel.ts';
import { bytesToWords, isResponseTo, wordsToBytes } from '../../harness/msg/codec.ts';
import type {
  Body, EventConfig, GetConfigResp, GetDeviceInfoResp, GetDeviceStatusResp, Message, SetConfigResp, SetDeviceStatusResp,
} from '../../harness/msg/types.ts';
import { driverWord, MSG_NOTES, NOTES } from './layout.ts';
import type { Driver, ReadResult } from './protocol.ts';

/** The device number of the one device (0 is a valid transport device number). */
export const DEV = 0;

/**
 * Sends a request and waits for its response, handling the events that arrive meanwhile. The wait
 * is idle: a request that is never answered shows as such (invariant one-response-per-request)
 * rather than as a deadlock, as a driver's bounded timeout would report it.
 */
export function* request<R extends Message>(d: Driver, body: Body): Program<R> {
  const req = { ...body, devNum: DEV, token: d.token } as Message;
  d.token = d.token >= 0xffff ? 1 : d.token + 1;
  yield* send(d.mem.d2v, MSG_NOTES, req);
  for (;;) {
    // The response path: on a bus that keeps events in order with responses, events arrive here
    // too and are applied in order. Events on a separate path (ring evt) wait until the driver is
    // idle, as a driver's event work queue runs when the driver is not busy.
    const { message } = yield* receive([d.mem.v2d], MSG_NOTES, 'idle');
    if (isResponseTo(message, req)) return message as R;
    if (message.kind === 'EVENT_CONFIG') yield* d.proto.onEventConfig(d, message);
  }
}

export function* discover(d: Driver): Program {
  const info = yield* request<GetDeviceInfoResp>(d, { kind: 'GET_DEVICE_INFO' });
  d.configSize = info.configSize;
}

/** One pass over the config in GET_CONFIG chunks: the words, or undefined if two chunks' generations differ. */
export function* readChunksOnce(d: Driver): Program<{ words: number[]; gen: number } | undefined> {
  const chunk = d.params.chunkBytes;
  const words: number[] = [];
  let gen: number | undefined;
  for (let offset = 0; offset < d.configSize; offset += chunk) {
    const r = yield* request<GetConfigResp>(d, { kind: 'GET_CONFIG', offset, length: Math.min(chunk, d.configSize - offset) });
    if (gen !== undefined && r.generation !== gen) return undefined;
    gen = r.generation;
    words.push(...bytesToWords(r.data));
  }
  return { words, gen: gen ?? d.gen };
}

export function* readConfig(d: Driver): Program<ReadResult> {
  for (;;) {
    const got = yield* readChunksOnce(d);
    if (got) return got;
  }
}

/** A whole-config read whose result becomes the driver's copy, as the oracles see it. */
export function* acceptConfig(d: Driver): Program {
  yield p.note(NOTES['read-begin']);
  const got = yield* d.proto.readConfig(d);
  if (got === 'failed') {
    d.failed = true;
    return;
  }
  yield p.note(NOTES['read-accept'], ...got.words);
  yield* d.proto.trackGeneration(d, got.gen);
  yield* setCopy(d, got.words);
}

export function* setCopy(d: Driver, words: number[]): Program {
  d.copy = words;
  yield p.note(NOTES.copy, ...words);
}

/** The copy with `data` (bytes at byte `offset`) written in. */
function patched(copy: readonly number[], offset: number, data: readonly number[]): number[] {
  const bytes = wordsToBytes(copy);
  bytes.splice(offset, data.length, ...data);
  return bytesToWords(bytes);
}

/** The write decided from the copy: word 0 becomes driverWord(w, what the driver sees in word 0). */
export function* decideWrite(d: Driver, w: number): Program<number> {
  const seen = d.copy[0];
  const value = driverWord(w, seen);
  yield p.note(NOTES['write-intent'], 0, value, seen);
  return value;
}

/** Sends one SET_CONFIG of word 0; true if the device applied it (the copy then holds it). */
export function* sendWrite(d: Driver, value: number): Program<boolean> {
  const generation = yield* d.proto.setGeneration(d);
  const resp = yield* request<SetConfigResp>(d, { kind: 'SET_CONFIG', generation, offset: 0, data: wordsToBytes([value]) });
  if (resp.data.length === 0) return false;
  yield* d.proto.trackGeneration(d, resp.generation);
  yield* setCopy(d, patched(d.copy, resp.offset, resp.data));
  return true;
}

export function* writeConfig(d: Driver, w: number): Program {
  while (!d.failed) {
    const value = yield* decideWrite(d, w);
    if (yield* sendWrite(d, value)) return;
    yield* acceptConfig(d);
  }
}

export function* setGenerationStrict(d: Driver): Program<number> {
  return d.gen;
}

export function* trackGeneration(d: Driver, gen: number): Program {
  d.gen = gen;
}

export function* onEventConfig(d: Driver, ev: EventConfig): Program {
  if (ev.data.length === 0) {
    d.refetch = true;
    return;
  }
  yield* d.proto.trackGeneration(d, ev.generation);
  yield* setCopy(d, patched(d.copy, ev.offset, ev.data));
}

export function* resetDevice(d: Driver): Program {
  let status = (yield* request<SetDeviceStatusResp>(d, { kind: 'SET_DEVICE_STATUS', status: 0 })).status;
  while (status !== 0) status = (yield* request<GetDeviceStatusResp>(d, { kind: 'GET_DEVICE_STATUS' })).status;
  yield* acceptConfig(d);
}

/** After its script: follow the device's events for ever (an idle wait). */
export function* followEvents(d: Driver): Program {
  for (;;) {
    if (d.refetch) {
      d.refetch = false;
      yield* acceptConfig(d);
      continue;
    }
    const { message } = yield* receive([d.mem.v2d, d.mem.evt], MSG_NOTES, 'idle');
    if (message.kind === 'EVENT_CONFIG') yield* d.proto.onEventConfig(d, message);
  }
}
