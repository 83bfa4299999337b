/**
 * The driver and device roles of vring-split and vring-packed for third-party JavaScript
 * (docs/third-party.md, "vring-split and vring-packed").
 *
 * The implementation owns the ring protocol: every load and store of the layout's fields, the
 * barriers, its private indices, and its notification decisions (it reads the peer's suppression
 * state and notifies or not). The adapter owns the scenario of models/vring-common/scenario.ts,
 * which requests go in and when, so the model's invariants judge the third-party code unchanged:
 *
 *   driver: add as many of the `buffers` requests as fit, kick; sleep until used-irq; then, as a
 *           NAPI poll: disable callbacks, take every used buffer, refill, re-enable and re-check,
 *           again while the re-check finds more; until every request came back.
 *   device: sleep until a kick, then let the implementation process the queue (pop, walk, serve,
 *           push used, interrupt, re-enable kicks and re-check), again at the next kick.
 *
 * The oracles' ghost notes are the driver scenario's, written where the reference writes them:
 * `added` (request, head or buffer id) after addBuffer returns, `got` (id, len) after getBuf returns.
 * The device needs none: the monitors read everything it does from memory.
 */
import type { ModelInstance, Params } from '../../core/model.ts';
import { OpKind } from '../../core/ops.ts';
import { RESPONSE_BYTES, segmentsOf, type Segment } from '../../../models/vring-common/scenario.ts';
import { requestLength } from '../../../models/vring-packed/driver.ts';
import { splitRequestLength } from '../../../models/vring-split/layout.ts';
import { syncPort, type BlockingBody, type RawPort, type SyncPort } from '../blocking-port.ts';
import type { RoleSpec } from '../schemes.ts';
import { overNotification } from './over-notification.ts';

type Fn = (...args: unknown[]) => unknown;

/**
 * The roles' entry points, for implementations written in TypeScript (docs/third-party.md): `Q` is
 * the implementation's own queue state, made by `setup` afresh for every execution.
 */
export interface VringDriver<Q = object> {
  setup?(port: SyncPort): Q;
  /** Makes a chain (split) or list (packed) of `segments` available; its head or buffer id, or undefined when full. */
  addBuffer(port: SyncPort, vq: Q, segments: readonly Segment[]): number | undefined;
  /** Notifies the device (`kick`) if its suppression state asks for it. */
  kick(port: SyncPort, vq: Q): void;
  /** The next used buffer as the device wrote it, or undefined. */
  getBuf(port: SyncPort, vq: Q): { id: number; len: number } | undefined;
  disableCb?(port: SyncPort, vq: Q): void;
  /** Re-enables used-irq and re-checks: true when nothing is pending. */
  enableCb(port: SyncPort, vq: Q): boolean;
}

export interface VringDevice<Q = object> {
  setup?(port: SyncPort): Q;
  /** Serves every available buffer, notifies as asked, re-enables kicks and re-checks before returning. */
  processQueue(port: SyncPort, vq: Q, serve: (segments: readonly Segment[]) => number): void;
}

/** What differs between the two formats, as far as the roles go. */
interface RingKind {
  /** The request the driver sends as buffer b. */
  readonly request: (p: Params, b: number) => Segment[];
  /** The `added` note's third number: 0, the driver returns a head (split); 1, a buffer id (packed). */
  readonly idKind: 0 | 1;
}

export const SPLIT: RingKind = { request: (p, b) => segmentsOf(splitRequestLength(p, b), b), idKind: 0 };
export const PACKED: RingKind = { request: (p, b) => segmentsOf(requestLength(p.chainLength, b), b), idKind: 1 };

const refOf = (instance: ModelInstance) => {
  const note = (n: string) => instance.notes.find((x) => x.name === n)!.id;
  const event = (n: string) => instance.events.find((x) => x.name === n)!.id;
  return { added: note('added'), got: note('got'), kick: event('kick'), irq: event('used-irq') };
};

const idle = (raw: RawPort, event: number) => raw.op({ k: OpKind.WAIT, t: event, v: 1, w: 0 });

