/**
 * The main-thread client of the solver tasks: the one module that builds task messages (see
 * `tasks.ts` for the protocol), submits them to a {@link TaskRunner} with a hard deadline, and
 * turns the replies into typed results. Every solver (`place/`, the keep-set bounds) goes through
 * it; nothing else calls `runner.run`.
 *
 * Deadlines: each call gives its task a hard limit past which the worker is terminated (a wasm
 * solve cannot be interrupted from outside); progress reports streamed before that are handed
 * to the caller as they arrive, so that an answer found before a cut-off is never lost. Stop
 * flags (`stopFlag`, `raiseStop`) end a task early with its best answer so far.
 */
import { maxViolation, type MipModel } from './model.js';
import { volumeNodeBound, type KeepSetBounds } from './keep.js';
import type { TaskRunner } from './pool.js';
import { stopFlag, type LnsDone, type LnsTask, type PartitionDone, type PartitionTask, type ReplyOf, type TaskKind, type TaskOf, type TaskProgress, type TaskUnavailable, type WarmTask } from './tasks.js';
import type { BackendName, MipOutcome } from './types.js';
import type { DenseProblem } from '../problem/dense.js';

/** A task that gave no reply of its kind: cut off at its deadline, crashed, or its backend cannot run here. */
export interface TaskFailed {
  readonly status: 'failed';
  readonly reason: 'deadline' | 'crashed' | 'unavailable';
  readonly message: string;
}

/** Deadline and progress sink of one submission. */
interface Submission {
  readonly hardLimitMs: number;
  readonly onProgress?: (p: TaskProgress) => void;
}

/** Submits one task and reads its reply (the only call of `runner.run`). */
async function submit<K extends TaskKind>(runner: TaskRunner, task: TaskOf<K> & { readonly kind: K }, options: Submission): Promise<ReplyOf<K> | TaskFailed> {
  const run = await runner.run<K>(task, { hardLimitMs: options.hardLimitMs, ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }) });
  return run.ok ? run.result : { status: 'failed', reason: run.reason, message: run.message };
}

/** A reply of a kind whose answers carry no `unavailable` case: an unavailable backend is a failure. */
function available<R extends { readonly status: string }>(reply: R | TaskUnavailable | TaskFailed): R | TaskFailed {
  return reply.status === 'unavailable' ? { status: 'failed', reason: 'unavailable', message: (reply as TaskUnavailable).reason } : (reply as R | TaskFailed);
}

/** Optional fields of a request, without `undefined` values (exactOptionalPropertyTypes). */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * The warm-up task of a backend, with its own stop flag (the pool raises it when a real task waits).
 * @param backend - the backend to load and warm
 * @returns the task
 * @example
 * ```ts
 * const task = warmTask('highs');
 * ```
 */
export function warmTask(backend: BackendName): WarmTask {
  return { kind: 'warm', backend, stop: stopFlag() };
}

/** Options of {@link solveMip}. */
export interface SolveMipOptions {
  readonly backend: BackendName;
  readonly timeLimitMs: number;
  readonly relGap?: number;
  /**
   * Milliseconds granted beyond the time limit before the worker is terminated
   * (default: 25% of the limit + 250 ms; a negative value cuts the solve short of its limit).
   */
  readonly graceMs?: number;
  /** Shared stop flag (see `stopFlag`): the solve ends early, with its best incumbent. */
  readonly stop?: Int32Array;
  /** Called with every improving feasible incumbent as it arrives (worker runners only). */
  readonly onIncumbent?: (x: Float64Array, objective: number) => void;
}

/**
 * Solves a MIP with a backend through a runner: off the main thread when the runner is threaded,
 * with the backend's time limit plus a hard deadline, keeping the best incumbent reported if the
 * worker has to be terminated.
 *
 * @param runner - where the solve runs (worker pool or calling thread)
 * @param model - the model
 * @param options - backend and limits
 * @returns the outcome; when the deadline passed, the best incumbent received as `feasible`
 *   (or `timeout` when none)
 * @example
 * ```ts
 * const out = await solveMip(defaultRunner(), model, { backend: 'highs', timeLimitMs: 2000 });
 * if (out.status === 'optimal') use(out.x);
 * ```
 */
