/**
 * `validate`: puts a third-party implementation in place of one reference actor of a scheme and
 * runs the scheme's exploration and invariants against it (docs/third-party.md).
 *
 * The report says, per invariant: it holds within the explored bound, it is violated (with the
 * counterexample), it does not apply to the role, or it was not established (the exploration
 * stopped at an earlier finding that the harness cannot look past, such as the implementation
 * crashing). A violated model invariant is set aside and the exploration starts again, so one bug
 * does not hide another. Advisories are SHOULD rules seen broken in some explored execution.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findModel } from '../models/index.ts';
import { defaultBound, nothingExercised, resolveParams, UsageError, type Invariant, type MemoryModel, type ModelDef, type ModelInstance, type Params } from './core/model.ts';
import { ENGINE_KINDS, FAILED, type Engine, type EngineKind } from './engine/engine.ts';
import { createThreadsEngine, type ThreadsEngine } from './engine/threads/threads-engine.ts';
import { announceOnMainThread, jsModelUrl } from './adapters/js/model.ts';
import { loadGatedCode } from './adapters/wasm/load.ts';
import { checkExports, wasmInstance } from './adapters/wasm/model.ts';
import { wasmRole, wasmRoleNames } from './adapters/wasm/roles.ts';
import { announceWasmOnMainThread, wasmModelUrl } from './adapters/wasm/worker-model.ts';
import { InlineEngine } from './engine/inline.ts';
import { roleSpec, type Advisory, type Role } from './adapters/schemes.ts';
import { PROCESS_RULES, runProcessDevice, type ProcessSessionResult } from './adapters/process/session.ts';
import { classifyImpl, implKind, type ImplTarget } from './adapters/impl-kind.ts';
import { PROCESS_DRIVER_RULES, runProcessDriver } from './adapters/process/driver-session.ts';
import { HARNESS_INVARIANTS } from './explore/execution.ts';
import { explore, type FoundViolation } from './explore/explore.ts';
import { ReplayStrategy } from './explore/replay.ts';
import { shrinkSchedule } from './explore/shrink.ts';
import { makeStrategy, STRATEGY_NAMES } from './explore/strategies.ts';
import { parseChoice, parseDuration, parseInteger, parseParams } from './cli-args.ts';
import { makeCounterexample, type Counterexample, type Implementation } from './report/counterexample.ts';
import { renderTrace, wrap } from './report/text.ts';
import { busMaxMessageSize, limitStatement } from './msg/limit.ts';
import { counterexampleFinding, exchangeFinding, writeSarif, type Finding } from './report/sarif.ts';
import { rateText, StatusLine, type Stream } from './report/status-line.ts';
import { INTERRUPTED_EXIT } from './core/interrupt.ts';
import { GoalTally, goalLines, missedGoals, missedSuffix, type GoalResult } from './oracle/coverage-goals.ts';

export interface ValidateOptions {
  /** A JavaScript/TypeScript module path (.mjs, .js, .ts, .mts). */
  readonly impl: string;
  readonly role: string;
  readonly scheme: string;
  readonly params?: Params;
  readonly strategy?: string;
  readonly memory?: MemoryModel;
  readonly preemptions?: number;
  readonly budgetMs?: number;
  readonly seed?: number;
  readonly executions?: number;
  readonly depth?: number;
  /** How long one operation of the implementation may take before it counts as hung. Default 2000. */
  readonly stepTimeoutMs?: number;
  /**
   * JavaScript modules run on the threads engine only (they cannot yield); C and WebAssembly on
   * either, inline by default (Asyncify).
   */
  readonly engine?: EngineKind;
  /**
   * Memory limit in MiB. External processes: address space (util-linux prlimit). JavaScript
   * modules: the V8 heap of the workers started from then on in this process. Default: none.
   */
  readonly memoryLimitMb?: number;
  /** How long the implementation's worker may take to start. Default 30000. */
  readonly startupTimeoutMs?: number;
  /** Called about every second while exploring (the nightly shows it, and stops by throwing from it). */
  readonly onProgress?: (p: { executions: number; seconds: number }) => void;
  /** Stops the exploration, or ends the process (SIGINT, SIGTERM): the report is then incomplete and says interrupted. */
  readonly signal?: AbortSignal;
}

