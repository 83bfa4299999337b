/**
 * vring-split: one split virtqueue between a driver and a device.
 *
 * The driver scenario adds `buffers` requests (each a chain of `chainLength` descriptors, the last
 * one writable; the last request has `lastChainLength` when that is longer), as many as fit, kicks, sleeps until the used-buffer interrupt, takes the used
 * buffers back (re-enabling interrupts and re-checking), adds the rest, and ends when every buffer
 * came back. The device sleeps until a kick, then pops, serves and returns chains, interrupting as
 * the suppression state asks, and re-enables kicks (and re-checks) before it sleeps again.
 */
import { defineModel } from '../../harness/core/define-model.ts';
import { UsageError, type ActorDef } from '../../harness/core/model.ts';
import { BUFFERS_PARAM, VRING_MODEL_COMMON, vringActors } from '../vring-common/scenario.ts';
import { newDeviceState } from './device.ts';
import { newDriverState } from './driver.ts';
import { goals } from './goals.ts';
import { invariants } from './invariants.ts';
import { splitRing, type SplitRing } from './layout.ts';
import { reference, type SplitProtocol } from './protocol.ts';
import { variants } from './variants.ts';

/** The driver and the device running a protocol (the reference, a variant, or any mix of steps). */
export function scenarioActors(proto: SplitProtocol, q: SplitRing): ActorDef[] {
  return vringActors(
    { steps: proto, ctx: () => ({ q, s: newDriverState(q), proto }), buffers: q.params.buffers, idKind: 0 },
    { steps: proto, ctx: () => ({ q, s: newDeviceState(q.params.startIndex), proto }) },
  );
}

export const vringSplit = defineModel<SplitProtocol, SplitRing>({
  name: 'vring-split',
  summary: 'Split virtqueue (descriptor table, available and used rings) with flag or EVENT_IDX notification suppression, as Linux virtio_ring.c drives it and vhost/QEMU serve it.',
  guarantees: [
    'Guaranteed (verified within the bound): every exposed buffer is used exactly once and comes back to the driver with the length the device wrote; no lost kick or interrupt with either suppression scheme; indices run free over the 16-bit wrap (see startIndex).',
    'Needs barriers: virtio_wmb before avail.idx and used.idx, virtio_rmb after reading them, and a full virtio_mb between publishing an index and reading the peer\'s suppression state (kick_prepare, should-notify) and between re-enabling and re-checking (enable_cb, enable-kicks): the missing-mb variants lose a notification under --memory tso.',
    'The device refuses a malformed ring (avail.idx more than N ahead, a head or next out of range, a chain longer than N, INDIRECT misuse) as QEMU does: it stops with "broken ring", reported as no-actor-error.',
    'Not modelled: the contents of the buffers (only lengths), VIRTIO_F_IN_ORDER, more than 2^16 additions between two kick decisions (Linux forces a kick at 65535).',
  ],
  params: [
    { name: 'queueSize', default: 2, min: 1, max: 16, description: 'queue size N (a power of two)' },
    BUFFERS_PARAM,
    { name: 'chainLength', default: 1, min: 1, max: 4, description: 'descriptors per request: chainLength-1 readable, then one writable' },
    { name: 'lastChainLength', default: 1, min: 1, max: 4, description: 'descriptors of the last request when more than chainLength (at most queueSize, or 4 with indirect): 2 ends the run with a chain (not the default: in the default queue of 2 that chain hides ring-before-idx\'s descriptor-ownership finding behind used-exactly-once)' },
    { name: 'eventIdx', default: 1, min: 0, max: 1, description: 'VIRTIO_F_EVENT_IDX negotiated (1: used_event/avail_event; 0: the NO_INTERRUPT/NO_NOTIFY flags)' },
    { name: 'indirect', default: 0, min: 0, max: 1, description: 'VIRTIO_F_INDIRECT_DESC negotiated: requests of 2 or more segments go in an indirect table' },
    { name: 'startIndex', default: 65534, min: 0, max: 65535, description: 'avail.idx and used.idx at the start (the default 65534 makes every run cross the 16-bit wrap; 0 never does with few buffers)' },
  ],
  ...VRING_MODEL_COMMON,
  reference,
  variants,
  invariants,
  goals,
  build(params) {
    const n = params.queueSize;
    if ((n & (n - 1)) !== 0) throw new UsageError(`vring-split: queueSize=${n} is not a power of two (the spec forbids it, Linux rejects it)`);
    if (!params.indirect && params.chainLength > n) {
      throw new UsageError(`vring-split: chainLength=${params.chainLength} is more than queueSize=${n} (a chain of direct descriptors holds at most N; raise queueSize or set indirect=1)`);
    }
    const q = splitRing(params);
    return {
      layout: q.layout,
      ctx: q,
      init(state) {
        // The rings as if `startIndex` entries had gone round already: both indices there, interrupts and kicks enabled.
        state.write(q.availIdx, params.startIndex);
        state.write(q.usedIdx, params.startIndex);
        if (q.usedEvent) state.write(q.usedEvent, params.startIndex);
        if (q.availEvent) state.write(q.availEvent, params.startIndex);
      },
    };
  },
  actors: scenarioActors,
});

