/**
 * Coverage goals: the default run of each vring model reaches every goal; a run whose parameters
 * cannot reach one reports it missed (verdict line, JSON), and --require-coverage exits 3.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import { main } from '../harness/cli.ts';
import { missedGoals } from '../harness/oracle/coverage-goals.ts';
import { findModel } from '../models/index.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(argv, (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

describe('coverage goals', () => {
  for (const model of ['vring-split', 'vring-packed', 'config-gencount']) {
    it(`the default run of ${model} reaches every goal`, async () => {
      const r = await check({ model });
      expect(r.verdict).toBe('passed');
      expect(r.goals.map((g) => g.name)).toEqual(findModel(model).goals!.list.map((g) => g.name));
      for (const g of r.goals.filter((x) => x.applies)) expect(g.executions, g.name).toBeGreaterThan(0);
      // Only vring-split's chain is ruled out by default (lastChainLength=1, see its parameter).
      expect(r.goals.filter((x) => !x.applies).map((x) => x.name)).toEqual(model === 'vring-split' ? ['chain'] : []);
      expect(missedGoals(r.goals)).toEqual([]);
    });
  }

  it('vring-split goals include the 16-bit wrap, suppression and a chain', () => {
    expect(findModel('vring-split').goals!.list.map((g) => g.name)).toEqual(
      ['index-wrap', 'notification-sent', 'notification-suppressed', 'suppression-toggled', 'recheck-found-work', 'chain'],
    );
    expect(findModel('vring-packed').goals!.list[0].name).toBe('wrap-counter-flip');
  });

  it('vring-split with lastChainLength=2 ends with a chain and reaches every goal', async () => {
    const r = await check({ model: 'vring-split', params: { lastChainLength: 2 } });
    expect(r.verdict).toBe('passed');
    expect(r.goals.every((g) => g.applies && g.executions > 0)).toBe(true);
  });

  it('a run from index 0 with few buffers misses the wrap and says so; a goal the parameters rule out is not missed', async () => {
    const r = await check({ model: 'vring-split', params: { startIndex: 0, buffers: 2, lastChainLength: 1 } });
    expect(r.verdict).toBe('passed');
    expect(missedGoals(r.goals)).toEqual(['index-wrap']);
    expect(r.goals.find((g) => g.name === 'chain')?.applies).toBe(false);
  });

  it('the verdict line names the missed goal; JSON lists it; --require-coverage exits 3', async () => {
    const args = ['check', 'vring-split', '--param', 'startIndex=0', '--param', 'buffers=2'];
    const plain = await cli(args);
    expect(plain.code).toBe(0);
    expect(plain.out.split('\n')[0]).toMatch(/^vring-split\/reference: PASSED, complete: .*; coverage goals missed: index-wrap \(/);
    expect(plain.out).toMatch(/index-wrap\s+MISSED/);
    const json = await cli([...args, '--json']);
    const doc = JSON.parse(json.out) as { goalsMissed: string[]; goals: { name: string; executions: number }[] };
    expect(doc.goalsMissed).toEqual(['index-wrap']);
    expect(doc.goals.find((g) => g.name === 'notification-sent')!.executions).toBeGreaterThan(0);
    expect((await cli([...args, '--require-coverage'])).code).toBe(3);
    // The default run reaches every goal: --require-coverage passes.
    const ok = await cli(['check', 'vring-split', '--require-coverage']);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')[0]).not.toMatch(/missed/);
  });

  it('validate counts the goals over the implementation\'s run: CONFORMS with a missed goal says so, and --require-coverage exits 3', async () => {
    const args = ['validate', '--impl', 'examples/c/split-device-good.c', '--role', 'device', '--scheme', 'vring-split', '--param', 'startIndex=0', '--param', 'buffers=2'];
    const plain = await cli(args);
    expect(plain.code).toBe(0);
    expect(plain.out.split('\n')[0]).toBe('examples/c/split-device-good.c as the device of vring-split: CONFORMS; coverage goals missed: index-wrap');
    const json = JSON.parse((await cli([...args, '--json'])).out) as { goalsMissed: string[] };
    expect(json.goalsMissed).toEqual(['index-wrap']);
    expect((await cli([...args, '--require-coverage'])).code).toBe(3);
  });
});
