/**
 * config-gencount (design 1): config space over plain shared memory, 32-bit generation counter,
 * odd = update in progress. The device makes `updates` config changes; the driver reads the config
 * once, makes `writes` writes of its own fields, reads `reads` more times, then follows config-irq.
 */
import { defineModel } from '../../harness/core/define-model.ts';
import { port as p, type Program } from '../../harness/core/ops.ts';
import { readAndAccept } from './driver.ts';
import { goals } from './goals.ts';
import { invariants } from './invariants.ts';
import { configSpace, deviceWord, driverWord, EVENTS, NOTES, type ConfigSpace } from './layout.ts';
import { reference, type GencountProtocol } from './protocol.ts';
import { variants } from './variants.ts';

function* driver(proto: GencountProtocol, c: ConfigSpace): Program {
  yield* readAndAccept(c, proto.readConfig);
  for (let w = 1; w <= c.params.writes; w++) yield* proto.writeConfig(c, c.drv.map((_, j) => driverWord(w, j)));
  for (let r = 0; r < c.params.reads; r++) yield* readAndAccept(c, proto.readConfig);
  for (;;) {
    yield p.idle(EVENTS['config-irq']);
    yield* proto.handleConfigChange(c, proto.readConfig);
  }
}

function* device(proto: GencountProtocol, c: ConfigSpace): Program {
  for (let k = 1; k <= c.params.updates; k++) {
    if (yield p.poll(EVENTS['config-doorbell'])) yield* proto.takeDriverWrite(c);
    yield* proto.updateConfig(c, c.data.map((_, i) => deviceWord(k, i)));
    yield* proto.signalConfigChange(c);
  }
  for (;;) {
    yield p.idle(EVENTS['config-doorbell']);
    yield* proto.takeDriverWrite(c);
  }
}

export const configGencount = defineModel<GencountProtocol, ConfigSpace>({
  name: 'config-gencount',
  summary: 'Design 1: config space over plain shared memory with a 32-bit generation counter, odd while the device updates (a seqlock), one event per direction.',
  guarantees: [
    'Guaranteed (verified within the bound): a driver read accepted by the retry loop is never torn, for any config size; every device change reaches the driver; driver writes reach the device whole when the driver waits for the device to take each one.',
    'Needs barriers: virtio_wmb between the counter and the words on the device side, virtio_rmb on the reader side, and a full barrier after clearing the status bit (checked under --memory tso once the exploration issue lands).',
    'Not guaranteed: progress of a reader while the device updates without pause (the retry loop can starve); safety across 2^32 counter wrap (a reader stalled for 2^31 updates sees the same counter); driver writes sent back to back without waiting (the design\'s own stated weak spot, see variant driver-back-to-back).',
  ],
  params: [
    { name: 'configBytes', default: 16, min: 4, max: 256, multipleOf: 4, description: 'bytes of device-written config (wider than one 32-bit access by default)' },
    { name: 'driverBytes', default: 8, min: 4, max: 64, multipleOf: 4, description: 'bytes of driver-written config' },
    { name: 'updates', default: 2, min: 0, max: 1000, description: 'config changes the device makes' },
    { name: 'reads', default: 1, min: 0, max: 100, description: 'driver config reads after the initial one (besides those config-irq triggers)' },
    { name: 'writes', default: 2, min: 0, max: 100, description: 'driver writes of its own config fields' },
  ],
  events: Object.values(EVENTS),
  notes: Object.values(NOTES),
  reference,
  variants,
  invariants,
  goals,
  defaultPreemptions: 3,
  // Under tso bound 3 did not finish in 600 s (1.19 M executions); bound 2 runs 68,797 (bench/RESULTS.md).
  defaultPreemptionsBuffered: 2,
  maxSteps: (q) => 2000 + 50 * (q.updates + q.reads + q.writes + 2) * (q.configBytes / 4 + q.driverBytes / 4 + 8),
  build(params) {
    const c = configSpace(params);
    return {
      layout: c.layout,
      ctx: c,
      init(state) {
        c.data.forEach((f, i) => state.write(f, deviceWord(0, i)));
      },
    };
  },
  actors: (proto, c) => [
    { name: 'driver', program: () => driver(proto, c) },
    { name: 'device', program: () => device(proto, c) },
  ],
});
