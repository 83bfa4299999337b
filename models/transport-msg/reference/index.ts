/**
 * The virtio-msg transport's reference implementation, reusable outside the checker (a fuzzer's
 * differential oracle, third-party validation): sans-IO device and driver, feature helpers, and the
 * wire codec they speak. API: docs/transport-msg.md.
 */
export { VirtioMsgDevice, isStatusPrefix, type DeviceOptions, type DeviceOutput, type QueueState } from './device.ts';
export { VirtioMsgDriver, DriverError, type DriverOptions, type Operation, type QueueSetup, type Steps } from './driver.ts';
export { F, acceptable, describeFeatures, featureSet, toBlocks, unmetDependencies, withBlocks, type Dependencies, type FeatureSet } from './features.ts';
export * from '../../../harness/msg/types.ts';
export { decode, encode, tryDecode, describeMessage, MsgError, type CodecOptions, type MsgErrorKind } from '../../../harness/msg/codec.ts';
