/**
 * Memory model weak against a reference nobody here wrote: the Linux kernel memory model's own
 * litmus tests, from Debian's linux-source package (.ci/run installs it). Each file states whether
 * its "exists" outcome is allowed ("Sometimes") or not ("Never"); for the subset tests/lkmm/litmus.ts
 * translates, weak must reach the outcome exactly when the file says Sometimes. sc and tso are run
 * too: they are stronger, so they never reach an outcome weak does not, and never a "Never" one.
 * The tests are extracted at test time into a cache folder and never stored in this repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryModel } from '../harness/core/model.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';
import { litmusModel, parseLitmus, type Litmus } from './lkmm/litmus.ts';

const SRC = '/usr/src';
const tarball = existsSync(SRC) ? readdirSync(SRC).filter((f) => /^linux-source-.*\.tar\.xz$/.test(f)).sort().at(-1) : undefined;

function litmusFiles(): string[] {
  const version = basename(tarball!, '.tar.xz');
  const cache = join(tmpdir(), `virtio-verify-lkmm-${version}`);
  const dir = join(cache, version, 'tools', 'memory-model', 'litmus-tests');
  if (!existsSync(dir)) {
    mkdirSync(cache, { recursive: true });
    execFileSync('tar', ['-xJf', join(SRC, tarball!), '-C', cache, '--wildcards', `${version}/tools/memory-model/litmus-tests/*.litmus`]);
  }
  return readdirSync(dir).filter((f) => f.endsWith('.litmus')).sort().map((f) => join(dir, f));
}

async function reaches(t: Litmus, memory: MemoryModel): Promise<boolean> {
  const instance = litmusModel(t).instantiate('reference', {});
  const r = await explore(new InlineEngine(instance, memory), new DfsStrategy(Number.POSITIVE_INFINITY, { index: 0, count: 1 }, true));
  if (r.violation) return r.violation.invariant === 'exists';
  expect(r.complete, `${t.name} under ${memory}: the search did not complete`).toBe(true);
  return false;
}

if (!tarball) {
  describe('LKMM litmus tests', () => {
    it.skip('skipped: Debian\'s linux-source package is not installed (apt-get install linux-source; .ci/run does it), so /usr/src/linux-source-*.tar.xz is missing', () => {});
  });
} else {
  describe('LKMM litmus tests (linux-source)', () => {
    const files = litmusFiles();
    const parsed = files.map((f) => parseLitmus(readFileSync(f, 'utf8')));
    const subset = parsed.flatMap((x) => (x.ok ? [x.litmus] : []));

    it('the subset and what is left out, with reasons', () => {
      const left = parsed.flatMap((x) => (x.ok ? [] : [`${x.name}: ${x.why}`]));
      console.log(`LKMM litmus tests: ${files.length} files, ${subset.length} in the subset (${subset.map((t) => t.name).join(', ')}); left out:\n  ${left.join('\n  ')}`);
      expect(subset.length).toBeGreaterThanOrEqual(10);
      expect(subset.some((t) => t.expected === 'Never') && subset.some((t) => t.expected === 'Sometimes')).toBe(true);
    });

    it.each(subset.map((t) => [t.name, t] as const))('%s: weak agrees with the file; sc and tso allow no more', async (_, t) => {
      const weak = await reaches(t, 'weak');
      expect(weak ? 'Sometimes' : 'Never').toBe(t.expected);
      const tso = await reaches(t, 'tso');
      const sc = await reaches(t, 'sc');
      if (tso) expect(weak).toBe(true);
      if (sc) expect(tso).toBe(true);
    }, 60_000);
  });
}
