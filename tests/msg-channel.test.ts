/**
 * The message rings: explored exhaustively with small rings (so they fill), several senders on one
 * ring, and malformed messages, every message arrives once, in each sender's order, and nothing
 * deadlocks; traces show messages decoded.
 */
import { describe, expect, it } from 'vitest';
import { refs } from '../harness/core/define-model.ts';
import { defineLayout } from '../harness/core/layout.ts';
import type { ActorDef, Invariant, ModelInstance } from '../harness/core/model.ts';
import { OpKind, port as p, type Program } from '../harness/core/ops.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';
import { runExecution } from '../harness/explore/execution.ts';
import { declareRing, describeMsgNote, noteMessage, publish, receive, ringIn, send, tryReceive, type MsgNotes, type Ring } from '../harness/msg/channel.ts';
import { encode, toWords } from '../harness/msg/codec.ts';
import type { Message } from '../harness/msg/types.ts';

const EVENTS = refs('bell', 'space');
const NOTES = refs('send', 'recv', 'drop');
const MSG: MsgNotes = { sent: NOTES.send, received: NOTES.recv, dropped: NOTES.drop };

function ring(slots: number): { layout: ReturnType<typeof defineLayout>; r: Ring } {
  const layout = defineLayout((b) => declareRing(b, 'r', slots, 52));
  return { layout, r: ringIn(layout, { name: 'r', slots, maxMsgBytes: 52, doorbell: EVENTS.bell, space: EVENTS.space }, 0) };
}

const ping = (sender: number, k: number): Message => ({ kind: 'BUS_PING', devNum: 0, token: sender, data: (sender << 8) | k });

/** Every message sent is received exactly once, in its sender's order, and nothing is left at the end. */
const delivered: Invariant = {
  name: 'delivered-in-order',
  kind: 'liveness',
  protects: 'every message arrives once, in order per sender',
  observe(ctx) {
    const sent: number[] = [];
    const got: number[] = [];
    return {
      onEntry(e) {
        if (e.k !== OpKind.NOTE) return undefined;
        const m = noteMessage(e.data ?? []).message;
        if (m?.kind !== 'BUS_PING') return undefined;
        if (e.t === NOTES.send.id) sent.push(m.data);
        if (e.t === NOTES.recv.id) {
          if (got.includes(m.data)) return `message ${m.data} received twice`;
          const previous = got.filter((x) => x >> 8 === m.data >> 8).pop();
          if (previous !== undefined && previous > m.data) return `message ${m.data} overtook ${previous} of the same sender`;
          got.push(m.data);
        }
        return undefined;
      },
      atQuiescence() {
        const missing = sent.filter((x) => !got.includes(x));
        return missing.length ? `messages ${missing.join(', ')} were sent and never received (${ctx.trace.length} entries)` : undefined;
      },
    };
  },
};

function instance(slots: number, senders: number, each: number): ModelInstance {
  const { layout, r } = ring(slots);
  const sender = (s: number): ActorDef => ({
    name: `sender${s}`,
    program: function* (): Program { for (let k = 0; k < each; k++) yield* send(r, MSG, ping(s + 1, k)); },
  });
  const receiver: ActorDef = { name: 'receiver', program: function* (): Program { for (;;) yield* receive([r], MSG, 'idle'); } };
  return {
    model: 'test-ring', variant: 'reference', params: {}, layout, events: Object.values(EVENTS), notes: Object.values(NOTES),
    actors: [...Array.from({ length: senders }, (_, s) => sender(s)), receiver], invariants: [delivered], init: () => {}, maxSteps: 5000,
  };
}

