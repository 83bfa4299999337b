/**
 * A model module (MODELS, as the threads engine's ModelSpec.module loads it) with one actor served
 * by a gated C module: the same instance as the inline engine gets (model.ts), built in every
 * worker from the gate pass's cache entry named in this module's URL
 * (`worker-model.ts?scheme=vring-split&role=device&code=<base64url cache prefix>`, wasmModelUrl).
 * The instance is created only where the actor runs, in its worker: the C code never runs on the
 * main thread.
 */
import { isMainThread } from 'node:worker_threads';
import { findModel } from '../../../models/index.ts';
import type { ModelDef } from '../../core/model.ts';
import { loadCached } from './load.ts';
import { wasmInstance } from './model.ts';
import { wasmRole } from './roles.ts';

interface Wanted { scheme: string; role: string; code: string }

const SLOT = Symbol.for('virtio-verify.validate.wasm-adapter');

export function wasmModelUrl(w: Wanted): string {
  const u = new URL(import.meta.url);
  // base64url: a query ending in ".json" or ".wasm" would make some loaders guess the wrong format.
  u.search = new URLSearchParams({ scheme: w.scheme, role: w.role, code: Buffer.from(w.code, 'utf8').toString('base64url') }).toString();
  return u.href;
}

/** vitest keeps a module's query out of import.meta.url: the main thread also leaves it here (js/model.ts does the same). */
export function announceWasmOnMainThread(w: Wanted): void {
  (globalThis as Record<symbol, Wanted | undefined>)[SLOT] = w;
}

function wanted(): Wanted | undefined {
  const q = new URL(import.meta.url).searchParams;
  const scheme = q.get('scheme');
  const role = q.get('role');
  const code = q.get('code');
  if (scheme !== null && role !== null && code !== null) return { scheme, role, code: Buffer.from(code, 'base64url').toString('utf8') };
  return isMainThread ? (globalThis as Record<symbol, Wanted | undefined>)[SLOT] : undefined;
}

function adapted(w: Wanted): ModelDef {
  const base = findModel(w.scheme);
  const role = wasmRole(w.scheme, w.role)!;
  let code: ReturnType<typeof loadCached> | undefined;
  return {
    ...base,
    variants: [{ name: 'reference', description: `C as the ${w.role}`, expect: { verdict: 'passed' } }],
    instantiate: (_variant, params) => wasmInstance(base, role, () => (code ??= loadCached(w.code)), params),
  };
}

const w = wanted();
export const MODELS: readonly ModelDef[] = w ? [adapted(w)] : [];
