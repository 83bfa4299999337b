/** What design 1 must guarantee, stated without reference to how the protocol achieves it. */
import type { Invariant, OracleContext } from '../../harness/core/model.ts';
import { registerInvariant } from '../../harness/oracle/register-oracle.ts';
import { NOTES } from './layout.ts';

const dataWords = (ctx: OracleContext) => ctx.instance.layout.fields.filter((f) => f.name.startsWith('config.data['));
const drvWords = (ctx: OracleContext) => ctx.instance.layout.fields.filter((f) => f.name.startsWith('config.drv['));

export const invariants: readonly Invariant[] = [
  registerInvariant({
    name: 'no-torn-read',
    kind: 'safety',
    protects: 'Every config value the driver accepts equals the device config at one instant between the start and the end of the read (no words mixed from two versions).',
    what: "the device's config",
    updateBegin: NOTES['update-begin'], updateEnd: NOTES['update-end'],
    readBegin: NOTES['read-begin'], readAccept: NOTES['read-accept'],
    initial: (ctx) => dataWords(ctx).map((f) => ctx.state.read(f)),
    word: (ctx, i) => dataWords(ctx)[i]?.name ?? `word ${i}`,
    checkTorn: true,
    checkConvergence: false,
  }),
  registerInvariant({
    name: 'no-lost-config-event',
    kind: 'liveness',
    protects: 'Every device config change reaches the driver: once nothing can run, the driver has accepted the latest device config.',
    what: "the device's config",
    updateBegin: NOTES['update-begin'], updateEnd: NOTES['update-end'],
    readBegin: NOTES['read-begin'], readAccept: NOTES['read-accept'],
    initial: (ctx) => dataWords(ctx).map((f) => ctx.state.read(f)),
    word: (ctx, i) => dataWords(ctx)[i]?.name ?? `word ${i}`,
    checkTorn: false,
    checkConvergence: true,
    convergenceHint: 'the driver sleeps on config-irq with a stale config, so the config-change notification was lost',
  }),
  registerInvariant({
    name: 'driver-write-intact',
    kind: 'safety',
    protects: "Every driver config write reaches the device whole: the device takes only values the driver wrote, never a mix of two writes, and ends with the driver's last write.",
    what: "the driver's fields",
    updateBegin: NOTES['write-begin'], updateEnd: NOTES['write-end'],
    readBegin: NOTES['apply-begin'], readAccept: NOTES.apply,
    initial: (ctx) => drvWords(ctx).map((f) => ctx.state.read(f)),
    word: (ctx, i) => drvWords(ctx)[i]?.name ?? `word ${i}`,
    checkTorn: true,
    checkConvergence: true,
    convergenceHint: "the device never took the driver's last write",
  }),
];
