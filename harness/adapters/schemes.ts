/**
 * What a third-party implementation of each role of each scheme must export, and the synchronous
 * scenario that calls its entry points where the reference actor calls the reference protocol's
 * steps. The adapter writes the oracles' notes (ghost annotations) around the calls, at the points
 * the reference writes them, so that the model's invariants judge third-party code unchanged.
 * docs/third-party.md is the user's documentation of these interfaces.
 */
import { UsageError, type Invariant, type ModelInstance, type TraceEntry } from '../core/model.ts';
import { OpKind, type Op, type Program } from '../core/ops.ts';
import { deviceWord, driverWord } from '../../models/config-gencount/layout.ts';
import { configWord } from '../../models/config-legacy/layout.ts';
import { writeMarks, type Marks, type WriteMarks } from './gencount-marks.ts';
import { syncPort, type BlockingBody, type RawPort, type SyncPort } from './blocking-port.ts';
import { v86VringSplitDevice } from './v86/scheme.ts';
import { driverRole, PACKED, SPLIT, VRING_DEVICE } from './vring/roles.ts';
import { transportMsgDevice } from './msg/transport-device.ts';
import { configMsgDriver } from './msg/config-driver.ts';
import { transportMsgDriver } from './msg/transport-driver.ts';

export type Role = 'driver' | 'device';
export const ROLES: readonly Role[] = ['driver', 'device'];

/** A SHOULD rule checked over the explored executions: a finding that is not a violation. */
export interface Advisory {
  readonly rule: string;
  readonly text: string;
  /** Returns a one-line description of the first occurrence in this trace, or undefined. */
  scan(instance: ModelInstance, trace: readonly TraceEntry[], actor: number): string | undefined;
}

export interface RoleSpec {
  /** Entry points the module must export (as functions). */
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** The synchronous scenario of the role, over the module's entry points (code that uses the port). */
  readonly body?: (instance: ModelInstance, impl: Record<string, unknown>) => BlockingBody;
  /**
   * Instead of `body`, for modules whose objects never touch shared memory (sans-IO state
   * machines): a yielding actor that calls them between its own operations (harness/adapters/msg).
   */
  readonly program?: (instance: ModelInstance, impl: Record<string, unknown>) => Program;
  readonly advisories: readonly Advisory[];
  /** The scheme's invariants that do not concern this role (reported as not applicable). */
  readonly notApplicable?: readonly string[];
  /**
   * Other actors that run the module's code too, by actor name (config-legacy: a driver's read of
   * the generation traps into the device's handler, which runs in the driver's actor).
   */
  readonly others?: Readonly<Record<string, (instance: ModelInstance, impl: Record<string, unknown>) => BlockingBody>>;
  /**
   * When a role has several specs (vring-split's device: v86 or any module), the implementations
   * this one is for, by module URL; the spec without it takes the rest.
   */
  readonly accepts?: (implUrl: string) => boolean;
  /** The invariants judging this role, when they differ from the model's (a MUST/SHOULD split). */
  readonly invariants?: (instance: ModelInstance) => readonly Invariant[];
}

export interface SchemeSpec {
  readonly scheme: string;
  readonly roles: Readonly<Partial<Record<Role, RoleSpec | readonly RoleSpec[]>>>;
}

type Fn = (...args: unknown[]) => unknown;

