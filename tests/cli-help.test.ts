/** Per-command help, --version, and the status line on a terminal (silent elsewhere). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../harness/cli.ts';
import { COMMANDS } from '../harness/cli/options.ts';
import { StatusLine, rateText, reachText } from '../harness/report/status-line.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');

async function output(...argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(argv, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('help and version', () => {
  it('--version is the version in package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(await output('--version')).toEqual({ code: 0, text: `virtio-verify ${pkg.version}` });
  });

  it('--help lists every command', async () => {
    const r = await output('--help');
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.text).toMatch(new RegExp(`^  ${c.name} `, 'm'));
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s --help: its own page with every option, its default and form, an example and the exit codes', async (name, spec) => {
    const r = await output(name, '--help');
    expect(r.code).toBe(0);
    expect(r.text).toMatch(new RegExp(`^usage: virtio-verify ${name}`));
    const flat = r.text.replace(/\s+/g, ' ');
    for (const o of spec.options) {
      expect(r.text).toContain(`--${o.name}`);
      if (o.default) expect(flat).toContain(`default: ${o.default}`);
      if (o.accepts && o.value) expect(flat).toContain(`${o.value}: ${o.accepts}`);
    }
    expect(r.text).toMatch(/\nexamples:\n  npx virtio-verify /);
    expect(r.text).toMatch(/\nexit codes: 0 /);
    expect(await output('help', name)).toEqual(r);
    // Issue 17: every command printed the same global page.
    expect(r.text).not.toEqual((await output('--help')).text);
  });

  it('check --help names every memory model, weak among them', async () => {
    expect((await output('check', '--help')).text).toMatch(/--memory M .*sc .*tso .*weak/s);
  });

  it('help for a command ignores the rest of the line (no work starts)', async () => {
    expect((await output('check', 'config-gencount', '--budget', 'soon', '--help')).code).toBe(0);
  });
});

describe('the status line', () => {
  const stream = (isTTY: boolean) => { const writes: string[] = []; return { writes, s: { write: (x: string) => writes.push(x), isTTY, columns: 40 } }; };

  it('is redrawn in place on a terminal, cut to its width, and cleared', () => {
    const { writes, s } = stream(true);
    const line = new StatusLine(s, undefined);
    if (!line.interactive) return; // CI=true in the environment: covered by the next test
    line.show('check config-gencount/reference: 12,345 executions · 4,100/s · 3 s');
    expect(writes[0].startsWith('\r\x1b[2K')).toBe(true);
    expect(writes[0].length).toBeLessThanOrEqual('\r\x1b[2K'.length + 39);
    line.clear();
    expect(writes[1]).toBe('\r\x1b[2K');
  });

  it('is silent when not a terminal, or under CI=true', () => {
    for (const [tty, ci] of [[false, undefined], [true, 'true']] as const) {
      const { writes, s } = stream(tty);
      const saved = process.env.CI;
      if (ci === undefined) delete process.env.CI; else process.env.CI = ci;
      try {
        const line = new StatusLine(s);
        line.show('anything');
        line.clear();
      } finally {
        if (saved === undefined) delete process.env.CI; else process.env.CI = saved;
      }
      expect(writes).toEqual([]);
    }
  });

  it('says executions, rate, elapsed time and how far the search got', () => {
    expect(rateText(12345, 3)).toBe('12,345 executions · 4,115/s · 3 s');
    expect(reachText({ complete: false, space: '', details: { estimatedFractionExplored: 0.4213, preemptionsReached: 2 } })).toBe('~42.1% of the bound · at 2 preemptions');
    expect(reachText({ complete: false, space: '', details: { depth: 3, allRunsProbability: 0.5 } })).toBe('finds a depth-3 bug with probability >= 50.0%');
  });

  const script = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!script)('check on a real terminal shows it; the same run under CI=true does not', () => {
    const cmd = `${process.execPath} ${bin} check config-gencount --no-reduction --preemptions 8 --budget 2500ms`;
    const onTty = (ci: string) => spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', cwd: root, env: { ...process.env, CI: ci } });
    const tty = onTty('');
    expect(tty.stdout).toMatch(/\r\x1b\[2Kcheck config-gencount\/reference: [\d,]+ executions · [\d,]+\/s · \d+ s · ~[\d.]+% of the bound/);
    expect(tty.stdout).toMatch(/INCOMPLETE \(budget exhausted\)/);
    const ci = onTty('true');
    expect(ci.stdout).not.toMatch(/\x1b\[2K/);
    expect(ci.stdout).toMatch(/INCOMPLETE \(budget exhausted\)/);
  });
});
