/**
 * C compiled to WebAssembly as a third-party implementation (docs/third-party.md, "C compiled to
 * WebAssembly"; the C side is examples/c/virtio_verify_port.h).
 *
 * The design is imported-function gating: the C code never touches shared memory. Every access to
 * a field, every barrier, pause and notification is a call of a function the module imports
 * (module "vv"), and each import is wired to one call of the JavaScript adapter's synchronous port
 * (harness/adapters/blocking-port.ts). So each import call is one scheduling point, the module runs
 * exactly like a JavaScript module on the threads engine (a blocking actor in its own worker), and
 * nothing else the C code does (its own linear memory, its stack) is scheduled. No binaryen gate
 * pass or Asyncify is involved: the inline engine cannot run it, as it cannot run any blocking actor.
 *
 * validate takes a JavaScript module as --impl; wasmImplModule writes the two-line module that
 * exports a .wasm file's entry points in the form the scheme expects (wasmGencountDriver).
 *
 * One instance per execution: the scheme's driver scenario builds one port per execution, and the
 * first entry point called with a new port instantiates the (compiled once) module afresh, so C
 * statics start from their initial values in every execution and the schedule replays
 * deterministically. When an entry point throws (a trap, a misuse of the port, or the harness
 * abandoning the execution from inside an import) that instance is dropped: its shadow stack
 * pointer was never restored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SyncPort } from '../blocking-port.ts';

/** The symbolic field and event ids of virtio_verify_port.h, mapped to the layout's names. */
export function gencountFieldName(id: number): string {
  if (id === 0x0001) return 'config.gen';
  if (id === 0x0002) return 'config.dev_changed';
  if (id === 0x0003) return 'config.drv_changed';
  if (id >= 0x0100 && id < 0x0200) return `config.data[${id - 0x0100}]`;
  if (id >= 0x0200 && id < 0x0300) return `config.drv[${id - 0x0200}]`;
  throw new TypeError(`vv_load/vv_store: no config-gencount field has the id 0x${(id >>> 0).toString(16)} (virtio_verify_port.h)`);
}

export function gencountEventName(id: number): string {
  if (id === 1) return 'config-irq';
  if (id === 2) return 'config-doorbell';
  throw new TypeError(`vv_notify: no config-gencount event has the id ${id >>> 0} (virtio_verify_port.h)`);
}

/** VV_MAX_WORDS of virtio_verify_port.h. */
export const MAX_WORDS = 64;

/** The "vv" imports over one port: each call is exactly one port operation. */
export function portImports(port: SyncPort, field: (id: number) => string, event: (id: number) => string): WebAssembly.Imports {
  return {
    vv: {
      load: (f: number) => port.load(field(f >>> 0)),
      store: (f: number, v: number) => { port.store(field(f >>> 0), v >>> 0); },
      wmb: () => port.wmb(),
      rmb: () => port.rmb(),
      mb: () => port.mb(),
      pause: () => port.pause(),
      notify: (e: number) => port.notify(event(e >>> 0)),
    },
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  vv_words(): number;
  read_config(n: number): void;
  write_config(n: number): void;
}

function compile(source: string | URL | Uint8Array): WebAssembly.Module {
  // A copy: WebAssembly takes bytes over a plain (not shared) ArrayBuffer.
  return new WebAssembly.Module(new Uint8Array(source instanceof Uint8Array ? source : readFileSync(source)));
}

/** The entry points a config-gencount driver module exports (virtio_verify_port.h), checked up front. */
const DRIVER_EXPORTS = ['memory', 'vv_words', 'read_config', 'write_config'];

/**
 * A config-gencount driver (readConfig, writeConfig as docs/third-party.md asks) over a .wasm
 * module that exports vv_words, read_config and write_config.
 */
export function wasmGencountDriver(source: string | URL | Uint8Array) {
  const module = compile(source);
  const have = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = DRIVER_EXPORTS.filter((n) => !have.has(n));
  if (missing.length) throw new TypeError(`the WebAssembly module does not export ${missing.join(', ')} (examples/c/virtio_verify_port.h)`);
  const instances = new WeakMap<SyncPort, Exports>();
  const instance = (port: SyncPort): Exports => {
    let x = instances.get(port);
    if (!x) {
      x = new WebAssembly.Instance(module, portImports(port, gencountFieldName, gencountEventName)).exports as unknown as Exports;
      instances.set(port, x);
    }
    return x;
  };
  /** Runs an entry point; an instance that threw out of one is not used again. */
  const call = <T>(port: SyncPort, f: (x: Exports) => T): T => {
    const x = instance(port);
    try {
      return f(x);
    } catch (e) {
      instances.delete(port);
      throw e;
    }
  };
  const buffer = (x: Exports, n: number): Uint32Array => {
    if (n > MAX_WORDS) throw new RangeError(`${n} words: the C port takes at most VV_MAX_WORDS (${MAX_WORDS})`);
    const at = x.vv_words() >>> 0;
    if (at % 4 !== 0 || at + 4 * n > x.memory.buffer.byteLength) throw new RangeError(`vv_words() returned ${at}, not a buffer of ${n} words in the module's memory`);
    return new Uint32Array(x.memory.buffer, at, n);
  };
  return {
    readConfig(port: SyncPort): number[] {
      const n = port.params.configBytes / 4;
      return call(port, (x) => { x.read_config(n); return Array.from(buffer(x, n)); });
    },
    writeConfig(port: SyncPort, words: readonly number[]): void {
      call(port, (x) => { buffer(x, words.length).set(words); x.write_config(words.length); });
    },
  };
}

/**
 * Writes `<wasm>.mjs` next to a config-gencount driver .wasm: the module to give validate as
 * --impl. Returns its path.
 */
export function wasmImplModule(wasmFile: string): string {
  const adapter = pathToFileURL(fileURLToPath(import.meta.url)).href;
  const out = join(dirname(wasmFile), `${basename(wasmFile)}.mjs`);
  writeFileSync(out, `// validate --impl for ${basename(wasmFile)} (harness/adapters/wasm/port.ts)
import { wasmGencountDriver } from ${JSON.stringify(adapter)};
export const { readConfig, writeConfig } = wasmGencountDriver(new URL(${JSON.stringify(`./${basename(wasmFile)}`)}, import.meta.url));
`);
  return out;
}
