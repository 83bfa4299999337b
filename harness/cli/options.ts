/**
 * Every command's options as one declarative table: what each takes (the accepted form, said the
 * same way in errors and in --help), its default, and when it applies. The command line is checked
 * against the table before anything runs: an option the command does not take, a value of the
 * wrong form, or an option that does not apply to the chosen strategy, engine or implementation is
 * one line on stderr naming the option and what it accepts (exit 2), never ignored.
 *
 * To add an option: add an OptionSpec (with `check` for its form and `when` for where it applies)
 * to the command's list. harness/cli/help.ts renders --help from the same table.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { classifyImpl, type ImplKind } from '../adapters/impl-kind.ts';
import { integerForm, parseDuration, parseInteger, parseParams, parseShard } from '../cli-args.ts';
import { UsageError, type MemoryModel } from '../core/model.ts';
import { STRATEGY_NAMES } from '../explore/strategies.ts';

export type Values = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface OptionSpec {
  readonly name: string;
  readonly kind: 'string' | 'boolean' | 'list';
  /** Placeholder of the value in --help: "T", "N", "DIR". */
  readonly value?: string;
  /** What the value may be, as errors and --help say it: "a duration such as 500ms, 30s or 10m". */
  readonly accepts?: string;
  readonly help: string;
  readonly default?: string;
  /** Checks the value's form; throws a UsageError naming the option. */
  readonly check?: (text: string, option: string) => void;
  /** Why the option does not apply to the rest of the command line, or undefined when it does. */
  readonly when?: (v: Values, c: Context) => string | undefined;
}

export interface CommandSpec {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  readonly examples: readonly string[];
  readonly exits: readonly string[];
  /** A longer document to read. */
  readonly docs?: string;
}

/** What `when` may look at beyond the values: the positionals, and what --impl names. */
export interface Context {
  readonly positionals: readonly string[];
  readonly impl?: ImplKind;
}

// Forms -------------------------------------------------------------------------------------------

const DURATION = 'a duration such as 500ms, 30s or 10m';
const duration = (text: string, option: string) => { parseDuration(text, option); };
const integer = (min: number, max?: number) => (text: string, option: string) => { parseInteger(text, option, min, max); };
const choice = (choices: readonly string[]) => (text: string, option: string) => {
  if (!choices.includes(text)) throw new UsageError(`${option} takes one of ${choices.join(', ')}, not "${text}"`);
};

/** A folder to write into: it may not exist yet, but nothing on its way may be a file. */
function writableDir(text: string, option: string): void {
  if (text.trim() === '') throw new UsageError(`${option} takes a folder, not an empty string`);
  let p = resolve(text);
  for (;;) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory()) throw new UsageError(`${option} takes a folder, but ${p === resolve(text) ? text : p} is a file`);
      return;
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}

/** A file to write: not a folder, and its folder creatable. */
function writableFile(text: string, option: string): void {
  if (text.trim() === '' || text.endsWith('/')) throw new UsageError(`${option} takes a file to write, not "${text}"`);
  const p = resolve(text);
  if (existsSync(p) && statSync(p).isDirectory()) throw new UsageError(`${option} takes a file to write, but ${text} is a folder`);
  writableDir(dirname(p), `${option}'s folder`);
}

function readableFile(text: string, option: string): void {
  const p = resolve(text);
  if (!existsSync(p)) throw new UsageError(`${option} takes an existing file, but there is no ${text}`);
  if (!statSync(p).isFile()) throw new UsageError(`${option} takes a file, but ${text} is a folder`);
}

function existingDirIfThere(text: string, option: string): void {
  if (text.trim() === '') throw new UsageError(`${option} takes a folder, not an empty string`);
  const p = resolve(text);
  if (existsSync(p) && !statSync(p).isDirectory()) throw new UsageError(`${option} takes a folder, but ${text} is a file`);
}

/** Memory models the command line knows (TypeScript insists that every MemoryModel is listed). */
const MEMORY_NAMES = ['sc', 'tso', 'weak'] as const;
const IMPLEMENTED: Readonly<Record<MemoryModel, true>> = { sc: true, tso: true, weak: true };
function memory(text: string, option: string): void {
  choice(MEMORY_NAMES)(text, option);
  if (!(text in IMPLEMENTED)) throw new UsageError(`${option} ${text} is not available yet (available: ${Object.keys(IMPLEMENTED).join(', ')})`);
}

