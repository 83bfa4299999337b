/**
 * vring-packed: one packed virtqueue between a driver and a device, with the same scenario as
 * vring-split (models/vring-common/scenario.ts): the driver sends `buffers` requests as they fit
 * and takes them back; the device serves them. Request sizes vary (chainLength, 1, 2, ...), so
 * lists of different lengths wrap round a ring of any size (3 by default: not a power of two).
 */
import { defineModel } from '../../harness/core/define-model.ts';
import { UsageError, type ActorDef } from '../../harness/core/model.ts';
import { BUFFERS_PARAM, VRING_MODEL_COMMON, vringActors } from '../vring-common/scenario.ts';
import { newDeviceState } from './device.ts';
import { newDriverState } from './driver.ts';
import { goals } from './goals.ts';
import { invariants } from './invariants.ts';
import { EVENT_WRAP, packedRing, type PackedRing } from './layout.ts';
import { reference, type PackedProtocol } from './protocol.ts';
import { variants } from './variants.ts';

/** The driver and the device running a protocol (the reference, a variant, or any mix of steps). */
export function scenarioActors(proto: PackedProtocol, q: PackedRing): ActorDef[] {
  return vringActors(
    { steps: proto, ctx: () => ({ q, s: newDriverState(q.n), proto }), buffers: q.params.buffers, idKind: 1 },
    { steps: proto, ctx: () => ({ q, s: newDeviceState(), proto }) },
  );
}

export const vringPacked = defineModel<PackedProtocol, PackedRing>({
  name: 'vring-packed',
  summary: 'Packed virtqueue (one descriptor ring with AVAIL/USED flags and wrap counters, driver and device event suppression with ENABLE/DISABLE/DESC), as Linux virtio_ring.c drives it and DPDK vhost / QEMU serve it.',
  guarantees: [
    'Guaranteed (verified within the bound): every available list is used exactly once and comes back with the length the device wrote; the head of a list becomes available last; wrap counters toggle exactly after slot N-1, also for a list of exactly N descriptors; no lost kick or interrupt with ENABLE/DISABLE or with EVENT_IDX (DESC); any queue size, not only powers of two.',
    'Needs barriers: virtio_wmb before a head\'s flags and before a used descriptor\'s flags, virtio_rmb after reading flags, off_wrap before flags, and virtio_mb between publishing and reading the peer\'s event suppression and between re-enabling and re-checking (the missing-mb variants lose a notification under --memory tso).',
    'The device refuses a list longer than N or one that runs into a descriptor that is not available, as "broken ring" (no-actor-error).',
    'Not modelled: indirect descriptors, VIRTIO_F_IN_ORDER, buffer contents (only lengths); the driver reads the device event structure as two 16-bit loads where Linux takes one 32-bit snapshot.',
  ],
  params: [
    { name: 'queueSize', default: 3, min: 1, max: 16, description: 'queue size N (any value: packed rings need not be a power of two)' },
    BUFFERS_PARAM,
    { name: 'chainLength', default: 3, min: 1, max: 16, description: 'longest request (at most N): request sizes go chainLength, 1, 2, ..., chainLength descriptors (the last writable, the others readable), so with chainLength = N the first is a full-ring list' },
    { name: 'eventIdx', default: 1, min: 0, max: 1, description: 'VIRTIO_F_EVENT_IDX negotiated (1: DESC event suppression with off_wrap; 0: ENABLE/DISABLE only)' },
  ],
  ...VRING_MODEL_COMMON,
  reference,
  variants,
  invariants,
  goals,
  build(params) {
    if (params.chainLength > params.queueSize) throw new UsageError(`vring-packed: chainLength=${params.chainLength} is more than queueSize=${params.queueSize} (a list holds at most N descriptors)`);
    const q = packedRing(params);
    return {
      layout: q.layout,
      ctx: q,
      init(state) {
        // Both event structures start at ENABLE, offset 0 in the first lap (wrap counter 1).
        state.write(q.driverEvent.offWrap, EVENT_WRAP);
        state.write(q.deviceEvent.offWrap, EVENT_WRAP);
      },
    };
  },
  actors: scenarioActors,
});
