/**
 * config-legacy: virtio-pci's 8-bit config_generation with trap-and-emulate. Every driver access
 * to the config space traps into the device model, so each access is atomic and a read of
 * config_generation runs device code (the spec's rule: bump on the first read after a change).
 * The torn read here is across accesses: a u64 read as two 32-bit halves (bug zoo B23).
 */
import { refs } from '../../harness/core/define-model.ts';
import { defineLayout, type Field, type Layout } from '../../harness/core/layout.ts';
import type { Params } from '../../harness/core/model.ts';

export const NOTES = refs('read-begin', 'read-accept', 'update-begin', 'update-end');

export interface LegacyConfig {
  readonly layout: Layout;
  /** virtio_pci_common_cfg.config_generation (u8, offset 21 in the common config). */
  readonly gen: Field;
  /** Device-private: the config changed since the driver last read the generation. */
  readonly dirty: Field;
  /** Device-specific config, 32-bit accesses (a u64 field is two of them). */
  readonly data: readonly Field[];
  readonly params: Params;
}

export function legacyConfig(params: Params): LegacyConfig {
  const layout = defineLayout((b) => {
    b.at(21).u8('common.config_generation');
    b.at(32).u8('device.config_dirty');
    b.at(64).array('config.data', params.configBytes / 4, 32);
  });
  return {
    layout,
    gen: layout.field('common.config_generation'),
    dirty: layout.field('device.config_dirty'),
    data: layout.array('config.data', params.configBytes / 4),
    params,
  };
}

/** Word i of config version k (the low and high halves of a u64 counter-like value). */
export function configWord(version: number, i: number): number {
  return ((version << 8) | (i + 1)) >>> 0;
}
