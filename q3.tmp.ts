import { check } from '/work/wt/weak/harness/check.ts';
import { renderTrace } from '/work/wt/weak/harness/report/text.ts';
const r = await check({ model: 'vring-split', variant: 'reference', memory: 'weak', shrink: false });
console.log(renderTrace(r.counterexample!.trace));
