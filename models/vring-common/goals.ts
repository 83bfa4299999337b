/**
 * Coverage goals of both virtqueue formats: the situations a meaningful run reaches. They are
 * read from the memory operations of the driver and the device (and their notifications), not from
 * the scenario's notes, so they hold for third-party code under validate as for the reference.
 *
 * One walk over the finished execution's trace, per side: what the side last read or wrote of
 * each field, whether it published since its last notification decision, whether a decision is
 * open (read, no notification yet), and whether it has just re-enabled notifications.
 */
import type { CoverageGoal, CoverageGoals, GoalContext, Params } from '../../harness/core/model.ts';
import { OpKind } from '../../harness/core/ops.ts';
import { EVENTS } from './scenario.ts';

export type Side = 'driver' | 'device';

/** How a format's fields play the parts the goals talk about. */
export interface RingShape {
  /** The goal a crossing of the ring's end reaches, and its test on a store (prev: what the side knew of the field). */
  readonly wrapGoal: CoverageGoal;
  wraps(side: Side, field: string, v: number, prev: number): boolean;
  /** A store that makes entries visible to the peer (an index, a descriptor's flags). */
  publishes(side: Side, field: string): boolean;
  /** The field the producer reads to decide whether to notify. */
  decisionField(side: Side, params: Params): string;
  /** A consumer's write of its suppression state: 'off', 'on' (re-enabled), or not one. `seen` is what the side last knew of a field. */
  control(side: Side, field: string, v: number, seen: (f: string) => number): 'off' | 'on' | undefined;
  /** Fields a consumer's re-check reads to find new entries. */
  work(side: Side, field: string): boolean;
  /** A store of a descriptor that links to the next one. */
  chains(side: Side, field: string, v: number): boolean;
  /** The field's value at the start of an execution. */
  initial(field: string, params: Params): number;
}

const COMMON: readonly CoverageGoal[] = [
  { name: 'notification-sent', description: 'A producer sent a notification (a kick or a used-buffer interrupt) for entries it published.' },
  { name: 'notification-suppressed', description: "A producer published entries, read the peer's suppression state, and sent no notification for them (the peer had suppressed it)." },
  { name: 'suppression-toggled', description: 'A consumer turned notifications off and later on again (flags, or its event index moved away and back to where it is).' },
  { name: 'recheck-found-work', description: 'A consumer re-enabled notifications, re-checked the ring, and found new entries (the re-check taken rather than going to sleep).' },
  { name: 'chain', description: 'The driver made a chain of more than one descriptor available (NEXT set).', applies: (p) => Math.max(p.chainLength ?? 1, Math.min(p.lastChainLength ?? 1, p.indirect ? 4 : p.queueSize ?? 1)) > 1 },
];

interface SideState {
  readonly seen: Map<string, number>;
  published: boolean;
  /** The side read the suppression state after publishing and has not notified since. */
  open: boolean;
  disabled: boolean;
  /** Re-enabled; the next read of a work field is the re-check. */
  armed: boolean;
}

export function vringGoals(shape: RingShape): CoverageGoals {
  return {
    list: [shape.wrapGoal, ...COMMON],
    reached: (ctx) => scan(ctx, shape),
  };
}

function scan({ instance, trace }: GoalContext, shape: RingShape): Set<string> {
  const reached = new Set<string>();
  const { params, layout } = instance;
  const sideOf = (a: number): Side | undefined => {
    const name = instance.actors[a]?.name;
    return name === 'driver' || name === 'device' ? name : undefined;
  };
  const fresh = (): SideState => ({ seen: new Map(), published: false, open: false, disabled: false, armed: false });
  const st: Record<Side, SideState> = { driver: fresh(), device: fresh() };
  const eventOf: Record<Side, number> = { driver: EVENTS.kick.id, device: EVENTS['used-irq'].id };
  const decision: Record<Side, string> = { driver: shape.decisionField('driver', params), device: shape.decisionField('device', params) };
  const close = (s: SideState) => { if (s.open) reached.add('notification-suppressed'); s.open = false; };
  for (const e of trace) {
    const side = sideOf(e.actor);
    if (!side) continue;
    const s = st[side];
    if (e.k === OpKind.NOTIFY) {
      if (e.t === eventOf[side]) { reached.add('notification-sent'); s.open = false; s.published = false; }
      continue;
    }
    if (e.k === OpKind.WAIT) { close(s); continue; }
    if (e.k !== OpKind.LOAD && e.k !== OpKind.STORE) continue;
    const field = layout.fields[e.t]?.name;
    if (field === undefined) continue;
    const seen = (f: string) => s.seen.get(f) ?? shape.initial(f, params);
    if (e.k === OpKind.STORE) {
      if (shape.wraps(side, field, e.v, seen(field))) reached.add(shape.wrapGoal.name);
      if (shape.chains(side, field, e.v)) reached.add('chain');
      if (shape.publishes(side, field)) s.published = true;
      const c = shape.control(side, field, e.v, seen);
      if (c === 'off') s.disabled = true;
      if (c === 'on') {
        if (s.disabled) reached.add('suppression-toggled');
        s.disabled = false;
        s.armed = true;
      }
    } else {
      if (field === decision[side]) {
        close(s);
        s.open = s.published;
        s.published = false;
      }
      if (s.armed && shape.work(side, field)) {
        s.armed = false;
        if (e.v !== seen(field)) reached.add('recheck-found-work');
      }
    }
    s.seen.set(field, e.v);
  }
  close(st.driver);
  close(st.device);
  return reached;
}