import type { InvariantStatus } from './report/nightly-types.ts';

export type { InvariantStatus };

export interface InvariantResult {
  readonly name: string;
  readonly kind: 'safety' | 'liveness';
  readonly protects: string;
  readonly status: InvariantStatus;
  readonly counterexample?: Counterexample;
  /** An external process's finding: what went wrong and the messages exchanged up to there. */
  readonly finding?: { readonly message: string; readonly exchange: readonly string[] };
}

export interface AdvisoryResult {
  readonly rule: string;
  readonly text: string;
  /** Executions in which it was seen, and the first occurrence. */
  readonly executions: number;
  readonly first: string;
}

export interface ValidateReport {
  readonly impl: string;
  /**
   * js: a module run in a worker under the explorer; wasm: C/WebAssembly gated and run inline under
   * the explorer; process: a command driven by the reference peer.
   */
  readonly kind: 'js' | 'wasm' | 'process';
  readonly role: Role;
  readonly scheme: string;
  readonly params: Params;
  readonly strategy: string;
  readonly memory: MemoryModel;
  readonly preemptions: number;
  readonly seed: number;
  readonly verdict: 'passed' | 'violated';
  /** Every round of the exploration covered its bounded space. */
  readonly complete: boolean;
  readonly budgetExhausted: boolean;
  /** A signal stopped it before the end. */
  readonly interrupted: boolean;
  readonly executions: number;
  readonly steps: number;
  readonly seconds: number;
  readonly invariants: readonly InvariantResult[];
  readonly advisories: readonly AdvisoryResult[];
  /** Per coverage goal of the scheme, the executions that reached it (none for an external command). */
  readonly goals: readonly GoalResult[];
}


/** An engine that may lose a worker to the implementation and bring it back (the threads engine). */
type ImplEngine = Engine & { needsRecovery?(): boolean; recover?(): Promise<void>; workerEnd?(a: number): string | undefined };

/**
 * The engine the explorer sees: the engine running the implementation (the threads engine with it
 * in one worker, or the inline engine with a gated WebAssembly instance), showing only the
 * invariants still in play, and scanning every finished execution for advisories.
 */
class ValidationView implements Engine {
  readonly kind: Engine['kind'];
  instance: ModelInstance;
  readonly seen = new Map<string, { executions: number; first: string }>();
  private scanned = true;

  constructor(private readonly inner: ImplEngine, private readonly actor: number, private readonly advisories: readonly Advisory[]) {
    this.instance = inner.instance;
    this.kind = inner.kind;
  }

  setInvariants(invariants: readonly Invariant[]): void {
    this.instance = { ...this.inner.instance, invariants };
  }

  get state() { return this.inner.state; }
  get trace() { return this.inner.trace; }
  get steps() { return this.inner.steps; }
  begin(): void { this.scan(); this.inner.begin(); this.scanned = false; }
  pendingKind(a: number): number { return this.inner.pendingKind(a); }
  pendingTarget(a: number): number { return this.inner.pendingTarget(a); }
  pendingValue(a: number): number { return this.inner.pendingValue(a); }
  step(a: number): void { this.inner.step(a); }
  flush(a: number): void { this.inner.flush!(a); }
  failure(a: number): string | undefined { return this.inner.failure(a); }
  needsRecovery(): boolean { return this.inner.needsRecovery?.() ?? false; }
  recover(): Promise<void> { return this.inner.recover?.() ?? Promise.resolve(); }
  workerEnd(a: number): string | undefined { return this.inner.workerEnd?.(a); }
  close(): Promise<void> { return this.inner.close(); }

