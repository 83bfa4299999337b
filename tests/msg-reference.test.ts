/**
 * The sans-IO reference device and driver of the virtio-msg transport, without the checker: a full
 * initialisation between them, the draft's rules one by one, and properties over arbitrary message
 * streams (the device never throws, answers each valid request exactly once, keeps its status and
 * queues within the state machine whatever it is sent).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbMessage, arbNearValid } from '../harness/msg/arbitraries.ts';
import { decode, directionOf, encode, isResponseTo } from '../harness/msg/codec.ts';
import { STATUS, VQ_STATE, type Body, type Message } from '../harness/msg/types.ts';
import {
  F, isStatusPrefix, VirtioMsgDevice, VirtioMsgDriver, type DeviceOptions, type DeviceOutput, type DriverOptions, type Operation,
} from '../models/transport-msg/reference/index.ts';

const NET_CTRL_VQ = 17;
const NET_CTRL_RX = 18;
const deps = { [NET_CTRL_RX]: [NET_CTRL_VQ] };
const deviceOpts = (o: Partial<DeviceOptions> = {}): DeviceOptions => ({
  deviceId: 1, offered: [NET_CTRL_RX, F.VERSION_1, F.RING_RESET], required: [F.VERSION_1], dependencies: deps,
  config: [1, 2, 3, 4, 5, 6, 7, 8], maxVirtqueues: 2, queueMaxSize: 8, ...o,
});
const driverOpts = (o: Partial<DriverOptions> = {}): DriverOptions => ({ wanted: [NET_CTRL_VQ, NET_CTRL_RX, F.VERSION_1, F.RING_RESET], dependencies: deps, chunkBytes: 4, ...o });
const q = (index: number, enable = true) => ({ index, size: 4, descAddr: 0x1000n, driverAddr: 0x2000n, deviceAddr: 0x3000n, enable });

/** Runs the driver against the device until the operation is done, ticking the device after each message. */
function pump<T>(drv: VirtioMsgDriver, dev: VirtioMsgDevice, op: Operation<T>, between?: (m: Message) => DeviceOutput[]): Message[] {
  const log: Message[] = [];
  const inbox: Message[] = [];
  for (let n = 0; n < 500 && !(op.done && inbox.length === 0); n++) {
    const m = drv.next();
    if (m) {
      log.push(m);
      for (const o of [...dev.receive(m), ...dev.tick(), ...(between?.(m) ?? [])]) if (o.type === 'send') inbox.push(o.message);
    } else if (inbox.length) {
      const r = inbox.shift()!;
      log.push(r);
      drv.receive(r);
    } else break;
  }
  return log;
}

/** What a device answers for a single message (responses and events it sends). */
const sends = (outs: DeviceOutput[]) => outs.flatMap((o) => (o.type === 'send' ? [o.message] : []));

