/** The steps of design 1 that a variant may replace, and the reference that takes them from the spec. */
import type { Program } from '../../harness/core/ops.ts';
import { signalConfigChange, takeDriverWrite, updateConfig } from './device.ts';
import { handleConfigChange, readConfig, writeConfig } from './driver.ts';
import type { ConfigSpace } from './layout.ts';

export interface GencountProtocol {
  readonly readConfig: (c: ConfigSpace) => Program<number[]>;
  readonly handleConfigChange: (c: ConfigSpace, read: GencountProtocol['readConfig']) => Program;
  readonly writeConfig: (c: ConfigSpace, words: readonly number[]) => Program;
  readonly updateConfig: (c: ConfigSpace, words: readonly number[]) => Program;
  readonly signalConfigChange: (c: ConfigSpace) => Program;
  readonly takeDriverWrite: (c: ConfigSpace) => Program;
}

export const reference: GencountProtocol = {
  readConfig,
  handleConfigChange,
  writeConfig,
  updateConfig,
  signalConfigChange,
  takeDriverWrite,
};
