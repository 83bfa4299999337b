/**
 * What a packed virtqueue must guarantee, stated on the memory and the trace only.
 *
 * The monitor keeps lap-extended ring positions (counting descriptors since the start, so the lap is
 * position / N and the wrap counter of a lap is 1, 0, 1, ...): X, the end of what the driver made
 * available (a list counts once its head's flags are visible with the available polarity of X's
 * lap); Y, the end of what the device used (a used descriptor at Y, visible with the used polarity,
 * returns the list of its buffer id); Z, the end of what the driver took back (the scenario's `got`
 * note). Positions in [Y, X) belong to the device, the rest to the driver.
 *
 * The in-flight bound of the split ring is part of descriptor-ownership here: making more than N
 * descriptors available means writing one the device owns or one whose used entry was not taken.
 */
import { OpKind } from '../../harness/core/ops.ts';
import type { OracleContext, TraceEntry } from '../../harness/core/model.ts';
import { monitorInvariants, RingMonitor, type InvariantText } from '../vring-common/monitor.ts';
import { NotifyLog, type Side } from '../vring-common/notify-log.ts';
import { fmt, needEventText, u16, vringNeedEvent } from '../vring-common/ring-math.ts';
import {
  availBits, EVENT_WRAP, EVENTS, isAvail, isUsed, NOTES, POLARITY, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE,
  usedBits, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_USED, VIRTQ_DESC_F_WRITE,
} from './layout.ts';

export const INVARIANTS: readonly InvariantText[] = [
  { name: 'wrap-counters', kind: 'safety', protects: 'Descriptors are made available and used in ring order with the writer\'s wrap counter, which toggles exactly after slot N-1: available means AVAIL = driver counter and USED = its inverse, used means AVAIL = USED = device counter.' },
  { name: 'publish-order', kind: 'safety', protects: 'A list\'s head becomes available last: when its flags are visible every other descriptor of the list is already available and every field the device reads holds the driver\'s own write; a used descriptor\'s id and len are visible before its flags.' },
  { name: 'chain-bounded', kind: 'safety', protects: 'A list walk follows at most N descriptors, so a list that never ends (NEXT on every descriptor) is refused, never walked forever.' },
  { name: 'descriptor-ownership', kind: 'safety', protects: 'Each side touches only what it owns: the device reads or writes a descriptor only between the driver making it available and the device marking it used, the driver reads id/len only after the used flags and writes only free descriptors (so never more than N in flight), and neither writes the other\'s event suppression structure.' },
  { name: 'used-exactly-once', kind: 'safety', protects: 'Every available list is used exactly once, under a live buffer id and with a length within its writable buffers, and the driver gets back exactly the used descriptors, in order, with the id and length the device wrote.' },
  { name: 'notify-decision', kind: 'safety', protects: 'After publishing descriptors the producer notifies unless a fresh read of the event suppression structure (after its flags store is visible) says none is due: ENABLE means notify, DISABLE means optional, DESC means vring_need_event over the descriptors published since the previous decision or notification with the offset taken back N when its wrap bit is not the current lap\'s; a notification closes what was published; going back to wait (or ending) owing one, or without a fresh read, is the violation; and the structures hold only valid values (flags 0-2, DESC only with EVENT_IDX, offset < N).' },
  { name: 'no-lost-notification', kind: 'liveness', protects: 'Once nothing can run, no side sleeps with work pending: every available list was used (no lost kick) and every used descriptor was taken by the driver (no lost interrupt).' },
];

const wrapOf = (p: number, n: number): number => (Math.floor(p / n) % 2 === 0 ? 1 : 0);
const pol = (flags: number): string => `AVAIL=${flags & VIRTQ_DESC_F_AVAIL ? 1 : 0} USED=${flags & VIRTQ_DESC_F_USED ? 1 : 0}`;
const EVENT_FLAG_NAMES = ['ENABLE', 'DISABLE', 'DESC', 'reserved(3)'];
const showFlags = (flags: number): string => `${fmt(flags)} (${pol(flags)})`;

