/**
 * Worker-thread entry of the solver tasks (compiled to `dist/src/solvers/worker.js`). It loads
 * backends once per thread and answers each `{ id, task }` message with progress messages
 * `{ id, progress }` and one final `{ id, result }` (or `{ id, error }`). Importing this module
 * on the main thread does nothing.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { createTaskContext, runTask, type Task } from './tasks.js';

/** A request to a solver worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly task: Task;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const ctx = createTaskContext();
  port.on('message', (msg: WorkerRequest) => {
    runTask(msg.task, ctx, (progress) => port.postMessage({ id: msg.id, progress }))
      .then((result) => port.postMessage({ id: msg.id, result }))
      .catch((e: unknown) => port.postMessage({ id: msg.id, error: (e as Error)?.message ?? String(e) }));
  });
}
