/**
 * A counterexample as a sequence diagram in inline SVG: one lifeline per actor and one for shared
 * memory (fields and events) between them, one row per operation in trace order. Loads are arrows
 * from memory to the actor, stores arrows to memory with the value written (and the value it
 * replaced, when the trace showed it), notifications and waits arrows to and from the event lane,
 * fences and pauses marks on the lifeline, atomic sections bars along it, and the actors' notes
 * boxes in a column on the right. Long repetitions are folded as in the text trace (fold.ts); a long
 * trace shows its last rows, the earlier ones behind a disclosure.
 */
import type { Counterexample, NamedEntry } from './counterexample.ts';
import { foldRepeats, type Row } from './fold.ts';
import { fmtValue } from './text.ts';

export const PALETTE = ['#1f6feb', '#c2410c', '#15803d', '#9333ea', '#b91c1c', '#0e7490', '#a16207', '#be185d'];
export const MEMORY_COLOR = '#57606a';

const STEP_W = 56;
const LANE_W = 270;
const NOTE_W = 440;
const HEAD_H = 46;
const ROW_H = 22;
const CHAR_W = 6.6;
/** Rows shown at once; a longer trace puts its earlier rows behind a disclosure. */
export const VISIBLE_ROWS = 260;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clip(s: string, width: number): string {
  const n = Math.max(4, Math.floor(width / CHAR_W));
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Actors in an order that is the same for every counterexample of a model: driver, device, the rest by name. */
export function actorOrder(trace: readonly NamedEntry[]): string[] {
  const seen = [...new Set(trace.map((e) => e.actor))];
  const rank = (a: string) => (a === 'driver' ? 0 : a === 'device' ? 1 : 2);
  return seen.sort((x, y) => rank(x) - rank(y) || x.localeCompare(y, 'en', { numeric: true }));
}

export interface FieldHistory {
  readonly field: string;
  /** Values that became visible in memory, in order, with the step and actor. */
  readonly writes: readonly { readonly step: number; readonly actor: string; readonly value: number }[];
}

const VISIBLE_WRITE = new Set(['drain', 'flush']);

/** Which fields were written (visibly, under tso: when flushed) and to what, in trace order. */
export function fieldHistory(c: Counterexample): FieldHistory[] {
  const map = new Map<string, { step: number; actor: string; value: number }[]>();
  for (const e of c.trace) {
    if (!e.target || e.value === undefined) continue;
    const visible = VISIBLE_WRITE.has(e.op) || (e.op === 'store' && c.memory === 'sc');
    if (!visible) continue;
    const list = map.get(e.target) ?? [];
    list.push({ step: e.step, actor: e.actor, value: e.value });
    map.set(e.target, list);
  }
  return [...map.entries()].map(([field, writes]) => ({ field, writes }));
}

interface Layout {
  readonly lanes: readonly string[];
  readonly memoryLane: number;
  readonly x: (lane: number) => number;
  readonly width: number;
  readonly notesX: number;
  readonly color: (actor: string) => string;
}

function layout(actors: readonly string[]): Layout {
  const left = Math.ceil(actors.length / 2);
  const lanes = [...actors.slice(0, left), '', ...actors.slice(left)];
  const memoryLane = left;
  const x = (lane: number) => STEP_W + LANE_W * lane + LANE_W / 2;
  const notesX = STEP_W + LANE_W * lanes.length + 8;
  return {
    lanes, memoryLane, x, width: notesX + NOTE_W, notesX,
    color: (a) => PALETTE[actors.indexOf(a) % PALETTE.length] ?? MEMORY_COLOR,
  };
}

type Drawn = { readonly kind: 'entry'; readonly e: NamedEntry; readonly label: string; readonly changed: boolean; readonly switchBefore: boolean } | { readonly kind: 'fold'; readonly text: string };

/** Turns the folded rows into what is drawn, tracking the last visible value of each field. */
function drawnRows(c: Counterexample, rows: readonly Row[]): Drawn[] {
  const known = new Map<string, number>();
  const out: Drawn[] = [];
  let last: string | undefined;
  for (const row of rows) {
    if ('fold' in row) {
      const f = row.fold;
      out.push({ kind: 'fold', text: `⋯ the ${f.rows} ${f.rows === 1 ? 'row' : 'rows'} above repeat ${f.times} more times (steps ${f.from} to ${f.to}) ⋯` });
      continue;
    }
    const e = row.entry;
    const switchBefore = e.op !== 'note' && last !== undefined && e.actor !== last;
    if (e.op !== 'note') last = e.actor;
    const v = e.value === undefined ? '' : fmtValue(e.value);
    const t = e.target ?? '';
    let label: string;
    let changed = false;
    const visibleWrite = (e.op === 'store' && c.memory === 'sc') || VISIBLE_WRITE.has(e.op);
    if (visibleWrite && e.value !== undefined && t) {
      const before = known.get(t);
      changed = before !== e.value;
      const verb = e.op === 'store' ? 'store' : e.op;
      label = before !== undefined && before !== e.value ? `${verb} ${t}: ${fmtValue(before)} → ${v}` : `${verb} ${t} = ${v}`;
      known.set(t, e.value);
    } else {
      switch (e.op) {
        case 'load':
          label = `load ${t} = ${v}`;
          if (c.memory === 'sc' && e.value !== undefined) known.set(t, e.value);
          break;
        case 'store': label = `store ${t} = ${v} to its buffer`; break;
        case 'add': case 'xchg': case 'cas': label = `${e.op} ${t} (was ${v})`; known.delete(t); break;
        case 'notify': label = `notify ${t}`; break;
        case 'wait': label = `wait ${t}`; break;
        case 'poll': label = `poll ${t}: ${e.value ? 'raised' : 'not raised'}`; break;
        case 'fence': label = t || 'fence'; break;
        case 'note': label = `${e.actor}: ${t}${e.text ? ` ${e.text}` : e.data?.length ? ` [${e.data.map(fmtValue).join(' ')}]` : ''}`; break;
        default: label = e.op;
      }
    }
    out.push({ kind: 'entry', e, label, changed, switchBefore });
  }
  return out;
}

function arrow(x1: number, x2: number, y: number, color: string, cls: string, label: string, title: string, markerId: string, both = false, labelTo = x2): string {
  const dir = x2 > x1 ? 1 : -1;
  const span = Math.abs(labelTo - x1);
  const lx = (x1 + labelTo) / 2;
  return `<g class="op ${cls}"><title>${esc(title)}</title>`
    + `<line x1="${x1 + dir * 3}" y1="${y}" x2="${x2 - dir * 4}" y2="${y}" stroke="${color}" marker-end="url(#${markerId})"${both ? ` marker-start="url(#${markerId})"` : ''}/>`
    + `<text x="${lx}" y="${y - 4}" text-anchor="middle" fill="${color}">${esc(clip(label, span - 8))}</text></g>`;
}

/** One SVG: the header with the actors' names, then the rows. */
function svgSegment(c: Counterexample, L: Layout, rows: readonly Drawn[], markerIds: ReadonlyMap<string, string>, openAtomic: ReadonlySet<string>, final: boolean, label: string): string {
  const bodyH = rows.length * ROW_H + (final ? ROW_H + 10 : 6);
  const height = HEAD_H + bodyH;
  const parts: string[] = [];
  parts.push(`<svg class="seq-svg" xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${height}" viewBox="0 0 ${L.width} ${height}" role="img" aria-label="${esc(label)}">`);
  // Header: one box per lane.
  L.lanes.forEach((a, i) => {
    const x = L.x(i);
    const name = a === '' ? 'shared memory' : a;
    const color = a === '' ? MEMORY_COLOR : L.color(a);
    parts.push(`<g class="lane-head${a === '' ? ' memory' : ' actor'}" data-actor="${esc(name)}"><rect x="${x - 80}" y="6" width="160" height="28" rx="5" fill="${color}"/><text x="${x}" y="25" text-anchor="middle" class="actor-name">${esc(name)}</text></g>`);
    parts.push(`<line class="lifeline${a === '' ? ' memory' : ''}" x1="${x}" y1="${HEAD_H - 10}" x2="${x}" y2="${height}" stroke="${color}"/>`);
  });
  parts.push(`<text x="${STEP_W - 8}" y="25" text-anchor="end" class="col-head">step</text>`);
  parts.push(`<text x="${L.notesX + 6}" y="25" class="col-head">notes</text>`);
  const laneOf = (actor: string) => L.lanes.indexOf(actor);
  const mem = L.x(L.memoryLane);
  // Atomic sections: bars along the lifeline from begin to end.
  const open = new Map<string, number>([...openAtomic].map((a) => [a, HEAD_H - 6]));
  const bars: string[] = [];
  const bar = (actor: string, y1: number, y2: number) => {
    const x = L.x(laneOf(actor));
    bars.push(`<rect class="atomic" x="${x - 5}" y="${y1}" width="10" height="${Math.max(4, y2 - y1)}" fill="${L.color(actor)}"><title>${esc(actor)}: atomic section</title></rect>`);
  };
  rows.forEach((r, i) => {
    const y = HEAD_H + i * ROW_H + ROW_H / 2 + 4;
    const top = HEAD_H + i * ROW_H;
    if (r.kind === 'fold') {
      parts.push(`<g class="fold"><rect x="4" y="${top + 2}" width="${L.width - 8}" height="${ROW_H - 4}" rx="3"/><text x="${L.width / 2}" y="${y + 1}" text-anchor="middle">${esc(r.text)}</text></g>`);
      return;
    }
    const e = r.e;
    if (r.switchBefore) parts.push(`<line class="switch" x1="${STEP_W - 4}" y1="${top + 1}" x2="${L.notesX - 8}" y2="${top + 1}"/>`);
    if (e.op !== 'note') parts.push(`<text class="step" x="${STEP_W - 8}" y="${y}" text-anchor="end">${e.step}</text>`);
    const lane = laneOf(e.actor);
    const ax = L.x(lane);
    const color = L.color(e.actor);
    const marker = markerIds.get(e.actor)!;
    const title = `step ${e.step}: ${r.label}`;
    switch (e.op) {
      case 'load': case 'wait': case 'poll':
        parts.push(arrow(mem, ax, y, color, e.op === 'load' ? 'read' : 'event-in', r.label, title, marker));
        break;
      case 'store': case 'drain': case 'flush': {
        const buffered = e.op === 'store' && c.memory !== 'sc';
        const to = buffered ? ax + (mem - ax) * 0.55 : mem;
        parts.push(arrow(ax, to, y, color, `write${buffered ? ' buffered' : ''}${r.changed ? ' changed' : ''}${e.op !== 'store' ? ' flush' : ''}`, r.label, title, marker, false, mem));
        break;
      }
      case 'add': case 'xchg': case 'cas':
        parts.push(arrow(ax, mem, y, color, `write rmw${r.changed ? ' changed' : ''}`, r.label, title, marker, true));
        break;
      case 'notify':
        parts.push(arrow(ax, mem, y, color, 'event-out', r.label, title, marker));
        break;
      case 'atomic-begin':
        open.set(e.actor, top + 4);
        break;
      case 'atomic-end': {
        const from = open.get(e.actor);
        if (from !== undefined) bar(e.actor, from, top + ROW_H - 4);
        open.delete(e.actor);
        parts.push(`<g class="op mark"><title>${esc(title)}</title><line x1="${ax - 9}" y1="${top + ROW_H - 4}" x2="${ax + 9}" y2="${top + ROW_H - 4}" stroke="${color}"/></g>`);
        break;
      }
      case 'note': {
        const text = r.label;
        parts.push(`<g class="note"><title>${esc(text)}</title><path d="M${ax} ${y - 9} l5 5 l-5 5 l-5 -5 z" fill="${color}"/>`
          + `<line x1="${ax + 6}" y1="${y - 4}" x2="${L.notesX}" y2="${y - 4}" stroke="${color}" class="note-link"/>`
          + `<rect x="${L.notesX}" y="${top + 2}" width="${NOTE_W - 6}" height="${ROW_H - 4}" rx="3" stroke="${color}"/>`
          + `<text x="${L.notesX + 6}" y="${y}" fill="${color}">${esc(clip(text, NOTE_W - 16))}</text></g>`);
        break;
      }
      default: {
        // Fences, pauses: a mark on the lifeline with the name beside it.
        const side = lane < L.memoryLane ? -1 : 1;
        parts.push(`<g class="op mark"><title>${esc(title)}</title><rect x="${ax - 7}" y="${y - 9}" width="14" height="10" rx="2" fill="#fff" stroke="${color}"/>`
          + `<text x="${ax - side * 12}" y="${y}" text-anchor="${side < 0 ? 'start' : 'end'}" fill="${color}">${esc(r.label)}</text></g>`);
      }
    }
  });
  const end = HEAD_H + rows.length * ROW_H;
  for (const [actor, from] of open) bar(actor, from, end);
  if (final) {
    parts.push(`<g class="violation"><rect x="4" y="${end + 4}" width="${L.width - 8}" height="${ROW_H}" rx="4"/>`
      + `<text x="${L.width / 2}" y="${end + 4 + ROW_H / 2 + 4}" text-anchor="middle">✖ ${esc(c.invariant)} violated here</text></g>`);
  }
  // Bars go under the arrows: insert them right after the header.
  const headEnd = 1 + L.lanes.length * 2 + 2;
  parts.splice(headEnd, 0, ...bars);
  parts.push('</svg>');
  return parts.join('');
}

/** Marker definitions for every actor color; put once per page (ids are page-wide). */
export function markerDefs(): string {
  const colors = [...PALETTE, MEMORY_COLOR];
  return `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>${colors.map((c, i) =>
    `<marker id="arrow-${i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="${c}"/></marker>`).join('')}</defs></svg>`;
}

/** The diagram as HTML: a block with one SVG, or the earlier rows behind a disclosure and the last ones shown. */
export function renderSequence(c: Counterexample): string {
  const actors = actorOrder(c.trace);
  const L = layout(actors);
  const markerIds = new Map(actors.map((a) => [a, `arrow-${actors.indexOf(a) % PALETTE.length}`]));
  const rows = drawnRows(c, foldRepeats(c.trace));
  const label = `sequence diagram of ${c.model}/${c.variant}: ${actors.join(', ')} and shared memory, ${rows.length} rows`;
  const attrs = `class="seq" data-actors="${esc(actors.join(' '))}" data-rows="${rows.length}"`;
  if (rows.length <= VISIBLE_ROWS + 40) return `<div ${attrs}>${svgSegment(c, L, rows, markerIds, new Set(), true, label)}</div>`;
  const cut = rows.length - VISIBLE_ROWS;
  const earlier = rows.slice(0, cut);
  const later = rows.slice(cut);
  // Which actors are inside an atomic section where the shown part begins.
  const open = new Set<string>();
  for (const r of earlier) {
    if (r.kind !== 'entry') continue;
    if (r.e.op === 'atomic-begin') open.add(r.e.actor);
    if (r.e.op === 'atomic-end') open.delete(r.e.actor);
  }
  const steps = earlier.flatMap((r) => (r.kind === 'entry' && r.e.op !== 'note' ? [r.e.step] : []));
  const range = steps.length ? `steps ${steps[0]} to ${steps[steps.length - 1]}` : 'notes';
  return `<div ${attrs}><details class="seq-earlier"><summary>show the ${cut} earlier rows (${range})</summary>${svgSegment(c, L, earlier, markerIds, new Set(), false, `${label}, earlier part`)}</details>`
    + `${svgSegment(c, L, later, markerIds, open, true, label)}</div>`;
}
