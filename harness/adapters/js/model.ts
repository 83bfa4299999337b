/**
 * A model module (MODELS, as the threads engine's ModelSpec.module loads it) that puts a
 * third-party JavaScript module in place of one reference actor. What it wraps comes from this
 * module's own URL (jsModelUrl makes it; adapter-url.ts), so that the main thread and every worker
 * build the same instance.
 *
 * The third-party module is imported only in workers: on the main thread nothing of it runs, so
 * code that hangs or crashes at import time costs a worker, never the tool.
 */
import { isMainThread } from 'node:worker_threads';
import { findModel } from '../../../models/index.ts';
import { UsageError, type ModelDef, type ModelInstance } from '../../core/model.ts';
import { adapterUrl, announce, wrapped } from '../adapter-url.ts';
import { blockingActor } from '../blocking-port.ts';
import { missingExports, roleSpec } from '../schemes.ts';

const SLOT = 'virtio-verify.validate.js-adapter';

export function jsModelUrl(scheme: string, role: string, implUrl: string): string {
  return adapterUrl(import.meta.url, { scheme, role, impl: implUrl });
}

/** On the main thread, where some loaders drop this module's query (adapter-url.ts). */
export function announceOnMainThread(scheme: string, role: string, implUrl: string): void {
  announce(SLOT, { scheme, role, impl: implUrl });
}

async function adapted(scheme: string, role: string, impl: string): Promise<ModelDef> {
  const spec = roleSpec(scheme, role, impl);
  const base = findModel(scheme);
  let mod: Record<string, unknown> | undefined;
  if (!isMainThread) {
    mod = await import(impl) as Record<string, unknown>;
    const missing = missingExports(spec, mod);
    if (missing.length) throw new UsageError(`${impl} does not export the ${role} entry points ${missing.join(', ')} as functions (docs/third-party.md)`);
  }
  return {
    ...base,
    variants: [{ name: 'reference', description: `${impl} as the ${role}`, expect: { verdict: 'passed' } }],
    instantiate(variant, params): ModelInstance {
      const inst = base.instantiate(variant, params);
      const index = inst.actors.findIndex((a) => a.name === role);
      if (index < 0) throw new UsageError(`model ${scheme} has no actor named ${role}`);
      const actors = inst.actors.slice();
      // A sans-IO role (spec.program) yields like a reference actor: it needs no blocking port.
      actors[index] = spec.program
        ? { name: role, program: () => spec.program!(out, mod!) }
        : blockingActor(role, () => out, () => spec.body!(out, mod!));
      for (const [name, body] of Object.entries(spec.others ?? {})) {
        const at = inst.actors.findIndex((a) => a.name === name);
        if (at < 0) throw new UsageError(`model ${scheme} has no actor named ${name}`);
        actors[at] = blockingActor(name, () => out, () => body(out, mod!));
      }
      const out: ModelInstance = { ...inst, actors, invariants: spec.invariants?.(inst) ?? inst.invariants };
      return out;
    },
  };
}

const wanted = wrapped(import.meta.url, SLOT);

export const MODELS: readonly ModelDef[] = wanted ? [await adapted(wanted.scheme, wanted.role, wanted.impl)] : [];
