/**
 * The real shared memory of one model instance: the layout's fields, then the event latches, the
 * owner of an atomic section, the memory model, and one store buffer per actor (memory model tso),
 * all in one SharedArrayBuffer that worker threads map as well.
 *
 * `apply` is the single definition of what an operation does. The inline engine calls it on the
 * main thread, the threads engine calls it inside the worker that owns the actor, and so the two
 * engines agree on every value for the same schedule.
 *
 * Memory model tso (x86-TSO): a store goes into the actor's FIFO store buffer; its own loads see
 * their buffered stores first; the oldest entry becomes visible when the scheduler flushes it, or
 * when the actor runs virtio_mb, a read-modify-write, a notify or an atomic section (all drain the
 * buffer, as a locked instruction, mfence, a doorbell write or a trap does). virtio_wmb and
 * virtio_rmb cost nothing under TSO, which orders store-store and load-load already.
 *
 * Memory model weak (Arm-like, see weak-memory.ts): stores wait in a pending set that is not FIFO,
 * loads may read older messages unless a barrier orders them; this file only dispatches to it.
 */
import type { Field, Layout } from './layout.ts';
import type { MemoryModel } from './model.ts';
import { Fence, OpKind, type Op } from './ops.ts';
import { WeakMemory } from './weak-memory.ts';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('virtio-verify needs a little-endian host: virtio fields are little-endian and the typed-array views are host-endian');
}

export const NO_OWNER = -1;
/** Actors a store buffer region is laid out for. */
export const MAX_ACTORS = 8;
/** Store-buffer entries per actor; a store into a full buffer first makes the oldest visible. */
export const BUFFER_CAPACITY = 32;

const CTL_OWNER = 0;
/** 0: sc, 1: tso, 2: weak. */
const CTL_TSO = 1;
/** Actors of the model (memory model weak keeps messages alive only for them). */
const CTL_ACTORS = 2;
const CTL_WORDS = 3;
const MODEL_CODE: Readonly<Record<MemoryModel, number>> = { sc: 0, tso: 1, weak: 2 };
const MODEL_NAME: readonly MemoryModel[] = ['sc', 'tso', 'weak'];

/** Receives each store that becomes visible out of a store buffer (engines turn them into trace entries). */
export type FlushListener = (actor: number, field: number, value: number, forced: boolean) => void;
/** Memory model weak: a load of the actor reads the `older`-th older message of the field than it could have (trace entry STALE). */
export type StaleListener = (actor: number, field: number, older: number) => void;

export class SharedState {
  readonly sab: SharedArrayBuffer;
  readonly layout: Layout;
  readonly eventCount: number;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;
  private readonly u64: BigUint64Array;
  /** latch[e] is 1 while event e is raised and not yet consumed. */
  readonly latch: Int32Array;
  private readonly ctl: Int32Array;
  /** Per actor: [start, count] of its ring of buffered stores. */
  private readonly sbHead: Int32Array;
  private readonly sbField: Int32Array;
  private readonly sbValue: Float64Array;
  /** index into the view of the field's width, by field id. */
  private readonly slot: Int32Array;
  private readonly width: Uint8Array;
  onFlush: FlushListener | undefined;
  onStale: StaleListener | undefined;
  /** Memory model weak's messages, views and pending stores. */
  readonly weak: WeakMemory;
  private readonly weakAt: number;

  static bytesFor(layout: Layout, eventCount: number): number {
    const ctlBytes = 4 * (eventCount + CTL_WORDS + 2 * MAX_ACTORS + MAX_ACTORS * BUFFER_CAPACITY);
    return layout.size + Math.ceil(ctlBytes / 8) * 8 + 8 * MAX_ACTORS * BUFFER_CAPACITY + WeakMemory.bytesFor(layout.fields.length, eventCount, MAX_ACTORS);
  }

