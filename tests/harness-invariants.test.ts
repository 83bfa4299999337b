/**
 * The harness's own invariants (no-deadlock, no-livelock, no-actor-error) on a small handshake:
 * the reference hands a flag over and rings a doorbell; each mutant breaks one invariant, and the
 * counterexample says which actor is stuck and on what.
 */
import { describe, expect, it } from 'vitest';
import { defineModel, refs, type Variant } from '../harness/core/define-model.ts';
import { defineLayout, type Field } from '../harness/core/layout.ts';
import { port as p, type Program } from '../harness/core/ops.ts';
import { InlineEngine } from '../harness/engine/inline.ts';
import { DfsStrategy } from '../harness/explore/dfs.ts';
import { explore } from '../harness/explore/explore.ts';

const EVENTS = refs('doorbell', 'reply');
interface C { readonly flag: Field }
interface Handshake {
  readonly request: (c: C) => Program;
  readonly serve: (c: C) => Program;
}

function* request(c: C): Program {
  yield p.store(c.flag, 1);
  yield p.notify(EVENTS.doorbell);
  yield p.wait(EVENTS.reply);
}
function* serve(c: C): Program {
  for (;;) {
    yield p.idle(EVENTS.doorbell);
    if ((yield p.load(c.flag)) === 1) yield p.notify(EVENTS.reply);
  }
}

const variants: Variant<Handshake>[] = [
  { name: 'reference', description: 'request, reply', expect: { verdict: 'passed' } },
  {
    name: 'never-rings', description: 'the requester forgets the doorbell and waits for a reply forever',
    expect: { verdict: 'violated', invariant: 'no-deadlock' }, recreates: 'bug zoo B9 (buffers returned without a kick)',
    override: { request: function* (c) { yield p.store(c.flag, 1); yield p.wait(EVENTS.reply); } },
  },
  {
    name: 'spins-forever', description: 'the requester spins on a flag nobody sets',
    expect: { verdict: 'violated', invariant: 'no-livelock' }, recreates: 'a spin loop without an exit',
    override: { request: function* (c) { while ((yield p.load(c.flag)) !== 2) yield p.pause(); } },
  },
  {
    name: 'busy-loop', description: 'the requester retries without a pause, forever',
    expect: { verdict: 'violated', invariant: 'no-livelock' }, recreates: 'an unbounded retry loop',
    override: { request: function* (c) { while ((yield p.load(c.flag)) !== 2) yield p.store(c.flag, 0); } },
  },
  {
    name: 'throws', description: 'the server detects a broken request and throws',
    expect: { verdict: 'violated', invariant: 'no-actor-error' }, recreates: 'Linux "id %u is not a head!" (BAD_RING)',
    override: { serve: function* (c) { yield p.idle(EVENTS.doorbell); throw new Error(`flag is ${yield p.load(c.flag)}, not a head`); } },
  },
];

const handshake = defineModel<Handshake, C>({
  name: 'handshake', summary: 'test fixture', params: [], events: Object.values(EVENTS), notes: [],
  reference: { request, serve }, variants, invariants: [], defaultPreemptions: 3, maxSteps: () => 200,
  build() {
    const layout = defineLayout((b) => b.u32('flag'));
    return { layout, ctx: { flag: layout.field('flag') } };
  },
  actors: (proto, c) => [
    { name: 'requester', program: () => proto.request(c) },
    { name: 'server', program: () => proto.serve(c) },
  ],
});

async function verdict(variant: string) {
  return explore(new InlineEngine(handshake.instantiate(variant, {})), new DfsStrategy(3));
}

describe('harness invariants', () => {
  it('the reference handshake is clean', async () => {
    const r = await verdict('reference');
    expect(r.verdict).toBe('passed');
    expect(r.complete).toBe(true);
  });

  it('no-deadlock names the actor and the event it waits for', async () => {
    const r = await verdict('never-rings');
    expect(r.violation?.invariant).toBe('no-deadlock');
    expect(r.violation?.message).toMatch(/requester waits for reply forever/);
  });

  it('no-livelock reports a spin that nothing can end', async () => {
    const r = await verdict('spins-forever');
    expect(r.violation?.invariant).toBe('no-livelock');
    expect(r.violation?.message).toMatch(/requester spins forever re-reading flag \(0\)/);
  });

  it('no-livelock reports a loop past the step bound', async () => {
    const r = await verdict('busy-loop');
    expect(r.violation?.invariant).toBe('no-livelock');
    expect(r.violation?.message).toMatch(/requester took more than 200 steps/);
  });

  it('no-actor-error carries the exception', async () => {
    const r = await verdict('throws');
    expect(r.violation?.invariant).toBe('no-actor-error');
    expect(r.violation?.message).toMatch(/server failed: Error: flag is 1, not a head/);
  });
});
