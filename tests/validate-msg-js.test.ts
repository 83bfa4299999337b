/**
 * `validate` with JavaScript sans-IO objects in the message schemes (docs/third-party.md): the
 * shipped examples, the reference device run through the same interface, and objects that return
 * what is not a message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
const example = (name: string) => join(root, 'examples', 'js', name);
const dir = mkdtempSync(join(tmpdir(), 'vv-validate-msg-'));
const status = (r: Awaited<ReturnType<typeof validate>>) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));

function module(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('validate: a JavaScript transport-msg device', () => {
  it('passes the example device: every invariant holds within the bound, complete', async () => {
    const r = await validate({ impl: example('transport-msg-device-good.mjs'), role: 'device', scheme: 'transport-msg' });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
  });

  it('finds the queue set up before FEATURES_OK in the buggy device', async () => {
    const r = await validate({ impl: example('transport-msg-device-buggy.mjs'), role: 'device', scheme: 'transport-msg' });
    expect(r.verdict).toBe('violated');
    expect(status(r)).toMatchObject({ 'queue-state-rules': 'violated', 'no-actor-error': 'holds', 'well-formed-messages': 'holds' });
    expect(r.invariants.find((i) => i.name === 'queue-state-rules')!.counterexample!.message).toMatch(/queue setup is allowed only once FEATURES_OK is set/);
  });

  it('the reference device, typed as a TransportMsgDevice, passes through the same interface (the facade hides nothing)', async () => {
    const ref = module('reference-device.mts', `import { VirtioMsgDevice, type DeviceOutput } from ${JSON.stringify(join(root, 'models/transport-msg/reference/device.ts'))};
import type { DeviceOptions, TransportDeviceOutput, TransportMsgDevice } from ${JSON.stringify(join(root, 'harness/adapters/msg/roles.ts'))};
const out = (os: DeviceOutput[]): TransportDeviceOutput[] => os.flatMap((o) => (o.type === 'send' ? [o.message] : o.type === 'process-queue' ? [{ process: o.index, nextOffset: o.nextOffset }] : []));
export function createDevice(options: DeviceOptions): TransportMsgDevice {
  const d = new VirtioMsgDevice(options);
  return {
    receive: (m) => out(d.receive(m)), used: (i) => out(d.used(i)), tick: () => out(d.tick()),
    state: () => ({ status: d.status, driverFeatures: d.driverFeatures, resetting: d.resetInProgress, queues: Array.from({ length: d.maxVirtqueues }, (_, i) => d.queue(i)) }),
  };
}
`);
    const r = await validate({ impl: ref, role: 'device', scheme: 'transport-msg', params: { queues: 1 } });
    expect(r.verdict).toBe('passed');
  });

  it('an object that returns what is not a message is a no-actor-error finding naming it', async () => {
    const bad = module('bad-output.mjs', `import { Device } from ${JSON.stringify(example('transport-msg-device-good.mjs'))};
class Bad extends Device { on_GET_CONFIG(m) { return [{ kind: 'GET_CONFIG_RESP', token: m.token }]; } }
export const createDevice = (o) => new Bad(o);
`);
    const r = await validate({ impl: bad, role: 'device', scheme: 'transport-msg', params: { queues: 1 } });
    expect(status(r)['no-actor-error']).toBe('violated');
    expect(r.invariants.find((i) => i.name === 'no-actor-error')!.counterexample!.message).toMatch(/device\.receive\(\) returned .*GET_CONFIG_RESP.*no wire encoding/);
  });

  it('an object that loops forever is a no-actor-error finding after the step timeout, and the tool goes on', async () => {
    const hang = module('hang.mjs', `import { Device } from ${JSON.stringify(example('transport-msg-device-good.mjs'))};
class Hang extends Device { on_GET_CONFIG() { for (;;) {} } }
export const createDevice = (o) => new Hang(o);
`);
    const r = await validate({ impl: hang, role: 'device', scheme: 'transport-msg', params: { queues: 1 }, stepTimeoutMs: 500 });
    expect(status(r)).toMatchObject({ 'no-actor-error': 'violated', 'queue-state-rules': 'not-established' });
    expect(r.invariants.find((i) => i.name === 'no-actor-error')!.counterexample!.message).toMatch(/did not finish its operation within 500 ms/);
  });
});

describe('validate: a JavaScript transport-msg driver', () => {
  it('passes the example driver, and finds the reset the buggy one does not await', async () => {
    const good = await validate({ impl: example('transport-msg-driver-good.mjs'), role: 'driver', scheme: 'transport-msg' });
    expect(good.verdict).toBe('passed');
    expect(Object.values(status(good)).every((s) => s === 'holds')).toBe(true);
    const bad = await validate({ impl: example('transport-msg-driver-buggy.mjs'), role: 'driver', scheme: 'transport-msg', params: { queues: 1 } });
    expect(status(bad)).toMatchObject({ 'reset-completes': 'violated', 'status-sequence': 'holds', 'features-negotiated': 'holds' });
    expect(bad.invariants.find((i) => i.name === 'reset-completes')!.counterexample!.message).toMatch(/SET_DEVICE_STATUS #3 status=0x1 .* had not been reported complete/);
  });
});

describe('validate: a JavaScript config-msg driver', () => {
  it('passes the example driver (chunked reads, a strict write; the reset path runs in the next test)', async () => {
    const r = await validate({ impl: example('config-msg-driver-good.mjs'), role: 'driver', scheme: 'config-msg', params: { updates: 1, resets: 0 } });
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
  });

  it("docs/third-party.md's copy-paste config-msg driver validates as written", async () => {
    const doc = readFileSync(join(root, 'docs', 'third-party.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf('### config-msg driver')))![1];
    const r = await validate({ impl: module('doc-config-driver.mjs', code), role: 'driver', scheme: 'config-msg', params: { updates: 1, resets: 0 } });
    expect(r.verdict).toBe('passed');
  });

  it('finds the events the buggy driver drops as old after a reset', async () => {
    // PCT reaches the schedule (a change on each side of the reset) in far fewer executions than dfs.
    const r = await validate({ impl: example('config-msg-driver-buggy.mjs'), role: 'driver', scheme: 'config-msg', strategy: 'pct', executions: 200, seed: 1 });
    expect(status(r)).toMatchObject({ 'copies-converge': 'violated', 'config-snapshot': 'holds', 'no-lost-update': 'holds' });
    expect(r.invariants.find((i) => i.name === 'copies-converge')!.counterexample!.message).toMatch(/the driver's copy is stale/);
  });
});
