/**
 * What a split virtqueue must guarantee, stated on the memory and the trace only (never on how the
 * reference achieves it), so that the same oracles judge third-party drivers and devices.
 *
 * The monitor follows the globally visible memory: when avail.idx becomes visible with a new value
 * the entries it covers are exposed (the head in avail.ring and the chain it starts, read from
 * memory at that instant); when used.idx does, the used elements it covers are used. Under tso that
 * is the FLUSH of the store, not the store. The driver scenario's `got` note says which buffer
 * get_buf returned; everything else comes from loads, stores and notifications.
 */
import { OpKind } from '../../harness/core/ops.ts';
import type { OracleContext, TraceEntry } from '../../harness/core/model.ts';
import { monitorInvariants, RingMonitor, type InvariantText } from '../vring-common/monitor.ts';
import { NotifyLog, type Side } from '../vring-common/notify-log.ts';
import { fmt, needEventText, u16, vringNeedEvent } from '../vring-common/ring-math.ts';
import {
  splitLongestRequest,
  DESC_BYTES, EVENTS, NOTES, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE,
} from './layout.ts';

export const INVARIANTS: readonly InvariantText[] = [
  { name: 'free-running-indices', kind: 'safety', protects: 'avail.idx and used.idx are free-running 16-bit counters: each change moves them forward (mod 2^16) by at most the queue size, never back and never reduced to a ring slot.' },
  { name: 'in-flight-within-size', kind: 'safety', protects: 'The buffers in flight, (u16)(avail.idx - used.idx), stay between 0 and the queue size: the driver never exposes more than N and the device never uses more than were exposed.' },
  { name: 'publish-order', kind: 'safety', protects: 'The ring entry and descriptors are written and visible before the avail.idx that exposes them, and the used element before the used.idx that covers it.' },
  { name: 'chain-bounded', kind: 'safety', protects: 'A chain walk follows at most N descriptors (an indirect table: at most its length) and stops at a descriptor without NEXT, so a looped chain is refused, never walked forever.' },
  { name: 'descriptor-ownership', kind: 'safety', protects: 'Each side touches only what it owns: the device reads a descriptor only while the chain holding it is exposed and not yet used, and never writes the descriptor table or the available ring; the driver writes a descriptor only while it is free, and never writes the used ring.' },
  { name: 'used-exactly-once', kind: 'safety', protects: 'Every exposed head is used exactly once, with a live id and a length within its writable buffers, and the driver gets back exactly the used elements, in order, with the id and length the device wrote.' },
  { name: 'notify-decision', kind: 'safety', protects: 'After publishing entries the producer notifies unless a fresh read of the suppression state (after its index store is visible) says none is due: with EVENT_IDX vring_need_event(event, new, old) over the entries published since the previous decision or notification, with flags a set flag. A notification, read or not, closes the entries published so far; barriers and other operations may stand between the read and the notification; going back to wait (or ending) with a notification owed, or with entries published and no fresh read, is the violation. A notification the formula said was not due is reported too (for third-party code, the event-idx-kick / event-idx-irq advisory).' },
  { name: 'no-lost-notification', kind: 'liveness', protects: 'Once nothing can run, no side sleeps with work pending: every exposed buffer was used (no lost kick) and every used buffer was taken by the driver (no lost interrupt).' },
];

type Area = 'desc' | 'ind' | 'avail' | 'avail.ring' | 'used' | 'used.ring';

interface FieldInfo {
  readonly area: Area;
  /** Descriptor key (ring descriptor i: i; ind[h].desc[j]: N + h*C + j) or ring slot. */
  readonly index: number;
  readonly member: string;
}

interface Outstanding {
  readonly index: number;
  readonly keys: readonly number[];
  readonly capacity: number;
}

interface Walk {
  head: number;
  /** -1 for the descriptor table, h for ind[h]. */
  table: number;
  hops: number;
  limit: number;
  expectNew: boolean;
  cur: number;
  lastLen: number;
  readonly path: string[];
  reported: boolean;
}

const MEMBERS = ['addr', 'len', 'flags', 'next'] as const;