interface DescField {
  readonly slot: number;
  readonly member: 'addr' | 'len' | 'id' | 'flags';
}

interface List {
  readonly pos: number;
  readonly count: number;
  readonly capacity: number;
}

class PackedMonitor extends RingMonitor {
  private readonly n: number;
  private readonly eventIdx: boolean;
  private readonly driver: number;
  private readonly device: number;
  private readonly desc = new Map<number, DescField>();
  private readonly ids: { addr: number; len: number; id: number; flags: number }[] = [];
  private readonly evField: Record<string, number>;
  private readonly owner = new Map<number, Side>();

  private X = 0;
  private Y = 0;
  private Z = 0;
  private exposedAt = -1;
  private usedAt = -1;
  /** The last value each side issued to a field, and who made the visible value visible. */
  private readonly drvStore = new Map<number, number>();
  private readonly devStore = new Map<number, number>();
  private readonly visibleWriter = new Map<number, Side>();
  private readonly usedFresh: { id: boolean; len: boolean }[];
  private readonly outstanding = new Map<number, List>();
  private readonly usedRecords: { id: number; len: number; pos: number; count: number }[] = [];
  private readonly lastUsedPos = new Map<number, number>();
  private walk: { start: number; slot: number; hops: number; path: number[]; reported: boolean } | undefined;
  private readonly log: NotifyLog;
  private drvDecided = 0;
  private devDecided = 0;
  private devIssued = 0;
  /** How far the driver's own flag writes had made lists available at its last publish. */
  private drvPublished = 0;
  private pendingDesc: Record<Side, { flags: number; at: number } | undefined> = { driver: undefined, device: undefined };

  constructor(ctx: OracleContext) {
    super(ctx);
    const { layout, params, actors } = ctx.instance;
    this.n = params.queueSize;
    this.eventIdx = params.eventIdx === 1;
    this.driver = actors.findIndex((a) => a.name === 'driver');
    this.device = actors.findIndex((a) => a.name === 'device');
    for (const fl of layout.fields) {
      const m = /^desc\[(\d+)\]\.(addr|len|id|flags)$/.exec(fl.name);
      if (m) this.desc.set(fl.id, { slot: Number(m[1]), member: m[2] as DescField['member'] });
    }
    for (let s = 0; s < this.n; s++) {
      this.ids.push({ addr: layout.field(`desc[${s}].addr`).id, len: layout.field(`desc[${s}].len`).id, id: layout.field(`desc[${s}].id`).id, flags: layout.field(`desc[${s}].flags`).id });
    }
    this.evField = Object.fromEntries(['driver_event.off_wrap', 'driver_event.flags', 'device_event.off_wrap', 'device_event.flags'].map((nm) => [nm, layout.field(nm).id]));
    this.owner.set(this.evField['driver_event.off_wrap'], 'driver');
    this.owner.set(this.evField['driver_event.flags'], 'driver');
    this.owner.set(this.evField['device_event.off_wrap'], 'device');
    this.owner.set(this.evField['device_event.flags'], 'device');
    this.usedFresh = Array.from({ length: this.n }, () => ({ id: false, len: false }));
    this.log = new NotifyLog(ctx.instance, { driver: EVENTS.kick.id, device: EVENTS['used-irq'].id }, (a) => this.sideOf(a));
  }

  private sideOf(a: number): Side | undefined {
    return a === this.driver ? 'driver' : a === this.device ? 'device' : undefined;
  }

  /** "position 5 (desc[1], lap 2, wrap 0)". */
  private where(p: number): string {
    return `position ${p} (desc[${p % this.n}], lap ${Math.floor(p / this.n) + 1}, wrap counter ${wrapOf(p, this.n)})`;
  }

  /** The device owns slot s when some position in [Y, X) falls on it. */
  private deviceOwns(slot: number): boolean {
    if (this.X - this.Y >= this.n) return this.X > this.Y;
    for (let p = this.Y; p < this.X; p++) if (p % this.n === slot) return true;
    return false;
  }

