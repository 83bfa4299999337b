/**
 * notify-decision for a third-party side of a virtqueue: the MUST half stays a violation, the
 * SHOULD NOT half becomes an advisory.
 *
 * The spec (virtio 1.2, 2.7.7 and 2.7.10; 2.8.10 and 2.8.21 for packed rings) says a producer MUST
 * notify when the suppression state it read asks for it, and SHOULD NOT notify otherwise. The
 * model's notify-decision (models/vring-common/notify-log.ts) reports both: a notification owed
 * when the producer goes back to waiting, and one sent that the formula did not call for. For third-party code the model's own decision log still judges: a finding raised at the
 * side's own notification (a notification the formula did not call for) is filed as an advisory
 * with the model's explanation; every other finding (a notification that was due and not sent, an
 * invalid suppression value) stays a violation.
 */
import type { Invariant, ModelInstance, TraceEntry } from '../../core/model.ts';
import { OpKind } from '../../core/ops.ts';
import type { Advisory, Role } from '../schemes.ts';

const RULE = 'notify-decision';

/** The notification a producer sends: the driver kicks, the device interrupts. */
const EVENT: Record<Role, string> = { driver: 'kick', device: 'used-irq' };

export interface OverNotification {
  /** Rewrites the instance's invariants (notify-decision only). */
  readonly invariants: (instance: ModelInstance) => readonly Invariant[];
  readonly advisory: Advisory;
}

/**
 * The first over-notification of the execution running on each trace (the threads engine reuses
 * one trace array per engine; an execution starts with observe(), after the advisory scanned the
 * previous one).
 */
export function overNotification(side: Role, rule: string, text: string): OverNotification {
  const seen = new WeakMap<readonly TraceEntry[], string>();
  const relax = (inv: Invariant, instance: ModelInstance): Invariant => {
    const actor = instance.actors.findIndex((a) => a.name === side);
    const event = instance.events.find((e) => e.name === EVENT[side])!.id;
    return {
      ...inv,
      observe(ctx) {
        seen.delete(ctx.trace);
        const inner = inv.observe(ctx);
        return {
          onEntry(e, i) {
            const message = inner.onEntry?.(e, i);
            if (message === undefined || e.actor !== actor || e.k !== OpKind.NOTIFY || e.t !== event) return message;
            if (!seen.has(ctx.trace)) seen.set(ctx.trace, `step ${e.step}: ${message}`);
            return undefined;
          },
          atQuiescence: inner.atQuiescence && (() => inner.atQuiescence!()),
          key: inner.key && (() => inner.key!()),
        };
      },
    };
  };
  return {
    invariants: (instance) => instance.invariants.map((inv) => (inv.name === RULE ? relax(inv, instance) : inv)),
    advisory: { rule, text, scan: (_instance, trace) => seen.get(trace) },
  };
}
