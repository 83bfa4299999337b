/**
 * Runs one execution: asks the strategy which enabled actor steps next, lets the engine step it,
 * and feeds every new trace entry to the invariants. Safety invariants are checked after every
 * step; liveness invariants when no actor can run (quiescence).
 *
 * Enabled means: not done, not failed, not blocked in a wait on an event nobody raised, not shut
 * out by another actor's atomic section, and not asleep in a spin. An actor that pauses (the
 * spin-loop hint) sleeps while nothing it read in its current attempt has changed (spin.ts):
 * repeating the attempt on the same values would only repeat it, so spinning costs no steps, no
 * preemptions and no branches. When nothing else can run, sleepers retry freely; a spin that still
 * changes nothing within the step bound is a livelock.
 *
 * Under memory model tso, making an actor's oldest buffered store visible is a choice of its own,
 * numbered actors + a ("flush of actor a"), enabled while the buffer is not empty. A flush is not
 * a move of the actor: the actor that ran last stays current.
 *
 * Under memory model weak the same flushes make an actor's oldest pending store visible, and two
 * more kinds of choice exist (weak-choices.ts): making a younger pending store visible first (one
 * no wmb holds back), and running an actor's load so that it reads an older message than the
 * newest it may read (a stale value). The default is the newest, so the default schedule reads
 * what sc would.
 */
import { actorName, opLabel, targetName } from '../core/describe.ts';
import type { ModelInstance, Observer } from '../core/model.ts';
import { OpKind, touchesField } from '../core/ops.ts';
import { NO_OWNER } from '../core/shared-state.ts';
import { DONE, FAILED, type Engine } from '../engine/engine.ts';
import { footprintOf } from './footprint.ts';
import { SpinWatch } from './spin.ts';
import { flushChoice, staleChoice, weakChoice } from './weak-choices.ts';
import { PRUNE, type Choice, type Strategy } from './strategy.ts';

/** The harness's own invariants, checked for every model. */
export const HARNESS_INVARIANTS = [
  { name: 'no-deadlock', kind: 'liveness', protects: 'No actor stays blocked in a wait that nothing will ever raise once every other actor is done or idle.' },
  { name: 'no-livelock', kind: 'liveness', protects: 'Every actor finishes or goes idle within the step bound (a retry or spin loop that never ends is a livelock).' },
  { name: 'no-actor-error', kind: 'safety', protects: 'No actor throws or crashes (a model assertion, a broken ring detected, a dead worker).' },
] as const;

export interface Violation {
  readonly invariant: string;
  readonly message: string;
  /** Index of the trace entry at which it was detected (the trace length for liveness). */
  readonly at: number;
}

export interface ExecutionResult {
  readonly decisions: number[];
  readonly steps: number;
  readonly violation?: Violation;
  /** The strategy stopped the execution as redundant (partial-order reduction). */
  readonly pruned: boolean;
}

