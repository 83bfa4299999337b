/**
 * What a C implementation of each role exports, and the protocol steps of the model it replaces
 * (examples/c/virtio_verify.h is the C side, docs/third-party.md the user's documentation).
 *
 * A role replaces protocol steps, not the scenario: the model's own driver or device scenario
 * calls the C entry points where it calls the reference steps, so the scenario's ghost notes are
 * written as for the reference and the model's invariants judge the C code unchanged. Notes a
 * replaced step would have written itself (config-gencount's write-begin/write-end) are derived
 * from the C code's accesses (`notes`).
 */
import { port as p, type Op, type Program } from '../../core/ops.ts';
import { writeMarks, type Marks } from '../gencount-marks.ts';
import type { ModelInstance } from '../../core/model.ts';
import { NOTES as GENCOUNT_NOTES, type ConfigSpace } from '../../../models/config-gencount/layout.ts';
import { RESPONSE_BYTES } from '../../../models/vring-common/scenario.ts';
import { WINDOW_BASE, type GatedInstance } from './gated-instance.ts';

/** The actor's instance for the current execution (made fresh by the model wrapper, model.ts). */
export interface Current {
  get(): Program<GatedInstance>;
}

/** Notes to emit before an operation, from what the C code is doing (the role's ghost annotations). */
export type NoteHook = (op: Op) => readonly Op[];

export interface WasmRole {
  readonly scheme: string;
  readonly role: 'driver' | 'device';
  /** Exports the module must have (besides memory and the Asyncify exports). */
  readonly exports: readonly string[];
  /** Once per execution, on a fresh instance, before any step. */
  setup(g: GatedInstance, instance: ModelInstance): Program;
  /** The protocol steps it replaces, over the current instance. */
  steps(current: Current, hooks: HookSlot): object;
}

/** Where a step arms the note hook for the accesses of one call. */
export interface HookSlot {
  hook: NoteHook | undefined;
}

// ---- config-gencount, driver ----

const gencountDriver: WasmRole = {
  scheme: 'config-gencount',
  role: 'driver',
  exports: ['vv_words', 'gencount_setup', 'read_config', 'write_config'],
  *setup(g, instance) {
    yield* g.call('gencount_setup', [instance.params.configBytes / 4, instance.params.driverBytes / 4]);
  },
  steps(current, hooks) {
    const buffer = (g: GatedInstance) => Number((g.exports.vv_words as () => number)()) >>> 0;
    return {
      *readConfig(c: ConfigSpace): Program<number[]> {
        const g = yield* current.get();
        yield* g.call('read_config', []);
        return g.words(buffer(g), c.data.length);
      },
      *writeConfig(c: ConfigSpace, words: readonly number[]): Program {
        const g = yield* current.get();
        g.writeWords(buffer(g), words);
        const marks = writeMarks(c.drv.map((f) => f.id), c.drvChanged.id);
        const notes = (m: Marks): Op[] => [
          ...(m.begin ? [p.note(GENCOUNT_NOTES['write-begin'], ...words)] : []),
          ...(m.end ? [p.note(GENCOUNT_NOTES['write-end'])] : []),
        ];
        hooks.hook = (op) => notes(marks.before(op));
        try {
          yield* g.call('write_config', []);
        } finally {
          hooks.hook = undefined;
        }
        for (const n of notes(marks.rest())) yield n;
      },
    };
  },
};

// ---- vring-split, device ----

const VIRTIO_RING_F_INDIRECT_DESC = 28;
const VIRTIO_RING_F_EVENT_IDX = 29;

const splitDevice: WasmRole = {
  scheme: 'vring-split',
  role: 'device',
  exports: ['vq_setup', 'vq_pop_avail', 'vq_serve', 'vq_push_used', 'vq_should_notify', 'vq_disable_kicks', 'vq_enable_kicks'],
  *setup(g, instance) {
    const q = instance.params;
    const at = (name: string) => WINDOW_BASE + instance.layout.field(name).offset;
    const features = (q.eventIdx ? 2 ** VIRTIO_RING_F_EVENT_IDX : 0) + (q.indirect ? 2 ** VIRTIO_RING_F_INDIRECT_DESC : 0);
    // What the device learns from the transport: queue size, the three ring addresses, the features, and where the indices start.
    yield* g.call('vq_setup', [q.queueSize, at('desc[0].addr'), at('avail.flags'), at('used.flags'), features, q.startIndex]);
  },
  steps(current) {
    const call = function* (name: string, args: readonly number[] = []): Program<number> {
      const g = yield* current.get();
      return yield* g.call(name, args);
    };
    return {
      *popAvail(): Program<number | undefined> {
        const head = (yield* call('vq_pop_avail')) | 0;
        return head < 0 ? undefined : head;
      },
      *serve(_x: unknown, head: number): Program<number> { return (yield* call('vq_serve', [head, RESPONSE_BYTES])) >>> 0; },
      *pushUsed(_x: unknown, head: number, len: number): Program { yield* call('vq_push_used', [head, len]); },
      *shouldNotify(): Program<boolean> { return (yield* call('vq_should_notify')) !== 0; },
      *disableKicks(): Program { yield* call('vq_disable_kicks'); },
      *enableKicks(): Program<boolean> { return (yield* call('vq_enable_kicks')) !== 0; },
    };
  },
};

export const WASM_ROLES: readonly WasmRole[] = [gencountDriver, splitDevice];

export function wasmRole(scheme: string, role: string): WasmRole | undefined {
  return WASM_ROLES.find((r) => r.scheme === scheme && r.role === role);
}

export function wasmRoleNames(): string {
  return WASM_ROLES.map((r) => `${r.scheme} ${r.role}`).join(', ');
}
