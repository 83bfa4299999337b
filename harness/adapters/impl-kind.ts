/**
 * What `--impl` names: a JavaScript/TypeScript module, C or WebAssembly, or an external command.
 * A path that exists is a file, whatever it contains (spaces included): a module or C/WebAssembly
 * by its extension, a command when it is executable, bad input otherwise (a folder, a .txt file,
 * a file that cannot be read). Anything else is a command line split on blanks (no shell).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../core/model.ts';

export const JS_EXTENSIONS = /\.(mjs|cjs|js|mts|ts)$/;
export const WASM_EXTENSIONS = /\.(c|wasm)$/;

export type ImplKind = 'js' | 'wasm' | 'process';

export interface ImplTarget {
  readonly kind: ImplKind;
  /** The file's absolute path (a module, C, WebAssembly, or an executable run without arguments). */
  readonly path?: string;
  /** A command's program and arguments. */
  readonly argv?: readonly string[];
}

const ACCEPTED = 'a JavaScript or TypeScript module (.mjs, .js, .ts), C (.c), WebAssembly (.wasm), or a command speaking virtio-msg on stdin/stdout such as "python3 device.py"';

/** Splits a command line on blanks (no shell, no quoting): "python3 dev.py --x" -> [python3, dev.py, --x]. */
export function commandArgv(command: string): string[] {
  return command.trim().split(/\s+/).filter((s) => s.length > 0);
}

/** Classifies `impl`, or throws a UsageError that names --impl and what it accepts. */
export function classifyImpl(impl: string, cwd: string = process.cwd()): ImplTarget {
  const text = impl.trim();
  if (text === '') throw new UsageError(`--impl takes ${ACCEPTED}, not an empty string`);
  const path = resolve(cwd, text);
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`--impl ${text} is a folder: it takes ${ACCEPTED}`);
    if (!st.isFile()) throw new UsageError(`--impl ${text} is not a regular file: it takes ${ACCEPTED}`);
    try {
      accessSync(path, constants.R_OK);
    } catch (e) {
      throw new UsageError(`--impl ${text}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}); it takes ${ACCEPTED}`);
    }
    if (JS_EXTENSIONS.test(path)) return { kind: 'js', path };
    if (WASM_EXTENSIONS.test(path)) return { kind: 'wasm', path };
    if (isExecutable(path, st.mode)) return { kind: 'process', path, argv: [path] };
    const ext = /\.[^./]*$/.exec(path)?.[0];
    throw new UsageError(`--impl ${text}: ${ext ? `a ${ext} file` : 'a file without extension that is not executable'} is none of what it takes: ${ACCEPTED}`);
  }
  const argv = commandArgv(text);
  if (argv.length === 1 && (JS_EXTENSIONS.test(text) || WASM_EXTENSIONS.test(text) || text.includes('/'))) throw new UsageError(`--impl ${text}: no such file`);
  return { kind: 'process', argv };
}

/** The kind without the checks (nightly job lists; a job reports the bad input when it runs). */
export function implKind(impl: string, cwd: string = process.cwd()): ImplKind {
  try {
    return classifyImpl(impl, cwd).kind;
  } catch {
    const t = impl.trim();
    return JS_EXTENSIONS.test(t) ? 'js' : WASM_EXTENSIONS.test(t) ? 'wasm' : 'process';
  }
}

function isExecutable(path: string, mode: number): boolean {
  if ((mode & 0o111) === 0) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
