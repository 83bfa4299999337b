/**
 * SARIF 2.1.0 for code scanning (GitHub's github/codeql-action/upload-sarif): each violation is a
 * result whose rule is the invariant, located in the model's variant (or the implementation file
 * that was validated), with the counterexample as a code flow of one thread flow per actor, the
 * steps numbered in the order they ran. Within GitHub's limits: at most 10,000 thread flow
 * locations per result (a longer trace keeps its last steps, where the violation is, and says what
 * it left out), 25,000 results per run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Counterexample, NamedEntry } from './counterexample.ts';
import { counterexamplesOf, jobTitle } from './nightly-common.ts';
import type { NightlyReport } from './nightly-types.ts';
import { fmtValue } from './text.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** GitHub code scanning's limits. */
export const MAX_FLOW_STEPS = 10_000;
export const MAX_RESULTS = 25_000;

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

export interface Place {
  /** Absolute path of the file. */
  readonly file: string;
  readonly line?: number;
}

export interface FlowStep {
  /** Position in the whole counterexample (all actors), from 1. */
  readonly order: number;
  readonly text: string;
}

export interface Flow {
  readonly actor: string;
  readonly place: Place;
  readonly steps: readonly FlowStep[];
  /** Steps left out to stay within MAX_FLOW_STEPS (the earliest ones). */
  readonly omitted?: number;
}

export interface Finding {
  /** The rule: "<model>/<invariant>". */
  readonly ruleId: string;
  readonly invariant: string;
  /** What the invariant protects (the rule's description). */
  readonly protects?: string;
  readonly level: 'error' | 'warning' | 'note';
  readonly message: string;
  readonly place: Place;
  readonly related?: readonly (Place & { readonly message: string })[];
  readonly flows: readonly Flow[];
  /** What makes it the same alert from one run to the next. */
  readonly identity: string;
  readonly properties?: Readonly<Record<string, unknown>>;
}

// Places ------------------------------------------------------------------------------------------

/** The line of `name: '<name>'` in a model file, if the file is there and has it. */
function lineOf(file: string, name: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(`name: '${name}'`) || l.includes(`name: "${name}"`));
  return at < 0 ? undefined : at + 1;
}

/** Where a model's variant is defined (models/<model>/variants.ts), else the model's index.ts. */
export function variantPlace(model: string, variant: string): Place {
  const variants = resolve(MODELS, model, 'variants.ts');
  const line = lineOf(variants, variant);
  return line !== undefined ? { file: variants, line } : { file: resolve(MODELS, model, 'index.ts'), line: 1 };
}

/** Where an invariant is defined (models/<model>/invariants.ts), if it is there. */
export function invariantPlace(model: string, invariant: string): Place | undefined {
  const file = resolve(MODELS, model, 'invariants.ts');
  const line = lineOf(file, invariant);
  return line === undefined ? undefined : { file, line };
}

/** The file of an actor of a model (models/<model>/<actor>.ts), else `fallback`. */
export function actorPlace(model: string, actor: string, fallback: Place): Place {
  const file = resolve(MODELS, model, `${actor}.ts`);
  return existsSync(file) ? { file, line: 1 } : fallback;
}

// Counterexamples as flows ------------------------------------------------------------------------

export function entryText(e: NamedEntry): string {
  if (e.op === 'note') return `${e.actor} (${e.target ?? 'note'}) ${e.text ?? (e.data ?? []).map(fmtValue).join(' ')}`.trimEnd();
  const value = e.value === undefined ? '' : ` = ${fmtValue(e.value)}`;
  return `step ${e.step}: ${e.actor} ${e.op}${e.target ? ` ${e.target}` : ''}${value}`;
}

/**
 * One flow per actor, in the order the actors first appear; the trace is cut to its last
 * MAX_FLOW_STEPS entries.
 */
export function flowsOf(trace: readonly NamedEntry[], placeOf: (actor: string) => Place): Flow[] {
  const start = Math.max(0, trace.length - MAX_FLOW_STEPS);
  const byActor = new Map<string, FlowStep[]>();
  const omitted = new Map<string, number>();
  trace.forEach((e, i) => {
    if (i < start) { omitted.set(e.actor, (omitted.get(e.actor) ?? 0) + 1); return; }
    if (!byActor.has(e.actor)) byActor.set(e.actor, []);
    byActor.get(e.actor)!.push({ order: i + 1, text: entryText(e) });
  });
  for (const actor of omitted.keys()) if (!byActor.has(actor)) byActor.set(actor, []);
  return [...byActor].map(([actor, steps]) => ({ actor, place: placeOf(actor), steps, omitted: omitted.get(actor) }));
}

