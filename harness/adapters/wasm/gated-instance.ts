/**
 * One instance of a gated C module (gate-pass.ts) as an actor of the model: its exports are called
 * as generators that yield one port operation per access to the shared window, so a C driver or
 * device runs on the inline engine (and in a threads-engine worker) like any protocol step.
 *
 * Memory map of an instance (examples/c/virtio_verify.h says the same to the C side):
 *   [0, WINDOW_BASE)                         the module's data, stack and heap: private, never scheduled
 *   [WINDOW_BASE, WINDOW_BASE + layout.size) the model's shared memory, laid out as the model's layout
 *   [ASYNCIFY_AT, ASYNCIFY_AT + ASYNCIFY_BYTES) Asyncify's save area for an unwound stack
 * The module imports this memory (shared, as --shared-memory links it, so that C11 atomics become
 * wasm atomics the gate can map to the model's read-modify-writes). Every instance gets a memory of
 * its own: its own stack, statics from their initial values, nothing left over from an earlier
 * execution. The window in it is a mirror: an access there is performed on the model's
 * SharedState (with its store buffers under tso), and the gate writes the value read into the
 * mirror just before the instruction reads it.
 *
 * Suspension is Asyncify's: a gate that needs a step records the operation and starts an unwind;
 * the export returns, `call` yields the operation, and with the value it starts a rewind and calls
 * the export again, which re-enters the gate; the gate then returns what the operation produced.
 */
import type { Field, Layout } from '../../core/layout.ts';
import { Fence, OpKind, type Op, type Program } from '../../core/ops.ts';
import { GATE, type Site } from './gate-pass.ts';

export const WINDOW_BASE = 0x40000;
export const WINDOW_MAX = 0x20000;
export const ASYNCIFY_AT = 0x60000;
export const ASYNCIFY_BYTES = 0x10000;
export const MEMORY_PAGES = 8;

/** Loop iterations without a scheduling point before the code counts as hung. */
export const FUEL = 5_000_000;

const UNWINDING = 1;
const REWINDING = 2;

