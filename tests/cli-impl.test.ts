/**
 * What --impl names (harness/adapters/impl-kind.ts). Issue 17: a folder, a .txt file, an unreadable
 * file or a path with a space was taken for an external command, so a path with a space could not
 * be validated at all.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyImpl, implKind } from '../harness/adapters/impl-kind.ts';
import { validate } from '../harness/validate.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'vv-impl-kind-'));
const spaced = join(dir, 'my drivers');
mkdirSync(spaced);
copyFileSync(join(root, 'examples', 'js', 'gencount-driver-buggy.mjs'), join(spaced, 'buggy driver.mjs'));
writeFileSync(join(spaced, 'device.sh'), '#!/bin/sh\nexec python3 "$(dirname "$0")/dev.py"\n');
chmodSync(join(spaced, 'device.sh'), 0o755);
writeFileSync(join(dir, 'notes.txt'), 'text\n');
mkdirSync(join(dir, 'a-folder.mjs'));

describe('classifyImpl', () => {
  it('an existing path is a file, spaces and all: a module, C, or an executable run as it is', () => {
    expect(classifyImpl(join(spaced, 'buggy driver.mjs'))).toEqual({ kind: 'js', path: join(spaced, 'buggy driver.mjs') });
    expect(classifyImpl(join(root, 'examples', 'c', 'gencount-driver-good.c')).kind).toBe('wasm');
    expect(classifyImpl(join(spaced, 'device.sh'))).toEqual({ kind: 'process', path: join(spaced, 'device.sh'), argv: [join(spaced, 'device.sh')] });
  });

  it('anything else is a command line split on blanks', () => {
    expect(classifyImpl('python3 examples/python/virtio_msg_device.py', root)).toEqual({ kind: 'process', argv: ['python3', 'examples/python/virtio_msg_device.py'] });
    expect(classifyImpl('my-device-in-path')).toEqual({ kind: 'process', argv: ['my-device-in-path'] });
  });

  it.each([
    ['a folder', join(dir, 'a-folder.mjs'), /is a folder/],
    ['a .txt file', join(dir, 'notes.txt'), /a \.txt file is none of what it takes/],
    ['a missing module', join(dir, 'missing.mjs'), /no such file/],
    ['a missing path', './nowhere/dev', /no such file/],
    ['nothing', '  ', /not an empty string/],
  ])('%s is bad input', (_, impl, message) => {
    expect(() => classifyImpl(impl)).toThrow(message);
  });

  it('implKind, for job lists, does not throw', () => {
    expect(implKind(join(dir, 'missing.mjs'))).toBe('js');
    expect(implKind(join(dir, 'notes.txt'))).toBe('process');
  });
});

describe('a module in a folder whose name has a space', () => {
  it('is validated (and its bug found) like any other', async () => {
    const r = await validate({ impl: join(spaced, 'buggy driver.mjs'), role: 'driver', scheme: 'config-gencount', preemptions: 1 });
    expect(r.kind).toBe('js');
    expect(r.verdict).toBe('violated');
    const c = r.invariants.find((i) => i.counterexample)!.counterexample!;
    expect(c.implementation).toEqual({ impl: join(spaced, 'buggy driver.mjs'), role: 'driver', path: join(spaced, 'buggy driver.mjs') });
  });
});
