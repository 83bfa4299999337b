/**
 * fast-check arbitraries of whole message streams for a fuzz target: valid messages of the kinds the
 * target takes (harness/msg/arbitraries.ts), near-valid and malformed bytes, and the target's peer
 * and bus actions. The builtin engine samples them as extra seeds; they are exported for users'
 * own property tests:
 *
 *   fc.assert(fc.property(arbStream(transportDevice), (steps) => transportDevice.run(steps, 'reference') === undefined));
 */
import fc from 'fast-check';
import { arbMalformed, arbMessage, arbNearValid } from '../msg/arbitraries.ts';
import type { Message } from '../msg/types.ts';
import type { Action, Step } from './stream.ts';
import type { FuzzTarget } from './target.ts';

function arbAction(t: FuzzTarget, type: Action['type']): fc.Arbitrary<Action> {
  switch (type) {
    case 'used': return fc.nat(t.shape.queues).map((index) => ({ type, index }));
    case 'overtake': return fc.nat(3).map((index) => ({ type, index }));
    case 'deliver': return fc.integer({ min: 1, max: 4 }).map((count) => ({ type, count }));
    case 'change': return fc.tuple(fc.nat(Math.max(0, t.shape.configBytes - 1)), fc.array(fc.nat(255), { minLength: 1, maxLength: 2 })).map(([offset, data]) => ({ type, offset, data }));
    case 'write-config': return fc.tuple(fc.nat(Math.max(0, t.shape.configBytes - 1)), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })).map(([offset, length, add]) => ({ type, offset, length, add }));
    default: return fc.constant({ type } as Action);
  }
}

/** One step: a valid message (addressed to device 0 most of the time), near-valid or malformed bytes, or an action. */
export function arbStep(t: FuzzTarget): fc.Arbitrary<Step> {
  const parts: { weight: number; arbitrary: fc.Arbitrary<Step> }[] = [];
  if (t.kinds.length) {
    const opts = { kinds: t.kinds, maxSize: t.maxMessageSize };
    parts.push({
      weight: 6,
      arbitrary: fc.tuple(arbMessage(opts), fc.nat(9)).map(([m, r]) => ({ send: (r < 8 ? { ...m, devNum: 0 } : m) as Message })),
    });
    // Defects of any kind of message (some defects need a bus message or an event to apply to).
    parts.push({ weight: 1, arbitrary: arbMalformed({ maxSize: t.maxMessageSize }).map((x) => ({ raw: Array.from(x.bytes) })) });
    parts.push({ weight: 1, arbitrary: arbNearValid(opts).map((b) => ({ raw: Array.from(b) })) });
  }
  if (t.actions.length) parts.push({ weight: t.kinds.length ? 2 : 10, arbitrary: fc.constantFrom(...t.actions).chain((a) => arbAction(t, a)).map((act) => ({ act })) });
  return fc.oneof(...parts);
}

/** Streams of up to `maxLength` steps (default 24). */
export function arbStream(t: FuzzTarget, maxLength = 24): fc.Arbitrary<Step[]> {
  return fc.array(arbStep(t), { maxLength });
}

/** `n` streams sampled with a fixed seed (the builtin engine's extra seeds). */
export function sampleStreams(t: FuzzTarget, n: number, seed: number): Step[][] {
  return fc.sample(arbStream(t), { numRuns: n, seed });
}
