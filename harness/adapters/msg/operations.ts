/**
 * Runs a third-party driver's operations: generators that yield request bodies (a message without
 * devNum and token, which the bus owns) and are resumed with each response, as the reference
 * VirtioMsgDriver's steps are. Shared by the config-msg and transport-msg driver roles.
 *
 * The runner sends each request on the driver's ring, waits (idle) for its response, and hands
 * every event that arrives meanwhile to the driver in arrival order (a bus that keeps events in
 * order with responses). After every step of the driver it calls `afterStep`, where a role writes
 * the notes the driver's step owes the oracles.
 */
import type { Program } from '../../core/ops.ts';
import { receive, send, type MsgNotes, type Ring } from '../../msg/channel.ts';
import { directionOf, isResponseTo } from '../../msg/codec.ts';
import type { Message } from '../../msg/types.ts';
import { asMessage, asObject, call } from './messages.ts';

export interface RunnerOptions {
  readonly d2v: Ring;
  readonly v2d: Ring;
  readonly notes: MsgNotes;
  readonly devNum: number;
  readonly maxSize: number;
  /** After each step of the driver (an operation's step, or an event handled). */
  readonly afterStep: () => Program;
  /** An event that arrived while the driver waited for a response. */
  readonly onEvent: (m: Message) => Program;
}

export class OperationRunner {
  private token = 1;

  constructor(private readonly drv: Record<string, unknown>, private readonly o: RunnerOptions) {}

  /** Runs one generator operation of the driver to its end; returns its result. */
  *run(name: string, ...args: unknown[]): Program<unknown> {
    const it = call(this.drv, name, 'the driver', ...args) as Iterator<unknown, unknown, Message> | undefined;
    if (typeof it?.next !== 'function') throw new TypeError(`driver.${name}() must be a generator (function*) yielding request bodies`);
    let response: Message | undefined;
    for (;;) {
      const r = it.next(response!);
      yield* this.o.afterStep();
      if (r.done) return r.value;
      const req = asMessage({ ...asObject(r.value, `driver.${name}() yielded`), devNum: this.o.devNum, token: this.token }, `driver.${name}()`, this.o.maxSize);
      if (directionOf(req.kind) !== 'request') throw new TypeError(`driver.${name}() yielded ${req.kind}, which is not a request (it would get no response)`);
      this.token = this.token >= 0xffff ? 1 : this.token + 1;
      yield* send(this.o.d2v, this.o.notes, req);
      response = yield* this.answer(req);
    }
  }

  /** Sends a message that needs no response (EVENT_AVAIL). */
  *post(m: Message): Program {
    yield* send(this.o.d2v, this.o.notes, m);
  }

  /** Waits for the response to `req`; events meanwhile go to the driver in arrival order. */
  private *answer(req: Message): Program<Message> {
    for (;;) {
      const { message } = yield* receive([this.o.v2d], this.o.notes, 'idle');
      if (isResponseTo(message, req)) return message;
      yield* this.o.onEvent(message);
    }
  }
}
