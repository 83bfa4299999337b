/**
 * A model instance with one actor's protocol steps served by a gated C module (roles.ts): the
 * model's scenario, layout and invariants, and a fresh WebAssembly instance for that actor in
 * every execution. Runs on the inline engine: the instance suspends through Asyncify, so the
 * actor is a generator like every reference actor.
 */
import { UsageError, type ModelDef, type ModelInstance, type Params } from '../../core/model.ts';
import type { Program } from '../../core/ops.ts';
import { GatedInstance, type GatedCode } from './gated-instance.ts';
import type { HookSlot, WasmRole } from './roles.ts';

/** Checks the module's exports against the role up front: a missing entry point is bad input, not a finding. */
export function checkExports(code: GatedCode, role: WasmRole, what: string): void {
  const have = new Set(WebAssembly.Module.exports(code.module).map((e) => e.name));
  const missing = role.exports.filter((n) => !have.has(n));
  if (missing.length) {
    throw new UsageError(`${what} does not export ${missing.join(', ')}, which the ${role.role} of ${role.scheme} needs (examples/c/virtio_verify.h, docs/third-party.md)`);
  }
}

/** `code` is asked for only when the actor first runs: a worker's main-thread twin never loads the module. */
export function wasmInstance(def: ModelDef, role: WasmRole, code: () => GatedCode, params: Params, variant = 'reference'): ModelInstance {
  if (!def.instantiateWith) throw new UsageError(`model ${def.name} cannot take compiled protocol steps`);
  const hooks: HookSlot = { hook: undefined };
  let current: GatedInstance | undefined;
  let inst: ModelInstance;
  const fresh = function* (): Program<GatedInstance> {
    if (current) return current;
    current = new GatedInstance(code(), inst.layout, inst.events.length, (op) => hooks.hook?.(op) ?? []);
    yield* role.setup(current, inst);
    return current;
  };
  const base = def.instantiateWith(variant, params, role.steps({ get: fresh }, hooks));
  const index = base.actors.findIndex((a) => a.name === role.role);
  if (index < 0) throw new UsageError(`model ${def.name} has no actor named ${role.role}`);
  const actors = base.actors.slice();
  const actor = base.actors[index];
  actors[index] = {
    ...actor,
    program: () => {
      // A new execution: the previous instance (and whatever state its C code kept) is dropped.
      current = undefined;
      hooks.hook = undefined;
      return actor.program();
    },
  };
  inst = { ...base, actors };
  return inst;
}
