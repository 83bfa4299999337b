/**
 * Message channels in the model's shared memory: a ring of message slots per direction, so that
 * message exchange is explored by the same engines and strategies as the shared-memory models.
 *
 * A ring named `d2v` is these layout fields (all u32):
 *   d2v.head             next slot the receiver reads (free-running, written by the receiver only)
 *   d2v.tail             next slot the sender fills   (free-running, written by the sender only)
 *   d2v.slot[i].w[j]     word j of slot i: the encoded message, little-endian, zero-padded
 * plus two events: the ring's doorbell (raised on every send; the receiver idles or waits on it)
 * and its space event (raised when the receiver frees a slot of a full ring). One receiver per
 * ring; several rings may share one doorbell (a device's responses and events raise the same
 * driver interrupt).
 *
 * Atomic sections, and why they hide no behaviour. A send copies the message into slot
 * tail % slots and then stores tail + 1, all inside one atomic section; a receive reads the slot at
 * head and stores head + 1 inside one. The receiver never reads a slot at or beyond tail, and the
 * sender never writes a slot between head and tail, so the words of an unpublished (or
 * already-consumed) slot are invisible to the other side: every interleaving of the other actor
 * with the individual word stores or loads gives the same values as one where it ran before or
 * after the whole copy. The only stores the other side observes are tail (for the receiver) and
 * head (for the sender), one per section, so a section is equivalent to a single visible
 * operation, and making it atomic removes schedules that cannot differ while keeping the state
 * space small. The loads of head/tail that decide "room" or "a message is there" are inside the
 * same section, so the decision and the publish are one step as well.
 *
 * `publish` and `take` run inside an atomic section the caller holds, so that an actor can send or
 * receive together with other changes (a device answers a request under its lock, in the same step
 * as it reads the state it reports); `send`, `tryReceive`, `receive` and `serveForever` open their
 * own. Inside a section the whole ring operation is atomic, so several senders may share a ring.
 * The doorbell is a wake-up hint, latched until consumed: receivers consume it (poll) in the same
 * section as they look at the rings, and wait on it only after a look found nothing.
 *
 * Traces show messages, not bytes: every send and receive emits a note holding the ring and the
 * message words, which `describeMsgNote` decodes for the trace ("d2v GET_CONFIG #1 offset=0
 * length=8") and which oracles decode with `noteMessage`. A receiver decodes what it reads with
 * the codec; a malformed message is dropped (the draft: discarded without a response) and noted.
 */
import type { Field, Layout, LayoutBuilder } from '../core/layout.ts';
import { port as p, type EventRef, type NoteRef, type Program } from '../core/ops.ts';
import { describeMessage, encode, fromWords, MsgError, toWords, tryDecode, type CodecOptions, type DecodeResult } from './codec.ts';
import type { Message } from './types.ts';

/** Declares a ring's fields in a layout: `${name}.head`, `${name}.tail`, `${name}.slot[i].w[j]`. */
export function declareRing(b: LayoutBuilder, name: string, slots: number, maxMsgBytes: number): void {
  b.align(4).u32(`${name}.head`).u32(`${name}.tail`);
  b.array(`${name}.slot`, slots, (s) => s.array('w', slotWords(maxMsgBytes), 32));
}

function slotWords(maxMsgBytes: number): number {
  return Math.ceil(maxMsgBytes / 4);
}

export interface Ring {
  readonly name: string;
  /** Position in the model's ring list: the first number of every message note. */
  readonly index: number;
  readonly head: Field;
  readonly tail: Field;
  readonly slot: readonly (readonly Field[])[];
  /** Raised on every send. */
  readonly doorbell: EventRef;
  /** Raised when a receive frees a slot of a full ring. */
  readonly space: EventRef;
  /** The bus's maximum message size: encode refuses larger messages, decode rejects them. */
  readonly maxSize: number;
}

export interface RingSpec {
  readonly name: string;
  readonly slots: number;
  readonly maxMsgBytes: number;
  readonly doorbell: EventRef;
  readonly space: EventRef;
}

/** The ring's fields, found in a layout built with declareRing. */
export function ringIn(layout: Layout, spec: RingSpec, index: number): Ring {
  const words = slotWords(spec.maxMsgBytes);
  return {
    name: spec.name,
    index,
    head: layout.field(`${spec.name}.head`),
    tail: layout.field(`${spec.name}.tail`),
    slot: Array.from({ length: spec.slots }, (_, i) => layout.array(`${spec.name}.slot[${i}].w`, words)),
    doorbell: spec.doorbell,
    space: spec.space,
    maxSize: spec.maxMsgBytes,
  };
}

