/**
 * What the virtio-msg transport must guarantee (digest invariants 5, 6, 7, 17 to 20), stated over
 * the messages both sides send and the device state the host notes after each step, never over the
 * reference code.
 */
import { actorName, hex } from '../../harness/core/describe.ts';
import type { Invariant, OracleContext, TraceEntry } from '../../harness/core/model.ts';
import { OpKind } from '../../harness/core/ops.ts';
import { noteMessage } from '../../harness/msg/channel.ts';
import { describeMessage } from '../../harness/msg/codec.ts';
import { oneResponsePerRequest, wellFormedMessages } from '../../harness/msg/oracles.ts';
import { STATUS, VQ_FLAGS_RESERVED, VQ_IGNORE_DESC, VQ_IGNORE_DEVICE, VQ_IGNORE_DRIVER, VQ_IGNORE_SIZE, VQ_STATE, VQ_STATE_MASK, type Message } from '../../harness/msg/types.ts';
import { DEPENDENCIES, INITIAL_STATUS, MSG_NOTES, NOTES, OFFERED, QUEUE_MAX, REQUIRED } from './layout.ts';
import { isStatusPrefix } from './reference/device.ts';
import { describeFeatures, F, unmetDependencies, withBlocks } from './reference/features.ts';

const STATUS_NAMES: [number, string][] = [
  [STATUS.ACKNOWLEDGE, 'ACKNOWLEDGE'], [STATUS.DRIVER, 'DRIVER'], [STATUS.FEATURES_OK, 'FEATURES_OK'], [STATUS.DRIVER_OK, 'DRIVER_OK'],
  [STATUS.SUSPEND, 'SUSPEND'], [STATUS.DEVICE_NEEDS_RESET, 'DEVICE_NEEDS_RESET'], [STATUS.FAILED, 'FAILED'],
];

export function statusText(s: number): string {
  const names = STATUS_NAMES.filter(([bit]) => s & bit).map(([, n]) => n);
  return `${hex(s)} (${names.length ? names.join('|') : 'reset'})`;
}

/** A queue as noted: [index, enabled, size, desc, driver, device]. */
type QueueNote = readonly number[];
const RESET_QUEUE = (i: number): QueueNote => [i, 0, 0, 0, 0, 0];
const sameQueue = (a: QueueNote, b: QueueNote) => a.every((x, k) => x === b[k]);
const queueText = (q: QueueNote) => (q[1] ? `enabled, size ${q[2]}, desc ${hex(q[3])}` : q[2] ? `disabled, size ${q[2]}, desc ${hex(q[3])}` : 'disabled and unconfigured');

/**
 * The device and driver state the oracles follow, rebuilt from the trace: the device's noted
 * state, what it is handling, and what the driver last heard.
 */
class View {
  status = INITIAL_STATUS;
  features = new Set<number>();
  negotiated: Set<number> | undefined;
  queues: QueueNote[];
  resetting = false;
  /** The device received SET_DEVICE_STATUS(0) and its status has not reached 0 since. */
  resetAsked = false;
  /** What the device is handling in its current step: a message, or the completion of a reset. */
  cause: Message | 'reset completion' | undefined;
  causeAt = -1;
  /** Device features as the device reported them (GET_DEVICE_FEATURES). */
  offered = new Set<number>();
  /** The last status reported to the driver. */
  driverSaw: number | undefined;

  constructor(readonly ctx: OracleContext) {
    this.queues = Array.from({ length: ctx.instance.params.queues }, (_, i) => RESET_QUEUE(i));
  }

  is(e: TraceEntry, actor: 'driver' | 'device'): boolean {
    return actorName(this.ctx.instance, e.actor) === actor;
  }

  step(i: number): string {
    return `step ${this.ctx.trace[i]?.step ?? this.ctx.trace.length}`;
  }

  /** The message of a channel note, if e is one of `kind` ('sent' or 'received'). */
  message(e: TraceEntry, kind: 'sent' | 'received'): Message | undefined {
    if (e.k !== OpKind.NOTE || e.t !== MSG_NOTES[kind].id) return undefined;
    return noteMessage(e.data ?? []).message;
  }

