/**
 * How long each long command takes to stop after SIGINT or SIGTERM: from the signal until the
 * process (and every process it started) is gone, with its report printed. The reference, measured
 * in the same run, is a bare Node.js process that exits on the signal.
 *
 *   npx tsx bench/signals.ts [--repeat 3]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');
const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1]) || 3;

function children(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name), ...children(Number(name)));
    } catch { /* gone */ }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

async function measure(argv: string[], sig: 'SIGINT' | 'SIGTERM', settleMs: number, readyCount = 1): Promise<{ ms: number; code: number | null; left: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vv-bench-sig-'));
  writeFileSync(join(dir, 'hung.py'), 'import time\ntime.sleep(1000)\n');
  writeFileSync(join(dir, 'n.json'), JSON.stringify({ corpus: false }));
  const ready = join(dir, '.ready');
  const child = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: 'true', VIRTIO_VERIFY_READY_FILE: ready } });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while ((existsSync(ready) ? readFileSync(ready, 'utf8').split('\n').filter(Boolean).length : 0) < readyCount) {
    if (Date.now() - t0 > 60_000) throw new Error(`${argv.join(' ')} never got ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, settleMs));
  const tree = children(child.pid!);
  const sent = performance.now();
  child.kill(sig);
  const code = await exit;
  while (tree.some(alive)) await new Promise((r) => setTimeout(r, 5));
  return { ms: performance.now() - sent, code, left: tree.filter(alive).length };
}

const cases: [string, string[], 'SIGINT' | 'SIGTERM', number, number?][] = [
  ['reference: node exiting on SIGINT', [process.execPath, '-e', 'require("fs").appendFileSync(process.env.VIRTIO_VERIFY_READY_FILE, process.pid + "\\n"); process.on("SIGINT", () => process.exit(3)); setInterval(() => {}, 1000)'], 'SIGINT', 2000],
  ['check (dfs, bound 8)', [process.execPath, bin, 'check', 'config-gencount', '--no-reduction', '--preemptions', '8', '--json'], 'SIGINT', 2000],
  ['check --all', [process.execPath, bin, 'check', '--all', '--json'], 'SIGTERM', 6000],
  ['check --workers 2', [process.execPath, bin, 'check', 'config-gencount', '--no-reduction', '--preemptions', '8', '--workers', '2', '--json'], 'SIGINT', 2000, 3],
  ['nightly (built-in suite)', [process.execPath, bin, 'nightly', '--budget', '10m', '--json'], 'SIGTERM', 8000],
  ['validate, hung process device', [process.execPath, bin, 'validate', '--impl', 'python3 hung.py', '--role', 'device', '--scheme', 'transport-msg', '--step-timeout', '60s'], 'SIGTERM', 2000],
  ['fuzz (builtin)', [process.execPath, bin, 'fuzz', 'transport-msg-device', '--time', '10m'], 'SIGTERM', 2000],
];

console.log(`signal to gone, best and worst of ${repeat}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('| command | signal | best ms | worst ms | exit | processes left |');
console.log('|---|---|---|---|---|---|');
for (const [name, argv, sig, settle, readyCount] of cases) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(await measure(argv, sig, settle, readyCount));
  const ms = runs.map((r) => r.ms);
  console.log(`| ${name} | ${sig} | ${Math.min(...ms).toFixed(0)} | ${Math.max(...ms).toFixed(0)} | ${[...new Set(runs.map((r) => r.code))].join(', ')} | ${Math.max(...runs.map((r) => r.left))} |`);
}
