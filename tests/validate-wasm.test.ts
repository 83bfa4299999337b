/**
 * `validate` with C compiled to WebAssembly (docs/third-party.md, "C compiled to WebAssembly"):
 * the shipped C drivers are built here with Debian's clang and lld (.ci/run installs them), run as
 * the config-gencount driver with every port import one scheduling point, and judged.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC, findWasmToolchain, type WasmToolchain } from '../harness/adapters/wasm/build.ts';
import { wasmImplModule } from '../harness/adapters/wasm/port.ts';
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

/** Compiles a C file to dir/<name>.wasm and returns the --impl module for it. */
function build(cFile: string, name: string): string {
  const wasm = join(dir, `${name}.wasm`);
  compileC(tools!, cFile, wasm, [`-I${join(root, 'examples', 'c')}`]);
  return wasmImplModule(wasm);
}

/** A driver: the good example with `write_config` replaced by `body`. */
function driverWith(name: string, body: string): string {
  const good = readFileSync(example('gencount-driver-good.c'), 'utf8');
  const at = good.indexOf('VV_EXPORT("write_config")');
  const file = join(dir, `${name}.c`);
  writeFileSync(file, `${good.slice(0, at)}VV_EXPORT("write_config") void write_config(uint32_t n) {\n  (void)n;\n  ${body}\n}\n`);
  return build(file, name);
}

const status = (r: Awaited<ReturnType<typeof validate>>) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));

describe.skipIf(!tools)('validate: C drivers compiled to WebAssembly (config-gencount)', () => {
  it('builds freestanding wasm32 modules whose only imports are the port functions (no shared memory)', () => {
    build(example('gencount-driver-good.c'), 'good');
    const module = new WebAssembly.Module(readFileSync(join(dir, 'good.wasm')));
    const imports = WebAssembly.Module.imports(module);
    expect(imports.every((i) => i.module === 'vv' && i.kind === 'function')).toBe(true);
    expect(imports.map((i) => i.name).sort()).toEqual(['load', 'notify', 'pause', 'rmb', 'store', 'wmb']);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual(expect.arrayContaining(['memory', 'vv_words', 'read_config', 'write_config']));
  });

  it('passes the good driver: every invariant holds within the bound, complete', async () => {
    const impl = build(example('gencount-driver-good.c'), 'good');
    const r = await validate({ impl, role: 'driver', scheme: 'config-gencount', preemptions: 2 });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
    expect(r.executions).toBeGreaterThan(100);
  });

  it('finds the ordering bug of the buggy driver (generation re-checked before the words): no-torn-read', async () => {
    const impl = build(example('gencount-driver-buggy.c'), 'buggy');
    const r = await validate({ impl, role: 'driver', scheme: 'config-gencount', preemptions: 2 });
    expect(r.verdict).toBe('violated');
    expect(status(r)).toMatchObject({ 'no-torn-read': 'violated', 'driver-write-intact': 'holds', 'no-actor-error': 'holds' });
    const c = r.invariants.find((i) => i.name === 'no-torn-read')!.counterexample!;
    // Each import call is a step of its own: the device's update lands between the driver's
    // second load of the generation and its loads of the words.
    const ops = c.schedule.map((s) => `${s.actor} ${s.op}`);
    const data = ops.indexOf('driver load config.data[0]');
    expect(data).toBeGreaterThan(0);
    const lastGen = ops.slice(0, data).lastIndexOf('driver load config.gen');
    expect(lastGen).toBeGreaterThanOrEqual(0);
    expect(ops.slice(lastGen).some((s) => s === 'device store config.gen')).toBe(true);
  });

  it('command line: exit 0 for the good driver, 1 for the buggy one', () => {
    const cli = (impl: string) => spawnSync(process.execPath, [bin, 'validate', '--impl', impl, '--role', 'driver', '--scheme', 'config-gencount', '--preemptions', '1'], { encoding: 'utf8', cwd: root });
    const good = cli(build(example('gencount-driver-good.c'), 'cli-good'));
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/CONFORMS/);
    const bad = cli(build(example('gencount-driver-buggy.c'), 'cli-buggy'));
    expect(bad.status, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/no-torn-read\s+VIOLATED/);
    // The C source itself as --impl: validate compiles it with clang first.
    const direct = cli(example('gencount-driver-buggy.c'));
    expect(direct.status, direct.stderr).toBe(1);
    expect(direct.stdout).toMatch(/no-torn-read\s+VIOLATED/);
    const wrongRole = spawnSync(process.execPath, [bin, 'validate', '--impl', example('gencount-driver-good.c'), '--role', 'device', '--scheme', 'config-gencount'], { encoding: 'utf8', cwd: root });
    expect(wrongRole.status).toBe(2);
    expect(wrongRole.stderr).toMatch(/config-gencount driver only/);
  });

  const faults: [string, string, RegExp][] = [
    ['traps', '__builtin_trap();', /RuntimeError: unreachable/],
    ['names a field that does not exist', 'vv_store(0x7777u, 1);', /no config-gencount field has the id 0x7777/],
  ];
  it.each(faults)('a C driver that %s: no-actor-error, the tool goes on', async (name, body, message) => {
    const impl = driverWith(name.replace(/\W+/g, '-'), body);
    const r = await validate({ impl, role: 'driver', scheme: 'config-gencount', preemptions: 1, stepTimeoutMs: 1000 });
    const e = r.invariants.find((i) => i.name === 'no-actor-error')!;
    expect(e.status).toBe('violated');
    expect(e.counterexample!.message).toMatch(message);
    expect(e.counterexample!.schedule.some((s) => s.actor === 'driver' && s.op === 'load config.gen')).toBe(true);
  });
});
