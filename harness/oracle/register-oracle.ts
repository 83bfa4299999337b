/**
 * The config oracles, stated once for any model where one side publishes a multi-word value and the
 * other side reads it: the device's config read by the driver, the driver's fields read by the
 * device, a config copy sent in chunks.
 *
 * - torn: every value a reader accepts equals the writer's value at one instant of the read
 *   (version i is possibly current from the start of update i to the end of update i+1);
 * - convergence: once nothing can run, the reader's last accepted value is the writer's last one.
 *
 * The protocol under test reports, through notes, when updates and reads start and end and what
 * the reader accepted; the oracle never looks at how the protocol got there.
 */
import { actorName, hex } from '../core/describe.ts';
import type { Invariant, OracleContext, TraceEntry } from '../core/model.ts';
import { OpKind, type NoteRef } from '../core/ops.ts';
import { sameValues, VersionHistory, type Version } from './version-history.ts';
import { StoreVisibility } from './visibility.ts';

export interface RegisterSpec {
  readonly name: string;
  readonly protects: string;
  readonly kind: 'safety' | 'liveness';
  /** What the value is, for messages: "the device's config". */
  readonly what: string;
  readonly updateBegin: NoteRef;
  readonly updateEnd: NoteRef;
  readonly readBegin: NoteRef;
  readonly readAccept: NoteRef;
  readonly initial: (ctx: OracleContext) => readonly number[];
  readonly word: (ctx: OracleContext, i: number) => string;
  readonly checkTorn: boolean;
  readonly checkConvergence: boolean;
  /** Why a reader that ends with an old value is a violation, for the message. */
  readonly convergenceHint?: string;
}

export function registerInvariant(spec: RegisterSpec): Invariant {
  return {
    name: spec.name,
    protects: spec.protects,
    kind: spec.kind,
    // The read and update windows are judged by where these notes fall relative to each other.
    orders: [spec.updateBegin, spec.updateEnd, spec.readBegin, spec.readAccept],
    observe(ctx) {
      const history = new VersionHistory(spec.initial(ctx));
      const visibility = new StoreVisibility(ctx);
      const readStart = new Map<number, number>();
      let lastAccepted: { values: readonly number[]; at: number; actor: number } | undefined;
      const closed = new Set<number>();
      const step = (i: number) => (i < 0 ? 'the start' : `step ${ctx.trace[i]?.step ?? ctx.trace.length}`);
      const until = (v: Version) => {
        const next = history.versions[v.index + 1];
        if (!next) return 'current to the end';
        return next.end === undefined ? `possibly current while v${next.index} is being written` : `possibly current until ${step(next.end)}`;
      };

      return {
        onEntry(e: TraceEntry, i: number) {
          visibility.observe(e, i);
          if (e.k !== OpKind.NOTE) return undefined;
          if (e.t === spec.updateBegin.id) history.beginUpdate(e.data ?? [], i);
          // Under tso the update is over only when its stores have left the writer's store buffer.
          else if (e.t === spec.updateEnd.id) visibility.whenVisible(e.actor, i, (at) => history.endUpdate(at));
          else if (e.t === spec.readBegin.id) { readStart.set(e.actor, i); closed.delete(e.actor); }
          else if (e.t === spec.readAccept.id) {
            const values = e.data ?? [];
            lastAccepted = { values, at: i, actor: e.actor };
            closed.add(e.actor);
            const from = readStart.get(e.actor) ?? 0;
            if (!spec.checkTorn || history.match(values, from, i)) return undefined;
            const window = history.admissible(from, i);
            // A long read can overlap hundreds of versions; the first and last two tell the story.
            const shown = window.length > 5 ? [...window.slice(0, 2), undefined, ...window.slice(-2)] : window;
            return `${actorName(ctx.instance, e.actor)} accepted ${spec.what} [${values.map(hex).join(' ')}] at ${step(i)} (its read began at ${step(from)}), `
              + `but ${spec.what} never held that value during the read: a torn read. Word by word: ${history.explain(values, (w) => spec.word(ctx, w))}. `
              + `Possible values during the read: ${shown.map((v) => (v === undefined ? `... (${window.length} versions in all) ...` : `${history.describe(v)} (${v.begin < 0 ? 'initial' : `update began at ${step(v.begin)}`}, ${until(v)})`)).join('; ')}.`;
          }
          return undefined;
        },
        key() {
          // Versions and which have ended; for each open read, the oldest version it may still
          // accept (the reads' start positions matter only through that); the last value accepted.
          const ends = history.versions.map((v) => (v.end === undefined ? 0 : 1)).join('');
          const open = [...readStart].filter(([a]) => !closed.has(a)).sort((x, y) => x[0] - y[0]).map(([a, from]) => {
            const oldest = history.versions.find((v) => {
              const next = history.versions[v.index + 1];
              return next === undefined || next.end === undefined || next.end >= from;
            });
            return `${a}:${oldest?.index ?? -1}`;
          });
          return `${ends}|${open.join(',')}|${lastAccepted ? `${lastAccepted.actor}:${lastAccepted.values.join(',')}` : ''}|${visibility.key()}`;
        },
        atQuiescence() {
          if (!spec.checkConvergence) return undefined;
          const latest = history.latest;
          if (latest.index === 0 && !lastAccepted) return undefined;
          if (lastAccepted && sameValues(lastAccepted.values, latest.values)) return undefined;
          const seen = lastAccepted
            ? `${actorName(ctx.instance, lastAccepted.actor)} last accepted [${lastAccepted.values.map(hex).join(' ')}] at ${step(lastAccepted.at)}`
            : 'the reader never accepted any value';
          return `${spec.what} ended at ${history.describe(latest)} (update ${latest.end === undefined ? 'never completed' : `completed at ${step(latest.end)}`}), `
            + `but ${seen}, and no actor can run any more${spec.convergenceHint ? `: ${spec.convergenceHint}` : ''}.`;
        },
      };
    },
  };
}
