/**
 * `validate` with C compiled to WebAssembly (docs/third-party.md, "C compiled to WebAssembly"):
 * the shipped C driver and device are built here with Debian's clang and lld (.ci/run installs
 * them) over an imported shared memory, rewritten by the binaryen gate pass so that every access
 * to the shared window is a scheduling point, made resumable with Asyncify, and explored on the
 * inline engine in place of the reference actor.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC, findWasmToolchain, type WasmToolchain } from '../harness/adapters/wasm/build.ts';
import { GatedInstance } from '../harness/adapters/wasm/gated-instance.ts';
import { loadGatedCode } from '../harness/adapters/wasm/load.ts';
import { OpKind } from '../harness/core/ops.ts';
import { findModel } from '../models/index.ts';
import { check } from '../harness/check.ts';
import { validate } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');
const example = (name: string) => join(root, 'examples', 'c', name);
const dir = mkdtempSync(join(tmpdir(), 'vv-validate-wasm-'));

const found = findWasmToolchain();
const tools: WasmToolchain | undefined = 'missing' in found ? undefined : found;
if ('missing' in found) {
  // CI installs clang and lld (.ci/run): there the missing toolchain is a failure, not a skip.
  if (process.env.CI) throw new Error(`validate-wasm: ${found.missing}`);
  console.warn(`SKIPPED tests/validate-wasm.test.ts: ${found.missing}; install clang and lld to run it`);
}

type Edit = readonly [from: string, to: string];

/** A C file using the examples' header: a good example with each edit's `from` replaced by its `to`. */
function variantOf(exampleName: string, name: string, ...edits: Edit[]): string {
  let text = readFileSync(example(exampleName), 'utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`${name}: ${JSON.stringify(from)} is not in ${exampleName}`);
    text = text.replace(from, to);
  }
  const file = join(dir, `${name}.c`);
  writeFileSync(file, text.replace('#include "virtio_verify.h"', `#include "${example('virtio_verify.h')}"`));
  return file;
}

const status = (r: Awaited<ReturnType<typeof validate>>) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));

