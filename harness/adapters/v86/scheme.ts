/**
 * vring-split, device role, served by the VirtIO device model of the npm package `v86`
 * (harness/adapters/v86/virtio.ts loads it). The v86 code is unmodified: it reaches guest memory
 * only through six methods of its `cpu` object (read16, read32s, write16, write32, read_blob,
 * write_blob), so a fake CPU whose methods are port calls makes every ring access of v86 one
 * scheduling point of the threads engine, against our reference split-ring driver.
 *
 * The fake CPU places the model's layout at guest address RING_BASE: desc at RING_BASE, avail and
 * used rings at RING_BASE plus the layout's offsets (models/vring-split/layout.ts), and a 16-bit or
 * 32-bit access at an address is a load or store of the layout field there (the low and high words
 * of a descriptor's le64 addr are two loads of `desc[i].addr`). Buffer contents are not modelled
 * (the model has only lengths): read_blob returns zeros and write_blob is dropped, without a port
 * call; an access anywhere else is an actor error.
 *
 * Wiring: the driver's `kick` wakes the actor, which writes the queue index to v86's notify port
 * (the handler registered through cpu.io.register_write); v86's pci.raise_irq is our `used-irq`.
 * The queue handler is v86's own device pattern (lib/9p.js init_virtio): pop every request, write
 * the reply (RESPONSE_BYTES, as the reference device), push_reply and flush_replies per request,
 * then notify_me_after(0).
 *
 * Two execution modes, chosen by the impl module: virtio.ts runs the device concurrently with the
 * driver (as a device on its own thread would: vhost, a device process, a worker), every access a
 * scheduling point; virtio-trapped.ts runs each notify handler as one atomic section, which is how
 * v86 itself runs it (the guest's port write traps into the handler and the vCPU waits).
 */
import { UsageError, type ModelInstance } from '../../core/model.ts';
import { OpKind } from '../../core/ops.ts';
import { vringNeedEvent } from '../../../models/vring-common/ring-math.ts';
import { RESPONSE_BYTES } from '../../../models/vring-common/scenario.ts';
import { syncPort, type BlockingBody, type RawPort } from '../blocking-port.ts';
import type { Advisory, RoleSpec } from '../schemes.ts';
import { overNotification } from '../vring/over-notification.ts';

/** Guest physical address of the descriptor table (the layout's offset 0). */
export const RING_BASE = 0x10000;
const NOTIFY_PORT = 0xa900;
const PCI_ID = 0x30;
const VIRTIO_F_VERSION_1 = 32;
const VIRTIO_F_RING_EVENT_IDX = 29;
const VIRTIO_F_RING_INDIRECT_DESC = 28;

interface V86Queue {
  desc_addr: number;
  avail_addr: number;
  used_addr: number;
  avail_last_idx: number;
  set_size(n: number): void;
  enable(): void;
  has_request(): boolean;
  pop_request(): { length_writable: number; set_next_blob(b: Uint8Array): number };
  push_reply(chain: unknown): void;
  flush_replies(): void;
  notify_me_after(n: number): void;
}
interface V86VirtIO { queues: V86Queue[] }
type V86VirtIOClass = new (cpu: object, options: object) => V86VirtIO;
type PortHandler = (value: number) => void;

/** The suppression rule v86 breaks: with EVENT_IDX it reads used_event and interrupts anyway. */
/** notify-decision with its finding at an interrupt that was not due taken out (eventIdxAdvisory reports those). */
const SPURIOUS_IRQ = overNotification('device', 'event-idx-irq', 'reported by eventIdxAdvisory');