  causeText(): string {
    if (this.cause === undefined) return 'on its own';
    if (this.cause === 'reset completion') return `while completing a reset (${this.step(this.causeAt)})`;
    return `while handling ${describeMessage(this.cause)} (${this.step(this.causeAt)})`;
  }

  /** Follows one entry; call after the invariant's own checks, which see the state before it. */
  apply(e: TraceEntry, i: number): void {
    const received = this.message(e, 'received');
    if (received && this.is(e, 'device')) {
      this.cause = received;
      this.causeAt = i;
      if (received.kind === 'SET_DEVICE_STATUS' && received.status === 0) this.resetAsked = true;
    }
    if (received && this.is(e, 'driver') && (received.kind === 'SET_DEVICE_STATUS_RESP' || received.kind === 'GET_DEVICE_STATUS_RESP')) this.driverSaw = received.status;
    const sent = this.message(e, 'sent');
    if (sent?.kind === 'GET_DEVICE_FEATURES_RESP' && this.is(e, 'device')) this.offered = withBlocks(this.offered, sent.blockIndex, sent.features);
    if (e.k !== OpKind.NOTE) return;
    const data = e.data ?? [];
    switch (e.t) {
      case NOTES['reset-begin'].id: this.resetting = true; break;
      case NOTES['reset-done'].id: this.resetting = false; this.cause = 'reset completion'; this.causeAt = i; break;
      case NOTES['dev-status'].id:
        this.status = data[0];
        if (data[0] === 0) this.resetAsked = false;
        break;
      case NOTES['dev-features'].id: this.features = withBlocks(new Set(), 0, data); break;
      case NOTES.negotiated.id: this.negotiated = data.length ? withBlocks(new Set(), 0, data) : undefined; break;
      case NOTES['vq-state'].id: this.queues[data[0]] = [...data]; break;
      default: break;
    }
  }

  live(q: number): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0 && (this.status & STATUS.DEVICE_NEEDS_RESET) === 0 && this.queues[q]?.[1] === 1;
  }
}

/** An invariant over the View: `check` sees each entry before the View applies it. */
function viewInvariant(
  spec: Pick<Invariant, 'name' | 'protects' | 'kind'>,
  make: (v: View) => { check?(e: TraceEntry, i: number): string | undefined; end?(): string | undefined },
): Invariant {
  return {
    ...spec,
    observe(ctx) {
      const v = new View(ctx);
      const o = make(v);
      return {
        onEntry(e, i) {
          const m = o.check?.(e, i);
          v.apply(e, i);
          return m;
        },
        atQuiescence: () => o.end?.(),
      };
    },
  };
}

const isNote = (e: TraceEntry, n: { id: number }) => e.k === OpKind.NOTE && e.t === n.id;

/** Invariant 5: the device status rises in order and only a reset clears it; DRIVER_OK only after FEATURES_OK read back. */
const statusSequence = viewInvariant({
  name: 'status-sequence',
  kind: 'safety',
  protects: 'The device status only rises along ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK (plus FAILED or DEVICE_NEEDS_RESET), returns to 0 only by a reset the driver asked for, and the driver sets DRIVER_OK only after it read FEATURES_OK back.',
}, (v) => ({
  check(e, i) {
    if (isNote(e, NOTES['dev-status'])) {
      const old = v.status;
      const s = e.data?.[0] ?? 0;
      const why = s === 0
        ? (v.resetAsked ? undefined : 'it went to 0 though the driver asked for no reset')
        : (old & s) !== old ? `it cleared ${statusText(old & ~s)}; only a reset (writing 0) clears bits`
          : !isStatusPrefix(s) ? 'it skipped a step of ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK'
            : (s & ~old & STATUS.SUSPEND) ? 'it set SUSPEND, which this device does not offer' : undefined;
      if (why) return `device status went from ${statusText(old)} to ${statusText(s)} at ${v.step(i)} ${v.causeText()}: ${why}.`;
    }
    const sent = v.message(e, 'sent');
    if (sent?.kind === 'SET_DEVICE_STATUS' && v.is(e, 'driver') && (sent.status & STATUS.DRIVER_OK) && !((v.driverSaw ?? 0) & STATUS.DRIVER_OK)) {
      if (!((v.driverSaw ?? 0) & STATUS.FEATURES_OK)) {
        return `driver sent ${describeMessage(sent)} at ${v.step(i)} though the last status it read was ${v.driverSaw === undefined ? 'none' : statusText(v.driverSaw)}: it must see FEATURES_OK read back before it goes on to DRIVER_OK.`;
      }
    }
    return undefined;
  },
}));