/** A consumer's write to its suppression state, as a person reads it. */
function suppressionText(name: string, v: number): string {
  switch (name) {
    case 'avail.flags': return `${v & 1 ? 'set' : 'cleared'} VRING_AVAIL_F_NO_INTERRUPT (avail.flags=${v})`;
    case 'used.flags': return `${v & 1 ? 'set' : 'cleared'} VRING_USED_F_NO_NOTIFY (used.flags=${v})`;
    case 'avail.used_event': return `set avail.used_event=${v} (an interrupt is due once used index ${v} is filled)`;
    default: return `set used.avail_event=${v} (a kick is due once avail index ${v} is filled)`;
  }
}

class SplitMonitor extends RingMonitor {
  private readonly n: number;
  private readonly mask: number;
  private readonly chain: number;
  private readonly start: number;
  private readonly info = new Map<number, FieldInfo>();
  private readonly f: (name: string) => number;
  private readonly driver: number;
  private readonly device: number;
  private readonly eventIdx: boolean;
  private readonly indAddr: number[] = [];

  private A: number;
  private U: number;
  private availVisibleAt = -1;
  private usedVisibleAt = -1;
  private received = 0;
  private readonly lastStore = new Map<number, number>();
  private readonly slotFresh: boolean[];
  private readonly usedFresh: { id: boolean; len: boolean }[];
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly owner = new Map<number, number>();
  private readonly usedRecords: { id: number; len: number; index: number; slot: number }[] = [];
  private readonly lastUsedAt = new Map<number, number>();
  /** The descriptors of the chain returned by each used record, by record number. */
  private readonly chainKeysAtUse = new Map<number, readonly number[]>();
  /** The device's last load of an avail.ring slot (where the head it is walking came from). */
  private ringLoad: { slot: number; head: number; at: number } | undefined;
  /** When the driver last wrote each avail.ring slot. */
  private readonly ringWrittenAt = new Map<number, number>();
  private walk: Walk | undefined;
  private readonly log: NotifyLog;
  private driverAvail: number;
  private deviceUsed: number;
  private driverOld: number;
  private deviceOld: number;

  constructor(ctx: OracleContext) {
    super(ctx);
    const { layout, params, actors } = ctx.instance;
    this.n = params.queueSize;
    this.mask = this.n - 1;
    this.chain = splitLongestRequest(params);
    this.start = params.startIndex;
    this.eventIdx = params.eventIdx === 1;
    this.driver = actors.findIndex((a) => a.name === 'driver');
    this.device = actors.findIndex((a) => a.name === 'device');
    for (const fl of layout.fields) {
      let m = /^desc\[(\d+)\]\.(\w+)$/.exec(fl.name);
      if (m) { this.info.set(fl.id, { area: 'desc', index: Number(m[1]), member: m[2] }); continue; }
      m = /^ind\[(\d+)\]\.desc\[(\d+)\]\.(\w+)$/.exec(fl.name);
      if (m) {
        const h = Number(m[1]);
        const j = Number(m[2]);
        this.info.set(fl.id, { area: 'ind', index: this.n + h * this.chain + j, member: m[3] });
        if (j === 0 && m[3] === 'addr') this.indAddr[h] = fl.offset;
        continue;
      }
      m = /^avail\.ring\[(\d+)\]$/.exec(fl.name);
      if (m) { this.info.set(fl.id, { area: 'avail.ring', index: Number(m[1]), member: '' }); continue; }
      m = /^used\.ring\[(\d+)\]\.(\w+)$/.exec(fl.name);
      if (m) { this.info.set(fl.id, { area: 'used.ring', index: Number(m[1]), member: m[2] }); continue; }
      if (fl.name.startsWith('avail.')) this.info.set(fl.id, { area: 'avail', index: -1, member: fl.name.slice(6) });
      else if (fl.name.startsWith('used.')) this.info.set(fl.id, { area: 'used', index: -1, member: fl.name.slice(5) });
    }
    this.f = (name) => layout.field(name).id;
    this.A = this.mem.read(this.f('avail.idx'));
    this.U = this.mem.read(this.f('used.idx'));
    this.driverAvail = this.A;
    this.deviceUsed = this.U;
    this.driverOld = this.A;
    this.deviceOld = this.U;
    this.slotFresh = new Array<boolean>(this.n).fill(false);
    this.usedFresh = Array.from({ length: this.n }, () => ({ id: false, len: false }));
    this.log = new NotifyLog(ctx.instance, { driver: EVENTS.kick.id, device: EVENTS['used-irq'].id }, (a) => this.sideOf(a));
  }

  private sideOf(a: number): Side | undefined {
    return a === this.driver ? 'driver' : a === this.device ? 'device' : undefined;
  }

