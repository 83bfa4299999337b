/**
 * From `--impl file.c` or `--impl file.wasm` to gated code: C is compiled with Debian's clang and
 * lld (build.ts), the module is rewritten by the gate pass (gate-pass.ts) and compiled once; every
 * execution then instantiates it afresh.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../core/model.ts';
import { compileC, findWasmToolchain } from './build.ts';
import type { Site } from './gate-pass.ts';
import type { GatedCode } from './gated-instance.ts';

/** Bumped whenever the gate pass changes what it emits: old cache entries are then ignored. */
const PASS_VERSION = 3;
const GATE_MAIN = fileURLToPath(new URL('./gate-main.mjs', import.meta.url));

/** The module's bytes: a .wasm as it is, a .c compiled (with its own folder on the include path). */
function wasmBytes(path: string, what: string): Uint8Array<ArrayBuffer> {
  if (!path.endsWith('.c')) return new Uint8Array(readFileSync(path));
  const tools = findWasmToolchain();
  if ('missing' in tools) throw new UsageError(`${what}: ${tools.missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'vv-wasm-'));
  try {
    const out = join(dir, `${basename(path, '.c')}.wasm`);
    try {
      compileC(tools, path, out, [`-I${dirname(path)}`]);
    } catch (e) {
      const diagnostics = (e as Error).message.split('\n').slice(1).filter((l) => /error|warning/.test(l)).slice(0, 4).join(' ');
      throw new UsageError(`${what} does not compile: ${diagnostics.trim() || (e as Error).message.split('\n')[0]}`);
    }
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Gated code, and where the gate pass left it (the threads engine's workers load it from there). */
export interface LoadedCode extends GatedCode {
  readonly gateMs: number;
  readonly cached: string;
}

export function loadGatedCode(path: string, what: string): LoadedCode {
  const bytes = wasmBytes(path, what);
  try {
    new WebAssembly.Module(bytes);
  } catch (e) {
    throw new UsageError(`${what} is not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const t = performance.now();
  const cached = gate(bytes, what);
  const gateMs = performance.now() - t;
  const { module, sites } = loadCached(cached);
  const memory = WebAssembly.Module.imports(module).find((i) => i.kind === 'memory');
  if (!memory) {
    throw new UsageError(`${what} does not import its memory: link with -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=524288 (examples/c/virtio_verify.h)`);
  }
  return { module, sites, gateMs, cached };
}

/**
 * Gates the module unless the cache (keyed by the module's hash) has it; returns the cache entry's prefix.
 * The cache lives under the system's temporary folder: nightly reruns of the same build skip binaryen.
 */
function gate(bytes: Uint8Array, what: string): string {
  const key = createHash('sha256').update(`gate-pass ${PASS_VERSION}\0`).update(bytes).digest('hex').slice(0, 32);
  const cache = join(tmpdir(), 'virtio-verify-gate');
  const prefix = join(cache, key);
  if (!existsSync(`${prefix}.json`)) {
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, 'run-'));
    try {
      const input = join(work, 'in.wasm');
      writeFileSync(input, bytes);
      const env = { ...process.env };
      delete env.NODE_OPTIONS; // no inherited loaders: binaryen must load natively
      const r = spawnSync(process.execPath, [GATE_MAIN, input, join(work, 'out')], { encoding: 'utf8', env, timeout: 120_000 });
      if (r.status === 3) throw new UsageError(`${what}: ${r.stderr.trim()}`);
      if (r.error || r.status !== 0) throw new Error(`the gate pass failed on ${what}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      // The .json last: its presence marks a complete entry, even with concurrent runs.
      renameSync(join(work, 'out.wasm'), `${prefix}.wasm`);
      renameSync(join(work, 'out.json'), `${prefix}.json`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return prefix;
}

/** A gated module from the cache entry `prefix` (gate's result). */
export function loadCached(prefix: string): GatedCode {
  const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as { sites: Site[] };
  return { module: new WebAssembly.Module(new Uint8Array(readFileSync(`${prefix}.wasm`))), sites: meta.sites };
}
