/** Mutants of config-msg: each replaces one step of the reference and says what it breaks. */
import type { Variant } from '../../harness/core/define-model.ts';
import type { Program } from '../../harness/core/ops.ts';
import { bytesToWords } from '../../harness/msg/codec.ts';
import type { EventConfig, GetConfigResp } from '../../harness/msg/types.ts';
import { acceptConfig, decideWrite, onEventConfig, request, sendWrite } from './driver.ts';
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
function trackHighestGeneration(d: Driver, gen: number): void {
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

/** Treats a SET_CONFIG at a stale generation as invalid, and invalid requests are discarded. */
function* rejectByDiscard(): Program {}

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
    override: { acceptsWrite: () => true, setGeneration: () => 0 },
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
];
