/**
 * The config path of the 2026 Linux virtio-msg transport driver (drivers/virtio/virtio_msg_transport.c
 * in the virtio-msg Linux tree, as the digest's December 2026 addendum describes it), written as
 * config-msg steps. The driver's thread and the bus's receive context are two actors sharing two
 * words of memory (layout.ts):
 *   drv.gen      the cached generation: generation() returns it, every GET_CONFIG response sets it,
 *                and every EVENT_CONFIG overwrites it (no "drop an older generation" rule)
 *   drv.changed  the receive context saw an EVENT_CONFIG: the config-change work (a re-read) is due
 *
 * receive context: takes EVENT_CONFIGs from their own path (ring rxe, unordered with responses), overwrites
 *   the cached generation with the event's, ignores the payload, and schedules the re-read.
 * bracketed read: the core's multi-element read: generation() before, one GET_CONFIG per element,
 *   generation() after, again if the two differ.
 * restart budget: a whole-config read restarts when its chunks' generations differ; after
 *   `restartBudget` restarts it gives up and marks the device failed (Linux: -EAGAIN, zero-fill).
 * fixes: drop an event older than the cache (the pre-2026 rule), or take the bracket's
 *   generations from the device rather than the cache (at the end only, or at both ends).
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { take } from '../../harness/msg/channel.ts';
import { bytesToWords } from '../../harness/msg/codec.ts';
import type { GetConfigResp } from '../../harness/msg/types.ts';
import { acceptConfig, readChunksOnce, request } from './driver.ts';
import { EVENTS, MSG_NOTES, NOTES } from './layout.ts';
import type { ConfigMsgProtocol, Driver, ReadResult } from './protocol.ts';

/** Bytes per element of the bracketed read: one 32-bit config field per GET_CONFIG. */
const ELEMENT_BYTES = 4;

function* cachedGeneration(d: Driver): Program<number> {
  return yield p.load(d.mem.drv.gen);
}

function* cacheGeneration(d: Driver, gen: number): Program {
  yield p.store(d.mem.drv.gen, gen);
}

/** Whether the receive context keeps an event's generation: `cached` is what the cache holds. */
type EventRule = (event: number, cached: number) => boolean;
const overwriteAlways: EventRule = () => true;
const dropOlder: EventRule = (event, cached) => event >= cached;

/**
 * The bus's receive context: each EVENT_CONFIG sets the cache (if the rule keeps it) and schedules a
 * re-read, in one atomic step with taking the message (an interrupt handler runs to completion).
 */
function receiveContext(keep: EventRule) {
  return function* rx(d: Driver): Program {
    const doorbell = d.mem.rxe.doorbell;
    for (;;) {
      yield p.atomicBegin();
      yield p.poll(doorbell);
      const got = yield* take([d.mem.rxe], MSG_NOTES);
      if (got?.message.kind === 'EVENT_CONFIG') {
        if (keep(got.message.generation, yield* cachedGeneration(d))) yield* cacheGeneration(d, got.message.generation);
        yield p.store(d.mem.drv.changed, 1);
        yield p.notify(EVENTS['config-work']);
      }
      yield p.atomicEnd();
      if (!got) yield p.idle(doorbell);
    }
  };
}

/** The config-change work: after its script the driver re-reads the config whenever an event scheduled it. */
function* followScheduledWork(d: Driver): Program {
  while (!d.failed) {
    yield p.atomicBegin();
    yield p.poll(EVENTS['config-work']);
    const due = yield p.load(d.mem.drv.changed);
    if (due) yield p.store(d.mem.drv.changed, 0);
    yield p.atomicEnd();
    if (due) yield* acceptConfig(d);
    else yield p.idle(EVENTS['config-work']);
  }
}

/** One element: a GET_CONFIG whose response sets the cached generation. */
function* readElement(d: Driver, offset: number): Program<number[]> {
  const r = yield* request<GetConfigResp>(d, { kind: 'GET_CONFIG', offset, length: ELEMENT_BYTES });
  yield* cacheGeneration(d, r.generation);
  return bytesToWords(r.data);
}

/** Where a bracket's generation comes from: the cache (generation()) or the device. */
type BracketEnd = (d: Driver) => Program<number>;

