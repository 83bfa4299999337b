/**
 * The gate pass: rewrites a WebAssembly module (C compiled by clang) so that every memory access
 * calls the harness first, then makes the module resumable with binaryen's Asyncify.
 *
 * Why wrap operands instead of replacing instructions: binaryen.js has setters for an
 * expression's operands but no way to swap an expression in its parent. So a load keeps its
 * instruction and gets its address through `vv_gate.load(site, addr) -> addr`; a store gets its
 * address recorded by `vv_gate.addr(site, addr) -> addr` and its value through
 * `vv_gate.store_<type>(site, value) -> value`, which runs right before the store (a wrapped
 * operand is the last thing evaluated before the access). The gate decides at run time whether
 * the address lies in the shared window (harness/adapters/wasm/gated-instance.ts): outside it the
 * call returns at once and the instruction works on the instance's own memory; inside it the call
 * is a scheduling point whose operation the model's shared memory performs, and the gate leaves
 * the result in the instance's memory for the instruction to find.
 *
 * What else is gated: read-modify-writes and compare-exchanges (their value, resp. replacement,
 * operand), atomic.fence (replaced by a call: it has no operand to wrap, so it must sit in a block,
 * as clang emits it), memory.copy/fill/init and atomic wait/notify (checked: they may not touch the
 * window), and every loop header (`vv_gate.tick`), so that a loop that never touches shared memory
 * is caught as a hang instead of freezing the single-threaded engine.
 *
 * The functions the linker makes for itself (`__wasm_*`: memory initialisation, constructors) are
 * left alone: they run at instantiation, before anything can be scheduled.
 */
import type binaryenModule from 'binaryen';

/**
 * binaryen.js is passed in rather than imported: under tsx's loader its 10 MB module takes seconds
 * to load, so gate-main.mjs imports it natively in a child process and hands it over.
 */
export type Binaryen = typeof binaryenModule;

export type SiteOp = 'load' | 'store' | 'rmw' | 'cmpxchg' | 'wait' | 'notify' | 'memory.copy' | 'memory.fill' | 'memory.init';

/** One gated instruction, as the gate needs it at run time. */
export interface Site {
  readonly fn: string;
  readonly op: SiteOp;
  readonly bytes: number;
  /** The instruction's static offset, added to the address operand. */
  readonly offset: number;
  readonly signed: boolean;
  /** The value type: i32, i64, f32 or f64. */
  readonly type: 'i32' | 'i64' | 'f32' | 'f64';
  readonly atomic: boolean;
  /** rmw only: add, sub, and, or, xor, xchg. */
  readonly rmw?: string;
}

export interface GatedModule {
  readonly wasm: Uint8Array;
  readonly sites: readonly Site[];
  /** The imports that may suspend the instance (Asyncify unwinds through their callers). */
  readonly suspending: readonly string[];
}

/** The import module of the gate functions. */
export const GATE = 'vv_gate';

const features = (binaryen: Binaryen) => binaryen.Features.Atomics | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory
  // binaryen.js 132 aborts on BulkMemory without BulkMemoryOpt (hasBulkMemoryOpt assertion).
  | binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt;

type Ref = number;
type ValType = Site['type'];

/** binaryen.js's per-expression setters (Load.setPtr, Block.setChildAt, ...): present at run time, absent from its typings. */
type Setters = Record<string, Record<string, (...args: number[]) => void>>;

const rmwNames = (binaryen: Binaryen) => new Map<number, string>([
  [binaryen.AtomicRMWAdd, 'add'], [binaryen.AtomicRMWSub, 'sub'], [binaryen.AtomicRMWAnd, 'and'],
  [binaryen.AtomicRMWOr, 'or'], [binaryen.AtomicRMWXor, 'xor'], [binaryen.AtomicRMWXchg, 'xchg'],
]);

export class GatePassError extends Error {}

/** "LoadId" for binaryen.LoadId: expression kinds by name in messages. */
function idName(binaryen: Binaryen, id: number): string {
  const hit = Object.entries(binaryen).find(([k, v]) => k.endsWith('Id') && v === id);
  return hit ? `a ${hit[0].slice(0, -2)} instruction` : `instruction kind ${id}`;
}

