// Runs the gate pass in a process of its own: `node gate-main.mjs <in.wasm> <out prefix>` writes
// <out prefix>.wasm and <out prefix>.json (the site table). binaryen.js is imported here natively,
// since under tsx's loader its 10 MB module takes seconds; only gate-pass.ts goes through tsx
// (a namespaced registration, which leaves every other import alone).
// Exit 0: done; exit 3: the module cannot be gated (the reason on stderr); other: a crash.
import { readFileSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';
import { register } from 'tsx/esm/api';

const [input, out] = process.argv.slice(2);
const api = register({ namespace: 'virtio-verify-gate' });
const { gateModule, GatePassError } = await api.import('./gate-pass.ts', import.meta.url);
try {
  const gated = gateModule(binaryen, new Uint8Array(readFileSync(input)));
  writeFileSync(`${out}.wasm`, gated.wasm);
  writeFileSync(`${out}.json`, JSON.stringify({ sites: gated.sites, suspending: gated.suspending }));
} catch (e) {
  if (!(e instanceof GatePassError)) throw e;
  process.stderr.write(e.message);
  process.exitCode = 3;
}
