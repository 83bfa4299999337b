/**
 * A model module (MODELS, as the threads engine's ModelSpec.module loads it) with one actor served
 * by a gated C module: the same instance as the inline engine gets (model.ts), built in every
 * worker from the gate pass's cache entry named in this module's URL (wasmModelUrl; adapter-url.ts).
 * The instance is created only where the actor runs, in its worker: the C code never runs on the
 * main thread.
 */
import { findModel } from '../../../models/index.ts';
import type { ModelDef } from '../../core/model.ts';
import { adapterUrl, announce, wrapped, type Wrapped } from '../adapter-url.ts';
import { loadCached } from './load.ts';
import { wasmInstance } from './model.ts';
import { wasmRole } from './roles.ts';

const SLOT = 'virtio-verify.validate.wasm-adapter';

/** `impl` is the gate cache's entry (load.ts loadCached). */
export function wasmModelUrl(w: Wrapped): string {
  return adapterUrl(import.meta.url, w);
}

/** On the main thread, where some loaders drop this module's query (adapter-url.ts). */
export function announceWasmOnMainThread(w: Wrapped): void {
  announce(SLOT, w);
}

function adapted(w: Wrapped): ModelDef {
  const base = findModel(w.scheme);
  const role = wasmRole(w.scheme, w.role)!;
  let code: ReturnType<typeof loadCached> | undefined;
  return {
    ...base,
    variants: [{ name: 'reference', description: `C as the ${w.role}`, expect: { verdict: 'passed' } }],
    instantiate: (_variant, params) => wasmInstance(base, role, () => (code ??= loadCached(w.impl)), params),
  };
}

const w = wrapped(import.meta.url, SLOT);
export const MODELS: readonly ModelDef[] = w ? [adapted(w)] : [];
