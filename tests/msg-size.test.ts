/**
 * The bus's maximum message size is the maxMessageSize parameter (52..264, default 264): a legal
 * 64-byte EVENT_CONFIG is accepted at the default and a finding at 52, whose message names the
 * limit and how to change it; validate states the limit applied.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, encode, tryDecode } from '../harness/msg/codec.ts';
import type { Message } from '../harness/msg/types.ts';
import { renderValidateReport, validate, validateJson } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
// EVENT_CONFIG: 8-byte header, status, generation, offset, length, then 40 data bytes: 64 bytes.
const event: Message = { kind: 'EVENT_CONFIG', devNum: 0, token: 0, deviceStatus: 0xf, generation: 1, offset: 0, length: 40, data: Array.from({ length: 40 }, (_, i) => i) };

describe('the bus maximum message size', () => {
  it('a 64-byte EVENT_CONFIG is accepted at the default 264 and rejected at 52 (codec)', () => {
    const bytes = encode(event, { maxSize: 264 });
    expect(bytes.length).toBe(64);
    expect(decode(bytes, { maxSize: 264 }).kind).toBe('EVENT_CONFIG');
    const r = tryDecode(bytes, { maxSize: 52 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('bad-size');
    expect(() => encode(event, { maxSize: 52 })).toThrow(/maximum message size 52/);
  });

  // The example device with a 40-byte config, announcing it whole in one EVENT_CONFIG after DRIVER_OK.
  const dir = mkdtempSync(join(tmpdir(), 'vv-msgsize-'));
  const script = join(dir, 'big_event_device.py');
  writeFileSync(script, [
    'import struct, sys',
    `sys.path.insert(0, ${JSON.stringify(join(root, 'examples', 'python'))})`,
    'import virtio_msg_device as d',
    'd.CONFIG = bytes(range(40))',
    'class Big(d.Device):',
    '    sent = False',
    '    def handle(self, typ, mid, dev, token, body):',
    '        out = super().handle(typ, mid, dev, token, body)',
    '        if mid == 0x08 and self.status & d.DRIVER_OK and not self.sent:',
    '            self.sent = True',
    '            payload = struct.pack("<IIII", self.status, 0, 0, len(d.CONFIG)) + d.CONFIG',
    '            out = out + [struct.pack("<BBHHH", 0, 0x40, dev, 0, 8 + len(payload)) + payload]',
    '        return out',
    'd.serve(Big())',
    '',
  ].join('\n'));
  const impl = `python3 ${script}`;

  it('validate accepts the 64-byte event at the default and states the limit', async () => {
    const r = await validate({ impl, role: 'device', scheme: 'transport-msg' });
    expect(r.invariants.find((i) => i.name === 'well-formed-messages')?.status).not.toBe('violated');
    expect(renderValidateReport(r)).toContain('bus maximum message size: 264 bytes (--param maxMessageSize=N)');
    expect(validateJson(r)).toMatchObject({ maxMessageSize: 264 });
  }, 20_000);

  it('validate rejects it at maxMessageSize=52, naming the limit and how to change it', async () => {
    const r = await validate({ impl, role: 'device', scheme: 'transport-msg', params: { maxMessageSize: 52 } });
    const w = r.invariants.find((i) => i.name === 'well-formed-messages');
    expect(w?.status).toBe('violated');
    expect(w?.finding?.message).toMatch(/52 bytes.*--param maxMessageSize=N/);
    expect(renderValidateReport(r)).toContain('bus maximum message size: 52 bytes');
  }, 20_000);
});
