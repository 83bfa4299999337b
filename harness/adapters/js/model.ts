/**
 * A model module (MODELS, as the threads engine's ModelSpec.module loads it) that puts a
 * third-party JavaScript module in place of one reference actor. What it wraps comes from this
 * module's own URL: `model.ts?scheme=config-gencount&role=driver&impl=<file URL>`, so that the
 * main thread and every worker build the same instance (jsModelUrl makes that URL).
 *
 * The third-party module is imported only in workers: on the main thread nothing of it runs, so
 * code that hangs or crashes at import time costs a worker, never the tool.
 */
import { isMainThread } from 'node:worker_threads';
import { findModel } from '../../../models/index.ts';
import { UsageError, type ModelDef, type ModelInstance } from '../../core/model.ts';
import { blockingActor } from '../blocking-port.ts';
import { missingExports, roleSpec } from '../schemes.ts';

const query = new URL(import.meta.url).searchParams;
const scheme = query.get('scheme');
const role = query.get('role');
// The implementation's URL travels base64url-encoded: a module URL whose query ended in ".mjs"
// would make some loaders (vitest's) take this TypeScript module for JavaScript.
const impl = query.has('impl') ? Buffer.from(query.get('impl')!, 'base64url').toString('utf8') : null;

export function jsModelUrl(scheme: string, role: string, implUrl: string): string {
  const u = new URL(import.meta.url);
  u.search = new URLSearchParams({ scheme, role, impl: Buffer.from(implUrl, 'utf8').toString('base64url') }).toString();
  return u.href;
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

/**
 * Some module loaders (vitest's) keep the query apart in the module's id but drop it from
 * import.meta.url; on the main thread validate therefore also leaves what it wraps here.
 */
const SLOT = Symbol.for('virtio-verify.validate.js-adapter');
type Slot = { scheme: string; role: string; impl: string };

export function announceOnMainThread(scheme: string, role: string, implUrl: string): void {
  (globalThis as Record<symbol, Slot | undefined>)[SLOT] = { scheme, role, impl: implUrl };
}

const wanted: Slot | undefined = scheme !== null && role !== null && impl !== null
  ? { scheme, role, impl }
  : isMainThread ? (globalThis as Record<symbol, Slot | undefined>)[SLOT] : undefined;

export const MODELS: readonly ModelDef[] = wanted ? [await adapted(wanted.scheme, wanted.role, wanted.impl)] : [];
