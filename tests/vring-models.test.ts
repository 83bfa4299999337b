/**
 * Focused tests of the two virtqueue models beyond the automatic verdict tests: the EVENT_IDX
 * formula, the exact layouts, the reference under other parameters (16-bit wrap, flags instead of
 * EVENT_IDX, indirect chains, rings that are not a power of two), what the explanations name, and
 * that the reference device refuses a malformed ring instead of walking it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../harness/check.ts';
import type { ModelInstance, Params } from '../harness/core/model.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';
import { needEventText, u16, vringNeedEvent } from '../models/vring-common/ring-math.ts';
import { requestLength } from '../models/vring-packed/driver.ts';
import { scenarioActors as packedActors, vringPacked } from '../models/vring-packed/index.ts';
import { packedRing, VIRTQ_DESC_F_NEXT as PACKED_NEXT } from '../models/vring-packed/layout.ts';
import { descFlags } from '../models/vring-packed/driver.ts';
import { reference as packedReference } from '../models/vring-packed/protocol.ts';
import { scenarioActors as splitActors, vringSplit } from '../models/vring-split/index.ts';
import { splitRing, VIRTQ_DESC_F_NEXT } from '../models/vring-split/layout.ts';
import { reference as splitReference, type SplitProtocol } from '../models/vring-split/protocol.ts';
import { port as p, type Program } from '../harness/core/ops.ts';

const defaults = (m: { params: readonly { name: string; default: number }[] }, over: Params = {}): Params =>
  ({ ...Object.fromEntries(m.params.map((x) => [x.name, x.default])), ...over });

describe('vring_need_event', () => {
  it('is the range test of include/uapi/linux/virtio_ring.h', () => {
    // The entry at `event` was published in (old, new]: new - event - 1 < new - old, in u16.
    expect(vringNeedEvent(0, 1, 0)).toBe(true); // used_event=0: notify after the first buffer
    expect(vringNeedEvent(0, 2, 1)).toBe(false); // ... and not after the second
    expect(vringNeedEvent(0, 0, 0xffff)).toBe(false); // index 0xffff filled, event 0 not yet
    expect(vringNeedEvent(0, 1, 0xffff)).toBe(true); // a batch across the 16-bit wrap
    expect(vringNeedEvent(5, 8, 4)).toBe(true); // event inside a batch of 4: a point test (event == new-1) misses it
    expect(vringNeedEvent(7, 8, 4)).toBe(true);
    expect(vringNeedEvent(8, 8, 4)).toBe(false); // the next entry, not yet published
    expect(vringNeedEvent(3, 8, 4)).toBe(false); // already behind
    expect(vringNeedEvent(0xfffe, 1, 0xfffd)).toBe(true);
  });

  it('notifies after the 1st and the 65537th buffer for event 0, never in between', () => {
    let count = 0;
    for (let i = 0; i <= 0x10000; i++) if (vringNeedEvent(0, u16(i + 1), u16(i))) count++;
    expect(count).toBe(2);
  });

  it('agrees with "event lies in [old, new) counted from old" for every batch shorter than 2^16', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), (event, old, n) => {
      const newIdx = u16(old + n);
      expect(vringNeedEvent(event, newIdx, old)).toBe(u16(event - old) < n);
    }));
  });

  it('explains itself with its operands', () => {
    expect(needEventText(0, 2, 0)).toBe('vring_need_event(event=0, new=2, old=0) = (u16)(2 - 0 - 1) < (u16)(2 - 0) = 1 < 2 = true');
  });
});

describe('layouts are the spec\'s', () => {
  it('split: descriptor table, available ring (align 2) and used ring (align 4) at their offsets', () => {
    const q = splitRing(defaults(vringSplit, { queueSize: 4, eventIdx: 1 }));
    const at = (name: string) => q.layout.field(name).offset;
    expect([at('desc[3].addr'), at('desc[3].len'), at('desc[3].flags'), at('desc[3].next')]).toEqual([48, 56, 60, 62]);
    expect([at('avail.flags'), at('avail.idx'), at('avail.ring[0]'), at('avail.ring[3]'), at('avail.used_event')]).toEqual([64, 66, 68, 74, 76]);
    expect([at('used.flags'), at('used.idx'), at('used.ring[0].id'), at('used.ring[0].len'), at('used.ring[3].id'), at('used.avail_event')]).toEqual([80, 82, 84, 88, 108, 116]);
    expect(q.layout.field('used.ring[1].len').width).toBe(32);
    expect(splitRing(defaults(vringSplit, { eventIdx: 0 })).layout.has('avail.used_event')).toBe(false);
  });

  it('packed: 16-byte descriptors {addr, len, id, flags} and two 4-byte event suppression structures', () => {
    const q = packedRing(defaults(vringPacked, { queueSize: 3 }));
    const at = (name: string) => q.layout.field(name).offset;
    expect([at('desc[2].addr'), at('desc[2].len'), at('desc[2].id'), at('desc[2].flags')]).toEqual([32, 40, 44, 46]);
    expect([at('driver_event.off_wrap'), at('driver_event.flags'), at('device_event.off_wrap'), at('device_event.flags')]).toEqual([48, 50, 52, 54]);
  });

  it('split refuses a queue size that is not a power of two; packed takes any', async () => {
    await expect(check({ model: 'vring-split', params: { queueSize: 3 } })).rejects.toThrow(/power of two/);
    expect(requestLength(3, 0)).toBe(3);
    expect([0, 1, 2, 3].map((b) => requestLength(3, b))).toEqual([3, 1, 2, 3]);
  });
});

describe('the references pass under other parameters', () => {
  const cases: [string, Params, 'sc' | 'tso'][] = [
    ['vring-split', { startIndex: 65534 }, 'sc'], // avail.idx and used.idx cross 0xffff -> 0
    ['vring-split', { startIndex: 65534 }, 'tso'],
    ['vring-split', { startIndex: 65535, eventIdx: 0 }, 'sc'],
    ['vring-split', { eventIdx: 0 }, 'tso'], // the NO_INTERRUPT / NO_NOTIFY flags
    ['vring-split', { chainLength: 2, queueSize: 4 }, 'sc'], // readable then writable, NEXT chains
    ['vring-split', { chainLength: 2, indirect: 1 }, 'sc'], // the same chains in indirect tables
    ['vring-split', { queueSize: 1, buffers: 2 }, 'sc'],
    ['vring-packed', { eventIdx: 0 }, 'tso'], // ENABLE / DISABLE only
    ['vring-packed', { queueSize: 5, chainLength: 2 }, 'sc'],
    ['vring-packed', { queueSize: 2, chainLength: 2 }, 'sc'], // every other list fills the ring
    ['vring-packed', { queueSize: 1, chainLength: 1, buffers: 2 }, 'sc'],
  ];
  it.each(cases)('%s %o under %s', async (model, params, memory) => {
    const r = await check({ model, params, memory });
    expect(r.verdict, r.counterexample?.message).toBe('passed');
    expect(r.complete).toBe(true);
  });
});

describe('both suppression schemes', () => {
  it('without EVENT_IDX the flag mutants still lose notifications (a read without a full barrier is no fresh read), and the EVENT_IDX-only ones do not apply', async () => {
    const flags = { eventIdx: 0 };
    expect((await check({ model: 'vring-split', variant: 'no-recheck-after-enable', params: flags })).invariant).toBe('no-lost-notification');
    expect((await check({ model: 'vring-split', variant: 'spec-example', params: flags })).invariant).toBe('no-lost-notification');
    expect((await check({ model: 'vring-split', variant: 'missing-mb-device', params: flags, memory: 'tso' })).invariant).toBe('notify-decision');
    expect((await check({ model: 'vring-packed', variant: 'missing-mb-driver', params: flags, memory: 'tso' })).invariant).toBe('notify-decision');
    expect((await check({ model: 'vring-split', variant: 'event-idx-point-test', params: flags })).verdict).toBe('passed');
    expect((await check({ model: 'vring-packed', variant: 'wrap-flip-lt', params: flags })).verdict).toBe('passed');
  });

  it('the wrap-around start still catches the index mutants', async () => {
    const wrap = { startIndex: 65534 };
    expect((await check({ model: 'vring-split', variant: 'cursor-wrap-at-size', params: wrap })).invariant).toBe('free-running-indices');
    expect((await check({ model: 'vring-split', variant: 'event-idx-point-test', params: wrap })).invariant).toBe('notify-decision');
  });
});

describe('explanations name ring fields and say what was lost', () => {
  const RING_FIELD = /\b(avail\.(idx|flags|used_event|ring\[\d+\])|used\.(idx|flags|avail_event|ring\[\d+\](\.(id|len))?)|desc\[\d+\](\.\w+)?|(driver|device)_event\.(flags|off_wrap))/;
  const mutants = [vringSplit, vringPacked].flatMap((m) => m.variants.filter((v) => v.expect.verdict === 'violated').map((v) => [m.name, v.name, v.expect] as const));
  it.each(mutants)('%s/%s', async (model, variant, expectation) => {
    const memory = expectation.verdict === 'violated' ? expectation.memory ?? 'sc' : 'sc';
    const r = await check({ model, variant, memory });
    const message = r.counterexample!.message;
    expect(message).toMatch(RING_FIELD);
    if (r.invariant === 'no-lost-notification') {
      expect(message).toMatch(/^Lost (kick|interrupt): /);
      expect(message).toMatch(/last notification decision/); // why the producer stayed silent
      expect(message).toMatch(/(buffer id|head) \d+/); // which buffer is stranded
    }
  });

  it('the spec example is reported as a driver that saw the used entries and slept anyway', async () => {
    const r = await check({ model: 'vring-split', variant: 'spec-example' });
    expect(r.counterexample!.message).toMatch(/read used\.idx=\d+ at step \d+ which showed the used entries, yet it went to sleep/);
  });

  it('the tso-only mutants name the store that was not visible yet when the producer read the suppression state', async () => {
    const r = await check({ model: 'vring-split', variant: 'missing-mb-driver', memory: 'tso' });
    expect(r.counterexample!.message).toMatch(/its store avail\.idx=\d+ was not visible yet \(avail\.idx=\d+ in memory\): no full barrier between the publish and the read/);
  });
});

/** Explores one instance built from any mix of protocol steps (all schedules within `preemptions`). */
async function exploreWith(instance: ModelInstance, preemptions = 1) {
  return explore(new InlineEngine(instance), new DfsStrategy(preemptions));
}