/** A violation of a check or a replay: located in the variant, actors in their model files. */
export function counterexampleFinding(c: Counterexample, o: { expected: boolean; protects?: string; file?: string; extra?: string }): Finding {
  const implementation = c.implementation;
  const implFile = implementation ? implementationFile(implementation.path ?? implementation.impl) : undefined;
  const place = implFile ? { file: implFile, line: 1 } : variantPlace(c.model, c.variant);
  const invariant = invariantPlace(c.model, c.invariant);
  const who = implementation ? `${implementation.impl} as the ${implementation.role} of ${c.model}` : `${c.model}/${c.variant}`;
  const memory = c.memory === 'sc' ? '' : ` under ${c.memory}`;
  return {
    ruleId: `${c.model}/${c.invariant}`,
    invariant: c.invariant,
    protects: o.protects,
    level: o.expected ? 'note' : 'error',
    message: `${who} violates ${c.invariant}${memory}${o.expected ? ' (as this variant is expected to)' : ''}: ${c.message}${o.file ? ` Replay: npx virtio-verify replay ${o.file}` : ''}${o.extra ? ` ${o.extra}` : ''}`,
    place,
    related: invariant ? [{ ...invariant, message: `the invariant ${c.invariant}` }] : [],
    flows: flowsOf(c.trace, (actor) => (implFile && actor === implementation!.role ? { file: implFile, line: 1 } : actorPlace(c.model, actor, place))),
    identity: JSON.stringify([c.model, c.variant, c.invariant, c.memory, c.params, implementation?.impl ?? null]),
    properties: { model: c.model, variant: c.variant, memory: c.memory, engine: c.engine, params: c.params, ...(o.file ? { counterexample: o.file } : {}) },
  };
}

/**
 * An external process's finding: the messages exchanged, one flow for what the driver sent and one
 * for what the device sent ("-> " lines go to the device, "<- " lines come from it).
 */
export function exchangeFinding(o: { impl: string; role: string; scheme: string; rule: string; protects?: string; message: string; exchange: readonly string[] }): Finding {
  const file = implementationFile(o.impl);
  const place: Place = file ? { file, line: 1 } : variantPlace(o.scheme, 'reference');
  const ours = actorPlace(o.scheme, o.role === 'device' ? 'driver' : 'device', variantPlace(o.scheme, 'reference'));
  const steps = o.exchange.slice(-MAX_FLOW_STEPS);
  const sender = (l: string) => (l.startsWith('->') ? 'driver' : 'device');
  const flows = ['driver', 'device'].map((actor) => ({
    actor,
    place: actor === o.role ? place : ours,
    steps: steps.map((text, i) => ({ order: i + 1, text })).filter((s) => sender(s.text) === actor),
    omitted: o.exchange.length - steps.length || undefined,
  }));
  return {
    ruleId: `${o.scheme}/${o.rule}`, invariant: o.rule, protects: o.protects, level: 'error',
    message: `${o.impl} as the ${o.role} of ${o.scheme} violates ${o.rule}: ${o.message}`,
    place, flows, identity: JSON.stringify([o.scheme, o.role, o.impl, o.rule]),
    properties: { scheme: o.scheme, role: o.role, impl: o.impl },
  };
}

/** The file an implementation names: the path itself, or a command's last word that is a file. */
function implementationFile(impl: string): string | undefined {
  const whole = resolve(impl.trim());
  if (existsSync(whole)) return whole;
  const words = impl.trim().split(/\s+/).reverse();
  for (const w of words) if (/[./]/.test(w) && existsSync(resolve(w))) return resolve(w);
  return undefined;
}

// The nightly ---------------------------------------------------------------------------------------

/**
 * The nightly's problems: checks and replays not as expected, validations that do not conform,
 * fuzz findings. Mutants caught as expected are not alerts.
 */
