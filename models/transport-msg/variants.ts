/**
 * Mutants of transport-msg: each is the reference device or driver with one rule overridden (one
 * method of VirtioMsgDevice or VirtioMsgDriver), and says what it breaks.
 */
import type { Variant } from '../../harness/core/define-model.ts';
import { STATUS, type Body, type EventAvail, type Message } from '../../harness/msg/types.ts';
import type { TransportProtocol } from './protocol.ts';
import { VirtioMsgDevice, type DeviceOutput, type QueueState } from './reference/device.ts';
import { VirtioMsgDriver, type Steps } from './reference/driver.ts';
import { type FeatureSet } from './reference/features.ts';

/** B8: the device looks at a queue only when notified; a queue becoming live is not looked at. */
class NoImplicitKick extends VirtioMsgDevice {
  protected override implicitKick(): DeviceOutput[] {
    return [];
  }
}

/** B19: the queue index is compared as a signed 32-bit number, so 0xffffffff (-1) passes. */
class SignedQueueIndex extends VirtioMsgDevice {
  protected override validQueueIndex(index: number): boolean {
    return (index | 0) < this.maxVirtqueues;
  }
}

/** B27 (Zephyr): the reset poll tests BIT(0x70) instead of the status, so it never waits. */
class ResetNotAwaited extends VirtioMsgDriver {
  protected override *resetSteps(): Steps<void> {
    let s = (yield* this.ask<'SET_DEVICE_STATUS_RESP'>({ kind: 'SET_DEVICE_STATUS', status: 0 })).status;
    // The bug: BIT(0x70) where the status was meant; 1 << 0x70 is bit 16 in JavaScript (undefined in C).
    while ((s & (1 << 0x70)) !== 0) s = (yield* this.ask<'GET_DEVICE_STATUS_RESP'>({ kind: 'GET_DEVICE_STATUS' })).status;
  }
}

/** B27 (Firecracker): status, feature and queue writes accepted whatever the phase. */
class AnyPhase extends VirtioMsgDevice {
  protected override phaseAllows(): boolean {
    return true;
  }
  protected override statusTransition(_old: number, requested: number): number {
    return requested;
  }
}

/** B28: behaviour keyed on the features offered, not on those negotiated. */
class OfferedNotNegotiated extends VirtioMsgDevice {
  protected override hasFeature(bit: number): boolean {
    return this.offered.has(bit);
  }
}

/** B29: feature setup runs on every status write with FEATURES_OK set (DRIVER_OK still carries it). */
class FeaturesOkTwice extends VirtioMsgDevice {
  protected override featuresOkEdge(_old: number, next: number): boolean {
    return (next & STATUS.FEATURES_OK) !== 0;
  }
}

/** B30: the driver takes every wanted bit the device offers, without checking dependencies. */
class NoFeatureDeps extends VirtioMsgDriver {
  protected override chooseFeatures(offered: FeatureSet): FeatureSet {
    return new Set(this.opts.wanted.filter((b) => offered.has(b)));
  }
}

/** B31: a notification runs the queue's handler whether or not the queue is live (deleted, disabled, reset). */
class NotifyAnyQueue extends VirtioMsgDevice {
  protected override onEventAvail(m: EventAvail): DeviceOutput[] {
    return this.validQueueIndex(m.vqIndex) ? [{ type: 'process-queue', index: m.vqIndex }] : [];
  }
}

/** The device answers with token 0 instead of copying the request's token. */
class TokenNotCopied extends VirtioMsgDevice {
  protected override respond(_req: unknown, body: Body): DeviceOutput {
    return { type: 'send', message: { ...body, devNum: this.devNum, token: 0 } as Message };
  }
}

/** GET_VQUEUE reports the flags word the driver wrote in SET_VQUEUE instead of just bit 0. */
class QueueFlagsEcho extends VirtioMsgDevice {
  private readonly written = new Map<number, number>();
  protected override storeQueueFlags(index: number, flags: number): void {
    this.written.set(index, flags);
  }
  protected override queueFlags(index: number, q: QueueState): number {
    return this.written.get(index) ?? super.queueFlags(index, q);
  }
}

const device = (C: new (o: ConstructorParameters<typeof VirtioMsgDevice>[0]) => VirtioMsgDevice): Partial<TransportProtocol> => ({ makeDevice: (o) => new C(o) });
const driver = (C: new (o: ConstructorParameters<typeof VirtioMsgDriver>[0]) => VirtioMsgDriver): Partial<TransportProtocol> => ({ makeDriver: (o) => new C(o) });