  /** Looks at the execution that just ended for advisories (once). */
  scan(): void {
    if (this.scanned) return;
    this.scanned = true;
    for (const adv of this.advisories) {
      const hit = adv.scan(this.inner.instance, this.inner.trace, this.actor);
      if (hit === undefined) continue;
      const s = this.seen.get(adv.rule);
      if (s) s.executions++; else this.seen.set(adv.rule, { executions: 1, first: hit });
    }
  }
}

/** What validate makes of an implementation: an external command, C/WebAssembly, or a JavaScript module. */
export { implKind };

export async function validate(o: ValidateOptions): Promise<ValidateReport> {
  const target = classifyImpl(o.impl);
  if (target.kind === 'process') return validateProcess(o, target);
  const start = performance.now();
  const opened = await openImpl(o, target);
  return exploreImpl(opened.inner, opened.checks, {
    ...o, kind: opened.kind, path: target.path!, params: opened.params, memory: o.memory ?? 'sc', strategyName: o.strategy ?? 'dfs', seed: o.seed ?? 1,
    preemptions: o.preemptions ?? defaultBound(opened.bounds, o.memory ?? 'sc'), start, deadline: o.budgetMs === undefined ? Number.POSITIVE_INFINITY : start + o.budgetMs,
  });
}

/** An engine with the implementation in place of its role's reference actor. */
interface OpenedImpl {
  readonly inner: ImplEngine;
  readonly checks: ImplChecks;
  readonly kind: 'js' | 'wasm';
  readonly params: Params;
  /** The model's default bounds. */
  readonly bounds: Pick<ModelDef, 'defaultPreemptions' | 'defaultPreemptionsBuffered'>;
}

function openImpl(o: ValidateOptions, target: ImplTarget): Promise<OpenedImpl> {
  return target.kind === 'wasm' ? openWasm(o, target.path!) : openJs(o, target.path!);
}

/**
 * The implementation a counterexample names: its absolute path when that file is there (the file
 * then replays from any directory), else --impl as given, from the working directory.
 */
function implementationOf(c: Counterexample): ImplTarget {
  const impl = c.implementation!;
  if (impl.path !== undefined && existsSync(impl.path)) return classifyImpl(impl.path);
  return classifyImpl(impl.impl);
}

/**
 * The engine for replaying a counterexample of `validate` (one whose file names the
 * implementation): only the invariant it violated is checked, as when it was found, since the
 * invariants violated before it were set aside by then.
 */
export async function implementationEngine(c: Counterexample, engine: EngineKind): Promise<Engine> {
  const impl = c.implementation!;
  const target = implementationOf(c);
  if (target.kind === 'process') throw new UsageError(`${impl.impl} is an external command: its findings are message exchanges, not schedules; run validate again`);
  const opened = await openImpl({ impl: impl.impl, role: impl.role, scheme: c.model, params: c.params, memory: c.memory, engine }, target);
  const view = new ValidationView(opened.inner, opened.inner.instance.actors.findIndex((a) => a.name === impl.role), []);
  view.setInvariants(opened.inner.instance.invariants.filter((i) => i.name === c.invariant));
  return view;
}

async function openJs(o: ValidateOptions, path: string): Promise<OpenedImpl> {
  if (o.engine === 'inline') throw new UsageError('a JavaScript module cannot yield at each access: it runs on the threads engine only (C and WebAssembly run on either)');
  roleSpec(o.scheme, o.role); // an unknown scheme or role is bad input before the file is looked at
  const def = findModel(o.scheme);
  const params = resolveParams(def, o.params ?? {});
  const implUrl = pathToFileURL(path).href;
  const spec = roleSpec(o.scheme, o.role, implUrl);
  const memory = o.memory ?? 'sc';

  // The module's worker alone gets the heap limit: a module that exhausts it ends its worker
  // (ERR_WORKER_OUT_OF_MEMORY), which the engine reports as a failed actor; the tool goes on.
  const resourceLimits = o.memoryLimitMb === undefined ? undefined : { [o.role]: { maxOldGenerationSizeMb: o.memoryLimitMb, maxYoungGenerationSizeMb: Math.max(1, Math.min(16, o.memoryLimitMb / 4)) } };
  let inner: ThreadsEngine;
  announceOnMainThread(o.scheme, o.role, implUrl);
  try {
    inner = await createThreadsEngine(
      { model: o.scheme, variant: 'reference', params, module: jsModelUrl(o.scheme, o.role, implUrl) },
      { memory, stepTimeoutMs: o.stepTimeoutMs ?? 2000, startupTimeoutMs: o.startupTimeoutMs ?? 30_000, resourceLimits },
    );
  } catch (e) {
    throw new UsageError(`cannot load ${o.impl} as the ${o.role} of ${o.scheme}: ${(e as Error).message}`);
  }
  return { inner, checks: spec, kind: 'js', params, bounds: def };
}

