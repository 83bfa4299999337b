/**
 * Notification decisions as the spec defines them (virtio 1.2 2.7.7.2, 2.7.10, 2.8.10), for both
 * virtqueue formats, judged on what the producer did rather than on the shape of its code.
 *
 * A producer publishes entries (avail.idx, used.idx, a packed head's flags), then decides: it reads
 * the consumer's suppression state (split: used.flags / used.avail_event for kicks, avail.flags /
 * avail.used_event for interrupts; packed: the event suppression structures) and notifies if the
 * spec asks for it. The log keeps, per producer side:
 * - the entries published since the last read of the suppression state or notification
 *   (`unread`): a notification closes them like a decision does (QEMU notifies unconditionally the
 *   first time, without reading used_event);
 * - the read that required a notification not sent yet (`owed`). Barriers and any other operation
 *   may stand between the read and the notification.
 * The producer has decided not to notify when it idles (waits for the consumer's event, or ends)
 * with entries owed or unread: that is the MUST violation, reported at that step. A notification
 * after a read that said none is due is reported at the notification (the harness files it as an
 * advisory for third-party code: the consumer must tolerate it).
 * The log also keeps, per consumer, its last re-enable write and its last read of the producer's
 * index, which is what explains a lost notification.
 */
import type { ModelInstance, TraceEntry } from '../../harness/core/model.ts';
import { opLabel } from '../../harness/core/describe.ts';
import { OpKind } from '../../harness/core/ops.ts';
import { isActorOperation } from './monitor.ts';
import { fmt } from './ring-math.ts';

export type Side = 'driver' | 'device';

export interface Decision {
  readonly actor: number;
  /** Trace index of the read that completed the decision. */
  readonly at: number;
  /** What was read: "used.avail_event=1". */
  readonly read: string;
  /** true: the spec requires a notification; false: the formula says none; undefined: either (a flag set is only a hint). */
  readonly need: boolean | undefined;
  /** The rule applied, with its operands. */
  readonly rule: string;
  /** The entries this decision covers: "avail.idx 0 -> 2". */
  readonly published: string;
  /** The producer's first decision: a notification it sends regardless is what QEMU always sends. */
  readonly first: boolean;
  /**
   * The read came while the producer's own publish was still in its store buffer (tso, no full
   * barrier between them): "used.idx=1 was not visible yet". Such a read is not fresh.
   */
  readonly unpublished?: string;
  /** Nothing was published since the previous decision: the read decides nothing. */
  readonly empty?: boolean;
  notified?: boolean;
  /** Trace index of the notification that honoured it. */
  closedAt?: number;
}

export interface Mark {
  readonly at: number;
  readonly text: string;
}

/** Entries published with no read of the suppression state or notification since. */
interface Unread {
  /** Trace index of the first such publish. */
  readonly at: number;
  /** The last read before it, if any (a stale snapshot). */
  readonly stale?: Decision;
}

export class NotifyLog {
  readonly last: Record<Side, Decision | undefined> = { driver: undefined, device: undefined };
  private readonly owed: Record<Side, Decision | undefined> = { driver: undefined, device: undefined };
  private readonly unread: Record<Side, Unread | undefined> = { driver: undefined, device: undefined };
  private readonly count: Record<Side, number> = { driver: 0, device: 0 };
  /** The producer's last operation, where a producer that sleeps for good stopped. */
  private readonly lastOp: Record<Side, Mark | undefined> = { driver: undefined, device: undefined };
  /** The consumer's last write that re-enables notifications, by consumer side. */
  readonly enabled: Record<Side, Mark | undefined> = { driver: undefined, device: undefined };
  /** The consumer's last read of the producer's index, by consumer side. */
  readonly indexRead: Record<Side, Mark & { value: number } | undefined> = { driver: undefined, device: undefined };

  constructor(
    private readonly instance: ModelInstance,
    /** The event each producer raises: the driver kicks, the device interrupts. */
    private readonly eventOf: Record<Side, number>,
    private readonly sideOf: (actor: number) => Side | undefined,
  ) {}

  decisions(side: Side): number {
    return this.count[side];
  }

  /** The producer made new entries visible to itself (its index store, a head's flags). */
  published(side: Side, at: number): void {
    if (!this.unread[side]) this.unread[side] = { at, stale: this.last[side] };
  }

  /** The producer read the suppression state; `d` says what the spec requires for the entries since its previous decision. */
  decide(side: Side, read: Omit<Decision, 'first'>): void {
    if (read.empty) return;
    const d: Decision = { ...read, first: this.count[side] === 0 };
    this.count[side]++;
    this.last[side] = d;
    const unread = this.unread[side];
    if (d.unpublished && unread) { this.unread[side] = { at: unread.at, stale: d }; return; }
    this.unread[side] = undefined;
    if (d.need === true && !this.owed[side]) this.owed[side] = d;
  }

