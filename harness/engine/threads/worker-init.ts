/**
 * What this worker was started with, read once. The shared buffers are then removed from
 * `workerData`: a third-party module running in this worker (validate's JavaScript implementations)
 * could otherwise import workerData and reach the shared memory around the port.
 */
import { workerData } from 'node:worker_threads';
import type { WorkerInit } from './actor-worker.ts';

let init: WorkerInit | undefined;

export function workerInit(): WorkerInit {
  if (init) return init;
  init = { ...(workerData as WorkerInit) };
  const data = workerData as Partial<Record<keyof WorkerInit, unknown>>;
  delete data.memory;
  delete data.channel;
  return init;
}
