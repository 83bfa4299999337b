// Plain JavaScript on purpose: a worker does not inherit tsx from a parent started by vitest, so
// this loads tsx's ESM hooks first and only then the TypeScript entry named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