/** The notes a channel emits; a model lists them among its notes. */
export interface MsgNotes {
  /** data: [ring index, ...message words] when a message is published. */
  readonly sent: NoteRef;
  /** data: [ring index, ...message words] when a valid message is taken. */
  readonly received: NoteRef;
  /** data: [ring index, ...words] when a malformed message is taken and discarded. */
  readonly dropped: NoteRef;
}

/**
 * Publishes one message inside the caller's atomic section (an actor that must publish together
 * with other changes, as a device answering under its lock). False, with nothing written, if the
 * ring is full.
 */
export function* publish(r: Ring, notes: MsgNotes, m: Message): Program<boolean> {
  const words = toWords(encode(m, { maxSize: r.maxSize }));
  const head = yield p.load(r.head);
  const tail = yield p.load(r.tail);
  if (((tail - head) >>> 0) >= r.slot.length) return false;
  yield p.note(notes.sent, r.index, ...words);
  const slot = r.slot[tail % r.slot.length];
  for (let j = 0; j < words.length; j++) yield p.store(slot[j], words[j]);
  yield p.store(r.tail, (tail + 1) >>> 0); // publish: the slot is visible from here on
  yield p.notify(r.doorbell);
  return true;
}

/**
 * publish for an actor that cannot wait inside its atomic section (a device answering under its
 * lock): a full ring is a sizing error of the model, reported as such.
 */
export function* publishOrFail(r: Ring, notes: MsgNotes, m: Message): Program {
  if (!(yield* publish(r, notes, m))) {
    throw new Error(`ring ${r.name} is full (${r.slot.length} slots) inside an atomic section, where its sender cannot wait: give the ring more slots`);
  }
}

/**
 * Publishes one message in an atomic section of its own; waits while the ring is full (a real
 * wait: blocking forever here is a deadlock). Several senders may share a ring: a sender woken
 * for room passes the wake-up on if room is left, so no waiting sender is forgotten.
 */
export function* send(r: Ring, notes: MsgNotes, m: Message): Program {
  for (let waited = false; ; waited = true) {
    yield p.atomicBegin();
    const sent = yield* publish(r, notes, m);
    if (sent && waited && (((yield p.load(r.tail)) - (yield p.load(r.head))) >>> 0) < r.slot.length) yield p.notify(r.space);
    yield p.atomicEnd();
    if (sent) return;
    yield p.wait(r.space);
  }
}

export interface Received {
  readonly ring: Ring;
  readonly message: Message;
}

/**
 * Takes the oldest message of the first non-empty ring, in the order given (so a receiver that
 * serves two rings states its priority), inside the caller's atomic section; undefined when all
 * are empty. Malformed messages are taken, noted and discarded.
 */
export function* take(rings: readonly Ring[], notes: MsgNotes, codec: CodecOptions = {}): Program<Received | undefined> {
  for (const ring of rings) {
    for (;;) {
      const tail = yield p.load(ring.tail);
      const head = yield p.load(ring.head);
      if (tail === head) break;
      const slot = ring.slot[head % ring.slot.length];
      const words = [yield p.load(slot[0]), yield p.load(slot[1])];
      // msg_size (header bytes 6..7) says how many words to read; a bogus one reads the whole slot.
      const n = Math.min(slot.length, Math.max(2, Math.ceil((words[1] >>> 16) / 4)));
      for (let j = 2; j < n; j++) words.push(yield p.load(slot[j]));
      yield p.store(ring.head, (head + 1) >>> 0);
      if (((tail - head) >>> 0) >= ring.slot.length) yield p.notify(ring.space); // a sender may wait for room
      const r = decodeWords(words, { maxSize: ring.maxSize, ...codec });
      if (r.ok) {
        yield p.note(notes.received, ring.index, ...words);
        return { ring, message: r.message };
      }
      yield p.note(notes.dropped, ring.index, ...words);
    }
  }
  return undefined;
}

/** take in an atomic section of its own. Never blocks. */
export function* tryReceive(rings: readonly Ring[], notes: MsgNotes, codec: CodecOptions = {}): Program<Received | undefined> {
  yield p.atomicBegin();
  const got = yield* take(rings, notes, codec);
  yield p.atomicEnd();
  return got;
}