/** The implementation's per-execution queue state: what setup(port) returns, or a fresh object. */
function setupQueue(impl: Record<string, unknown>, port: SyncPort): unknown {
  return typeof impl.setup === 'function' ? (impl.setup as Fn)(port) : {};
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function headOrNone(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isIndex(v)) throw new TypeError(`addBuffer must return the head (split) or buffer id (packed) it used, or undefined when the ring has no room, not ${JSON.stringify(v)}`);
  return v;
}

function usedOrNone(v: unknown): { id: number; len: number } | undefined {
  if (v === undefined || v === null) return undefined;
  const u = v as { id?: unknown; len?: unknown };
  if (typeof v !== 'object' || !isIndex(u.id) || !isIndex(u.len)) {
    throw new TypeError(`getBuf must return { id, len } of the next used buffer, or undefined when there is none, not ${JSON.stringify(v)}`);
  }
  return { id: u.id, len: u.len };
}

function flag(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what} must return true or false, not ${JSON.stringify(v)}`);
  return v;
}

const KICK_ADVISORY = overNotification('driver', 'event-idx-kick',
  'The driver SHOULD NOT send an available buffer notification unless the device\'s suppression state asks for one (virtio 1.2, 2.7.10 and 2.8.21: with EVENT_IDX, unless vring_need_event holds over the entries just made available).');
const IRQ_ADVISORY = overNotification('device', 'event-idx-irq',
  'The device SHOULD NOT send a used buffer notification unless the driver\'s suppression state asks for one (virtio 1.2, 2.7.7 and 2.8.10: with EVENT_IDX, unless vring_need_event holds over the entries just used).');

/** The driver role of a format: the scenario of models/vring-common/scenario.ts over a VringDriver. */
export function driverRole(ring: RingKind): RoleSpec {
  return {
    required: ['addBuffer', 'kick', 'getBuf', 'enableCb'],
    optional: ['setup', 'disableCb'],
    advisories: [KICK_ADVISORY.advisory],
    invariants: KICK_ADVISORY.invariants,
    body(instance, impl): BlockingBody {
      const r = refOf(instance);
      const p = instance.params;
      return (raw) => {
        const port = syncPort(instance, raw);
        const vq = setupQueue(impl, port);
        const call = (name: string, ...args: unknown[]) => (impl[name] as Fn)(port, vq, ...args);
        let next = 0;
        let received = 0;
        const refill = () => {
          let added = 0;
          for (; next < p.buffers; next++, added++) {
            const head = headOrNone(call('addBuffer', ring.request(p, next)));
            if (head === undefined) break;
            raw.note(r.added, [next, head, ring.idKind]);
          }
          if (added > 0) call('kick');
        };
        const disableCb = () => { if (typeof impl.disableCb === 'function') call('disableCb'); };
        refill();
        while (received < p.buffers) {
          idle(raw, r.irq);
          disableCb();
          for (;;) {
            for (let u = usedOrNone(call('getBuf')); u !== undefined; u = usedOrNone(call('getBuf'))) {
              raw.note(r.got, [u.id, u.len]);
              received++;
            }
            refill();
            if (flag(call('enableCb'), 'enableCb')) break;
            disableCb();
          }
        }
      };
    },
  };
}

/** The device's backend: takes the chain's segments, returns the bytes written into its writable part. */
function serve(segments: unknown): number {
  if (!Array.isArray(segments) || segments.some((s) => typeof s !== 'object' || s === null || !isIndex((s as Segment).len))) {
    throw new TypeError(`serve takes the chain's segments, an array of { addr, len, write }, not ${JSON.stringify(segments)?.slice(0, 80)}`);
  }
  const writable = (segments as Segment[]).reduce((sum, s) => sum + (s.write ? s.len : 0), 0);
  return Math.min(writable, RESPONSE_BYTES);
}

/** The device role, the same for both formats: sleep until a kick, then processQueue. */
export const VRING_DEVICE: RoleSpec = {
  required: ['processQueue'],
  optional: ['setup'],
  advisories: [IRQ_ADVISORY.advisory],
  invariants: IRQ_ADVISORY.invariants,
  body(instance, impl): BlockingBody {
    const r = refOf(instance);
    return (raw) => {
      const port = syncPort(instance, raw);
      const vq = setupQueue(impl, port);
      for (;;) {
        idle(raw, r.kick);
        (impl.processQueue as Fn)(port, vq, serve);
      }
    };
  },
};