/** Invariant 20 (and the end of 5): a reset is awaited by the driver, and reported only once complete. */
const resetCompletes = viewInvariant({
    name: 'reset-completes',
    kind: 'liveness',
    protects: 'After writing status 0 the driver waits until a status of 0 is reported before it re-initialises; the device never reports 0 before its reset is complete, and a reset the driver asked for completes.',
  }, (v) => {
    let askedAt: number | undefined;
    return {
      check(e, i) {
        const sent = v.message(e, 'sent');
        if (sent && v.is(e, 'device') && (sent.kind === 'SET_DEVICE_STATUS_RESP' || sent.kind === 'GET_DEVICE_STATUS_RESP') && sent.status === 0 && v.resetting) {
          return `device reported status 0 in ${describeMessage(sent)} at ${v.step(i)} while its reset was still in progress: 0 means the reset is complete.`;
        }
        if (sent && v.is(e, 'driver')) {
          if (sent.kind === 'SET_DEVICE_STATUS' && sent.status === 0) askedAt ??= i;
          else if (askedAt !== undefined && sent.kind !== 'GET_DEVICE_STATUS' && sent.kind !== 'GET_DEVICE_INFO') {
            return `driver sent ${describeMessage(sent)} at ${v.step(i)} while the reset it asked for at ${v.step(askedAt)} had not been reported complete `
              + `(last status read: ${v.driverSaw === undefined ? 'none' : statusText(v.driverSaw)}): after writing 0 a driver polls GET_DEVICE_STATUS until it reads 0.`;
          }
        }
        const got = v.message(e, 'received');
        if (got && v.is(e, 'driver') && (got.kind === 'SET_DEVICE_STATUS_RESP' || got.kind === 'GET_DEVICE_STATUS_RESP') && got.status === 0) askedAt = undefined;
        return undefined;
      },
      end() {
        if (askedAt === undefined) return undefined;
        return `driver asked for a reset at ${v.step(askedAt)} and never read status 0, and no actor can run any more: the device status is ${statusText(v.status)}${v.resetting ? ', its reset still in progress' : ''}.`;
      },
    };
  });

/** Invariant 6: negotiated features are offered, closed under dependencies, and frozen after FEATURES_OK. */
const featuresNegotiated = viewInvariant({
  name: 'features-negotiated',
  kind: 'safety',
  protects: 'The features a driver selects are offered and closed under their dependencies; a device accepts FEATURES_OK only for such a set (with the features it requires) and keeps it unchanged until a reset.',
}, (v) => ({
  check(e, i) {
    const sent = v.message(e, 'sent');
    if (sent?.kind === 'SET_DRIVER_FEATURES' && v.is(e, 'driver')) {
      const set = withBlocks(new Set(), sent.blockIndex, sent.features);
      const notOffered = [...set].filter((b) => !v.offered.has(b));
      const unmet = unmetDependencies(set, DEPENDENCIES);
      if (notOffered.length || unmet.length) {
        return `driver selected features ${describeFeatures(set)} in ${describeMessage(sent)} at ${v.step(i)}: `
          + [notOffered.length ? `bits ${notOffered.join(', ')} were not offered (offered: ${describeFeatures(v.offered)})` : '',
            ...unmet.map((u) => `bit ${u.feature} requires bit ${u.requires}, not selected`)].filter(Boolean).join('; ') + '.';
      }
    }
    if (isNote(e, NOTES['dev-status'])) {
      const s = e.data?.[0] ?? 0;
      if (s & STATUS.FEATURES_OK & ~v.status) {
        const set = v.features;
        const offered = new Set(OFFERED);
        const problems = [
          ...[...set].filter((b) => !offered.has(b)).map((b) => `bit ${b} was not offered`),
          ...unmetDependencies(set, DEPENDENCIES).map((u) => `bit ${u.feature} requires bit ${u.requires}`),
          ...REQUIRED.filter((b) => !set.has(b)).map((b) => `required bit ${b} is missing`),
        ];
        if (problems.length) return `device accepted FEATURES_OK at ${v.step(i)} ${v.causeText()} for driver features ${describeFeatures(set)}: ${problems.join('; ')}.`;
      }
    }
    if (isNote(e, NOTES['dev-features']) && (v.status & STATUS.FEATURES_OK)) {
      return `device changed the driver-selected features from ${describeFeatures(v.features)} to ${describeFeatures(withBlocks(new Set(), 0, e.data ?? []))} at ${v.step(i)} ${v.causeText()}, after FEATURES_OK (status ${statusText(v.status)}): features are frozen once FEATURES_OK is set.`;
    }
    return undefined;
  },
}));

