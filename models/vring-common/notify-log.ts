/**
 * Notification decisions as the trace shows them, for both virtqueue formats.
 *
 * A producer decides whether to notify right after it reads the consumer's suppression state
 * (split: used.flags / used.avail_event for kicks, avail.flags / avail.used_event for interrupts;
 * packed: the event suppression structures). The model's monitor opens a decision when that read
 * happens, with what the spec requires given the value read; the producer's next operation closes
 * it: the notify, or anything else. The log also keeps, per consumer, its last re-enable write and
 * its last read of the producer's index, which is what explains a lost notification.
 */
import { opLabel } from '../../harness/core/describe.ts';
import type { ModelInstance, TraceEntry } from '../../harness/core/model.ts';
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
  /** The first decision of this producer: with no earlier decision a spurious notification is allowed (QEMU always sends it). */
  readonly first: boolean;
  /** The entries this decision covers: "avail.idx 0 -> 2". */
  readonly published: string;
  notified?: boolean;
  /** Trace index of the operation that closed the decision. */
  closedAt?: number;
}

export interface Mark {
  readonly at: number;
  readonly text: string;
}

export class NotifyLog {
  private readonly open = new Map<number, Decision>();
  readonly last: Record<Side, Decision | undefined> = { driver: undefined, device: undefined };
  private readonly count: Record<Side, number> = { driver: 0, device: 0 };
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

  /** Opens a decision for the producer that just read the suppression state. */
  decide(side: Side, d: Omit<Decision, 'first'>): void {
    const full: Decision = { ...d, first: this.count[side] === 0 };
    this.count[side]++;
    this.open.set(d.actor, full);
    this.last[side] = full;
  }

  /** Closes an open decision with the actor's next operation; returns a violation message if it breaks the rule. */
  close(e: TraceEntry, i: number, stepOf: (i: number) => string): string | undefined {
    if (!isActorOperation(e.k)) return undefined;
    const d = this.open.get(e.actor);
    if (!d) return undefined;
    this.open.delete(e.actor);
    const side = this.sideOf(e.actor)!;
    const event = this.eventOf[side];
    d.notified = e.k === OpKind.NOTIFY && e.t === event;
    d.closedAt = i;
    const eventName = this.instance.events[event]?.name ?? `event#${event}`;
    const consumer = side === 'driver' ? 'device' : 'driver';
    if (d.need === true && !d.notified) {
      return `${side} read ${d.read} at ${stepOf(d.at)} after publishing ${d.published}: ${d.rule}, so it must send ${eventName}, `
        + `but its next operation was ${opLabel(this.instance, e.k, e.t)} at ${stepOf(i)} and no ${eventName} was sent: the ${consumer}, which asked for a notification, is not woken for these entries.`;
    }
    if (d.need === false && d.notified && !d.first) {
      return `${side} read ${d.read} at ${stepOf(d.at)} after publishing ${d.published}: ${d.rule}, so no notification is due, `
        + `yet it sent ${eventName} at ${stepOf(i)}: its EVENT_IDX decision does not follow the formula (a suppression the ${consumer} asked for is ignored).`;
    }
    return undefined;
  }

  /** A decision still open when nothing can run: the producer went to sleep (or ended) right after it. */
  closeAtQuiescence(stepOf: (i: number) => string): string | undefined {
    for (const d of this.open.values()) {
      if (d.need !== true) continue;
      const side = this.sideOf(d.actor)!;
      const eventName = this.instance.events[this.eventOf[side]]?.name ?? `event#${this.eventOf[side]}`;
      return `${side} read ${d.read} at ${stepOf(d.at)} after publishing ${d.published}: ${d.rule}, so it must send ${eventName}, `
        + `but it sent nothing and went to sleep: the ${side === 'driver' ? 'device' : 'driver'}, which asked for a notification, is never woken for these entries.`;
    }
    return undefined;
  }

  /** One sentence on the producer's last decision, for lost-notification reports. */
  explainDecision(side: Side, stepOf: (i: number) => string): string {
    const d = this.last[side];
    const eventName = this.instance.events[this.eventOf[side]]?.name ?? 'a notification';
    if (!d) return `The ${side} never read the ${side === 'driver' ? "device's" : "driver's"} suppression state, so it never decided to send ${eventName}.`;
    const outcome = d.notified === undefined ? `and sent no ${eventName} (it went to sleep right after)` : d.notified ? `and sent ${eventName}` : `so it sent no ${eventName}`;
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