export function runExecution(engine: Engine, strategy: Strategy): ExecutionResult {
  const instance = engine.instance;
  const n = instance.actors.length;
  const decisions: number[] = [];
  const spin = new SpinWatch(n, instance.layout.fields.length, instance.events.length, engine.state.memoryModel !== 'sc');
  const history = new Uint32Array(n).fill(0x811c9dc5);
  const stepsOf = new Array<number>(n).fill(0);
  engine.state.setActorCount(n);
  engine.begin();
  const observers = instance.invariants.map((inv) => ({ name: inv.name, obs: inv.observe({ instance, state: engine.state, trace: engine.trace }) }));
  let seen = 0;
  let current = -1;

  // Stores wait before they become visible (tso: in a FIFO store buffer; weak: in a pending set).
  const tso = engine.state.memoryModel !== 'sc';
  const weak = engine.state.memoryModel === 'weak';
  const eager = tso && strategy.eagerFlushes === true;
  if (tso && !engine.flush) throw new Error(`the ${engine.kind} engine does not support memory model ${engine.state.memoryModel}`);
  const label = (a: number) => {
    const w = weakChoice(n, a);
    if (w?.kind === 'flush') return `${actorName(instance, w.actor)} flush ${targetName(instance, OpKind.FLUSH, w.field)}`;
    if (w?.kind === 'stale') return `${actorName(instance, w.actor)} ${opLabel(instance, OpKind.LOAD, engine.pendingTarget(w.actor))} (stale ${w.older})`;
    return a >= n
      ? `${actorName(instance, a - n)} flush ${targetName(instance, OpKind.FLUSH, engine.state.oldestBufferedField(a - n))}`
      : `${actorName(instance, a)} ${opLabel(instance, engine.pendingKind(a), engine.pendingTarget(a))}`;
  };
  // Steps that emitted a note an invariant judges the order of (the reduction keeps their orders).
  const ordered = new Set(instance.invariants.flatMap((inv) => (inv.orders ?? []).map((note) => note.id)));
  const noted: boolean[] = [];
  const finish = (violation?: Violation, pruned = false): ExecutionResult => {
    const result = { decisions, steps: engine.steps, violation, pruned };
    strategy.done({ decisions, violated: violation !== undefined, pruned, noted });
    return result;
  };

  // The strategy's view of the state; built once, read through the variables above.
  const delays = (a: number) => tso && overtakes(engine, n, a);
  const footprint = (choice: number) => {
    const w = weakChoice(n, choice);
    const c = w === undefined ? choice : w.kind === 'flush' ? n + w.actor : w.actor;
    if (c >= n ? engine.state.buffered(c - n) === 0 : engine.pendingKind(c) <= 0) return undefined;
    return footprintOf(engine, n, c);
  };
  const wakes = (c: number) => {
    const w = weakChoice(n, c);
    if (w !== undefined) return w.kind === 'flush' && spin.wouldWake(w.field, w.actor);
    if (!tso || c < n) return false;
    for (const f of instance.layout.fields) if (engine.state.bufferHas(c - n, f.id) && spin.wouldWake(f.id, c - n)) return true;
    return false;
  };
  const flushesBefore = (b: number) => (tso ? flushesClearing(engine, n, b) : []);
  const kind = (a: number) => {
    const w = weakChoice(n, a);
    if (w !== undefined) return w.kind === 'flush' ? OpKind.FLUSH : OpKind.LOAD;
    return a >= n ? OpKind.FLUSH : engine.pendingKind(a);
  };
  const target = (a: number) => {
    const w = weakChoice(n, a);
    if (w !== undefined) return w.kind === 'flush' ? w.field : engine.pendingTarget(w.actor);
    return a >= n ? engine.state.oldestBufferedField(a - n) : engine.pendingTarget(a);
  };
  const stateKey = () => {
    const keys: string[] = [];
    for (const { obs } of observers) {
      const k = obs.key?.();
      if (k === undefined) return undefined;
      keys.push(k);
    }
    let [h1, h2] = engine.state.fingerprint();
    const mix = (x: number) => { h1 = Math.imul(h1 ^ x, 0x01000193); h2 = Math.imul(h2 ^ x, 0x5bd1e995); };
    for (let b = 0; b < n; b++) {
      mix(history[b]); mix(engine.pendingKind(b)); mix(engine.pendingTarget(b)); mix(engine.pendingValue(b) | 0);
    }
    mix(current);
    const text = keys.join('\u0000') + spin.key();
    for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
    return (h1 >>> 0) * 2 ** 21 + ((h2 >>> 0) & 0x1fffff);
  };
  for (;;) {
    const failed = firstFailure(engine, n);
    const safety = failed ?? feed(observers, engine, seen);
    seen = engine.trace.length;
    if (safety) return finish(safety);

    const enabled = enabledActors(engine, n, spin, tso, eager, weak);
    if (enabled.length === 0) {
      // Spinners are not stuck yet: they retry freely until they change something or run out of steps.
      if (spin.force()) continue;
      return finish(quiescence(engine, observers));
    }

    const currentEnabled = current >= 0 && enabled.includes(current);
    const choice: Choice = { step: engine.steps, enabled, current, currentEnabled, actors: n, label, delays, wakes, flushesBefore, footprint, kind, target, stateKey, noted: (i: number) => noted[i] === true };
    const chosen = strategy.choose(choice);
    if (chosen === PRUNE) return finish(undefined, true);
    decisions.push(chosen);
    const w = weakChoice(n, chosen);
    if (w?.kind === 'flush') {
      noted.push(false);
      const at = engine.trace.length;
      engine.state.weak.setPick(w.actor, w.field + 1);
      engine.flush!(w.actor);
      for (let i = at; i < engine.trace.length; i++) spin.observe(engine.trace[i]);
      continue;
    }
    if (w?.kind === 'stale') engine.state.weak.setPick(w.actor, w.older);
    const a = w?.kind === 'stale' ? w.actor : chosen;
    if (a >= n) {
      noted.push(false);
      const at = engine.trace.length;
      engine.flush!(a - n);
      for (let i = at; i < engine.trace.length; i++) spin.observe(engine.trace[i]);
      continue;
    }
    const stepKind = engine.pendingKind(a);
    const stepTarget = engine.pendingTarget(a);
    const before = engine.trace.length;
    engine.step(a);
    let emitted = false;
    if (ordered.size > 0) for (let i = before; i < engine.trace.length; i++) if (engine.trace[i].k === OpKind.NOTE && engine.trace[i].actor === a && ordered.has(engine.trace[i].t)) emitted = true;
    noted.push(emitted);
    // The actor's local state is a function of the values it has seen: fold them into its history.
    for (let i = before; i < engine.trace.length; i++) {
      const e = engine.trace[i];
      if (e.actor === a && e.k === stepKind && e.t === stepTarget) { history[a] = Math.imul(history[a] ^ (e.k * 131 + e.t * 7919 + (e.v | 0)), 0x01000193) >>> 0; break; }
    }
    for (let i = before; i < engine.trace.length; i++) spin.observe(engine.trace[i]);
    if (stepKind === OpKind.PAUSE) spin.pause(a);
    current = a;
    if (++stepsOf[a] > instance.maxSteps) {
      feed(observers, engine, seen);
      const last = [...engine.trace].reverse().find((e) => e.actor === a && e.k === OpKind.LOAD);
      const reread = last ? ` re-reading ${targetName(instance, OpKind.LOAD, last.t)} (${last.v})` : '';
      return finish({
        invariant: 'no-livelock',
        at: engine.trace.length,
        message: spin.forcing
          ? `${actorName(instance, a)} spins forever${reread}: every other actor is done or blocked, so nothing can change what it waits for, and it retried freely for ${instance.maxSteps} steps without changing anything (last operation: ${opLabel(instance, stepKind, stepTarget)}).`
          : `${actorName(instance, a)} took more than ${instance.maxSteps} steps in one execution without finishing or going idle: it is stuck in a loop (last operation: ${opLabel(instance, stepKind, stepTarget)}). A retry or spin loop that other actors can keep going forever is a livelock.`,
      });
    }
  }
}

