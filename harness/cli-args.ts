/** Parsing of the command line's values: durations, parameters, numbers, choices. */
import { UsageError, type Params } from './core/model.ts';

/** "500ms", "30s", "10m" -> milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new UsageError(`${option} takes a duration such as 500ms, 30s or 10m, not "${text}"`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

export function parseInteger(text: string | undefined, option: string, min = 0): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`${option} takes a whole number ${min > 0 ? `of at least ${min}` : `from ${min}`}, not "${text}"`);
  return Number(text);
}

/** --param k=v (repeatable) -> { k: v }. */
export function parseParams(items: readonly string[] | undefined): Params {
  const out: Params = {};
  for (const item of items ?? []) {
    const m = /^([A-Za-z][\w-]*)=(-?\d+)$/.exec(item.trim());
    if (!m) throw new UsageError(`--param takes name=integer, such as --param updates=4, not "${item}"`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function parseChoice<T extends string>(text: string | undefined, option: string, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`unknown ${option} ${text} (choose from: ${choices.join(', ')})`);
  return text as T;
}

/** "2/4" -> shard 2 of 4 (index from 1). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--shard takes i/n such as 1/4 (shard i of n, from 1), not "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text}: i must be from 1 to n, and n at least 1`);
  return { index, count };
}
