/**
 * Fuzz inputs: typed operation lists (as rust-vmm's vm-virtio fuzz targets use, anchors A1), here
 * message streams. A stream is a list of steps: a message given as a value (`send`), raw bytes
 * (`raw`: what no valid message encodes, or a valid one with a wrong msg_size), or an action of the
 * peer or the bus (`tick`, `deliver`, ...). Streams are saved as readable JSON (corpus/msg/), with
 * le64 fields as hex strings, so that a seed can be written and read by hand.
 */
import { describeMessage, encode, schemaOf, tryDecode } from '../msg/codec.ts';
import type { Message } from '../msg/types.ts';

export type Step =
  /** A message, encoded when it is handed over (token and dev_num included). */
  | { readonly send: Message }
  /** Bytes handed over as they are (malformed, or a message with a defect). */
  | { readonly raw: readonly number[] }
  /** The peer's own actions, and the bus's (which ones a target takes: see the target). */
  | { readonly act: Action };

export type Action =
  /** Device: deferred work (completes an asynchronous reset). */
  | { readonly type: 'tick' }
  /** Device host: buffers of queue `index` were used (EVENT_USED if live). */
  | { readonly type: 'used'; readonly index: number }
  /** Device: its own config change (EVENT_CONFIG). */
  | { readonly type: 'change'; readonly offset: number; readonly data: readonly number[] }
  /** Device: DEVICE_NEEDS_RESET. */
  | { readonly type: 'needs-reset' }
  /** Bus: deliver the next message waiting for the target (the reference peer's answer). */
  | { readonly type: 'deliver'; readonly count?: number }
  /** Bus: drop the next message waiting for the target. */
  | { readonly type: 'drop' }
  /** Bus: deliver the next waiting message twice. */
  | { readonly type: 'duplicate' }
  /** Bus (config-msg): the device takes the driver's next message. */
  | { readonly type: 'to-device' }
  /** Bus (config-msg, unordered bus only): the driver gets waiting message `index` ahead of those before it. */
  | { readonly type: 'overtake'; readonly index: number }
  /** Driver side (config-msg): start an operation. */
  | { readonly type: 'read-config' }
  | { readonly type: 'write-config'; readonly offset: number; readonly length: number; readonly add: number }
  | { readonly type: 'reset' };

export interface Stream {
  readonly target: string;
  readonly steps: readonly Step[];
  /** Free text (seeds: what the stream does). */
  readonly note?: string;
}

export const STREAM_FORMAT = 'virtio-verify/msg-stream';
export const STREAM_VERSION = 1;

// JSON ---------------------------------------------------------------------------------------------

/** A message as JSON: le64 fields as "0x..." strings. */
export function messageToJson(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = typeof v === 'bigint' ? `0x${v.toString(16)}` : v;
  return out;
}

export function messageFromJson(j: unknown): Message {
  if (typeof j !== 'object' || j === null || typeof (j as { kind?: unknown }).kind !== 'string') throw new Error('a message needs a "kind"');
  const r = { ...(j as Record<string, unknown>) };
  const s = schemaOf(r.kind as Message['kind']);
  for (const x of s.fields) if (x.type === 'u64' && typeof r[x.name] === 'string') r[x.name] = BigInt(r[x.name] as string);
  r.devNum ??= 0;
  r.token ??= 0;
  return r as unknown as Message;
}

export function stepToJson(s: Step): unknown {
  if ('send' in s) return { send: messageToJson(s.send) };
  if ('raw' in s) return { raw: toHex(s.raw) };
  return { act: s.act };
}

export function stepFromJson(j: unknown): Step {
  const r = j as Record<string, unknown>;
  if (r && typeof r === 'object') {
    if ('send' in r) return { send: messageFromJson(r.send) };
    if ('raw' in r && typeof r.raw === 'string') return { raw: fromHex(r.raw) };
    if ('act' in r && typeof (r.act as { type?: unknown })?.type === 'string') return { act: r.act as Action };
  }
  throw new Error(`not a step: ${JSON.stringify(j)}`);
}

