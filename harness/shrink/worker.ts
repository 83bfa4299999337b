/**
 * Entry of the worker that shrinks a long counterexample off the main thread (interruptible.ts):
 * the same model on an inline engine of its own, the same shrinker, the result posted back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InlineEngine } from '../engine/inline.ts';
import { loadModel } from '../engine/threads/model-source.ts';
import { shrinkSchedule } from '../explore/shrink.ts';
import type { ShrinkJob } from './interruptible.ts';

const job = workerData as ShrinkJob;
const def = await loadModel(job.spec);
const engine = new InlineEngine(def.instantiate(job.spec.variant, job.spec.params), job.memory);
parentPort!.postMessage(shrinkSchedule(engine, job.decisions, job.invariant, { maxMs: job.maxMs, maxRuns: job.maxRuns }));
