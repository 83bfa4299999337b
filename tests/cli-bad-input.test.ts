/**
 * Bad input, over every command: exit 2, exactly one line on stderr that names what was wrong and
 * what is accepted, no stack trace, and nothing in the working directory created, changed or lost.
 * Run in process through the command's process boundary (harness/main.ts run()), in a directory of
 * its own; a few are also run as real processes at the end.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/main.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');
const dir = mkdtempSync(join(tmpdir(), 'vv-bad-'));
const good = join(root, 'examples', 'js', 'gencount-driver-good.mjs');
const cfile = join(root, 'examples', 'c', 'gencount-driver-good.c');
const cx = join(root, 'corpus', 'counterexamples', 'config-gencount.no-odd-check.no-torn-read.json');
const shard = (model: string) => JSON.stringify({ model, variant: 'reference', verdict: 'passed', complete: true, executions: 3, steps: 9, seconds: 0.1, strategy: 'dfs', memory: 'sc', preemptions: 2, params: {}, shard: { index: 1, count: 2 } });

// What is in the directory before every case, and must be there, unchanged, after it.
beforeAll(() => {
  mkdirSync(join(dir, 'corpus', 'counterexamples'), { recursive: true });
  copyFileSync(cx, join(dir, 'corpus', 'counterexamples', 'committed.json'));
  copyFileSync(cx, join(dir, 'cx.json'));
  mkdirSync(join(dir, 'reports'));
  writeFileSync(join(dir, 'reports', 'keep.txt'), 'a report of an earlier run\n');
  writeFileSync(join(dir, 'notes.txt'), 'a plain file\n');
  writeFileSync(join(dir, 'noexec'), 'neither a module nor executable\n');
  mkdirSync(join(dir, 'folder.mjs'));
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'bad.json'), '{"format": "virtio-verify-counterexample", "version": 1, "model": 3');
  writeFileSync(join(dir, 'future.json'), JSON.stringify({ format: 'virtio-verify-counterexample', version: 99 }));
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(join(dir, 'badkey.json'), JSON.stringify({ checks: [], frobnicate: 1 }));
  writeFileSync(join(dir, 'shard-a.json'), shard('config-gencount'));
  writeFileSync(join(dir, 'shard-b.json'), shard('config-legacy'));
  process.chdir(dir);
});
afterAll(() => process.chdir(root));

function snapshot(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) { out.push(`${relative(dir, p)}/`); walk(p); } else out.push(`${relative(dir, p)} ${readFileSync(p).toString('base64')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

type Case = [name: string, argv: string[], message: RegExp];
const C = ['check', 'config-gencount'];
const V = ['validate', '--impl', good, '--role', 'driver', '--scheme', 'config-gencount'];
const P = ['validate', '--impl', 'python3 examples/python/virtio_msg_device.py', '--role', 'device', '--scheme', 'transport-msg'];
const F = ['fuzz', 'transport-msg-device'];
const DURATION = /takes a duration of at least 1ms such as 500ms, 30s or 10m, not "/;

const cases: Case[] = [
  // no command, unknown command and options
  ['no command', [], /which command\? \(list, check, .*see virtio-verify --help\)/],
  ['unknown command', ['frobnicate'], /unknown command frobnicate \(commands: list, check/],
  ['unknown long option', ['--frobnicate'], /unknown option --frobnicate \(see virtio-verify --help\)/],
  ['unknown short option', ['-x'], /unknown option -x/],
  ['unknown option of a command', [...C, '--frobnicate'], /unknown option --frobnicate \(see virtio-verify check --help\)/],
  ['a switch given a value', [...C, '--json=yes'], /--json takes no value \(it is a switch\), not "yes"/],
  ['a switch given a value (require-complete)', [...C, '--require-complete=1'], /--require-complete takes no value/],
  ['a switch given a value (require-coverage)', [...C, '--require-coverage=1'], /--require-coverage takes no value \(it is a switch\)/],
  ['require-coverage where it does not apply', ['replay', 'cx.json', '--require-coverage'], /replay does not take --require-coverage \(see virtio-verify replay --help\)/],
  // list
  ['list --variant', ['list', '--variant', 'x'], /list does not take --variant \(see virtio-verify list --help\)/],
  ['list --budget', ['list', '--budget', '1s'], /list does not take --budget/],
  ['list --all', ['list', '--all'], /list does not take --all/],
  // check: what to check
  ['check without a model', ['check'], /check needs one model name \(models: config-gencount/],
  ['check with two models', ['check', 'config-gencount', 'config-legacy'], /check needs one model name/],
  ['unknown model', ['check', 'no-such-model'], /unknown model no-such-model/],
  ['unknown variant', [...C, '--variant', 'nope'], /has no variant nope/],
  ['unknown parameter', [...C, '--param', 'nope=3'], /has no parameter nope/],
  ['parameter out of range', [...C, '--param', 'configBytes=6'], /multiple of 4/],
  ['parameter without =', [...C, '--param', 'updates'], /--param takes name=integer, such as --param updates=4, not "updates"/],
  ['parameter not a number', [...C, '--param', 'updates=abc'], /--param takes name=integer/],
  ['parameter without a name', [...C, '--param', '=3'], /--param takes name=integer/],
  ['--variant without its value', [...C, '--variant'], /--variant needs a value: a variant of the model/],
  ['--variant with --all', ['check', '--all', '--variant', 'x'], /--variant cannot be combined with --all or --all-variants/],
  ['--all with a model', ['check', 'config-gencount', '--all'], /check --all takes no model name/],
  ['--all with --all-variants', ['check', '--all', '--all-variants'], /--all and --all-variants cannot be combined/],
  ['--all-variants without a model', ['check', '--all-variants'], /check needs one model name/],
  // check: engine, strategy, memory
  ['unknown engine', [...C, '--engine', 'warp'], /--engine takes one of inline, threads, not "warp"/],
  ['--engine at the end', [...C, '--engine'], /--engine needs a value: one of inline, threads/],
  ['--engine followed by an option', [...C, '--engine', '--json'], /--engine needs a value: one of inline, threads/],
  ['unknown strategy', [...C, '--strategy', 'bfs'], /--strategy takes one of dfs, random, pct, not "bfs"/],
  ['unknown memory model', [...C, '--memory', 'pso'], /--memory takes one of sc, tso, weak, not "pso"/],
  ['--reduction under weak', [...C, '--reduction', '--memory', 'weak'], /--reduction is not offered under --memory weak/],
  // check: numbers
  ['negative preemptions', [...C, '--preemptions', '-1'], /--preemptions takes a whole number from 0, not "-1"/],
  ['preemptions not a number', [...C, '--preemptions', 'abc'], /--preemptions takes a whole number from 0, not "abc"/],
  ['fractional preemptions', [...C, '--preemptions', '1.5'], /--preemptions takes a whole number from 0, not "1.5"/],
  ['preemptions beyond a safe integer', [...C, '--preemptions', '99999999999999999999'], /--preemptions takes a whole number from 0/],
  ['negative budget', [...C, '--budget', '-1'], /--budget takes a duration/],
  ['zero budget (0s)', [...C, '--budget', '0s'], DURATION],
  ['zero budget (0ms)', [...C, '--budget', '0ms'], DURATION],
  ['budget in words', [...C, '--budget', 'soon'], DURATION],
  ['budget without a unit', [...C, '--budget', '10'], DURATION],
  ['budget in hours', [...C, '--budget', '10h'], DURATION],
  ['empty budget', [...C, '--budget='], DURATION],
  ['negative seed', [...C, '--strategy', 'random', '--seed', '-5'], /--seed takes a whole number from 0, not "-5"/],
  ['seed not a number', [...C, '--strategy', 'random', '--seed', 'abc'], /--seed takes a whole number from 0/],
  ['seed given twice', [...C, '--strategy', 'random', '--seed', '1', '--seed', '2'], /--seed is given twice \("1" and "2"\); it takes one a whole number from 0/],
  ['zero executions', [...C, '--strategy', 'random', '--executions', '0'], /--executions takes a whole number of at least 1, not "0"/],
  ['zero depth', [...C, '--strategy', 'pct', '--depth', '0'], /--depth takes a whole number of at least 1, not "0"/],
  // check: options that do not apply
  ['--seed with dfs', [...C, '--seed', '5'], /--seed does not apply to --strategy dfs \(only to random and pct\)/],
  ['--executions with dfs', [...C, '--executions', '5'], /--executions does not apply to --strategy dfs/],
  ['--depth with dfs', [...C, '--depth', '2'], /--depth does not apply to --strategy dfs \(only to pct\)/],
  ['--depth with random', [...C, '--strategy', 'random', '--depth', '2'], /--depth does not apply to --strategy random \(only to pct\)/],
  ['--preemptions with random', [...C, '--strategy', 'random', '--preemptions', '2'], /--preemptions does not apply to --strategy random \(only to dfs\)/],
  ['--preemptions with pct', [...C, '--strategy', 'pct', '--preemptions', '2'], /--preemptions does not apply to --strategy pct/],
  ['--no-reduction with random', [...C, '--strategy', 'random', '--no-reduction'], /--no-reduction does not apply to --strategy random \(only to dfs\)/],
  ['--reduction with pct', [...C, '--strategy', 'pct', '--reduction'], /--reduction does not apply to --strategy pct/],
  ['--reduction and --no-reduction', [...C, '--reduction', '--no-reduction'], /--reduction and --no-reduction cannot be combined/],
  ['--reduction with --state-hashing', [...C, '--reduction', '--state-hashing'], /--reduction cannot be combined with --state-hashing/],
  ['--reduction under tso', [...C, '--reduction', '--memory', 'tso'], /--reduction is not offered under --memory tso/],
  // parameters that leave the actors nothing to do are bad input, not a vacuous pass
  ['bus limit below the draft minimum', ['check', 'transport-msg', '--param', 'maxMessageSize=51'], /parameter maxMessageSize=51 is out of range for transport-msg: an integer from 52 to 264/],
  ['bus limit above the draft maximum', ['check', 'config-msg', '--param', 'maxMessageSize=265'], /parameter maxMessageSize=265 is out of range for config-msg: an integer from 52 to 264/],
  ['bus limit too small for the config', ['check', 'config-msg', '--param', 'maxMessageSize=52', '--param', 'configBytes=64'], /config-msg: maxMessageSize 52 is too small for configBytes 64 .* needs at least 88 \(--param maxMessageSize=88\)/],
  ['a chain longer than the queue', ['check', 'vring-split', '--param', 'chainLength=3'], /chainLength=3 is more than queueSize=2/],
  ['--state-hashing with pct', [...C, '--strategy', 'pct', '--state-hashing'], /--state-hashing does not apply to --strategy pct/],
  // check: shards and workers
  ['shard 0', [...C, '--shard', '0/2'], /--shard 0\/2: i must be from 1 to n/],
  ['shard beyond n', [...C, '--shard', '3/2'], /--shard 3\/2: i must be from 1 to n/],
  ['shard of 0', [...C, '--shard', '1/0'], /--shard 1\/0: i must be from 1 to n/],
  ['shard in words', [...C, '--shard', 'one'], /--shard takes i\/n such as 1\/4 \(shard i of n, from 1\), not "one"/],
  ['shard with a dash', [...C, '--shard', '1-2'], /--shard takes i\/n such as 1\/4/],
  ['zero workers', [...C, '--workers', '0'], /--workers takes a whole number from 1 to 64, not "0"/],
  ['too many workers', [...C, '--workers', '65'], /--workers takes a whole number from 1 to 64, not "65"/],
  ['workers in words', [...C, '--workers', 'x'], /--workers takes a whole number from 1 to 64/],
  ['--workers with --all', ['check', '--all', '--workers', '2'], /--workers splits one check; it cannot be combined with --all, --all-variants or --shard/],
  ['--workers with --shard', [...C, '--workers', '2', '--shard', '1/2'], /--workers splits one check/],
  // check: where files go
  ['--out names a file', [...C, '--out', 'notes.txt'], /--out takes a folder, but notes.txt is a file/],
  ['--out goes through a file', [...C, '--out', 'notes.txt/sub'], /--out takes a folder, but .*notes\.txt is a file/],
  ['--out empty', [...C, '--out='], /--out takes a folder, not an empty string/],
  ['--save-corpus names a file', [...C, '--save-corpus', 'notes.txt'], /--save-corpus takes a folder, but notes.txt is a file/],
  ['--sarif names a folder', [...C, '--sarif', 'folder'], /--sarif takes a file to write, but folder is a folder/],
  ['--sarif inside a file', [...C, '--sarif', 'notes.txt/x.sarif'], /--sarif's folder takes a folder, but .*notes\.txt is a file/],
  ['--sarif empty', [...C, '--sarif='], /--sarif takes a file to write, not ""/],
  ['--sarif ending in a slash', [...C, '--sarif', 'out/'], /--sarif takes a file to write, not "out\/"/],
  // check: options of other commands
  ['check --config', [...C, '--config', 'x.json'], /check does not take --config \(see virtio-verify check --help\)/],
  ['check --impl', [...C, '--impl', 'x.mjs'], /check does not take --impl/],
  ['check --time', [...C, '--time', '1s'], /check does not take --time/],
  ['check --step-timeout', [...C, '--step-timeout', '1s'], /check does not take --step-timeout/],
  ['check --corpus', [...C, '--corpus', 'folder'], /check does not take --corpus/],
  // replay
  ['replay without a file', ['replay'], /replay needs one counterexample file/],
  ['replay with two files', ['replay', 'cx.json', 'cx.json'], /replay needs one counterexample file/],
  ['replay a missing file', ['replay', 'missing.json'], /cannot read counterexample missing.json: ENOENT/],
  ['replay malformed JSON', ['replay', 'bad.json'], /bad.json is not JSON/],
  ['replay a future format', ['replay', 'future.json'], /format version 99; this build reads version 1/],
  ['replay a text file', ['replay', 'notes.txt'], /notes.txt is not JSON/],
  ['replay a folder', ['replay', 'folder'], /cannot read counterexample folder: EISDIR/],
  ['replay other JSON', ['replay', 'other.json'], /other.json is not a counterexample this version understands: format is undefined/],
  ['replay on an unknown engine', ['replay', 'cx.json', '--engine', 'warp'], /--engine takes one of inline, threads, not "warp"/],
  ['replay --strategy', ['replay', 'cx.json', '--strategy', 'dfs'], /replay does not take --strategy/],
  ['replay --budget', ['replay', 'cx.json', '--budget', '1s'], /replay does not take --budget/],
  // merge
  ['merge nothing', ['merge'], /merge needs the --json results of the shards/],
  ['merge a missing file', ['merge', 'missing.json'], /cannot read shard result missing.json/],
  ['merge malformed JSON', ['merge', 'bad.json'], /cannot read shard result bad.json/],
  ['merge other JSON', ['merge', 'other.json'], /other.json is not the JSON of a check \(run check with --json\)/],
  ['merge shards of different checks', ['merge', 'shard-a.json', 'shard-b.json'], /shard results disagree on what was checked/],
  ['merge the same shard twice', ['merge', 'shard-a.json', 'shard-a.json'], /the same shard is given twice/],
  ['merge --budget', ['merge', 'shard-a.json', '--budget', '1s'], /merge does not take --budget/],
  // nightly
  ['nightly with a model', ['nightly', 'config-gencount'], /nightly takes no model name/],
  ['nightly with a missing config', ['nightly', '--config', 'missing.json'], /--config takes an existing file, but there is no missing.json/],
  ['nightly with a folder as config', ['nightly', '--config', 'folder'], /--config takes a file, but folder is a folder/],
  ['nightly with malformed JSON', ['nightly', '--config', 'bad.json'], /bad\.json/],
  ['nightly with an unknown key', ['nightly', '--config', 'badkey.json'], /frobnicate/],
  ['nightly with a zero budget', ['nightly', '--budget', '0s'], DURATION],
  ['nightly budget in words', ['nightly', '--budget', 'x'], DURATION],
  ['nightly shard beyond n', ['nightly', '--shard', '5/4'], /--shard 5\/4: i must be from 1 to n/],
  ['nightly --seed', ['nightly', '--seed', '3'], /nightly does not take --seed \(put it in the config file: see docs\/nightly\.md\)/],
  ['nightly --variant', ['nightly', '--variant', 'x'], /nightly does not take --variant/],
  ['nightly --out a file', ['nightly', '--out', 'notes.txt'], /--out takes a folder, but notes.txt is a file/],
  ['nightly --sarif a folder', ['nightly', '--sarif', 'folder'], /--sarif takes a file to write, but folder is a folder/],
  ['nightly --config at the end', ['nightly', '--config'], /--config needs a value: an existing JSON file/],
  // fuzz
  ['fuzz without a target', ['fuzz'], /fuzz needs a target \(transport-msg-device/],
  ['fuzz two targets', ['fuzz', 'transport-msg-device', 'config-msg'], /fuzz takes one target/],
  ['fuzz an unknown target', ['fuzz', 'no-such-target'], /unknown fuzz target no-such-target \(targets: /],
  ['fuzz an unknown variant', [...F, '--variant', 'nope'], /transport-msg-device has no variant nope \(variants: /],
  ['fuzz an unknown engine', [...F, '--engine', 'afl'], /--engine takes one of builtin, jsfuzz, not "afl"/],
  ['fuzz for no time', [...F, '--time', '0s'], /--time takes a duration/],
  ['fuzz for a negative time', [...F, '--time', '-1'], /--time takes a duration/],
  ['fuzz a negative seed', [...F, '--seed', '-1'], /--seed takes a whole number from 0, not "-1"/],
  ['fuzz corpus is a file', [...F, '--corpus', 'notes.txt'], /--corpus takes a folder, but notes.txt is a file/],
  ['fuzz --differential with jsfuzz', [...F, '--engine', 'jsfuzz', '--differential'], /--differential applies to --engine builtin/],
  ['fuzz --preemptions', [...F, '--preemptions', '2'], /fuzz does not take --preemptions/],
  ['fuzz --out a file', [...F, '--out', 'notes.txt'], /--out takes a folder, but notes.txt is a file/],
  ['fuzz --sarif', [...F, '--sarif', 'x.sarif'], /fuzz does not take --sarif/],
  // corpus
  ['corpus without a subcommand', ['corpus'], /usage: virtio-verify corpus show FILE/],
  ['corpus list', ['corpus', 'list'], /usage: virtio-verify corpus show FILE/],
  ['corpus show without a file', ['corpus', 'show'], /usage: virtio-verify corpus show FILE/],
  ['corpus show a missing file', ['corpus', 'show', 'missing.json'], /cannot read missing.json/],
  ['corpus show malformed JSON', ['corpus', 'show', 'bad.json'], /bad.json: /],
  ['corpus show --engine', ['corpus', 'show', 'cx.json', '--engine', 'inline'], /corpus does not take --engine/],
  // validate: what to validate
  ['validate without --impl', ['validate', '--role', 'driver', '--scheme', 'config-gencount'], /validate needs --impl/],
  ['validate without --role', ['validate', '--impl', good, '--scheme', 'config-gencount'], /validate needs --role/],
  ['validate without --scheme', ['validate', '--impl', good, '--role', 'driver'], /validate needs --scheme/],
  ['validate an unknown role', ['validate', '--impl', good, '--role', 'passenger', '--scheme', 'config-gencount'], /--role takes one of driver, device, not "passenger"/],
  ['validate an unknown scheme', ['validate', '--impl', good, '--role', 'driver', '--scheme', 'nope'], /nope/],
  ['validate with a positional', [...V, 'extra'], /validate takes no positional arguments \(use --impl, --role, --scheme\)/],
  ['--impl a folder', ['validate', '--impl', 'folder.mjs', '--role', 'driver', '--scheme', 'config-gencount'], /--impl folder.mjs is a folder: it takes a JavaScript or TypeScript module/],
  ['--impl a text file', ['validate', '--impl', 'notes.txt', '--role', 'driver', '--scheme', 'config-gencount'], /--impl notes.txt: a \.txt file is none of what it takes: a JavaScript/],
  ['--impl a file that is not executable', ['validate', '--impl', 'noexec', '--role', 'device', '--scheme', 'transport-msg'], /--impl noexec: a file without extension that is not executable is none of what it takes/],
  ['--impl a missing module', ['validate', '--impl', 'missing.mjs', '--role', 'driver', '--scheme', 'config-gencount'], /--impl missing.mjs: no such file/],
  ['--impl a missing path', ['validate', '--impl', './missing-dir/dev', '--role', 'device', '--scheme', 'transport-msg'], /--impl .\/missing-dir\/dev: no such file/],
  ['--impl empty', ['validate', '--impl=', '--role', 'driver', '--scheme', 'config-gencount'], /--impl takes a JavaScript or TypeScript module .* not an empty string/],
  ['--impl a program that does not exist', ['validate', '--impl', 'no-such-program --flag', '--role', 'device', '--scheme', 'transport-msg'], /--impl no-such-program --flag: cannot run no-such-program/],
  ['a C role the scheme does not have', ['validate', '--impl', cfile, '--role', 'driver', '--scheme', 'config-msg'], /a C or WebAssembly implementation can be the/],
  // validate: numbers and durations
  ['--memory-limit 1', [...V, '--memory-limit', '1'], /--memory-limit takes a whole number from 16 to 1048576, not "1"/],
  ['--memory-limit 0', [...V, '--memory-limit', '0'], /--memory-limit takes a whole number from 16/],
  ['--memory-limit in words', [...V, '--memory-limit', 'lots'], /--memory-limit takes a whole number from 16/],
  ['--step-timeout 0s', [...V, '--step-timeout', '0s'], /--step-timeout takes a duration/],
  ['--step-timeout without a unit', [...V, '--step-timeout', '2'], /--step-timeout takes a duration/],
  ['validate negative preemptions', [...V, '--preemptions', '-2'], /--preemptions takes a whole number from 0, not "-2"/],
  // validate: options that do not apply
  ['a module on the inline engine', [...V, '--engine', 'inline'], /a JavaScript module cannot yield at each access: it runs on --engine threads only/],
  ['--seed for a module under dfs', [...V, '--seed', '3'], /--seed does not apply to --strategy dfs/],
  ['--depth with random for a module', [...V, '--strategy', 'random', '--depth', '2'], /--depth does not apply to --strategy random/],
  ['--memory-limit for C', ['validate', '--impl', cfile, '--role', 'driver', '--scheme', 'config-gencount', '--memory-limit', '64'], /--memory-limit applies to modules and commands/],
  ['--step-timeout for C on the inline engine', ['validate', '--impl', cfile, '--role', 'driver', '--scheme', 'config-gencount', '--step-timeout', '1s'], /--step-timeout applies to modules, commands and --engine threads/],
  ['an engine for a command', [...P, '--engine', 'threads'], /an external command runs as a process: --engine does not apply/],
  ['preemptions for a command', [...P, '--preemptions', '2'], /an external command is judged on one scripted exchange: --preemptions does not apply/],
  ['a strategy for a command', [...P, '--strategy', 'random'], /--strategy does not apply/],
  ['tso for a command', [...P, '--memory', 'tso'], /an external command shares no memory with us: --memory does not apply/],
  ['a budget for a command', [...P, '--budget', '10s'], /--budget does not apply/],
  ['a seed for a command', [...P, '--seed', '1'], /--seed does not apply/],
  // validate: options of other commands, files
  ['validate --config', [...V, '--config', 'x.json'], /validate does not take --config/],
  ['validate --all', [...V, '--all'], /validate does not take --all/],
  ['validate --out a file', [...V, '--out', 'notes.txt'], /--out takes a folder, but notes.txt is a file/],
  ['validate --sarif a folder', [...V, '--sarif', 'folder'], /--sarif takes a file to write, but folder is a folder/],
];

describe('bad input: exit 2, one line naming the option and what it takes, no stack trace, nothing lost', () => {
  it('covers at least 120 bad inputs over every command', () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
    const commands = new Set(cases.map(([, argv]) => argv[0]));
    for (const c of ['list', 'check', 'replay', 'merge', 'nightly', 'fuzz', 'corpus', 'validate']) expect(commands, c).toContain(c);
  });

  it.each(cases)('%s', async (_, argv, message) => {
    const before = snapshot();
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    const stderr = err.join('');
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.startsWith('virtio-verify: ')).toBe(true);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at |internal error/);
    expect(out).toEqual([]);
    expect(snapshot()).toBe(before);
  });
});

describe('bad input through the real process', () => {
  const proc = (...argv: string[]) => spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', cwd: dir });
  it.each([
    [['check', 'config-gencount', '--budget', '-1'], /--budget takes a duration/],
    [['check', 'config-gencount', '--out', 'notes.txt'], /--out takes a folder/],
    [['validate', '--impl', 'folder.mjs', '--role', 'driver', '--scheme', 'config-gencount'], /is a folder/],
    [['validate', ...V.slice(1), '--memory-limit', '1'], /--memory-limit takes a whole number from 16/],
    [['nightly', '--seed', '3'], /nightly does not take --seed/],
  ] as const)('%j', (argv, message) => {
    const before = snapshot();
    const r = proc(...argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(snapshot()).toBe(before);
  });

  it('an implementation file that cannot be read (run as an unprivileged user when root)', () => {
    const file = join(dir, 'unreadable.mjs');
    writeFileSync(file, 'export {}\n');
    chmodSync(file, 0o000);
    const asRoot = process.getuid?.() === 0;
    chmodSync(dir, 0o755); // the unprivileged user must be able to work in it
    const argv = [bin, 'validate', '--impl', 'unreadable.mjs', '--role', 'driver', '--scheme', 'config-gencount'];
    const r = asRoot
      ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv], { encoding: 'utf8', cwd: dir })
      : spawnSync(process.execPath, argv, { encoding: 'utf8', cwd: dir });
    chmodSync(file, 0o644);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--impl unreadable.mjs: cannot read it \(EACCES\); it takes a JavaScript/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