  private descName(key: number): string {
    if (key < this.n) return `desc[${key}]`;
    const k = key - this.n;
    return `ind[${Math.floor(k / this.chain)}].desc[${k % this.chain}]`;
  }

  private descField(key: number, member: string): number {
    return this.f(`${this.descName(key)}.${member}`);
  }

  protected onEntry(e: TraceEntry, i: number): void {
    if (e.k === OpKind.NOTE) {
      if (e.t === NOTES.got.id && e.actor === this.driver) this.onGot(e.data?.[0] ?? -1, e.data?.[1] ?? -1, i);
      return;
    }
    const late = this.log.onOperation(e, i, (j) => this.stepOf(j));
    if (late) this.report('notify-decision', late);
    if (e.k === OpKind.NOTIFY) this.onNotify(e.actor, e.t);
    const fi = this.info.get(e.t);
    if (!fi || e.k === OpKind.FENCE || e.k === OpKind.NOTIFY || e.k === OpKind.WAIT || e.k === OpKind.POLL) return;
    const name = this.fieldName(e.t);
    const who = this.sideOf(e.actor);
    const issuesWrite = e.k === OpKind.STORE || e.k === OpKind.ADD || e.k === OpKind.XCHG || e.k === OpKind.CAS;
    if (issuesWrite && who) this.onWrite(who, fi, e, name);
    if (e.k === OpKind.LOAD && who) this.onLoad(who, fi, e, name, i);
    if (this.madeVisible) {
      if (name === 'avail.idx') this.onAvailIdx(this.mem.read(e.t), i);
      else if (name === 'used.idx') this.onUsedIdx(this.mem.read(e.t), i);
    }
  }

  private onWrite(who: Side, fi: FieldInfo, e: TraceEntry, name: string): void {
    const driverArea = fi.area === 'desc' || fi.area === 'ind' || fi.area === 'avail' || fi.area === 'avail.ring';
    if (who === 'device' && driverArea) {
      this.report('descriptor-ownership', `device wrote ${name}=${fmt(e.v)}, but the descriptor table${this.indAddr.length ? ', the indirect tables' : ''} and the available ring belong to the driver: the device writes only the used ring.`);
    }
    if (who === 'driver' && !driverArea) {
      this.report('descriptor-ownership', `driver wrote ${name}=${fmt(e.v)}, but the used ring belongs to the device: the driver never writes it.`);
    }
    if (who === 'driver' && (fi.area === 'desc' || fi.area === 'ind')) {
      const head = this.owner.get(fi.index);
      if (head !== undefined) {
        const o = this.outstanding.get(head);
        this.report('descriptor-ownership', `driver wrote ${name}=${fmt(e.v)} while the device owns ${this.descName(fi.index)}: it is in the chain of head ${head}, exposed at avail index ${o?.index} and not used yet (avail.idx=${this.A}, used.idx=${this.U}). A driver may reuse a descriptor only after the device returned it through the used ring.`);
      }
    }
    const ownArea = who === 'driver' ? driverArea : !driverArea;
    if (ownArea) this.lastStore.set(e.t, e.v);
    if (who === 'driver' && fi.area === 'avail.ring') {
      this.slotFresh[fi.index] = true;
      this.ringWrittenAt.set(fi.index, this.fed);
    }
    if (who === 'device' && fi.area === 'used.ring') {
      if (fi.member === 'id') this.usedFresh[fi.index].id = true;
      if (fi.member === 'len') this.usedFresh[fi.index].len = true;
    }
    if (who === 'driver' && name === 'avail.idx' && e.v !== this.driverAvail) { this.driverAvail = e.v; this.log.published('driver', this.fed); }
    if (who === 'device' && name === 'used.idx' && e.v !== this.deviceUsed) { this.deviceUsed = e.v; this.log.published('device', this.fed); }
    if (who === 'driver' && (name === 'avail.flags' || name === 'avail.used_event')) this.log.enabled.driver = { at: this.fed, text: suppressionText(name, e.v) };
    if (who === 'device' && (name === 'used.flags' || name === 'used.avail_event')) this.log.enabled.device = { at: this.fed, text: suppressionText(name, e.v) };
  }

