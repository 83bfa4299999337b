/** vring-split's coverage goals: the shared vring goals over the split ring's fields (see vring-common/goals.ts). */
import { vringGoals, type Side } from '../vring-common/goals.ts';
import { u16 } from '../vring-common/ring-math.ts';
import { VIRTQ_DESC_F_NEXT } from './layout.ts';

const INDEX: Record<Side, string> = { driver: 'avail.idx', device: 'used.idx' };
/** The index each side consumes (the peer's). */
const PEER_INDEX: Record<Side, string> = { driver: 'used.idx', device: 'avail.idx' };
const FLAGS: Record<Side, string> = { driver: 'avail.flags', device: 'used.flags' };
/** The event index each side writes as consumer. */
const EVENT: Record<Side, string> = { driver: 'avail.used_event', device: 'used.avail_event' };
const DESC_FLAGS = /^(ind\[\d+\]\.)?desc\[\d+\]\.flags$/;

export const goals = vringGoals({
  wrapGoal: { name: 'index-wrap', description: 'avail.idx or used.idx crossed the 16-bit wrap (65535 -> 0): free-running indices compared with != and masked, not with <.' },
  // Indices only move forward: a store below what the side knew is the crossing.
  wraps: (side, field, v, prev) => field === INDEX[side] && u16(v) < prev,
  publishes: (side, field) => field === INDEX[side],
  decisionField: (side, params) => (params.eventIdx ? (side === 'driver' ? 'used.avail_event' : 'avail.used_event') : (side === 'driver' ? 'used.flags' : 'avail.flags')),
  control(side, field, v, seen) {
    if (field === FLAGS[side]) return (v & 1) !== 0 ? 'off' : 'on';
    // An event index moved to the entry the consumer is at asks for the next one; anywhere else it
    // holds notifications back (Linux's disable writes 0). Rewriting the value it holds changes nothing.
    if (field === EVENT[side]) return v !== seen(PEER_INDEX[side]) ? 'off' : v !== seen(field) ? 'on' : undefined;
    return undefined;
  },
  work: (side, field) => field === PEER_INDEX[side],
  chains: (side, field, v) => side === 'driver' && DESC_FLAGS.test(field) && (v & VIRTQ_DESC_F_NEXT) !== 0,
  initial: (field, params) => (field.endsWith('.idx') || field.endsWith('_event') ? params.startIndex : 0),
});
