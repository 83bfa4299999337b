/**
 * The Linux kernel memory model's litmus tests (tools/memory-model/litmus-tests/ in the kernel
 * source) as virtio-verify models: a small translator for the subset whose threads use only
 * READ_ONCE, WRITE_ONCE, smp_wmb, smp_rmb and smp_mb, with an empty initial state and an "exists"
 * clause that is a conjunction of register and final-memory equalities. Every other test is left
 * out with the reason. The test text is read at test time from Debian's linux-source package and
 * never stored here.
 */
import { defineModel, refs } from '../../harness/core/define-model.ts';
import { defineLayout, type Field } from '../../harness/core/layout.ts';
import type { ModelDef } from '../../harness/core/model.ts';
import { OpKind, port as p, type Op } from '../../harness/core/ops.ts';

export type Expected = 'Never' | 'Sometimes' | 'Always';

type Stmt =
  | { readonly k: 'write'; readonly v: string; readonly value: number }
  | { readonly k: 'read'; readonly reg: string; readonly v: string }
  | { readonly k: 'fence'; readonly fence: 'wmb' | 'rmb' | 'mb' };

type Cond = { readonly thread: number; readonly reg: string; readonly value: number } | { readonly v: string; readonly value: number };

export interface Litmus {
  readonly name: string;
  readonly expected: Expected;
  readonly threads: readonly (readonly Stmt[])[];
  readonly vars: readonly string[];
  readonly exists: readonly Cond[];
}

export type Parsed = { readonly ok: true; readonly litmus: Litmus } | { readonly ok: false; readonly name: string; readonly why: string };

export function parseLitmus(text: string): Parsed {
  const name = /^C\s+(\S+)/m.exec(text)?.[1] ?? '?';
  const no = (why: string): Parsed => ({ ok: false, name, why });
  const result = /Result:\s*(Never|Sometimes|Always)/.exec(text)?.[1] as Expected | undefined;
  if (!result) return no('no "Result:" line');
  if (name.startsWith('LB+')) return no('load buffering: a load is satisfied when it executes here, so a later store never becomes visible before it (not modelled)');
  // OCaml-style comments open with "(*" and a blank (READ_ONCE(*x) must stay), C ones with //.
  const body = text.replace(/\(\*\s[\s\S]*?\*\)/g, '').replace(/\/\/.*$/gm, '');
  const init = /^\s*\{([^}]*)\}/m.exec(body.slice(body.indexOf('\n')));
  if (!init || init[1].trim() !== '') return no('a non-empty initial state');
  const threads: Stmt[][] = [];
  const vars = new Set<string>();
  for (const m of body.matchAll(/P(\d+)\(([^)]*)\)\s*\{([^}]*)\}/g)) {
    const stmts: Stmt[] = [];
    for (const raw of m[3].split(';')) {
      const s = raw.trim();
      if (s === '' || /^int\s+r\d+$/.test(s)) continue;
      let x: RegExpExecArray | null;
      if ((x = /^WRITE_ONCE\(\*(\w+),\s*(\d+)\)$/.exec(s))) { stmts.push({ k: 'write', v: x[1], value: Number(x[2]) }); vars.add(x[1]); }
      else if ((x = /^(r\d+)\s*=\s*READ_ONCE\(\*(\w+)\)$/.exec(s))) { stmts.push({ k: 'read', reg: x[1], v: x[2] }); vars.add(x[2]); }
      else if ((x = /^smp_(wmb|rmb|mb)\(\)$/.exec(s))) stmts.push({ k: 'fence', fence: x[1] as 'wmb' | 'rmb' | 'mb' });
      else return no(`uses "${s.split('(')[0]}", outside the subset (READ_ONCE, WRITE_ONCE, smp_wmb, smp_rmb, smp_mb)`);
    }
    threads[Number(m[1])] = stmts;
  }
  if (threads.length === 0) return no('no threads found');
  const ex = /exists\s*\(([^)]*)\)/.exec(body)?.[1];
  if (!ex) return no('no "exists" clause');
  if (/\\\/|~/.test(ex)) return no('an "exists" clause with a disjunction or a negation');
  const exists: Cond[] = [];
  for (const part of ex.split('/\\').map((c) => c.trim())) {
    let x: RegExpExecArray | null;
    if ((x = /^(\d+):(r\d+)=(\d+)$/.exec(part))) exists.push({ thread: Number(x[1]), reg: x[2], value: Number(x[3]) });
    else if ((x = /^(\w+)=(\d+)$/.exec(part))) { exists.push({ v: x[1], value: Number(x[2]) }); vars.add(x[1]); }
    else return no(`an "exists" condition this translator does not read: ${part}`);
  }
  return { ok: true, litmus: { name, expected: result, threads, vars: [...vars].sort(), exists } };
}

const NOTES = refs('reg');

/** The litmus test as a model whose one invariant fails exactly when the "exists" outcome is reached. */
export function litmusModel(t: Litmus): ModelDef {
  const regs = new Map<string, number>();
  t.threads.forEach((stmts, i) => stmts.forEach((s) => { if (s.k === 'read' && !regs.has(`${i}:${s.reg}`)) regs.set(`${i}:${s.reg}`, regs.size); }));
  return defineModel<object, Record<string, Field>>({
    name: `lkmm-${t.name}`,
    summary: `LKMM litmus test ${t.name}`,
    params: [],
    events: [],
    notes: [NOTES.reg],
    reference: {},
    variants: [{ name: 'reference', description: t.name, expect: { verdict: 'passed' } }],
    invariants: [{
      name: 'exists',
      kind: 'liveness',
      protects: `the outcome of the "exists" clause of ${t.name} is not reached`,
      observe(ctx) {
        const values = new Map<number, number>();
        return {
          onEntry(e) {
            if (e.k === OpKind.NOTE && e.t === NOTES.reg.id) values.set(e.data![0], e.data![1]);
            return undefined;
          },
          key: () => [...values].sort((a, b) => a[0] - b[0]).join(';'),
          atQuiescence() {
            const holds = t.exists.every((c) => ('thread' in c
              ? values.get(regs.get(`${c.thread}:${c.reg}`)!) === c.value
              : ctx.state.read(ctx.instance.layout.fields.find((f) => f.name === c.v)!) === c.value));
            return holds ? `reached the outcome of exists (${t.name})` : undefined;
          },
        };
      },
    }],
    defaultPreemptions: 100,
    maxSteps: () => 100,
    build() {
      const layout = defineLayout((b) => { for (const v of t.vars) b.u32(v); });
      return { layout, ctx: Object.fromEntries(t.vars.map((v) => [v, layout.field(v)])) };
    },
    actors: (_, fields) => t.threads.map((stmts, i) => ({
      name: `P${i}`,
      program: function* () {
        for (const s of stmts) {
          if (s.k === 'write') yield p.store(fields[s.v], s.value);
          else if (s.k === 'read') { const v: number = yield p.load(fields[s.v]); yield p.note(NOTES.reg, regs.get(`${i}:${s.reg}`)!, v); }
          else { const op: Op = s.fence === 'wmb' ? p.wmb() : s.fence === 'rmb' ? p.rmb() : p.mb(); yield op; }
        }
      },
    })),
  });
}
