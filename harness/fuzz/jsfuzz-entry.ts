/**
 * The jsfuzz target (bundled to CommonJS by harness/fuzz/jsfuzz.ts, since jsfuzz loads its target
 * with require and instruments it with istanbul's require hook). The input bytes are read as the
 * byte form of a stream (harness/fuzz/stream.ts); an oracle violation is thrown, which jsfuzz
 * records as a crash. Target and variant come from VV_FUZZ_TARGET and VV_FUZZ_VARIANT.
 */
import { bytesToSteps } from './stream.ts';
import { findTarget } from './targets/index.ts';

const target = findTarget(process.env.VV_FUZZ_TARGET ?? 'transport-msg-device');
const variant = process.env.VV_FUZZ_VARIANT ?? 'reference';
if (!target) throw new Error(`unknown fuzz target ${process.env.VV_FUZZ_TARGET}`);

export function fuzz(buf: Buffer): void {
  const v = target!.run(bytesToSteps(buf), variant);
  if (v) throw new Error(`virtio-verify finding ${v.oracle}@${v.location}: ${v.message}`);
}
