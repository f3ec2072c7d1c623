/**
 * Runs solver tasks off the main thread: a small pool of `node:worker_threads` workers, each
 * running `worker.js`, with a hard deadline per task. A backend's own time limit is the first
 * line; the deadline is the second: when a task overruns it, its worker is terminated (a wasm
 * solve cannot be interrupted from outside) and the caller keeps the best incumbent the task
 * reported. A fresh worker replaces it on the next task.
 *
 * When the compiled worker script is absent (running from TypeScript sources, or a bundler that
 * dropped it), {@link defaultRunner} falls back to running tasks in the calling thread, where
 * only the backend's own time limit applies.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { warmTask } from './client.js';
import { createTaskContext, raiseStop, runTask, type ReplyOf, type Task, type TaskContext, type TaskKind, type TaskOf, type TaskProgress, type TaskResult } from './tasks.js';
import type { BackendName } from './types.js';

/** How a task run ended: the reply of its kind, or why there is none. */
export type TaskRun<R = TaskResult> =
  | { readonly ok: true; readonly result: R }
  /** The hard deadline passed (the worker was terminated) or the worker died. */
  | { readonly ok: false; readonly reason: 'deadline' | 'crashed'; readonly message: string };

/** Options of one task run. */
export interface RunOptions {
  /** Milliseconds after which the task is abandoned (its worker terminated). */
  readonly hardLimitMs: number;
  readonly onProgress?: (p: TaskProgress) => void;
}

/**
 * Something that runs solver tasks: worker threads ({@link defaultRunner}) or the calling thread.
 * Share one between solvers to share their warm workers; `close()` it when done.
 * @example
 * ```ts
 * const runner = defaultRunner(2);
 * try { await planInstance(instance, { solver: defaultSolver({ lns: { runner } }) }); } finally { await runner.close(); }
 * ```
 */
export interface TaskRunner {
  /** Whether tasks run on worker threads (false: in the calling thread). */
  readonly threaded: boolean;
  /** How many tasks may run at once. */
  readonly size: number;
  /**
   * Runs a task.
   * @param task - the task
   * @param options - deadline and progress callback
   * @returns how it ended
   * @internal The task protocol between the solvers and their workers is not public API: make a
   * runner with `defaultRunner` and pass it to the solvers' options.
   */
  run<K extends TaskKind>(task: TaskOf<K> & { readonly kind: K }, options: RunOptions): Promise<TaskRun<ReplyOf<K>>>;
  /**
   * Starts every worker and warms a backend in each (loading it and compiling its hot code),
   * in the background, while the workers are idle: a task never waits for the warm-up (a warm-up
   * still queued is dropped, one under way is interrupted). A no-op in the calling thread.
   * @param backend - the backend to warm
   */
  warm(backend: BackendName): void;
  /** Terminates every worker. */
  close(): Promise<void>;
}

/**
 * A runner that performs tasks in the calling thread, one at a time (blocking it while a
 * backend solves). The deadline cannot be enforced: the backend's time limit is all there is.
 * @returns the runner
 */
export function inThreadRunner(): TaskRunner {
  const ctx: TaskContext = createTaskContext();
  let chain: Promise<unknown> = Promise.resolve();
  return {
    threaded: false,
    size: 1,
    run<K extends TaskKind>(task: TaskOf<K> & { readonly kind: K }, options: RunOptions) {
      const next = chain.then(async (): Promise<TaskRun<ReplyOf<K>>> => {
        try {
          return { ok: true, result: await runTask<K>(task, ctx, options.onProgress ?? (() => undefined)) };
        } catch (e) {
          return { ok: false, reason: 'crashed', message: (e as Error)?.message ?? String(e) };
        }
      });
      chain = next;
      return next;
    },
    warm: () => undefined,
    close: async () => undefined,
  };
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Stop flag of the warm-up it runs, if it runs one. */
  warming: Int32Array | undefined;
}

interface Pending {
  readonly task: Task;
  readonly options: RunOptions;
  readonly resolve: (r: TaskRun) => void;
}

/**
 * A pool of worker threads running `worker.js`.
 * @param url - the worker script (default: `worker.js` beside this module)
 * @param size - number of workers (default 1)
 * @returns the runner
 * @example
 * ```ts
 * const runner = workerRunner(new URL('./worker.js', import.meta.url), 2);
 * const out = await solveMip(runner, model, { backend: 'highs', timeLimitMs: 5000 });
 * await runner.close();
 * ```
 */