  constructor(layout: Layout, eventCount: number, sab?: SharedArrayBuffer) {
    this.layout = layout;
    this.eventCount = eventCount;
    this.sab = sab ?? new SharedArrayBuffer(SharedState.bytesFor(layout, eventCount));
    const memBytes = layout.size;
    this.u8 = new Uint8Array(this.sab, 0, memBytes);
    this.u16 = new Uint16Array(this.sab, 0, memBytes / 2);
    this.u32 = new Uint32Array(this.sab, 0, memBytes / 4);
    this.u64 = new BigUint64Array(this.sab, 0, memBytes / 8);
    let at = memBytes;
    this.latch = new Int32Array(this.sab, at, eventCount);
    at += 4 * eventCount;
    this.ctl = new Int32Array(this.sab, at, CTL_WORDS);
    at += 4 * CTL_WORDS;
    this.sbHead = new Int32Array(this.sab, at, 2 * MAX_ACTORS);
    at += 8 * MAX_ACTORS;
    this.sbField = new Int32Array(this.sab, at, MAX_ACTORS * BUFFER_CAPACITY);
    at = Math.ceil((at + 4 * MAX_ACTORS * BUFFER_CAPACITY) / 8) * 8;
    this.sbValue = new Float64Array(this.sab, at, MAX_ACTORS * BUFFER_CAPACITY);
    at += 8 * MAX_ACTORS * BUFFER_CAPACITY;
    this.weakAt = at;
    this.slot = new Int32Array(layout.fields.length);
    this.width = new Uint8Array(layout.fields.length);
    for (const f of layout.fields) {
      this.slot[f.id] = f.offset / (f.width / 8);
      this.width[f.id] = f.width;
    }
    this.weak = new WeakMemory(this.sab, this.weakAt, layout.fields.length, eventCount, MAX_ACTORS, { read: (f) => this.read(f), write: (f, v) => this.write(f, v) }, () => this.ctl[CTL_ACTORS]);
  }

  /** Zeroes memory, events and store buffers (the memory model stays); init then writes initial values. */
  reset(): void {
    const tso = this.ctl[CTL_TSO];
    const actors = this.ctl[CTL_ACTORS];
    new Uint8Array(this.sab).fill(0);
    this.ctl[CTL_OWNER] = NO_OWNER;
    this.ctl[CTL_TSO] = tso;
    this.ctl[CTL_ACTORS] = actors;
  }

  setMemoryModel(m: MemoryModel): void {
    this.ctl[CTL_TSO] = MODEL_CODE[m];
  }

  get memoryModel(): MemoryModel {
    return MODEL_NAME[this.ctl[CTL_TSO]];
  }