// Where options apply -----------------------------------------------------------------------------

const str = (v: Values, k: string) => (typeof v[k] === 'string' ? v[k] as string : undefined);
const strategyOf = (v: Values) => str(v, 'strategy') ?? 'dfs';
const onlyFor = (strategies: readonly string[], what: string) => (v: Values, c: Context) => {
  if (c.impl === 'process') return `an external command is judged on one scripted exchange: ${what} does not apply`;
  return strategies.includes(strategyOf(v)) ? undefined : `${what} does not apply to --strategy ${strategyOf(v)} (only to ${strategies.join(' and ')})`;
};
const notForCommand = (what: string) => (_: Values, c: Context) => (c.impl === 'process' ? `an external command is judged on one scripted exchange: ${what} does not apply` : undefined);

// Options -----------------------------------------------------------------------------------------

const JSON_OPTION: OptionSpec = { name: 'json', kind: 'boolean', help: 'print one JSON document on stdout' };
const REQUIRE_COMPLETE: OptionSpec = { name: 'require-complete', kind: 'boolean', help: 'exit 3 when the bounded space was not covered completely' };
const REQUIRE_COVERAGE: OptionSpec = {
  name: 'require-coverage', kind: 'boolean',
  help: "exit 3 when a pass missed one of the model's coverage goals (a situation such as the 16-bit index wrap that no execution reached; see list)",
};
const SARIF: OptionSpec = {
  name: 'sarif', kind: 'string', value: 'FILE', accepts: 'a file to write', check: writableFile,
  help: 'also write the violations as SARIF 2.1.0 (GitHub code scanning: github/codeql-action/upload-sarif)',
};
const PARAM: OptionSpec = {
  name: 'param', kind: 'list', value: 'k=v', accepts: 'name=integer, such as updates=4', help: 'model parameter (see list)',
  check: (text) => { parseParams([text]); },
};
const STRATEGY: OptionSpec = {
  name: 'strategy', kind: 'string', value: 'S', accepts: `one of ${STRATEGY_NAMES.join(', ')}`, default: 'dfs', check: choice(STRATEGY_NAMES),
  help: 'dfs: every schedule of the bound, fewest preemptions first; random: seeded random walks; pct: probabilistic concurrency testing',
  when: notForCommand('--strategy'),
};
const MEMORY: OptionSpec = {
  name: 'memory', kind: 'string', value: 'M', accepts: `one of ${MEMORY_NAMES.join(', ')}`, default: 'sc', check: memory,
  help: 'memory model: sc (sequential consistency), tso (x86-like store buffers: finds a missing virtio_mb), weak (Arm-like: stores and loads reorder unless virtio_wmb, virtio_rmb or virtio_mb orders them: finds a missing wmb or rmb too)',
  when: (v, c) => (c.impl === 'process' && str(v, 'memory') !== 'sc' ? 'an external command shares no memory with us: --memory does not apply' : undefined),
};
const PREEMPTIONS: OptionSpec = {
  name: 'preemptions', kind: 'string', value: 'N', accepts: integerForm(0), default: "the model's", check: integer(0),
  help: 'preemption bound of dfs (under tso and weak: preemptions plus delayed stores and stale loads)', when: onlyFor(['dfs'], '--preemptions'),
};
const BUDGET: OptionSpec = {
  name: 'budget', kind: 'string', value: 'T', accepts: DURATION, default: 'none', check: duration,
  help: 'stop after T; the report then says incomplete', when: notForCommand('--budget'),
};
const SEED: OptionSpec = {
  name: 'seed', kind: 'string', value: 'N', accepts: integerForm(0), default: '1', check: integer(0),
  help: 'seed of random and pct', when: onlyFor(['random', 'pct'], '--seed'),
};
const EXECUTIONS: OptionSpec = {
  name: 'executions', kind: 'string', value: 'N', accepts: integerForm(1), default: 'until the budget, or 1000', check: integer(1),
  help: 'executions of random and pct', when: onlyFor(['random', 'pct'], '--executions'),
};
const DEPTH: OptionSpec = {
  name: 'depth', kind: 'string', value: 'D', accepts: integerForm(1), default: '3', check: integer(1),
  help: 'bug depth of pct; the per-run probability bound is printed', when: onlyFor(['pct'], '--depth'),
};
const ENGINE: OptionSpec = {
  name: 'engine', kind: 'string', value: 'E', accepts: 'one of inline, threads', default: 'inline', check: choice(['inline', 'threads']),
  help: 'inline: coroutines on one thread (fastest); threads: each actor in its own worker thread',
};
const SHARD: OptionSpec = {
  name: 'shard', kind: 'string', value: 'i/n', accepts: 'i/n such as 1/4 (shard i of n, from 1)', check: (t) => { parseShard(t); },
  help: 'explore only shard i of n (deterministic split; merge the --json results with merge)',
};
const OUT: OptionSpec = {
  name: 'out', kind: 'string', value: 'DIR', accepts: 'a folder', default: 'the current directory', check: writableDir,
  help: 'where reports/ goes',
};