  protected onEntry(e: TraceEntry, i: number): void {
    if (e.k === OpKind.NOTE) {
      if (e.t === NOTES.got.id && e.actor === this.driver) this.onGot(e.data?.[0] ?? -1, e.data?.[1] ?? -1, i);
      return;
    }
    const late = this.log.onOperation(e, i, (j) => this.stepOf(j));
    if (late) this.report('notify-decision', late);
    if (e.k === OpKind.NOTIFY) this.onNotify(e.actor, e.t);
    if (e.k === OpKind.STORE && this.device === e.actor) this.walk = undefined;
    const who = this.sideOf(e.actor);
    if (!who) return;
    if (e.k === OpKind.FLUSH || e.k === OpKind.DRAIN || (e.k === OpKind.STORE && this.madeVisible)) this.visibleWriter.set(e.t, who);
    const d = this.desc.get(e.t);
    const name = this.fieldName(e.t);
    if (e.k === OpKind.STORE) {
      (who === 'driver' ? this.drvStore : this.devStore).set(e.t, e.v);
      if (d) this.onDescWrite(who, d, e, name); else this.onEventWrite(who, e, name);
    } else if (e.k === OpKind.LOAD) {
      if (d) this.onDescLoad(who, d, e, name, i); else this.onEventLoad(who, e, name, i);
    }
    if (this.madeVisible && d?.member === 'flags') this.advanceVisible(i);
  }

  private onDescWrite(who: Side, d: DescField, e: TraceEntry, name: string): void {
    const owned = this.deviceOwns(d.slot);
    if (who === 'driver' && owned) {
      this.report('descriptor-ownership', `driver wrote ${name}=${fmt(e.v)} while the device owns desc[${d.slot}]: it was made available and the device has not marked it used (available up to position ${this.X}, used up to ${this.Y}). The driver may reuse a descriptor only after it reads it back as used.`);
    }
    if (who === 'device' && !owned) {
      this.report('descriptor-ownership', `device wrote ${name}=${fmt(e.v)} but desc[${d.slot}] belongs to the driver: no available, unused list covers it (available up to position ${this.X}, used up to ${this.Y}).`);
    }
    if (who === 'device' && (d.member === 'id' || d.member === 'len')) this.usedFresh[d.slot][d.member] = true;
    if (d.member !== 'flags') return;
    if (who === 'driver') {
      const polarity = e.v & POLARITY;
      if (polarity === VIRTQ_DESC_F_AVAIL || polarity === VIRTQ_DESC_F_USED) {
        for (let p = this.X; p < this.Z + this.n; p++) {
          if (p % this.n !== d.slot) continue;
          if (polarity !== availBits(wrapOf(p, this.n))) {
            this.report('wrap-counters', `driver wrote ${name}=${showFlags(e.v)} for ${this.where(p)}: available in this lap means AVAIL=${wrapOf(p, this.n)} USED=${1 - wrapOf(p, this.n)}, so its wrap counter is stale and the device will not see the descriptor (or will take it for one from another lap).`);
          }
          break;
        }
      }
      const issued = this.driverIssued();
      if (issued > this.drvPublished) { this.drvPublished = issued; this.log.published('driver', this.fed); }
      return;
    }
    // device: a used descriptor, written at the device's next used position
    const p = this.devIssued;
    const w = wrapOf(p, this.n);
    if (d.slot !== p % this.n) {
      this.report('wrap-counters', `device wrote ${name}=${fmt(e.v)} but its next used position is ${this.where(p)}: used descriptors are written in ring order, skipping by each list's length.`);
      return;
    }
    if ((e.v & POLARITY) !== usedBits(w)) {
      this.report('wrap-counters', `device wrote ${name}=${showFlags(e.v)} as the used descriptor at ${this.where(p)}: a used descriptor in this lap needs AVAIL=USED=${w}, so the device's used wrap counter is stale and the driver will never see this buffer as used.`);
    }
    const id = this.devStore.get(this.ids[d.slot].id) ?? -1;
    this.devIssued += this.outstanding.get(id)?.count ?? 1;
    this.log.published('device', this.fed);
  }

