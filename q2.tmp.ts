import { check } from '/work/wt/weak/harness/check.ts';
const model = process.argv[2]; const variants = process.argv[3].split(','); const mems = (process.argv[4] ?? 'sc,tso,weak').split(',');
const params = process.argv[5] ? JSON.parse(process.argv[5]) : undefined; const pre = process.argv[6] ? Number(process.argv[6]) : undefined;
for (const variant of variants) for (const memory of mems as ('sc'|'tso'|'weak')[]) {
  const r = await check({ model, variant, memory, shrink: true, params, preemptions: pre, budgetMs: 60000 });
  console.log(variant, memory, r.verdict, r.invariant, 'complete', r.complete, 'exec', r.executions, r.seconds.toFixed(2), 'expected', r.asExpected, 'bound', r.preemptions);
  if (r.counterexample && memory === 'weak') console.log('  ', r.counterexample.message.slice(0, 300), r.counterexample.trace.filter(e=>e.op==='stale').map(e=>e.text));
}
