/** vring-packed's coverage goals: the shared vring goals over the packed ring's fields (see vring-common/goals.ts). */
import { vringGoals } from '../vring-common/goals.ts';
import { RING_EVENT_FLAGS_DISABLE, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_USED } from './layout.ts';

const DESC_FLAGS = /^desc\[\d+\]\.flags$/;
/** The event suppression structure each side writes as consumer. */
const OWN_EVENT_FLAGS = { driver: 'driver_event.flags', device: 'device_event.flags' } as const;

export const goals = vringGoals({
  wrapGoal: { name: 'wrap-counter-flip', description: "A side's ring wrap counter flipped: the driver made a descriptor available, or the device used one, in a lap with wrap counter 0." },
  wraps(side, field, v) {
    if (!DESC_FLAGS.test(field)) return false;
    const avail = (v & VIRTQ_DESC_F_AVAIL) !== 0;
    const used = (v & VIRTQ_DESC_F_USED) !== 0;
    // Wrap counter 1: available is AVAIL=1 USED=0, used is both 1; wrap counter 0: AVAIL=0 USED=1, both 0.
    return side === 'driver' ? !avail && used : !avail && !used;
  },
  publishes: (_side, field) => DESC_FLAGS.test(field),
  decisionField: (side) => (side === 'driver' ? 'device_event.flags' : 'driver_event.flags'),
  control: (side, field, v) => (field === OWN_EVENT_FLAGS[side] ? (v === RING_EVENT_FLAGS_DISABLE ? 'off' : 'on') : undefined),
  work: (_side, field) => DESC_FLAGS.test(field),
  chains: (side, field, v) => side === 'driver' && DESC_FLAGS.test(field) && (v & VIRTQ_DESC_F_NEXT) !== 0,
  initial: () => 0,
});