/** Whether any of the rings holds a message (inside the caller's atomic section). */
export function* pending(rings: readonly Ring[]): Program<boolean> {
  for (const r of rings) if ((yield p.load(r.tail)) !== (yield p.load(r.head))) return true;
  return false;
}

/**
 * Waits for the next message of the rings (which share one doorbell). `idle`: a server loop that
 * may end the run waiting (the normal end). `wait`: ending the run here is a deadlock.
 *
 * The doorbell is a wake-up hint: each look at the rings first consumes it (poll, inside the same
 * atomic section), so a hint raised by a message taken in that look does not wake the receiver
 * again for nothing, and a message published after the look raises it anew.
 */
export function* receive(rings: readonly Ring[], notes: MsgNotes, how: 'idle' | 'wait', codec: CodecOptions = {}): Program<Received> {
  const doorbell = sharedDoorbell(rings);
  for (;;) {
    yield p.atomicBegin();
    yield p.poll(doorbell);
    const got = yield* take(rings, notes, codec);
    yield p.atomicEnd();
    if (got) return got;
    yield how === 'idle' ? p.idle(doorbell) : p.wait(doorbell);
  }
}

export interface ServeOptions {
  readonly codec?: CodecOptions;
  /**
   * Work of the server's own that is due (an asynchronous reset to complete), or undefined. It
   * runs in an atomic section of its own between messages, so other actors may run before it.
   */
  readonly deferred?: () => (() => Program) | undefined;
}

/**
 * A server loop: takes one message at a time and handles it inside the same atomic section (so
 * a device answers under its lock), does its deferred work, and idles when there is nothing left.
 * Never returns.
 */
export function* serveForever(rings: readonly Ring[], notes: MsgNotes, handle: (m: Message, ring: Ring) => Program, options: ServeOptions = {}): Program {
  const doorbell = sharedDoorbell(rings);
  for (;;) {
    yield p.atomicBegin();
    yield p.poll(doorbell);
    const got = yield* take(rings, notes, options.codec);
    if (got) yield* handle(got.message, got.ring);
    const more = yield* pending(rings);
    yield p.atomicEnd();
    const work = options.deferred?.();
    if (work) {
      yield p.atomicBegin();
      yield* work();
      yield p.atomicEnd();
    } else if (!more) yield p.idle(doorbell);
  }
}

function sharedDoorbell(rings: readonly Ring[]): EventRef {
  const doorbell = rings[0].doorbell;
  if (rings.some((r) => r.doorbell.id !== doorbell.id)) throw new Error(`rings ${rings.map((r) => r.name).join(', ')} must share one doorbell to be received together`);
  return doorbell;
}

// Notes as messages ------------------------------------------------------------------------------

export interface NotedMessage {
  readonly ring: number;
  readonly message?: Message;
  readonly error?: MsgError;
}

/** A message read from slot words: msg_size (header bytes 6..7) says how many bytes count. */
function decodeWords(words: readonly number[], codec: CodecOptions): DecodeResult {
  const size = words.length >= 2 ? Math.min(words[1] >>> 16, 4 * words.length) : 4 * words.length;
  return tryDecode(fromWords(words, size), codec);
}

/**
 * Decodes a channel note's data ([ring, ...words]) back into the message, as the receiver did
 * (reserved bits ignored unless `codec` says otherwise).
 */
export function noteMessage(data: readonly number[], codec: CodecOptions = { reserved: 'ignore' }): NotedMessage {
  const r = decodeWords(data.slice(1), codec);
  return r.ok ? { ring: data[0], message: r.message } : { ring: data[0], error: r.error };
}

/** "d2v GET_CONFIG #1 offset=0 length=8" for a channel note; undefined for other notes. */
export function describeMsgNote(notes: MsgNotes, ringNames: readonly string[], note: NoteRef, data: readonly number[]): string | undefined {
  if (note.id !== notes.sent.id && note.id !== notes.received.id && note.id !== notes.dropped.id) return undefined;
  const ring = ringNames[data[0]] ?? `ring ${data[0]}`;
  if (note.id === notes.dropped.id) {
    const strict = noteMessage(data, {});
    return `${ring} malformed message dropped: ${strict.error?.message ?? `${describeMessage(strict.message!)} is larger than the ring's maximum message size`}`;
  }
  const n = noteMessage(data);
  return n.message ? `${ring} ${describeMessage(n.message)}` : `${ring} ${n.error?.message ?? 'undecodable'}`;
}
