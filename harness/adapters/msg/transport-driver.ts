/**
 * A third-party JavaScript transport-msg driver: a sans-IO object whose operations are generators
 * yielding request bodies and resumed with the responses (harness/adapters/msg/operations.ts):
 *
 *   createDriver(options) -> driver        options: devNum, wanted features, their dependencies, maxMessageSize
 *   driver.init(queues)                    probe, reset (and wait for it), ACKNOWLEDGE, DRIVER, features,
 *                                          FEATURES_OK read back, config, set up `queues`; not DRIVER_OK yet
 *   driver.ready()                         DRIVER_OK (Linux's virtio_device_ready, after the buffers are in)
 *   driver.enableQueue(index)              enable a queue set up disabled (a queue provisioned late)
 *   driver.resetQueue(index)               RESET_VQUEUE
 *   driver.notify(index, nextOffset)       (plain function) the EVENT_AVAIL body to send, or nothing
 *   driver.event(message)                  EVENT_USED, EVENT_CONFIG, whenever they arrive
 *
 * The host runs the scenario of the model's reference driver actor (models/transport-msg/index.ts,
 * without the probes a conforming driver never sends) around these operations: it fills the rings
 * (avail_idx, which stands for the buffers) and asks the driver to notify. The model's invariants
 * judge the driver's messages (status order, reset awaited, features offered and closed) and the
 * reference device's behaviour together. The object never touches shared memory: the host is a
 * yielding actor, run in a worker of the threads engine like all third-party code.
 */
import type { ModelInstance } from '../../core/model.ts';
import { port as p, type Program } from '../../core/ops.ts';
import { receive } from '../../msg/channel.ts';
import type { Message } from '../../msg/types.ts';
import { DEPENDENCIES, maxMessageSize, MSG_NOTES, NOTES, QUEUE_SIZE, queueAddrs, shared, WANTED, type Shared } from '../../../models/transport-msg/layout.ts';
import type { RoleSpec } from '../schemes.ts';
import { asMessage, asObject, call } from './messages.ts';
import { OperationRunner } from './operations.ts';
import type { QueueSetup, TransportMsgDriverOptions } from './roles.ts';

class TransportDriverHost {
  readonly ops: OperationRunner;
  private readonly used = new Map<number, number>();

  constructor(private readonly drv: Record<string, unknown>, private readonly mem: Shared) {
    this.ops = new OperationRunner(drv, {
      d2v: mem.d2v, v2d: mem.v2d, notes: MSG_NOTES, devNum: 0, maxSize: mem.d2v.maxSize, afterStep: function* () {}, onEvent: (m) => this.event(m),
    });
  }

  private *event(m: Message): Program {
    if (m.kind === 'EVENT_USED') this.used.set(m.vqIndex, (this.used.get(m.vqIndex) ?? 0) + 1);
    call(this.drv, 'event', 'the driver', m);
  }

  /** The OS made buffers of queue `index` available up to `idx` (the driver's side of the ring). */
  *makeAvailable(index: number, idx: number): Program {
    yield p.store(this.mem.vq[index].avail, idx);
    yield p.note(NOTES.avail, index, idx);
  }

  /** Asks the driver to notify the queue; sends the EVENT_AVAIL it returns, if any. */
  *notify(index: number, nextOffset: number): Program {
    const body = call(this.drv, 'notify', 'the driver', index, nextOffset);
    if (body === undefined || body === null) return;
    yield* this.ops.post(asMessage({ ...asObject(body, 'driver.notify()'), devNum: 0, token: 0 }, 'driver.notify()', this.mem.d2v.maxSize));
  }

  /** Waits until the device used every buffer of the queue and said so with EVENT_USED. */
  *awaitUsed(index: number, idx: number): Program {
    for (;;) {
      if ((this.used.get(index) ?? 0) > 0 && (yield p.load(this.mem.vq[index].used)) === idx) return;
      yield* this.takeOne();
    }
  }

  /** The next message from the device, to the driver (an idle wait: the run may end here). */
  *takeOne(): Program {
    const { message } = yield* receive([this.mem.v2d], MSG_NOTES, 'idle');
    yield* this.event(message);
  }
}

function* driverActor(instance: ModelInstance, impl: Record<string, unknown>): Program {
  const params = instance.params;
  const options: TransportMsgDriverOptions = structuredClone({ devNum: 0, wanted: WANTED, dependencies: DEPENDENCIES, maxMessageSize: maxMessageSize(params) });
  const h = new TransportDriverHost(asObject(call(impl, 'createDriver', 'the module', options), 'createDriver(options)'), shared(params));
  const b = params.buffers;
  const queues: QueueSetup[] = Array.from({ length: params.queues }, (_, i) => ({ index: i, size: QUEUE_SIZE, ...queueAddrs(i), enable: i === 0 }));
  yield* h.ops.run('init', queues);
  yield* h.makeAvailable(0, b); // buffers go in before DRIVER_OK; no notification is allowed yet
  yield* h.ops.run('ready');
  for (let i = 1; i < params.queues; i++) {
    yield* h.makeAvailable(i, b);
    yield* h.notify(i, b); // while still disabled: the device must ignore it, and look at enable
    yield* h.ops.run('enableQueue', i);
  }
  yield* h.makeAvailable(0, 2 * b);
  yield* h.notify(0, 2 * b);
  for (let i = 0; i < params.queues; i++) yield* h.awaitUsed(i, i === 0 ? 2 * b : b);
  if (params.queueReset > 0) yield* h.ops.run('resetQueue', 0);
  for (;;) yield* h.takeOne();
}

export const transportMsgDriver: RoleSpec = {
  required: ['createDriver'],
  optional: [],
  advisories: [],
  program: driverActor,
};
