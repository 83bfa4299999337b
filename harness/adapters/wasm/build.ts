/**
 * Builds a C implementation to WebAssembly with Debian's clang and lld (examples/c/virtio_verify.h):
 * freestanding wasm32 over an imported shared memory of MEMORY_PAGES pages, __heap_base exported so
 * the adapter can check that data and stack stay below the shared window.
 * Debian's lld package may install the linker only as wasm-ld-NN (or under /usr/lib/llvm-NN/bin):
 * the linker is found here and named to clang by its absolute path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MEMORY_PAGES } from './gated-instance.ts';

export interface WasmToolchain {
  readonly clang: string;
  readonly wasmLd: string;
}

function pathDirs(): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter(Boolean);
}

/** The first executable named `name` or `name-NN` (highest NN) on PATH, then under /usr/lib/llvm-NN/bin. */
function findTool(name: string): string | undefined {
  const versioned = new RegExp(`^${name}-(\\d+)$`);
  for (const dir of pathDirs()) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  for (const dir of pathDirs()) {
    let names: string[];
    try { names = readdirSync(dir); } catch { continue; }
    const hit = names.filter((n) => versioned.test(n)).sort((a, b) => Number(versioned.exec(b)![1]) - Number(versioned.exec(a)![1]))[0];
    if (hit) return join(dir, hit);
  }
  let llvm: string[] = [];
  try { llvm = readdirSync('/usr/lib').filter((n) => /^llvm-\d+$/.test(n)).sort((a, b) => Number(b.slice(5)) - Number(a.slice(5))); } catch { /* none */ }
  for (const d of llvm) if (existsSync(join('/usr/lib', d, 'bin', name))) return join('/usr/lib', d, 'bin', name);
  return undefined;
}

/** clang and wasm-ld, or the reason they cannot be used. */
export function findWasmToolchain(): WasmToolchain | { readonly missing: string } {
  const clang = findTool('clang');
  const wasmLd = findTool('wasm-ld');
  if (!clang) return { missing: 'clang is not installed (Debian: apt-get install clang lld)' };
  if (!wasmLd) return { missing: 'wasm-ld is not installed (Debian: apt-get install lld)' };
  return { clang, wasmLd };
}

/** Compiles one freestanding C file to a wasm32 module; throws with clang's messages on failure. */
export function compileC(tools: WasmToolchain, cFile: string, outWasm: string, extra: readonly string[] = []): void {
  const args = ['--target=wasm32', '-ffreestanding', '-nostdlib', '-O2', '-Wall', '-matomics', '-mbulk-memory',
    '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--shared-memory', `-Wl,--max-memory=${MEMORY_PAGES * 65536}`, '-Wl,--export=__heap_base',
    `-fuse-ld=${tools.wasmLd}`, ...extra, '-o', outWasm, cFile];
  const r = spawnSync(tools.clang, args, { encoding: 'utf8', env: withoutWasmOpt(process.env) });
  if (r.error || r.status !== 0) {
    throw new Error(`${tools.clang} ${args.join(' ')} failed: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
  }
}

/**
 * The environment for clang without the folders that hold a wasm-opt: clang runs any wasm-opt it
 * finds on PATH after linking (npx puts binaryen's there), which made the module depend on how
 * validate was started; the gate pass optimises the module itself afterwards.
 */
function withoutWasmOpt(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d && !existsSync(join(d, 'wasm-opt')));
  return { ...env, PATH: dirs.join(delimiter) };
}
