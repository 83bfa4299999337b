/** Mutants of config-msg: each replaces one step of the reference and says what it breaks. */
import type { Variant } from '../../harness/core/define-model.ts';
import type { Program } from '../../harness/core/ops.ts';
import { bytesToWords } from '../../harness/msg/codec.ts';
import type { EventConfig, GetConfigResp } from '../../harness/msg/types.ts';
import { acceptConfig, decideWrite, onEventConfig, request, sendWrite } from './driver.ts';
import { linux2026 } from './linux2026.ts';
import type { ConfigMsgProtocol, Device, Driver } from './protocol.ts';

/** Assembles the chunks whatever generation each was read at. */
function* readConfigNoGenCheck(d: Driver): Program<{ words: number[]; gen: number }> {
  const words: number[] = [];
  let gen = d.gen;
  for (let offset = 0; offset < d.configSize; offset += d.params.chunkBytes) {
    const r = yield* request<GetConfigResp>(d, { kind: 'GET_CONFIG', offset, length: Math.min(d.params.chunkBytes, d.configSize - offset) });
    gen = r.generation;
    words.push(...bytesToWords(r.data));
  }
  return { words, gen };
}

/** Assumes generations only grow: keeps the highest one seen and drops events below it. */
function* trackHighestGeneration(d: Driver, gen: number): Program {
  d.gen = Math.max(d.gen, gen);
}
function* onEventConfigDropOlder(d: Driver, ev: EventConfig): Program {
  if (ev.generation < d.gen) return;
  yield* onEventConfig(d, ev);
}

/** The strict retry done by a transport that cannot recompute the write: re-read, resend the same bytes. */
function* writeConfigTransportRetry(d: Driver, w: number): Program {
  const value = yield* decideWrite(d, w);
  while (!(yield* sendWrite(d, value))) yield* acceptConfig(d);
}

/** Baseline profile: the SET_CONFIG generation is reserved and 0. */
function* baselineGeneration(): Program<number> {
  return 0;
}

/** Treats a SET_CONFIG at a stale generation as invalid, and invalid requests are discarded. */
function* rejectByDiscard(): Program {}

/** The scope of the slow passing 2026 variants: no write, no reset, one device change. */
const SMALL_SCOPE = { writes: 0, resets: 0, updates: 1 };

