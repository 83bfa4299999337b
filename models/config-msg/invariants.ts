/** What config-msg must guarantee, stated without reference to how the protocol achieves it. */
import { actorName, hex } from '../../harness/core/describe.ts';
import type { Invariant, OracleContext, Params } from '../../harness/core/model.ts';
import { OpKind } from '../../harness/core/ops.ts';
import { oneResponsePerRequest } from '../../harness/msg/oracles.ts';
import { registerInvariant } from '../../harness/oracle/register-oracle.ts';
import { sameValues } from '../../harness/oracle/version-history.ts';
import { deviceWord, MSG_NOTES, NOTES } from './layout.ts';

export function initialConfig(params: Params): number[] {
  return Array.from({ length: params.configBytes / 4 }, (_, i) => deviceWord(0, i));
}

const initial = (ctx: OracleContext) => initialConfig(ctx.instance.params);
const word = (_: OracleContext, i: number) => `config word ${i} (offset ${4 * i})`;
const stepOf = (ctx: OracleContext, i: number) => (i < 0 ? 'the start' : `step ${ctx.trace[i]?.step ?? ctx.trace.length}`);

/**
 * No lost update: every driver write the device applies was computed from the value it replaces.
 * A write computed from an older value erases the changes made since without anyone having seen
 * them, and the final config then equals no serial order of the read-modify-writes (bug zoo B24).
 */
const noLostUpdate: Invariant = {
  name: 'no-lost-update',
  kind: 'safety',
  protects: 'Every driver write the device applies was computed from the value it replaces, so no config change of either side is overwritten unseen: the result equals some serial order of the changes.',
  observe(ctx) {
    let current = initial(ctx);
    /** For each word: where and by whom its current value was written. */
    let writtenBy: { at: number; what: string }[] = current.map(() => ({ at: -1, what: 'the initial config' }));
    const intents: { at: number; actor: number; offset: number; values: number[]; seen: number[] }[] = [];
    let applying: { at: number; offset: number; words: number[] } | undefined;
    return {
      onEntry(e, i) {
        if (e.k !== OpKind.NOTE) return undefined;
        const data = e.data ?? [];
        if (e.t === NOTES['write-intent'].id) {
          const n = (data.length - 1) / 2;
          intents.push({ at: i, actor: e.actor, offset: data[0], values: data.slice(1, 1 + n), seen: data.slice(1 + n) });
        } else if (e.t === NOTES['config-begin'].id) {
          const next = [...data];
          writtenBy = next.map((w, k) => (w === current[k] ? writtenBy[k]
            : { at: i, what: applying ? `the driver's write applied at ${stepOf(ctx, applying.at)}` : `the device's own change at ${stepOf(ctx, i)}` }));
          current = next;
          applying = undefined;
        } else if (e.t === NOTES['write-applied'].id) {
          const offset = data[0];
          const words = data.slice(1);
          applying = { at: i, offset, words };
          const intent = [...intents].reverse().find((x) => x.offset === offset && sameValues(x.values, words));
          const who = actorName(ctx.instance, e.actor);
          const range = words.map((_, k) => `word ${offset + k}`).join(', ');
          if (!intent) return `${who} applied [${words.map(hex).join(' ')}] to ${range} at ${stepOf(ctx, i)}, a value the driver never decided to write.`;
          const before = current.slice(offset, offset + words.length);
          if (sameValues(before, intent.seen)) return undefined;
          const lost = before.map((w, k) => `${hex(w)}, written by ${writtenBy[offset + k].what}`).join('; ');
          return `${who} applied the driver's write of ${range} = [${words.map(hex).join(' ')}] at ${stepOf(ctx, i)}. `
            + `${actorName(ctx.instance, intent.actor)} computed it at ${stepOf(ctx, intent.at)} from [${intent.seen.map(hex).join(' ')}], but the config held [${lost}] by then: `
            + 'that change had not reached the driver when it decided, and the write erased it (a lost update: the result equals no serial order of the two changes).';
        }
        return undefined;
      },
    };
  },
};

/**
 * A read may give up (the 2026 Linux driver marks the device failed after `restartBudget` restarts),
 * but only when the config did not stand still: more changes during the read than restarts allowed.
 * Giving up then is the explicit error the digest's invariant 3 permits (availability is lost to a
 * device that never stops changing, no torn data is accepted); giving up earlier fails a healthy
 * device.
 */
const failedOnlyUnderChurn: Invariant = {
  name: 'failed-only-under-churn',
  kind: 'safety',
  protects: 'The driver marks the device failed only after a read during which the device changed its config more often than the restart budget allows; a read of a config that stood still long enough always completes.',
  observe(ctx) {
    let changes = 0;
    let readAt = -1;
    return {
      onEntry(e, i) {
        if (e.k !== OpKind.NOTE) return undefined;
        if (e.t === NOTES['read-begin'].id) {
          changes = 0;
          readAt = i;
        } else if (e.t === NOTES['config-begin'].id) {
          changes++;
        } else if (e.t === NOTES['device-failed'].id) {
          const budget = ctx.instance.params.restartBudget;
          if (changes > budget) return undefined;
          return `${actorName(ctx.instance, e.actor)} marked the device failed at ${stepOf(ctx, i)} after ${e.data?.[0] ?? 0} restart(s) of the read begun at ${stepOf(ctx, readAt)}, `
            + `but the device changed its config only ${changes} time(s) during that read: with a budget of ${budget} restarts a read that sees ${budget} or fewer changes must complete.`;
        }
        return undefined;
      },
    };
  },
};

/** The device's config as a value with one writer (changes and applied writes), read by the driver. */
const deviceConfig = {
  what: "the device's config",
  updateBegin: NOTES['config-begin'],
  updateEnd: NOTES['config-end'],
  readBegin: NOTES['read-begin'],
  initial,
  word,
} as const;

export const invariants: readonly Invariant[] = [
  registerInvariant({
    ...deviceConfig,
    name: 'config-snapshot',
    kind: 'safety',
    protects: "Every config the driver accepts from a read equals the device's config at one instant of the read (no chunks assembled from two versions).",
    readAccept: NOTES['read-accept'],
    checkTorn: true,
    checkConvergence: false,
  }),
  noLostUpdate,
  oneResponsePerRequest(MSG_NOTES),
  failedOnlyUnderChurn,
  registerInvariant({
    ...deviceConfig,
    name: 'copies-converge',
    kind: 'liveness',
    protects: "Once nothing can run, the driver's copy of the config equals the device's config: every change of either side reached the other.",
    readAccept: NOTES.copy,
    checkTorn: false,
    checkConvergence: true,
    convergenceHint: "the driver's copy is stale and nothing in flight will update it",
  }),
];
