/**
 * config-msg: design 2 (per-side config copies exchanged as messages) in its virtio-msg form.
 * Driver and device share nothing but the message rings (harness/msg/channel.ts):
 *   d2v  driver -> device: requests                    doorbell `doorbell`, space `d2v-space`
 *   v2d  device -> driver: responses (and, on a bus that keeps them in order, events)
 *                                                      doorbell `irq`,      space `v2d-space`
 *   evt  device -> driver: events, on a bus that delivers them apart from responses
 *                                                      doorbell `irq`,      space `evt-space`
 *   rxe  device -> driver's receive context: events, on a bus that delivers them apart from
 *        responses to a context of their own (linux2026.ts)
 *                                                      doorbell `rx-irq`,   space `rxe-space`
 * The device is two actors, as a device is a transport that answers requests and a backend that
 * changes the config when the world changes (a link goes down, a disk grows). They share the
 * device's state, which is therefore in shared memory too, changed under the device lock (an
 * atomic section):
 *   dev.status, dev.gen, dev.config[i]   device status, config generation, config words
 * The driver's copy is its private state; notes tell the oracles what it holds. A driver whose bus
 * delivers events in a receive context of its own (the 2026 Linux driver, linux2026.ts) shares two
 * words between that context and the thread that reads the config:
 *   drv.gen      the cached generation (generation() returns it; responses and events set it)
 *   drv.changed  an EVENT_CONFIG arrived: the config-change work is due    doorbell `config-work`
 */
import { refs } from '../../harness/core/define-model.ts';
import { defineLayout, type Field, type Layout } from '../../harness/core/layout.ts';
import type { Params } from '../../harness/core/model.ts';
import { declareRing, ringIn, type MsgNotes, type Ring, type RingSpec } from '../../harness/msg/channel.ts';
import { busMaxMessageSize } from '../../harness/msg/limit.ts';

export const EVENTS = refs('doorbell', 'irq', 'd2v-space', 'v2d-space', 'evt-space', 'config-work', 'rx-irq', 'rxe-space');

export const NOTES = refs(
  'send', 'recv', 'drop',  // channel: a message published, taken, or taken and discarded as malformed
  'config-begin',          // device: its config becomes these words (a device change or an applied SET_CONFIG)
  'config-end',            // device: that change is complete
  'write-applied',         // device: it applies a driver write: [word offset, ...words]
  'read-begin',            // driver: a whole-config read (GET_CONFIG chunks) starts
  'read-accept',           // driver: the read is accepted with these words
  'copy',                  // driver: its copy of the config is now these words
  'write-intent',          // driver: it decides to write [word offset, ...words] computed from [...words it saw]
  'device-failed',         // driver: it gave up a read after [restarts] restarts and marked the device failed
);

export const MSG_NOTES: MsgNotes = { sent: NOTES.send, received: NOTES.recv, dropped: NOTES.drop };

export const RING_NAMES = ['d2v', 'v2d', 'evt', 'rxe'] as const;

export interface Shared {
  readonly layout: Layout;
  readonly d2v: Ring;
  readonly v2d: Ring;
  readonly evt: Ring;
  readonly rxe: Ring;
  /** The device's state, shared by its transport and its backend. */
  readonly dev: { readonly status: Field; readonly gen: Field; readonly config: readonly Field[] };
  /** The driver's words shared by its receive context and its reader (drivers with a receive context only). */
  readonly drv: { readonly gen: Field; readonly changed: Field };
}

/**
 * The bus's maximum message size: the `maxMessageSize` parameter (52..264, default 264). This
 * model's device sends an EVENT_CONFIG carrying the whole config (24 + configBytes bytes) and
 * GET_CONFIG answers of chunkBytes (20 + chunkBytes bytes): a limit below either is bad input.
 */
export function maxMessageBytes(params: Params): number {
  return busMaxMessageSize(params);
}

/** Why the params cannot run (a bus limit too small for this model's messages), or undefined. */
export function messageSizeProblem(params: Params): string | undefined {
  const max = maxMessageBytes(params);
  const need = Math.max(24 + params.configBytes, 20 + params.chunkBytes);
  return need > max
    ? `maxMessageSize ${max} is too small for configBytes ${params.configBytes} and chunkBytes ${params.chunkBytes}: this model's EVENT_CONFIG carries the whole config (24 + configBytes bytes) and a GET_CONFIG answer 20 + chunkBytes bytes, so it needs at least ${need} (--param maxMessageSize=${need})`
    : undefined;
}

export function shared(params: Params): Shared {
  const max = maxMessageBytes(params);
  const specs: RingSpec[] = [
    { name: 'd2v', slots: params.slots, maxMsgBytes: max, doorbell: EVENTS.doorbell, space: EVENTS['d2v-space'] },
    { name: 'v2d', slots: params.slots, maxMsgBytes: max, doorbell: EVENTS.irq, space: EVENTS['v2d-space'] },
    { name: 'evt', slots: params.slots, maxMsgBytes: max, doorbell: EVENTS.irq, space: EVENTS['evt-space'] },
    { name: 'rxe', slots: params.slots, maxMsgBytes: max, doorbell: EVENTS['rx-irq'], space: EVENTS['rxe-space'] },
  ];
  const layout = defineLayout((b) => {
    b.u32('dev.status').u32('dev.gen').array('dev.config', params.configBytes / 4, 32);
    for (const s of specs) declareRing(b, s.name, s.slots, s.maxMsgBytes);
    b.u32('drv.gen').u32('drv.changed');
  });
  const [d2v, v2d, evt, rxe] = specs.map((s, i) => ringIn(layout, s, i));
  const dev = { status: layout.field('dev.status'), gen: layout.field('dev.gen'), config: layout.array('dev.config', params.configBytes / 4) };
  const drv = { gen: layout.field('drv.gen'), changed: layout.field('drv.changed') };
  return { layout, d2v, v2d, evt, rxe, dev, drv };
}

/** Word i of device config version k: readable in a trace, distinct across versions and words. */
export function deviceWord(version: number, i: number): number {
  return ((version << 16) | (i + 1)) >>> 0;
}

/**
 * The driver's w-th write of a word, computed from the value it saw there (a read-modify-write,
 * as a driver that sets one field of a word does): 0xd, the write number, the low 20 bits seen.
 */
export function driverWord(write: number, seen: number): number {
  return (0xd0000000 | ((write & 0xff) << 20) | (seen & 0xfffff)) >>> 0;
}

/** The device status this model's device reports while initialised (ACK|DRIVER|FEATURES_OK|DRIVER_OK). */
export const STATUS_READY = 0x0f;
