/**
 * Feature bits as sets of bit numbers, and the rules both sides apply: a driver accepts only offered
 * bits, closed under dependencies; a device accepts FEATURES_OK only for such a set (digest section
 * 4, invariant 6). Feature words travel as 32-bit blocks (GET_DEVICE_FEATURES / SET_DRIVER_FEATURES).
 */

/** Core feature bits (digest section 4). */
export const F = {
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  NOTIFICATION_DATA: 38,
  NOTIF_CONFIG_DATA: 39,
  RING_RESET: 40,
} as const;

/** feature -> the features it requires (virtio-net: CTRL_RX requires CTRL_VQ). */
export type Dependencies = Readonly<Record<number, readonly number[]>>;

export type FeatureSet = ReadonlySet<number>;

export function featureSet(bits: Iterable<number>): Set<number> {
  return new Set(bits);
}

/** The 32-bit blocks [block, block + count) of a feature set (bits beyond are zero). */
export function toBlocks(set: FeatureSet, block: number, count: number): number[] {
  const out = new Array<number>(count).fill(0);
  for (const bit of set) {
    const b = Math.floor(bit / 32) - block;
    if (b >= 0 && b < count) out[b] = (out[b] | (1 << (bit % 32))) >>> 0;
  }
  return out;
}

/** The set with blocks [block, block + words.length) replaced by `words`. */
export function withBlocks(set: FeatureSet, block: number, words: readonly number[]): Set<number> {
  const out = new Set([...set].filter((bit) => Math.floor(bit / 32) < block || Math.floor(bit / 32) >= block + words.length));
  words.forEach((w, k) => { for (let i = 0; i < 32; i++) if ((w >>> i) & 1) out.add(32 * (block + k) + i); });
  return out;
}

/** Bits of `set` missing a feature they require. */
export function unmetDependencies(set: FeatureSet, deps: Dependencies): { feature: number; requires: number }[] {
  const out: { feature: number; requires: number }[] = [];
  for (const bit of set) for (const r of deps[bit] ?? []) if (!set.has(r)) out.push({ feature: bit, requires: r });
  return out;
}

/** The largest subset of `wanted` ∩ `offered` closed under `deps` (drop what lacks a requirement, repeat). */
export function acceptable(wanted: FeatureSet, offered: FeatureSet, deps: Dependencies): Set<number> {
  const out = new Set([...wanted].filter((b) => offered.has(b)));
  for (let changed = true; changed;) {
    changed = false;
    for (const { feature } of unmetDependencies(out, deps)) changed = out.delete(feature) || changed;
  }
  return out;
}

export function describeFeatures(set: FeatureSet): string {
  return set.size === 0 ? '{}' : `{${[...set].sort((a, b) => a - b).join(', ')}}`;
}