function words(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new TypeError(`${what} must return an array of ${n} numbers, not ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  return v.map((x) => x >>> 0);
}

// ---- config-gencount ----

function gencount(instance: ModelInstance) {
  const f = (n: string) => instance.layout.field(n).id;
  const note = (n: string) => instance.notes.find((x) => x.name === n)!.id;
  const data = instance.layout.fields.filter((x) => x.name.startsWith('config.data[')).map((x) => x.id);
  const drv = instance.layout.fields.filter((x) => x.name.startsWith('config.drv[')).map((x) => x.id);
  return {
    gen: f('config.gen'), devChanged: f('config.dev_changed'), drvChanged: f('config.drv_changed'), data, drv,
    irq: instance.events.find((e) => e.name === 'config-irq')!.id,
    doorbell: instance.events.find((e) => e.name === 'config-doorbell')!.id,
    note: {
      readBegin: note('read-begin'), readAccept: note('read-accept'), updateBegin: note('update-begin'), updateEnd: note('update-end'),
      writeBegin: note('write-begin'), writeEnd: note('write-end'), applyBegin: note('apply-begin'), apply: note('apply'),
    },
  };
}

const gencountDriver: RoleSpec = {
  required: ['readConfig', 'writeConfig'],
  optional: ['handleConfigChange'],
  advisories: [],
  body(instance, impl) {
    const g = gencount(instance);
    const params = instance.params;
    return (raw: RawPort) => {
      let writing: { words: number[]; marks: WriteMarks } | undefined;
      const mark = (m: Marks, w: number[]) => {
        if (m.begin) raw.note(g.note.writeBegin, w);
        if (m.end) raw.note(g.note.writeEnd);
      };
      const hook = (o: Op) => { if (writing) mark(writing.marks.before(o), writing.words); };
      const port = syncPort(instance, raw, hook);
      const read = (): number[] => {
        raw.note(g.note.readBegin);
        const w = words((impl.readConfig as Fn)(port), g.data.length, 'readConfig');
        raw.note(g.note.readAccept, w);
        return w;
      };
      const write = (w: number[]) => {
        writing = { words: w, marks: writeMarks(g.drv, g.drvChanged) };
        (impl.writeConfig as Fn)(port, w);
        mark(writing.marks.rest(), w);
        writing = undefined;
      };
      const handle = () => {
        if (typeof impl.handleConfigChange === 'function') { (impl.handleConfigChange as Fn)(port, read); return; }
        port.store('config.dev_changed', 0);
        port.mb();
        read();
      };
      read();
      for (let w = 1; w <= params.writes; w++) write(g.drv.map((_, j) => driverWord(w, j)));
      for (let r = 0; r < params.reads; r++) read();
      for (;;) {
        raw.op({ k: OpKind.WAIT, t: g.irq, v: 1, w: 0 });
        handle();
      }
    };
  },
};

const gencountDevice: RoleSpec = {
  required: ['updateConfig', 'signalConfigChange', 'takeDriverWrite'],
  optional: [],
  advisories: [{
    rule: 'coalesce-config-irq',
    text: 'The device SHOULD raise config-irq only when it sets the config-change status bit from 0 to 1 (the bit coalesces notifications).',
    scan(instance, trace, actor) {
      const dev = instance.layout.field('config.dev_changed').id;
      const irq = instance.events.find((e) => e.name === 'config-irq')!.id;
      // The old value of the device's last exchange (or compare-and-swap) of the status bit.
      let old: number | undefined;
      for (const e of trace) {
        if (e.actor !== actor) continue;
        if ((e.k === OpKind.XCHG || e.k === OpKind.CAS) && e.t === dev) old = e.v;
        if (e.k === OpKind.NOTIFY && e.t === irq && old !== undefined && old !== 0) {
          return `step ${e.step}: config-irq raised although the status bit was already set`;
        }
      }
      return undefined;
    },
  }],
  body(instance, impl) {
    const g = gencount(instance);
    const params = instance.params;
    return (raw: RawPort) => {
      let taking = false;
      let applied = false;
      const loaded = new Map<number, number>();
      const hook = (o: Op) => {
        if (!taking || applied) return;
        if (o.t === g.drvChanged && o.k >= OpKind.STORE && o.k <= OpKind.CAS) {
          raw.note(g.note.apply, g.drv.map((id) => loaded.get(id) ?? 0));
          applied = true;
        }
      };
      const port: SyncPort = syncPort(instance, {
        op: (o) => {
          const v = raw.op(o);
          if (taking && o.k === OpKind.LOAD && g.drv.includes(o.t)) loaded.set(o.t, v);
          return v;
        },
        note: raw.note,
      }, hook);
      const take = () => {
        raw.note(g.note.applyBegin);
        taking = true; applied = false; loaded.clear();
        const r = (impl.takeDriverWrite as Fn)(port);
        if (!applied) raw.note(g.note.apply, words(r, g.drv.length, 'takeDriverWrite'));
        taking = false;
      };
      for (let k = 1; k <= params.updates; k++) {
        if (raw.op({ k: OpKind.POLL, t: g.doorbell, v: 0, w: 0 })) take();
        const w = g.data.map((_, i) => deviceWord(k, i));
        raw.note(g.note.updateBegin, w);
        (impl.updateConfig as Fn)(port, w);
        raw.note(g.note.updateEnd);
        (impl.signalConfigChange as Fn)(port);
      }
      for (;;) {
        raw.op({ k: OpKind.WAIT, t: g.doorbell, v: 1, w: 0 });
        take();
      }
    };
  },
};

// ---- config-legacy (trap-and-emulate) ----

function legacy(instance: ModelInstance) {
  const note = (n: string) => instance.notes.find((x) => x.name === n)!.id;
  return {
    gen: instance.layout.field('common.config_generation').id,
    dirty: instance.layout.field('device.config_dirty').id,
    data: instance.layout.fields.filter((x) => x.name.startsWith('config.data[')).map((x) => x.id),
    note: { readBegin: note('read-begin'), readAccept: note('read-accept'), updateBegin: note('update-begin'), updateEnd: note('update-end') },
  };
}

const ATOMIC_BEGIN: Op = { k: OpKind.ATOMIC_BEGIN, t: 0, v: 0, w: 0 };
const ATOMIC_END: Op = { k: OpKind.ATOMIC_END, t: 0, v: 0, w: 0 };

/**
 * A port whose load of config_generation traps: the device's handler runs inside the access, as
 * one atomic section (trap-and-emulate), and its result is what the load returns.
 */
function trappingPort(instance: ModelInstance, raw: RawPort, handler: (port: SyncPort) => number): SyncPort {
  const l = legacy(instance);
  let inTrap = false;
  let port: SyncPort;
  const trapping: RawPort = {
    note: raw.note,
    op: (o) => {
      if (inTrap || o.k !== OpKind.LOAD || o.t !== l.gen) return raw.op(o);
      raw.op(ATOMIC_BEGIN);
      inTrap = true;
      try {
        const v = handler(port);
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`onGenerationRead must return the generation (a number), not ${String(v)}`);
        return v & 0xff;
      } finally {
        inTrap = false;
        raw.op(ATOMIC_END);
      }
    },
  };
  port = syncPort(instance, trapping);
  return port;
}

/** The reference device's trap handler (models/config-legacy/device.ts onGenerationRead), synchronously. */
function referenceGenerationRead(instance: ModelInstance): (port: SyncPort) => number {
  const gen = instance.layout.fields[legacy(instance).gen].name;
  const dirty = instance.layout.fields[legacy(instance).dirty].name;
  return (port) => {
    if (port.load(dirty) !== 0) {
      port.store(gen, (port.load(gen) + 1) & 0xff);
      port.store(dirty, 0);
    }
    return port.load(gen);
  };
}

/** The reference driver's reads (Linux __virtio_cread_many) over a trapping port. */
function legacyReferenceDriver(instance: ModelInstance, handler: (port: SyncPort) => number): BlockingBody {
  const l = legacy(instance);
  const gen = instance.layout.fields[l.gen].name;
  const data = l.data.map((id) => instance.layout.fields[id].name);
  return (raw) => {
    const port = trappingPort(instance, raw, handler);
    for (let r = 0; r < instance.params.reads; r++) {
      raw.note(l.note.readBegin);
      let before = port.load(gen);
      let words: number[];
      for (;;) {
        words = data.map((f) => port.load(f));
        const after = port.load(gen);
        if (after === before) break;
        before = after;
      }
      raw.note(l.note.readAccept, words);
    }
  };
}

const legacyDriver: RoleSpec = {
  required: ['readConfig'],
  optional: [],
  advisories: [],
  body(instance, impl) {
    const l = legacy(instance);
    const handler = referenceGenerationRead(instance);
    return (raw) => {
      const port = trappingPort(instance, raw, handler);
      for (let r = 0; r < instance.params.reads; r++) {
        raw.note(l.note.readBegin);
        const w = words((impl.readConfig as Fn)(port), l.data.length, 'readConfig');
        raw.note(l.note.readAccept, w);
      }
    };
  },
};

const legacyDevice: RoleSpec = {
  required: ['changeConfig', 'onGenerationRead'],
  optional: [],
  advisories: [],
  body(instance, impl) {
    const l = legacy(instance);
    return (raw) => {
      const port = syncPort(instance, raw);
      for (let k = 1; k <= instance.params.updates; k++) {
        const w = l.data.map((_, i) => configWord(k, i));
        // A change runs under the device lock: the driver's trapped accesses cannot interleave.
        raw.op(ATOMIC_BEGIN);
        raw.note(l.note.updateBegin, w);
        (impl.changeConfig as Fn)(port, w);
        raw.note(l.note.updateEnd);
        raw.op(ATOMIC_END);
      }
    };
  },
  others: {
    driver: (instance, impl) => legacyReferenceDriver(instance, (port) => (impl.onGenerationRead as Fn)(port) as number),
  },
};

export const SCHEMES: readonly SchemeSpec[] = [
  { scheme: 'config-gencount', roles: { driver: gencountDriver, device: gencountDevice } },
  { scheme: 'config-legacy', roles: { driver: legacyDriver, device: legacyDevice } },
  { scheme: 'vring-split', roles: { driver: driverRole(SPLIT), device: [v86VringSplitDevice, VRING_DEVICE] } },
  { scheme: 'vring-packed', roles: { driver: driverRole(PACKED), device: VRING_DEVICE } },
  { scheme: 'config-msg', roles: { driver: configMsgDriver } },
  { scheme: 'transport-msg', roles: { driver: transportMsgDriver, device: transportMsgDevice } },
];

export function schemeSpec(scheme: string): SchemeSpec {
  const s = SCHEMES.find((x) => x.scheme === scheme);
  if (!s) throw new UsageError(`validate does not support scheme ${scheme} yet (supported: ${SCHEMES.map((x) => x.scheme).join(', ')})`);
  return s;
}

/** The spec of a role; with `implUrl`, the one for that implementation (see RoleSpec.accepts). */
export function roleSpec(scheme: string, role: string, implUrl?: string): RoleSpec {
  const s = schemeSpec(scheme);
  const r = s.roles[role as Role];
  if (!r) throw new UsageError(`scheme ${scheme} has no third-party role ${role} (roles: ${Object.keys(s.roles).join(', ')})`);
  const specs: readonly RoleSpec[] = Array.isArray(r) ? r : [r as RoleSpec];
  return specs.find((x) => implUrl === undefined || (x.accepts?.(implUrl) ?? true)) ?? specs[specs.length - 1];
}

/** Checks a module's exports against the role; returns the problems (empty when it fits). */
export function missingExports(spec: RoleSpec, mod: Record<string, unknown>): string[] {
  return spec.required.filter((n) => typeof mod[n] !== 'function')
    .concat(spec.optional.filter((n) => mod[n] !== undefined && typeof mod[n] !== 'function'));
}