/** What a role adds to the model's invariants: SHOULD rules, and invariants that do not concern it. */
interface ImplChecks {
  readonly advisories: readonly Advisory[];
  readonly notApplicable?: readonly string[];
}

interface ExploreImplOptions extends ValidateOptions {
  readonly kind: 'js' | 'wasm';
  /** The implementation file's absolute path (stored in counterexamples). */
  readonly path: string;
  readonly params: Params;
  readonly memory: MemoryModel;
  readonly strategyName: string;
  readonly seed: number;
  readonly preemptions: number;
  readonly start: number;
  readonly deadline: number;
}

/**
 * Explores the model with the implementation in place of its role until no invariant left in play
 * is violated: each violated invariant is set aside with its counterexample and the exploration
 * starts again. Closes the engine.
 */
async function exploreImpl(inner: ImplEngine, spec: ImplChecks, o: ExploreImplOptions): Promise<ValidateReport> {
  const role = o.role as Role;
  const { memory, strategyName, seed, preemptions, start, deadline, params } = o;
  const actor = inner.instance.actors.findIndex((a) => a.name === role);
  const view = new ValidationView(inner, actor, spec.advisories);
  const all = inner.instance.invariants;
  const notApplicable = new Set<string>(spec.notApplicable ?? []);
  const violated = new Map<string, Counterexample>();
  let blocked = false; // a harness invariant was violated: the rest cannot be established
  let complete = true;
  let budgetExhausted = false;
  let interrupted = false;
  let executions = 0;
  let steps = 0;
  const tally = new GoalTally(findModel(o.scheme).goals, params);
  try {
    for (;;) {
      const active = all.filter((i) => !violated.has(i.name) && !notApplicable.has(i.name));
      view.setInvariants(active);
      const strategy = makeStrategy(strategyName, { preemptions, seed, executions: o.executions, depth: o.depth, memory });
      const left = deadline - performance.now();
      const onProgress = o.onProgress
        && ((p: { executions: number }) => o.onProgress!({ executions: executions + p.executions, seconds: (performance.now() - start) / 1000 }));
      const r = await explore(view, strategy, { budgetMs: Number.isFinite(left) ? Math.max(1, left) : undefined, onProgress, signal: o.signal, goals: tally });
      executions += r.executions;
      steps += r.steps;
      view.scan();
      if (r.interrupted) { interrupted = true; complete = false; break; }
      if (!r.violation) {
        complete = r.complete;
        budgetExhausted = r.budgetExhausted;
        break;
      }
      violated.set(r.violation.invariant, await counterexample(view, r.violation, { memory, strategy: strategyName, seed, implementation: { impl: o.impl, role, path: o.path } }));
      if (o.signal?.aborted) { interrupted = true; complete = false; break; }
      if (!all.some((i) => i.name === r.violation!.invariant)) { blocked = true; complete = false; break; }
      if (performance.now() >= deadline) { budgetExhausted = true; complete = false; break; }
    }
  } finally {
    await inner.close();
  }
  if (!interrupted && steps === 0) throw new UsageError(nothingExercised(o.scheme, params));
  const status = (name: string): InvariantStatus => {
    if (violated.has(name)) return 'violated';
    if (notApplicable.has(name)) return 'not-applicable';
    return blocked ? 'not-established' : 'holds';
  };
  const invariants: InvariantResult[] = [...all, ...HARNESS_INVARIANTS].map((i) => ({
    name: i.name, kind: i.kind, protects: i.protects, status: status(i.name), counterexample: violated.get(i.name),
  }));
  const advisories: AdvisoryResult[] = spec.advisories.filter((a) => view.seen.has(a.rule)).map((a) => ({ rule: a.rule, text: a.text, ...view.seen.get(a.rule)! }));
  return {
    impl: o.impl, kind: o.kind, role, scheme: o.scheme, params, strategy: strategyName, memory, preemptions, seed,
    verdict: violated.size ? 'violated' : 'passed', complete, budgetExhausted, interrupted, executions, steps,
    seconds: (performance.now() - start) / 1000, invariants, advisories, goals: tally.results(),
  };
}

