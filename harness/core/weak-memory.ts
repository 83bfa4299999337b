/**
 * Memory model weak: an Arm-like ordering, operational and view-based in the style of the
 * Promising-ARM and Flat models (Pulte et al., "Promising-ARM/RISC-V: a simpler and faster
 * operational concurrency model", PLDI 2019; Flur et al., "Modelling the ARMv8 architecture,
 * operationally", POPL 2016). Written from the ideas of those papers, not from their text or code.
 *
 * - Memory is one global list of messages per field, each with a global timestamp; a store that
 *   becomes visible gets the next timestamp, for every actor at once (multicopy atomic), so the
 *   timestamp order of a field is its coherence order.
 * - Each actor has a coherence view per field (the newest message of that field it has read or
 *   written) and a read view, raised by virtio_rmb to the newest message its earlier loads read and
 *   by virtio_mb to that and its own visible stores. A load of f may read any message of f not
 *   older than the coherence view of f, nor older than the newest message of f at or before the read
 *   view. So loads may be satisfied out of order (an older value) unless an rmb or mb orders them,
 *   and two loads of one field never go backwards (coherence).
 * - A store goes into the actor's pending set, which is not FIFO: a pending store may become visible
 *   unless an earlier pending store of the same field, or an earlier pending store separated from it
 *   by a virtio_wmb, is still pending. Own loads see own pending stores first (as under tso).
 * - virtio_mb drains the pending set, then raises the read view. Read-modify-writes (add, exchange,
 *   compare-and-swap) are fully ordered, like Linux's value-returning atomics: they drain, read and
 *   write the newest message, and raise the read view past themselves. Atomic sections, notify and
 *   a consumed wait or poll act as full barriers (a trap or an interrupt): a wait or poll that
 *   consumes an event raises the read view to the time of its notify.
 * - Not modelled: load buffering (a load is satisfied when it executes, so a later store never
 *   becomes visible before it), acquire/release and dependencies.
 *
 * Bounds: a field keeps at most HISTORY messages (the oldest beyond that is forgotten, as a full
 * tso store buffer flushes its oldest entry) and messages no actor may read any more are dropped at
 * once, so the state stays small. Everything lives in the SharedArrayBuffer so that worker threads
 * apply operations the same way.
 */

export const HISTORY = 6;
export const PENDING_CAPACITY = 32;

/** Where the weak region reads and writes the plain memory (the newest message of every field). */
export interface PlainMemory {
  read(field: number): number;
  write(field: number, value: number): number;
}

/** A store that became visible: who wrote it, the value, its timestamp. */
export interface Message {
  readonly ts: number;
  readonly value: number;
  readonly writer: number;
}

export class WeakMemory {
  static bytesFor(fields: number, events: number, actors: number): number {
    const ints = 1 + fields + 2 * fields * HISTORY + actors * fields + 6 * actors + 2 * actors * PENDING_CAPACITY + events;
    return Math.ceil((4 * ints) / 8) * 8 + 8 * (fields * HISTORY + actors * PENDING_CAPACITY);
  }

  /** Everything but the float values: time, history, views, pending sets, event times (hashed as is). */
  readonly ints: Int32Array;
  private readonly vals: Float64Array;
  private readonly hCount: number;
  private readonly hTs: number;
  private readonly hWriter: number;
  private readonly coh: number;
  private readonly vLoaded: number;
  private readonly vStored: number;
  private readonly vRead: number;
  private readonly epoch: number;
  private readonly pick: number;
  private readonly pCount: number;
  private readonly pField: number;
  private readonly pEpoch: number;
  private readonly evTime: number;
  private readonly hVal = 0;
  private readonly pVal: number;
  private readonly actors: number;

