/**
 * Where a solver starts from: the target states of the VMs (which run: the decide step's or
 * the start configuration's answer) and, when known, a valid configuration to improve.
 */
import type { IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import type { PlacementFound, PlacementInfeasible, PlacementSolver, SolveOptions } from '../place/types.js';
import { statesOf } from './answer.js';
import { defaultTargetStates, fromConfiguration } from './problem.js';

/** A starting point: target states and positions. */
export interface Start {
  /** {@link VM_STATE_CODE} per VM. */
  readonly states: Uint8Array;
  /** Node per VM of a valid configuration, when one is known. */
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
 * (given `share` of the time limit), else the instance's default target states and no positions.
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @param options - the solve options
 * @param startSolver - e.g. the heuristic
 * @param share - share of the time limit the start solver may use
 * @returns the start
 */
export async function startOf(
  instance: Instance,
  ix: IndexedInstance,
  options: SolveOptions,
  startSolver: PlacementSolver | undefined,
  share: number,
): Promise<Start> {
  const fallback = defaultTargetStates(instance, ix);
  if (options.start !== undefined) {
    return { states: statesOf(ix, options.start, fallback), assign: fromConfiguration(ix, options.start), from: 'start' };
  }
  if (startSolver !== undefined) {
    const r = await startSolver.solve(instance, { ...options, timeLimitMs: options.timeLimitMs * share });
    if (r.status !== 'infeasible') return { states: statesOf(ix, r.target, fallback), assign: fromConfiguration(ix, r.target), from: r.solver, result: r };
    return { states: fallback, assign: undefined, failure: r };
  }
  return { states: fallback, assign: undefined };
}
