/**
 * The VirtIO device model of the npm package `v86`, taken from the package alone: the bundle
 * (build/libv86.mjs) exports only V86 and CPU, but an emulator that is never started exposes the
 * `VirtIO` constructor through its virtio-console device (docs/third-party.md, "v86").
 *
 * This module is the `impl` that validate imports inside the device actor's worker: the emulator
 * is built once there (no BIOS or disk image: autostart is off), the constructor is kept, and the
 * emulator is destroyed again. Nothing of it runs on the main thread.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface V86Emulator {
  add_listener(event: string, f: () => void): void;
  destroy?(): Promise<void> | void;
  v86: { cpu: { devices: { virtio_console: { virtio: { constructor: unknown } } } } };
}

const root = dirname(createRequire(import.meta.url).resolve('v86/package.json'));
export const V86_VERSION = (createRequire(import.meta.url)('v86/package.json') as { version: string }).version;

async function loadVirtIO(): Promise<unknown> {
  const { V86 } = await import(pathToFileURL(join(root, 'build', 'libv86.mjs')).href) as { V86: new (o: object) => V86Emulator };
  const emu = new V86({ wasm_path: join(root, 'build', 'v86.wasm'), memory_size: 16 << 20, autostart: false, virtio_console: true });
  const ctor = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('v86: emulator-loaded did not arrive within 20 s')), 20_000);
    emu.add_listener('emulator-loaded', () => {
      clearTimeout(timer);
      resolve(emu.v86.cpu.devices.virtio_console.virtio.constructor);
    });
  });
  await emu.destroy?.();
  if (typeof ctor !== 'function') throw new Error('v86: the virtio-console device has no VirtIO constructor');
  return ctor;
}

/** v86's `VirtIO` class (src/virtio.js), as the bundle carries it. */
export const VirtIO = await loadVirtIO();