/**
 * C or WebAssembly: the gated module serves the role's protocol steps in the model's own scenario,
 * on the inline engine (Asyncify makes each instance a generator), with a fresh instance per execution.
 */
async function openWasm(o: ValidateOptions, path: string): Promise<OpenedImpl> {
  const role = wasmRole(o.scheme, o.role);
  if (!role) throw new UsageError(`--impl ${o.impl}: a C or WebAssembly implementation can be the ${wasmRoleNames()} (docs/third-party.md)`);
  const def = findModel(o.scheme);
  const params = resolveParams(def, o.params ?? {});
  const code = loadGatedCode(path, `--impl ${o.impl}`);
  checkExports(code, role, `--impl ${o.impl}`);
  const memory = o.memory ?? 'sc';
  let inner: ImplEngine;
  if (o.engine === 'threads') {
    // The same instance in a worker of its own: C over real worker threads, each access a turnstile grant.
    const w = { scheme: o.scheme, role: o.role, impl: code.cached };
    announceWasmOnMainThread(w);
    inner = await createThreadsEngine({ model: o.scheme, variant: 'reference', params, module: wasmModelUrl(w) }, { memory, stepTimeoutMs: o.stepTimeoutMs ?? 2000, startupTimeoutMs: o.startupTimeoutMs ?? 30_000 });
  } else {
    inner = new InlineEngine(wasmInstance(def, role, () => code, params), memory);
  }
  return { inner, checks: { advisories: [] }, kind: 'wasm', params, bounds: def };
}

/**
 * An external process speaking virtio-msg on stdin/stdout, as the device or the driver of
 * transport-msg: one scripted exchange with the reference peer (a process cannot be rewound, so
 * there is no schedule to explore: the process sees the one order in which our peer talks to it).
 */
async function validateProcess(o: ValidateOptions, target: ImplTarget): Promise<ValidateReport> {
  if (o.scheme !== 'transport-msg' || (o.role !== 'device' && o.role !== 'driver')) {
    throw new UsageError(`an external command can be validated as the device or the driver of transport-msg (--role device|driver --scheme transport-msg); for --scheme ${o.scheme} --role ${o.role} give a JavaScript module (docs/third-party.md)`);
  }
  const role: Role = o.role;
  const argv = target.argv!;
  const def = findModel(o.scheme);
  const params = resolveParams(def, o.params ?? {});
  const start = performance.now();
  const session = { timeoutMs: o.stepTimeoutMs ?? 2000, queues: params.queues, maxMessageSize: busMaxMessageSize(params), memoryLimitMb: o.memoryLimitMb, signal: o.signal };
  const rules: readonly { name: string; kind: 'safety' | 'liveness'; protects: string }[] = role === 'driver' ? PROCESS_DRIVER_RULES : PROCESS_RULES;
  const r: ProcessSessionResult<string> = role === 'driver' ? await runProcessDriver(argv, session) : await runProcessDevice(argv, session);
  if (r.couldNotRun !== undefined) throw new UsageError(`--impl ${o.impl}: cannot run ${argv[0]}: ${r.couldNotRun}`);
  const invariants: InvariantResult[] = rules.map((rule) => {
    const violated = r.finding?.rule === rule.name;
    const status: InvariantStatus = violated ? 'violated' : (r.finding === undefined && !r.interrupted) || r.judged.includes(rule.name) ? 'holds' : 'not-established';
    return { name: rule.name, kind: rule.kind, protects: rule.protects, status, finding: violated ? { message: r.finding!.message, exchange: r.finding!.exchange } : undefined };
  });
  return {
    impl: o.impl, kind: 'process', role, scheme: o.scheme, params, strategy: 'scripted exchange', memory: 'sc', preemptions: 0, seed: 0,
    verdict: r.finding ? 'violated' : 'passed', complete: r.finding === undefined && !r.interrupted, budgetExhausted: false, interrupted: r.interrupted === true, executions: 1, steps: r.messages,
    seconds: (performance.now() - start) / 1000, invariants, advisories: [], goals: [],
  };
}