describe('message rings', () => {
  it.each([
    [1, 1, 3, 3], [2, 1, 4, 3], [1, 2, 2, 3], [2, 2, 3, 2],
  ])('with %i slot(s), %i sender(s) of %i messages: every schedule with up to %i preemptions delivers all, in order, without deadlock', async (slots, senders, each, bound) => {
    const r = await explore(new InlineEngine(instance(slots, senders, each)), new DfsStrategy(bound));
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(r.executions).toBeGreaterThan(1);
  });

  it('needs the wake-up passed on: senders that keep it to themselves can wait for ever on a ring with room', async () => {
    const inst = instance(2, 2, 3);
    const { r } = ring(2);
    /** send() without passing the space wake-up on to the next waiting sender. */
    function* sendSelfish(m: Message): Program {
      for (;;) {
        yield p.atomicBegin();
        const sent = yield* publish(r, MSG, m);
        yield p.atomicEnd();
        if (sent) return;
        yield p.wait(r.space);
      }
    }
    const selfish = inst.actors.map((a, s) => (a.name === 'receiver' ? a : { name: a.name, program: function* (): Program { for (let k = 0; k < 3; k++) yield* sendSelfish(ping(s + 1, k)); } }));
    const res = await explore(new InlineEngine({ ...inst, actors: selfish }), new DfsStrategy(2));
    expect(res.verdict).toBe('violated');
    expect(res.violation?.invariant).toBe('no-deadlock');
  });

  it('drops a malformed message with a note and delivers the next one', () => {
    const { layout, r } = ring(2);
    const bogus = toWords(encode(ping(1, 0)));
    bogus[1] = (bogus[1] & 0xffff) | (9 << 16); // msg_size 9: too short for a PING's 4-byte payload
    const writer: ActorDef = {
      name: 'writer',
      program: function* (): Program {
        yield p.atomicBegin();
        for (let j = 0; j < bogus.length; j++) yield p.store(r.slot[0][j], bogus[j]);
        yield p.store(r.tail, 1);
        yield p.notify(r.doorbell);
        yield p.atomicEnd();
        yield* send(r, MSG, ping(1, 1));
      },
    };
    const got: Message[] = [];
    const reader: ActorDef = { name: 'reader', program: function* (): Program { for (;;) got.push((yield* receive([r], MSG, 'idle')).message); } };
    const inst: ModelInstance = {
      model: 'test-ring', variant: 'reference', params: {}, layout, events: Object.values(EVENTS), notes: Object.values(NOTES),
      actors: [writer, reader], invariants: [], init: () => {}, maxSteps: 1000,
    };
    const engine = new InlineEngine(inst);
    const strategy = new DfsStrategy(0);
    strategy.next();
    const result = runExecution(engine, strategy);
    expect(result.violation).toBeUndefined();
    expect(got.map((m) => (m.kind === 'BUS_PING' ? m.data : -1))).toEqual([0x101]);
    const drop = engine.trace.find((e) => e.k === OpKind.NOTE && e.t === NOTES.drop.id)!;
    expect(describeMsgNote(MSG, ['r'], NOTES.drop, drop.data!)).toMatch(/^r malformed message dropped: short-payload/);
    const recv = engine.trace.find((e) => e.k === OpKind.NOTE && e.t === NOTES.recv.id)!;
    expect(describeMsgNote(MSG, ['r'], NOTES.recv, recv.data!)).toBe('r BUS_PING #1 data=257');
  });

  it('publish reports a full ring without writing, and tryReceive an empty one without blocking', () => {
    const { layout, r } = ring(1);
    const results: unknown[] = [];
    const actor: ActorDef = {
      name: 'solo',
      program: function* (): Program {
        yield p.atomicBegin();
        results.push(yield* publish(r, MSG, ping(1, 0)));
        results.push(yield* publish(r, MSG, ping(1, 1)));
        yield p.atomicEnd();
        results.push((yield* tryReceive([r], MSG))?.message.kind);
        results.push(yield* tryReceive([r], MSG));
      },
    };
    const inst: ModelInstance = {
      model: 'test-ring', variant: 'reference', params: {}, layout, events: Object.values(EVENTS), notes: Object.values(NOTES),
      actors: [actor], invariants: [], init: () => {}, maxSteps: 1000,
    };
    const strategy = new DfsStrategy(0);
    strategy.next();
    expect(runExecution(new InlineEngine(inst), strategy).violation).toBeUndefined();
    expect(results).toEqual([true, false, 'BUS_PING', undefined]);
  });
});