export const variants: readonly Variant<TransportProtocol>[] = [
  {
    name: 'reference',
    description: 'The reference driver and device (models/transport-msg/reference): the draft\'s initialisation order with every check, strict config profile, asynchronous reset completion, a queue that becomes live looked at as if notified, every index checked unsigned against max_virtqueues.',
    expect: { verdict: 'passed' },
  },
  {
    name: 'no-enable-kick',
    description: 'The device looks at a queue only on EVENT_AVAIL. The driver notified queue 1 while it was still disabled (the device rightly ignored that) and then enabled it; nothing makes the device look again, and the buffer waits for ever.',
    expect: { verdict: 'violated', invariant: 'no-lost-notification' },
    recreates: 'bug zoo B8 (rust-vmm/vhost issue 247: kick before SET_VRING_ENABLE dropped, enable does not re-scan); draft: "Once DRIVER_OK is set, the device MUST begin processing"',
    override: device(NoImplicitKick),
  },
  {
    name: 'signed-queue-index',
    description: 'The device compares queue indices as signed 32-bit numbers: GET_VQUEUE for 0xffffffff (-1) passes the check and reads outside the queue table.',
    expect: { verdict: 'violated', invariant: 'no-actor-error' },
    recreates: 'bug zoo B19 (QEMU CVE-2011-2512, 7157e2e2 "virtio: guard against negative vq notifies")',
    override: device(SignedQueueIndex),
  },
  {
    name: 'reset-not-awaited',
    description: 'The driver\'s reset poll tests the wrong bit (BIT(0x70)), so it goes on after SET_DEVICE_STATUS(0) answered with the old status, while the device is still resetting.',
    expect: { verdict: 'violated', invariant: 'reset-completes' },
    recreates: 'bug zoo B27 (Zephyr issue 115149: the MMIO reset poll never waited; synchronous QEMU hid it)',
    override: driver(ResetNotAwaited),
  },
  {
    name: 'wrong-phase-writes',
    description: 'The device accepts status writes that clear bits, feature writes outside DRIVER and queue writes before FEATURES_OK: the driver\'s probe clearing ACKNOWLEDGE goes through.',
    expect: { verdict: 'violated', invariant: 'status-sequence' },
    recreates: 'bug zoo B27 (Firecracker 3872d97e, 42fae696: PCI transport accepted queue writes outside FEATURES_OK..DRIVER_OK, status writes clearing bits, feature writes outside DRIVER)',
    override: device(AnyPhase),
  },
  {
    name: 'offered-not-negotiated',
    description: 'The device keys its behaviour on offered features: it offers VIRTIO_F_NOTIFICATION_DATA, which the driver did not accept, and trusts EVENT_AVAIL.next_offset (0) as the driver\'s position, so it never uses the buffers made available after DRIVER_OK.',
    expect: { verdict: 'violated', invariant: 'no-lost-notification' },
    recreates: 'bug zoo B28 (Firecracker PR 4680: offloads enabled from offered rather than negotiated features)',
    override: device(OfferedNotNegotiated),
  },
  {
    name: 'features-ok-twice',
    description: 'The device runs its feature setup whenever a status write has FEATURES_OK set; the DRIVER_OK write still has it, so the setup runs again and unconfigures queue 0, which the driver had enabled.',
    expect: { verdict: 'violated', invariant: 'queue-state-rules' },
    recreates: 'bug zoo B29 (oxidecomputer/propolis PR 1064: FEATURES_OK side effects re-run on the DRIVER_OK write)',
    override: device(FeaturesOkTwice),
  },
  {
    name: 'no-feature-deps',
    description: 'The driver accepts every wanted feature the device offers without checking dependencies: the device offers CTRL_RX (bit 18) without CTRL_VQ (bit 17), and the driver selects it.',
    expect: { verdict: 'violated', invariant: 'features-negotiated' },
    recreates: 'bug zoo B30 (Linux "virtio-net: validate features during probe": CTRL_RX offered without CTRL_VQ)',
    override: driver(NoFeatureDeps),
  },
  {
    name: 'notify-deleted-queue',
    description: 'The device runs a queue\'s handler on EVENT_AVAIL whether or not the queue is live: the driver\'s notification of queue 1 before it was enabled makes the device use its buffer.',
    expect: { verdict: 'violated', invariant: 'no-io-when-not-live' },
    recreates: 'bug zoo B31 (openEuler QEMU "virtio-bugfix-clean-up-callback-when-del-virtqueue": stale notify to a deleted queue)',
    override: device(NotifyAnyQueue),
  },
  {
    name: 'token-not-copied',
    description: 'The device answers every request with token 0 instead of the request\'s token, so no response can be matched to its request.',
    expect: { verdict: 'violated', invariant: 'one-response-per-request' },
    recreates: 'draft 009bce08 Common Header (device): "For each request/response message pair, a device MUST copy the token"; digest invariant 17',
    override: device(TokenNotCopied),
  },
  {
    name: 'vqueue-flags-echo',
    description: 'The device keeps the flags word of SET_VQUEUE and reports it in GET_VQUEUE: after an enable with the ignore bits set (0x3d), GET_VQUEUE carries reserved bits 31:1.',
    expect: { verdict: 'violated', invariant: 'well-formed-messages' },
    recreates: 'draft 009bce08 GET_VQUEUE (device): "MUST report queue enabled state in flags bit 0 and MUST set flags bits 31:1 to zero"; digest invariant 17 (reserved bits 0)',
    override: device(QueueFlagsEcho),
  },
];
