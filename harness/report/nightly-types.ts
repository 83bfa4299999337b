/**
 * What a nightly run is made of, as every report format reads it: the jobs, their results and the
 * run's outcome. Plain types (and how jobs are told apart), so that report/ depends on nothing in
 * nightly/: the nightly builds and runs these, the report formats only read them.
 */
import type { Expectation, MemoryModel, Params } from '../core/model.ts';
import type { EngineKind } from '../engine/engine.ts';
import type { Counterexample } from './counterexample.ts';

/** A fuzz engine's name (harness/fuzz/run.ts lists them). */
export type FuzzEngine = 'builtin' | 'jsfuzz';

/** How validate judged one invariant (harness/validate.ts). */
export type InvariantStatus = 'holds' | 'violated' | 'not-applicable' | 'not-established';

export interface CheckJob {
  readonly kind: 'check';
  /** Position in the full, unsharded list. */
  readonly index: number;
  readonly id: string;
  readonly model: string;
  readonly variant: string;
  /** Only the parameters the config set (the rest are the model's defaults). */
  readonly params: Params;
  readonly engine: EngineKind;
  readonly memory: MemoryModel;
  readonly strategy: string;
  readonly preemptions?: number;
  readonly seed?: number;
  readonly executions?: number;
  readonly capMs?: number;
  readonly weight: number;
  /** What the variant must give under this memory model. */
  readonly expect: Expectation;
  /** The expectation was set in the config, not taken from the model. */
  readonly expectOverridden: boolean;
  /** The model's invariants and the harness's own, in order: one JUnit test case each. */
  readonly invariants: readonly string[];
  readonly description: string;
  readonly recreates?: string;
}

export interface ReplayJob {
  readonly kind: 'replay';
  readonly index: number;
  readonly id: string;
  readonly file: string;
  readonly engine: EngineKind;
}

/** A third-party implementation validated in place of one role of a scheme (harness/validate.ts). */
export interface ValidateJob {
  readonly kind: 'validate';
  readonly index: number;
  readonly id: string;
  /** As the config wrote it, and as validate is given it (paths absolute). */
  readonly impl: string;
  readonly resolved: string;
  readonly role: 'driver' | 'device';
  readonly scheme: string;
  readonly memory: MemoryModel;
  readonly engine?: EngineKind;
  readonly preemptions?: number;
  readonly params: Params;
  readonly capMs?: number;
  readonly weight: number;
  /** Added to its counterexample files' names when another job would write the same names. */
  readonly fileTag?: string;
}

/** A run of the builtin (or jsfuzz) engine on a fuzz target for a fixed time (harness/fuzz/run.ts). */
export interface FuzzJob {
  readonly kind: 'fuzz';
  readonly index: number;
  readonly id: string;
  readonly target: string;
  readonly variant: string;
  readonly engine: FuzzEngine;
  readonly seed: number;
  readonly timeMs: number;
  readonly corpus?: string;
}

export type Job = CheckJob | ReplayJob | ValidateJob | FuzzJob;

/** The qualifiers that tell jobs of one variant apart: "tso", "threads", "updates=3", "random seed 7". */
export function qualifiers(j: Pick<CheckJob, 'memory' | 'engine' | 'params' | 'strategy' | 'seed' | 'preemptions'>): string[] {
  const q: string[] = [j.memory];
  if (j.engine !== 'inline') q.push(j.engine);
  for (const [k, v] of Object.entries(j.params)) q.push(`${k}=${v}`);
  if (j.strategy !== 'dfs') q.push(j.seed === undefined ? j.strategy : `${j.strategy} seed ${j.seed}`);
  if (j.preemptions !== undefined) q.push(`preemptions ${j.preemptions}`);
  return q;
}

/** "sc", "tso", "threads", "updates=3", "preemptions 1": what tells validate jobs of one implementation apart. */
export function validateQualifiers(j: Pick<ValidateJob, 'memory' | 'engine' | 'params' | 'preemptions'>): string[] {
  // The engine shows only when the entry names one: otherwise validate picks it by the kind of file.
  return qualifiers({ ...j, engine: j.engine ?? 'inline', strategy: 'dfs' });
}

export type JobStatus = 'ok' | 'failed' | 'error' | 'incomplete' | 'interrupted' | 'skipped';

/** Why a job failed, as JUnit's failure type. */
export type FailureType = 'mutant-not-caught' | 'unexpected-violation' | 'wrong-invariant' | 'not-reproduced' | 'regression' | 'fuzz-finding' | 'error';

/** One invariant of a validate job: a JUnit test case. */
export interface InvariantOutcome {
  readonly name: string;
  readonly status: InvariantStatus;
  readonly counterexample?: Counterexample;
  /** The saved counterexample file (as shown: relative to the working directory when inside it). */
  readonly file?: string;
  readonly replayCommand?: string;
  /** An external command's finding: what went wrong and the messages exchanged up to there. */
  readonly finding?: { readonly message: string; readonly exchange: readonly string[] };
}

export interface FuzzFindingOutcome {
  readonly oracle: string;
  readonly location: string;
  readonly message: string;
  /** Steps of the minimized stream. */
  readonly steps: number;
  /** The saved stream (as shown), and the command that prints it. */
  readonly file?: string;
  readonly showCommand?: string;
  /** The minimized stream, one described step a line (SARIF shows it as the finding's flow). */
  readonly stream?: readonly string[];
}

export interface JobResult {
  readonly job: Job;
  readonly status: JobStatus;
  /** One line for people: what happened. */
  readonly summary: string;
  readonly failure?: { readonly type: FailureType; readonly message: string };
  /** Wall-clock seconds, shrinking and saving included. */
  readonly seconds: number;
  /** The share of the budget the check was given. */
  readonly budgetMs?: number;
  readonly verdict?: 'passed' | 'violated';
  readonly invariant?: string;
  readonly complete?: boolean;
  readonly budgetExhausted?: boolean;
  readonly coverage?: string;
  readonly executions?: number;
  readonly steps?: number;
  readonly counterexample?: Counterexample;
  /** The saved counterexample file, as a path relative to the working directory when it is inside it. */
  readonly counterexampleFile?: string;
  readonly replayCommand?: string;
  /** The command that runs this check again by hand. */
  readonly rerunCommand?: string;
  /** For a replay: the expectation the file is held to. */
  readonly expect?: Expectation;
  /** For a validate job: each invariant's outcome. */
  readonly invariants?: readonly InvariantOutcome[];
  /** For a check or validate that passed: the model's coverage goals no execution reached. */
  readonly goalsMissed?: readonly string[];
  /** For a fuzz job: what it found. */
  readonly findings?: readonly FuzzFindingOutcome[];
}

export interface NightlyReport {
  /** The config file, or undefined for the built-in default suite. */
  readonly config?: string;
  readonly shard?: { readonly index: number; readonly count: number };
  /** Jobs in the whole suite (all shards). */
  readonly totalJobs: number;
  readonly budgetMs: number;
  readonly requireComplete: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly interrupted: boolean;
  readonly exitCode: number;
  readonly counts: Readonly<Record<JobStatus, number>> & { readonly jobs: number };
  readonly results: readonly JobResult[];
}