const CHECK: CommandSpec = {
  name: 'check',
  synopsis: 'check <model> [options] | check <model> --all-variants | check --all',
  summary: 'Explore one variant of a model (default: its reference), every variant of a model, or every variant of every model, against the expected verdicts.',
  options: [
    { name: 'variant', kind: 'string', value: 'V', accepts: 'a variant of the model (see list)', default: 'reference', help: 'the variant to check',
      when: (v) => (v.all || v['all-variants'] ? '--variant cannot be combined with --all or --all-variants' : undefined) },
    { name: 'all', kind: 'boolean', help: 'every variant of every model (the main job); prints the verdict matrix',
      when: (v, c) => (c.positionals.length ? 'check --all takes no model name' : v['all-variants'] ? '--all and --all-variants cannot be combined' : undefined) },
    { name: 'all-variants', kind: 'boolean', help: 'every variant of the model, against its expected verdict' },
    { ...ENGINE, help: `${ENGINE.help}; the same schedule gives the same trace on both` },
    STRATEGY,
    MEMORY,
    PREEMPTIONS,
    { name: 'no-reduction', kind: 'boolean', help: 'dfs without partial-order reduction (always so under tso and weak, and the default for models where it does not pay)',
      when: (v) => (strategyOf(v) !== 'dfs' ? `--no-reduction does not apply to --strategy ${strategyOf(v)} (only to dfs)`
        : v.reduction ? '--reduction and --no-reduction cannot be combined' : undefined) },
    { name: 'reduction', kind: 'boolean', help: 'dfs with partial-order reduction even where the model says it does not pay (sc only)',
      when: (v) => (strategyOf(v) !== 'dfs' ? `--reduction does not apply to --strategy ${strategyOf(v)} (only to dfs)`
        : str(v, 'memory') === 'tso' ? '--reduction is not offered under --memory tso: bounded, the reduced tso search misses outcomes the plain one reaches, and it runs more executions (the plain tso search is the default)'
        : str(v, 'memory') === 'weak' ? '--reduction is not offered under --memory weak: its stores wait as under tso, where the bounded reduced search misses outcomes the plain one reaches (the plain weak search is the default)'
        : v['state-hashing'] ? '--reduction cannot be combined with --state-hashing (sleep sets and state caching do not mix soundly)'
          : v.shard ? '--reduction cannot be combined with --shard (a sharded search is the plain one)' : undefined) },
    { name: 'state-hashing', kind: 'boolean', help: 'dfs prunes states it has seen and reports the distinct states', when: onlyFor(['dfs'], '--state-hashing') },
    SHARD,
    { name: 'workers', kind: 'string', value: 'N', accepts: integerForm(1, 64), default: '1', check: integer(1, 64),
      help: 'split the search over N processes on this machine and merge their results',
      when: (v) => (Number(str(v, 'workers')) > 1 && (v.all || v['all-variants'] || v.shard) ? '--workers splits one check; it cannot be combined with --all, --all-variants or --shard'
        : Number(str(v, 'workers')) > 1 && v.reduction ? '--workers splits the plain search; it cannot be combined with --reduction' : undefined) },
    BUDGET,
    SEED,
    EXECUTIONS,
    DEPTH,
    PARAM,
    REQUIRE_COMPLETE,
    REQUIRE_COVERAGE,
    OUT,
    { name: 'save-corpus', kind: 'string', value: 'DIR', accepts: 'a folder', check: writableDir,
      help: 'also add each counterexample to this corpus folder: a new file, or none when a file there holds the same schedule; never a changed one' },
    SARIF,
    JSON_OPTION,
  ],
  examples: [
    'npx virtio-verify check config-gencount',
    'npx virtio-verify check config-gencount --variant no-odd-check --memory tso',
    'npx virtio-verify check --all --sarif reports/check.sarif',
  ],
  exits: ['0 no violation (--all: every variant as expected)', '1 a violation (--all: a variant not as expected)', '2 bad usage or input', '3 interrupted, incomplete under --require-complete, or a coverage goal missed under --require-coverage'],
};

