/**
 * Oracles of the virtio-msg rules that hold for any model built on the message channels (digest
 * invariant 17): every request gets exactly one response, and every message a side sends is well
 * formed. They read the channel notes (harness/msg/channel.ts), never the protocol's code.
 */
import { actorName } from '../core/describe.ts';
import type { Invariant, OracleContext, TraceEntry } from '../core/model.ts';
import { OpKind } from '../core/ops.ts';
import { noteMessage, type MsgNotes } from './channel.ts';
import { describeMessage, directionOf, requestKindOf } from './codec.ts';
import type { Message } from './types.ts';

const stepOf = (ctx: OracleContext, i: number) => `step ${ctx.trace[i]?.step ?? ctx.trace.length}`;

interface Sent {
  readonly message: Message;
  readonly actor: number;
  readonly at: number;
}

/** One response per request: none missing at the end, none extra, none unrequested. */
export function oneResponsePerRequest(notes: MsgNotes, name = 'one-response-per-request'): Invariant {
  return {
    name,
    kind: 'liveness',
    protects: 'Every request gets exactly one response with its msg_id, dev_num and token: none is left unanswered once nothing can run, none is answered twice, and no response arrives for a request nobody sent (events are never answered).',
    observe(ctx) {
      const outstanding = new Map<string, Sent>();
      const answered = new Map<string, { request: Sent; response: Sent }>();
      const key = (kind: string, m: Message) => `${kind}/${m.devNum}/${m.token}`;
      const who = (s: Sent) => `${actorName(ctx.instance, s.actor)}'s ${describeMessage(s.message)} (${stepOf(ctx, s.at)})`;
      return {
        onEntry(e: TraceEntry, i: number) {
          if (e.k !== OpKind.NOTE || e.t !== notes.sent.id) return undefined;
          const m = noteMessage(e.data ?? []).message;
          if (!m) return undefined;
          const sent: Sent = { message: m, actor: e.actor, at: i };
          const direction = directionOf(m.kind);
          if (direction === 'request') {
            const k = key(m.kind, m);
            const pending = outstanding.get(k);
            if (pending) return `${actorName(ctx.instance, e.actor)} sent ${describeMessage(m)} at ${stepOf(ctx, i)} while ${who(pending)} with the same msg_id, dev_num and token was still unanswered: the responses cannot be told apart.`;
            outstanding.set(k, sent);
            answered.delete(k);
            return undefined;
          }
          if (direction !== 'response') return undefined;
          const requestKind = requestKindOf(m.kind)!;
          const k = key(requestKind, m);
          const request = outstanding.get(k);
          if (request) {
            outstanding.delete(k);
            answered.set(k, { request, response: sent });
            return undefined;
          }
          const before = answered.get(k);
          if (before) return `${actorName(ctx.instance, e.actor)} sent ${describeMessage(m)} at ${stepOf(ctx, i)}, a second response to ${who(before.request)}, already answered by ${describeMessage(before.response.message)} at ${stepOf(ctx, before.response.at)}.`;
          const waiting = [...outstanding.values()].filter((r) => r.message.kind === requestKind);
          return `${actorName(ctx.instance, e.actor)} sent ${describeMessage(m)} at ${stepOf(ctx, i)}, but no ${requestKind} with dev_num ${m.devNum} and token ${m.token} is waiting for an answer`
            + `${waiting.length ? ` (waiting: ${waiting.map(who).join('; ')}; a response carries its request's token)` : ''}.`;
        },
        atQuiescence() {
          const left = [...outstanding.values()];
          if (left.length === 0) return undefined;
          return `${left.map(who).join('; ')} never got a response, and no actor can run any more: each valid request must end in exactly one response (a driver would time out and reset the device).`;
        },
      };
    },
  };
}

/** Every message sent decodes strictly: sizes right, reserved bits zero, known ids, events never responses. */
export function wellFormedMessages(notes: MsgNotes, name = 'well-formed-messages'): Invariant {
  return {
    name,
    kind: 'safety',
    protects: 'Every message either side sends is well formed: 8 <= msg_size <= the bus maximum and equal to the message\'s length, reserved bits zero, a defined msg_id, and no event sent as a response.',
    observe(ctx) {
      return {
        onEntry(e: TraceEntry, i: number) {
          if (e.k !== OpKind.NOTE || e.t !== notes.sent.id) return undefined;
          const strict = noteMessage(e.data ?? [], {});
          if (!strict.error) return undefined;
          const lenient = noteMessage(e.data ?? []).message;
          return `${actorName(ctx.instance, e.actor)} sent a malformed message${lenient ? `, ${describeMessage(lenient)},` : ''} at ${stepOf(ctx, i)}: ${strict.error.message}.`;
        },
      };
    },
  };
}