  /** How many actors the model has (memory model weak: only they keep old messages alive). */
  setActorCount(n: number): void {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak && n > MAX_ACTORS) throw new Error(`memory model weak supports at most ${MAX_ACTORS} actors`);
    this.ctl[CTL_ACTORS] = n;
  }

  /** The globally visible value of a field (what every other actor would read). */
  read(f: Field | number): number {
    const id = typeof f === 'number' ? f : f.id;
    const i = this.slot[id];
    switch (this.width[id]) {
      case 8: return this.u8[i];
      case 16: return this.u16[i];
      case 32: return this.u32[i];
      default: return Number(this.u64[i]);
    }
  }

  write(f: Field | number, value: number): number {
    const id = typeof f === 'number' ? f : f.id;
    const i = this.slot[id];
    switch (this.width[id]) {
      case 8: return (this.u8[i] = value);
      case 16: return (this.u16[i] = value);
      case 32: return (this.u32[i] = value >>> 0);
      default: this.u64[i] = BigInt.asUintN(64, BigInt(Math.trunc(value))); return Number(this.u64[i]);
    }
  }

  /** Masks a value to a field's width, as the hardware would. */
  truncate(f: Field | number, value: number): number {
    const id = typeof f === 'number' ? f : f.id;
    const w = this.width[id];
    return w === 64 ? Number(BigInt.asUintN(64, BigInt(Math.trunc(value)))) : w === 32 ? value >>> 0 : value & ((1 << w) - 1);
  }

  atomicOwner(): number {
    return this.ctl[CTL_OWNER];
  }

  /**
   * A 53-bit fingerprint of the shared state: fields, events, the atomic-section owner and, under
   * tso, the store buffers, under weak the messages, views and pending stores. Two FNV-1a hashes with different seeds keep collisions rare.
   */
  fingerprint(): [number, number] {
    const bytes = new Uint8Array(this.sab, 0, this.layout.size + 4 * (this.eventCount + CTL_WORDS));
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < bytes.length; i++) {
      h1 = Math.imul(h1 ^ bytes[i], 0x01000193);
      h2 = Math.imul(h2 ^ bytes[i], 0x5bd1e995);
    }
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) {
      const ints = this.weak.ints;
      for (let i = 0; i < ints.length; i++) { h1 = Math.imul(h1 ^ ints[i], 0x01000193); h2 = Math.imul(h2 ^ ints[i], 0x5bd1e995); }
      for (const v of this.weak.liveValues()) { h1 = Math.imul(h1 ^ (v | 0), 0x01000193); h2 = Math.imul(h2 ^ (v | 0), 0x5bd1e995); }
    } else if (this.ctl[CTL_TSO]) {
      for (let i = 0; i < this.sbHead.length; i++) { h1 = Math.imul(h1 ^ this.sbHead[i], 0x01000193); h2 = Math.imul(h2 ^ this.sbHead[i], 0x5bd1e995); }
      for (let a = 0; a < MAX_ACTORS; a++) {
        for (let j = 0; j < this.sbHead[2 * a + 1]; j++) {
          const k = a * BUFFER_CAPACITY + ((this.sbHead[2 * a] + j) % BUFFER_CAPACITY);
          h1 = Math.imul(h1 ^ this.sbField[k] ^ (this.sbValue[k] | 0), 0x01000193);
          h2 = Math.imul(h2 ^ this.sbField[k] ^ (this.sbValue[k] | 0), 0x5bd1e995);
        }
      }
    }
    return [h1 >>> 0, h2 >>> 0];
  }

  /** Stores of the actor not yet visible to others. */
  buffered(actor: number): number {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) return this.weak.pendingCount(actor);
    return this.sbHead[2 * actor + 1];
  }

  /** Field of the oldest buffered store of the actor (the next flush). */
  oldestBufferedField(actor: number): number {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) return this.weak.pendingFields(actor)[0] ?? 0;
    return this.sbField[actor * BUFFER_CAPACITY + this.sbHead[2 * actor]];
  }

  /** Whether a store to the field waits in the actor's store buffer. */
  bufferHas(actor: number, field: number): boolean {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) return this.weak.pendingFields(actor).includes(field);
    const [start, count] = [this.sbHead[2 * actor], this.sbHead[2 * actor + 1]];
    for (let j = 0; j < count; j++) if (this.sbField[actor * BUFFER_CAPACITY + ((start + j) % BUFFER_CAPACITY)] === field) return true;
    return false;
  }

  /** Fields of the actor's buffered stores, oldest first (a field stored twice appears twice). */
  bufferedFields(actor: number): number[] {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) return this.weak.pendingFields(actor);
    const [start, count] = [this.sbHead[2 * actor], this.sbHead[2 * actor + 1]];
    const out: number[] = [];
    for (let j = 0; j < count; j++) out.push(this.sbField[actor * BUFFER_CAPACITY + ((start + j) % BUFFER_CAPACITY)]);
    return out;
  }

  /** How many of the actor's oldest buffered stores must become visible before none to the field is left. */
  flushesToClear(actor: number, field: number): number {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) return this.weak.pendingFields(actor).lastIndexOf(field) + 1;
    const [start, count] = [this.sbHead[2 * actor], this.sbHead[2 * actor + 1]];
    for (let j = count - 1; j >= 0; j--) if (this.sbField[actor * BUFFER_CAPACITY + ((start + j) % BUFFER_CAPACITY)] === field) return j + 1;
    return 0;
  }

  /** Makes the actor's oldest buffered store visible (under weak: the one setPick named, else the oldest). */
  flush(actor: number, forced = false): void {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) { this.weak.flush(actor, forced, this.flushed(actor)); return; }
    const start = this.sbHead[2 * actor];
    const k = actor * BUFFER_CAPACITY + start;
    const field = this.sbField[k];
    const value = this.write(field, this.sbValue[k]);
    this.sbHead[2 * actor] = (start + 1) % BUFFER_CAPACITY;
    this.sbHead[2 * actor + 1]--;
    this.onFlush?.(actor, field, value, forced);
  }

  drain(actor: number): void {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) { this.weak.drain(actor, this.flushed(actor)); return; }
    while (this.buffered(actor) > 0) this.flush(actor, true);
  }

  private flushed(actor: number): (field: number, value: number, forced: boolean) => void {
    return (field, value, forced) => this.onFlush?.(actor, field, value, forced);
  }

  /** Executes one operation of `actor`; returns the value the actor is resumed with. */
  apply(actor: number, op: Op): number {
    if (this.ctl[CTL_TSO] === MODEL_CODE.weak) return this.applyWeak(actor, op);
    const tso = this.ctl[CTL_TSO] !== 0;
    switch (op.k) {
      case OpKind.LOAD: return tso ? this.loadTso(actor, op.t) : this.read(op.t);
      case OpKind.STORE: return tso ? this.storeTso(actor, op.t, op.v) : this.write(op.t, op.v);
      case OpKind.ADD: { if (tso) this.drain(actor); const old = this.read(op.t); this.write(op.t, old + op.v); return old; }
      case OpKind.XCHG: { if (tso) this.drain(actor); const old = this.read(op.t); this.write(op.t, op.v); return old; }
      case OpKind.CAS: {
        if (tso) this.drain(actor);
        const old = this.read(op.t);
        if (old === this.truncate(op.t, op.w)) this.write(op.t, op.v);
        return old;
      }
      case OpKind.FENCE: if (tso && op.t === Fence.MB) this.drain(actor); return 0;
      case OpKind.NOTIFY:
        if (tso) this.drain(actor);
        Atomics.store(this.latch, op.t, 1);
        Atomics.notify(this.latch, op.t);
        return 1;
      case OpKind.WAIT: return Atomics.exchange(this.latch, op.t, 0);
      case OpKind.POLL: return Atomics.exchange(this.latch, op.t, 0);
      case OpKind.ATOMIC_BEGIN: if (tso) this.drain(actor); this.ctl[CTL_OWNER] = actor; return 0;
      case OpKind.ATOMIC_END: if (tso) this.drain(actor); this.ctl[CTL_OWNER] = NO_OWNER; return 0;
      default: return 0; // pause and notes change no memory
    }
  }

  private applyWeak(actor: number, op: Op): number {
    const w = this.weak;
    switch (op.k) {
      case OpKind.LOAD: return w.load(actor, op.t, (field, older) => this.onStale?.(actor, field, older));
      case OpKind.STORE: {
        if (actor >= MAX_ACTORS) throw new Error(`memory model weak supports at most ${MAX_ACTORS} actors`);
        const v = this.truncate(op.t, op.v);
        w.store(actor, op.t, v, this.flushed(actor));
        return v;
      }
      case OpKind.ADD: this.drain(actor); return w.rmw(actor, op.t, (old) => old + op.v);
      case OpKind.XCHG: this.drain(actor); return w.rmw(actor, op.t, () => op.v);
      case OpKind.CAS: this.drain(actor); return w.rmw(actor, op.t, (old) => (old === this.truncate(op.t, op.w) ? op.v : undefined));
      case OpKind.FENCE:
        if (op.t === Fence.WMB) w.wmb(actor);
        else if (op.t === Fence.RMB) w.rmb(actor);
        else { this.drain(actor); w.mb(actor); }
        return 0;
      case OpKind.NOTIFY:
        this.drain(actor);
        w.mb(actor);
        w.notified(op.t);
        Atomics.store(this.latch, op.t, 1);
        Atomics.notify(this.latch, op.t);
        return 1;
      case OpKind.WAIT: case OpKind.POLL: {
        const got = Atomics.exchange(this.latch, op.t, 0);
        if (got) w.consumed(actor, op.t);
        return got;
      }
      case OpKind.ATOMIC_BEGIN: this.drain(actor); w.sync(actor); this.ctl[CTL_OWNER] = actor; return 0;
      case OpKind.ATOMIC_END: this.drain(actor); w.sync(actor); this.ctl[CTL_OWNER] = NO_OWNER; return 0;
      default: return 0;
    }
  }

  private loadTso(actor: number, field: number): number {
    const [start, count] = [this.sbHead[2 * actor], this.sbHead[2 * actor + 1]];
    for (let j = count - 1; j >= 0; j--) {
      const k = actor * BUFFER_CAPACITY + ((start + j) % BUFFER_CAPACITY);
      if (this.sbField[k] === field) return this.sbValue[k];
    }
    return this.read(field);
  }

  private storeTso(actor: number, field: number, value: number): number {
    if (actor >= MAX_ACTORS) throw new Error(`memory model tso supports at most ${MAX_ACTORS} actors`);
    if (this.buffered(actor) === BUFFER_CAPACITY) this.flush(actor, true);
    const [start, count] = [this.sbHead[2 * actor], this.sbHead[2 * actor + 1]];
    const k = actor * BUFFER_CAPACITY + ((start + count) % BUFFER_CAPACITY);
    const v = this.truncate(field, value);
    this.sbField[k] = field;
    this.sbValue[k] = v;
    this.sbHead[2 * actor + 1] = count + 1;
    return v;
  }
}
