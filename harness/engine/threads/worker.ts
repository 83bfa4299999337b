/**
 * Entry of an actor's worker: instantiates the same model as the main thread, maps the SAME shared
 * memory, reports ready, then serves the turnstile until it is terminated.
 */
import { parentPort } from 'node:worker_threads';
import { SharedState } from '../../core/shared-state.ts';
import { ActorDriver } from './actor-driver.ts';
import { Channel } from './channel.ts';
import { loadModel } from './model-source.ts';
import { workerInit } from './worker-init.ts';

const init = workerInit();
const def = await loadModel(init.spec);
const instance = def.instantiate(init.spec.variant, init.spec.params);
const actor = instance.actors[init.actor];
const bytes = SharedState.bytesFor(instance.layout, instance.events.length);
// Both sides must build the same instance: the worker's field offsets index the main thread's memory.
if (actor?.name !== init.actorName) {
  throw new Error(`model ${init.spec.model}/${init.spec.variant} instantiated differently in the worker (actor ${init.actor} is ${actor?.name}, on the main thread ${init.actorName}): instantiate() must be deterministic`);
}
if (bytes !== init.memory.byteLength) {
  throw new Error(`the worker's shared state for ${init.spec.model}/${init.spec.variant} needs ${bytes} bytes but the main thread's has ${init.memory.byteLength}: instantiate() is not deterministic, or the sources changed while the engine started`);
}
const state = new SharedState(instance.layout, instance.events.length, init.memory);
const driver = new ActorDriver(actor, init.actor, state, new Channel(init.channel));
parentPort!.postMessage('ready');
driver.serve();
