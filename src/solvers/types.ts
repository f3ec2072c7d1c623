import type { MipModel } from './model.js';

/** The MIP backends switchyard knows. */
export type BackendName = 'highs' | 'glpk' | 'lpsolver';

/** Every backend name, default first. */
export const BACKEND_NAMES = ['highs', 'glpk', 'lpsolver'] as const satisfies readonly BackendName[];

/** Options of one MIP solve. */
export interface MipSolveOptions {
  /** Wall-clock budget of the solve, in milliseconds. */
  readonly timeLimitMs: number;
  /** Relative gap at which the solve may stop and call its answer optimal (default 0). */
  readonly relGap?: number;
  /**
   * Called with every improving incumbent the backend reports (column values, objective), so that
   * the caller keeps the best answer known if the solve is cut short.
   */
  readonly onIncumbent?: (x: Float64Array, objective: number) => void;
  /** Polled during the solve: the solve stops (with its best incumbent) once it returns true. */
  readonly shouldStop?: () => boolean;
}

/** What a MIP solve answers. */
export type MipOutcome =
  /** Proved optimal (within `relGap`): `bound` is the proved lower bound on the objective. */
  | { readonly status: 'optimal'; readonly x: Float64Array; readonly objective: number; readonly bound: number }
  /** A feasible solution, not proved optimal (a limit was hit); `bound` when the backend proved one. */
  | { readonly status: 'feasible'; readonly x: Float64Array; readonly objective: number; readonly bound?: number }
  /** Proved to have no solution. */
  | { readonly status: 'infeasible' }
  /** The limit was hit before any solution was found. */
  | { readonly status: 'timeout'; readonly bound?: number }
  /** The backend cannot run here (not installed, or the model is too large for it). */
  | { readonly status: 'unavailable'; readonly reason: string }
  /** The backend failed (out of memory, numerical trouble). */
  | { readonly status: 'error'; readonly message: string };

/** The status tag of a {@link MipOutcome}. */
export type MipStatus = MipOutcome['status'];

/**
 * A loaded MIP backend. `solve` is synchronous and blocks its thread for up to the time limit:
 * call it inside a worker (see `solveMip`), never on a thread that must stay responsive.
 */
export interface MipBackend {
  readonly name: BackendName;
  /**
   * Solves `model` (minimisation).
   * @param model - the model; its `start`, when present, seeds the search
   * @param options - limits and callbacks
   * @returns the outcome
   */
  solve(model: MipModel, options: MipSolveOptions): MipOutcome;
}

/** Loading a backend: the backend, or why it cannot be used here. */
export type BackendLoad =
  | { readonly ok: true; readonly backend: MipBackend }
  | { readonly ok: false; readonly reason: string };
