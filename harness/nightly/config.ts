/**
 * The nightly configuration file: JSON, described by docs/nightly.schema.json and docs/nightly.md.
 * Everything a person can get wrong in it is a UsageError with one line naming the file, the path
 * inside it and what was expected (the command exits 2).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { MODELS, findModel } from '../../models/index.ts';
import { parseDuration } from '../cli-args.ts';
import { resolveParams, UsageError, type Expectation, type MemoryModel, type ModelDef, type Params } from '../core/model.ts';
import { ENGINE_KINDS, type EngineKind } from '../engine/engine.ts';
import { HARNESS_INVARIANTS } from '../explore/execution.ts';
import { STRATEGY_NAMES } from '../explore/strategies.ts';
import { FUZZ_ENGINES, fuzzTargetOf, type FuzzEngine } from '../fuzz/run.ts';

/** "auto": sc for every variant, tso too for references and for mutants that need tso, weak for mutants that need weak. */
export type MemorySpec = 'auto' | readonly MemoryModel[];

export interface CheckEntry {
  readonly model: string;
  /** Variant names; every variant of the model when absent. */
  readonly variants?: readonly string[];
  /** One or more parameter sets (each a job per variant); the model's defaults when absent. */
  readonly params?: readonly Params[];
  readonly engines?: readonly EngineKind[];
  readonly memory?: MemorySpec;
  readonly strategy?: string;
  readonly preemptions?: number;
  readonly seed?: number;
  readonly executions?: number;
  /** The most this entry's jobs may each take from the budget. */
  readonly capMs?: number;
  /** Its share of the budget relative to the other jobs (default: 4 when it must pass, 1 for a mutant). */
  readonly weight?: number;
  /** Overrides the variants' declared expectation. */
  readonly expect?: Expectation;
}

export interface CorpusConfig {
  /** Directories of counterexample files to replay (absolute). */
  readonly dirs: readonly string[];
  /** Where counterexamples of jobs that did not give their expected verdict are also saved. */
  readonly save?: string;
  readonly engine: EngineKind;
  /** The directory list was written in the config (a missing directory is then an error). */
  readonly explicit: boolean;
}

export interface FuzzEntry {
  readonly target: string;
  /** The target's variant: "reference" by default; a seeded mutant shows the job failing. */
  readonly variant: string;
  readonly timeMs?: number;
  readonly engine: FuzzEngine;
  readonly seed?: number;
  /** Seed folder that also receives the corpus grown (absolute). */
  readonly corpus?: string;
}

export interface ValidateEntry {
  /** As written in the config (job names and reports show this). */
  readonly impl: string;
  /** What validate is given: the file, or the command, with its paths made absolute (resolveImpl). */
  readonly resolved: string;
  readonly role: 'driver' | 'device';
  readonly scheme: string;
  readonly memory?: MemorySpec;
  readonly engine?: EngineKind;
  readonly preemptions?: number;
  readonly params?: Params;
  readonly capMs?: number;
  readonly weight?: number;
}

export interface NightlyConfig {
  /** The file it came from; undefined for the built-in default suite. */
  readonly file?: string;
  readonly budgetMs: number;
  readonly requireComplete: boolean;
  readonly engines: readonly EngineKind[];
  readonly memory: MemorySpec;
  readonly strategy: string;
  readonly preemptions?: number;
  readonly seed?: number;
  readonly checks: readonly CheckEntry[];
  readonly corpus?: CorpusConfig;
  readonly fuzz: readonly FuzzEntry[];
  readonly validate: readonly ValidateEntry[];
}

export const DEFAULT_BUDGET_MS = 10 * 60_000;

/** The built-in suite: every model and variant, memory "auto", the inline engine, the corpus. */
export function defaultConfig(cwd: string): NightlyConfig {
  return {
    budgetMs: DEFAULT_BUDGET_MS,
    requireComplete: false,
    engines: ['inline'],
    memory: 'auto',
    strategy: 'dfs',
    checks: MODELS.map((m) => ({ model: m.name })),
    corpus: { dirs: [resolve(cwd, 'corpus', 'counterexamples')], engine: 'inline', explicit: false },
    fuzz: [],
    validate: [],
  };
}