export const variants: readonly Variant<ConfigMsgProtocol>[] = [
  {
    name: 'reference',
    description: 'Strict profile (VIRTIO_MSG_F_STRICT_CONFIG_GENERATION): chunks of one read must report one generation or the read starts over; the driver tracks the latest generation and sends it in SET_CONFIG; the device rejects a stale one (length 0), the driver re-reads and decides its write again from the new value; events travel in order with responses; after a reset the driver forgets the generation and re-reads.',
    expect: { verdict: 'passed' },
  },
  {
    name: 'chunks-no-gen-check',
    description: 'The driver assembles GET_CONFIG chunks without comparing their generations: a device change between two chunks yields a config that never existed.',
    expect: { verdict: 'violated', invariant: 'config-snapshot' },
    recreates: 'digest section 5 ("reads are split by the driver into chunks; each chunk reports its own generation"), pitfall 5 (tearing across chunks), Linux virtio_msg_transport.c restarts on mismatch',
    override: { readConfig: readConfigNoGenCheck },
  },
  {
    name: 'events-unordered',
    description: 'The bus delivers events on a path of their own (as the draft allows: "events MAY be delivered at any time relative to request/response traffic"), which the driver serves when it is not waiting for a response. An EVENT_CONFIG overtaken by a fresher response is applied after it, and the copy ends stale.',
    expect: { verdict: 'violated', invariant: 'copies-converge' },
    recreates: 'digest pitfall 8 (an EVENT_CONFIG older than a response arrives after it); draft 009bce08 Message Ordering (bus MUST NOT delay an event to keep it ordered)',
    override: { eventRing: (v: Device) => v.mem.evt },
  },
  {
    name: 'monotonic-drop',
    description: 'The driver assumes generations only grow: it keeps the highest one seen and drops EVENT_CONFIGs below it. After a reset the device counts from 0 again, so its next changes are dropped as old.',
    expect: { verdict: 'violated', invariant: 'copies-converge' },
    recreates: 'Linux vireshk/linux-bkp virtio_msg_transport.c (the version that drops EVENT_CONFIG below the cached generation); draft: "a driver MUST NOT assume generation count is monotonic or preserved across device resets"',
    override: { trackGeneration: trackHighestGeneration, onEventConfig: onEventConfigDropOlder },
  },
  {
    name: 'baseline-set-race',
    description: 'Baseline profile: the driver sends generation 0 and the device applies every SET_CONFIG. A write decided before a device change to the same word, and applied after it, erases that change.',
    expect: { verdict: 'violated', invariant: 'no-lost-update' },
    recreates: 'bug zoo B24 (Linaro/virtio-msg-spec issue #8, PR #31: a SET_CONFIG racing a device change to the same word)',
    override: { acceptsWrite: () => true, setGeneration: baselineGeneration },
  },
  {
    name: 'strict-profile',
    description: 'The strict profile as a transport implements it: the rejected SET_CONFIG is retried by the transport after a re-read (GET_CONFIG), with the new generation and the same bytes, since the transport cannot recompute the driver\'s write. The copies converge, but the retry still erases the device change that caused the rejection.',
    expect: { verdict: 'violated', invariant: 'no-lost-update' },
    recreates: 'draft 009bce08 strict profile ("driver SHOULD issue GET_CONFIG ... before retrying"); PR #31 review: "the transport will not have any extra info" (bug zoo B24)',
    override: { writeConfig: writeConfigTransportRetry },
  },
  {
    name: 'reject-by-discard',
    description: 'Strict profile, but the device treats a SET_CONFIG with a stale generation like a malformed message and discards it without a response (earlier drafts rejected it "typically via ERROR"; the ERROR message is gone).',
    expect: { verdict: 'violated', invariant: 'one-response-per-request' },
    recreates: 'Linaro/virtio-msg-spec PR #19 (rejection "typically via ERROR", removed) and digest section 5 Errors ("each valid request ends in exactly one response")',
    override: { rejectWrite: rejectByDiscard },
  },
  // The 2026 Linux driver's config path (digest, "Addendum, December 2026"), one design choice at a
  // time. Its events travel apart from responses and are handled in the bus's receive context
  // (an actor of its own), which overwrites the cached generation: linux2026.ts.
  {
    name: 'linux2026-event-overwrite',
    description: '2026 Linux driver, choice (a): every EVENT_CONFIG overwrites the cached generation (no "drop an older generation" rule) and schedules a re-read, its payload ignored; events and responses unordered. Reads are whole-config reads whose chunk generations are compared and writes carry the generation of the copy, so nothing trusts the cache: the overwrite is harmless.',
    // The default scope (a write, a reset, two changes) did not complete within 4 minutes at bound 1
    // (no violation in tens of thousands of executions); the suite states the verdict at this one.
    params: SMALL_SCOPE,
    expect: { verdict: 'passed' },
    recreates: 'digest addendum December 2026 (the 2026 driver overwrites its cached generation on every EVENT_CONFIG and ignores the payload); draft: events MAY arrive at any time relative to responses',
    override: linux2026.eventOverwrite,
  },
  {
    name: 'linux2026-cached-gen-write',
    description: 'Choice (a) with a strict-profile SET_CONFIG that carries the cached generation (as the pre-2026 driver did). An EVENT_CONFIG moves the cache to the new generation without changing the copy (its payload is ignored), so a write decided from the old copy carries the current generation, the device applies it, and the device change is lost.',
    expect: { verdict: 'violated', invariant: 'no-lost-update' },
    recreates: 'digest section 5 (the older Linux driver sends its cached generation in SET_CONFIG) combined with the 2026 event rule (overwrite, payload ignored); bug zoo B24',
    override: linux2026.cachedGenerationWrite,
  },
  {
    name: 'linux2026-bracketed-read',
    description: '2026 Linux driver, choices (a) + (b): a multi-element read takes the cached generation, sends one GET_CONFIG per element (each response sets the cache), and compares the cached generation at the end. The cache is not the device\'s generation: after a reset it still holds the pre-reset generation, which the device reaches again during the read (found at the default bound), and a late EVENT_CONFIG can reset it to the first element\'s generation (the addendum\'s race, two preemptions); either way the closing check sees equal generations around a torn value.',
    expect: { verdict: 'violated', invariant: 'config-snapshot' },
    recreates: 'digest addendum December 2026, candidate race (byte 0 at generation A, device moves to B, byte 1 at B, a delayed EVENT_CONFIG carrying A, closing check A = A); docs/virtio-msg-2026-config-race.md',
    override: linux2026.bracketedRead,
  },
  {
    name: 'linux2026-restart-budget',
    description: '2026 Linux driver, choices (a) + (c): a whole-config read restarts when its chunks\' generations differ and after restartBudget (5) restarts gives up and marks the device failed. Failing is allowed only when the device changed more often than the budget during the read (an explicit error, not torn data); at the default bound it never does.',
    // The default scope (a write, a reset, two changes) did not complete within 4 minutes at bound 1
    // (no violation in tens of thousands of executions); the suite states the verdict at this one.
    params: SMALL_SCOPE,
    expect: { verdict: 'passed' },
    recreates: 'digest addendum December 2026 (restart on chunk generation mismatch, -EAGAIN, zero-fill and device failed after 5 restarts); digest invariant 3 (a bounded retry yields an explicit error, never torn data)',
    override: linux2026.restartBudget,
  },
  {
    name: 'linux2026-fail-on-mismatch',
    description: 'Choice (c) without the restarts: the first chunk generation mismatch marks the device failed, so one legitimate concurrent config change kills a healthy device.',
    expect: { verdict: 'violated', invariant: 'failed-only-under-churn' },
    recreates: 'digest addendum December 2026 (the 5-restart budget exists so that concurrent updates do not fail the device); draft: "re-read until it observes a stable generation"',
    override: linux2026.failOnMismatch,
  },
  {
    name: 'linux2026-set-gen0',
    description: '2026 Linux driver, choices (a) + (d): baseline profile, SET_CONFIG carries generation 0 (reserved, MUST be 0) and the device applies every write. A write decided before a device change to the same word and applied after it erases that change, as in baseline-set-race: the 2026 driver inherits the baseline race.',
    expect: { verdict: 'violated', invariant: 'no-lost-update' },
    recreates: 'digest addendum December 2026 (baseline SET_CONFIG generation reserved, MUST be 0; the 2026 driver sends 0 and refuses strict-profile buses); bug zoo B24',
    override: linux2026.setGenerationZero,
  },
  {
    name: 'linux2026-fix-drop-older',
    description: 'Fix 1 of linux2026-bracketed-read: the receive context drops an EVENT_CONFIG whose generation is below the cached one again (the pre-2026 rule). That stops a late event within one generation count, but not across a reset: the device restarts its count at 0, a late EVENT_CONFIG from before the reset carries a generation above the cache, is kept, and aliases the generation the device reaches during the read. Still torn (with resets=0 it passes).',
    expect: { verdict: 'violated', invariant: 'config-snapshot' },
    recreates: 'the pre-2026 Linux driver (drops EVENT_CONFIG below the cached generation); draft: "a driver MUST NOT assume generation count is monotonic or preserved across device resets"; docs/virtio-msg-2026-config-race.md fix 1',
    override: linux2026.fixDropOlder,
  },
  {
    name: 'linux2026-fix-device-gen-end',
    description: 'Fix 2 half done: the closing check asks the device for its generation (a GET_CONFIG) but the opening one is still the cache. A late pre-reset EVENT_CONFIG can set the cache to the generation the device reaches during the read, and the two ends agree around a torn value.',
    expect: { verdict: 'violated', invariant: 'config-snapshot' },
    recreates: 'docs/virtio-msg-2026-config-race.md fix 2 (re-read the generation from the device at the end), taken only at the end',
    override: linux2026.fixDeviceGenerationAtEnd,
  },
  {
    name: 'linux2026-fix-device-gen',
    description: 'Fix 2: both ends of the bracket are the generation the device reports (a GET_CONFIG each), never the cache. The device changes its generation with every change and restarts it only at a reset, which the driver itself asks for between reads, so equal ends mean no change during the read.',
    // The default scope (a write, a reset, two changes) did not complete within 4 minutes at bound 1
    // (no violation in tens of thousands of executions); the suite states the verdict at this one.
    params: SMALL_SCOPE,
    expect: { verdict: 'passed' },
    recreates: 'docs/virtio-msg-2026-config-race.md fix 2 (take the generation from the device, not from the cache events overwrite)',
    override: linux2026.fixDeviceGeneration,
  },
];