  /**
   * `actors()` is how many actors the model has (the explorer sets it): the others read nothing,
   * so they keep no message alive.
   */
  constructor(sab: SharedArrayBuffer, offset: number, private readonly fields: number, events: number, actors: number, private readonly mem: PlainMemory, private readonly actorCount: () => number) {
    this.actors = actors;
    const F = fields;
    const A = actors;
    let i = 1;
    this.hCount = i; i += F;
    this.hTs = i; i += F * HISTORY;
    this.hWriter = i; i += F * HISTORY;
    this.coh = i; i += A * F;
    this.vLoaded = i; i += A;
    this.vStored = i; i += A;
    this.vRead = i; i += A;
    this.epoch = i; i += A;
    this.pick = i; i += A;
    this.pCount = i; i += A;
    this.pField = i; i += A * PENDING_CAPACITY;
    this.pEpoch = i; i += A * PENDING_CAPACITY;
    this.evTime = i; i += events;
    this.ints = new Int32Array(sab, offset, i);
    const valsAt = offset + Math.ceil((4 * i) / 8) * 8;
    this.vals = new Float64Array(sab, valsAt, F * HISTORY + A * PENDING_CAPACITY);
    this.pVal = F * HISTORY;
  }

  /** The global clock: timestamps given so far. */
  get time(): number { return this.ints[0]; }

  /** The float values that belong to the state (live history entries and pending stores). */
  liveValues(): number[] {
    const out: number[] = [];
    for (let f = 0; f < this.fields; f++) for (let j = 0; j < this.ints[this.hCount + f]; j++) out.push(this.vals[this.hVal + f * HISTORY + j]);
    for (let a = 0; a < this.actors; a++) for (let j = 0; j < this.ints[this.pCount + a]; j++) out.push(this.vals[this.pVal + a * PENDING_CAPACITY + j]);
    return out;
  }

  // Scheduler's picks -------------------------------------------------------------------------------

  /**
   * What the actor's next load reads (k: the k-th older eligible message, 0 the newest) or which of
   * its pending stores its next flush makes visible (field + 1; 0: the oldest). Set by the explorer
   * on the main thread before the step; consumed by it.
   */
  setPick(actor: number, value: number): void { this.ints[this.pick + actor] = value; }

  // Messages ------------------------------------------------------------------------------------------

  /** The messages of a field, oldest first (the initial value at timestamp 0 until a store replaces it). */
  messages(field: number): Message[] {
    const n = this.ints[this.hCount + field];
    if (n === 0) return [{ ts: 0, value: this.mem.read(field), writer: -1 }];
    const out: Message[] = [];
    for (let j = 0; j < n; j++) {
      const k = field * HISTORY + j;
      out.push({ ts: this.ints[this.hTs + k], value: this.vals[this.hVal + k], writer: this.ints[this.hWriter + k] });
    }
    return out;
  }

  /** The oldest timestamp of the field the actor may still read. */
  private floor(actor: number, field: number): number {
    let floor = this.ints[this.coh + actor * this.fields + field];
    const view = this.ints[this.vRead + actor];
    const n = this.ints[this.hCount + field];
    for (let j = n - 1; j >= 0; j--) {
      const ts = this.ints[this.hTs + field * HISTORY + j];
      if (ts <= view) { if (ts > floor) floor = ts; break; }
    }
    return floor;
  }

  /** The messages the actor's load of the field may read, newest first (empty: its own pending store answers). */
  eligible(actor: number, field: number): Message[] {
    if (this.pendingIndexOf(actor, field) >= 0) return [];
    const floor = this.floor(actor, field);
    return this.messages(field).filter((m) => m.ts >= floor).reverse();
  }

  /** Returns the value read; `stale` hears of a load that read an older message than the newest. */
  load(actor: number, field: number, stale?: (field: number, older: number) => void): number {
    const own = this.pendingIndexOf(actor, field);
    if (own >= 0) { this.setPick(actor, 0); return this.vals[this.pVal + actor * PENDING_CAPACITY + own]; }
    const options = this.eligible(actor, field);
    const k = Math.min(this.ints[this.pick + actor], options.length - 1);
    this.setPick(actor, 0);
    const m = options[k];
    this.raise(this.coh + actor * this.fields + field, m.ts);
    this.raise(this.vLoaded + actor, m.ts);
    if (k > 0) stale?.(field, k);
    this.collect(field);
    return m.value;
  }