describe.skipIf(!tools)('validate: C compiled to WebAssembly, gated by binaryen, resumed by Asyncify', () => {
  it('builds against an imported shared memory; the gate pass adds the gates and Asyncify', () => {
    const wasm = join(dir, 'good.wasm');
    compileC(tools!, example('gencount-driver-good.c'), wasm, [`-I${join(root, 'examples', 'c')}`]);
    const raw = new WebAssembly.Module(readFileSync(wasm));
    const memory = WebAssembly.Module.imports(raw).find((i) => i.kind === 'memory');
    expect(memory).toMatchObject({ module: 'env', name: 'memory' });
    // The C code reads the config space through pointers: no access is an imported call.
    expect(WebAssembly.Module.imports(raw).filter((i) => i.kind === 'function').map((i) => i.name).sort()).toEqual(['notify', 'pause', 'rmb', 'wmb']);
    const code = loadGatedCode(wasm, 'good.wasm');
    const gated = WebAssembly.Module.imports(code.module).map((i) => `${i.module}.${i.name}`);
    expect(gated).toEqual(expect.arrayContaining(['vv_gate.load', 'vv_gate.addr', 'vv_gate.store_i32', 'vv_gate.tick']));
    expect(WebAssembly.Module.exports(code.module).map((e) => e.name)).toEqual(expect.arrayContaining(['asyncify_start_unwind', 'asyncify_start_rewind', 'read_config']));
    // One site per load and store of the C code, each named by its function.
    expect(code.sites.filter((s) => s.fn === 'read_config' && s.op === 'load').length).toBeGreaterThanOrEqual(2);
    expect(code.sites.some((s) => s.fn === 'write_config' && s.op === 'store' && s.bytes === 4)).toBe(true);
  });

  it('passes the good gencount driver, with exactly the executions of the reference driver', async () => {
    const r = await validate({ impl: example('gencount-driver-good.c'), role: 'driver', scheme: 'config-gencount', preemptions: 2 });
    expect(r.kind).toBe('wasm');
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
    // Same accesses in the same order as the reference: the gate adds and hides no scheduling point.
    const reference = await check({ model: 'config-gencount', variant: 'reference', preemptions: 2 });
    expect(r.executions).toBe(reference.executions);
  });

  it('finds the ordering bug of the buggy gencount driver (generation re-checked before the words): no-torn-read', async () => {
    const r = await validate({ impl: example('gencount-driver-buggy.c'), role: 'driver', scheme: 'config-gencount', preemptions: 2 });
    expect(r.verdict).toBe('violated');
    expect(status(r)).toMatchObject({ 'no-torn-read': 'violated', 'driver-write-intact': 'holds', 'no-actor-error': 'holds' });
    const c = r.invariants.find((i) => i.name === 'no-torn-read')!.counterexample!;
    const ops = c.schedule.map((s) => `${s.actor} ${s.op}`);
    const data = ops.indexOf('driver load config.data[0]');
    const lastGen = ops.slice(0, data).lastIndexOf('driver load config.gen');
    expect(lastGen).toBeGreaterThanOrEqual(0);
    // The device's update lands between the driver's last look at the generation and its words.
    expect(ops.slice(lastGen).some((s) => s === 'device store config.gen')).toBe(true);
    expect(c.engine).toBe('inline');
  });

  it('passes the good split-ring device under sc and tso, and finds the buggy one publishing used.idx first', async () => {
    const good = await validate({ impl: example('split-device-good.c'), role: 'device', scheme: 'vring-split' });
    expect(good.verdict).toBe('passed');
    expect(good.complete).toBe(true);
    const tso = await validate({ impl: example('split-device-good.c'), role: 'device', scheme: 'vring-split', memory: 'tso', preemptions: 2 });
    expect(tso.verdict, JSON.stringify(status(tso))).toBe('passed');
    const bad = await validate({ impl: example('split-device-buggy.c'), role: 'device', scheme: 'vring-split' });
    expect(bad.verdict).toBe('violated');
    expect(status(bad)['publish-order']).toBe('violated');
    const c = bad.invariants.find((i) => i.name === 'publish-order')!.counterexample!;
    expect(c.message).toMatch(/used\.idx .* before used\.idx|must be written before used\.idx/);
    expect(c.trace.at(-1)).toMatchObject({ actor: 'device', op: 'store', target: 'used.idx' });
  });

  it('runs the same C in a worker of the threads engine: same executions, same counterexample', async () => {
    const inline = await validate({ impl: example('split-device-buggy.c'), role: 'device', scheme: 'vring-split', preemptions: 1 });
    const threads = await validate({ impl: example('split-device-buggy.c'), role: 'device', scheme: 'vring-split', preemptions: 1, engine: 'threads' });
    expect(threads.executions).toBe(inline.executions);
    expect(status(threads)).toEqual(status(inline));
    const trace = (r: typeof inline) => r.invariants.find((i) => i.name === 'publish-order')!.counterexample!.trace;
    expect(trace(threads)).toEqual(trace(inline));
    expect(threads.invariants.find((i) => i.name === 'publish-order')!.counterexample!.engine).toBe('threads');
  });

  it('C11 atomics on the window are the model\'s read-modify-writes and fences', async () => {
    const file = variantOf('gencount-driver-good.c', 'atomics',
      ['while (cfg->drv_changed != 0) vv_pause();', 'while (__atomic_load_n(&cfg->drv_changed, __ATOMIC_ACQUIRE) != 0) vv_pause();'],
      // Relaxed: a seq_cst fence next to a seq_cst read-modify-write is one LLVM may merge away.
      ['vv_wmb();\n    cfg->drv_changed = 1;', '__atomic_thread_fence(__ATOMIC_SEQ_CST);\n    uint32_t zero = 0;\n    __atomic_compare_exchange_n(&cfg->drv_changed, &zero, 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);\n    (void)__atomic_fetch_add(&cfg->drv_changed, 0, __ATOMIC_RELAXED);'],
    );
    const code = loadGatedCode(file, 'atomics.c');
    expect(code.sites.filter((x) => x.fn === 'write_config').map((x) => x.op)).toEqual(expect.arrayContaining(['load', 'cmpxchg', 'rmw']));
    expect(WebAssembly.Module.imports(code.module).map((i) => i.name)).toContain('fence');
    const r = await validate({ impl: file, role: 'driver', scheme: 'config-gencount', preemptions: 1, memory: 'tso' });
    expect(r.verdict, JSON.stringify(status(r))).toBe('passed');
    // An atomic or on the window has no model operation: a finding, not a silent plain store.
    const or = variantOf('gencount-driver-good.c', 'atomic-or', ['cfg->drv_changed = 1;', '(void)__atomic_fetch_or(&cfg->drv_changed, 1, __ATOMIC_SEQ_CST);']);
    const bad = await validate({ impl: or, role: 'driver', scheme: 'config-gencount', preemptions: 1 });
    expect(bad.invariants.find((i) => i.name === 'no-actor-error')!.counterexample!.message).toMatch(/an atomic or on config\.drv_changed \(atomic rmw in write_config\)/);
  });

  it('64-bit fields: an le64 store and load of desc.addr are one operation each, with the value', () => {
    const file = join(dir, 'u64.c');
    writeFileSync(file, `#include "${example('virtio_verify.h')}"
VV_EXPORT("poke") uint32_t poke(void) {
    volatile struct vring_desc *d = (volatile struct vring_desc *)VV_WINDOW_BASE;
    d[1].addr = 0x123456789abull;
    return (uint32_t)(d[1].addr >> 8);
}
`);
    const code = loadGatedCode(file, 'u64.c');
    const inst = findModel('vring-split').instantiate('reference', {});
    const g = new GatedInstance(code, inst.layout, inst.events.length);
    const run = g.call('poke', []);
    const store = run.next();
    expect(store.value).toMatchObject({ k: OpKind.STORE, t: inst.layout.field('desc[1].addr').id, v: 0x123456789ab });
    const load = run.next(0x123456789ab);
    expect(load.value).toMatchObject({ k: OpKind.LOAD, t: inst.layout.field('desc[1].addr').id });
    const done = run.next(0x55667788aabb);
    expect(done).toEqual({ done: true, value: 0x667788aa }); // (uint32_t)(addr >> 8)
  });

  it('a missing barrier in the C device is found only under tso', async () => {
    const file = variantOf('split-device-good.c', 'no-mb', ['vv_mb(); /* used.idx visible', '/* no barrier */ /* used.idx visible']);
    const sc = await validate({ impl: file, role: 'device', scheme: 'vring-split' });
    expect(sc.verdict).toBe('passed');
    const tso = await validate({ impl: file, role: 'device', scheme: 'vring-split', memory: 'tso' });
    expect(tso.verdict).toBe('violated');
    // The suppression read overtakes the buffered used.idx store: a decision without a fresh read.
    expect(status(tso)['notify-decision']).toBe('violated');
  });

  const READ = 'vv_rmb();\n        for';
  const faults: [string, string, Edit[], RegExp][] = [
    ['traps', 'gencount-driver-good.c', [[READ, '__builtin_trap();\n        for']], /RuntimeError: unreachable/],
    ['loops forever without touching shared memory', 'gencount-driver-good.c', [[READ, 'for (volatile int spin = 1; spin;) {}\n        for']], /loop iterations without touching shared memory.*hangs/],
    ['blocks forever in memory.atomic.wait', 'gencount-driver-good.c', [[READ, '__builtin_wasm_memory_atomic_wait32((int *)words, 0, -1);\n        for']], /memory\.atomic\.wait.*block forever/],
    ['recurses until its stack is gone', 'gencount-driver-good.c', [
      ['VV_EXPORT("read_config")', 'static int deep(int n) { volatile int pad[64]; pad[0] = n; return deep(n + 1) + pad[0]; }\nVV_EXPORT("read_config")'],
      [READ, 'vv_rmb(); (void)deep(1);\n        for'],
    ], /RangeError: Maximum call stack size exceeded|memory access out of bounds/],
    ['exhausts its memory', 'gencount-driver-good.c', [[READ, 'for (;;) (void)__builtin_wasm_memory_grow(0, 1);\n        for']], /memory\.grow by 1 page\(s\).*exhausted its memory/],
    ['stores half of a field', 'gencount-driver-good.c', [['cfg->drv_changed = 1;', '*(volatile uint16_t *)&cfg->drv_changed = 1;']], /2 bytes into the 4-byte field config\.drv_changed/],
    ['copies into the window with memcpy', 'gencount-driver-good.c', [['for (uint32_t j = 0; j < driver_words; j++) drv[j] = words[j];', '__builtin_memcpy((void *)drv, words, 4 * driver_words);']], /memory\.copy of 8 bytes with its destination in the shared window/],
    ['gives up with vv_fail', 'split-device-good.c', [['if (head >= num)', 'vv_fail("refusing every ring"); if (head >= num)']], /vq_pop_avail gave up: refusing every ring/],
  ];
  it.each(faults)('a C implementation that %s: a clear no-actor-error finding, the tool goes on', async (name, base, edits, message) => {
    const file = variantOf(base, name.replace(/\W+/g, '-'), ...edits);
    const scheme = base.startsWith('split') ? 'vring-split' : 'config-gencount';
    const role = base.startsWith('split') ? 'device' : 'driver';
    const r = await validate({ impl: file, role, scheme, preemptions: 1 });
    const e = r.invariants.find((i) => i.name === 'no-actor-error')!;
    expect(e.status, JSON.stringify(status(r))).toBe('violated');
    expect(e.counterexample!.message).toMatch(message);
    expect(e.counterexample!.schedule.length).toBeGreaterThan(0);
  });

  it("README's copy-paste C device validates as written, under sc and tso, with and without EVENT_IDX", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```c\n(\/\/ my-device\.c[\s\S]*?)```/.exec(readme)![1];
    const file = join(dir, 'my-device.c');
    writeFileSync(file, code.replace('#include "virtio_verify.h"', `#include "${example('virtio_verify.h')}"`));
    for (const [memory, eventIdx] of [['sc', 1], ['tso', 1], ['sc', 0]] as const) {
      const r = await validate({ impl: file, role: 'device', scheme: 'vring-split', memory, preemptions: 2, params: { eventIdx } });
      expect(r.verdict, `${memory} eventIdx=${eventIdx}: ${JSON.stringify(status(r))}`).toBe('passed');
    }
  });

  it('command line: exit 0 for a good implementation, 1 for a buggy one, 2 for bad input', () => {
    const cli = (impl: string, role = 'driver', scheme = 'config-gencount') => spawnSync(process.execPath, [bin, 'validate', '--impl', impl, '--role', role, '--scheme', scheme, '--preemptions', '1'], { encoding: 'utf8', cwd: root });
    const good = cli(example('gencount-driver-good.c'));
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/CONFORMS/);
    // The findings are files that name the implementation: replay runs it again, on either engine.
    const outDir = join(dir, 'cli-out');
    const saved = spawnSync(process.execPath, [bin, 'validate', '--impl', example('split-device-buggy.c'), '--role', 'device', '--scheme', 'vring-split', '--out', outDir], { encoding: 'utf8', cwd: root });
    expect(saved.status, saved.stderr).toBe(1);
    expect(saved.stdout).toMatch(/publish-order\s+VIOLATED/);
    const file = join(outDir, 'reports', 'counterexamples', 'validate.vring-split.device.publish-order.json');
    expect(saved.stdout).toContain(`replay: npx virtio-verify replay ${file}`);
    for (const engine of ['inline', 'threads']) {
      const again = spawnSync(process.execPath, [bin, 'replay', file, '--engine', engine], { encoding: 'utf8', cwd: root });
      expect(again.status, again.stderr).toBe(1);
      expect(again.stdout).toMatch(new RegExp(`vring-split with .*split-device-buggy\\.c as the device replayed on the ${engine} engine: VIOLATED publish-order again`));
      expect(again.stdout).toMatch(/trace identical to the one in the file/);
    }
    const wrongRole = cli(example('gencount-driver-good.c'), 'device');
    expect(wrongRole.status).toBe(2);
    expect(wrongRole.stderr).toMatch(/can be the config-gencount driver, vring-split device/);
    const missing = cli(example('gencount-driver-good.c'), 'device', 'vring-split');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/does not export vq_setup, .*which the device of vring-split needs/);
    const broken = join(dir, 'broken.c');
    writeFileSync(broken, 'int f(void) { return undeclared; }\n');
    const compile = cli(broken);
    expect(compile.status).toBe(2);
    expect(compile.stderr).toMatch(/does not compile: .*undeclared/);
    const garbage = join(dir, 'garbage.wasm');
    writeFileSync(garbage, 'not a module');
    const notWasm = cli(garbage);
    expect(notWasm.status).toBe(2);
    expect(notWasm.stderr).toMatch(/is not a valid WebAssembly module/);
  });
});