describe('reference driver and device together', () => {
  it('initialise the device as the draft orders it, with a closed feature set', () => {
    const dev = new VirtioMsgDevice(deviceOpts({ resetCompletion: 'async', initialStatus: 0x0f }));
    const drv = new VirtioMsgDriver(driverOpts());
    const init = drv.init([q(0), q(1, false)]);
    const log = pump(drv, dev, init);
    expect(init.error).toBeUndefined();
    expect(init.done).toBe(true);
    expect([...drv.negotiated!].sort((a, b) => a - b)).toEqual([F.VERSION_1, F.RING_RESET]); // CTRL_RX dropped: CTRL_VQ not offered
    expect(dev.status).toBe(STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
    expect(dev.queue(0)).toMatchObject({ enabled: true, size: 4 });
    expect(dev.queue(1)).toMatchObject({ enabled: false, size: 4 });
    expect(drv.config).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const kinds = log.filter((m) => directionOf(m.kind) === 'request').map((m) => m.kind);
    expect(kinds.slice(0, 4)).toEqual(['GET_DEVICE_INFO', 'SET_DEVICE_STATUS', 'GET_DEVICE_STATUS', 'SET_DEVICE_STATUS']);
    const enable = drv.enableQueue(1);
    pump(drv, dev, enable);
    expect(dev.queue(1).enabled).toBe(true);
  });

  it('the driver fails (and sets FAILED) when the device refuses FEATURES_OK', () => {
    const dev = new VirtioMsgDevice(deviceOpts({ required: [F.VERSION_1, F.RING_PACKED] }));
    const drv = new VirtioMsgDriver(driverOpts());
    const init = drv.init([q(0)]);
    pump(drv, dev, init);
    expect(init.error).toMatch(/refused FEATURES_OK/);
    pump(drv, dev, drv.request({ kind: 'GET_DEVICE_STATUS' }));
    expect(dev.status & STATUS.FAILED).toBe(STATUS.FAILED);
  });

  it('a chunked read starts over when the generation moves between chunks', () => {
    const dev = new VirtioMsgDevice(deviceOpts());
    const drv = new VirtioMsgDriver(driverOpts());
    pump(drv, dev, drv.init([]));
    let changed = false;
    const read = drv.readConfig();
    const log = pump(drv, dev, read, (m) => {
      if (m.kind !== 'GET_CONFIG' || m.offset !== 0 || changed) return [];
      changed = true;
      return dev.changeConfig(0, [9, 9, 9, 9, 9, 9, 9, 9]);
    });
    expect(read.result).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
    expect(log.filter((m) => m.kind === 'GET_CONFIG').length).toBe(4);
  });

  it('a strict write rejected for a stale generation is decided again from the new value', () => {
    const dev = new VirtioMsgDevice(deviceOpts());
    const drv = new VirtioMsgDriver(driverOpts());
    pump(drv, dev, drv.init([]));
    dev.changeConfig(0, [0x10, 0, 0, 0]); // the driver does not hear of it (no event delivered)
    const write = drv.writeConfig(0, 1, ([b]) => [b | 0x80]);
    pump(drv, dev, write);
    expect(write.result).toBe(true);
    expect(dev.config[0]).toBe(0x90);
  });
});

describe('reference device rules', () => {
  function ready(o: Partial<DeviceOptions> = {}): VirtioMsgDevice {
    const dev = new VirtioMsgDevice(deviceOpts(o));
    const drv = new VirtioMsgDriver(driverOpts());
    pump(drv, dev, drv.init([q(0), q(1, false)]));
    return dev;
  }
  const ask = (dev: VirtioMsgDevice, m: Body) => dev.receive({ ...m, devNum: 0, token: 7 } as Message);

  it('answers out-of-range queue indices with the sentinel and changes nothing', () => {
    const dev = ready();
    for (const index of [2, 0x7fffffff, 0x80000000, 0xffffffff]) {
      expect(sends(ask(dev, { kind: 'GET_VQUEUE', index }))).toEqual([{ kind: 'GET_VQUEUE_RESP', devNum: 0, token: 7, index, maxSize: 0, curSize: 0, flags: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n }]);
      expect(ask(dev, { kind: 'EVENT_AVAIL', vqIndex: index, nextOffset: 0 })).toEqual([]);
      expect(sends(ask(dev, { kind: 'RESET_VQUEUE', index })).map((m) => m.kind)).toEqual(['RESET_VQUEUE_RESP']);
    }
  });

  it('applies SET_VQUEUE all-or-nothing, never to an enabled queue', () => {
    const dev = ready();
    const before = dev.queue(1);
    ask(dev, { kind: 'SET_VQUEUE', index: 1, flags: VQ_STATE.ENABLE, size: 6, reserved: 0, descAddr: 9n, driverAddr: 9n, deviceAddr: 9n }); // size not a power of 2
    expect(dev.queue(1)).toEqual(before);
    ask(dev, { kind: 'SET_VQUEUE', index: 1, flags: VQ_STATE.KEEP, size: 8, reserved: 1, descAddr: 9n, driverAddr: 9n, deviceAddr: 9n }); // reserved set
    expect(dev.queue(1)).toEqual(before);
    const q0 = dev.queue(0);
    ask(dev, { kind: 'SET_VQUEUE', index: 0, flags: VQ_STATE.KEEP_DISABLED, size: 8, reserved: 0, descAddr: 9n, driverAddr: 9n, deviceAddr: 9n });
    expect(dev.queue(0)).toEqual(q0);
  });

  it('looks at a queue when it becomes live, and not when a disabled queue is notified', () => {
    const dev = ready();
    expect(ask(dev, { kind: 'EVENT_AVAIL', vqIndex: 1, nextOffset: 0 })).toEqual([]);
    const outs = ask(dev, { kind: 'SET_VQUEUE', index: 1, flags: VQ_STATE.ENABLE | 0x3c, size: 0, reserved: 0, descAddr: 0n, driverAddr: 0n, deviceAddr: 0n });
    expect(outs).toContainEqual({ type: 'process-queue', index: 1 });
    expect(sends(dev.used(1))).toEqual([{ kind: 'EVENT_USED', devNum: 0, token: 0, vqIndex: 1 }]);
  });

  it('rejects a stale SET_CONFIG in the strict profile and applies it in the baseline profile', () => {
    for (const profile of ['strict', 'baseline'] as const) {
      const dev = ready({ profile });
      dev.changeConfig(0, [0xaa]);
      const [r] = sends(ask(dev, { kind: 'SET_CONFIG', generation: 0, offset: 0, data: [0x55] }));
      expect(r).toMatchObject({ kind: 'SET_CONFIG_RESP', generation: profile === 'strict' ? 1 : 2, data: profile === 'strict' ? [] : [0x55] });
      expect(dev.config[0]).toBe(profile === 'strict' ? 0xaa : 0x55);
    }
  });

  it('completes an asynchronous reset only at tick, and never reports 0 before', () => {
    const dev = ready({ resetCompletion: 'async' });
    expect(sends(ask(dev, { kind: 'SET_DEVICE_STATUS', status: 0 }))[0]).toMatchObject({ status: 0x0f });
    expect(sends(ask(dev, { kind: 'GET_DEVICE_STATUS' }))[0]).toMatchObject({ status: 0x0f });
    expect(dev.tick()).toEqual([{ type: 'device-reset' }]);
    expect(sends(ask(dev, { kind: 'GET_DEVICE_STATUS' }))[0]).toMatchObject({ status: 0 });
    expect(dev.queue(0).enabled).toBe(false);
  });
});

describe('reference device under arbitrary input', () => {
  const toDevice = fc.tuple(arbMessage({ maxSize: 52 }), fc.boolean()).map(([m, mine]) => (mine && directionOf(m.kind) !== 'response' ? { ...m, devNum: 0 } : m));

  it('never throws, answers every valid request addressed to it exactly once with its token, and sends only well-formed messages', () => {
    fc.assert(fc.property(fc.array(fc.oneof(toDevice, arbNearValid({ maxSize: 52 })), { maxLength: 40 }), (inputs) => {
      const dev = new VirtioMsgDevice(deviceOpts({ maxMessageSize: 52 }));
      for (const input of inputs) {
        const outs = input instanceof Uint8Array ? dev.receiveBytes(input) : dev.receive(input);
        const sent = sends(outs);
        for (const m of sent) expect(decode(encode(m, { maxSize: 52 }), { maxSize: 52 })).toEqual(m);
        const responses = sent.filter((m) => directionOf(m.kind) === 'response');
        if (input instanceof Uint8Array) continue;
        const expected = input.devNum === 0 && directionOf(input.kind) === 'request' && input.kind.startsWith('BUS_') === false ? 1 : 0;
        expect(responses.length).toBe(expected);
        if (expected) expect(isResponseTo(responses[0], input)).toBe(true);
      }
    }), { numRuns: 400 });
  });

  it('keeps its status on the state machine, its queues within the queue rules and its features frozen after FEATURES_OK', () => {
    const driverish = fc.oneof(
      fc.constantFrom(0, 1, 3, 2, 11, 15, 7, 0x8b, 0x4f).map((status) => ({ kind: 'SET_DEVICE_STATUS', devNum: 0, token: 1, status }) as Message),
      fc.constantFrom([0, 0x101], [0x40000, 0x101], [0, 1], [0xffffffff, 0xffffffff]).map((features) => ({ kind: 'SET_DRIVER_FEATURES', devNum: 0, token: 1, blockIndex: 0, features }) as Message),
      fc.tuple(fc.constantFrom(0, 1, 2, 0xffffffff), fc.nat(0x3f), fc.constantFrom(0, 1, 4, 6, 8, 16)).map(([index, flags, size]) => ({ kind: 'SET_VQUEUE', devNum: 0, token: 1, index, flags, size, reserved: 0, descAddr: 1n, driverAddr: 2n, deviceAddr: 3n }) as Message),
      fc.constantFrom(0, 1, 0xffffffff).map((index) => ({ kind: 'RESET_VQUEUE', devNum: 0, token: 1, index }) as Message),
      arbMessage({ maxSize: 52 }).map((m) => ({ ...m, devNum: 0 })),
    );
    fc.assert(fc.property(fc.array(driverish, { maxLength: 60 }), fc.boolean(), (inputs, async) => {
      const dev = new VirtioMsgDevice(deviceOpts({ resetCompletion: async ? 'async' : 'sync' }));
      let resetAsked = false;
      for (const m of inputs) {
        if (m.kind === 'SET_DEVICE_STATUS' && m.status === 0) resetAsked = true;
        const status = dev.status;
        const queues = [dev.queue(0), dev.queue(1)];
        const negotiated = dev.negotiated && [...dev.negotiated];
        const features = [...dev.driverFeatures];
        dev.receive(m);
        if (m.kind !== 'SET_DEVICE_STATUS' || m.status !== 0) dev.tick();
        const s = dev.status;
        if (s !== 0) {
          expect((status & s) === status, `status ${status} -> ${s}: a bit cleared without a reset`).toBe(true);
          expect(isStatusPrefix(s), `status ${s} skips a step`).toBe(true);
        } else {
          expect(status === 0 || resetAsked, `status ${status} -> 0 without a reset`).toBe(true);
          resetAsked = false;
        }
        for (const i of [0, 1]) if (queues[i].enabled && m.kind === 'SET_VQUEUE') expect(dev.queue(i)).toEqual(queues[i]);
        if ((status & STATUS.FEATURES_OK) && (s & STATUS.FEATURES_OK)) {
          expect(dev.negotiated && [...dev.negotiated]).toEqual(negotiated);
          expect([...dev.driverFeatures]).toEqual(features);
        }
      }
    }), { numRuns: 400 });
  });
});
