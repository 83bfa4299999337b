/**
 * The real shared memory of one model instance: the layout's fields, then the event latches and
 * the owner of an atomic section, all in one SharedArrayBuffer that worker threads map as well.
 *
 * `apply` is the single definition of what an operation does. The inline engine calls it on the
 * main thread, the threads engine calls it inside the worker that owns the actor, and so the two
 * engines agree on every value for the same schedule.
 */
import type { Field, Layout } from './layout.ts';
import { OpKind, type Op } from './ops.ts';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('virtio-verify needs a little-endian host: virtio fields are little-endian and the typed-array views are host-endian');
}

export const NO_OWNER = -1;

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
  /** [0]: the actor inside an atomic section, or NO_OWNER. */
  readonly ctl: Int32Array;
  /** index into the view of the field's width, by field id. */
  private readonly slot: Int32Array;
  private readonly width: Uint8Array;

  static bytesFor(layout: Layout, eventCount: number): number {
    return layout.size + 4 * (eventCount + 2);
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
    this.latch = new Int32Array(this.sab, memBytes, eventCount);
    this.ctl = new Int32Array(this.sab, memBytes + 4 * eventCount, 2);
    this.slot = new Int32Array(layout.fields.length);
    this.width = new Uint8Array(layout.fields.length);
    for (const f of layout.fields) {
      this.slot[f.id] = f.offset / (f.width / 8);
      this.width[f.id] = f.width;
    }
  }

  /** Zeroes memory and events; the model's init then writes the initial field values. */
  reset(): void {
    new Uint8Array(this.sab).fill(0);
    this.ctl[0] = NO_OWNER;
  }

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
    return this.ctl[0];
  }

  /** Executes one operation of `actor`; returns the value the actor is resumed with. */
  apply(actor: number, op: Op): number {
    switch (op.k) {
      case OpKind.LOAD: return this.read(op.t);
      case OpKind.STORE: return this.write(op.t, op.v);
      case OpKind.ADD: { const old = this.read(op.t); this.write(op.t, old + op.v); return old; }
      case OpKind.XCHG: { const old = this.read(op.t); this.write(op.t, op.v); return old; }
      case OpKind.CAS: {
        const old = this.read(op.t);
        if (old === this.truncate(op.t, op.w)) this.write(op.t, op.v);
        return old;
      }
      case OpKind.NOTIFY:
        Atomics.store(this.latch, op.t, 1);
        Atomics.notify(this.latch, op.t);
        return 1;
      case OpKind.WAIT: return Atomics.exchange(this.latch, op.t, 0);
      case OpKind.POLL: return Atomics.exchange(this.latch, op.t, 0);
      case OpKind.ATOMIC_BEGIN: this.ctl[0] = actor; return 0;
      case OpKind.ATOMIC_END: this.ctl[0] = NO_OWNER; return 0;
      default: return 0; // fences (sc), pause and notes change no memory
    }
  }
}