const IMPL_FORM = 'a module (.mjs, .js, .ts), C (.c), WebAssembly (.wasm), or "COMMAND ARGS" speaking virtio-msg on stdin/stdout';

const VALIDATE: CommandSpec = {
  name: 'validate',
  synopsis: 'validate --impl FILE|"COMMAND ARGS" --role driver|device --scheme MODEL [options]',
  summary: 'Run your driver or device in place of ours under the exploration and invariants of a scheme: a conformance report.',
  docs: 'docs/third-party.md',
  options: [
    { name: 'impl', kind: 'string', value: 'FILE', accepts: IMPL_FORM, help: `the implementation: ${IMPL_FORM}`, check: (t) => { classifyImpl(t); } },
    { name: 'role', kind: 'string', value: 'R', accepts: 'one of driver, device', check: choice(['driver', 'device']), help: 'the role it plays' },
    { name: 'scheme', kind: 'string', value: 'M', accepts: 'a model (see list)', help: 'the model whose role it plays' },
    { ...ENGINE, default: 'inline for C and WebAssembly; threads for modules',
      help: 'threads: the implementation in its own worker thread; inline: C and WebAssembly through Asyncify',
      when: (v, c) => (c.impl === 'process' ? 'an external command runs as a process: --engine does not apply'
        : c.impl === 'js' && str(v, 'engine') === 'inline' ? 'a JavaScript module cannot yield at each access: it runs on --engine threads only' : undefined) },
    STRATEGY,
    MEMORY,
    PREEMPTIONS,
    BUDGET,
    SEED,
    EXECUTIONS,
    DEPTH,
    PARAM,
    { name: 'step-timeout', kind: 'string', value: 'T', accepts: DURATION, default: '2s', check: duration,
      help: 'how long one operation (or one answer of a command) may take before it counts as hung',
      when: (v, c) => (c.impl === 'wasm' && str(v, 'engine') !== 'threads' ? '--step-timeout applies to modules, commands and --engine threads: C on the inline engine cannot hang a step' : undefined) },
    { name: 'memory-limit', kind: 'string', value: 'MB', accepts: integerForm(16, 1 << 20), check: integer(16, 1 << 20),
      help: "memory limit in MiB: the heap of a module's worker, the address space of a command",
      when: (_, c) => (c.impl === 'wasm' ? '--memory-limit applies to modules and commands (a WebAssembly memory is bounded by its module)' : undefined) },
    REQUIRE_COMPLETE,
    REQUIRE_COVERAGE,
    { ...OUT, help: 'where reports/counterexamples goes' },
    SARIF,
    JSON_OPTION,
  ],
  examples: [
    'npx virtio-verify validate --impl examples/js/gencount-driver-good.mjs --role driver --scheme config-gencount',
    'npx virtio-verify validate --impl examples/c/split-device-good.c --role device --scheme vring-split --memory tso',
    'npx virtio-verify validate --impl "python3 examples/python/virtio_msg_device.py" --role device --scheme transport-msg',
  ],
  exits: ['0 conforms', '1 a violation', '2 bad usage or input', '3 interrupted, incomplete under --require-complete, or a coverage goal missed under --require-coverage'],
};

const NIGHTLY: CommandSpec = {
  name: 'nightly',
  synopsis: 'nightly [--config FILE] [--budget T] [--shard i/n] [options]',
  summary: 'The CI suite within one budget: every model and variant, the corpus replays, validations and fuzz runs of the config; reports in reports/.',
  docs: 'docs/nightly.md',
  options: [
    { name: 'config', kind: 'string', value: 'FILE', accepts: 'an existing JSON file (docs/nightly.md)', check: readableFile, default: 'the built-in suite', help: 'the suite to run' },
    { ...BUDGET, default: "10m, or the config's", help: 'the whole run; each job gets a share', when: undefined },
    { ...SHARD, help: 'run only shard i of n of the job list' },
    OUT,
    REQUIRE_COMPLETE,
    SARIF,
    JSON_OPTION,
  ],
  examples: ['npx virtio-verify nightly --budget 10m', 'npx virtio-verify nightly --config examples/ci/nightly.json --shard 2/4 --sarif reports/nightly.sarif'],
  exits: ['0 every job as expected', '1 a job not as expected', '2 a bad config or bad usage', '3 interrupted, or incomplete under --require-complete'],
};

