/** Parsing of the command line's values: durations, parameters, numbers, choices. */
import { UsageError, type Params } from './core/model.ts';

/** "500ms", "30s", "10m" -> milliseconds (more than 0: a budget of nothing is a mistake). */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000) : NaN;
  if (!m || !(n >= 1) || !Number.isFinite(n)) throw new UsageError(`${option} takes a duration of at least 1ms such as 500ms, 30s or 10m, not "${text}"`);
  return n;
}

/** A whole number from `min` (to `max`), or undefined when the option was not given. */
export function parseInteger(text: string | undefined, option: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${option} takes ${integerForm(min, max)}, not "${text}"`);
  return n;
}

/** "a whole number from 1 to 64", as option errors and help say it. */
export function integerForm(min: number, max = Number.MAX_SAFE_INTEGER): string {
  return max < Number.MAX_SAFE_INTEGER ? `a whole number from ${min} to ${max}` : min > 0 ? `a whole number of at least ${min}` : `a whole number from ${min}`;
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