/** Shrinks the schedule on the same engine (third-party code only runs there) and replays it for the trace. */
async function counterexample(view: ValidationView, found: FoundViolation, p: { memory: MemoryModel; strategy: string; seed: number; implementation: Implementation }): Promise<Counterexample> {
  let final: FoundViolation = found;
  let stats: Record<string, number> = { execution: found.execution, steps: found.decisions.length };
  const failed = view.instance.actors.findIndex((_, a) => view.pendingKind(a) === FAILED);
  if (view.needsRecovery()) {
    await view.recover();
    // The step saw only a worker that stopped answering; recover() learnt whether it ended on its own, and why.
    const end = failed >= 0 ? view.workerEnd(failed) : undefined;
    if (end !== undefined && found.invariant === 'no-actor-error') final = { ...found, message: `${found.message}: ${end}` };
  }
  // On the threads engine a hang costs a timeout per run, and a crash a worker: shrink only what reruns cheaply.
  if (failed < 0 || view.kind === 'inline') {
    try {
      const shrunk = shrinkSchedule(view, found.decisions, found.invariant, { maxMs: 3000, maxRuns: 2000 });
      const names = view.instance.actors.map((a) => a.name);
      const r = await explore(view, new ReplayStrategy(shrunk.decisions.map((actor) => ({ actor })), names));
      if (r.violation?.invariant === found.invariant) {
        final = { ...r.violation, execution: found.execution };
        stats = { execution: found.execution, steps: shrunk.steps, preemptions: shrunk.preemptions, originalSteps: shrunk.original.steps, originalPreemptions: shrunk.original.preemptions, shrinkRuns: shrunk.runs };
      }
    } catch {
      // Not deterministic under replay (the implementation keeps state across executions): keep the original.
    }
    if (view.needsRecovery()) await view.recover();
  }
  return { ...makeCounterexample(view.instance, final, { engine: view.kind, memory: p.memory, strategy: p.strategy, seed: p.seed, stats }), implementation: p.implementation };
}

const STATUS_TEXT: Record<InvariantStatus, string> = {
  holds: 'holds',
  violated: 'VIOLATED',
  'not-applicable': 'not applicable',
  'not-established': 'not established',
};