  /** A notification closes the producer's range of published lists, as a decision does. */
  private onNotify(actor: number, event: number): void {
    if (actor === this.driver && event === EVENTS.kick.id) this.drvDecided = this.driverIssued();
    if (actor === this.device && event === EVENTS['used-irq'].id) this.devDecided = this.devIssued;
  }

  private onEventWrite(who: Side, e: TraceEntry, name: string): void {
    const owner = this.owner.get(e.t);
    if (owner && owner !== who) {
      this.report('descriptor-ownership', `${who} wrote ${name}=${fmt(e.v)}, but the ${owner === 'driver' ? 'driver' : 'device'} event suppression structure belongs to the ${owner}.`);
    }
    if (name.endsWith('.flags')) {
      if (e.v > RING_EVENT_FLAGS_DESC || (e.v === RING_EVENT_FLAGS_DESC && !this.eventIdx)) {
        this.report('notify-decision', `${who} wrote ${name}=${e.v} (${EVENT_FLAG_NAMES[e.v] ?? e.v}): ${e.v > RING_EVENT_FLAGS_DESC ? 'a reserved value' : 'DESC is valid only with VIRTIO_F_EVENT_IDX'}.`);
      }
      this.log.enabled[who] = { at: this.fed, text: `set ${name}=${EVENT_FLAG_NAMES[e.v] ?? e.v}` };
    } else {
      if ((e.v & ~EVENT_WRAP) >= this.n) this.report('notify-decision', `${who} wrote ${name}=${fmt(e.v)}: offset ${e.v & ~EVENT_WRAP} is not below the queue size ${this.n}.`);
      this.log.enabled[who] = { at: this.fed, text: `set ${name}=${fmt(e.v)} (offset ${e.v & ~EVENT_WRAP}, wrap ${e.v >> 15})` };
    }
  }

  private onDescLoad(who: Side, d: DescField, e: TraceEntry, name: string, i: number): void {
    if (d.member === 'flags') this.log.indexRead[who === 'driver' ? 'driver' : 'device'] = { at: i, text: name, value: e.v };
    if (who === 'device') this.onWalk(d.slot);
    if (d.member === 'flags') return; // polling the flags is how ownership changes hands
    const owned = this.deviceOwns(d.slot);
    if (who === 'driver' && owned) {
      this.report('descriptor-ownership', `driver read ${name}=${fmt(e.v)} while the device owns desc[${d.slot}] (available up to position ${this.X}, used up to ${this.Y}): the device has not marked it used, so the value is the driver's own from when it made it available, or a stale one from the previous lap. id and len may be read only after the flags show AVAIL = USED = the used wrap counter (then virtio_rmb).`);
    }
    if (who === 'device' && !owned) {
      this.report('descriptor-ownership', `device read ${name}=${fmt(e.v)} but desc[${d.slot}] belongs to the driver: no list covering it is available and unused (available up to position ${this.X}, used up to ${this.Y}).`);
    }
  }

  private onWalk(slot: number): void {
    let w = this.walk;
    if (!w) w = this.walk = { start: slot, slot: -1, hops: 0, path: [], reported: false };
    if (w.slot === slot) return;
    w.slot = slot;
    w.hops++;
    w.path.push(slot);
    if (w.hops > this.n && !w.reported) {
      w.reported = true;
      const shown = w.path.length > 6 ? [...w.path.slice(0, 3), -1, ...w.path.slice(-2)] : w.path;
      this.report('chain-bounded', `device walked ${w.hops} descriptors in the list starting at desc[${w.start}] (${shown.map((s) => (s < 0 ? '...' : `desc[${s}]`)).join(' -> ')}), more than the queue size ${this.n}: NEXT is set on every descriptor it reads, so the list goes round the ring and never ends, and the device keeps following it instead of refusing it: it would walk forever (no bound).`);
    }
  }

