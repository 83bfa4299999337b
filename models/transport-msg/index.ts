/**
 * transport-msg: the virtio-msg transport (device info, features, status, virtqueues, reset,
 * notifications) between the reference driver and the reference device, each a sans-IO object
 * (models/transport-msg/reference) run by a host actor over message rings in shared memory.
 *
 * The driver initialises the device as the draft orders it (probe, reset and wait for status 0,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK, config, queues, DRIVER_OK), fills queue 0 before
 * DRIVER_OK (no notification allowed yet), then for every other queue configures it, fills it,
 * notifies it while still disabled and enables it (a queue provisioned late), makes more buffers
 * available on queue 0 and notifies, waits until everything is used, and resets queue 0. With
 * `probes`, it also sends what a conforming driver never does (a status write clearing a bit, a
 * queue setup before FEATURES_OK, a feature write after FEATURES_OK, queue index 0xffffffff), to
 * check that the device refuses it.
 */
import { hex } from '../../harness/core/describe.ts';
import { defineModel } from '../../harness/core/define-model.ts';
import type { Params } from '../../harness/core/model.ts';
import type { NoteRef, Program } from '../../harness/core/ops.ts';
import { describeMsgNote } from '../../harness/msg/channel.ts';
import { MAX_MESSAGE_SIZE_PARAM } from '../../harness/msg/limit.ts';
import { STATUS, VQ_STATE } from '../../harness/msg/types.ts';
import { DeviceHost, DriverHost } from './host.ts';
import { invariants } from './invariants.ts';
import {
  CONFIG, DEPENDENCIES, EVENTS, INITIAL_STATUS, maxMessageSize, MSG_NOTES, NOTES, OFFERED, QUEUE_MAX, QUEUE_SIZE, queueAddrs, REQUIRED, RING_NAMES, shared, WANTED,
  type Shared,
} from './layout.ts';
import { reference, type TransportProtocol } from './protocol.ts';
import type { DeviceOptions } from './reference/device.ts';
import type { DriverOptions } from './reference/driver.ts';
import { F, toBlocks } from './reference/features.ts';
import { variants } from './variants.ts';

const BAD_INDEX = 0xffffffff;

export function deviceOptions(params: Params): DeviceOptions {
  return {
    deviceId: 1, offered: OFFERED, required: REQUIRED, dependencies: DEPENDENCIES, config: CONFIG, maxVirtqueues: params.queues,
    queueMaxSize: QUEUE_MAX, profile: 'strict', resetCompletion: 'async', initialStatus: INITIAL_STATUS, maxMessageSize: maxMessageSize(params),
  };
}

export function driverOptions(params: Params): DriverOptions {
  return { wanted: WANTED, dependencies: DEPENDENCIES, chunkBytes: 4, maxMessageSize: maxMessageSize(params) };
}

function* driver(h: DriverHost, params: Params): Program {
  yield* scenario(h, params);
  for (;;) yield* h.takeOne();
}

function* scenario(h: DriverHost, params: Params): Program {
  const d = h.drv;
  const step = function* (op: Parameters<DriverHost['run']>[0]): Program<boolean> {
    yield* h.run(op);
    return d.failed === undefined;
  };
  const probe = params.probes > 0;
  if (!(yield* step(d.probe())) || !(yield* step(d.reset())) || !(yield* step(d.acknowledge()))) return;
  if (probe) {
    yield* step(d.request({ kind: 'SET_DEVICE_STATUS', status: STATUS.DRIVER }));
    yield* step(d.request({ kind: 'SET_VQUEUE', index: 0, flags: VQ_STATE.ENABLE, size: QUEUE_SIZE, reserved: 0, ...queueAddrs(0) }));
  }
  if (!(yield* step(d.negotiateFeatures()))) return;
  if (probe) yield* step(d.request({ kind: 'SET_DRIVER_FEATURES', blockIndex: 0, features: toBlocks(new Set([F.VERSION_1, F.NOTIFICATION_DATA, F.RING_RESET]), 0, 2) }));
  if (!(yield* step(d.readConfig()))) return;
  for (let i = 0; i < params.queues; i++) {
    if (!(yield* step(d.setupQueue({ index: i, size: QUEUE_SIZE, ...queueAddrs(i), enable: i === 0 })))) return;
  }
  if (probe) {
    yield* step(d.request({ kind: 'GET_VQUEUE', index: BAD_INDEX }));
    d.notify(BAD_INDEX);
  }
  const b = params.buffers;
  yield* h.makeAvailable(0, b);
  if (!(yield* step(d.driverOk()))) return;
  for (let i = 1; i < params.queues; i++) {
    yield* h.makeAvailable(i, b);
    d.notify(i, b);
    if (!(yield* step(d.enableQueue(i)))) return;
  }
  yield* h.makeAvailable(0, 2 * b);
  d.notify(0, 2 * b);
  yield* h.flush();
  for (let i = 0; i < params.queues; i++) yield* h.awaitUsed(i, i === 0 ? 2 * b : b);
  if (params.queueReset > 0) yield* step(d.resetQueue(0));
}

