/**
 * The worker side of the solver tasks: the work that may run off the main thread, as plain
 * messages (one request and one reply type per kind, {@link TaskSpec}), and the handler table
 * that performs it ({@link HANDLERS}, checked complete by the compiler). The same
 * {@link runTask} runs inside a worker thread (see `worker.ts`) and, when no worker is
 * available, in the calling thread. Messages are built and replies read in one place only: the
 * client (`client.ts`).
 */
import { loadBackend } from './backends.js';
import { ModelBuilder, type MipModel } from './model.js';
import { solveKeepSet, type KeepSetBounds } from './keep.js';
import { lnsImprove, type LnsEnd, type LnsStall } from './neighbourhood.js';
import type { EncodeIndex } from './encode.js';
import type { DenseProblem } from '../problem/dense.js';
import { solvePartition } from './repair.js';
import type { BackendLoad, BackendName, MipBackend, MipOutcome } from './types.js';

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
  /** Node-count lower bound known to the caller (see `LnsParams.nodeBound`). */
  readonly nodeBound?: number;
  /** The stall rule (see `LnsParams.stall`); default none. */
  readonly stall?: LnsStall;
  /** Share of home neighbourhoods at the node bound (see `LnsParams.homeShare`); default 0. */
  readonly homeShare?: number;
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
  /** Why the search returned (see `LnsEnd`). */
  readonly ended: LnsEnd;
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

/** The end of a {@link WarmTask}. */
export interface WarmDone {
  readonly status: 'warmed';
  /** Models solved. */
  readonly solves: number;
}

/** The backend a task asked for cannot run in this thread (every kind may answer it). */
export interface TaskUnavailable {
  readonly status: 'unavailable';
  readonly reason: string;
}

/**
 * The task protocol: per kind, the request the client sends and the reply the worker answers
 * (besides {@link TaskUnavailable}). The handler table ({@link HANDLERS}) and the client
 * (`client.ts`) are both checked against it.
 */
export interface TaskSpec {
  readonly mip: { readonly request: MipTask; readonly reply: MipOutcome };
  readonly lns: { readonly request: LnsTask; readonly reply: LnsDone };
  readonly partition: { readonly request: PartitionTask; readonly reply: PartitionDone };
  readonly keepSet: { readonly request: KeepSetTask; readonly reply: KeepSetDone };
  readonly warm: { readonly request: WarmTask; readonly reply: WarmDone };
}

/** The kinds of task. */
export type TaskKind = keyof TaskSpec;
/** The request of a task kind. */
export type TaskOf<K extends TaskKind> = TaskSpec[K]['request'];
/** The reply of a task kind (or why its backend cannot run). */
export type ReplyOf<K extends TaskKind> = TaskSpec[K]['reply'] | TaskUnavailable;
/** A task. */
export type Task = { [K in TaskKind]: TaskOf<K> }[TaskKind];
/** What a task answers. */
export type TaskResult = { [K in TaskKind]: ReplyOf<K> }[TaskKind];

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

/** What a handler gets besides its request: a loaded backend, the thread's context, the clock, a progress sink. */
export interface HandlerEnv {
  readonly backend: MipBackend;
  readonly ctx: TaskContext;
  readonly now: () => number;
  readonly progress: (p: TaskProgress) => void;
  /** The task's stop flag as a predicate, when it has one. */
  readonly stop: (() => boolean) | undefined;
}

/** Performs one kind of task in the thread it runs in (a worker, or the caller's). */
export type Handler<K extends TaskKind> = (task: TaskOf<K>, env: HandlerEnv) => TaskSpec[K]['reply'];

/** Table of handlers: complete by construction (a missing or mistyped kind does not compile). */
export type HandlerTable = { readonly [K in TaskKind]: Handler<K> };

/** `shouldStop` as an optional property. */
function stopOption(stop: (() => boolean) | undefined): { shouldStop?: () => boolean } {
  return stop === undefined ? {} : { shouldStop: stop };
}

/**
 * The worker side of every task kind: pure computations on the request and a loaded backend.
 * Dispatch goes through this table only (see {@link runTask}).
 */
