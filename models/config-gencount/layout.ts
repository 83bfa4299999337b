/**
 * config-gencount: the config space over plain shared memory with a 32-bit generation counter,
 * odd while the device is updating (a seqlock). One event per direction:
 *   config-irq       device -> driver: "the device changed the config"
 *   config-doorbell  driver -> device: "the driver wrote its fields"
 * Each direction also has a flag in shared memory that coalesces notifications, as an interrupt
 * status bit does: the sender raises the event only when it sets the flag from 0 to 1.
 */
import { refs } from '../../harness/core/define-model.ts';
import { defineLayout, type Field, type Layout } from '../../harness/core/layout.ts';
import type { Params } from '../../harness/core/model.ts';

export const EVENTS = refs('config-irq', 'config-doorbell');

export const NOTES = refs(
  'read-begin',   // driver: a config read starts
  'read-accept',  // driver: the read returned these words
  'update-begin', // device: an update to these words starts
  'update-end',   // device: the update is complete
  'write-begin',  // driver: a write of its fields (these words) starts
  'write-end',    // driver: the write is complete
  'apply-begin',  // device: it starts reading the driver's fields
  'apply',        // device: it took these words as the driver's config
);

export interface ConfigSpace {
  readonly layout: Layout;
  /** The generation counter: odd while an update is in progress. */
  readonly gen: Field;
  /** Device-written config, one 32-bit word per field. */
  readonly data: readonly Field[];
  /** Set by the device when it changed the config, cleared by the driver (the config-change status bit). */
  readonly devChanged: Field;
  /** Driver-written config. */
  readonly drv: readonly Field[];
  /** Set by the driver when it wrote its fields, cleared by the device once it took them. */
  readonly drvChanged: Field;
  readonly params: Params;
}

export function configSpace(params: Params): ConfigSpace {
  const layout = defineLayout((b) => {
    b.u32('config.gen');
    b.u32('config.dev_changed');
    b.u32('config.drv_changed');
    b.array('config.data', params.configBytes / 4, 32);
    b.array('config.drv', params.driverBytes / 4, 32);
  });
  return {
    layout,
    gen: layout.field('config.gen'),
    data: layout.array('config.data', params.configBytes / 4),
    devChanged: layout.field('config.dev_changed'),
    drv: layout.array('config.drv', params.driverBytes / 4),
    drvChanged: layout.field('config.drv_changed'),
    params,
  };
}

/** Word i of device config version k: readable in a trace, distinct across versions and words. */
export function deviceWord(version: number, i: number): number {
  return ((version << 16) | (i + 1)) >>> 0;
}

/** Word j of the driver's w-th write (w from 1): 0xd... marks a driver-written value. */
export function driverWord(write: number, j: number): number {
  return (0xd0000000 | (write << 16) | (j + 1)) >>> 0;
}
