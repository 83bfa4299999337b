/**
 * A reference session: the reference driver initialises and uses the reference device, and the
 * messages and host actions of each side are recorded as streams. These are the built-in seeds
 * (a seed is a checked scenario, so it doubles as an oracle: anchors A1).
 */
import { VirtioMsgDevice, type DeviceOutput } from '../../../models/transport-msg/reference/device.ts';
import { VirtioMsgDriver } from '../../../models/transport-msg/reference/driver.ts';
import type { Message } from '../../msg/types.ts';
import type { Step } from '../stream.ts';
import { deviceOptions, driverOptions } from './common.ts';

export interface Session {
  /** What the device received, and the device host's actions (tick, used). */
  readonly toDevice: Step[];
  /** What the driver received. */
  readonly toDriver: Message[];
}

/** Runs the driver's work to completion against the device; records both directions. */
function pump(dev: VirtioMsgDevice, drv: VirtioMsgDriver, rec: Session, limit = 500): void {
  const handle = (outs: DeviceOutput[]) => {
    for (const o of outs) {
      if (o.type === 'send') {
        rec.toDriver.push(o.message);
        drv.receive(o.message);
      } else if (o.type === 'process-queue') {
        rec.toDevice.push({ act: { type: 'used', index: o.index } });
        handle(dev.used(o.index));
      }
    }
  };
  for (let i = 0; i < limit; i++) {
    const m = drv.next();
    if (m) {
      rec.toDevice.push({ send: m });
      handle(dev.receive(m));
      // The host runs deferred work between messages (an asynchronous reset completes).
      if (dev.hasDeferredWork && m.kind === 'GET_DEVICE_STATUS') {
        rec.toDevice.push({ act: { type: 'tick' } });
        handle(dev.tick());
      }
    } else return;
  }
}

/** The transport-msg scenario, shortened: init, a queue provisioned late, notifications, config, queue reset, reset. */
export function referenceSession(): Session {
  const dev = new VirtioMsgDevice(deviceOptions({ initialStatus: 0x0f }));
  const drv = new VirtioMsgDriver(driverOptions());
  const rec: Session = { toDevice: [], toDriver: [] };
  drv.init([
    { index: 0, size: 8, descAddr: 0x1000n, driverAddr: 0x2000n, deviceAddr: 0x3000n },
    { index: 1, size: 4, descAddr: 0x4000n, driverAddr: 0x5000n, deviceAddr: 0x6000n, enable: false },
  ]);
  pump(dev, drv, rec);
  drv.notify(1);
  pump(dev, drv, rec);
  drv.enableQueue(1);
  pump(dev, drv, rec);
  drv.notify(0);
  drv.writeConfig(0, 2, (cur) => cur.map((b) => (b + 1) & 0xff));
  drv.readConfig();
  pump(dev, drv, rec);
  rec.toDevice.push({ act: { type: 'change', offset: 6, data: [0x05, 0xdd] } });
  for (const o of dev.changeConfig(6, [0x05, 0xdd])) if (o.type === 'send') { rec.toDriver.push(o.message); drv.receive(o.message); }
  drv.resetQueue(0);
  drv.reset();
  pump(dev, drv, rec);
  return rec;
}