const FUZZ: CommandSpec = {
  name: 'fuzz',
  synopsis: 'fuzz <target> [options]',
  summary: 'Mutate virtio-msg message streams against the reference device or driver (or a seeded mutant); findings are minimized and saved under reports/fuzz/.',
  docs: 'docs/fuzzing.md',
  options: [
    { name: 'variant', kind: 'string', value: 'V', accepts: "a variant of the target", default: 'reference', help: 'the target variant (a seeded mutant shows a finding)' },
    { name: 'seed', kind: 'string', value: 'N', accepts: integerForm(0), default: '1', check: integer(0), help: 'the run\'s seed' },
    { name: 'time', kind: 'string', value: 'T', accepts: DURATION, default: '60s', check: duration, help: 'how long to fuzz' },
    { name: 'engine', kind: 'string', value: 'E', accepts: 'one of builtin, jsfuzz', default: 'builtin', check: choice(['builtin', 'jsfuzz']), help: 'builtin: structure-aware, in process; jsfuzz: the npm jsfuzz on a bundle of the target' },
    { name: 'corpus', kind: 'string', value: 'DIR', accepts: 'a folder', check: existingDirIfThere, help: 'seed streams, and where the corpus grown goes' },
    { name: 'differential', kind: 'boolean', help: 'compare every response with the reference\'s',
      when: (v) => (str(v, 'engine') === 'jsfuzz' ? '--differential applies to --engine builtin (jsfuzz runs its own loop)' : undefined) },
    { name: 'no-seeds', kind: 'boolean', help: 'start from the empty stream only' },
    { ...OUT, help: 'where reports/fuzz goes' },
    JSON_OPTION,
  ],
  examples: ['npx virtio-verify fuzz transport-msg-device --time 60s', 'npx virtio-verify fuzz transport-msg-device --variant signed-queue-index --time 10s'],
  exits: ['0 no finding', '1 a finding', '2 bad usage', '3 interrupted'],
};

const SIMPLE = (name: string, synopsis: string, summary: string, options: readonly OptionSpec[], examples: readonly string[], exits: readonly string[]): CommandSpec => ({ name, synopsis, summary, options, examples, exits });