export function renderValidateReport(r: ValidateReport): string {
  const lines: string[] = [];
  const scope = r.complete ? 'within the explored bound' : r.interrupted ? 'as far as it got before the signal (INTERRUPTED)' : r.budgetExhausted ? 'as far as the budget went (INCOMPLETE)' : 'INCOMPLETE';
  const verdict = r.verdict === 'violated' ? 'DOES NOT CONFORM' : r.interrupted ? 'INTERRUPTED, no violation so far' : 'CONFORMS';
  lines.push(`${r.impl} as the ${r.role} of ${r.scheme}: ${verdict}${r.verdict === 'passed' && !r.interrupted ? missedSuffix(r.goals) : ''}`);
  if (r.kind === 'process') {
    lines.push(`  one scripted exchange with the reference ${r.role === 'driver' ? 'device' : 'driver'}: ${r.steps} messages from the ${r.role}, ${r.seconds.toFixed(2)} s; "holds" means for this exchange${r.interrupted ? ' (INTERRUPTED: the process was ended)' : ''}`);
  } else {
    const how = r.strategy === 'dfs' ? `dfs, preemption bound ${r.preemptions}` : r.strategy;
    lines.push(`  ${how}, memory ${r.memory}: ${r.executions} executions, ${r.steps} steps, ${r.seconds.toFixed(2)} s; "holds" means ${scope}`);
  }
  if (r.params.maxMessageSize !== undefined) lines.push(`  ${limitStatement(r.params.maxMessageSize)}`);
  lines.push('', 'invariants:');
  const w = Math.max(...r.invariants.map((i) => i.name.length));
  for (const i of r.invariants) lines.push(`  ${i.name.padEnd(w)}  ${STATUS_TEXT[i.status]}`);
  if (r.goals.length) lines.push('', 'coverage goals:', ...goalLines(r.goals, r.executions));
  if (r.advisories.length) {
    lines.push('', 'advisories (SHOULD rules; not violations):');
    for (const a of r.advisories) lines.push(wrap(`${a.rule}: ${a.text} Seen in ${a.executions} execution(s); first: ${a.first}`, '  '));
  }
  // A sans-IO object (the message schemes' roles) makes no memory accesses: tso would change nothing.
  if (r.kind === 'js' && r.memory === 'sc' && !roleSpec(r.scheme, r.role).program) lines.push('', wrap('note: explored under sequential consistency; run with --memory tso to check the barriers too.', ''));
  for (const i of r.invariants) {
    if (i.finding) lines.push('', `VIOLATED ${i.name}:`, wrap(i.finding.message), '', 'messages exchanged (-> to the device, <- from it):', ...i.finding.exchange.map((l) => `  ${l}`));
    const c = i.counterexample;
    if (!c) continue;
    lines.push('', `VIOLATED ${i.name}:`, wrap(c.message), '', renderTrace(c.trace));
    const st = c.stats;
    if (st?.originalSteps !== undefined) lines.push(`shrunk from ${st.originalSteps} to ${st.steps} steps (${st.shrinkRuns} runs)`);
  }
  return lines.join('\n');
}

export function validateJson(r: ValidateReport) {
  return {
    ...r,
    ...(r.params.maxMessageSize !== undefined ? { maxMessageSize: r.params.maxMessageSize, busLimit: limitStatement(r.params.maxMessageSize) } : {}),
    goalsMissed: missedGoals(r.goals),
    invariants: r.invariants.map((i) => ({
      name: i.name, kind: i.kind, status: i.status, protects: i.protects,
      ...(i.finding ? { message: i.finding.message, exchange: i.finding.exchange } : {}),
      ...(i.counterexample ? { message: i.counterexample.message, schedule: i.counterexample.schedule, trace: i.counterexample.trace, shrink: i.counterexample.stats } : {}),
    })),
  };
}

/**
 * Writes each counterexample (schedules only: a process's finding is an exchange) under
 * <out>/reports/counterexamples as validate.<scheme>.<role>.<invariant>[.tso][.tag].json; the file
 * names the implementation, so `replay` runs it again. The nightly adds a tag when two of its jobs
 * would otherwise write the same name.
 */
export function saveFindings(r: ValidateReport, outDir: string, tag?: string): { invariant: string; file: string }[] {
  const out: { invariant: string; file: string }[] = [];
  for (const i of r.invariants) {
    if (!i.counterexample) continue;
    const file = join(outDir, 'reports', 'counterexamples', `validate.${r.scheme}.${r.role}.${i.name}${r.memory === 'sc' ? '' : `.${r.memory}`}${tag ? `.${tag}` : ''}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(i.counterexample, null, 1)}\n`);
    out.push({ invariant: i.name, file });
  }
  return out;
}