/** What a SET_VQUEUE leads to on a disabled queue, as the draft defines it (undefined: nothing may change). */
function setVqueueResult(old: QueueNote, m: Extract<Message, { kind: 'SET_VQUEUE' }>, maxSize: number): QueueNote | undefined {
  const op = m.flags & VQ_STATE_MASK;
  if (old[1] === 1 || m.reserved !== 0 || (m.flags & VQ_FLAGS_RESERVED) !== 0 || op === VQ_STATE.RESERVED) return undefined;
  const lo = (x: bigint) => Number(x & 0xffffffffn);
  const size = m.flags & VQ_IGNORE_SIZE ? old[2] : m.size;
  if ((!(m.flags & VQ_IGNORE_SIZE) || op === VQ_STATE.ENABLE) && !(size >= 1 && size <= maxSize && (size & (size - 1)) === 0)) return undefined;
  return [old[0], op === VQ_STATE.ENABLE ? 1 : 0, size,
    m.flags & VQ_IGNORE_DESC ? old[3] : lo(m.descAddr), m.flags & VQ_IGNORE_DRIVER ? old[4] : lo(m.driverAddr), m.flags & VQ_IGNORE_DEVICE ? old[5] : lo(m.deviceAddr)];
}

/** Invariant 18 with the queue rules: queues change only as SET_VQUEUE, RESET_VQUEUE and reset allow; bad indices name nothing. */
const queueStateRules = (queueMax: number) => viewInvariant({
  name: 'queue-state-rules',
  kind: 'safety',
  protects: 'A queue changes only by a SET_VQUEUE accepted after FEATURES_OK (all-or-nothing, never on an enabled queue, never disabling one), a RESET_VQUEUE with VIRTIO_F_RING_RESET negotiated, or a device reset; an index at or beyond max_virtqueues names no queue and reads as all zeros.',
}, (v) => ({
  check(e, i) {
    const sent = v.message(e, 'sent');
    if (sent?.kind === 'GET_VQUEUE_RESP' && v.is(e, 'device') && sent.index >>> 0 >= v.queues.length
      && (sent.maxSize || sent.curSize || sent.flags || sent.descAddr || sent.driverAddr || sent.deviceAddr)) {
      return `device answered ${describeMessage(sent)} at ${v.step(i)} for a queue index beyond max_virtqueues ${v.queues.length}: it must be the all-zero sentinel.`;
    }
    if (!isNote(e, NOTES['vq-state'])) return undefined;
    const q = e.data ?? [];
    const old = v.queues[q[0]];
    const c = v.cause;
    let expected: QueueNote | undefined;
    let rule: string;
    if (c === 'reset completion') {
      expected = RESET_QUEUE(q[0]);
      rule = 'a device reset leaves every queue disabled and unconfigured';
    } else if (c?.kind === 'SET_VQUEUE' && c.index === q[0]) {
      expected = (v.status & STATUS.FEATURES_OK) && !(v.status & (STATUS.FAILED | STATUS.DEVICE_NEEDS_RESET)) ? setVqueueResult(old, c, queueMax) : undefined;
      rule = !(v.status & STATUS.FEATURES_OK) ? `queue setup is allowed only once FEATURES_OK is set (status ${statusText(v.status)})`
        : old[1] ? 'an enabled queue can be neither changed nor disabled by SET_VQUEUE'
          : 'SET_VQUEUE applies all requested fields (valid size, no reserved bits) or nothing';
    } else if (c?.kind === 'RESET_VQUEUE' && c.index === q[0]) {
      expected = v.negotiated?.has(F.RING_RESET) ? RESET_QUEUE(q[0]) : undefined;
      rule = 'RESET_VQUEUE acts only with VIRTIO_F_RING_RESET negotiated, and leaves the queue disabled';
    } else {
      rule = 'a queue changes only by SET_VQUEUE, RESET_VQUEUE or a device reset';
    }
    if (expected && sameQueue(q, expected)) return undefined;
    return `device changed queue ${q[0]} from ${queueText(old)} to ${queueText(q)} at ${v.step(i)} ${v.causeText()}: ${rule}${expected ? ` (expected ${queueText(expected)})` : ''}.`;
  },
}));