  private onEventLoad(who: Side, e: TraceEntry, name: string, i: number): void {
    const reads = who === 'driver' ? 'device_event' : 'driver_event';
    if (!name.startsWith(reads)) return;
    if (name.endsWith('.flags')) {
      this.pendingDesc[who] = undefined;
      if (e.v === RING_EVENT_FLAGS_DESC) { this.pendingDesc[who] = { flags: e.v, at: i }; return; }
      const [now, old] = this.decisionRange(who);
      const need = e.v === RING_EVENT_FLAGS_DISABLE ? undefined : true;
      const unpublished = this.unpublished(who, now);
      this.log.decide(who, {
        actor: who === 'driver' ? this.driver : this.device, at: i, read: `${name}=${EVENT_FLAG_NAMES[e.v] ?? e.v}`, need,
        rule: need ? `${EVENT_FLAG_NAMES[e.v]} asks for every notification` : 'DISABLE: a notification is optional', published: this.rangeText(old, now), empty: old === now, unpublished,
      });
      return;
    }
    if (!this.pendingDesc[who]) return;
    this.pendingDesc[who] = undefined;
    const [now, old] = this.decisionRange(who);
    const off = e.v & ~EVENT_WRAP;
    const bit = e.v >> 15;
    const w = wrapOf(now, this.n);
    const event = bit === w ? off : off - this.n;
    const newPos = now % this.n;
    const oldPos = u16(newPos - (now - old));
    const unpublished = this.unpublished(who, now);
    this.log.decide(who, {
      actor: who === 'driver' ? this.driver : this.device, at: i, read: `${reads}.flags=DESC, ${name}=${fmt(e.v)} (offset ${off}, wrap ${bit})`,
      need: vringNeedEvent(event, newPos, oldPos),
      rule: `the ${who === 'driver' ? 'avail' : 'used'} wrap counter is ${w} at ${this.where(now)}, so event = ${bit === w ? `${off}` : `${off} - ${this.n}`}; ${needEventText(u16(event), newPos, oldPos)}`,
      published: this.rangeText(old, now), empty: old === now, unpublished,
    });
  }

  /** Why the producer's own publish up to `now` is not visible yet (its flags store still buffered), if it is not. */
  private unpublished(who: Side, now: number): string | undefined {
    const visible = who === 'driver' ? this.X : this.Y;
    if (visible >= now) return undefined;
    return `its flags store ${who === 'driver' ? 'making' : 'marking'} ${this.where(visible)} ${who === 'driver' ? 'available' : 'used'} was not visible yet`;
  }

  /** [new, old] positions of the producer's decision; the next decision starts from new. */
  private decisionRange(who: Side): [number, number] {
    if (who === 'driver') {
      const now = this.driverIssued();
      const old = this.drvDecided;
      this.drvDecided = now;
      return [now, old];
    }
    const old = this.devDecided;
    this.devDecided = this.devIssued;
    return [this.devIssued, old];
  }

  private rangeText(old: number, now: number): string {
    return old === now ? `nothing new (at ${this.where(now)})` : `positions ${old} to ${now - 1} (desc[${old % this.n}]..desc[${(now - 1) % this.n}])`;
  }

  /** How far the driver's own writes make lists available (what it would read back itself). */
  private driverIssued(): number {
    let p = this.drvDecided > this.X ? this.drvDecided : this.X;
    for (let guard = 0; guard < this.n; guard++) {
      const f = this.drvStore.get(this.ids[p % this.n].flags);
      if (f === undefined || !isAvail(f, wrapOf(p, this.n))) break;
      let q = p;
      let flags = f;
      while (flags & VIRTQ_DESC_F_NEXT && q - p < this.n - 1) flags = this.drvStore.get(this.ids[++q % this.n].flags) ?? 0;
      p = q + 1;
    }
    return p;
  }