function enabledActors(engine: Engine, n: number, spin: SpinWatch, tso: boolean, eagerFlushes: boolean, weak: boolean): number[] {
  const enabled: number[] = [];
  for (let a = 0; a < n; a++) {
    if (!runnable(engine, a, spin.asleep)) continue;
    enabled.push(a);
  }
  const actors = enabled.length;
  if (tso) {
    const quiet = actors === 0;
    for (let a = 0; a < n; a++) {
      if (engine.state.buffered(a) > 0 && (eagerFlushes || quiet || flushMatters(engine, n, a, spin))) {
        enabled.push(n + a);
        // weak: any other store that no wmb and no older store of its field holds back may go first.
        if (weak) for (const f of engine.state.weak.eligibleStores(a).slice(1)) enabled.push(flushChoice(n, a, f));
      }
    }
  }
  if (weak) {
    for (let i = 0; i < actors; i++) {
      const a = enabled[i];
      if (engine.pendingKind(a) !== OpKind.LOAD) continue;
      const options = engine.state.weak.eligible(a, engine.pendingTarget(a)).length;
      for (let k = 1; k < options; k++) enabled.push(staleChoice(n, a, k));
    }
    enabled.sort((x, y) => x - y);
  }
  return enabled;
}

/** Not done, not failed, not asleep in a spin, not shut out by an atomic section, not waiting for an event nobody raised. */
function runnable(engine: Engine, a: number, asleep: readonly boolean[]): boolean {
  const k = engine.pendingKind(a);
  if (k === DONE || k === FAILED || asleep[a]) return false;
  const owner = engine.state.atomicOwner();
  if (owner !== NO_OWNER && owner !== a) return false;
  return !(k === OpKind.WAIT && engine.state.latch[engine.pendingTarget(a)] === 0);
}