const eventIdxAdvisory: Advisory = {
  rule: 'event-idx-irq',
  text: 'With VIRTIO_F_EVENT_IDX the device SHOULD NOT send a used buffer notification unless vring_need_event(used_event, new, old) holds (virtio 1.2, 2.7.10); v86 reads used_event and raises the interrupt on every flush regardless.',
  scan(instance, trace, actor) {
    if (instance.params.eventIdx !== 1) return undefined;
    const usedEvent = instance.layout.field('avail.used_event').id;
    const usedIdx = instance.layout.field('used.idx').id;
    const irq = instance.events.find((e) => e.name === 'used-irq')!.id;
    let used = instance.params.startIndex;
    let old = used;
    let decisions = 0;
    let open: { event: number; now: number; old: number; step: number } | undefined;
    for (const e of trace) {
      if (e.actor !== actor || e.k === OpKind.NOTE) continue;
      if (e.k === OpKind.STORE && e.t === usedIdx) used = e.v;
      if (e.k === OpKind.LOAD && e.t === usedEvent) {
        open = decisions++ === 0 ? undefined : { event: e.v, now: used, old, step: e.step };
        old = used;
        continue;
      }
      if (open && e.k === OpKind.NOTIFY && e.t === irq && !vringNeedEvent(open.event, open.now, open.old)) {
        return `step ${e.step}: used-irq raised after reading avail.used_event=${open.event} at step ${open.step} with used.idx ${open.old} -> ${open.now}: vring_need_event is false, no interrupt was due`;
      }
      open = undefined;
    }
    return undefined;
  },
};

/**
 * A bulk copy (read_blob, write_blob) is for buffer contents, which the model does not carry. One
 * that touches the ring would read or write it around the port: that is a finding, thrown.
 */
export function bulkCopyOutsideRing(addr: number, len: number, ringBytes: number, what: string): void {
  if (len > 0 && addr < RING_BASE + ringBytes && addr + len > RING_BASE) {
    throw new Error(`v86 ${what} ${len} bytes at guest address 0x${addr.toString(16)} (ring offset ${addr - RING_BASE}) with a bulk copy: the ring is reached through 16- and 32-bit accesses only, which the port sees`);
  }
}

