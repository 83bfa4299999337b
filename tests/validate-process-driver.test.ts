/**
 * `validate` with an external process as the transport-msg DRIVER (virtio-msg over stdin/stdout,
 * the reference device answering): the shipped Python examples, drivers that break a rule, and
 * drivers that crash, hang, write garbage or exit early. Each is a finding with the messages
 * exchanged up to it; the tool itself never fails.
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
const dir = mkdtempSync(join(tmpdir(), 'vv-validate-drv-'));
const python = spawnSync('python3', ['--version']).status === 0;

/** A driver that behaves as the example until it sends request id `at`, then does `fault`. */
function faulty(name: string, at: number, fault: string): string {
  const file = join(dir, `${name}.py`);
  writeFileSync(file, `import os, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, ${JSON.stringify(examples)})
from virtio_msg_driver import Driver

class Faulty(Driver):
    def request(self, mid, fmt="", *values):
        if mid == ${at}:
${fault.split('\n').map((l) => `            ${l}`).join('\n')}
        return super().request(mid, fmt, *values)

sys.exit(Faulty().run())
`);
  return file;
}

const run = (file: string) => validate({ impl: `python3 ${file}`, role: 'driver', scheme: 'transport-msg', stepTimeoutMs: 500 });
const status = (r: Awaited<ReturnType<typeof validate>>) => Object.fromEntries(r.invariants.map((i) => [i.name, i.status]));

describe.skipIf(!python)('validate: an external process as the transport-msg driver', () => {
  it('passes the example driver: every rule holds for the exchange', async () => {
    const r = await validate({ impl: `python3 ${join(examples, 'virtio_msg_driver.py')}`, role: 'driver', scheme: 'transport-msg' });
    expect(r).toMatchObject({ kind: 'process', role: 'driver', verdict: 'passed' });
    expect(Object.values(status(r)).every((s) => s === 'holds')).toBe(true);
  });

  it('finds the reset that is not awaited in the buggy driver, with the exchange', async () => {
    const r = await validate({ impl: `python3 ${join(examples, 'virtio_msg_driver_buggy.py')}`, role: 'driver', scheme: 'transport-msg' });
    expect(r.verdict).toBe('violated');
    const v = r.invariants.find((i) => i.name === 'reset-completes')!;
    expect(v.status).toBe('violated');
    expect(v.finding!.message).toMatch(/SET_DEVICE_STATUS #3 status=0x1 while the reset .*last status read: 0xf/);
    expect(v.finding!.exchange).toEqual(expect.arrayContaining(['-> SET_DEVICE_STATUS #2 status=0x0', '<- SET_DEVICE_STATUS_RESP #2 status=0xf']));
    expect(status(r)['init-completes']).toBe('not-established');
  });

  it('command line: exit 1 for the buggy driver, with the exchange', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '--impl', 'python3 examples/python/virtio_msg_driver_buggy.py', '--role', 'driver', '--scheme', 'transport-msg'], { encoding: 'utf8', cwd: root });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/one scripted exchange with the reference device/);
    expect(r.stdout).toMatch(/-> SET_DEVICE_STATUS #3 status=0x1/);
  });

  const broken: [string, string, string, RegExp][] = [
    ['ignores the refusal of FEATURES_OK and sets DRIVER_OK',
      // Selects RING_RESET without VERSION_1, which the device requires: FEATURES_OK is refused.
      'def negotiate(self, blocks):\n    self.request(0x03, "II", 0, 2)\n    self.request(0x04, "IIII", 0, 2, 0, 1 << 8)\n    self.set_status(self.status | 8)\n    self.status |= 8  # BUG: assumes it stuck\n    return True\ndef setup_queue(self, index):\n    return True',
      'status-sequence', /set DRIVER_OK \(status 0xf\) though the last status it read, 0x3, does not have FEATURES_OK/],
    ['selects a feature without the one it requires', 'def negotiate(self, blocks):\n    self.request(0x03, "II", 0, 2)\n    self.request(0x04, "IIII", 0, 2, 1 << 18, 1)\n    return True',
      'features-negotiated', /bit 18 requires bit 17, not selected/],
    ['sets a queue up before FEATURES_OK', 'def negotiate(self, blocks):\n    self.setup_queue(0)\n    return super().negotiate(blocks)', 'queue-state-rules', /before it read FEATURES_OK back/],
  ];
  it.each(broken)('a driver that %s is a finding', async (name, method, rule, message) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.py`);
    writeFileSync(file, `import sys\nsys.dont_write_bytecode = True\nsys.path.insert(0, ${JSON.stringify(examples)})\nfrom virtio_msg_driver import Driver\n\nclass Broken(Driver):\n${method.split('\n').map((l) => `    ${l}`).join('\n')}\n\nsys.exit(Broken().run())\n`);
    const r = await run(file);
    const v = r.invariants.find((i) => i.name === rule)!;
    expect(v.status).toBe('violated');
    expect(v.finding!.message).toMatch(message);
  });

  const faults: [string, string, string, RegExp][] = [
    ['crashes', 'raise RuntimeError("driver bug")', 'no-actor-error', /ended: it exited with code 1; its stderr ends: .*RuntimeError: driver bug/s],
    ['hangs', 'time.sleep(3600)', 'no-actor-error', /wrote nothing for 500 ms before the device reached DRIVER_OK/],
    ['writes garbage', 'os.write(1, b"\\x00\\x05\\x00\\x00\\x0b\\x00\\x03\\x00hello")', 'well-formed-messages', /cannot be framed|malformed/],
    ['exits early', 'sys.exit(0)', 'init-completes', /exited \(code 0\) before it brought the device to DRIVER_OK/],
    ['retries for ever', 'while True: super().request(0x07)', 'init-completes', /wrote 10000 messages without bringing the device to DRIVER_OK/],
  ];
  it.each(faults)('a driver that %s is a finding, with the exchange, and the tool goes on', async (name, code, rule, message) => {
    const r = await run(faulty(name.replace(/\W+/g, '-'), 0x05, code)); // at GET_CONFIG
    expect(r.verdict).toBe('violated');
    const v = r.invariants.find((i) => i.name === rule)!;
    expect(v.status).toBe('violated');
    expect(v.finding!.message).toMatch(message);
    expect(v.finding!.exchange[0]).toBe('-> GET_DEVICE_INFO #1');
  });
});