  private onLoad(who: Side, fi: FieldInfo, e: TraceEntry, name: string, i: number): void {
    if (who === 'device') {
      if (fi.area === 'avail.ring') {
        this.ringLoad = { slot: fi.index, head: e.v, at: i };
        this.walk = { head: e.v, table: -1, hops: 0, limit: this.n, expectNew: true, cur: -1, lastLen: 0, path: [], reported: false };
      } else if (fi.area === 'desc' || fi.area === 'ind') {
        if (!this.owner.has(fi.index)) {
          const last = this.lastOwnerText(fi.index) + this.staleHeadText();
          this.report('descriptor-ownership', `device read ${name}=${fmt(e.v)}, but ${this.descName(fi.index)} belongs to the driver: it is in no chain that is exposed and not yet used (avail.idx=${this.A}, used.idx=${this.U})${last}. The device may read a descriptor only between the avail.idx that exposes its chain and the used.idx that returns it.`);
        }
        this.onWalk(fi, e);
      } else if (name === 'avail.idx') {
        this.log.indexRead.device = { at: i, text: name, value: e.v };
      } else if (name === (this.eventIdx ? 'avail.used_event' : 'avail.flags')) {
        this.decide('device', name, e.v, i);
      }
    } else {
      if (name === 'used.idx') {
        this.log.indexRead.driver = { at: i, text: name, value: e.v };
      } else if (name === (this.eventIdx ? 'used.avail_event' : 'used.flags')) {
        this.decide('driver', name, e.v, i);
      }
    }
  }

  private lastOwnerText(key: number): string {
    for (let r = this.usedRecords.length - 1; r >= 0; r--) {
      const rec = this.usedRecords[r];
      if (this.chainKeysAtUse.get(r)?.includes(key)) return `; it was last in head ${rec.id}'s chain, returned at used index ${rec.index}`;
    }
    return '; no exposed chain ever contained it';
  }

  /** Why the device is walking a head nobody exposed: the ring entry it read was stale. */
  private staleHeadText(): string {
    const r = this.ringLoad;
    if (!r || this.owner.has(r.head)) return '';
    const now = this.mem.read(this.f(`avail.ring[${r.slot}]`));
    const written = this.ringWrittenAt.get(r.slot);
    return `. The device is walking head ${r.head}, which it read from avail.ring[${r.slot}] at ${this.stepOf(r.at)}${now !== r.head ? `; that slot now holds head ${now}${written !== undefined && written > r.at ? `, written by the driver at ${this.stepOf(written)}, after the device read it` : ''}: the device used a stale ring entry (read before avail.idx, or without virtio_rmb)` : ''}`;
  }

  private onWalk(fi: FieldInfo, e: TraceEntry): void {
    let w = this.walk;
    if (!w) w = this.walk = { head: fi.index, table: -1, hops: 0, limit: this.n, expectNew: true, cur: -1, lastLen: 0, path: [], reported: false };
    const table = fi.area === 'ind' ? Math.floor((fi.index - this.n) / this.chain) : -1;
    if (table !== w.table) {
      w.table = table;
      w.expectNew = true;
      if (table >= 0) { w.hops = 0; w.limit = w.lastLen > 0 ? Math.floor(w.lastLen / DESC_BYTES) : this.chain; }
      else w.limit = this.n;
    }
    if (w.expectNew || w.cur !== fi.index) {
      w.hops++;
      w.cur = fi.index;
      w.expectNew = false;
      w.path.push(this.descName(fi.index));
      if (w.hops > w.limit && !w.reported) {
        w.reported = true;
        const seen = new Set<string>();
        const loop = w.path.find((d) => (seen.has(d) ? true : (seen.add(d), false)));
        const shown = w.path.length > 6 ? [...w.path.slice(0, 3), '...', ...w.path.slice(-2)] : w.path;
        this.report('chain-bounded', `device walked ${w.hops} descriptors in the chain of head ${w.head} (${shown.join(' -> ')}), more than ${w.table < 0 ? `the queue size ${this.n}` : `the ${w.limit} entries of its indirect table`}: `
          + `${loop ? `the chain loops (it reached ${loop} again through ${loop}.next with NEXT set)` : 'the chain is longer than the ring allows'}, and the device keeps following it instead of refusing it: it would walk forever (no hop bound).`);
      }
    }
    if (fi.member === 'len') w.lastLen = e.v;
    if (fi.member === 'next') w.expectNew = true;
  }