/** Invariant 7: no buffer used, no used notification, unless the device is DRIVER_OK and the queue enabled. */
const noIoWhenNotLive = viewInvariant({
  name: 'no-io-when-not-live',
  kind: 'safety',
  protects: 'The device uses no buffer and sends no EVENT_USED for a queue unless DRIVER_OK is set and the queue is enabled: not before DRIVER_OK, not on a queue that is disabled, deleted or reset until it is enabled again.',
}, (v) => ({
  check(e, i) {
    const why = (q: number) => (!(v.status & STATUS.DRIVER_OK) ? `the device status is ${statusText(v.status)}, without DRIVER_OK` : `queue ${q} is ${queueText(v.queues[q] ?? RESET_QUEUE(q))}`);
    if (isNote(e, NOTES.used)) {
      const [q, from, to] = e.data ?? [];
      if (!v.live(q)) return `device used buffers of queue ${q} (used_idx ${from} -> ${to}) at ${v.step(i)} ${v.causeText()}, but ${why(q)}.`;
    }
    const sent = v.message(e, 'sent');
    if (sent?.kind === 'EVENT_USED' && !v.live(sent.vqIndex)) return `device sent ${describeMessage(sent)} at ${v.step(i)}, but ${why(sent.vqIndex)}.`;
    return undefined;
  },
}));

/** Invariant 19: every notification occurrence leads to exactly one transport-visible event; no buffer on a live queue is forgotten. */
const noLostNotification = viewInvariant({
  name: 'no-lost-notification',
  kind: 'liveness',
  protects: 'Once nothing can run, every buffer the driver made available on a live queue has been used (a notification, or the queue becoming live, makes the device look), and every use was announced to the driver by an EVENT_USED.',
}, (v) => {
  const avail = new Map<number, { idx: number; at: number }>();
  const used = new Map<number, { idx: number; at: number }>();
  const told = new Map<number, number>();
  return {
    check(e, i) {
      if (isNote(e, NOTES.avail)) avail.set(e.data![0], { idx: e.data![1], at: i });
      if (isNote(e, NOTES.used)) used.set(e.data![0], { idx: e.data![2], at: i });
      const got = v.message(e, 'received');
      if (got?.kind === 'EVENT_USED' && v.is(e, 'driver')) told.set(got.vqIndex, i);
      return undefined;
    },
    end() {
      for (const [q, a] of avail) {
        const u = used.get(q);
        if (v.live(q) && (u?.idx ?? 0) !== a.idx) {
          return `the driver made buffers of queue ${q} available up to avail_idx ${a.idx} (${v.step(a.at)}), but the device used them only up to ${u?.idx ?? 0}, `
            + `though queue ${q} is live (${queueText(v.queues[q])}, status ${statusText(v.status)}) and no actor can run any more: a notification, or the implicit one when the queue became live, was lost or ignored.`;
        }
        if (u && (told.get(q) ?? -1) < u.at) return `device used buffers of queue ${q} at ${v.step(u.at)} and the driver never received an EVENT_USED for them.`;
      }
      return undefined;
    },
  };
});

export const invariants: readonly Invariant[] = [
  oneResponsePerRequest(MSG_NOTES),
  wellFormedMessages(MSG_NOTES),
  statusSequence,
  resetCompletes,
  featuresNegotiated,
  queueStateRules(QUEUE_MAX),
  noIoWhenNotLive,
  noLostNotification,
];
