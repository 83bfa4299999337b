/** The fuzz targets by name. */
import type { FuzzTarget } from '../target.ts';
import { transportDevice } from './transport-device.ts';
import { transportDriver } from './transport-driver.ts';
import { configMsg } from './config-msg.ts';

export const FUZZ_TARGETS: readonly FuzzTarget[] = [transportDevice, transportDriver, configMsg];

export function findTarget(name: string): FuzzTarget | undefined {
  return FUZZ_TARGETS.find((t) => t.name === name);
}