  private decide(side: Side, name: string, v: number, i: number): void {
    const actor = side === 'driver' ? this.driver : this.device;
    const idxName = side === 'driver' ? 'avail.idx' : 'used.idx';
    const now = side === 'driver' ? this.driverAvail : this.deviceUsed;
    const old = side === 'driver' ? this.driverOld : this.deviceOld;
    const published = `${idxName} ${old} -> ${now}`;
    const empty = old === now;
    const visible = this.mem.read(this.f(idxName));
    const unpublished = visible === now ? undefined : `its store ${idxName}=${now} was not visible yet (${idxName}=${visible} in memory)`;
    if (side === 'driver') this.driverOld = now; else this.deviceOld = now;
    if (this.eventIdx) {
      this.log.decide(side, { actor, at: i, read: `${name}=${v}`, need: vringNeedEvent(v, now, old), rule: needEventText(v, now, old), published, empty, unpublished });
    } else {
      const flag = side === 'driver' ? 'VRING_USED_F_NO_NOTIFY' : 'VRING_AVAIL_F_NO_INTERRUPT';
      const set = (v & 1) !== 0;
      this.log.decide(side, { actor, at: i, read: `${name}=${v}`, need: set ? undefined : true, rule: set ? `${flag} is set: a notification is optional` : `${flag} is clear: a notification is required`, published, empty, unpublished });
    }
  }

  /** A notification closes the producer's range of published entries, as a decision does. */
  private onNotify(actor: number, event: number): void {
    if (actor === this.driver && event === EVENTS.kick.id) this.driverOld = this.driverAvail;
    if (actor === this.device && event === EVENTS['used-irq'].id) this.deviceOld = this.deviceUsed;
  }

  private onAvailIdx(v: number, i: number): void {
    const old = this.A;
    if (v === old) return;
    const d = u16(v - old);
    this.A = v;
    this.availVisibleAt = i;
    if (d > this.n) {
      this.report('free-running-indices', `avail.idx went from ${old} to ${v} at ${this.stepOf(i)}: ${d > 0x8000 ? `back by ${0x10000 - d}` : `forward by ${d}`}, but it is a free-running counter that only moves forward by the entries added (at most the queue size ${this.n}); ${d > 0x8000 ? 'an index reduced modulo the ring size or decremented makes the device re-walk slots it already consumed' : 'the device would see more heads than the ring holds'}.`);
      return;
    }
    const inflight = u16(v - this.U);
    if (inflight > this.n) {
      this.report('in-flight-within-size', `avail.idx=${v} with used.idx=${this.U} at ${this.stepOf(i)}: ${inflight} buffers in flight, more than the queue size ${this.n}. The driver exposed a head although the ring was full, so avail.idx runs ahead of what the device has used; a device that trusts it re-walks ring slots and processes heads twice (it must refuse: (u16)(avail.idx - last_avail) <= N).`);
    }
    for (let k = 0; k < d; k++) this.expose(u16(old + k), old, v, i);
  }