export const HANDLERS = {
  mip: (task, { backend, ctx, progress, stop }) => {
    const outcome = backend.solve(task.model, {
      timeLimitMs: task.timeLimitMs,
      ...(task.relGap === undefined ? {} : { relGap: task.relGap }),
      ...(task.reportIncumbents ? { onIncumbent: (x: Float64Array, objective: number) => progress({ kind: 'incumbent', x, objective }) } : {}),
      ...stopOption(stop),
    });
    // A wasm runtime that failed (e.g. out of memory) may be unusable: load a fresh one next time.
    if (outcome.status === 'error') ctx.backends.delete(task.backend);
    return outcome;
  },
  lns: (task, { backend, now, progress, stop }) => {
    const out = lnsImprove(task.problem, task.start, {
      seed: task.seed,
      timeLimitMs: task.timeLimitMs,
      now,
      solveSub: (model, timeLimitMs) => backend.solve(model, { timeLimitMs, ...stopOption(stop) }),
      ...stopOption(stop),
      onImprove: (assign) => progress({ kind: 'assignment', assign }),
      ...(task.nodes === undefined ? {} : { nodes: task.nodes }),
      ...(task.maxNodes === undefined ? {} : { maxNodes: task.maxNodes }),
      ...(task.maxFree === undefined ? {} : { maxFree: task.maxFree }),
      ...(task.subTimeMs === undefined ? {} : { subTimeMs: task.subTimeMs }),
      ...(task.maxIterations === undefined ? {} : { maxIterations: task.maxIterations }),
      ...(task.nodeBound === undefined ? {} : { nodeBound: task.nodeBound }),
      ...(task.stall === undefined ? {} : { stall: task.stall }),
      ...(task.homeShare === undefined ? {} : { homeShare: task.homeShare }),
    });
    return { status: 'lns-done', ...out };
  },
  partition: (task, { backend, now, progress, stop }) => {
    const out = solvePartition(task.problem, task.assign, { nodes: task.nodes, free: task.free }, {
      seed: task.seed,
      timeLimitMs: task.timeLimitMs,
      now,
      solveSub: (model, timeLimitMs) => backend.solve(model, { timeLimitMs, ...stopOption(stop) }),
      onImprove: (assign) => progress({ kind: 'assignment', assign }),
      ...(task.candidates === undefined ? {} : { candidates: task.candidates }),
      ...(task.improve === undefined ? {} : { improve: task.improve }),
      ...(task.index === undefined ? {} : { index: task.index }),
      ...stopOption(stop),
    });
    return { status: 'partition-done', ...out };
  },
  keepSet: (task, { backend, now, stop }) => {
    const bounds = solveKeepSet(task.problem, (model, timeLimitMs) => backend.solve(model, { timeLimitMs, ...stopOption(stop) }), {
      timeLimitMs: task.timeLimitMs,
      now,
      ...(task.pack === undefined ? {} : { pack: task.pack }),
      ...stopOption(stop),
    });
    return { status: 'keep-set', bounds };
  },
  warm: (task, { backend, now, stop }) => {
    const model = warmModel();
    const until = now() + (task.timeLimitMs ?? WARM_DEFAULT_MS);
    const stopped = stop ?? (() => false);
    let solves = 0;
    while (now() < until && solves < 60 && !stopped()) {
      backend.solve(model, { timeLimitMs: 1000, shouldStop: stopped });
      solves++;
    }
    return { status: 'warmed', solves };
  },
} as const satisfies HandlerTable;

/** Default budget of a warm-up (ms). */
const WARM_DEFAULT_MS = 1500;

/** The handler of a task's kind, typed by that kind (the table is indexed by the task's own tag). */
function handlerOf<K extends TaskKind>(kind: K): Handler<K> {
  const table: HandlerTable = HANDLERS;
  return table[kind];
}

/**
 * Performs a task: loads its backend (once per thread), then runs the handler of its kind.
 * @param task - what to do
 * @param ctx - loaded backends (kept between tasks)
 * @param progress - receives progress reports
 * @param now - the clock of time limits (default `performance.now`)
 * @returns the task's answer
 * @example
 * ```ts
 * const reply = await runTask({ kind: 'mip', backend: 'highs', model, timeLimitMs: 1000 }, createTaskContext(), () => undefined);
 * ```
 */
export async function runTask<K extends TaskKind>(task: TaskOf<K> & { readonly kind: K }, ctx: TaskContext, progress: (p: TaskProgress) => void, now: () => number = () => performance.now()): Promise<ReplyOf<K>> {
  const load = await backendOf(ctx, task.backend);
  if (!load.ok) return { status: 'unavailable', reason: load.reason };
  return handlerOf<K>(task.kind)(task, { backend: load.backend, ctx, now, progress, stop: stopper(task.stop) });
}