export function nightlyFindings(r: NightlyReport): Finding[] {
  const out: Finding[] = [];
  for (const x of r.results) {
    if (x.status !== 'failed') continue;
    const j = x.job;
    if (j.kind === 'fuzz') {
      for (const f of x.findings ?? []) {
        const scheme = j.target.replace(/-(device|driver)$/, '');
        const place = variantPlace(scheme, 'reference');
        out.push({
          ruleId: `fuzz/${j.target}/${f.oracle}`, invariant: f.oracle, level: 'error',
          message: `fuzzing ${j.target}/${j.variant}: ${f.oracle} at ${f.location}: ${f.message}${f.showCommand ? ` Show: ${f.showCommand}` : ''}`,
          place, flows: [{ actor: 'stream', place, steps: (f.stream ?? []).slice(-MAX_FLOW_STEPS).map((text, i) => ({ order: i + 1, text })) }],
          identity: JSON.stringify(['fuzz', j.target, j.variant, f.oracle, f.location]),
          properties: { target: j.target, variant: j.variant, ...(f.file ? { stream: f.file } : {}) },
        });
      }
      continue;
    }
    const shown = counterexamplesOf(x);
    for (const s of shown) {
      out.push(counterexampleFinding(s.counterexample, { expected: false, file: s.file, extra: x.failure ? `(${jobTitle(j)}: ${x.failure.message})` : undefined }));
    }
    if (j.kind === 'validate') {
      for (const i of x.invariants ?? []) {
        if (i.finding) out.push(exchangeFinding({ impl: j.resolved, role: j.role, scheme: j.scheme, rule: i.name, message: i.finding.message, exchange: i.finding.exchange }));
      }
    }
    if (shown.length === 0 && j.kind === 'check' && x.failure) {
      // A mutant that was not caught: no counterexample, the checker lost power.
      const place = variantPlace(j.model, j.variant);
      out.push({
        ruleId: `${j.model}/${x.failure.type}`, invariant: x.failure.type, level: 'error', message: `${jobTitle(j)}: ${x.failure.message}`,
        place, flows: [], identity: JSON.stringify([j.model, j.variant, j.memory, j.params, x.failure.type]),
        properties: { model: j.model, variant: j.variant, memory: j.memory, rerun: x.rerunCommand },
      });
    }
  }
  return out;
}

// The log -----------------------------------------------------------------------------------------

function uriOf(file: string, root: string): { uri: string; uriBaseId?: string } {
  const rel = relative(root, file);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return { uri: rel.split('\\').join('/'), uriBaseId: '%SRCROOT%' };
  return { uri: pathToFileURL(file).href };
}

function location(p: Place, root: string, message?: string) {
  return {
    physicalLocation: { artifactLocation: uriOf(p.file, root), ...(p.line ? { region: { startLine: p.line } } : {}) },
    ...(message ? { message: { text: message } } : {}),
  };
}

/** The SARIF log of one run of the tool; paths relative to `root` (the repository checked out). */
export function sarifLog(findings: readonly Finding[], o: { root: string; version: string; command: string }) {
  const kept = findings.slice(0, MAX_RESULTS);
  const rules = [...new Map(kept.map((f) => [f.ruleId, f])).values()].map((f) => ({
    id: f.ruleId,
    name: f.invariant,
    shortDescription: { text: f.protects ?? `the invariant ${f.invariant}` },
    ...(f.protects ? { fullDescription: { text: f.protects } } : {}),
    defaultConfiguration: { level: 'error' as const },
  }));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0' as const,
    runs: [{
      tool: { driver: { name: 'virtio-verify', version: o.version, rules } },
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(o.root.endsWith('/') ? o.root : `${o.root}/`).href } },
      invocations: [{ executionSuccessful: true, commandLine: o.command }],
      results: kept.map((f) => ({
        ruleId: f.ruleId,
        ruleIndex: ruleIndex.get(f.ruleId),
        level: f.level,
        message: { text: f.message },
        locations: [location(f.place, o.root)],
        ...(f.related?.length ? { relatedLocations: f.related.map((r, i) => ({ id: i + 1, ...location(r, o.root, r.message) })) } : {}),
        partialFingerprints: { 'virtioVerify/v1': createHash('sha256').update(f.identity).digest('hex').slice(0, 32) },
        ...(f.flows.some((fl) => fl.steps.length) ? {
          codeFlows: [{
            message: { text: `the counterexample, one thread flow per actor; executionOrder is the step's place in the whole schedule` },
            threadFlows: f.flows.filter((fl) => fl.steps.length).map((fl) => ({
              id: fl.actor,
              message: { text: `${fl.actor}${fl.omitted ? ` (its first ${fl.omitted} steps left out: GitHub takes at most ${MAX_FLOW_STEPS} per result)` : ''}` },
              locations: fl.steps.map((s) => ({ location: location(fl.place, o.root, s.text), executionOrder: s.order, nestingLevel: 0 })),
            })),
          }],
        } : {}),
        ...(f.properties ? { properties: f.properties } : {}),
      })),
      ...(findings.length > kept.length ? { properties: { resultsLeftOut: findings.length - kept.length } } : {}),
    }],
  };
}

/** The version in package.json. */
export function toolVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Writes the log for `findings`, paths relative to `root` (default: the working directory). */
export function writeSarif(path: string, findings: readonly Finding[], command: string, root: string = process.cwd()): string {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, `${JSON.stringify(sarifLog(findings, { root, version: toolVersion(), command }), null, 1)}\n`);
  return path;
}