  /** A flags value became visible: expose lists at X and use lists at Y while they show it. */
  private advanceVisible(i: number): void {
    for (let guard = 0; guard < this.n && this.X - this.Z < 2 * this.n; guard++) {
      if (!isAvail(this.mem.read(this.ids[this.X % this.n].flags), wrapOf(this.X, this.n))) break;
      this.expose(i);
    }
    for (let guard = 0; guard < this.n && this.Y < this.X; guard++) {
      if (!isUsed(this.mem.read(this.ids[this.Y % this.n].flags), wrapOf(this.Y, this.n))) break;
      this.use(i);
    }
  }

  private expose(i: number): void {
    const head = this.X;
    const what = `desc[${head % this.n}].flags made the list at ${this.where(head)} available at ${this.stepOf(i)}`;
    let count = 0;
    let capacity = 0;
    for (let p = head; count < this.n; p++) {
      count++;
      const s = p % this.n;
      const f = this.mem.read(this.ids[s].flags);
      if (p > head && !isAvail(f, wrapOf(p, this.n))) {
        this.report('publish-order', `${what}, but desc[${s}], the list's descriptor number ${count} (the one before it has NEXT), is not available yet: desc[${s}].flags=${showFlags(f)}. The head's flags must be written last, after virtio_wmb, so the device never sees a partial list.`);
      }
      for (const m of ['addr', 'len', 'id'] as const) {
        if (m === 'id' && f & VIRTQ_DESC_F_NEXT) continue;
        const fid = this.ids[s][m];
        const vis = this.mem.read(fid);
        const mine = this.drvStore.get(fid);
        if (this.visibleWriter.get(fid) === 'device') {
          this.report('publish-order', `${what}, but desc[${s}].${m}=${fmt(vis)} is still the value the device wrote into its used descriptor in the previous lap: the driver had not rewritten it before the head's flags.`);
        } else if (mine !== undefined && mine !== vis) {
          this.report('publish-order', `${what}, but desc[${s}].${m} holds ${fmt(vis)} in memory while the driver wrote ${fmt(mine)}: that store is not visible yet when the head's flags are.`);
        }
      }
      if (f & VIRTQ_DESC_F_WRITE) capacity += this.mem.read(this.ids[s].len);
      if (!(f & VIRTQ_DESC_F_NEXT)) break;
    }
    const id = this.mem.read(this.ids[(head + count - 1) % this.n].id);
    if (head + count - this.Z > this.n) {
      this.report('descriptor-ownership', `${what} with ${count} descriptors, which reaches position ${head + count - 1}, but the driver has taken back only up to position ${this.Z}: more than the queue size ${this.n} in flight, over used descriptors it has not read.`);
    }
    if (this.outstanding.has(id)) {
      this.report('used-exactly-once', `${what} with buffer id ${id}, but buffer id ${id} is still in flight from ${this.where(this.outstanding.get(id)!.pos)}: one id names two lists.`);
    }
    this.outstanding.set(id, { pos: head, count, capacity });
    this.X = head + count;
    this.exposedAt = i;
  }

  private use(i: number): void {
    const p = this.Y;
    const s = p % this.n;
    const id = this.mem.read(this.ids[s].id);
    const len = this.mem.read(this.ids[s].len);
    const what = `desc[${s}].flags marked ${this.where(p)} used at ${this.stepOf(i)}`;
    const fresh = this.usedFresh[s];
    if (!fresh.id || !fresh.len) {
      const missing = [!fresh.id && 'id', !fresh.len && 'len'].filter(Boolean).join(' and ');
      this.report('publish-order', `${what}, but the device had not written desc[${s}].${missing} since the descriptor was made available: the driver will read {id ${id}, len ${fmt(len)}}, which are the driver's own values. id and len go before the flags (then virtio_wmb).`);
    } else if (this.devStore.get(this.ids[s].id) !== id || this.devStore.get(this.ids[s].len) !== len) {
      this.report('publish-order', `${what}, but desc[${s}] holds {id ${id}, len ${fmt(len)}} in memory while the device wrote {id ${this.devStore.get(this.ids[s].id)}, len ${fmt(this.devStore.get(this.ids[s].len) ?? 0)}}: not visible yet when the flags are.`);
    }
    this.usedFresh[s] = { id: false, len: false };
    const l = this.outstanding.get(id);
    if (!l) {
      const at = this.lastUsedPos.get(id);
      this.report('used-exactly-once', `${what} with buffer id ${id}, but no list with id ${id} is in flight: ${at !== undefined ? `it was already used at position ${at} and not made available again` : 'the driver never made one available'}.`);
    } else if (len > l.capacity) {
      this.report('used-exactly-once', `${what}: desc[${s}].len=${fmt(len)} for buffer id ${id}, more than the ${fmt(l.capacity)} writable bytes of its list: the device cannot have written that much.`);
    }
    const count = l?.count ?? 1;
    if (l) this.outstanding.delete(id);
    this.usedRecords.push({ id, len, pos: p, count });
    this.lastUsedPos.set(id, p);
    this.Y = p + count;
    this.usedAt = i;
  }