/**
 * A flush of actor a's oldest store is offered only when it can change what someone observes:
 * another actor's next operation touches a field waiting in a's buffer, or another buffer holds a
 * store to the same field (their order decides the final value), an actor asleep in a spin read a
 * field waiting in a's buffer (the flush wakes it: under sc the store itself would have), or
 * nothing else can run. Any other flush commutes with the next step and stays enabled, so offering
 * it later loses nothing and spares the search the flushes nobody could tell apart.
 */
function flushMatters(engine: Engine, n: number, a: number, spin: SpinWatch): boolean {
  const state = engine.state;
  for (const f of state.layout.fields) if (state.bufferHas(a, f.id) && spin.wouldWake(f.id, a)) return true;
  for (let b = 0; b < n; b++) {
    if (b === a) continue;
    const k = engine.pendingKind(b);
    if (touchesField(k) && state.bufferHas(a, engine.pendingTarget(b))) return true;
    if (state.buffered(b) > 0) {
      for (const f of state.layout.fields) if (state.bufferHas(b, f.id) && state.bufferHas(a, f.id)) return true;
    }
  }
  return false;
}

/** Whether actor b's next access touches a field another actor still holds in its store buffer. */
function overtakes(engine: Engine, n: number, b: number): boolean {
  if (!touchesField(engine.pendingKind(b))) return false;
  const field = engine.pendingTarget(b);
  for (let a = 0; a < n; a++) if (a !== b && engine.state.bufferHas(a, field)) return true;
  return false;
}

/** The flush choices (n + a, oldest first) after which actor b's next access overtakes no buffered store. */
function flushesClearing(engine: Engine, n: number, b: number): number[] {
  if (b >= n || !touchesField(engine.pendingKind(b))) return [];
  const field = engine.pendingTarget(b);
  const out: number[] = [];
  for (let a = 0; a < n; a++) {
    if (a === b) continue;
    for (let j = engine.state.flushesToClear(a, field); j > 0; j--) out.push(n + a);
  }
  return out;
}

function firstFailure(engine: Engine, n: number): Violation | undefined {
  for (let a = 0; a < n; a++) {
    if (engine.pendingKind(a) === FAILED) {
      return { invariant: 'no-actor-error', at: engine.trace.length, message: `${actorName(engine.instance, a)} failed: ${engine.failure(a)}` };
    }
  }
  return undefined;
}

function feed(observers: readonly { name: string; obs: Observer }[], engine: Engine, from: number): Violation | undefined {
  const trace = engine.trace;
  for (let i = from; i < trace.length; i++) {
    for (const { name, obs } of observers) {
      const message = obs.onEntry?.(trace[i], i);
      if (message !== undefined) return { invariant: name, message, at: i };
    }
  }
  return undefined;
}

function quiescence(engine: Engine, observers: readonly { name: string; obs: Observer }[]): Violation | undefined {
  const instance: ModelInstance = engine.instance;
  const at = engine.trace.length;
  for (let a = 0; a < instance.actors.length; a++) {
    if (engine.pendingKind(a) === OpKind.WAIT && engine.pendingValue(a) === 0) {
      const event = targetName(instance, OpKind.WAIT, engine.pendingTarget(a));
      return {
        invariant: 'no-deadlock',
        at,
        message: `${actorName(instance, a)} waits for ${event} forever: no actor can run any more and nothing will raise ${event}.`,
      };
    }
  }
  for (const { name, obs } of observers) {
    const message = obs.atQuiescence?.();
    if (message !== undefined) return { invariant: name, message, at };
  }
  return undefined;
}
