/**
 * Structure-aware mutation of message streams (issue 6): insert, delete, duplicate and reorder
 * messages; set a field to a dictionary value, a value within its range or just outside it; flip
 * reserved bits; give a message a wrong msg_size (it becomes raw bytes); reuse another message's
 * token; splice two streams. The dictionary holds the message kinds and the boundary values that
 * matter to a virtio-msg implementation (status bits, feature words, queue sizes and indices,
 * config offsets, flags).
 */
import { encode, schemaOf } from '../msg/codec.ts';
import { STATUS, type Message, type MessageKind } from '../msg/types.ts';
import type { Action, Step } from './stream.ts';
import type { FuzzTarget } from './target.ts';

/** A small fast seeded generator (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 0x9e3779b9; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
}

/** Boundary values of 32-bit fields. */
const U32_EDGES = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const STATUS_VALUES = [0, STATUS.ACKNOWLEDGE, 3, 0xb, 0xf, 0x7, 0x5, 0x9, 0x2, 0x4, 0x8, 0x80, 0x8f, 0x40, 0x4f, 0x10, 0x1f, 0xff];
/** Feature words: VERSION_1, NOTIFICATION_DATA, RING_RESET in block 1; CTRL_VQ and CTRL_RX in block 0. */
const FEATURE_WORDS = [0, 1, 0x40, 0x100, 0x141, 0x101, 0x20000, 0x40000, 0x60000, 0xffffffff];
const VQ_FLAGS = [0, 1, 2, 3, 0x3c, 0x3d, 0x3e, 0x40, 0x41, 0x4, 0x5, 0x21];

/** Values for a field: the dictionary for its meaning, within range and just outside it. */
function fieldValues(name: string, t: FuzzTarget): number[] {
  const { queues, queueMax, configBytes } = t.shape;
  switch (name) {
    case 'status': case 'deviceStatus': return STATUS_VALUES;
    case 'index': case 'vqIndex': return [0, 1, queues - 1, queues, queues + 1, 0x7fffffff, 0x80000000, 0xffffffff];
    case 'size': case 'maxSize': case 'curSize': return [0, 1, 2, 3, 4, queueMax - 1, queueMax, queueMax + 1, 2 * queueMax, 0x8000, 0xffffffff];
    case 'flags': return VQ_FLAGS;
    case 'offset': return [0, 1, 2, 3, 4, configBytes - 1, configBytes, configBytes + 1, 0xfffffffc, 0xffffffff];
    case 'length': return [0, 1, 2, 4, configBytes, configBytes + 1, 0xffffffff];
    case 'blockIndex': return [0, 1, 2, 0xffffffff];
    case 'numBlocks': return [0, 1, 2, 3, 64, 0xffffffff];
    case 'generation': return [0, 1, 2, 0xffffffff];
    case 'reserved': return [0, 1, 0x80000000];
    case 'nextOffset': return [0, 1, 0x80000000, 0x7fffffff];
    default: return U32_EDGES;
  }
}

/** Fields of a message value that can be mutated as numbers (header included). */
function numericFields(m: Message): { name: string; type: string }[] {
  const s = schemaOf(m.kind);
  const out = [{ name: 'token', type: 'u16' }, { name: 'devNum', type: 'u16' }];
  for (const f of s.fields) if (f.type !== 'uuid') out.push({ name: f.name, type: f.type });
  if (s.tail?.type === 'optional-bytes') out.push({ name: 'length', type: 'u32' });
  return out;
}

const MAX: Record<string, number> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff };

function mutateField(m: Message, t: FuzzTarget, rng: Rng, tokens: number[]): Message {
  const r = { ...(m as unknown as Record<string, unknown>) };
  const fields = numericFields(m);
  const f = rng.pick(fields);
  if (f.type === 'u64') {
    r[f.name] = rng.pick([0n, 0x1000n, 0xfffn, 0xffffffffffffffffn, 1n << 63n]);
  } else if (f.name === 'token') {
    r.token = tokens.length && rng.chance(0.7) ? rng.pick(tokens) : rng.pick([0, 1, 0xffff]);
  } else if (f.name === 'devNum') {
    r.devNum = rng.chance(0.8) ? 0 : rng.pick([1, 0xffff]);
  } else {
    const max = MAX[f.type];
    const v = r[f.name] as number;
    const choice = rng.int(4);
    const x = choice === 0 ? rng.pick(fieldValues(f.name, t)) : choice === 1 ? v + rng.pick([-1, 1, 2, -2]) : choice === 2 ? v ^ (1 << rng.int(32)) : rng.int(max + 1);
    r[f.name] = Math.min(max, Math.max(0, x >>> 0));
  }
  // Trailing arrays: feature words and config data.
  const s = schemaOf(m.kind);
  if (s.tail && rng.chance(0.3)) {
    if (s.tail.type === 'u32s') r[s.tail.name] = Array.from({ length: rng.int(4) }, () => rng.pick(FEATURE_WORDS));
    else if (s.tail.type === 'bytes' || s.tail.type === 'optional-bytes') {
      const n = rng.pick([0, 1, 2, 4, t.shape.configBytes, t.shape.configBytes + 1]);
      r[s.tail.name] = Array.from({ length: n }, () => rng.int(256));
      if (s.tail.type === 'optional-bytes') r.length = n;
    }
  }
  return r as unknown as Message;
}

/** A fresh message of a kind, with dictionary values. */
export function freshMessage(kind: MessageKind, t: FuzzTarget, rng: Rng, tokens: number[]): Message {
  const s = schemaOf(kind);
  const r: Record<string, unknown> = { kind, devNum: 0, token: s.direction === 'event' ? 0 : tokens.length && rng.chance(0.5) ? rng.pick(tokens) : 1 + rng.int(64) };
  for (const f of s.fields) {
    if (f.type === 'uuid') r[f.name] = new Array(16).fill(0);
    else if (f.type === 'u64') r[f.name] = rng.pick([0n, 0x1000n, 0x2000n]);
    else r[f.name] = Math.min(MAX[f.type], rng.pick(fieldValues(f.name, t)));
  }
  if (s.tail) {
    if (s.tail.type === 'u32s') r[s.tail.name] = Array.from({ length: 1 + rng.int(2) }, () => rng.pick(FEATURE_WORDS));
    else if (s.tail.type === 'bits') r[s.tail.name] = [];
    else {
      const n = rng.pick([0, 1, 2, 4]);
      r[s.tail.name] = Array.from({ length: n }, () => rng.int(256));
      if (s.tail.type === 'optional-bytes') r.length = n;
    }
  }
  if (kind === 'SET_VQUEUE') r.reserved = rng.chance(0.9) ? 0 : 1;
  if (kind === 'GET_SHM_RESP') r.reserved = 0;
  return r as unknown as Message;
}

function freshAction(type: Action['type'], t: FuzzTarget, rng: Rng): Action {
  switch (type) {
    case 'used': return { type, index: rng.int(t.shape.queues + 1) };
    case 'overtake': return { type, index: rng.int(4) };
    case 'change': return { type, offset: rng.int(t.shape.configBytes), data: Array.from({ length: 1 + rng.int(2) }, () => rng.int(256)) };
    case 'deliver': return rng.chance(0.5) ? { type } : { type, count: 1 + rng.int(8) };
    case 'write-config': return { type, offset: rng.int(t.shape.configBytes), length: 1 + rng.int(4), add: 1 + rng.int(3) };
    default: return { type } as Action;
  }
}

/** A message step turned into bytes with a defect: msg_size wrong, cut, padded, reserved type bits, an unknown id. */
function rawDefect(m: Message, rng: Rng): Step | undefined {
  let b: Uint8Array;
  try { b = encode(m); } catch { return undefined; }
  const out = Array.from(b);
  switch (rng.int(6)) {
    case 0: { const size = rng.pick([0, 7, 8, out.length - 1, out.length + 1, 0xffff, 53, 265]); out[6] = size & 0xff; out[7] = size >> 8; break; }
    case 1: out.length = Math.max(0, out.length - 1 - rng.int(4)); break;
    case 2: { const n = 1 + rng.int(4); out.push(...new Array(n).fill(0)); if (rng.chance(0.5)) { out[6] = out.length & 0xff; out[7] = out.length >> 8; } break; }
    case 3: out[0] |= (1 + rng.int(0x3f)) << 2; break;
    case 4: out[1] = rng.pick([0x00, 0x01, 0x0d, 0x3f, 0x43, 0x80, 0xff]); break;
    default: if (out.length > 8) out[8 + rng.int(out.length - 8)] ^= 1 << rng.int(8);
  }
  return { raw: out };
}

