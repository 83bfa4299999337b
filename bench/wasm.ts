/**
 * What running C under the gate costs: the build and gate pass, one fresh instance, and the
 * exploration itself against the reference model on the same scenario (bench/RESULTS.md).
 *
 *   npx tsx bench/wasm.ts [--repeat 3]
 *
 * The C is the shipped good examples (examples/c); dfs without reduction at bound 2 visits the
 * same executions for the reference and for the C implementation, so the figures compare per step.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findModel } from '../models/index.ts';
import { resolveParams } from '../harness/core/model.ts';
import { compileC, findWasmToolchain } from '../harness/adapters/wasm/build.ts';
import { GatedInstance } from '../harness/adapters/wasm/gated-instance.ts';
import { loadGatedCode } from '../harness/adapters/wasm/load.ts';
import { wasmInstance } from '../harness/adapters/wasm/model.ts';
import { wasmRole } from '../harness/adapters/wasm/roles.ts';
import { announceWasmOnMainThread, wasmModelUrl } from '../harness/adapters/wasm/worker-model.ts';
import type { Engine } from '../harness/engine/engine.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { createThreadsEngine } from '../harness/engine/threads/threads-engine.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' } } });
const repeat = Number(values.repeat);
const root = join(import.meta.dirname, '..');
const tools = findWasmToolchain();
if ('missing' in tools) throw new Error(tools.missing);
const dir = mkdtempSync(join(tmpdir(), 'vv-bench-wasm-'));

const best = <T extends { seconds: number }>(runs: T[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const ms = (t0: number) => performance.now() - t0;

const cases = [
  { scheme: 'config-gencount', role: 'driver', file: 'gencount-driver-good.c' },
  { scheme: 'vring-split', role: 'device', file: 'split-device-good.c' },
];

console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, repeat ${repeat}\n`);
console.log('| implementation | clang ms | gate pass ms (uncached) | instance µs |');
console.log('|---|---|---|---|');
const code = new Map<string, ReturnType<typeof loadGatedCode>>();
for (const c of cases) {
  const wasm = join(dir, `${c.file}.wasm`);
  let t0 = performance.now();
  compileC(tools, join(root, 'examples', 'c', c.file), wasm, [`-I${join(root, 'examples', 'c')}`]);
  const clang = ms(t0);
  // The pass itself, in its own process as validate runs it (the cache would hide it).
  t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'harness', 'adapters', 'wasm', 'gate-main.mjs'), wasm, join(dir, `${c.file}.gated`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const gate = ms(t0);
  const loaded = loadGatedCode(wasm, c.file);
  code.set(c.file, loaded);
  const inst = findModel(c.scheme).instantiate('reference', {});
  t0 = performance.now();
  for (let i = 0; i < 1000; i++) new GatedInstance(loaded, inst.layout, inst.events.length);
  console.log(`| ${c.file} | ${clang.toFixed(0)} | ${gate.toFixed(0)} | ${(ms(t0)).toFixed(1)} |`);
}

async function run(make: () => Promise<Engine> | Engine) {
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const e = await make();
    runs.push(await explore(e, new DfsStrategy(2)));
    await e.close();
  }
  const b = best(runs);
  return { executions: b.executions, steps: b.steps, seconds: b.seconds, usPerStep: (b.seconds * 1e6) / b.steps };
}

console.log('\n| model, actor | engine | executions | steps | seconds | µs/step |');
console.log('|---|---|---|---|---|---|');
for (const c of cases) {
  const def = findModel(c.scheme);
  const params = resolveParams(def, {});
  const loaded = code.get(c.file)!;
  const role = wasmRole(c.scheme, c.role)!;
  const rows: [string, string, () => Promise<Engine> | Engine][] = [
    [`${c.scheme}, reference ${c.role}`, 'inline', () => new InlineEngine(def.instantiate('reference', params))],
    [`${c.scheme}, C ${c.role}`, 'inline', () => new InlineEngine(wasmInstance(def, role, () => loaded, params))],
    [`${c.scheme}, C ${c.role}`, 'threads', () => {
      const w = { scheme: c.scheme, role: c.role, impl: loaded.cached };
      announceWasmOnMainThread(w);
      return createThreadsEngine({ model: c.scheme, variant: 'reference', params, module: wasmModelUrl(w) }, {});
    }],
  ];
  for (const [what, engine, make] of rows) {
    const r = await run(make);
    console.log(`| ${what} | ${engine} | ${r.executions} | ${r.steps} | ${r.seconds.toFixed(2)} | ${r.usPerStep.toFixed(2)} |`);
  }
}
