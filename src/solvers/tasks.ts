/**
 * The work that may run off the main thread, as plain messages, and the function that performs
 * it. The same {@link runTask} runs inside a worker thread (see `worker.ts`) and, when no
 * worker is available, in the calling thread.
 */
import { loadBackend } from './backends.js';
import { ModelBuilder, type MipModel } from './model.js';
import { solveKeepSet, type KeepSetBounds } from './keep.js';
import { lnsImprove } from './neighbourhood.js';
import type { EncodeIndex } from './encode.js';
import type { DenseProblem } from '../problem/dense.js';
import { solvePartition } from './repair.js';
import type { BackendLoad, BackendName, MipOutcome } from './types.js';

/** Solve one MIP with a named backend. */
export interface MipTask {
  readonly kind: 'mip';
  readonly backend: BackendName;
  readonly model: MipModel;
  readonly timeLimitMs: number;
  readonly relGap?: number;
  /** Report improving incumbents as progress messages. */
  readonly reportIncumbents?: boolean;
  /** Shared stop flag: the solve ends early once its first cell is non-zero (see {@link stopFlag}). */
  readonly stop?: Int32Array;
}

/** Improve an assignment by large neighbourhood search (see `neighbourhood.ts`). */
export interface LnsTask {
  readonly kind: 'lns';
  readonly backend: BackendName;
  readonly problem: DenseProblem;
  readonly start: Int32Array;
  readonly seed: number;
  readonly timeLimitMs: number;
  /** Nodes per neighbourhood at the start. */
  readonly nodes?: number;
  readonly maxNodes?: number;
  readonly maxFree?: number;
  readonly subTimeMs?: number;
  readonly maxIterations?: number;
  /** Shared stop flag (see {@link stopFlag}). */
  readonly stop?: Int32Array;
}

/** Repair one partition (misplaced VMs placed within its nodes), then improve it by LNS (see `repair.ts`). */
export interface PartitionTask {
  readonly kind: 'partition';
  readonly backend: BackendName;
  readonly problem: DenseProblem;
  readonly assign: Int32Array;
  readonly nodes: Int32Array;
  readonly free: Int32Array;
  readonly seed: number;
  readonly timeLimitMs: number;
  readonly candidates?: number;
  readonly improve?: boolean;
  readonly stop?: Int32Array;
  /** The problem's `encodeIndex`, built once by the caller. */
  readonly index?: EncodeIndex;
}

/** The answer of a {@link PartitionTask}. */
export interface PartitionDone {
  readonly status: 'partition-done';
  readonly assign: Int32Array;
  readonly repaired: boolean;
  readonly iterations: number;
}

/** The answer of an {@link LnsTask}. */
export interface LnsDone {
  readonly status: 'lns-done';
  readonly assign: Int32Array;
  readonly iterations: number;
  readonly improvements: number;
}

/**
 * Load a backend and run it on small models for a while, so that the wasm engine has compiled
 * its hot code before real work arrives (the first solves in a fresh thread are several times
 * slower).
 */
export interface WarmTask {
  readonly kind: 'warm';
  readonly backend: BackendName;
  /** Milliseconds to spend at most (default 1500). */
  readonly timeLimitMs?: number;
  /** Shared stop flag: the warm-up ends at once when raised (a real task is waiting). */
  readonly stop?: Int32Array;
}

/** Keep-set bounds of a consolidation, and optionally the packing at the bound (see `solveKeepSet`). */
export interface KeepSetTask {
  readonly kind: 'keepSet';
  readonly backend: BackendName;
  readonly problem: DenseProblem;
  readonly timeLimitMs: number;
  readonly pack?: boolean;
  readonly stop?: Int32Array;
}

/** The answer of a {@link KeepSetTask}. */
export interface KeepSetDone {
  readonly status: 'keep-set';
  readonly bounds: KeepSetBounds;
}

/** A task. */
export type Task = MipTask | LnsTask | PartitionTask | KeepSetTask | WarmTask;
/** What a task answers: a MIP outcome, or the end of a search. */
export type TaskResult = MipOutcome | LnsDone | PartitionDone | KeepSetDone;

/** A progress report sent while a task runs: an improving MIP incumbent. */
export interface IncumbentProgress {
  readonly kind: 'incumbent';
  readonly x: Float64Array;
  readonly objective: number;
}
/** A progress report of a search: a better assignment. */
export interface AssignmentProgress {
  readonly kind: 'assignment';
  readonly assign: Int32Array;
}
/** Any progress report. */
export type TaskProgress = IncumbentProgress | AssignmentProgress;

/**
 * A stop flag shared between threads: pass it in a task, then {@link raiseStop} it to end the
 * task early (it returns its best answer so far).
 * @returns a one-cell array backed by shared memory
 */
export function stopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/**
 * Raises a stop flag.
 * @param flag - from {@link stopFlag}
 */
export function raiseStop(flag: Int32Array): void {
  Atomics.store(flag, 0, 1);
}

function stopper(flag: Int32Array | undefined): (() => boolean) | undefined {
  return flag === undefined ? undefined : () => Atomics.load(flag, 0) !== 0;
}