/** The core's multi-element read: a generation, every element, a generation again. */
function bracketedRead(start: BracketEnd, end: BracketEnd) {
  return function* read(d: Driver): Program<ReadResult> {
    for (;;) {
      const before = yield* start(d);
      const words: number[] = [];
      for (let offset = 0; offset < d.configSize; offset += ELEMENT_BYTES) words.push(...(yield* readElement(d, offset)));
      const after = yield* end(d);
      if (before === after) return { words, gen: after };
    }
  };
}

/** The generation the device reports now, asked for with a GET_CONFIG of the first element. */
function* deviceGeneration(d: Driver): Program<number> {
  const r = yield* request<GetConfigResp>(d, { kind: 'GET_CONFIG', offset: 0, length: ELEMENT_BYTES });
  yield* cacheGeneration(d, r.generation);
  return r.generation;
}

/** One pass of GET_CONFIG chunks; a complete pass sets the cache to its generation. */
function* readChunksCaching(d: Driver): Program<{ words: number[]; gen: number } | undefined> {
  const got = yield* readChunksOnce(d);
  if (got) yield* cacheGeneration(d, got.gen);
  return got;
}

/** The reference's whole-config read (restart until the chunks agree), setting the cache. */
function* readUntilChunksAgree(d: Driver): Program<ReadResult> {
  for (;;) {
    const got = yield* readChunksCaching(d);
    if (got) return got;
  }
}

/** A whole-config read that restarts on a chunk mismatch and, after `restartBudget` restarts, gives up. */
function* readWithRestartBudget(d: Driver): Program<ReadResult> {
  for (let restarts = 0; ; restarts++) {
    const got = yield* readChunksCaching(d);
    if (got) return got;
    if (restarts === d.params.restartBudget) {
      yield p.note(NOTES['device-failed'], restarts + 1);
      return 'failed';
    }
  }
}

/** A read that gives up at the first chunk mismatch (a mutant of the budget: 0 restarts). */
function* readFailOnMismatch(d: Driver): Program<ReadResult> {
  const got = yield* readChunksCaching(d);
  if (got) return got;
  yield p.note(NOTES['device-failed'], 0);
  return 'failed';
}

/** Baseline profile: the generation of a SET_CONFIG is reserved and 0. */
function* generationZero(): Program<number> {
  return 0;
}

/**
 * The steps every 2026 variant shares: the cache in memory, events in the receive context. Writes
 * stay the reference's (strict profile, the generation of the driver's copy), so that each variant
 * shows what its read-side choice does; linux2026-set-gen0 and linux2026-cached-gen-write change them.
 */
const driver2026: Partial<ConfigMsgProtocol> = {
  eventRing: (v) => v.mem.rxe,
  receiveContext: receiveContext(overwriteAlways),
  followEvents: followScheduledWork,
  readConfig: readUntilChunksAgree,
};

const bracketedByCache = bracketedRead(cachedGeneration, cachedGeneration);

export const linux2026 = {
  /** (a) events overwrite the cache; reads are the reference's chunk-compared whole reads. */
  eventOverwrite: driver2026,
  /** (a), with a strict-profile SET_CONFIG carrying the cache (which events move without the copy). */
  cachedGenerationWrite: { ...driver2026, setGeneration: cachedGeneration },
  /** (a) + (b): the bracketed per-element read. */
  bracketedRead: { ...driver2026, readConfig: bracketedByCache },
  /** (a) + (c): whole-read restarts with the budget and the failed outcome. */
  restartBudget: { ...driver2026, readConfig: readWithRestartBudget },
  /** (c) mutated: no restart at all. */
  failOnMismatch: { ...driver2026, readConfig: readFailOnMismatch },
  /** (a) + (d): baseline profile, SET_CONFIG carries 0 and the device applies every write. */
  setGenerationZero: { ...driver2026, setGeneration: generationZero, acceptsWrite: () => true },
  /** Fix 1 of (a) + (b): the receive context drops an event older than the cache again. */
  fixDropOlder: { ...driver2026, receiveContext: receiveContext(dropOlder), readConfig: bracketedByCache },
  /** Fix 2 of (a) + (b): the bracket ends with the device's generation (it still starts with the cache). */
  fixDeviceGenerationAtEnd: { ...driver2026, readConfig: bracketedRead(cachedGeneration, deviceGeneration) },
  /** Fix 2, complete: both ends of the bracket are the device's generation; the cache is not trusted. */
  fixDeviceGeneration: { ...driver2026, readConfig: bracketedRead(deviceGeneration, deviceGeneration) },
} satisfies Record<string, Partial<ConfigMsgProtocol>>;
