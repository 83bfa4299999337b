/**
 * `validate` with an external process as the transport-msg device (virtio-msg over stdin/stdout):
 * the shipped Python examples, and processes that crash, hang, write garbage, exit or exhaust
 * memory. Each is a finding with the messages exchanged up to it; the tool itself never fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'virtio-verify.js');
const examples = join(root, 'examples', 'python');
const dir = mkdtempSync(join(tmpdir(), 'vv-validate-proc-'));
const python = spawnSync('python3', ['--version']).status === 0;
const prlimit = spawnSync('prlimit', ['--version']).status === 0;

/** A device that behaves as the example until it receives message id `at`, then does `fault`. */
function faulty(name: string, at: number, fault: string): string {
  const file = join(dir, `${name}.py`);
  writeFileSync(file, `import os, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, ${JSON.stringify(examples)})
from virtio_msg_device import Device, serve

class Faulty(Device):
    def handle(self, typ, mid, dev, token, body):
        if mid == ${at}:
${fault.split('\n').map((l) => `            ${l}`).join('\n')}
        return super().handle(typ, mid, dev, token, body)

serve(Faulty())
`);
  return file;
}

const status = (r: Awaited<ReturnType<typeof validate>>) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));

describe.skipIf(!python)('validate: an external process as the transport-msg device', () => {
  it('passes the example device', async () => {
    const r = await validate({ impl: `python3 ${join(examples, 'virtio_msg_device.py')}`, role: 'device', scheme: 'transport-msg' });
    expect(r.kind).toBe('process');
    expect(r.verdict).toBe('passed');
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
  });

  it('finds the lost notification of the buggy device, with the exchange that led there', async () => {
    const r = await validate({ impl: `python3 ${join(examples, 'virtio_msg_device_buggy.py')}`, role: 'device', scheme: 'transport-msg', stepTimeoutMs: 1000 });
    expect(r.verdict).toBe('violated');
    const v = r.invariants.find((i) => i.name === 'no-lost-notification')!;
    expect(v.status).toBe('violated');
    expect(v.finding!.message).toMatch(/live queue 1/);
    expect(v.finding!.exchange).toContain('-> EVENT_AVAIL vqIndex=1 nextOffset=0');
    expect(status(r)['well-formed-messages']).toBe('holds');
  });

  it('command line: exit 0 and 1, JSON with the exchange; a command that cannot run is bad input', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'validate', '--role', 'device', '--scheme', 'transport-msg', ...args], { encoding: 'utf8', cwd: root });
    expect(cli('--impl', 'python3 examples/python/virtio_msg_device.py').status).toBe(0);
    const bad = cli('--impl', 'python3 examples/python/virtio_msg_device_buggy.py', '--step-timeout', '500ms', '--json');
    expect(bad.status).toBe(1);
    const doc = JSON.parse(bad.stdout);
    expect(doc.invariants.find((i: { name: string }) => i.name === 'no-lost-notification').exchange.length).toBeGreaterThan(10);
    const missing = cli('--impl', 'no-such-program-anywhere --flag');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot run no-such-program-anywhere/);
    const wrongScheme = spawnSync(process.execPath, [bin, 'validate', '--impl', 'python3 x.py', '--role', 'driver', '--scheme', 'config-msg'], { encoding: 'utf8', cwd: root });
    expect(wrongScheme.status).toBe(2);
  });

  const faults: [string, number, string, string, RegExp, number?][] = [
    ['crashes', 0x05, 'raise RuntimeError("device model bug")', 'no-actor-error', /ended while the driver waits for the answer to GET_CONFIG .*exited with code 1/],
    ['hangs', 0x05, 'time.sleep(3600)', 'one-response-per-request', /no message within 500 ms while the driver waits for the answer to GET_CONFIG/],
    ['loops forever', 0x05, 'while True: pass', 'one-response-per-request', /no message within 500 ms/],
    ['writes garbage', 0x05, 'os.write(1, b"\\x00\\x05\\x00\\x00\\x0b\\x00\\x03\\x00hello")\nreturn []', 'well-formed-messages', /cannot be framed|malformed/],
    ['answers with a wrong token', 0x05, 'return [bytes([1, 5, 0, 0, 99, 0, 20, 0]) + bytes(12)]', 'one-response-per-request', /wrong kind or token/],
    ['exits quietly', 0x09, 'sys.exit(0)', 'no-actor-error', /exited with code 0/],
    ['exhausts memory', 0x05, 'hog = [bytearray(1 << 20) for _ in range(100000)]', 'no-actor-error', /exited with code 1/, 256],
  ];
  it.each(faults)('a device that %s is a finding, with the exchange, and the tool goes on', async (name, at, code, rule, message, memoryLimitMb) => {
    if (memoryLimitMb !== undefined && !prlimit) return; // util-linux prlimit sets the limit
    const file = faulty(name.replace(/\W+/g, '-'), at, code);
    const r = await validate({ impl: `python3 ${file}`, role: 'device', scheme: 'transport-msg', stepTimeoutMs: 500, memoryLimitMb });
    expect(r.verdict).toBe('violated');
    const v = r.invariants.find((i) => i.name === rule)!;
    expect(v.status).toBe('violated');
    expect(v.finding!.message).toMatch(message);
    expect(v.finding!.exchange[0]).toBe('-> GET_DEVICE_INFO #1');
  });

  // Issue 17: debug text on stdout read as a header announcing a long message, so the device was
  // waited for until the step timeout and reported as hung. A minute of step timeout: the test
  // would time out if the text were still waited for.
  it.each([
    ['prints debug text', 'os.write(1, b"debug: got GET_CONFIG, answering\\n")\nreturn []', /msg_size \d+, more than the \d+ bytes a message may have .*text "debug: got GET_CONFIG/],
    ['writes garbage with a huge size', 'os.write(1, b"\\x00\\x05\\xff\\xff\\x0b\\x00\\xff\\xff" + bytes(8))\nreturn []', /msg_size 65535, more than the \d+ bytes a message may have/],
  ])('a device that %s is a garbage finding at once, not a hang', async (name, code, message) => {
    const file = faulty(name.replace(/\W+/g, '-'), 0x05, code);
    const r = await validate({ impl: `python3 ${file}`, role: 'device', scheme: 'transport-msg', stepTimeoutMs: 60_000 });
    const v = r.invariants.find((i) => i.name === 'well-formed-messages')!;
    expect(v.status).toBe('violated');
    expect(v.finding!.message).toMatch(/cannot be framed as messages/);
    expect(v.finding!.message).toMatch(message);
  });
});
