// Split driver shaped like Linux virtio_ring.c: num_added counts the buffers added since the last
// kick; virtqueue_kick_prepare_split computes old = avail_idx_shadow - num_added, forces a kick
// when num_added reaches 0xffff, and otherwise asks vring_need_event (or NO_NOTIFY without
// EVENT_IDX). Interrupts: disable_cb writes NO_INTERRUPT only without EVENT_IDX; enable_cb
// writes used_event = last_used_idx, then virtio_mb, then re-checks used.idx.
import { disableInterrupts, driverState, enableInterrupts, getBufEventIdx, NO_NOTIFY, publishAvail, u16, vringNeedEvent, writeChain } from './ring.js';

export const setup = (port) => ({ ...driverState(port), numAdded: 0 });

export function addBuffer(port, vq, segments) {
  const head = writeChain(port, vq, segments);
  if (head === undefined) return undefined;
  publishAvail(port, vq);
  vq.numAdded++;
  return head;
}

export function kick(port, vq) {
  port.mb();
  const now = vq.availIdx;
  const old = u16(now - vq.numAdded);
  const forced = vq.numAdded === 0xffff;
  vq.numAdded = 0;
  const needs = forced || (port.params.eventIdx
    ? vringNeedEvent(port.load('used.avail_event'), now, old)
    : (port.load('used.flags') & NO_NOTIFY) === 0);
  if (needs) port.notify('kick');
}

export const getBuf = getBufEventIdx;
export const disableCb = disableInterrupts;
export const enableCb = enableInterrupts;