function describeNote(note: NoteRef, data: readonly number[]): string | undefined {
  const blocks = (xs: readonly number[]) => {
    const bits: number[] = [];
    xs.forEach((w, k) => { for (let i = 0; i < 32; i++) if ((w >>> i) & 1) bits.push(32 * k + i); });
    return `{${bits.join(', ')}}`;
  };
  switch (note.name) {
    case 'dev-status': return `status ${hex(data[0])}`;
    case 'dev-features': return `driver features ${blocks(data)}`;
    case 'negotiated': return data.length ? `negotiated ${blocks(data)}` : 'negotiated features forgotten';
    case 'vq-state': return `queue ${data[0]}: ${data[1] ? 'enabled' : 'disabled'}, size ${data[2]}, desc ${hex(data[3])}`;
    case 'used': return `queue ${data[0]}: used_idx ${data[1]} -> ${data[2]}`;
    case 'avail': return `queue ${data[0]}: avail_idx ${data[1]}`;
    case 'reset-begin': case 'reset-done': return '';
    default: return describeMsgNote(MSG_NOTES, RING_NAMES, note, data);
  }
}

export const transportMsg = defineModel<TransportProtocol, Shared>({
  name: 'transport-msg',
  summary: 'The virtio-msg transport: device info, feature negotiation, the status state machine, virtqueue setup/enable/reset, notifications and reset, between the sans-IO reference driver and device.',
  guarantees: [
    'Guaranteed by the reference pair (verified within the bound): every request answered once with its token; every message well formed; the device status only rises ACK, DRIVER, FEATURES_OK, DRIVER_OK (or goes to 0 on a reset the driver asked for); the driver waits for status 0 after a reset and for FEATURES_OK to read back; negotiated features are offered, closed and frozen; queues change only by SET_VQUEUE (after FEATURES_OK, all-or-nothing, never on an enabled queue), RESET_VQUEUE (with RING_RESET) or reset; no buffer used on a queue that is not live; every buffer made available on a live queue is used and announced.',
    'The device refuses what a conforming driver never sends (probes): status writes clearing bits, queue setup before FEATURES_OK, feature writes after FEATURES_OK, queue index 0xffffffff.',
    'Not modelled here: config changes by the device (config-msg), buffers and descriptors (vring-split), several outstanding requests, bus-level messages, out-of-band doorbells.',
  ],
  params: [
    { name: 'queues', default: 2, min: 1, max: 4, description: 'virtqueues (max_virtqueues); queue 0 is set up before DRIVER_OK, the others enabled after it' },
    { name: 'buffers', default: 1, min: 1, max: 4, description: 'buffers made available per batch' },
    { name: 'probes', default: 1, min: 0, max: 1, description: 'send the requests a conforming driver never sends, to check the device refuses them' },
    { name: 'queueReset', default: 1, min: 0, max: 1, description: 'reset queue 0 (RESET_VQUEUE) at the end' },
    MAX_MESSAGE_SIZE_PARAM,
    { name: 'slots', default: 8, min: 4, max: 16, description: 'message slots per ring (at least queues + 2: the device answers under its lock and cannot wait for room)' },
  ],
  events: Object.values(EVENTS),
  notes: Object.values(NOTES),
  reference,
  variants,
  invariants,
  defaultPreemptions: 1,
  // Every message goes through one channel: the reduced search runs the same 64 executions as the
  // plain one at the default bound, at twice the cost.
  reduction: false,
  maxSteps: (q) => 20000 + 4000 * q.queues * q.buffers,
  build(params) {
    const mem = shared(params);
    return { layout: mem.layout, ctx: mem };
  },
  actors: (proto, mem, params) => [
    { name: 'driver', program: () => driver(new DriverHost(proto.makeDriver(driverOptions(params)), mem), params) },
    { name: 'device', program: () => new DeviceHost(proto.makeDevice(deviceOptions(params)), mem).run() },
  ],
  describeNote,
});
