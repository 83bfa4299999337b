/**
 * A fuzz run as a library call: the work of `virtio-verify fuzz` without its output, shared by the
 * command and the nightly. Findings and the corpus grown go under <out>/reports/fuzz/<target>/
 * (the corpus into the given corpus folder instead, when there is one).
 */
import { join } from 'node:path';
import { UsageError } from '../core/model.ts';
import { fuzzBuiltin, type FuzzResult, type FuzzStatus } from './builtin.ts';
import { fuzzJsfuzz, type JsfuzzResult } from './jsfuzz.ts';
import type { FuzzTarget } from './target.ts';
import { FUZZ_TARGETS, findTarget } from './targets/index.ts';

export const FUZZ_ENGINES = ['builtin', 'jsfuzz'] as const;
export type FuzzEngine = typeof FUZZ_ENGINES[number];

export interface FuzzRunOptions {
  readonly target: string;
  /** Default "reference". */
  readonly variant?: string;
  /** Default "builtin". */
  readonly engine?: FuzzEngine;
  /** Default 1. */
  readonly seed?: number;
  readonly timeMs: number;
  /** A folder of seed streams that also receives the new corpus entries. */
  readonly corpus?: string;
  /** The directory reports/fuzz/ goes under. */
  readonly out: string;
  /** Without a corpus folder, save the corpus grown under reports/fuzz/ (default true). */
  readonly saveCorpus?: boolean;
  readonly differential?: boolean;
  readonly noSeeds?: boolean;
  readonly onStatus?: (s: FuzzStatus) => void;
  /** Set .stop to true to stop (a signal). */
  readonly control?: { stop: boolean };
}

/** The target and variant named, or a UsageError listing what exists. */
export function fuzzTargetOf(name: string, variant = 'reference'): FuzzTarget {
  const t = findTarget(name);
  if (!t) throw new UsageError(`unknown fuzz target ${name} (targets: ${FUZZ_TARGETS.map((x) => x.name).join(', ')})`);
  if (!t.variants.some((v) => v.name === variant)) throw new UsageError(`${t.name} has no variant ${variant} (variants: ${t.variants.map((v) => v.name).join(', ')})`);
  return t;
}

export function runFuzz(o: FuzzRunOptions): Promise<FuzzResult | JsfuzzResult> {
  const variant = o.variant ?? 'reference';
  const t = fuzzTargetOf(o.target, variant);
  const seed = o.seed ?? 1;
  const options = {
    variant, seed, timeMs: o.timeMs, control: o.control, differential: o.differential, noSeeds: o.noSeeds, onStatus: o.onStatus,
    corpusDirs: o.corpus ? [o.corpus] : undefined,
    saveCorpusTo: o.saveCorpus === false ? undefined : join(o.out, 'reports', 'fuzz', t.name, 'corpus'),
    findingsDir: join(o.out, 'reports', 'fuzz', t.name, 'findings'),
  };
  return (o.engine ?? 'builtin') === 'builtin'
    ? fuzzBuiltin(t, options)
    : fuzzJsfuzz(t, { ...options, workDir: join(o.out, 'reports', 'fuzz', 'jsfuzz', `${t.name}.${variant}.${seed}`) });
}
