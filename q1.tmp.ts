import { check } from '/work/wt/weak/harness/check.ts';
for (const variant of ['reference', 'no-barriers', 'wmb-only', 'rmb-only']) for (const memory of ['sc', 'tso', 'weak'] as const) {
  const r = await check({ model: 'litmus-mp', variant, memory, shrink: true });
  console.log(variant, memory, r.verdict, r.complete, r.executions, r.seconds.toFixed(2), r.asExpected);
  if (r.counterexample && memory === 'weak') console.log(JSON.stringify(r.counterexample.schedule), r.counterexample.trace.filter(e=>e.op==='stale').map(e=>e.text));
}