  private onGot(id: number, len: number, i: number): void {
    const rec = this.usedRecords.find((r) => r.pos === this.Z);
    if (!rec) {
      this.report('used-exactly-once', `driver took back a buffer (id ${id}, len ${fmt(len)}) at ${this.stepOf(i)} from ${this.where(this.Z)}, but the device has not marked that position used (used up to position ${this.Y}): the driver read a descriptor the device never returned.`);
      this.Z += 1;
      return;
    }
    if (rec.id !== id || rec.len !== len) {
      this.report('used-exactly-once', `driver took back id ${id}, len ${fmt(len)} at ${this.stepOf(i)} from ${this.where(rec.pos)}, but the device wrote {id ${rec.id}, len ${fmt(rec.len)}} there: the driver did not get the used descriptor the device published.`);
    }
    this.Z = rec.pos + rec.count;
  }

  atQuiescence(invariant: string): string | undefined {
    const step = (j: number) => this.stepOf(j);
    if (invariant === 'notify-decision') return this.log.closeAtQuiescence(step);
    if (invariant !== 'no-lost-notification') return undefined;
    if (this.Y < this.X) {
      const first = [...this.outstanding.entries()].sort((a, b) => a[1].pos - b[1].pos)[0];
      const which = first ? `the list of buffer id ${first[0]} at ${this.where(first[1].pos)}` : `the list at ${this.where(this.Y)}`;
      const hint = (value: number) => (isAvail(value, wrapOf(this.Y, this.n)) && this.log.indexRead.device?.text === `desc[${this.Y % this.n}].flags`
        ? 'which showed it available, yet it went to sleep'
        : `which did not show it available yet${this.exposedAt > (this.log.indexRead.device?.at ?? -1) ? ` (it became available only at ${step(this.exposedAt)})` : ''}`);
      return `Lost kick: ${which} is available (${this.X - this.Y} descriptor${this.X - this.Y === 1 ? '' : 's'} not used) and the device sleeps waiting for a kick with none pending. `
        + `${this.log.explainDecision('driver', step)} ${this.log.explainConsumer('device', step, hint, showFlags)}`;
    }
    if (this.Z < this.Y) {
      const rec = this.usedRecords.find((r) => r.pos === this.Z);
      const which = rec ? `buffer id ${rec.id} (len ${fmt(rec.len)}) used at ${this.where(rec.pos)}` : `the used descriptor at ${this.where(this.Z)}`;
      const hint = (value: number) => (isUsed(value, wrapOf(this.Z, this.n)) && this.log.indexRead.driver?.text === `desc[${this.Z % this.n}].flags`
        ? 'which showed it used, yet it went to sleep without taking it'
        : `which did not show it used yet${this.usedAt > (this.log.indexRead.driver?.at ?? -1) ? ` (it was marked used only at ${step(this.usedAt)})` : ''}`);
      return `Lost interrupt: ${which} waits in the ring while the driver sleeps on used-irq with none pending. `
        + `${this.log.explainDecision('device', step)} ${this.log.explainConsumer('driver', step, hint, showFlags)}`;
    }
    return undefined;
  }
}

export const invariants = monitorInvariants(INVARIANTS, (ctx) => new PackedMonitor(ctx));
