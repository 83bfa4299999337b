/**
 * The committed corpus is never rewritten: a check writes this run's counterexample under
 * reports/, and adds to a corpus folder only when asked (--save-corpus, or the nightly config's
 * corpus.save): a new file, never a changed one, and nothing when the same schedule is there.
 * Validate counterexamples name their implementation's absolute path: they replay from anywhere.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../harness/cli.ts';
import { loadCounterexample } from '../harness/report/counterexample.ts';
import { replay } from '../harness/replay.ts';
import { run } from './nightly-helpers.ts';

const root = join(import.meta.dirname, '..');
const committed = join(root, 'corpus', 'counterexamples', 'config-gencount.no-odd-check.no-torn-read.json');

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(argv, (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

/** A working directory laid out like a checkout: corpus/counterexamples with a committed file. */
function checkout(): { dir: string; corpus: string; before: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vv-corpus-'));
  const corpus = join(dir, 'corpus', 'counterexamples');
  mkdirSync(corpus, { recursive: true });
  copyFileSync(committed, join(corpus, 'config-gencount.no-odd-check.no-torn-read.json'));
  return { dir, corpus, before: readFileSync(committed, 'utf8') };
}

describe('check and the corpus', () => {
  it('without --save-corpus: the counterexample goes to reports/, corpus/ is left alone (issue 17: it was rewritten)', async () => {
    const w = checkout();
    const r = await cli('check', 'config-gencount', '--variant', 'no-odd-check', '--param', 'updates=3', '--out', w.dir);
    expect(r.code).toBe(1);
    expect(readdirSync(w.corpus)).toEqual(['config-gencount.no-odd-check.no-torn-read.json']);
    expect(readFileSync(join(w.corpus, 'config-gencount.no-odd-check.no-torn-read.json'), 'utf8')).toBe(w.before);
    expect(readdirSync(join(w.dir, 'reports', 'counterexamples'))).toEqual(['config-gencount.no-odd-check.no-torn-read.json']);
  });

  it('--save-corpus adds a new schedule beside the committed one, without changing it, and only once', async () => {
    const w = checkout();
    const first = await cli('check', 'config-gencount', '--variant', 'no-odd-check', '--param', 'updates=3', '--out', w.dir, '--save-corpus', w.corpus, '--json');
    const j = JSON.parse(first.out);
    expect(j.corpusFile.added).toBe(true);
    expect(j.corpusFile.path).toMatch(/config-gencount\.no-odd-check\.no-torn-read\.[0-9a-f]{10}\.json$/);
    expect(readFileSync(join(w.corpus, 'config-gencount.no-odd-check.no-torn-read.json'), 'utf8')).toBe(w.before);
    const again = JSON.parse((await cli('check', 'config-gencount', '--variant', 'no-odd-check', '--param', 'updates=3', '--out', w.dir, '--save-corpus', w.corpus, '--json')).out);
    expect(again.corpusFile).toEqual({ path: j.corpusFile.path, added: false });
    expect(readdirSync(w.corpus)).toHaveLength(2);
    // The added file is a regression test like the others.
    expect((await replay(loadCounterexample(j.corpusFile.path))).reproduced).toBe(true);
  });

  it('--save-corpus with the same schedule as the committed file writes nothing', async () => {
    const w = checkout();
    const c = loadCounterexample(committed);
    const r = JSON.parse((await cli('check', c.model, '--variant', c.variant, '--out', w.dir, '--save-corpus', w.corpus, '--json')).out);
    if (JSON.stringify(loadCounterexample(r.counterexample).schedule) === JSON.stringify(c.schedule)) {
      expect(r.corpusFile).toEqual({ path: join(w.corpus, 'config-gencount.no-odd-check.no-torn-read.json'), added: false });
      expect(readdirSync(w.corpus)).toHaveLength(1);
    } else {
      // The shrinker found another schedule since the file was committed: it is added, the committed one kept.
      expect(r.corpusFile.added).toBe(true);
      expect(readFileSync(join(w.corpus, 'config-gencount.no-odd-check.no-torn-read.json'), 'utf8')).toBe(w.before);
    }
  });

  it('text output says where the counterexample went and whether the corpus got it', async () => {
    const w = checkout();
    const r = await cli('check', 'config-gencount', '--variant', 'no-odd-check', '--param', 'updates=3', '--out', w.dir, '--save-corpus', w.corpus);
    expect(r.out).toMatch(/counterexample: .*reports\/counterexamples\/config-gencount\.no-odd-check\.no-torn-read\.json/);
    expect(r.out).toMatch(/added to the corpus: .*\.json/);
  });
});

describe('the nightly and the corpus', () => {
  it('corpus.save adds the counterexamples of jobs not as expected, once, and changes no file there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vv-ncorpus-'));
    const save = join(dir, 'saved');
    mkdirSync(save);
    writeFileSync(join(save, 'config-gencount.single-bump.no-torn-read.json'), '{"not": "touched"}\n');
    const config = { checks: [{ model: 'config-gencount', variants: ['single-bump'], memory: ['sc'], expect: { verdict: 'passed' } }], corpus: { dirs: [], save } };
    const a = await run(config);
    expect(a.code).toBe(1);
    expect(readFileSync(join(save, 'config-gencount.single-bump.no-torn-read.json'), 'utf8')).toBe('{"not": "touched"}\n');
    const files = readdirSync(save);
    expect(files).toHaveLength(2);
    await run(config);
    expect(readdirSync(save)).toEqual(files);
  });
});

describe('validate counterexamples replay from any directory (issue 17: --impl was stored relative)', () => {
  it('found with a relative --impl, replayed from another working directory', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vv-impl-'));
    const here = process.cwd();
    process.chdir(root);
    let file: string;
    try {
      const r = await cli('validate', '--impl', 'examples/js/gencount-driver-buggy.mjs', '--role', 'driver', '--scheme', 'config-gencount', '--preemptions', '1', '--out', out, '--json');
      expect(r.code).toBe(1);
      file = JSON.parse(r.out).files[0].file;
    } finally {
      process.chdir(here);
    }
    const c = loadCounterexample(file);
    expect(c.implementation).toMatchObject({ impl: 'examples/js/gencount-driver-buggy.mjs', role: 'driver', path: join(root, 'examples', 'js', 'gencount-driver-buggy.mjs') });
    process.chdir(tmpdir());
    try {
      const again = await replay(c);
      expect(again.reproduced).toBe(true);
      expect(again.sameTrace).toBe(true);
    } finally {
      process.chdir(here);
    }
  });
});