function tokensOf(steps: readonly Step[]): number[] {
  const out: number[] = [];
  for (const s of steps) if ('send' in s && s.send.token) out.push(s.send.token);
  return out;
}

/** One to a few mutations of a stream. `other` is another corpus entry, for splicing. */
export function mutate(steps: readonly Step[], t: FuzzTarget, rng: Rng, other?: readonly Step[]): Step[] {
  let out = steps.slice();
  const tokens = tokensOf(steps);
  const rounds = 1 + (rng.chance(0.5) ? rng.int(4) : 0);
  for (let k = 0; k < rounds; k++) {
    const n = out.length;
    const at = rng.int(n + 1);
    switch (rng.int(11)) {
      case 0: // insert a fresh message
        if (t.kinds.length) out.splice(at, 0, { send: freshMessage(rng.pick(t.kinds), t, rng, tokens) });
        else if (t.actions.length) out.splice(at, 0, { act: freshAction(rng.pick(t.actions), t, rng) });
        break;
      case 1: // insert an action of the peer or the bus
        if (t.actions.length) out.splice(at, 0, { act: freshAction(rng.pick(t.actions), t, rng) });
        break;
      case 2: // delete a run
        if (n) out.splice(rng.int(n), 1 + (rng.chance(0.3) ? rng.int(4) : 0));
        break;
      case 3: // duplicate a step (same token: a repeated request)
        if (n) { const i = rng.int(n); out.splice(i + 1, 0, out[i]); }
        break;
      case 4: // reorder: swap two steps or move one
        if (n > 1) {
          const i = rng.int(n);
          const j = rng.int(n);
          if (rng.chance(0.5)) [out[i], out[j]] = [out[j], out[i]];
          else { const [s] = out.splice(i, 1); out.splice(j, 0, s); }
        }
        break;
      case 5: case 6: case 7: { // mutate a field of a message
        const idx = out.map((s, i) => ('send' in s ? i : -1)).filter((i) => i >= 0);
        if (idx.length) { const i = rng.pick(idx); out[i] = { send: mutateField((out[i] as { send: Message }).send, t, rng, tokens) }; }
        break;
      }
      case 8: { // bytes with a defect (wrong msg_size, reserved bits, unknown id, cut)
        const idx = out.map((s, i) => ('send' in s ? i : -1)).filter((i) => i >= 0);
        if (idx.length) { const i = rng.pick(idx); const r = rawDefect((out[i] as { send: Message }).send, rng); if (r) out[i] = r; }
        break;
      }
      case 9: // splice with another corpus entry
        if (other && other.length) {
          const a = rng.int(other.length);
          out = rng.chance(0.5) ? out.slice(0, at).concat(other.slice(a)) : out.slice(0, at).concat(other.slice(a, a + 1 + rng.int(8)), out.slice(at));
        }
        break;
      default: // change a message's kind, keeping what fields it can
        {
          const idx = out.map((s, i) => ('send' in s ? i : -1)).filter((i) => i >= 0);
          if (idx.length && t.kinds.length) {
            const i = rng.pick(idx);
            const old = (out[i] as { send: Message }).send;
            const fresh = freshMessage(rng.pick(t.kinds), t, rng, tokens) as unknown as Record<string, unknown>;
            out[i] = { send: { ...fresh, token: fresh.token === 0 ? 0 : old.token, devNum: old.devNum } as unknown as Message };
          }
        }
    }
  }
  return out.length > 400 ? out.slice(0, 400) : out;
}