export function streamToJson(s: Stream, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ format: STREAM_FORMAT, version: STREAM_VERSION, target: s.target, ...(s.note ? { note: s.note } : {}), ...extra, steps: s.steps.map(stepToJson) }, null, 1)}\n`;
}

/** Parses a stream file (a seed or a finding); throws Error with a readable reason. */
export function streamFromJson(text: string): Stream & { readonly extra: Record<string, unknown> } {
  const j = JSON.parse(text) as Record<string, unknown>;
  if (j.format !== STREAM_FORMAT || j.version !== STREAM_VERSION) throw new Error(`not a ${STREAM_FORMAT} version ${STREAM_VERSION} file`);
  if (typeof j.target !== 'string' || !Array.isArray(j.steps)) throw new Error('a stream needs "target" and "steps"');
  const { format: _f, version: _v, target, note, steps, ...extra } = j;
  return { target: target as string, note: note as string | undefined, steps: (steps as unknown[]).map(stepFromJson), extra };
}

export function toHex(b: readonly number[] | Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(h: string): number[] {
  const clean = h.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex bytes: ${h}`);
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
}

// Rendering --------------------------------------------------------------------------------------

export function describeAction(a: Action): string {
  switch (a.type) {
    case 'used': return `used queue ${a.index}`;
    case 'overtake': return `overtake ${a.index}`;
    case 'change': return `device changes config at ${a.offset}: ${toHex(a.data)}`;
    case 'deliver': return a.count && a.count > 1 ? `deliver ${a.count}` : 'deliver';
    case 'write-config': return `write-config offset=${a.offset} length=${a.length} add=${a.add}`;
    default: return a.type;
  }
}

export function describeStep(s: Step): string {
  if ('send' in s) return describeMessage(s.send);
  if ('act' in s) return `(${describeAction(s.act)})`;
  const r = tryDecode(Uint8Array.from(s.raw), { reserved: 'ignore' });
  return `raw ${toHex(s.raw)}${r.ok ? ` = ${describeMessage(r.message)}` : ` (${r.error.kind})`}`;
}

/** The bytes a step hands over (undefined for actions, or a message value that has no encoding). */
export function stepBytes(s: Step): Uint8Array | undefined {
  if ('raw' in s) return Uint8Array.from(s.raw);
  if ('send' in s) {
    try { return encode(s.send); } catch { return undefined; }
  }
  return undefined;
}

// Byte form (for byte-level fuzzers such as jsfuzz) -------------------------------------------------

/** Header type byte of an action frame in the byte form (reserved bits set: no message has it). */
export const ACTION_FRAME = 0xfc;
const ACTION_CODES: readonly Action['type'][] = ['tick', 'used', 'change', 'needs-reset', 'deliver', 'drop', 'duplicate', 'to-device', 'overtake', 'read-config', 'write-config', 'reset'];

/**
 * A stream as bytes: messages back to back, framed by their msg_size, and actions as 8-byte
 * frames [0xfc, code, a0, a1, a2, a3, 8, 0]. Raw steps are written as they are, so the byte form of
 * a raw step with a wrong msg_size frames differently when read back (it is lossy there only).
 */
export function streamToBytes(steps: readonly Step[]): Uint8Array {
  const parts: number[] = [];
  for (const s of steps) {
    if ('act' in s) {
      const a = s.act as Action & { index?: number; offset?: number; count?: number; add?: number; data?: readonly number[] };
      parts.push(ACTION_FRAME, ACTION_CODES.indexOf(a.type), (a.index ?? a.offset ?? a.count ?? 0) & 0xff, (a.data?.[0] ?? a.add ?? 0) & 0xff, (a.data?.[1] ?? 0) & 0xff, a.data?.length ?? 0, 8, 0);
    } else {
      const b = stepBytes(s);
      if (b) parts.push(...b);
    }
  }
  return Uint8Array.from(parts);
}

export function bytesToSteps(bytes: Uint8Array): Step[] {
  const out: Step[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 8) { out.push({ raw: Array.from(bytes.subarray(at)) }); break; }
    if (bytes[at] === ACTION_FRAME) {
      const type = ACTION_CODES[bytes[at + 1] % ACTION_CODES.length];
      const x = bytes[at + 2];
      const n = Math.min(2, bytes[at + 5]);
      const act: Action = type === 'used' || type === 'overtake' ? { type, index: x } : type === 'change' ? { type, offset: x, data: Array.from(bytes.subarray(at + 3, at + 3 + n)) }
        : type === 'deliver' ? { type, count: x } : type === 'write-config' ? { type, offset: x, length: 4, add: bytes[at + 3] } : { type } as Action;
      out.push({ act });
      at += 8;
      continue;
    }
    const size = bytes[at + 6] | (bytes[at + 7] << 8);
    const n = Math.max(8, Math.min(size, bytes.length - at));
    out.push({ raw: Array.from(bytes.subarray(at, at + n)) });
    at += n;
  }
  return out;
}