interface AsyncifyExports {
  asyncify_start_unwind(at: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(at: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

type Exported = AsyncifyExports & Record<string, unknown>;

/** What a C instance did that the model cannot give a meaning to: an actor error. */
export class WasmMisuse extends Error {
  override name = 'WasmMisuse';
}

/** The port imports (module "vv") over event ids: each call is one operation. */
function portOp(name: string, args: readonly number[], events: number): Op {
  const event = (): number => {
    const e = args[0] >>> 0;
    if (e >= events) throw new WasmMisuse(`vv_${name}(${e}): the model has events 0..${events - 1} (virtio_verify.h)`);
    return e;
  };
  switch (name) {
    case 'wmb': return { k: OpKind.FENCE, t: Fence.WMB, v: 0, w: 0 };
    case 'rmb': return { k: OpKind.FENCE, t: Fence.RMB, v: 0, w: 0 };
    case 'mb': return { k: OpKind.FENCE, t: Fence.MB, v: 0, w: 0 };
    case 'pause': return { k: OpKind.PAUSE, t: 0, v: 0, w: 0 };
    case 'notify': return { k: OpKind.NOTIFY, t: event(), v: 0, w: 0 };
    case 'wait': return { k: OpKind.WAIT, t: event(), v: 0, w: 0 };
    case 'poll': return { k: OpKind.POLL, t: event(), v: 0, w: 0 };
    default: throw new WasmMisuse(`the module imports vv.${name}, which virtio_verify.h does not declare`);
  }
}

const PORT_IMPORTS = ['wmb', 'rmb', 'mb', 'pause', 'notify', 'wait', 'poll'];

/** The field under each byte of the window. */
class Window {
  private readonly at: Int32Array;
  constructor(readonly layout: Layout) {
    this.at = new Int32Array(layout.size).fill(-1);
    for (const f of layout.fields) this.at.fill(f.id, f.offset, f.offset + f.width / 8);
  }

  contains(ea: number, bytes: number): boolean {
    return ea + bytes > WINDOW_BASE && ea < WINDOW_BASE + this.layout.size;
  }

  /** The field an access of `bytes` at `ea` lies in; a load may read part of one, a write must cover it. */
  field(ea: number, bytes: number, whole: boolean, what: string): Field {
    const off = ea - WINDOW_BASE;
    const id = off >= 0 && off < this.layout.size ? this.at[off] : -1;
    if (id < 0) throw new WasmMisuse(`${what} of ${bytes} bytes at window offset ${off} (0x${ea.toString(16)}): no field of the layout is there`);
    const f = this.layout.fields[id];
    const fb = f.width / 8;
    if (off + bytes > f.offset + fb) throw new WasmMisuse(`${what} of ${bytes} bytes at ${f.name}${off > f.offset ? `+${off - f.offset}` : ''} reaches past the ${fb}-byte field: the model's fields are accessed one at a time`);
    if (whole && (off !== f.offset || bytes !== fb)) throw new WasmMisuse(`${what} of ${bytes} bytes into the ${fb}-byte field ${f.name}: shared fields are written whole`);
    return f;
  }
}

interface Pending {
  readonly op: Op;
  /** Turns the operation's result into the gate's return value (and fixes the mirror). */
  readonly finish: (value: number) => number | bigint;
}

export interface GatedCode {
  readonly module: WebAssembly.Module;
  readonly sites: readonly Site[];
}

export class GatedInstance {
  readonly exports: Exported;
  readonly memory: WebAssembly.Memory;
  private readonly view: DataView;
  private readonly window: Window;
  /** Addresses recorded by vv_gate.addr (stores, read-modify-writes, copies) and cmpxchg's expected values. */
  private readonly addrs: number[] = [];
  private readonly expected: (number | bigint)[] = [];
  private pending: Pending | undefined;
  private resumeValue: number | bigint = 0;
  private fuel = FUEL;
  private current = '';

  /**
   * `before` may return notes (NOTE operations) to emit ahead of an operation: the oracles'
   * annotations that a role's adapter derives from the accesses it sees.
   */
  constructor(code: GatedCode, layout: Layout, events: number, private readonly before?: (op: Op) => readonly Op[]) {
    if (layout.size > WINDOW_MAX) throw new WasmMisuse(`the layout takes ${layout.size} bytes, more than the ${WINDOW_MAX}-byte window`);
    this.window = new Window(layout);
    this.memory = new WebAssembly.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_PAGES, shared: true });
    this.view = new DataView(this.memory.buffer);
    const instance = new WebAssembly.Instance(code.module, { env: { memory: this.memory }, [GATE]: this.gates(code.sites), vv: this.portImports(events) });
    this.exports = instance.exports as unknown as Exported;
    const heapBase = instance.exports.__heap_base;
    if (heapBase instanceof WebAssembly.Global && Number(heapBase.value) > WINDOW_BASE) {
      throw new WasmMisuse(`the module's data and stack end at 0x${Number(heapBase.value).toString(16)}, past the shared window at 0x${WINDOW_BASE.toString(16)}: make the statics smaller or link with -z stack-size=32768`);
    }
  }

  /** Calls an export to its end, yielding the operations of its accesses to the window. */
  *call(name: string, args: readonly number[]): Program<number> {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new WasmMisuse(`the module does not export ${name}`);
    const x = this.exports;
    this.current = name;
    this.fuel = FUEL;
    let r = (f as (...a: number[]) => unknown)(...args);
    while (x.asyncify_get_state() === UNWINDING) {
      x.asyncify_stop_unwind();
      const p = this.pending!;
      this.pending = undefined;
      if (this.before) for (const n of this.before(p.op)) yield n;
      const v = yield p.op;
      this.resumeValue = p.finish(v);
      this.fuel = FUEL;
      x.asyncify_start_rewind(ASYNCIFY_AT);
      r = (f as (...a: number[]) => unknown)(...args);
    }
    return Number(r ?? 0);
  }

  /** Reads n words of the instance's own memory (an entry point's result buffer). */
  words(at: number, n: number): number[] {
    if (at % 4 !== 0 || at + 4 * n > WINDOW_BASE) throw new WasmMisuse(`a buffer of ${n} words at 0x${at.toString(16)} is not in the module's own memory`);
    return Array.from({ length: n }, (_, i) => this.view.getUint32(at + 4 * i, true));
  }

  writeWords(at: number, words: readonly number[]): void {
    if (at % 4 !== 0 || at + 4 * words.length > WINDOW_BASE) throw new WasmMisuse(`a buffer of ${words.length} words at 0x${at.toString(16)} is not in the module's own memory`);
    words.forEach((w, i) => this.view.setUint32(at + 4 * i, w >>> 0, true));
  }

  /**
   * Records the operation and unwinds the instance's stack back to `call`. The return value is
   * ignored, but must have the import's type: an i64 gate returns a BigInt.
   */
  private suspend(op: Op, finish: Pending['finish'], typed: number | bigint = 0): number | bigint {
    const x = this.exports;
    this.pending = { op, finish };
    this.view.setUint32(ASYNCIFY_AT, ASYNCIFY_AT + 8, true);
    this.view.setUint32(ASYNCIFY_AT + 4, ASYNCIFY_AT + ASYNCIFY_BYTES, true);
    x.asyncify_start_unwind(ASYNCIFY_AT);
    return typeof typed === 'bigint' ? 0n : 0;
  }

  /** The gate that suspended, called again while rewinding: the operation's result. */
  private resumed(): number | bigint {
    this.exports.asyncify_stop_rewind();
    return this.resumeValue;
  }

  private rewinding(): boolean {
    return this.exports.asyncify_get_state() === REWINDING;
  }

  /** Writes a field's value into the mirror, where the instruction about to run reads it. */
  private mirror(f: Field, v: number): void {
    const at = WINDOW_BASE + f.offset;
    switch (f.width) {
      case 8: this.view.setUint8(at, v); break;
      case 16: this.view.setUint16(at, v, true); break;
      case 32: this.view.setUint32(at, v >>> 0, true); break;
      case 64: this.view.setBigUint64(at, BigInt(v), true); break;
    }
  }

  /** The integer a store of `value` (of the site's type) puts into a field. */
  private stored(site: Site, value: number | bigint, f: Field): number {
    let n: number;
    if (site.type === 'i64') {
      const b = BigInt.asUintN(64, value as bigint);
      if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasmMisuse(`a store of 0x${b.toString(16)} into ${f.name}: values above 2^53 are not modelled`);
      n = Number(b);
    } else if (site.type === 'f32' || site.type === 'f64') {
      throw new WasmMisuse(`a floating-point store into ${f.name}: shared fields are integers`);
    } else {
      n = (value as number) >>> 0;
    }
    return f.width === 32 ? n >>> 0 : f.width === 64 ? n : n & ((1 << f.width) - 1);
  }

  private where(site: Site): string {
    return `${site.atomic ? 'atomic ' : ''}${site.op} in ${site.fn}`;
  }

  private gates(sites: readonly Site[]): Record<string, (...a: never[]) => unknown> {
    const ea = (s: number, addr: number) => ((addr >>> 0) + sites[s].offset) >>> 0;
    const load = (s: number, addr: number): number => {
      const site = sites[s];
      const at = ea(s, addr);
      if (!this.window.contains(at, site.bytes)) return addr;
      if (this.rewinding()) return this.resumed() as number;
      const f = this.window.field(at, site.bytes, false, this.where(site));
      return this.suspend({ k: OpKind.LOAD, t: f.id, v: 0, w: 0 }, (v) => { this.mirror(f, v); return addr; }) as number;
    };
    /** The field a write (whose address vv_gate.addr recorded) lands in, or undefined outside the window. */
    const written = (site: Site): Field | undefined => {
      const at = this.addrs.pop()!;
      return this.window.contains(at, site.bytes) ? this.window.field(at, site.bytes, true, this.where(site)) : undefined;
    };
    const store = (s: number, value: number | bigint): number | bigint => {
      const site = sites[s];
      if (this.rewinding()) return this.resumed();
      const f = written(site);
      if (!f) return value;
      return this.suspend({ k: OpKind.STORE, t: f.id, v: this.stored(site, value, f), w: 0 }, () => value, value);
    };
    const rmw = (s: number, value: number | bigint): number | bigint => {
      const site = sites[s];
      if (this.rewinding()) return this.resumed();
      const f = written(site);
      if (!f) return value;
      const v = this.stored(site, value, f);
      let op: Op;
      if (site.rmw === 'add') op = { k: OpKind.ADD, t: f.id, v, w: 0 };
      else if (site.rmw === 'sub') op = { k: OpKind.ADD, t: f.id, v: -v, w: 0 };
      else if (site.rmw === 'xchg') op = { k: OpKind.XCHG, t: f.id, v, w: 0 };
      else throw new WasmMisuse(`an atomic ${site.rmw} on ${f.name} (${this.where(site)}): the model has add, sub, exchange and compare-exchange; use a compare-exchange loop`);
      return this.suspend(op, (old) => { this.mirror(f, old); return value; }, value);
    };
    const cmpxchg = (s: number, replacement: number | bigint): number | bigint => {
      const site = sites[s];
      if (this.rewinding()) return this.resumed();
      const expected = this.expected.pop()!;
      const f = written(site);
      if (!f) return replacement;
      const op: Op = { k: OpKind.CAS, t: f.id, v: this.stored(site, replacement, f), w: this.stored(site, expected, f) };
      return this.suspend(op, (old) => { this.mirror(f, old); return replacement; }, replacement);
    };
    const fence = (): void => {
      if (this.rewinding()) { this.resumed(); return; }
      this.suspend({ k: OpKind.FENCE, t: Fence.MB, v: 0, w: 0 }, () => 0);
    };
    const out: Record<string, (...a: never[]) => unknown> = {
      addr: (s: number, addr: number) => { this.addrs.push(ea(s, addr)); return addr; },
      load,
      fence,
      tick: () => {
        if (--this.fuel < 0) throw new WasmMisuse(`${this.current}: ${FUEL.toLocaleString('en-US')} loop iterations without touching shared memory or calling the port: it hangs`);
      },
      grow: (delta: number) => {
        if (delta === 0) return 0;
        throw new WasmMisuse(`${this.current}: memory.grow by ${delta} page(s): the instance's memory is fixed at ${MEMORY_PAGES} pages (${MEMORY_PAGES * 64} KiB, the shared window included), so the implementation exhausted its memory`);
      },
      wait: (s: number) => { throw new WasmMisuse(`memory.atomic.wait in ${sites[s].fn}: nothing else runs in this instance's memory, it would block forever (wait for an event with vv_wait)`); },
      notify: (s: number, addr: number) => {
        if (this.window.contains(ea(s, addr), 4)) throw new WasmMisuse(`memory.atomic.notify on the shared window in ${sites[s].fn}: notify the peer with vv_notify`);
        return addr;
      },
    };
    for (const t of ['i32', 'i64', 'f32', 'f64']) {
      out[`store_${t}`] = store;
      out[`rmw_${t}`] = rmw;
      out[`cmpxchg_${t}`] = cmpxchg;
      out[`expected_${t}`] = (_s: number, v: number | bigint) => { this.expected.push(v); return v; };
    }
    out.range_i32 = (s: number, size: number) => {
      const site = sites[s];
      const n = size >>> 0;
      const second = site.op === 'memory.copy' ? this.addrs.pop()! : undefined;
      const dest = this.addrs.pop()!;
      for (const [at, role] of [[dest, 'destination'], [second, 'source']] as const) {
        if (at !== undefined && n > 0 && this.window.contains(at, n)) {
          throw new WasmMisuse(`${site.op} of ${n} bytes with its ${role} in the shared window (${site.fn}): copy shared fields one by one with volatile accesses`);
        }
      }
      return size;
    };
    return out;
  }

  private portImports(events: number): Record<string, (...a: number[]) => number | undefined> {
    const out: Record<string, (...a: number[]) => number | undefined> = {};
    out.fail = (at: number) => {
      const bytes = new Uint8Array(this.memory.buffer);
      let end = at >>> 0;
      while (end < WINDOW_BASE && end - at < 200 && bytes[end] !== 0) end++;
      throw new WasmMisuse(`${this.current} gave up: ${new TextDecoder().decode(bytes.slice(at >>> 0, end))} (vv_fail)`);
    };
    for (const name of PORT_IMPORTS) {
      out[name] = (...args: number[]) => {
        if (this.rewinding()) return Number(this.resumed());
        return Number(this.suspend(portOp(name, args, events), (v) => v));
      };
    }
    return out;
  }
}
