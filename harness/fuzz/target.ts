/**
 * What a fuzz target is: something that runs a message stream against an implementation (the
 * reference, or one of its seeded mutants), checks the oracles after every step, and reports
 * coverage features. Targets are synchronous and deterministic: the same stream gives the same
 * verdict, which is what makes minimization and replay possible.
 */
import { encode, decode } from '../msg/codec.ts';
import type { Message, MessageKind } from '../msg/types.ts';
import type { Action, Step, Stream } from './stream.ts';

export interface Violation {
  /** The oracle that fired (no-exception, one-response-per-request, ...). */
  readonly oracle: string;
  /** What went wrong, in one sentence. */
  readonly message: string;
  /** Index of the step after which it was seen (steps.length: at the end of the stream). */
  readonly step: number;
  /**
   * Where: for an exception the first stack frame in the project (file:line), otherwise the kind
   * of the step that exposed it. Findings are deduplicated by oracle and location.
   */
  readonly location: string;
}

export interface RunOptions {
  /** Called with a coverage feature (a 32-bit number) for each (phase, step, phase) edge. */
  readonly cover?: (feature: number) => void;
  /** Also run the reference on the same stream and compare what both send (differential oracle). */
  readonly differential?: boolean;
}

export interface TargetVariant {
  readonly name: string;
  readonly description: string;
  /** The oracle a fuzzer is expected to see fire (undefined: the reference, nothing expected). */
  readonly expect?: string;
  /** The bug-zoo id or spec citation it recreates. */
  readonly recreates?: string;
}

export interface FuzzTarget {
  readonly name: string;
  readonly summary: string;
  readonly variants: readonly TargetVariant[];
  readonly oracles: readonly { readonly name: string; readonly description: string }[];
  /** Message kinds the mutators insert (the input side of the target). */
  readonly kinds: readonly MessageKind[];
  /** Actions the mutators insert, with argument ranges the target accepts. */
  readonly actions: readonly Action['type'][];
  /** Largest message the implementation takes (the bus maximum). */
  readonly maxMessageSize: number;
  /** Queues and config bytes of the configured implementation (for "just outside range" values). */
  readonly shape: { readonly queues: number; readonly queueMax: number; readonly configBytes: number };
  run(steps: readonly Step[], variant: string, options?: RunOptions): Violation | undefined;
  /** Built-in seeds: streams recorded from the reference driver and device (valid by construction). */
  seeds(): Stream[];
}

/** Thrown inside a target run to stop at the first oracle violation. */
export class OracleFailure extends Error {
  constructor(readonly oracle: string, message: string, readonly location: string) {
    super(message);
  }
}

/** The first stack frame inside the project (not node internals, not the fuzzer): file:line. */
export function locationOf(e: unknown): string {
  const stack = e instanceof Error ? e.stack ?? '' : '';
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:[^()\s]*\/)?(models|harness)\/[^():\s]+):(\d+):\d+\)?\s*$/.exec(line);
    if (m && !m[1].includes('/fuzz/')) return `${m[1].slice(m[1].lastIndexOf(m[2]))}:${m[3]}`;
  }
  return e instanceof Error ? e.name : 'throw';
}

/** Whether a message re-encodes and strictly decodes to itself within the bus maximum. */
export function wellFormedProblem(m: Message, maxSize: number): string | undefined {
  try {
    const bytes = encode(m, { maxSize });
    const back = decode(bytes, { maxSize, reserved: 'reject' });
    const again = encode(back);
    if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) return `${m.kind} does not round-trip`;
    return undefined;
  } catch (e) {
    return `${m.kind}: ${(e as Error).message}`;
  }
}

/** 32-bit mixing of small integers into one coverage feature. */
export function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x & 0xffff), 0x01000193);
    h = Math.imul(h ^ (x >>> 16), 0x01000193);
  }
  return h >>> 0;
}

/** A stable small number for a string label (kinds, error kinds). */
export function labelOf(s: string): number {
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

/** JSON of values with bigints (for comparing outputs in the differential oracle). */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
}