const TOP_KEYS = ['$schema', 'description', 'budget', 'requireComplete', 'engines', 'memory', 'strategy', 'preemptions', 'seed', 'checks', 'corpus', 'fuzz', 'validate'] as const;
const CHECK_KEYS = ['model', 'variants', 'params', 'engines', 'memory', 'strategy', 'preemptions', 'seed', 'executions', 'budget', 'weight', 'expect'] as const;
const CORPUS_KEYS = ['dirs', 'save', 'engine'] as const;
const FUZZ_KEYS = ['target', 'variant', 'time', 'engine', 'seed', 'corpus'] as const;
const VALIDATE_KEYS = ['impl', 'role', 'scheme', 'memory', 'engine', 'preemptions', 'params', 'budget', 'weight'] as const;
const EXPECT_KEYS = ['verdict', 'invariant', 'memory'] as const;

/** The property names each object of the file accepts (tests compare them with the JSON Schema). */
export const CONFIG_KEYS = {
  top: TOP_KEYS, check: CHECK_KEYS, corpus: CORPUS_KEYS, fuzz: FUZZ_KEYS, validate: VALIDATE_KEYS, expect: EXPECT_KEYS,
} as const;

export function loadConfig(file: string, cwd: string = process.cwd()): NightlyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`bad config ${file}: not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseConfig(data, file, dirname(resolve(file)), cwd);
}

type Obj = Record<string, unknown>;

/** Validates a parsed config; relative directories resolve against `base` (the config file's directory). */
export function parseConfig(data: unknown, file: string, base: string, cwd: string = process.cwd()): NightlyConfig {
  const bad = (path: string, why: string): never => {
    throw new UsageError(`bad config ${file}: ${path ? `${path}: ` : ''}${why}`);
  };
  const obj = (v: unknown, path: string, keys: readonly string[]): Obj => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'expected an object');
    for (const k of Object.keys(v as Obj)) {
      if (!keys.includes(k)) bad(path ? `${path}.${k}` : k, `unknown property (allowed: ${keys.filter((x) => x !== '$schema').join(', ')})`);
    }
    return v as Obj;
  };
  const str = (v: unknown, path: string): string => (typeof v === 'string' && v.length > 0 ? v : bad(path, 'expected a non-empty string'));
  const int = (v: unknown, path: string, min: number): number =>
    (typeof v === 'number' && Number.isInteger(v) && v >= min ? v : bad(path, `expected a whole number of at least ${min}`));
  const duration = (v: unknown, path: string): number => {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    if (typeof v !== 'string') return bad(path, 'expected a duration such as "500ms", "30s", "10m" (or milliseconds as a number)');
    try {
      const ms = parseDuration(v, path);
      return ms > 0 ? ms : bad(path, 'a duration must be more than 0');
    } catch {
      return bad(path, `expected a duration such as "500ms", "30s" or "10m", not "${v}"`);
    }
  };
  const list = <T>(v: unknown, path: string, item: (x: unknown, p: string) => T, nonEmpty = true): T[] => {
    if (!Array.isArray(v)) return bad(path, 'expected a list');
    if (nonEmpty && v.length === 0) bad(path, 'expected a non-empty list');
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
  const choice = <T extends string>(v: unknown, path: string, choices: readonly T[]): T =>
    (typeof v === 'string' && (choices as readonly string[]).includes(v) ? v as T : bad(path, `expected one of ${choices.join(', ')}`));
  const memory = (v: unknown, path: string): MemorySpec =>
    (v === 'auto' ? 'auto' : list(v, path, (x, p) => choice(x, p, ['sc', 'tso', 'weak'] as const)));
  const weight = (v: unknown, path: string): number =>
    (typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : bad(path, 'expected a number greater than 0'));
  const dir = (v: unknown, path: string): string => {
    const s = str(v, path);
    return isAbsolute(s) ? s : resolve(base, s);
  };

  const top = obj(data, '', TOP_KEYS);
  const strategies = STRATEGY_NAMES as readonly string[];
  const checks: CheckEntry[] = top.checks === undefined || top.checks === 'all'
    ? MODELS.map((m) => ({ model: m.name }))
    : list(top.checks, 'checks', (x, p) => checkEntry(x, p), false); // [] for a suite of validate and fuzz jobs only

  function checkEntry(x: unknown, p: string): CheckEntry {
    const o = obj(x, p, CHECK_KEYS);
    let def: ModelDef;
    try {
      def = findModel(str(o.model, `${p}.model`));
    } catch (e) {
      return bad(`${p}.model`, (e as Error).message);
    }
    const variantNames = def.variants.map((v) => v.name);
    const variants = o.variants === undefined || o.variants === 'all' ? undefined : list(o.variants, `${p}.variants`, (v, vp) => {
      const name = str(v, vp);
      return variantNames.includes(name) ? name : bad(vp, `model ${def.name} has no variant ${name} (it has: ${variantNames.join(', ')})`);
    });
    const paramSets = o.params === undefined ? undefined : (Array.isArray(o.params) ? o.params : [o.params]).map((ps, i) => {
      const pp = Array.isArray(o.params) ? `${p}.params[${i}]` : `${p}.params`;
      if (typeof ps !== 'object' || ps === null || Array.isArray(ps)) return bad(pp, 'expected an object of parameter names to whole numbers');
      const given: Params = {};
      for (const [k, v] of Object.entries(ps as Obj)) given[k] = typeof v === 'number' ? v : bad(`${pp}.${k}`, 'expected a number');
      try {
        resolveParams(def, given);
      } catch (e) {
        return bad(pp, (e as Error).message);
      }
      return given;
    });
    const invariants = [...def.invariants.map((i) => i.name), ...HARNESS_INVARIANTS.map((i) => i.name)];
    let expect: Expectation | undefined;
    if (o.expect !== undefined) {
      const e = obj(o.expect, `${p}.expect`, EXPECT_KEYS);
      const verdict = choice(e.verdict, `${p}.expect.verdict`, ['passed', 'violated'] as const);
      if (verdict === 'passed') {
        if (e.invariant !== undefined || e.memory !== undefined) bad(`${p}.expect`, 'a "passed" expectation takes no invariant or memory');
        expect = { verdict };
      } else {
        const invariant = str(e.invariant, `${p}.expect.invariant`);
        if (!invariants.includes(invariant)) bad(`${p}.expect.invariant`, `model ${def.name} has no invariant ${invariant} (it has: ${invariants.join(', ')})`);
        expect = e.memory === undefined ? { verdict, invariant } : { verdict, invariant, memory: choice(e.memory, `${p}.expect.memory`, ['sc', 'tso', 'weak'] as const) };
      }
    }
    return {
      model: def.name,
      variants,
      params: paramSets,
      engines: o.engines === undefined ? undefined : list(o.engines, `${p}.engines`, (v, vp) => choice(v, vp, ENGINE_KINDS)),
      memory: o.memory === undefined ? undefined : memory(o.memory, `${p}.memory`),
      strategy: o.strategy === undefined ? undefined : choice(o.strategy, `${p}.strategy`, strategies),
      preemptions: o.preemptions === undefined ? undefined : int(o.preemptions, `${p}.preemptions`, 0),
      seed: o.seed === undefined ? undefined : int(o.seed, `${p}.seed`, 0),
      executions: o.executions === undefined ? undefined : int(o.executions, `${p}.executions`, 1),
      capMs: o.budget === undefined ? undefined : duration(o.budget, `${p}.budget`),
      weight: o.weight === undefined ? undefined : weight(o.weight, `${p}.weight`),
      expect,
    };
  }

  let corpus: CorpusConfig | undefined;
  if (top.corpus === false) corpus = undefined;
  else if (top.corpus === undefined) corpus = { dirs: [resolve(cwd, 'corpus', 'counterexamples')], engine: 'inline', explicit: false };
  else {
    const c = obj(top.corpus, 'corpus', CORPUS_KEYS);
    const dirs = c.dirs === undefined ? [resolve(cwd, 'corpus', 'counterexamples')] : list(c.dirs, 'corpus.dirs', dir, false);
    dirs.forEach((d, i) => {
      if (c.dirs === undefined) return;
      // The directory counterexamples are saved to may not exist yet (a fresh CI cache).
      const isSave = c.save !== undefined && resolve(base, String(c.save)) === d;
      if (!isSave && (!existsSync(d) || !statSync(d).isDirectory())) bad(`corpus.dirs[${i}]`, `${d} is not a directory`);
    });
    corpus = {
      dirs,
      save: c.save === undefined ? undefined : dir(c.save, 'corpus.save'),
      engine: c.engine === undefined ? 'inline' : choice(c.engine, 'corpus.engine', ENGINE_KINDS),
      explicit: c.dirs !== undefined,
    };
  }

  return {
    file,
    budgetMs: top.budget === undefined ? DEFAULT_BUDGET_MS : duration(top.budget, 'budget'),
    requireComplete: top.requireComplete === undefined ? false : typeof top.requireComplete === 'boolean' ? top.requireComplete : bad('requireComplete', 'expected true or false'),
    engines: top.engines === undefined ? ['inline'] : list(top.engines, 'engines', (v, p) => choice(v, p, ENGINE_KINDS)),
    memory: top.memory === undefined ? 'auto' : memory(top.memory, 'memory'),
    strategy: top.strategy === undefined ? 'dfs' : choice(top.strategy, 'strategy', strategies),
    preemptions: top.preemptions === undefined ? undefined : int(top.preemptions, 'preemptions', 0),
    seed: top.seed === undefined ? undefined : int(top.seed, 'seed', 0),
    checks,
    corpus,
    fuzz: top.fuzz === undefined ? [] : list(top.fuzz, 'fuzz', (x, p) => {
      const o = obj(x, p, FUZZ_KEYS);
      const target = str(o.target, `${p}.target`);
      const variant = o.variant === undefined ? 'reference' : str(o.variant, `${p}.variant`);
      try {
        fuzzTargetOf(target, variant);
      } catch (e) {
        bad(o.variant === undefined ? `${p}.target` : `${p}.variant`, (e as Error).message);
      }
      return {
        target, variant,
        timeMs: o.time === undefined ? undefined : duration(o.time, `${p}.time`),
        engine: o.engine === undefined ? 'builtin' : choice(o.engine, `${p}.engine`, FUZZ_ENGINES),
        seed: o.seed === undefined ? undefined : int(o.seed, `${p}.seed`, 0),
        corpus: o.corpus === undefined ? undefined : dir(o.corpus, `${p}.corpus`),
      };
    }, false),
    validate: top.validate === undefined ? [] : list(top.validate, 'validate', (x, p) => {
      const o = obj(x, p, VALIDATE_KEYS);
      const impl = str(o.impl, `${p}.impl`);
      let params: Params | undefined;
      if (o.params !== undefined) {
        if (typeof o.params !== 'object' || o.params === null || Array.isArray(o.params)) bad(`${p}.params`, 'expected an object of parameter names to whole numbers');
        params = Object.fromEntries(Object.entries(o.params as Obj).map(([k, v]) => [k, typeof v === 'number' ? v : bad(`${p}.params.${k}`, 'expected a number')]));
      }
      return {
        impl, resolved: resolveImpl(impl, base),
        role: choice(o.role, `${p}.role`, ['driver', 'device'] as const),
        scheme: str(o.scheme, `${p}.scheme`),
        memory: o.memory === undefined ? undefined : memory(o.memory, `${p}.memory`),
        engine: o.engine === undefined ? undefined : choice(o.engine, `${p}.engine`, ENGINE_KINDS),
        preemptions: o.preemptions === undefined ? undefined : int(o.preemptions, `${p}.preemptions`, 0),
        params,
        capMs: o.budget === undefined ? undefined : duration(o.budget, `${p}.budget`),
        weight: o.weight === undefined ? undefined : weight(o.weight, `${p}.weight`),
      };
    }, false),
  };
}

/**
 * The implementation of a validate entry with its paths made absolute against the config's
 * directory. One word is a file (a module, C, WebAssembly, or an executable). In a command of
 * several words ("python3 dev.py --fast"), the program is resolved only when it contains a slash
 * (otherwise the system looks it up on PATH, as a shell would), and each later word only when a
 * file or directory of that name exists in the config's directory: flags and values stay as written.
 */
export function resolveImpl(impl: string, base: string): string {
  const words = impl.trim().split(/\s+/);
  const abs = (w: string) => (isAbsolute(w) ? w : resolve(base, w));
  if (words.length === 1) return abs(words[0]);
  return words.map((w, i) => (i === 0 ? (w.includes('/') ? abs(w) : w) : !w.startsWith('-') && existsSync(abs(w)) ? abs(w) : w)).join(' ');
}

/** "2/5" -> { index: 2, count: 5 }; 1-based. */
export { parseShard } from '../cli-args.ts';
