/**
 * The hosts that run the sans-IO reference objects as actors: they move messages between the
 * objects and the rings, execute the device's outputs on the shared memory (use buffers, write
 * used_idx), and note the device's state after every step for the oracles.
 */
import { port as p, type Program } from '../../harness/core/ops.ts';
import { publishOrFail, receive, send, serveForever } from '../../harness/msg/channel.ts';
import type { DeviceOutput, VirtioMsgDevice } from './reference/device.ts';
import type { Operation, VirtioMsgDriver } from './reference/driver.ts';
import { toBlocks } from './reference/features.ts';
import { MSG_NOTES, NOTES, type Shared } from './layout.ts';

// Device -------------------------------------------------------------------------------------------

/** What the oracles are told about the device, as note data. */
interface Snapshot {
  readonly status: number;
  readonly resetting: boolean;
  readonly features: readonly number[];
  readonly negotiated: readonly number[];
  readonly queues: readonly (readonly number[])[];
}

/**
 * What a host needs of a device: the reference's public face. A third-party sans-IO device runs in
 * this host behind a facade of this shape (harness/adapters/msg/transport-device.ts), so that the
 * notes, and hence the oracles' judgement, come from the same code for both.
 */
export type HostedDevice = Pick<VirtioMsgDevice,
  'receive' | 'tick' | 'used' | 'hasDeferredWork' | 'status' | 'resetInProgress' | 'driverFeatures' | 'negotiated' | 'maxVirtqueues' | 'queue'>;

function snapshot(dev: HostedDevice): Snapshot {
  const queues: number[][] = [];
  for (let i = 0; i < dev.maxVirtqueues; i++) {
    const q = dev.queue(i);
    queues.push([i, q.enabled ? 1 : 0, q.size, Number(q.descAddr & 0xffffffffn), Number(q.driverAddr & 0xffffffffn), Number(q.deviceAddr & 0xffffffffn)]);
  }
  return {
    status: dev.status,
    resetting: dev.resetInProgress,
    features: toBlocks(dev.driverFeatures, 0, 2),
    negotiated: dev.negotiated ? toBlocks(dev.negotiated, 0, 2) : [],
    queues,
  };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export class DeviceHost {
  private seen: Snapshot;

  constructor(readonly dev: HostedDevice, readonly mem: Shared) {
    this.seen = snapshot(dev);
  }

  /** The device serves requests one at a time under its lock and completes deferred work between them. */
  *run(): Program {
    yield* serveForever([this.mem.d2v], MSG_NOTES, (m) => this.step(() => this.dev.receive(m)), {
      codec: { reserved: 'ignore' },
      deferred: () => (this.dev.hasDeferredWork ? () => this.step(() => this.dev.tick()) : undefined),
    });
  }

  /** One step of the device: its new state is noted first, then its outputs are carried out in order. */
  *step(act: () => DeviceOutput[]): Program {
    const outputs = act();
    yield* this.noteChanges();
    yield* this.execute(outputs);
  }

  *execute(outputs: readonly DeviceOutput[]): Program {
    for (const o of outputs) {
      if (o.type === 'send') yield* publishOrFail(this.mem.v2d, MSG_NOTES, o.message);
      else if (o.type === 'process-queue') yield* this.processQueue(o.index, o.nextOffset);
    }
  }

  /** Uses what the driver made available (up to next_off with notification data), then tells the device. */
  private *processQueue(index: number, nextOffset: number | undefined): Program {
    const vq = this.mem.vq[index];
    if (!vq) throw new Error(`the device asked to process queue ${index}, which has no ring in this model`);
    const avail = yield p.load(vq.avail);
    const used = yield p.load(vq.used);
    const upto = nextOffset === undefined ? avail : nextOffset & 0xffff;
    const n = (upto - used) & 0xffff;
    if (n === 0 || n > this.dev.queue(index).size) return;
    yield p.note(NOTES.used, index, used, upto);
    yield p.store(vq.used, upto);
    yield* this.execute(this.dev.used(index));
  }

  private *noteChanges(): Program {
    const now = snapshot(this.dev);
    const was = this.seen;
    this.seen = now;
    if (now.resetting && !was.resetting) yield p.note(NOTES['reset-begin']);
    if (!now.resetting && was.resetting) yield p.note(NOTES['reset-done']);
    if (now.status !== was.status) yield p.note(NOTES['dev-status'], now.status);
    if (!same(now.features, was.features)) yield p.note(NOTES['dev-features'], ...now.features);
    if (!same(now.negotiated, was.negotiated)) yield p.note(NOTES.negotiated, ...now.negotiated);
    for (let i = 0; i < now.queues.length; i++) if (!same(now.queues[i], was.queues[i])) yield p.note(NOTES['vq-state'], ...now.queues[i]);
  }
}

// Driver -------------------------------------------------------------------------------------------

export class DriverHost {
  constructor(readonly drv: VirtioMsgDriver, readonly mem: Shared) {}

  /** Sends what the driver has to send, feeds it what arrives, until the operation is done. */
  *run<T>(op: Operation<T>): Program<Operation<T>> {
    for (;;) {
      yield* this.flush();
      if (op.done) return op;
      yield* this.takeOne();
    }
  }

  /** Sends everything the driver has to send now (requests, EVENT_AVAIL). */
  *flush(): Program {
    for (let m = this.drv.next(); m; m = this.drv.next()) yield* send(this.mem.d2v, MSG_NOTES, m);
  }

  /** Waits for the next message from the device and hands it to the driver (an idle wait). */
  *takeOne(): Program {
    const { message } = yield* receive([this.mem.v2d], MSG_NOTES, 'idle');
    this.drv.receive(message);
  }

  /** Makes buffers of queue `index` available up to `idx` (the driver's side of the ring). */
  *makeAvailable(index: number, idx: number): Program {
    yield p.store(this.mem.vq[index].avail, idx);
    yield p.note(NOTES.avail, index, idx);
  }

  /** Waits until the device used every buffer of the queue and said so with EVENT_USED. */
  *awaitUsed(index: number, idx: number): Program {
    for (;;) {
      if ((this.drv.usedEvents.get(index) ?? 0) > 0 && (yield p.load(this.mem.vq[index].used)) === idx) return;
      yield* this.takeOne();
    }
  }
}