export const COMMANDS: readonly CommandSpec[] = [
  SIMPLE('list', 'list [--json]', 'The models, their parameters, invariants and variants with the verdicts they are expected to give.', [JSON_OPTION], ['npx virtio-verify list'], ['0 always', '2 bad usage']),
  CHECK,
  SIMPLE('replay', 'replay <counterexample.json> [--engine E] [--json]', 'Re-run a saved counterexample on either engine and print its trace; says whether the trace is identical to the file\'s.',
    [{ ...ENGINE, default: 'the engine in the file' }, JSON_OPTION], ['npx virtio-verify replay reports/counterexamples/config-gencount.no-odd-check.no-torn-read.json --engine threads'],
    ['0 no violation any more', '1 the violation again', '2 a file it does not understand, or bad usage', '3 interrupted']),
  SIMPLE('merge', 'merge <shard.json>... [--json] [--require-complete]', 'Merge the --json results of a sharded check (check --shard i/n --json) into one verdict.',
    [REQUIRE_COMPLETE, JSON_OPTION], ['npx virtio-verify merge shard-1.json shard-2.json'], ['0 no violation', '1 a violation', '2 bad input', '3 incomplete under --require-complete']),
  NIGHTLY,
  FUZZ,
  SIMPLE('corpus', 'corpus show FILE [--json]', 'Decode a saved message stream (corpus/msg/, reports/fuzz/).', [JSON_OPTION],
    ['npx virtio-verify corpus show corpus/msg/findings/signed-queue-index.no-exception.d2185525b589.json'], ['0 shown', '2 a file it cannot read']),
  VALIDATE,
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

// Parsing -----------------------------------------------------------------------------------------

const GLOBAL: readonly OptionSpec[] = [
  { name: 'help', kind: 'boolean', help: 'this help' },
  { name: 'version', kind: 'boolean', help: 'the version' },
];

/** Every option name with its kind (one kind per name across commands). */
function allOptions(): Map<string, OptionSpec> {
  const all = new Map<string, OptionSpec>();
  for (const o of [...GLOBAL, ...COMMANDS.flatMap((c) => c.options)]) {
    const seen = all.get(o.name);
    if (seen && seen.kind !== o.kind) throw new Error(`option --${o.name} is declared as ${seen.kind} and as ${o.kind}`);
    all.set(o.name, o);
  }
  return all;
}

export interface CommandLine {
  /** Undefined when only global options were given. */
  readonly command?: CommandSpec;
  readonly positionals: readonly string[];
  readonly values: Values;
  readonly help: boolean;
  readonly version: boolean;
}

/**
 * Splits and checks the command line. The value of a string option is the next word even when it
 * starts with a dash (`--seed -5` is then refused by the option's form, not taken for an option);
 * an option at the end without its value, or followed by another option, says what it needs.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const all = allOptions();
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (onlyPositionals || word === '-' || !word.startsWith('-')) { positionals.push(word); continue; }
    if (word === '--') { onlyPositionals = true; continue; }
    if (word === '-h') { values.help = true; continue; }
    if (!word.startsWith('--')) throw new UsageError(`unknown option ${word} (see virtio-verify --help)`);
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const spec = findCommand(positionals[0] ?? '')?.options.find((o) => o.name === name) ?? all.get(name);
    if (!spec) throw new UsageError(`unknown option --${name} (see virtio-verify${positionals[0] && findCommand(positionals[0]) ? ` ${positionals[0]}` : ''} --help)`);
    if (spec.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value (it is a switch), not "${word.slice(eq + 1)}"`);
      values[name] = true;
      continue;
    }
    let text: string;
    if (eq >= 0) text = word.slice(eq + 1);
    else {
      const next = argv[i + 1];
      const isOption = next !== undefined && next.startsWith('--') && all.has(next.slice(2).split('=')[0]);
      if (next === undefined || isOption) throw new UsageError(`--${name} needs a value: ${spec.accepts ?? spec.value ?? 'see --help'}`);
      text = next;
      i++;
    }
    if (spec.kind === 'list') values[name] = [...((values[name] as string[] | undefined) ?? []), text];
    else {
      if (values[name] !== undefined && values[name] !== text) throw new UsageError(`--${name} is given twice ("${values[name] as string}" and "${text}"); it takes one ${spec.accepts ?? 'value'}`);
      values[name] = text;
    }
  }
  const help = values.help === true || positionals[0] === 'help';
  if (positionals[0] === 'help') positionals.shift();
  const version = values.version === true;
  if (positionals.length === 0) return { positionals, values, help, version };
  const command = findCommand(positionals[0]);
  if (!command) throw new UsageError(`unknown command ${positionals[0]} (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see virtio-verify --help)`);
  const rest = positionals.slice(1);
  if (help) return { command, positionals: rest, values, help, version };
  checkValues(command, rest, values);
  return { command, positionals: rest, values, help, version };
}

/** The command's own rules: only its options, each of its form, each where it applies. */
export function checkValues(command: CommandSpec, positionals: readonly string[], values: Values): void {
  const own = new Map(command.options.map((o) => [o.name, o]));
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'help' || name === 'version') continue;
    if (!own.has(name)) throw new UsageError(`${command.name} does not take --${name}${command.name === 'nightly' ? ' (put it in the config file: see docs/nightly.md)' : ''} (see virtio-verify ${command.name} --help)`);
  }
  for (const o of command.options) {
    const v = values[o.name];
    if (v === undefined || !o.check) continue;
    for (const text of Array.isArray(v) ? v : [v as string]) o.check(text, `--${o.name}`);
  }
  const impl = typeof values.impl === 'string' ? classifyImpl(values.impl).kind : undefined;
  const context: Context = { positionals, impl };
  for (const o of command.options) {
    if (values[o.name] === undefined || !o.when) continue;
    const why = o.when(values, context);
    if (why !== undefined) throw new UsageError(why);
  }
}