  /**
   * Judges the producer's notifications and idling; returns a violation message if `e` breaks the
   * rule: a notification not due (the harness files it as an advisory for third-party code), or a
   * wait with a notification owed or decided without a fresh read.
   */
  onOperation(e: TraceEntry, i: number, stepOf: (i: number) => string): string | undefined {
    const side = this.sideOf(e.actor);
    if (!side) return undefined;
    if (isActorOperation(e.k)) this.lastOp[side] = { at: i, text: opLabel(this.instance, e.k, e.t) };
    if (e.k === OpKind.NOTIFY && e.t === this.eventOf[side]) return this.notified(side, i, stepOf);
    if (e.k === OpKind.WAIT) return this.idle(side, stepOf, `went on to wait for ${this.instance.events[e.t]?.name ?? 'an event'} at ${stepOf(i)}`);
    return undefined;
  }

  private notified(side: Side, i: number, stepOf: (i: number) => string): string | undefined {
    const d = this.last[side];
    const covered = this.owed[side] !== undefined || this.unread[side] !== undefined;
    this.owed[side] = undefined;
    this.unread[side] = undefined;
    if (!d || d.notified) return undefined;
    d.notified = true;
    d.closedAt = i;
    if (covered || d.need !== false || d.first) return undefined;
    const consumer = side === 'driver' ? 'device' : 'driver';
    return `${side} read ${d.read} at ${stepOf(d.at)} after publishing ${d.published}: ${d.rule}, so no notification is due, `
      + `yet it sent ${this.eventName(side)} at ${stepOf(i)}: its EVENT_IDX decision does not follow the formula (a suppression the ${consumer} asked for is ignored).`;
  }

  /** The producer stops without notifying: what it owes, if anything. */
  private idle(side: Side, stepOf: (i: number) => string, how: string): string | undefined {
    const owed = this.owed[side];
    const unread = this.unread[side];
    this.owed[side] = undefined;
    this.unread[side] = undefined;
    const consumer = side === 'driver' ? 'device' : 'driver';
    if (owed) {
      return `${side} read ${owed.read} at ${stepOf(owed.at)} after publishing ${owed.published}: ${owed.rule}, so it must send ${this.eventName(side)}, `
        + `but it sent none and ${how}: the ${consumer}, which asked for a notification, is not woken for these entries.`;
    }
    if (unread) {
      const s = unread.stale;
      const stale = !s ? '' : s.unpublished
        ? ` (its read of ${s.read} at ${stepOf(s.at)} came while ${s.unpublished}: no full barrier between the publish and the read)`
        : ` (its last read, ${s.read} at ${stepOf(s.at)}, came before that publish)`;
      return `${side} published new entries at ${stepOf(unread.at)} and neither read the ${consumer}'s suppression state after it${stale} nor sent ${this.eventName(side)}, `
        + `and ${how}: a decision not to notify taken without a fresh read after publishing; the ${consumer} may be waiting for these entries (the spec requires reading the suppression state after a full barrier).`;
    }
    return undefined;
  }

  /** Producers that idle with a notification owed when nothing can run (they slept or ended). */
  closeAtQuiescence(stepOf: (i: number) => string): string | undefined {
    for (const side of ['driver', 'device'] as const) {
      const op = this.lastOp[side];
      const message = this.idle(side, stepOf, `went to sleep (or ended) after its last operation${op ? `, ${op.text} at ${stepOf(op.at)}` : ''}`);
      if (message) return message;
    }
    return undefined;
  }

  private eventName(side: Side): string {
    return this.instance.events[this.eventOf[side]]?.name ?? `event#${this.eventOf[side]}`;
  }

  /** One sentence on the producer's last decision, for lost-notification reports. */
  explainDecision(side: Side, stepOf: (i: number) => string): string {
    const d = this.last[side];
    const eventName = this.instance.events[this.eventOf[side]]?.name ?? 'a notification';
    if (!d) return `The ${side} never read the ${side === 'driver' ? "device's" : "driver's"} suppression state, so it never decided to send ${eventName}.`;
    const outcome = d.notified ? `and sent ${eventName}` : `and sent no ${eventName} after it`;
    return `The ${side}'s last notification decision: it read ${d.read} at ${stepOf(d.at)} after publishing ${d.published} (${d.rule}), ${outcome}.`;
  }

  /** One sentence on the consumer's last re-enable and re-check. */
  explainConsumer(side: Side, stepOf: (i: number) => string, hint: (value: number) => string, show: (value: number) => string = fmt): string {
    const en = this.enabled[side];
    const rd = this.indexRead[side];
    const parts: string[] = [];
    parts.push(en ? `The ${side}'s last write to its suppression state: it ${en.text} at ${stepOf(en.at)}` : `The ${side} never wrote its suppression state`);
    if (rd && (!en || rd.at > en.at)) parts.push(`then read ${rd.text}=${show(rd.value)} at ${stepOf(rd.at)} ${hint(rd.value)}`);
    else parts.push(`and did not look at the ring again afterwards (no re-check)`);
    return `${parts.join(', ')}.`;
  }
}
