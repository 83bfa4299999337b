/** The nightly's config file, its schema, the job list and sharding. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, defaultConfig, loadConfig, parseConfig, parseShard } from '../harness/nightly/config.ts';
import { buildJobs, checkCommand, shardJobs, type CheckJob } from '../harness/nightly/jobs.ts';
import { STRATEGY_NAMES } from '../harness/explore/strategies.ts';
import { MODELS } from '../models/index.ts';

const root = join(import.meta.dirname, '..');
const schema = JSON.parse(readFileSync(join(root, 'docs', 'nightly.schema.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'vv-nightly-config-'));
const parse = (data: unknown) => parseConfig(data, 'test.json', tmp, tmp);

describe('config validation: one line naming the place and the problem', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /expected an object/],
    ['unknown top-level property', { budgte: '1m' }, /budgte: unknown property/],
    ['bad budget', { budget: 'soon' }, /budget: expected a duration/],
    ['unknown model', { checks: [{ model: 'nope' }] }, /checks\[0\]\.model: unknown model nope/],
    ['unknown variant', { checks: [{ model: 'config-gencount', variants: ['nope'] }] }, /checks\[0\]\.variants\[0\]: model config-gencount has no variant nope/],
    ['unknown parameter', { checks: [{ model: 'config-gencount', params: { nope: 1 } }] }, /checks\[0\]\.params: model config-gencount has no parameter nope/],
    ['unknown engine', { engines: ['warp'] }, /engines\[0\]: expected one of inline, threads/],
    ['unknown memory model', { memory: ['pso'] }, /memory\[0\]: expected one of sc, tso/],
    ['unknown invariant in expect', { checks: [{ model: 'config-gencount', expect: { verdict: 'violated', invariant: 'nope' } }] }, /has no invariant nope/],
    ['missing corpus directory', { corpus: { dirs: ['no/such/dir'] } }, /corpus\.dirs\[0\]: .* is not a directory/],
    ['bad validate role', { validate: [{ impl: 'x', role: 'both', scheme: 'vring-split' }] }, /validate\[0\]\.role: expected one of driver, device/],
    ['unknown check property', { checks: [{ model: 'config-gencount', varaint: 'x' }] }, /checks\[0\]\.varaint: unknown property/],
  ];
  it.each(bad)('%s', (_, data, message) => {
    expect(() => parse(data)).toThrow(message);
    try { parse(data); } catch (e) { expect((e as Error).message.split('\n')).toHaveLength(1); }
  });

  it('JSON that does not parse', () => {
    const file = join(tmp, 'broken.json');
    writeFileSync(file, '{"budget": ');
    expect(() => loadConfig(file)).toThrow(/bad config .*broken\.json: not JSON/);
  });

  it('an empty object is the default suite', () => {
    const c = parse({});
    const d = defaultConfig(tmp);
    expect(c.checks).toEqual(d.checks);
    expect(c.budgetMs).toBe(d.budgetMs);
    expect(c.memory).toBe('auto');
    expect(c.corpus?.dirs).toEqual(d.corpus?.dirs);
  });

  it('the example CI config is valid', () => {
    const c = loadConfig(join(root, 'examples', 'ci', 'nightly.json'), root);
    expect(c.checks.length).toBe(MODELS.length);
    expect(c.fuzz.length).toBeGreaterThan(0);
    expect(c.validate.map((v) => v.resolved)).toEqual([join(root, 'examples', 'js', 'gencount-driver-good.mjs')]);
  });
});

describe('the JSON Schema documents what the loader accepts', () => {
  const props = (o: { properties: Record<string, unknown> }) => Object.keys(o.properties).sort();
  it('same properties at every level', () => {
    expect(props(schema)).toEqual([...CONFIG_KEYS.top].sort());
    expect(props(schema.$defs.check)).toEqual([...CONFIG_KEYS.check].sort());
    expect(props(schema.properties.corpus.oneOf[1])).toEqual([...CONFIG_KEYS.corpus].sort());
    expect(props(schema.properties.fuzz.items)).toEqual([...CONFIG_KEYS.fuzz].sort());
    expect(props(schema.properties.validate.items)).toEqual([...CONFIG_KEYS.validate].sort());
    expect(props(schema.$defs.check.properties.expect.oneOf[1])).toEqual([...CONFIG_KEYS.expect].sort());
  });
  it('the strategies it names are the ones that exist', () => {
    expect([...schema.$defs.strategy.enum].sort()).toEqual([...STRATEGY_NAMES].sort());
  });
});

describe('jobs and shards', () => {
  const config = parse({ corpus: false });
  const jobs = buildJobs(config, tmp);
  const checks = jobs.filter((j): j is CheckJob => j.kind === 'check');

  it('every variant of every model, under sc; references and tso-only mutants under tso too, weak-only mutants under weak', () => {
    for (const m of MODELS) {
      for (const v of m.variants) {
        const mine = checks.filter((j) => j.model === m.name && j.variant === v.name).map((j) => j.memory);
        const wantTso = v.expect.verdict === 'passed' || v.expect.memory === 'tso';
        const wantWeak = v.expect.verdict === 'violated' && v.expect.memory === 'weak';
        expect(mine, `${m.name}/${v.name}`).toEqual(wantTso ? ['sc', 'tso'] : wantWeak ? ['sc', 'weak'] : ['sc']);
      }
    }
    const tsoOnly = checks.find((j) => j.memory === 'sc' && j.expect.verdict === 'passed' && j.variant !== 'reference');
    if (tsoOnly) expect(checkCommand(tsoOnly)).toContain(`--variant ${tsoOnly.variant}`);
  });

  it('shards partition the list, deterministically, job k to shard (k mod n) + 1', () => {
    for (const n of [1, 2, 3, 7]) {
      const parts = Array.from({ length: n }, (_, i) => shardJobs(jobs, { index: i + 1, count: n }));
      expect(parts.flat().map((j) => j.index).sort((a, b) => a - b)).toEqual(jobs.map((j) => j.index));
      parts.forEach((p, i) => p.forEach((j) => expect(j.index % n).toBe(i)));
      expect(shardJobs(buildJobs(config, tmp), { index: 1, count: n }).map((j) => j.id)).toEqual(parts[0].map((j) => j.id));
    }
  });

  it('--shard syntax', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    expect(() => parseShard('0/2')).toThrow(/from 1 to n/);
    expect(() => parseShard('3/2')).toThrow(/from 1 to n/);
    expect(() => parseShard('half')).toThrow(/--shard takes i\/n/);
  });

  it('expectation overrides, parameter sets and engines multiply the jobs', () => {
    const c = parse({
      corpus: false,
      checks: [{ model: 'config-gencount', variants: ['reference'], params: [{ updates: 1 }, { updates: 2 }], engines: ['inline', 'threads'], memory: ['sc'], expect: { verdict: 'violated', invariant: 'no-torn-read' } }],
      fuzz: [{ target: 'config-msg', time: '1m' }],
    });
    const js = buildJobs(c, tmp);
    expect(js.filter((j) => j.kind === 'check')).toHaveLength(4);
    expect(js.every((j) => j.kind !== 'check' || (j.expectOverridden && j.expect.verdict === 'violated'))).toBe(true);
    expect(js.map((j) => j.id)).toContain('config-gencount/reference [sc, threads, updates=2]');
    expect(js.at(-1)).toMatchObject({ kind: 'fuzz' });
  });
});

describe('the command line', () => {
  const bin = join(root, 'bin', 'virtio-verify.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp, env: { ...process.env, CI: 'true' } });

  it('a bad config exits 2 with one line on stderr', () => {
    const file = join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify({ checks: [{ model: 'config-gencount', variants: ['nope'] }] }));
    const r = cli('nightly', '--config', file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad config .*bad\.json: checks\[0\]\.variants\[0\]: model config-gencount has no variant nope/);
  });

  it('options that belong in the config file exit 2', () => {
    const r = cli('nightly', '--variant', 'x');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nightly does not take --variant/);
    expect(cli('nightly', '--shard', '3/2').stderr).toMatch(/from 1 to n/);
  });
});
