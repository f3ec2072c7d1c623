import { checkConfiguration } from '../constraints/check.js';
import type { Instance } from '../model/instance.js';
import { objectiveOf } from '../model/instance.js';
import { lnsSolver, type LnsSolverOptions } from './lns.js';
import { placeInstance } from './place.js';
import type { PlacementFound, PlacementResult, PlacementSolver, SolveOptions } from './types.js';

/** Options of {@link defaultSolver}. */
export interface DefaultSolverOptions {
  /** Share of the time limit given to the decide + heuristic + search step before LNS (default 0.3). */
  readonly firstShare?: number;
  /** Options passed to the LNS stage (backend, runner, ...). */
  readonly lns?: Omit<LnsSolverOptions, 'startSolver'>;
}

/** A solver that answers a result computed beforehand (the start handed to LNS). */
function answered(result: PlacementResult): PlacementSolver {
  return { name: result.solver, solve: () => Promise.resolve(result) };
}

/** Whether `a` is strictly better than `b` for the instance's objective (valid answers only). */
function better(instance: Instance, a: PlacementFound, b: PlacementFound): boolean {
  if (objectiveOf(instance).type === 'consolidate' && a.nodesUsed !== b.nodesUsed) return a.nodesUsed < b.nodesUsed;
  if (a.status === 'optimal' && b.status !== 'optimal') return a.migratedMemory <= b.migratedMemory;
  return a.migratedMemory < b.migratedMemory;
}

/** `b` when it is valid and better than `a`, else `a`. */
function keepBest(instance: Instance, a: PlacementFound, b: PlacementResult): PlacementFound {
  if (b.status === 'infeasible') return a;
  if (checkConfiguration(instance, b.target).length > 0) return a;
  if (objectiveOf(instance).type === 'balance') return b.status === 'optimal' || a.status !== 'optimal' ? b : a;
  return better(instance, b, a) ? { ...b, lowerBound: Math.max(a.lowerBound, b.lowerBound) } : { ...a, lowerBound: Math.max(a.lowerBound, b.lowerBound) };
}

/**
 * The default placement method of `planInstance` and the CLI:
 * - `minMigrations` (repair): the partitioned repair of the LNS solver first (only misplaced
 *   VMs move; scales to thousands of nodes); if it finds nothing, the constraint-aware decide +
 *   search of {@link placeInstance}, which also explains infeasibility.
 * - `consolidate` and `balance`: {@link placeInstance} (decide, migration-aware heuristic,
 *   branch and bound on small problems) with a share of the time, then large neighbourhood
 *   search with exact MIP neighbourhoods from that start for the rest, keeping the better.
 * Every answer passes the constraint checkers.
 *
 * @param options - time split and LNS options
 * @returns the solver
 * @example
 * ```ts
 * const r = await defaultSolver().solve(instance, { seed: 1, timeLimitMs: 10_000, now: () => performance.now() });
 * ```
 */
export function defaultSolver(options: DefaultSolverOptions = {}): PlacementSolver {
  const share = options.firstShare ?? 0.3;
  return {
    name: 'default',
    async solve(instance: Instance, o: SolveOptions): Promise<PlacementResult> {
      const t0 = o.now();
      const left = (): SolveOptions => ({ ...o, timeLimitMs: Math.max(1, o.timeLimitMs - (o.now() - t0)) });
      if (objectiveOf(instance).type === 'minMigrations') {
        const repaired = await lnsSolver({ ...options.lns }).solve(instance, { ...o, timeLimitMs: o.timeLimitMs * 0.7 });
        if (repaired.status !== 'infeasible' && checkConfiguration(instance, repaired.target).length === 0) return repaired;
        return placeInstance(instance, left());
      }
      const first = await placeInstance(instance, { ...o, timeLimitMs: o.timeLimitMs * share });
      if (first.status !== 'feasible') return first;
      const improved = await lnsSolver({ ...options.lns, startSolver: answered(first) }).solve(instance, left());
      return keepBest(instance, first, improved);
    },
  };
}
