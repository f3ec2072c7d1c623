/**
 * Where a solver starts from: the target states of the VMs (the decide stage's answer) and,
 * when known, a valid configuration to improve.
 */
import type { Decision } from '../decide/decide.js';
import type { PlacementFound, PlacementInfeasible, PlacementSolver, SolveOptions } from './types.js';
import { fromConfiguration } from '../problem/dense.js';

/** A starting point: target states and positions. */
export interface Start {
  /** {@link VM_STATE_CODE} per VM: the decision's. */
  readonly states: Uint8Array;
  /** Node per VM of a known configuration (the start's, the start solver's, or the decision's placement). */
  readonly assign: Int32Array | undefined;
  /** The solver that produced it, when one ran. */
  readonly from?: string;
  /** The start solver's answer, when one ran and found a placement. */
  readonly result?: PlacementFound;
  /** The start solver's answer, when one ran and found none. */
  readonly failure?: PlacementInfeasible;
}

/**
 * The starting point of a solve: `options.start` when given, else the answer of `startSolver`
 * (given `share` of the time limit and the decision), else the decision's own placement. The
 * target states are always the decision's.
 *
 * @param decision - the decide stage's answer for the instance
 * @param options - the solve options
 * @param startSolver - e.g. the heuristic
 * @param share - share of the time limit the start solver may use
 * @returns the start
 * @example
 * ```ts
 * const start = await startOf(decision, options, heuristicSolver, 0.2);
 * ```
 */
export async function startOf(decision: Decision, options: SolveOptions, startSolver: PlacementSolver | undefined, share: number): Promise<Start> {
  const { ix, states } = decision;
  if (options.start !== undefined) return { states, assign: fromConfiguration(ix, options.start), from: 'start' };
  if (startSolver !== undefined) {
    const r = await startSolver.solve(decision.instance, { ...options, decision, timeLimitMs: options.timeLimitMs * share });
    if (r.status !== 'infeasible') return { states, assign: fromConfiguration(ix, r.target), from: r.solver, result: r };
    return { states, assign: Int32Array.from(decision.placement), failure: r };
  }
  return { states, assign: Int32Array.from(decision.placement), from: 'decide' };
}