describe('the reference device refuses a malformed ring (QEMU virtio_error) instead of walking it', () => {
  it('a self-looped zero-length descriptor (B16\'s trigger) stops the device at N hops as a broken ring', async () => {
    const params = defaults(vringSplit);
    const loop: SplitProtocol = {
      ...splitReference,
      *writeChain(_x, table, slots, segs): Program {
        const d = table[slots[0]];
        yield p.store(d.flags, VIRTQ_DESC_F_NEXT);
        yield p.store(d.addr, segs[0].addr);
        yield p.store(d.len, 0);
        yield p.store(d.next, slots[0]);
      },
    };
    const base = vringSplit.instantiate('reference', params);
    const r = await exploreWith({ ...base, actors: splitActors(loop, splitRing(params)) });
    expect(r.violation?.invariant).toBe('no-actor-error');
    expect(r.violation?.message).toMatch(/broken ring: the chain from head 0 has more than 2 descriptors/);
  });

  it('a packed list with NEXT on every descriptor stops the device when it runs round into its own head', async () => {
    const params = defaults(vringPacked);
    const endless = { ...packedReference, listFlags: (s: Parameters<typeof descFlags>[0], segs: Parameters<typeof descFlags>[1], j: number) => descFlags(s, segs, j) | PACKED_NEXT };
    const base = vringPacked.instantiate('reference', params);
    const r = await exploreWith({ ...base, actors: packedActors(endless, packedRing(params)) });
    expect(r.violation?.invariant).toBe('no-actor-error');
    expect(r.violation?.message).toMatch(/broken ring: the list at desc\[0\] (has more than 3 descriptors|continues into desc\[0\], which is not available)/);
  });
});

describe('engines', () => {
  it('the threads engine gives the same verdicts', async () => {
    for (const [model, variant] of [['vring-split', 'reference'], ['vring-split', 'no-recheck-after-enable'], ['vring-packed', 'read-id-before-flags']] as const) {
      const inline = await check({ model, variant });
      const threads = await check({ model, variant, engine: 'threads' });
      expect([threads.verdict, threads.invariant]).toEqual([inline.verdict, inline.invariant]);
    }
  }, 60_000);
});