function valType(binaryen: Binaryen, t: number, where: string): ValType {
  if (t === binaryen.i32) return 'i32';
  if (t === binaryen.i64) return 'i64';
  if (t === binaryen.f32) return 'f32';
  if (t === binaryen.f64) return 'f64';
  throw new GatePassError(`${where}: a memory access of a type the gate does not handle (SIMD or reference types)`);
}

class Pass {
  readonly sites: Site[] = [];
  private readonly imported = new Set<string>();
  private fn = '';
  private readonly X: Setters;
  private readonly rmwNames: Map<number, string>;

  constructor(private readonly binaryen: Binaryen, private readonly m: binaryenModule.Module) {
    this.X = binaryen as unknown as Setters;
    this.rmwNames = rmwNames(binaryen);
  }

  /** A call of gate import `name` (declared on first use). */
  private call(name: string, params: readonly number[], result: number, operands: readonly Ref[]): Ref {
    const binaryen = this.binaryen;
    const internal = `${GATE}.${name}`;
    if (!this.imported.has(name)) {
      this.m.addFunctionImport(internal, GATE, name, binaryen.createType(params as number[]), result);
      this.imported.add(name);
    }
    return this.m.call(internal, operands as Ref[], result);
  }

  private site(s: Omit<Site, 'fn'>): Ref {
    this.sites.push({ fn: this.fn, ...s });
    return this.m.i32.const(this.sites.length - 1);
  }

  /** `gate.<name>(site, value) -> value` around an operand of type t. */
  private wrap(name: string, site: Ref, value: Ref, t: ValType): Ref {
    const binaryen = this.binaryen;
    const ty = binaryen[t];
    return this.call(`${name}_${t}`, [binaryen.i32, ty], ty, [site, value]);
  }

  private addr(site: Ref, ptr: Ref): Ref {
    const binaryen = this.binaryen;
    return this.call('addr', [binaryen.i32, binaryen.i32], binaryen.i32, [site, ptr]);
  }

  run(): void {
    const binaryen = this.binaryen;
    // Sites are named by the function's export name where it has one: without a name section the internal names are numbers.
    const exported = new Map<string, string>();
    for (let i = 0; i < this.m.getNumExports(); i++) {
      const x = binaryen.getExportInfo(this.m.getExportByIndex(i));
      if (x.kind === binaryen.ExternalFunction) exported.set(x.value, x.name);
    }
    const start = this.m.getStart();
    const startName = start ? binaryen.getFunctionInfo(start).name : undefined;
    for (let i = 0; i < this.m.getNumFunctions(); i++) {
      const f = this.m.getFunctionByIndex(i);
      const info = binaryen.getFunctionInfo(f);
      if (info.module || info.body === 0 || info.name === startName || info.name.startsWith('__wasm_')) continue;
      this.fn = exported.get(info.name) ?? info.name;
      this.visit(info.body);
    }
  }

