/**
 * config-msg (design 2, virtio-msg config semantics): each side keeps its own copy of the config
 * and changes travel as messages over rings in shared memory. The driver learns the config size
 * (GET_DEVICE_INFO), reads the config in chunks (GET_CONFIG), makes `writes` writes of its own
 * (SET_CONFIG), resets the device `resets` times, then follows EVENT_CONFIG. The device's
 * transport answers; its backend makes `updates` changes of its own at any moment, each announced
 * by an EVENT_CONFIG carrying the data.
 */
import { defineModel } from '../../harness/core/define-model.ts';
import { hex } from '../../harness/core/describe.ts';
import type { Params } from '../../harness/core/model.ts';
import type { Program } from '../../harness/core/ops.ts';
import { describeMsgNote } from '../../harness/msg/channel.ts';
import { MAX_MESSAGE_SIZE_PARAM } from '../../harness/msg/limit.ts';
import { backend, transport } from './device.ts';
import { acceptConfig, discover } from './driver.ts';
import { initialConfig, invariants } from './invariants.ts';
import { deviceWord, EVENTS, messageSizeProblem, MSG_NOTES, NOTES, RING_NAMES, shared, STATUS_READY, type Shared } from './layout.ts';
import { reference, type ConfigMsgProtocol, type Driver } from './protocol.ts';
import { variants } from './variants.ts';

/** The driver's script; a driver that marked the device failed stops there. */
function* driver(d: Driver): Program {
  yield* discover(d);
  yield* acceptConfig(d);
  for (let w = 1; w <= d.params.writes && !d.failed; w++) yield* d.proto.writeConfig(d, w);
  for (let r = 0; r < d.params.resets && !d.failed; r++) yield* d.proto.resetDevice(d);
  if (!d.failed) yield* d.proto.followEvents(d);
}

/** The backend's k-th change sets every word to deviceWord(k, i). */
function changes(params: Params): number[][] {
  return Array.from({ length: params.updates }, (_, k) => Array.from({ length: params.configBytes / 4 }, (__, i) => deviceWord(k + 1, i)));
}

/** Notes of the ghost state, rendered as words. */
function describeNote(note: { id: number; name: string }, data: readonly number[]): string | undefined {
  const words = (xs: readonly number[]) => `[${xs.map(hex).join(' ')}]`;
  if (note.id === NOTES['write-intent'].id) {
    const n = (data.length - 1) / 2;
    return `word ${data[0]} := ${words(data.slice(1, 1 + n))}, computed from ${words(data.slice(1 + n))}`;
  }
  if (note.id === NOTES['write-applied'].id) return `word ${data[0]} := ${words(data.slice(1))}`;
  if (note.id === NOTES['config-end'].id || note.id === NOTES['read-begin'].id) return '';
  return describeMsgNote(MSG_NOTES, RING_NAMES, note, data) ?? words(data);
}

export const configMsg = defineModel<ConfigMsgProtocol, Shared>({
  name: 'config-msg',
  summary: 'Design 2 in its virtio-msg form: per-side config copies, chunked GET_CONFIG with a 32-bit generation, SET_CONFIG and EVENT_CONFIG over message rings in shared memory.',
  guarantees: [
    'Guaranteed by the reference (strict profile, verified within the bound): no read assembled from two versions; no driver write applied over a change it had not seen; every request answered once; both copies equal once nothing moves, across a reset that restarts the generation count.',
    'Needs: chunk generations compared (chunks-no-gen-check), events ordered with responses or treated as hints (events-unordered), generations never compared for order (monotonic-drop), and the strict profile with the retry decided by whoever knows the intent of the write (baseline-set-race, strict-profile).',
    'Not guaranteed: progress of a read or write while the device changes the config without pause (the retries can starve); the baseline profile, and the strict profile retried blindly by a transport, lose a device change that crosses a driver write to the same bytes.',
    'The 2026 Linux driver (linux2026-*, docs/virtio-msg-2026-config-race.md): overwriting the cached generation on every event is harmless while nothing trusts the cache; a read bracketed by the cached generation is torn (config-snapshot), across a reset even without a late event; dropping older events does not fix it across a reset, taking both ends of the bracket from the device does; the 5-restart budget fails the device only under churn (failed-only-under-churn), at the price of liveness then.',
  ],
  params: [
    { name: 'configBytes', default: 8, min: 4, max: 64, multipleOf: 4, description: 'bytes of device config (config_size)' },
    { name: 'chunkBytes', default: 4, min: 4, max: 64, multipleOf: 4, description: 'bytes per GET_CONFIG (the default reads the config in two chunks)' },
    { name: 'updates', default: 2, min: 0, max: 20, description: 'config changes the device makes, each announced by EVENT_CONFIG' },
    { name: 'writes', default: 1, min: 0, max: 10, description: 'SET_CONFIG read-modify-writes the driver makes to config word 0' },
    { name: 'resets', default: 1, min: 0, max: 3, description: 'device resets (SET_DEVICE_STATUS 0) after the writes; the device restarts its generation count' },
    { name: 'restartBudget', default: 5, min: 0, max: 10, description: 'restarts of a whole-config read before the 2026 Linux driver marks the device failed (linux2026-restart-budget)' },
    MAX_MESSAGE_SIZE_PARAM,
    { name: 'slots', default: 4, min: 2, max: 16, description: 'message slots per ring (at least updates + 2: the device publishes under its lock and cannot wait for room)' },
  ],
  paramsProblem: messageSizeProblem,
  events: Object.values(EVENTS),
  notes: Object.values(NOTES),
  reference,
  variants,
  invariants,
  // The device answers and the backend changes the config in atomic steps, and a switch at a
  // blocking point costs no preemption, so one preemption already lets the backend's changes land
  // between any two messages. Bound 2 passes too (13,548 executions, about 25 s).
  defaultPreemptions: 1,
  // Every message goes through one channel: the reduced search runs the same 1228 executions as
  // the plain one at the default bound, at up to twice the cost.
  reduction: false,
  maxSteps: (q) => 4000 + 600 * (q.updates + 1) * (q.writes + q.resets + 2) * Math.ceil(q.configBytes / q.chunkBytes),
  build(params) {
    const mem = shared(params);
    return {
      layout: mem.layout,
      ctx: mem,
      init(state) {
        state.write(mem.dev.status, STATUS_READY);
        initialConfig(params).forEach((w, i) => state.write(mem.dev.config[i], w));
      },
    };
  },
  actors: (proto, mem, params: Params) => {
    const fresh = (): Driver => ({ proto, mem, params, configSize: 0, copy: [], gen: 0, token: 1, refetch: false, failed: false });
    const receiveContext = proto.receiveContext;
    return [
      { name: 'driver', program: () => driver(fresh()) },
      { name: 'device', program: () => transport({ proto, mem, params }) },
      { name: 'backend', program: () => backend({ proto, mem, params }, changes(params)) },
      // The receive context shares only memory (drv.gen, drv.changed) with the driver's thread.
      ...(receiveContext ? [{ name: 'driver-rx', program: () => receiveContext(fresh()) }] : []),
    ];
  },
  describeNote,
});