  private expose(idx: number, from: number, to: number, i: number): void {
    const slot = idx & this.mask;
    const ring = this.f(`avail.ring[${slot}]`);
    const head = this.mem.read(ring);
    const what = `avail.idx ${from} -> ${to} at ${this.stepOf(i)} exposes avail index ${idx} in avail.ring[${slot}]`;
    if (!this.slotFresh[slot]) {
      this.report('publish-order', `${what}, but the driver had not written avail.ring[${slot}] since ${u16(idx - this.start) < this.n ? 'the ring was set up' : `it exposed index ${u16(idx - this.n)} there`}: the device will read the stale head ${head}. The ring entry must be written before avail.idx (then virtio_wmb).`);
    } else if (this.lastStore.get(ring) !== head) {
      this.report('publish-order', `${what}, but avail.ring[${slot}] still holds ${head} in memory while the driver wrote ${this.lastStore.get(ring)}: that store is not visible yet, so the device can read the stale head. virtio_wmb must order the ring entry before avail.idx.`);
    }
    this.slotFresh[slot] = false;
    if (head >= this.n) return;
    const prior = this.outstanding.get(head);
    if (prior) {
      this.report('used-exactly-once', `${what} with head ${head}, but head ${head} is still outstanding from avail index ${prior.index} (exposed and not used): the same buffer is in flight twice and will be used twice (B11).`);
      return;
    }
    const keys: number[] = [];
    let capacity = 0;
    let key = head;
    let table = -1;
    let limit = this.n;
    for (let hops = 0; hops < limit && !keys.includes(key); hops++) {
      keys.push(key);
      for (const m of MEMBERS) {
        const fid = this.descField(key, m);
        const stored = this.lastStore.get(fid);
        const vis = this.mem.read(fid);
        if (stored !== undefined && stored !== vis) {
          this.report('publish-order', `${what} with head ${head}, but ${this.descName(key)}.${m} still holds ${fmt(vis)} in memory while the driver wrote ${fmt(stored)}: the descriptor is not visible yet when avail.idx exposes it (virtio_wmb missing or misplaced).`);
        }
      }
      const flags = this.mem.read(this.descField(key, 'flags'));
      if (flags & VIRTQ_DESC_F_INDIRECT && table < 0) {
        const t = this.indAddr.indexOf(this.mem.read(this.descField(key, 'addr')));
        if (t < 0) break;
        table = t;
        limit = Math.min(this.chain, Math.floor(this.mem.read(this.descField(key, 'len')) / DESC_BYTES));
        key = this.n + t * this.chain;
        hops = -1;
        continue;
      }
      if (flags & VIRTQ_DESC_F_WRITE) capacity += this.mem.read(this.descField(key, 'len'));
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      const next = this.mem.read(this.descField(key, 'next'));
      if (next >= limit) break;
      key = table < 0 ? next : this.n + table * this.chain + next;
    }
    for (const k of keys) this.owner.set(k, head);
    this.outstanding.set(head, { index: idx, keys, capacity });
  }

  private onUsedIdx(v: number, i: number): void {
    const old = this.U;
    if (v === old) return;
    const d = u16(v - old);
    this.U = v;
    this.usedVisibleAt = i;
    if (d > this.n) {
      this.report('free-running-indices', `used.idx went from ${old} to ${v} at ${this.stepOf(i)}: ${d > 0x8000 ? `back by ${0x10000 - d}` : `forward by ${d}`}, but it is a free-running counter that only moves forward by the entries used (at most the queue size ${this.n}); ${d > 0x8000 ? 'the device reduced its index modulo the ring size, so the driver sees no new entries (or re-reads old ones) after one lap' : 'the driver would take more buffers than exist'}.`);
      return;
    }
    if (u16(this.A - v) > this.n) {
      this.report('in-flight-within-size', `used.idx=${v} is ahead of avail.idx=${this.A} at ${this.stepOf(i)}: the device used ${u16(v - this.A)} more buffers than the driver exposed.`);
    }
    for (let k = 0; k < d; k++) this.use(u16(old + k), old, v, i);
  }

  private use(idx: number, from: number, to: number, i: number): void {
    const slot = idx & this.mask;
    const idF = this.f(`used.ring[${slot}].id`);
    const lenF = this.f(`used.ring[${slot}].len`);
    const id = this.mem.read(idF);
    const len = this.mem.read(lenF);
    const what = `used.idx ${from} -> ${to} at ${this.stepOf(i)} covers used index ${idx} in used.ring[${slot}]`;
    const fresh = this.usedFresh[slot];
    if (!fresh.id || !fresh.len) {
      const missing = [!fresh.id && 'id', !fresh.len && 'len'].filter(Boolean).join(' and ');
      this.report('publish-order', `${what}, but the device had not written used.ring[${slot}].${missing} since ${u16(idx - this.start) < this.n ? 'the ring was set up' : `used index ${u16(idx - this.n)}`}: the driver will read the stale element {id ${id}, len ${fmt(len)}}. The used element must be written before used.idx (then virtio_wmb).`);
    } else if (this.lastStore.get(idF) !== id || this.lastStore.get(lenF) !== len) {
      this.report('publish-order', `${what}, but used.ring[${slot}] holds {id ${id}, len ${fmt(len)}} in memory while the device wrote {id ${this.lastStore.get(idF)}, len ${fmt(this.lastStore.get(lenF) ?? 0)}}: the element is not visible yet when used.idx covers it.`);
    }
    this.usedFresh[slot] = { id: false, len: false };
    const o = id < this.n ? this.outstanding.get(id) : undefined;
    if (id >= this.n) {
      this.report('used-exactly-once', `${what}, whose id ${id} is not a descriptor index (queue size ${this.n}): no buffer can be returned with it.`);
    } else if (!o) {
      const at = this.lastUsedAt.get(id);
      this.report('used-exactly-once', `${what}: the device returned head ${id}, but head ${id} is not outstanding: ${at !== undefined ? `it was already used at used index ${at} and has not been exposed again since` : 'the driver never exposed it'}. A head is used exactly once per exposure (Linux: "id ${id} is not a head!").`);
    } else if (len > o.capacity) {
      this.report('used-exactly-once', `${what}: used.ring[${slot}].len=${fmt(len)} for head ${id}, more than the ${fmt(o.capacity)} writable bytes of its chain: the device cannot have written that much.`);
    }
    if (o) {
      this.outstanding.delete(id);
      for (const k of o.keys) if (this.owner.get(k) === id) this.owner.delete(k);
      this.chainKeysAtUse.set(this.usedRecords.length, o.keys);
    }
    this.usedRecords.push({ id, len, index: idx, slot });
    this.lastUsedAt.set(id, idx);
  }

