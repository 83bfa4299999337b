/**
 * The two steps a variant of transport-msg replaces: how the device and the driver are made. A
 * mutant is the reference class with one rule overridden (see variants.ts).
 */
import { VirtioMsgDevice, type DeviceOptions } from './reference/device.ts';
import { VirtioMsgDriver, type DriverOptions } from './reference/driver.ts';

export interface TransportProtocol {
  readonly makeDevice: (o: DeviceOptions) => VirtioMsgDevice;
  readonly makeDriver: (o: DriverOptions) => VirtioMsgDriver;
}

export const reference: TransportProtocol = {
  makeDevice: (o) => new VirtioMsgDevice(o),
  makeDriver: (o) => new VirtioMsgDriver(o),
};