export async function solveMip(runner: TaskRunner, model: MipModel, options: SolveMipOptions): Promise<MipOutcome> {
  let best: { x: Float64Array; objective: number } | undefined;
  const grace = options.graceMs ?? options.timeLimitMs * 0.25 + 250;
  const reply = await submit(
    runner,
    {
      kind: 'mip',
      backend: options.backend,
      model,
      timeLimitMs: options.timeLimitMs,
      reportIncumbents: runner.threaded,
      ...defined({ relGap: options.relGap, stop: options.stop }),
    },
    {
      hardLimitMs: options.timeLimitMs + grace,
      onProgress: (p) => {
        if (p.kind === 'incumbent' && (best === undefined || p.objective < best.objective) && maxViolation(model, p.x) <= 1e-6) {
          best = { x: p.x, objective: p.objective };
          options.onIncumbent?.(p.x, p.objective);
        }
      },
    },
  );
  if (reply.status !== 'failed') return reply;
  if (best !== undefined) return { status: 'feasible', x: best.x, objective: best.objective };
  if (reply.reason === 'deadline') return { status: 'timeout' };
  return { status: 'error', message: reply.message };
}

/** Options of {@link keepSetBounds}. */
export interface KeepSetBoundsOptions {
  /** Also pack the VMs into the kept nodes (see `solveKeepSet`). */
  readonly pack?: boolean;
  /** Shared stop flag (see `stopFlag`). */
  readonly stop?: Int32Array;
}

/**
 * Runs `solveKeepSet` as one task of a runner (a worker thread, so the chain of solves goes on
 * while the calling thread works).
 * @param p - the problem
 * @param runner - where it runs
 * @param backend - the MIP backend
 * @param timeLimitMs - budget
 * @param options - packing, stop flag
 * @returns the bounds (the volume bound alone when the task failed)
 * @example
 * ```ts
 * const { nodes } = await keepSetBounds(problem, runner, 'highs', 2000);
 * ```
 */
export async function keepSetBounds(p: DenseProblem, runner: TaskRunner, backend: BackendName, timeLimitMs: number, options: KeepSetBoundsOptions = {}): Promise<KeepSetBounds> {
  const reply = available(await submit(runner, { kind: 'keepSet', backend, problem: p, timeLimitMs, ...defined({ pack: options.pack, stop: options.stop }) }, { hardLimitMs: timeLimitMs * 1.25 + 500 }));
  return reply.status === 'keep-set' ? reply.bounds : { nodes: volumeNodeBound(p) };
}

/** How long a search task may run and who hears of its better assignments. */
export interface SearchSubmission {
  /** Milliseconds after which the task is abandoned (its worker terminated). */
  readonly hardLimitMs: number;
  /** Told of every better assignment the task reports while it runs. */
  readonly onAssignment?: (assign: Int32Array) => void;
}

/** Streams assignment reports to a callback. */
function assignments(onAssignment: ((assign: Int32Array) => void) | undefined): { onProgress?: (p: TaskProgress) => void } {
  return onAssignment === undefined ? {} : { onProgress: (p) => (p.kind === 'assignment' ? onAssignment(p.assign) : undefined) };
}

/**
 * Improves a valid assignment by large neighbourhood search on a worker (`lnsImprove`).
 * @param runner - where it runs
 * @param request - the search's problem, start, seed, budget and neighbourhood settings
 * @param options - hard deadline, better assignments as they come
 * @returns the search's end, or why it gave none (the assignments streamed before count)
 * @example
 * ```ts
 * const r = await improveByLns(runner, { backend: 'highs', problem, start, seed: 1, timeLimitMs: 5000 }, { hardLimitMs: 5300 });
 * if (r.status === 'lns-done') use(r.assign);
 * ```
 */
export async function improveByLns(runner: TaskRunner, request: Omit<LnsTask, 'kind'>, options: SearchSubmission): Promise<LnsDone | TaskFailed> {
  return available(await submit(runner, { kind: 'lns', ...request }, { hardLimitMs: options.hardLimitMs, ...assignments(options.onAssignment) }));
}

/**
 * Repairs one partition (its misplaced VMs placed within its nodes), then optionally improves it
 * by LNS, on a worker (`solvePartition`).
 * @param runner - where it runs
 * @param request - the problem, assignment, partition nodes, VMs to place, seed, budget
 * @param options - hard deadline, better assignments as they come
 * @returns the partition's answer, or why it gave none
 * @example
 * ```ts
 * const r = await repairPartition(runner, { backend: 'highs', problem, assign, nodes, free, seed: 1, timeLimitMs: 2000 }, { hardLimitMs: 2300 });
 * if (r.status === 'partition-done' && r.repaired) use(r.assign);
 * ```
 */
export async function repairPartition(runner: TaskRunner, request: Omit<PartitionTask, 'kind'>, options: SearchSubmission): Promise<PartitionDone | TaskFailed> {
  return available(await submit(runner, { kind: 'partition', ...request }, { hardLimitMs: options.hardLimitMs, ...assignments(options.onAssignment) }));
}