/** The values `validate` reads from the command line (harness/cli.ts parses them). */
export interface ValidateArgs {
  readonly impl?: string;
  readonly role?: string;
  readonly scheme?: string;
  readonly engine?: string;
  readonly strategy?: string;
  readonly memory?: string;
  readonly preemptions?: string;
  readonly budget?: string;
  readonly seed?: string;
  readonly executions?: string;
  readonly depth?: string;
  readonly param?: readonly string[];
  readonly json?: boolean;
  readonly 'require-complete'?: boolean;
  readonly 'require-coverage'?: boolean;
  readonly 'step-timeout'?: string;
  readonly 'memory-limit'?: string;
  readonly out?: string;
  readonly sarif?: string;
}

/** `virtio-verify validate ...`; exit codes as for check (0 conforms, 1 violation, 2 bad input, 3 incomplete with --require-complete or a coverage goal missed with --require-coverage). */
export async function validateCommand(args: readonly string[], values: ValidateArgs, out: (s: string) => void, ctx: { signal?: AbortSignal; stderr?: Stream } = {}): Promise<number> {
  if (args.length) throw new UsageError('validate takes no positional arguments (use --impl, --role, --scheme)');
  const need = (v: string | undefined, name: string) => { if (v === undefined) throw new UsageError(`validate needs --${name}`); return v; };
  const status = new StatusLine(ctx.stderr ?? process.stderr);
  const report = await validate({
    signal: ctx.signal,
    onProgress: (p) => status.show(`validate ${values.impl} as the ${values.role} of ${values.scheme}: ${rateText(p.executions, p.seconds)}`),
    engine: parseChoice(values.engine, 'engine', ENGINE_KINDS),
    impl: need(values.impl, 'impl'),
    role: parseChoice(need(values.role, 'role'), 'role', ['driver', 'device'] as const)!,
    scheme: need(values.scheme, 'scheme'),
    params: parseParams(values.param),
    strategy: parseChoice(values.strategy, 'strategy', STRATEGY_NAMES),
    memory: parseChoice(values.memory, 'memory model', ['sc', 'tso', 'weak'] as const),
    preemptions: parseInteger(values.preemptions, '--preemptions'),
    budgetMs: values.budget === undefined ? undefined : parseDuration(values.budget, '--budget'),
    seed: parseInteger(values.seed, '--seed'),
    executions: parseInteger(values.executions, '--executions', 1) ?? ((values.strategy === 'random' || values.strategy === 'pct') && values.budget === undefined ? 1000 : undefined),
    depth: parseInteger(values.depth, '--depth', 1),
    stepTimeoutMs: values['step-timeout'] === undefined ? undefined : parseDuration(values['step-timeout'], '--step-timeout'),
    memoryLimitMb: parseInteger(values['memory-limit'], '--memory-limit', 16),
  });
  status.clear();
  const files = saveFindings(report, values.out ?? '.');
  if (values.sarif) writeSarif(values.sarif, validateFindings(report, files), `virtio-verify validate --impl ${values.impl} --role ${values.role} --scheme ${values.scheme}`);
  out(values.json ? JSON.stringify({ ...validateJson(report), files }, null, 1) : renderValidateReport(report));
  if (!values.json && files.length) {
    out('');
    for (const f of files) out(`counterexample of ${f.invariant}: ${f.file}\n  replay: npx virtio-verify replay ${f.file}`);
  }
  if (report.verdict === 'violated') return 1;
  if (report.interrupted) return INTERRUPTED_EXIT;
  if (values['require-coverage'] && missedGoals(report.goals).length) return 3;
  return values['require-complete'] && !report.complete ? 3 : 0;
}

/** Each violated invariant as a SARIF result: its counterexample, or a command's message exchange. */
function validateFindings(r: ValidateReport, files: readonly { invariant: string; file: string }[]): Finding[] {
  return r.invariants.flatMap((i) => {
    if (i.counterexample) return [counterexampleFinding(i.counterexample, { expected: false, protects: i.protects, file: files.find((f) => f.invariant === i.name)?.file })];
    if (i.finding) return [exchangeFinding({ impl: r.impl, role: r.role, scheme: r.scheme, rule: i.name, protects: i.protects, message: i.finding.message, exchange: i.finding.exchange })];
    return [];
  });
}