  /** Post-order: an operand is wrapped after its own accesses were, so the wrapper holds the rewritten child. */
  private visit(e: Ref): void {
    const binaryen = this.binaryen;
    if (!e) return;
    const id = binaryen.getExpressionId(e);
    // Leaves first: binaryen.js cannot describe some of them (Unreachable), and they hold no access.
    if (id === binaryen.LocalGetId || id === binaryen.GlobalGetId || id === binaryen.ConstId || id === binaryen.NopId
      || id === binaryen.UnreachableId || id === binaryen.MemorySizeId || id === binaryen.DataDropId) return;
    let info: Record<string, unknown>;
    try {
      info = binaryen.getExpressionInfo(e) as unknown as Record<string, unknown>;
    } catch {
      throw new GatePassError(`function ${this.fn}: an instruction binaryen.js cannot inspect (${idName(binaryen, id)}); build plain C with -O2, no SIMD, exceptions or GC`);
    }
    const kids = (...keys: string[]) => { for (const k of keys) this.visit(info[k] as Ref); };
    switch (id) {
      case binaryen.BlockId: {
        const children = info.children as Ref[];
        children.forEach((c, i) => {
          if (binaryen.getExpressionId(c) === binaryen.AtomicFenceId) {
            this.X.Block.setChildAt(e, i, this.call('fence', [], binaryen.none, []));
          } else {
            this.visit(c);
          }
        });
        return;
      }
      case binaryen.IfId: return kids('condition', 'ifTrue', 'ifFalse');
      case binaryen.LoopId: {
        const body = info.body as Ref;
        this.visit(body);
        const tick = this.call('tick', [], binaryen.none, []);
        this.X.Loop.setBody(e, this.m.block(null, [tick, body], binaryen.getExpressionType(body)));
        return;
      }
      case binaryen.BreakId: case binaryen.SwitchId: return kids('condition', 'value');
      case binaryen.CallId: case binaryen.CallIndirectId:
        for (const o of info.operands as Ref[]) this.visit(o);
        if (id === binaryen.CallIndirectId) this.visit(info.target as Ref);
        return;
      case binaryen.LocalSetId: case binaryen.GlobalSetId: case binaryen.DropId: case binaryen.ReturnId: case binaryen.UnaryId:
        return kids('value');
      case binaryen.MemoryGrowId:
        // The memory is fixed (the window and Asyncify's area sit at fixed addresses): growing it is exhausting it.
        kids('delta');
        this.X.MemoryGrow.setDelta(e, this.call('grow', [binaryen.i32], binaryen.i32, [info.delta as Ref]));
        return;
      case binaryen.BinaryId: return kids('left', 'right');
      case binaryen.SelectId: return kids('ifTrue', 'ifFalse', 'condition');
      case binaryen.LoadId: {
        kids('ptr');
        const l = info as unknown as binaryenModule.LoadInfo;
        const site = this.site({ op: 'load', bytes: l.bytes, offset: l.offset, signed: l.isSigned, type: valType(binaryen, l.type, this.fn), atomic: l.isAtomic });
        this.X.Load.setPtr(e, this.call('load', [binaryen.i32, binaryen.i32], binaryen.i32, [site, l.ptr]));
        return;
      }
      case binaryen.StoreId: {
        kids('ptr', 'value');
        const s = info as unknown as binaryenModule.StoreInfo;
        const t = valType(binaryen, binaryen.getExpressionType(s.value), this.fn);
        const site = this.site({ op: 'store', bytes: s.bytes, offset: s.offset, signed: false, type: t, atomic: s.isAtomic });
        this.X.Store.setPtr(e, this.addr(site, s.ptr));
        this.X.Store.setValue(e, this.wrap('store', this.m.i32.const(this.sites.length - 1), s.value, t));
        return;
      }
      case binaryen.AtomicRMWId: {
        kids('ptr', 'value');
        const r = info as unknown as binaryenModule.AtomicRMWInfo;
        const t = valType(binaryen, r.type, this.fn);
        const site = this.site({ op: 'rmw', bytes: r.bytes, offset: r.offset, signed: false, type: t, atomic: true, rmw: this.rmwNames.get(r.op) ?? `op ${r.op}` });
        this.X.AtomicRMW.setPtr(e, this.addr(site, r.ptr));
        this.X.AtomicRMW.setValue(e, this.wrap('rmw', this.m.i32.const(this.sites.length - 1), r.value, t));
        return;
      }
      case binaryen.AtomicCmpxchgId: {
        kids('ptr', 'expected', 'replacement');
        const c = info as unknown as binaryenModule.AtomicCmpxchgInfo;
        const t = valType(binaryen, c.type, this.fn);
        const site = this.site({ op: 'cmpxchg', bytes: c.bytes, offset: c.offset, signed: false, type: t, atomic: true });
        const n = this.sites.length - 1;
        this.X.AtomicCmpxchg.setPtr(e, this.addr(site, c.ptr));
        this.X.AtomicCmpxchg.setExpected(e, this.wrap('expected', this.m.i32.const(n), c.expected, t));
        this.X.AtomicCmpxchg.setReplacement(e, this.wrap('cmpxchg', this.m.i32.const(n), c.replacement, t));
        return;
      }
      case binaryen.AtomicWaitId: case binaryen.AtomicNotifyId: {
        kids('ptr', 'expected', 'timeout', 'notifyCount');
        const op = id === binaryen.AtomicWaitId ? 'wait' : 'notify';
        const w = info as unknown as { ptr: Ref; offset?: number };
        const site = this.site({ op, bytes: 4, offset: w.offset ?? 0, signed: false, type: 'i32', atomic: true });
        const setPtr = id === binaryen.AtomicWaitId ? this.X.AtomicWait.setPtr : this.X.AtomicNotify.setPtr;
        setPtr(e, this.call(op, [binaryen.i32, binaryen.i32], binaryen.i32, [site, w.ptr]));
        return;
      }
      case binaryen.MemoryCopyId: case binaryen.MemoryFillId: case binaryen.MemoryInitId: {
        // dest and source/offset are recorded; the gate checks the range when it sees the size.
        const op = id === binaryen.MemoryCopyId ? 'memory.copy' : id === binaryen.MemoryFillId ? 'memory.fill' : 'memory.init';
        const second = id === binaryen.MemoryCopyId ? 'source' : id === binaryen.MemoryFillId ? 'value' : 'offset';
        kids('dest', second, 'size');
        const b = info as unknown as Record<string, Ref>;
        const site = this.site({ op, bytes: 1, offset: 0, signed: false, type: 'i32', atomic: false });
        const n = this.sites.length - 1;
        const ns = this.X[id === binaryen.MemoryCopyId ? 'MemoryCopy' : id === binaryen.MemoryFillId ? 'MemoryFill' : 'MemoryInit'];
        ns.setDest(e, this.addr(site, b.dest));
        if (id === binaryen.MemoryCopyId) ns.setSource(e, this.addr(this.m.i32.const(n), b.source));
        ns.setSize(e, this.wrap('range', this.m.i32.const(n), b.size, 'i32'));
        return;
      }
      default:
        throw new GatePassError(`function ${this.fn}: ${idName(binaryen, id)} is not supported by the gate pass (build plain C with -O2, no SIMD, exceptions or GC)`);
    }
  }

