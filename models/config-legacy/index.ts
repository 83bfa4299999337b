/**
 * config-legacy: the virtio-pci 8-bit generation counter under trap-and-emulate, the baseline the
 * shared-memory designs are measured against. The device makes `updates` changes; the driver makes
 * `reads` reads of the whole config.
 */
import { defineModel, type Variant } from '../../harness/core/define-model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { registerInvariant } from '../../harness/oracle/register-oracle.ts';
import { changeConfig, onGenerationRead } from './device.ts';
import { readAndAccept } from './driver.ts';
import { configWord, legacyConfig, NOTES, type LegacyConfig } from './layout.ts';

export interface LegacyProtocol {
  readonly changeConfig: (c: LegacyConfig, words: readonly number[]) => Program;
  readonly onGenerationRead: (c: LegacyConfig) => Program<number>;
}

/** Bumps the 8-bit generation on every change: 256 changes between two driver reads alias (B23). */
function* changeConfigBumpPerChange(c: LegacyConfig, words: readonly number[]): Program {
  yield p.atomicBegin();
  yield p.note(NOTES['update-begin'], ...words);
  for (let i = 0; i < c.data.length; i++) yield p.store(c.data[i], words[i]);
  const gen = yield p.load(c.gen);
  yield p.store(c.gen, (gen + 1) & 0xff);
  yield p.note(NOTES['update-end']);
  yield p.atomicEnd();
}

/** The generation never moves (cloud-hypervisor before PR 8185): any change during a read is accepted torn. */
function* changeConfigNeverBump(c: LegacyConfig, words: readonly number[]): Program {
  yield p.atomicBegin();
  yield p.note(NOTES['update-begin'], ...words);
  for (let i = 0; i < c.data.length; i++) yield p.store(c.data[i], words[i]);
  yield p.note(NOTES['update-end']);
  yield p.atomicEnd();
}

function* generationReadPlain(c: LegacyConfig): Program<number> {
  return yield p.load(c.gen);
}

const variants: readonly Variant<LegacyProtocol>[] = [
  {
    name: 'reference',
    description: "The spec's rule for the 8-bit counter: a change marks the config dirty, and the driver's next read of config_generation bumps it once and clears the mark, so 256 changes cannot alias.",
    expect: { verdict: 'passed' },
  },
  {
    name: 'bump-per-change',
    description: 'The device bumps config_generation on every change. 256 changes between the two generation reads of one driver read bring it back to the same value (ABA), and the torn u64 is accepted.',
    expect: { verdict: 'violated', invariant: 'no-torn-read' },
    recreates: 'bug zoo B23 (8-bit aliasing); virtio spec, PCI common config: the note on increment-per-change',
    override: { changeConfig: changeConfigBumpPerChange, onGenerationRead: generationReadPlain },
  },
  {
    name: 'never-bump',
    description: 'Config changes raise nothing in config_generation, so the read-twice loop cannot see a change between the two halves.',
    expect: { verdict: 'violated', invariant: 'no-torn-read' },
    recreates: 'bug zoo B23 (cloud-hypervisor PR 8185: generation never bumped on runtime config changes)',
    override: { changeConfig: changeConfigNeverBump, onGenerationRead: generationReadPlain },
  },
];

const dataWords = (c: { instance: { layout: { fields: readonly { name: string; id: number }[] } } }) =>
  c.instance.layout.fields.filter((f) => f.name.startsWith('config.data['));

function* driver(proto: LegacyProtocol, c: LegacyConfig): Program {
  for (let r = 0; r < c.params.reads; r++) yield* readAndAccept(c, proto.onGenerationRead);
}

function* device(proto: LegacyProtocol, c: LegacyConfig): Program {
  for (let k = 1; k <= c.params.updates; k++) yield* proto.changeConfig(c, c.data.map((_, i) => configWord(k, i)));
}

export const configLegacy = defineModel<LegacyProtocol, LegacyConfig>({
  name: 'config-legacy',
  summary: 'Baseline: virtio-pci 8-bit config_generation under trap-and-emulate (every driver access traps into the device model).',
  guarantees: [
    'Guaranteed with the spec rule (dirty mark, bump on the next generation read): no torn read, however many changes land between two generation reads.',
    'Relies on trapping: each driver access is serialised with device changes and a generation read runs device code. Shared-memory transports have neither, which is why config-gencount exists.',
  ],
  params: [
    { name: 'configBytes', default: 8, min: 8, max: 64, multipleOf: 4, description: 'bytes of config (default: one u64 read as two 32-bit halves)' },
    { name: 'updates', default: 256, min: 0, max: 2048, description: 'config changes the device makes (256 reach the 8-bit wrap)' },
    { name: 'reads', default: 1, min: 0, max: 16, description: 'whole-config reads the driver makes' },
  ],
  events: [],
  notes: Object.values(NOTES),
  reference: { changeConfig, onGenerationRead },
  variants,
  invariants: [
    registerInvariant({
      name: 'no-torn-read',
      kind: 'safety',
      protects: 'Every config value the driver accepts equals the device config at one instant of the read (the halves of a u64 come from one version).',
      what: "the device's config",
      updateBegin: NOTES['update-begin'], updateEnd: NOTES['update-end'],
      readBegin: NOTES['read-begin'], readAccept: NOTES['read-accept'],
      initial: (ctx) => dataWords(ctx).map((f) => ctx.state.read(f.id)),
      word: (ctx, i) => dataWords(ctx)[i]?.name ?? `word ${i}`,
      checkTorn: true,
      checkConvergence: false,
    }),
  ],
  // Atomic sections leave branch points only between whole changes, so one preemption already
  // covers "the device makes all its changes inside one driver read" at every point of the read.
  defaultPreemptions: 1,
  // Every access is a trapped atomic section, which conflicts with everything: the reduced search
  // runs the same 260 executions as the plain one at the default bound, at twice the cost.
  reduction: false,
  maxSteps: (q) => 1000 + 10 * q.updates * (q.configBytes / 4 + 6) + 100 * q.reads * (q.configBytes / 4 + 8) * (q.updates + 1),
  build(params) {
    const c = legacyConfig(params);
    return { layout: c.layout, ctx: c, init: (state) => c.data.forEach((f, i) => state.write(f, configWord(0, i))) };
  },
  actors: (proto, c) => [
    { name: 'driver', program: () => driver(proto, c) },
    { name: 'device', program: () => device(proto, c) },
  ],
});