export function workerRunner(url: URL = defaultWorkerUrl(), size = 1): TaskRunner {
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  const warmed = new Set<BackendName>();
  let nextId = 1;

  const spawn = (): Slot => {
    const worker = new Worker(url);
    worker.unref();
    const slot: Slot = { worker, busy: false, warming: undefined };
    slots.push(slot);
    return slot;
  };
  const retire = (slot: Slot): void => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    void slot.worker.terminate();
  };
  const isWarm = (job: Pending): boolean => job.task.kind === 'warm';
  const pump = (): void => {
    // Real tasks first: a queued warm-up only runs when no task waits.
    queue.sort((a, b) => Number(isWarm(a)) - Number(isWarm(b)));
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.busy);
      if (!slot && slots.length < size) slot = spawn();
      if (!slot) break;
      start(slot, queue.shift()!);
    }
    // Tasks still waiting interrupt warm-ups under way (one each).
    let waiting = queue.filter((j) => !isWarm(j)).length;
    for (const s of slots) {
      if (waiting === 0) break;
      if (s.warming !== undefined && Atomics.load(s.warming, 0) === 0) {
        raiseStop(s.warming);
        waiting--;
      }
    }
  };
  const start = (slot: Slot, job: Pending): void => {
    const id = nextId++;
    slot.busy = true;
    slot.warming = job.task.kind === 'warm' ? job.task.stop : undefined;
    slot.worker.ref();
    let done = false;
    const finish = (r: TaskRun, kill: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      slot.worker.off('message', onMessage);
      slot.worker.off('error', onError);
      slot.worker.off('exit', onExit);
      if (kill) retire(slot);
      else {
        slot.busy = false;
        slot.warming = undefined;
        slot.worker.unref();
      }
      job.resolve(r);
      pump();
    };
    const onMessage = (msg: { id: number; progress?: TaskProgress; result?: TaskResult; error?: string }): void => {
      if (msg.id !== id) return;
      if (msg.progress) job.options.onProgress?.(msg.progress);
      else if (msg.result) finish({ ok: true, result: msg.result }, false);
      else finish({ ok: false, reason: 'crashed', message: msg.error ?? 'unknown worker error' }, true);
    };
    const onError = (e: Error): void => finish({ ok: false, reason: 'crashed', message: e.message }, true);
    const onExit = (code: number): void => finish({ ok: false, reason: 'crashed', message: `worker exited with code ${code}` }, true);
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'deadline', message: `task abandoned after ${job.options.hardLimitMs} ms` }, true),
      Math.max(1, job.options.hardLimitMs),
    );
    slot.worker.on('message', onMessage);
    slot.worker.on('error', onError);
    slot.worker.on('exit', onExit);
    slot.worker.postMessage({ id, task: job.task });
  };

  return {
    threaded: true,
    size,
    run<K extends TaskKind>(task: TaskOf<K> & { readonly kind: K }, options: RunOptions) {
      return new Promise<TaskRun<ReplyOf<K>>>((resolve) => {
        // The worker answers the reply of the task's kind (see HANDLERS): the one cast of the transport.
        queue.push({ task, options, resolve: resolve as (r: TaskRun) => void });
        pump();
      });
    },
    warm(backend) {
      // Once per backend: a warmed thread stays warm (a replacement for a killed one starts cold).
      if (warmed.has(backend)) return;
      warmed.add(backend);
      const idle = size - slots.filter((sl) => sl.busy).length - queue.length;
      for (let i = 0; i < idle; i++) {
        queue.push({ task: warmTask(backend), options: { hardLimitMs: 10_000 }, resolve: () => undefined });
      }
      pump();
    },
    async close() {
      const all = slots.splice(0);
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * The compiled worker script beside this module (`worker.js`).
 * @returns its URL
 */
export function defaultWorkerUrl(): URL {
  return new URL('./worker.js', import.meta.url);
}

/**
 * Whether a worker script exists on disk.
 * @param url - the script
 * @returns true when it can be started
 */
export function workerAvailable(url: URL = defaultWorkerUrl()): boolean {
  try {
    return url.protocol === 'file:' && existsSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/**
 * Worker threads when the compiled worker script is there, else the calling thread.
 * @param size - number of workers
 * @param url - the worker script
 * @returns the runner
 * @example
 * ```ts
 * const runner = defaultRunner(2); // two worker threads
 * const solver = defaultSolver({ lns: { runner } });
 * // ... plan with it, then:
 * await runner.close();
 * ```
 */
export function defaultRunner(size = 1, url: URL = defaultWorkerUrl()): TaskRunner {
  return workerAvailable(url) ? workerRunner(url, size) : inThreadRunner();
}

/**
 * A runner made on first use and kept: the given one, else {@link defaultRunner}. Solvers hold
 * one, so that every solve of a solver shares its (warm) workers.
 * @param runner - a runner chosen by the caller, if any
 * @param size - workers of the default runner
 * @returns a function that answers the runner
 */
export function lazyRunner(runner: TaskRunner | undefined, size: number): () => TaskRunner {
  let made = runner;
  return () => (made ??= defaultRunner(size));
}
