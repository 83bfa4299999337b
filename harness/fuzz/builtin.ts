/**
 * The builtin engine: in-process, structure-aware, coverage-guided fuzzing of message streams.
 *
 * Feedback is a feature set, not a scalar (anchors A6, A10): each step of an execution yields the
 * feature (phase before, step label, phase after, what the implementation returned), where a phase
 * is the implementation's protocol state (status bits, reset pending, features latched, per queue
 * configured/enabled; for the driver: status, awaited response, failure). An input is kept when it
 * adds a feature never seen. This is the "state map keyed by (previous state, current state,
 * action)" of AFL++'s stateful mode, with a phase and not a path as its id (anchors A8). It is
 * chosen over istanbul counters because it costs a few integer operations per step in-process
 * (no instrumentation, no IPC), and because it distinguishes inputs that reach *different* states
 * with equal code coverage, which a statement total cannot.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleStreams } from './arbitraries.ts';
import { hashSteps, loadStreams, saveStream } from './corpus.ts';
import { minimize } from './minimize.ts';
import { mutate, Rng } from './mutate.ts';
import type { Step } from './stream.ts';
import type { FuzzTarget, Violation } from './target.ts';

/** The checked-in seeds: corpus/msg/<target>/ of this checkout, wherever the command runs from. */
const SEED_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'corpus', 'msg');

export interface FuzzOptions {
  readonly variant: string;
  readonly seed: number;
  /** Time budget in ms. */
  readonly timeMs: number;
  /** Stop after this many executions as well (benchmarks). */
  readonly maxExecs?: number;
  /** Stop at the first finding (tests, time-to-find). */
  readonly stopOnFinding?: boolean;
  /** Start without the built-in and checked-in seeds (only the empty stream). */
  readonly noSeeds?: boolean;
  /** Extra seed folders (read); the first one also receives the new corpus entries. */
  readonly corpusDirs?: readonly string[];
  /** Where new corpus entries go when no corpus folder is given (undefined: not saved). */
  readonly saveCorpusTo?: string;
  /** Where minimized findings go (undefined: not saved). */
  readonly findingsDir?: string;
  readonly differential?: boolean;
  /** Called about every 250 ms with the progress. */
  readonly onStatus?: (s: FuzzStatus) => void;
  /** Set .stop to true to stop (SIGINT). */
  readonly control?: { stop: boolean };
}

export interface FuzzStatus {
  readonly executions: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly corpus: number;
  readonly features: number;
  readonly findings: number;
}

export interface Finding {
  readonly oracle: string;
  readonly location: string;
  readonly message: string;
  readonly steps: readonly Step[];
  readonly originalSteps: number;
  readonly afterMs: number;
  readonly afterExecutions: number;
  readonly file?: string;
}

export interface FuzzResult extends FuzzStatus {
  readonly target: string;
  readonly variant: string;
  readonly engine: 'builtin';
  readonly seed: number;
  readonly stoppedBy: 'time' | 'executions' | 'finding' | 'signal';
  readonly findingsList: readonly Finding[];
  readonly corpusSaved?: string;
}

export async function fuzzBuiltin(t: FuzzTarget, o: FuzzOptions): Promise<FuzzResult> {
  const rng = new Rng(o.seed);
  const seen = new Set<number>();
  const corpus: Step[][] = [];
  const fresh: Step[][] = [];
  const findings: Finding[] = [];
  const keys = new Set<string>();
  const start = Date.now();
  let execs = 0;
  let stoppedBy: FuzzResult['stoppedBy'] = 'time';

  const execute = (steps: Step[]): { v: Violation | undefined; grew: boolean } => {
    let grew = false;
    const v = t.run(steps, o.variant, {
      differential: o.differential,
      cover: (f) => { if (!seen.has(f)) { seen.add(f); grew = true; } },
    });
    execs++;
    return { v, grew };
  };
  const record = (steps: Step[], v: Violation): void => {
    const key = `${v.oracle}@${v.location}`;
    if (keys.has(key)) return;
    keys.add(key);
    const min = minimize(t, o.variant, steps, v);
    const f: Finding = {
      oracle: min.violation.oracle, location: min.violation.location, message: min.violation.message, steps: min.steps,
      originalSteps: steps.length, afterMs: Date.now() - start, afterExecutions: execs,
    };
    let file: string | undefined;
    if (o.findingsDir) {
      file = saveStream(o.findingsDir, `${o.variant}.${v.oracle}.${hashSteps(min.steps)}.json`, { target: t.name, steps: min.steps, note: f.message }, {
        variant: o.variant, oracle: f.oracle, location: f.location, engine: 'builtin', seed: o.seed,
      });
    }
    findings.push({ ...f, file });
  };

  // Seeds: built-in sessions, checked-in corpus/msg/<target>/, the given folders.
  const seeds: Step[][] = [[]];
  if (!o.noSeeds) {
    for (const s of t.seeds()) seeds.push(s.steps.slice());
    for (const { stream } of loadStreams(join(SEED_ROOT, t.name), t.name)) seeds.push(stream.steps.slice());
    // fast-check's valid and near-valid streams (harness/fuzz/arbitraries.ts), sampled with the run's seed.
    seeds.push(...sampleStreams(t, 8, o.seed));
  }
  for (const dir of o.corpusDirs ?? []) for (const { stream } of loadStreams(dir, t.name)) seeds.push(stream.steps.slice());
  for (const s of seeds) {
    const { v } = execute(s);
    corpus.push(s);
    if (v) record(s, v);
  }

  const status = (): FuzzStatus => {
    const seconds = (Date.now() - start) / 1000;
    return { executions: execs, seconds, perSecond: seconds > 0 ? Math.round(execs / seconds) : 0, corpus: corpus.length, features: seen.size, findings: findings.length };
  };
  let lastStatus = Date.now();
  const done = (): boolean => {
    if (o.control?.stop) { stoppedBy = 'signal'; return true; }
    if (o.stopOnFinding && findings.length) { stoppedBy = 'finding'; return true; }
    if (o.maxExecs !== undefined && execs >= o.maxExecs) { stoppedBy = 'executions'; return true; }
    if (Date.now() - start >= o.timeMs) { stoppedBy = 'time'; return true; }
    return false;
  };
  while (!done()) {
    for (let k = 0; k < 64 && !(o.maxExecs !== undefined && execs >= o.maxExecs); k++) {
      const parent = fresh.length && rng.chance(0.3) ? rng.pick(fresh.slice(-16)) : rng.pick(corpus);
      const child = mutate(parent, t, rng, rng.chance(0.2) ? rng.pick(corpus) : undefined);
      const { v, grew } = execute(child);
      if (v) {
        record(child, v);
        if (o.stopOnFinding) break;
      } else if (grew) {
        corpus.push(child);
        fresh.push(child);
      }
    }
    if (o.onStatus && Date.now() - lastStatus >= 250) {
      lastStatus = Date.now();
      o.onStatus(status());
    }
    // Let signals and timers run between batches.
    await new Promise<void>((r) => setImmediate(r));
  }

  let corpusSaved: string | undefined;
  const dir = o.corpusDirs?.[0] ?? o.saveCorpusTo;
  if (dir) {
    for (const steps of fresh) saveStream(dir, `${hashSteps(steps)}.json`, { target: t.name, steps });
    corpusSaved = dir;
  }
  return { ...status(), target: t.name, variant: o.variant, engine: 'builtin', seed: o.seed, stoppedBy, findingsList: findings, corpusSaved };
}
