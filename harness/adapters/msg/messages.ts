/**
 * Checks on what a third-party sans-IO object hands back: message values in the shape of
 * harness/msg/types.ts. A value that is not a message, or has no wire encoding (a field too wide,
 * a bigint given as a number), is the implementation's error, reported with what it returned
 * rather than as a codec failure deep inside a channel.
 */
import { encode, MESSAGE_KINDS } from '../../msg/codec.ts';
import type { Message } from '../../msg/types.ts';

const KINDS = new Set<string>(MESSAGE_KINDS);

const show = (v: unknown) => {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))?.slice(0, 120) ?? String(v);
  } catch {
    return String(v);
  }
};

/** Whether `v` looks like a message value (an object with a known `kind`). */
export function isMessageValue(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && KINDS.has((v as { kind?: unknown }).kind as string);
}

/** `v` as a message, or a TypeError naming `what` returned it. */
export function asMessage(v: unknown, what: string, maxSize: number): Message {
  if (!isMessageValue(v)) throw new TypeError(`${what} returned ${show(v)}, which is not a message (an object whose kind is a virtio-msg message kind)`);
  try {
    encode(v, { maxSize });
  } catch (e) {
    throw new TypeError(`${what} returned ${show(v)}, which has no wire encoding: ${(e as Error).message}`);
  }
  return v;
}

/** `v` as an array, or a TypeError. */
export function asList(v: unknown, what: string): readonly unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TypeError(`${what} must return an array, not ${show(v)}`);
  return v;
}

export function describeValue(v: unknown): string {
  return show(v);
}

type Fn = (...args: unknown[]) => unknown;

/** Calls `obj[name](...args)`; a missing method is a TypeError naming what the role needs. */
export function call(obj: Record<string, unknown>, name: string, what: string, ...args: unknown[]): unknown {
  const f = obj[name];
  if (typeof f !== 'function') throw new TypeError(`${what} has no method ${name}() (docs/third-party.md)`);
  return (f as Fn).apply(obj, args);
}

/** The object a module's factory returned, or a TypeError. */
export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null) throw new TypeError(`${what} must return an object, not ${show(v)}`);
  return v as Record<string, unknown>;
}