function deviceBody(instance: ModelInstance, impl: Record<string, unknown>): BlockingBody {
  const VirtIO = impl.VirtIO as V86VirtIOClass;
  // virtio-trapped.ts: the handler runs as one atomic section, as in v86 itself, where the notify
  // port write traps and the emulated CPU waits until the handler returns.
  const trapped = impl.trapAndEmulate === true;
  const p = instance.params;
  const layout = instance.layout;
  const at = new Map(layout.fields.map((f) => [f.offset, f]));
  const kick = instance.events.find((e) => e.name === 'kick')!.id;
  const irq = instance.events.find((e) => e.name === 'used-irq')!.id;
  const availAt = layout.field('avail.flags').offset;
  const usedAt = layout.field('used.flags').offset;
  const features = [VIRTIO_F_VERSION_1, ...(p.eventIdx === 1 ? [VIRTIO_F_RING_EVENT_IDX] : []), ...(p.indirect === 1 ? [VIRTIO_F_RING_INDIRECT_DESC] : [])];
  if (p.eventIdx !== 1) {
    // v86 writes used.avail_event (notify_me_after) whatever was negotiated; that word is not in the layout without EVENT_IDX.
    throw new UsageError('the v86 device adapter needs eventIdx=1 (v86 writes used.avail_event even without VIRTIO_F_EVENT_IDX)');
  }
  return (raw: RawPort) => {
    const port = syncPort(instance, raw);
    const field = (addr: number, bytes: number, what: string) => {
      const off = addr - RING_BASE;
      const f = at.get(off);
      if (f && f.width === bytes * 8) return { name: f.name, high: false };
      if (bytes === 4 && f?.width === 64) return { name: f.name, high: false };
      const low = at.get(off - 4);
      if (bytes === 4 && low?.width === 64) return { name: low.name, high: true };
      throw new Error(`v86 ${what} guest address 0x${addr.toString(16)} (ring offset ${off}), which is no ${bytes * 8}-bit field of the ring`);
    };
    const outsideRing = (addr: number, len: number, what: string) => bulkCopyOutsideRing(addr, len, layout.size, what);
    const load = (addr: number, bytes: number) => {
      const f = field(addr, bytes, 'read');
      const v = port.load(f.name);
      return f.high ? Math.floor(v / 2 ** 32) : v % 2 ** 32;
    };
    const store = (addr: number, bytes: number, v: number) => {
      const f = field(addr, bytes, 'wrote');
      if (f.high) { if (v !== 0) throw new Error(`v86 wrote the high word of ${f.name}`); return; }
      port.store(f.name, bytes === 2 ? v & 0xffff : v >>> 0);
    };
    const writes = new Map<number, PortHandler>();
    const cpu = {
      io: {
        register_read: () => undefined,
        register_write: (portNo: number, _dev: unknown, w8?: PortHandler, w16?: PortHandler, w32?: PortHandler) => {
          const h = w16 ?? w32 ?? w8;
          if (h) writes.set(portNo, h);
        },
      },
      devices: {
        pci: {
          register_device: () => undefined,
          raise_irq: () => { raw.op({ k: OpKind.NOTIFY, t: irq, v: 0, w: 0 }); },
          lower_irq: () => undefined,
        },
      },
      read16: (a: number) => load(a, 2),
      read32s: (a: number) => load(a, 4) | 0,
      write16: (a: number, v: number) => store(a, 2, v),
      write32: (a: number, v: number) => store(a, 4, v),
      // Bulk copies are for buffer contents, which the model does not carry: outside the ring they
      // read zeros and write nowhere. Inside the ring they would go around the port: a finding.
      read_blob: (a: number, len: number) => { outsideRing(a, len, 'read'); return new Uint8Array(len); },
      write_blob: (data: Uint8Array, a: number) => { outsideRing(a, data.length, 'wrote'); },
    };
    // A fresh device per execution: v86 keeps its queue state in this worker's heap.
    let virtio: V86VirtIO;
    const handler = (queueId: number) => {
      const q = virtio.queues[queueId];
      while (q.has_request()) {
        const chain = q.pop_request();
        chain.set_next_blob(new Uint8Array(Math.min(chain.length_writable, RESPONSE_BYTES)));
        q.push_reply(chain);
        q.flush_replies();
      }
      q.notify_me_after(0);
    };
    virtio = new VirtIO(cpu, {
      name: 'virtio-verify', pci_id: PCI_ID, device_id: 0x1043, subsystem_device_id: 3,
      common: { initial_port: 0xa800, queues: [{ size_supported: p.queueSize, notify_offset: 0 }], features, on_driver_ok: () => undefined },
      notification: { initial_port: NOTIFY_PORT, single_handler: false, handlers: [handler] },
      isr_status: { initial_port: 0xa700 },
    });
    const q = virtio.queues[0];
    // What the driver's common-cfg writes would set up (queue_size, the ring addresses, queue_enable).
    q.set_size(p.queueSize);
    q.desc_addr = RING_BASE;
    q.avail_addr = RING_BASE + availAt;
    q.used_addr = RING_BASE + usedAt;
    q.avail_last_idx = p.startIndex;
    q.enable();
    const notify = writes.get(NOTIFY_PORT);
    if (!notify) throw new Error('v86 registered no write handler at its notify port');
    for (;;) {
      raw.op({ k: OpKind.WAIT, t: kick, v: 1, w: 0 });
      if (!trapped) { notify(0); continue; }
      raw.op({ k: OpKind.ATOMIC_BEGIN, t: 0, v: 0, w: 0 });
      notify(0);
      raw.op({ k: OpKind.ATOMIC_END, t: 0, v: 0, w: 0 });
    }
  };
}

/** The device role of vring-split, played by v86 (validate --scheme vring-split --role device --impl harness/adapters/v86/virtio.ts). */
export const v86VringSplitDevice: RoleSpec = {
  // The adapters of this folder (virtio.ts, virtio-trapped.ts); any other module is a JavaScript device (harness/adapters/vring).
  accepts: (implUrl) => implUrl.startsWith(new URL('.', import.meta.url).href),
  required: ['VirtIO'],
  optional: [],
  body: deviceBody,
  advisories: [eventIdxAdvisory],
  // notify-decision judges v86 like any device: an interrupt owed (vring_need_event true) or used
  // entries published without a fresh read of used_event, when v86 goes back to waiting without an
  // interrupt, is the spec's MUST violation. An interrupt that was not due is the spec's SHOULD NOT:
  // the model's finding is dropped here and the event-idx-irq advisory above reports it in v86's terms.
  invariants: SPURIOUS_IRQ.invariants,
};
