/**
 * Minimization of a finding: delta debugging on the steps (Zeller's ddmin: remove chunks, halving
 * their size), then on each remaining step's content: numeric fields towards 0, trailing arrays
 * shorter, raw bytes cut and zeroed. A candidate is kept when the same oracle fires at the same
 * location, so the minimized stream shows the same bug.
 */
import { schemaOf } from '../msg/codec.ts';
import type { Message } from '../msg/types.ts';
import type { Step } from './stream.ts';
import type { FuzzTarget, Violation } from './target.ts';

export function minimize(t: FuzzTarget, variant: string, steps: readonly Step[], v: Violation, budget = 4000): { steps: Step[]; violation: Violation } {
  let runs = 0;
  let best = v;
  const same = (cand: readonly Step[]): boolean => {
    if (runs++ >= budget) return false;
    const r = t.run(cand, variant);
    if (r && r.oracle === v.oracle && r.location === v.location) { best = r; return true; }
    return false;
  };
  // The steps after the one that fired never matter.
  let cur = steps.slice(0, Math.min(steps.length, v.step + 1));
  if (!same(cur)) cur = steps.slice();
  // ddmin over steps.
  let chunk = Math.max(1, Math.floor(cur.length / 2));
  while (chunk >= 1 && cur.length > 1) {
    let removed = false;
    for (let i = 0; i < cur.length;) {
      const cand = cur.slice(0, i).concat(cur.slice(i + chunk));
      if (cand.length && same(cand)) { cur = cand; removed = true; } else i += chunk;
    }
    if (!removed) {
      if (chunk === 1) break;
      chunk = Math.max(1, Math.floor(chunk / 2));
    }
  }
  // Then the content of each step.
  for (let i = 0; i < cur.length; i++) {
    const s = cur[i];
    if ('send' in s) {
      let m = s.send as unknown as Record<string, unknown>;
      const fields = ['token', ...schemaOf(s.send.kind).fields.map((f) => f.name)];
      for (const name of fields) {
        const x = m[name];
        const smaller = typeof x === 'bigint' ? (x === 0n ? [] : [0n]) : typeof x === 'number' && x !== 0 ? [...new Set([0, 1, topBit(x)])].filter((y) => y < x) : [];
        for (const y of smaller) {
          const cand = { ...m, [name]: y };
          const c = cur.slice();
          c[i] = { send: cand as unknown as Message };
          if (same(c)) { m = cand; cur = c; break; }
        }
      }
      const tail = schemaOf(s.send.kind).tail;
      if (tail && Array.isArray(m[tail.name]) && (m[tail.name] as unknown[]).length) {
        const cand = { ...m, [tail.name]: [], ...(tail.type === 'optional-bytes' ? { length: 0 } : {}) };
        const c = cur.slice();
        c[i] = { send: cand as unknown as Message };
        if (same(c)) cur = c;
      }
    } else if ('raw' in s) {
      let raw = s.raw.slice();
      for (let cut = raw.length - 1; cut >= 0; cut--) {
        const c = cur.slice();
        c[i] = { raw: raw.slice(0, cut) };
        if (same(c)) { raw = raw.slice(0, cut); cur = c; } else break;
      }
      for (let b = 0; b < raw.length; b++) {
        if (raw[b] === 0) continue;
        const r2 = raw.slice();
        r2[b] = 0;
        const c = cur.slice();
        c[i] = { raw: r2 };
        if (same(c)) { raw = r2; cur = c; }
      }
    }
  }
  return { steps: cur, violation: best };
}

/** The highest set bit of a 32-bit value (0x80000000 for 0xcfe16df9): keeps sign-like boundaries. */
function topBit(x: number): number {
  return x >>> 0 === 0 ? 0 : (1 << (31 - Math.clz32(x))) >>> 0;
}