  // Pending stores ----------------------------------------------------------------------------------

  pendingCount(actor: number): number { return this.ints[this.pCount + actor]; }

  pendingFields(actor: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.pendingCount(actor); j++) out.push(this.ints[this.pField + actor * PENDING_CAPACITY + j]);
    return out;
  }

  /** Index of the newest pending store of the field, or -1. */
  private pendingIndexOf(actor: number, field: number): number {
    for (let j = this.pendingCount(actor) - 1; j >= 0; j--) if (this.ints[this.pField + actor * PENDING_CAPACITY + j] === field) return j;
    return -1;
  }

  /** Fields of the pending stores that may become visible now, in program order (the first is the oldest pending store). */
  eligibleStores(actor: number): number[] {
    const base = actor * PENDING_CAPACITY;
    const out: number[] = [];
    const n = this.pendingCount(actor);
    if (n === 0) return out;
    const epoch0 = this.ints[this.pEpoch + base];
    for (let j = 0; j < n; j++) {
      if (this.ints[this.pEpoch + base + j] !== epoch0) break;
      const f = this.ints[this.pField + base + j];
      if (!out.includes(f)) out.push(f);
    }
    return out;
  }

  store(actor: number, field: number, value: number, flushed: (field: number, value: number, forced: boolean) => void): void {
    if (this.pendingCount(actor) === PENDING_CAPACITY) this.flush(actor, true, flushed);
    const j = this.pendingCount(actor);
    const k = actor * PENDING_CAPACITY + j;
    this.ints[this.pField + k] = field;
    this.ints[this.pEpoch + k] = this.ints[this.epoch + actor];
    this.vals[this.pVal + k] = value;
    this.ints[this.pCount + actor] = j + 1;
  }

  /** Makes a pending store visible: the one the pick names (it must be eligible), else the oldest. */
  flush(actor: number, forced: boolean, flushed: (field: number, value: number, forced: boolean) => void): void {
    const want = forced ? 0 : this.ints[this.pick + actor];
    this.setPick(actor, 0);
    let j = 0;
    if (want > 0) {
      if (!this.eligibleStores(actor).includes(want - 1)) throw new Error(`memory model weak: the store to field ${want - 1} may not become visible now`);
      j = this.pendingCount(actor) - 1;
      for (let i = 0; i < this.pendingCount(actor); i++) if (this.ints[this.pField + actor * PENDING_CAPACITY + i] === want - 1) { j = i; break; }
    }
    const base = actor * PENDING_CAPACITY;
    const field = this.ints[this.pField + base + j];
    const value = this.vals[this.pVal + base + j];
    const n = this.pendingCount(actor);
    for (let i = j; i < n - 1; i++) {
      this.ints[this.pField + base + i] = this.ints[this.pField + base + i + 1];
      this.ints[this.pEpoch + base + i] = this.ints[this.pEpoch + base + i + 1];
      this.vals[this.pVal + base + i] = this.vals[this.pVal + base + i + 1];
    }
    this.ints[this.pCount + actor] = n - 1;
    if (n - 1 === 0) this.ints[this.epoch + actor] = 0;
    const ts = this.publish(actor, field, value);
    this.raise(this.vStored + actor, ts);
    flushed(field, this.mem.read(field), forced);
  }

  drain(actor: number, flushed: (field: number, value: number, forced: boolean) => void): void {
    while (this.pendingCount(actor) > 0) this.flush(actor, true, flushed);
  }

  // Barriers ------------------------------------------------------------------------------------------

  wmb(actor: number): void {
    if (this.pendingCount(actor) > 0) this.ints[this.epoch + actor]++;
  }

  rmb(actor: number): void {
    this.raise(this.vRead + actor, this.ints[this.vLoaded + actor]);
    this.collectAll();
  }

  /** After a drain: later loads see at least what this actor has read or written. */
  mb(actor: number): void {
    this.raise(this.vRead + actor, Math.max(this.ints[this.vLoaded + actor], this.ints[this.vStored + actor]));
    this.collectAll();
  }

  /** A trap or an interrupt: later loads see every store visible now. */
  sync(actor: number): void {
    this.raise(this.vRead + actor, this.time);
    this.collectAll();
  }

  /** A fully ordered read-modify-write (after a drain); returns the old value. */
  rmw(actor: number, field: number, update: (old: number) => number | undefined): number {
    const old = this.mem.read(field);
    const next = update(old);
    const ts = next === undefined ? this.newest(field).ts : this.publish(actor, field, next);
    this.raise(this.coh + actor * this.fields + field, ts);
    this.raise(this.vLoaded + actor, ts);
    this.raise(this.vStored + actor, ts);
    this.mb(actor);
    return old;
  }

  notified(event: number): void { this.raise(this.evTime + event, this.time); }

  /** A wait or poll consumed the event: the actor sees what its notifier had made visible. */
  consumed(actor: number, event: number): void {
    this.raise(this.vRead + actor, this.ints[this.evTime + event]);
    this.collectAll();
  }

  // Internals -----------------------------------------------------------------------------------------

  private newest(field: number): Message {
    const ms = this.messages(field);
    return ms[ms.length - 1];
  }

  private raise(i: number, v: number): void {
    if (this.ints[i] < v) this.ints[i] = v;
  }

  /** Appends a message with the next timestamp; returns the timestamp. */
  private publish(actor: number, field: number, value: number): number {
    let n = this.ints[this.hCount + field];
    if (n === 0) {
      // The initial value becomes the first message.
      this.ints[this.hTs + field * HISTORY] = 0;
      this.ints[this.hWriter + field * HISTORY] = -1;
      this.vals[this.hVal + field * HISTORY] = this.mem.read(field);
      n = 1;
    }
    if (n === HISTORY) { this.drop(field, 1); n--; }
    const ts = ++this.ints[0];
    const k = field * HISTORY + n;
    this.ints[this.hTs + k] = ts;
    this.ints[this.hWriter + k] = actor;
    this.vals[this.hVal + k] = this.mem.write(field, value);
    this.ints[this.hCount + field] = n + 1;
    this.raise(this.coh + actor * this.fields + field, ts);
    this.collect(field);
    return ts;
  }

  /** Drops messages of the field that no actor may read any more. */
  private collect(field: number): void {
    const n = this.ints[this.hCount + field];
    if (n <= 1) return;
    let floor = Number.POSITIVE_INFINITY;
    const count = Math.min(this.actors, this.actorCount() || this.actors);
    for (let a = 0; a < count; a++) floor = Math.min(floor, this.floor(a, field));
    let drop = 0;
    while (drop < n - 1 && this.ints[this.hTs + field * HISTORY + drop] < floor) drop++;
    if (drop > 0) this.drop(field, drop);
  }

  private collectAll(): void {
    for (let f = 0; f < this.fields; f++) this.collect(f);
  }

  private drop(field: number, count: number): void {
    const n = this.ints[this.hCount + field];
    const b = field * HISTORY;
    for (let j = 0; j + count < n; j++) {
      this.ints[this.hTs + b + j] = this.ints[this.hTs + b + j + count];
      this.ints[this.hWriter + b + j] = this.ints[this.hWriter + b + j + count];
      this.vals[this.hVal + b + j] = this.vals[this.hVal + b + j + count];
    }
    for (let j = n - count; j < n; j++) { this.ints[this.hTs + b + j] = 0; this.ints[this.hWriter + b + j] = 0; this.vals[this.hVal + b + j] = 0; }
    this.ints[this.hCount + field] = n - count;
  }
}