  /** The imports that can suspend: every gate that may touch the window, and the port imports. */
  suspendingImports(portImports: readonly string[]): string[] {
    const gates = [...this.imported].filter((n) => n !== 'tick' && n !== 'addr' && n !== 'grow' && !n.startsWith('expected_') && !n.startsWith('range_'));
    return [...gates.map((n) => `${GATE}.${n}`), ...portImports];
  }
}

/** The imports of `module` (by "module.base") the C side calls as port operations (module "vv"). */
function portImportsOf(binaryen: Binaryen, m: binaryenModule.Module): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    // vv.fail never returns to the code: it needs no suspension.
    if (info.module === 'vv' && info.base !== 'fail') out.push(`vv.${info.base}`);
  }
  return out;
}

/**
 * Gates every memory access of `wasm` and makes it resumable (Asyncify). Throws GatePassError for
 * what the gate cannot handle, with the function's name.
 */
export function gateModule(binaryen: Binaryen, wasm: Uint8Array): GatedModule {
  const m = binaryen.readBinary(wasm);
  try {
    m.setFeatures(features(binaryen));
    const port = portImportsOf(binaryen, m);
    const pass = new Pass(binaryen, m);
    pass.run();
    const suspending = pass.suspendingImports(port);
    // Asyncify instruments only what can reach these imports; the rest runs at full speed.
    binaryen.setPassArgument('asyncify-imports', suspending.join(','));
    binaryen.setOptimizeLevel(2);
    m.runPasses(['asyncify']);
    m.optimize();
    if (!m.validate()) throw new GatePassError('the gated module does not validate (binaryen); please report this with the module');
    return { wasm: m.emitBinary(), sites: pass.sites, suspending };
  } finally {
    binaryen.setPassArgument('asyncify-imports', null);
    m.dispose();
  }
}
