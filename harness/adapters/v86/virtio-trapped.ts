/**
 * v86's VirtIO device as v86 itself runs it: the guest's notify port write traps into the queue
 * handler, which runs to its end while the emulated CPU waits (harness/adapters/v86/scheme.ts
 * makes each handler call one atomic section).
 */
export { VirtIO, V86_VERSION } from './virtio.ts';
export const trapAndEmulate = true;