/** A small assignment-with-capacities MIP, typical of repair neighbourhoods. */
function warmModel(): MipModel {
  const b = new ModelBuilder();
  const vms = 12;
  const nodes = 6;
  const x: number[][] = [];
  for (let v = 0; v < vms; v++) x.push(Array.from({ length: nodes }, (_, n) => b.addBinary(n === v % nodes ? 0 : 1 + (v % 5))));
  for (let v = 0; v < vms; v++) b.addRow(x[v]!, x[v]!.map(() => 1), 1, 1);
  for (let n = 0; n < nodes; n++) {
    const cols = x.map((row) => row[n]!);
    b.addRow(cols, cols.map((_, v) => 1 + ((v * 7) % 5)), -Infinity, 6 + n);
    b.addRow(cols, cols.map((_, v) => 2 + ((v * 3) % 4)), -Infinity, 9 + n);
  }
  return b.build();
}

/** What a task runner keeps between tasks: loaded backends (one load per thread and backend). */
export interface TaskContext {
  readonly backends: Map<BackendName, Promise<BackendLoad>>;
}

/**
 * A fresh context (no backend loaded yet).
 * @returns the context
 */
export function createTaskContext(): TaskContext {
  return { backends: new Map() };
}

function backendOf(ctx: TaskContext, name: BackendName): Promise<BackendLoad> {
  let load = ctx.backends.get(name);
  if (!load) {
    load = loadBackend(name);
    ctx.backends.set(name, load);
  }
  return load;
}

/**
 * Performs a task.
 * @param task - what to do
 * @param ctx - loaded backends (kept between tasks)
 * @param progress - receives progress reports
 * @returns the task's answer
 */
export async function runTask(task: Task, ctx: TaskContext, progress: (p: TaskProgress) => void, now: () => number = () => performance.now()): Promise<TaskResult> {
  const load = await backendOf(ctx, task.backend);
  if (!load.ok) return { status: 'unavailable', reason: load.reason };
  if (task.kind === 'warm') {
    const model = warmModel();
    const until = now() + (task.timeLimitMs ?? 1500);
    const stopped = stopper(task.stop) ?? (() => false);
    let solves = 0;
    while (now() < until && solves < 60 && !stopped()) {
      load.backend.solve(model, { timeLimitMs: 1000, shouldStop: stopped });
      solves++;
    }
    return { status: 'timeout' };
  }
  const stop = stopper(task.stop);
  if (task.kind === 'keepSet') {
    const backend = load.backend;
    const bounds = solveKeepSet(task.problem, (model, timeLimitMs) => backend.solve(model, { timeLimitMs, ...(stop === undefined ? {} : { shouldStop: stop }) }), {
      timeLimitMs: task.timeLimitMs,
      now,
      ...(task.pack === undefined ? {} : { pack: task.pack }),
      ...(stop === undefined ? {} : { shouldStop: stop }),
    });
    return { status: 'keep-set', bounds };
  }
  if (task.kind === 'partition') {
    const backend = load.backend;
    const out = solvePartition(task.problem, task.assign, { nodes: task.nodes, free: task.free }, {
      seed: task.seed,
      timeLimitMs: task.timeLimitMs,
      now,
      solveSub: (model, timeLimitMs) => backend.solve(model, { timeLimitMs, ...(stop === undefined ? {} : { shouldStop: stop }) }),
      onImprove: (assign) => progress({ kind: 'assignment', assign }),
      ...(task.candidates === undefined ? {} : { candidates: task.candidates }),
      ...(task.improve === undefined ? {} : { improve: task.improve }),
      ...(task.index === undefined ? {} : { index: task.index }),
      ...(stop === undefined ? {} : { shouldStop: stop }),
    });
    return { status: 'partition-done', ...out };
  }
  if (task.kind === 'lns') {
    const backend = load.backend;
    const out = lnsImprove(task.problem, task.start, {
      seed: task.seed,
      timeLimitMs: task.timeLimitMs,
      now,
      solveSub: (model, timeLimitMs) => backend.solve(model, { timeLimitMs, ...(stop === undefined ? {} : { shouldStop: stop }) }),
      ...(stop === undefined ? {} : { shouldStop: stop }),
      onImprove: (assign) => progress({ kind: 'assignment', assign }),
      ...(task.nodes === undefined ? {} : { nodes: task.nodes }),
      ...(task.maxNodes === undefined ? {} : { maxNodes: task.maxNodes }),
      ...(task.maxFree === undefined ? {} : { maxFree: task.maxFree }),
      ...(task.subTimeMs === undefined ? {} : { subTimeMs: task.subTimeMs }),
      ...(task.maxIterations === undefined ? {} : { maxIterations: task.maxIterations }),
    });
    return { status: 'lns-done', ...out };
  }
  const outcome = load.backend.solve(task.model, {
    timeLimitMs: task.timeLimitMs,
    ...(task.relGap === undefined ? {} : { relGap: task.relGap }),
    ...(task.reportIncumbents ? { onIncumbent: (x: Float64Array, objective: number) => progress({ kind: 'incumbent', x, objective }) } : {}),
    ...(stop === undefined ? {} : { shouldStop: stop }),
  });
  // A wasm runtime that failed (e.g. out of memory) may be unusable: load a fresh one next time.
  if (outcome.status === 'error') ctx.backends.delete(task.backend);
  return outcome;
}
