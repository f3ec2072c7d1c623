/**
 * One MIP solve through a {@link TaskRunner}: off the main thread when the runner is threaded,
 * with the backend's time limit plus a hard deadline, keeping the best incumbent reported if the
 * worker has to be terminated.
 */
import type { MipModel } from './model.js';
import { maxViolation } from './model.js';
import type { TaskRunner } from './pool.js';
import type { BackendName, MipOutcome } from './types.js';

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
 * Solves a MIP with a backend through a runner.
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
  const run = await runner.run(
    {
      kind: 'mip',
      backend: options.backend,
      model,
      timeLimitMs: options.timeLimitMs,
      ...(options.relGap === undefined ? {} : { relGap: options.relGap }),
      reportIncumbents: runner.threaded,
      ...(options.stop === undefined ? {} : { stop: options.stop }),
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
  if (run.ok) {
    const r = run.result;
    return r.status === 'lns-done' || r.status === 'partition-done' || r.status === 'keep-set' ? { status: 'error', message: 'unexpected answer to a MIP task' } : r;
  }
  if (best !== undefined) return { status: 'feasible', x: best.x, objective: best.objective };
  if (run.reason === 'deadline') return { status: 'timeout' };
  return { status: 'error', message: run.message };
}