  private onGot(id: number, len: number, i: number): void {
    const r = this.received++;
    const rec = this.usedRecords[r];
    if (!rec) {
      this.report('used-exactly-once', `driver took back a buffer (id ${id}, len ${fmt(len)}) at ${this.stepOf(i)} as its used buffer number ${r + 1}, but used.idx=${this.U} covers only ${this.usedRecords.length}: the device never used it (the driver read a used element that was not published).`);
    } else if (rec.id !== id || rec.len !== len) {
      this.report('used-exactly-once', `driver took back id ${id}, len ${fmt(len)} at ${this.stepOf(i)} for used index ${rec.index}, but the device wrote used.ring[${rec.slot}] = {id ${rec.id}, len ${fmt(rec.len)}}: the driver did not get the element the device published.`);
    }
  }

  atQuiescence(invariant: string): string | undefined {
    const step = (j: number) => this.stepOf(j);
    if (invariant === 'notify-decision') return this.log.closeAtQuiescence(step);
    if (invariant !== 'no-lost-notification') return undefined;
    const pending = u16(this.A - this.U);
    if (pending > 0 && pending <= this.n) {
      const list = [...this.outstanding.entries()].sort((a, b) => u16(a[1].index - this.U) - u16(b[1].index - this.U));
      const [head, o] = list[0] ?? [undefined, undefined];
      const first = head === undefined ? 'an exposed head' : `head ${head} (avail index ${o!.index}, avail.ring[${o!.index & this.mask}])`;
      const hint = (value: number) => (value === this.A
        ? 'which showed the new entries, yet it went to sleep'
        : `which did not show them yet${this.availVisibleAt > (this.log.indexRead.device?.at ?? -1) ? ` (avail.idx=${this.A} became visible only at ${step(this.availVisibleAt)})` : ''}`);
      return `Lost kick: avail.idx=${this.A} but used.idx=${this.U}: ${first}${pending > 1 ? ` and ${pending - 1} more` : ''} ${pending > 1 ? 'were' : 'was'} exposed and never used, and the device sleeps waiting for a kick with none pending. `
        + `${this.log.explainDecision('driver', step)} ${this.log.explainConsumer('device', step, hint)}`;
    }
    const r = u16(this.start + this.received);
    const untaken = u16(this.U - r);
    if (untaken > 0 && untaken <= this.n) {
      const rec = this.usedRecords[this.received];
      const first = rec ? `head ${rec.id} (used.ring[${rec.slot}], len ${fmt(rec.len)})` : 'a used element';
      const hint = (value: number) => (value === this.U
        ? 'which showed the used entries, yet it went to sleep without taking them'
        : `which did not show them yet${this.usedVisibleAt > (this.log.indexRead.driver?.at ?? -1) ? ` (used.idx=${this.U} became visible only at ${step(this.usedVisibleAt)})` : ''}`);
      return `Lost interrupt: used.idx=${this.U} but the driver took back ${this.received === 0 ? 'no buffer' : `only ${this.received} buffer${this.received === 1 ? '' : 's'}`}: ${first}${untaken > 1 ? ` and ${untaken - 1} more` : ''} ${untaken > 1 ? 'wait' : 'waits'} in the used ring while the driver sleeps on used-irq with none pending. `
        + `${this.log.explainDecision('device', step)} ${this.log.explainConsumer('driver', step, hint)}`;
    }
    return undefined;
  }
}

export const invariants = monitorInvariants(INVARIANTS, (ctx) => new SplitMonitor(ctx));
