import { checkConfiguration } from '../constraints/check.js';
import { decisionFor } from '../decide/decide.js';
import type { Instance } from '../model/instance.js';
import { objectiveOf } from '../model/instance.js';
import { compareTerms } from '../model/objective.js';
import { mipSolver } from './mip.js';
import { lazyRunner } from '../solvers/pool.js';
import type { ValueKey } from '../solvers/neighbourhood.js';
import { lnsSolver, resolveLnsOptions, type LnsSolverOptions } from './lns.js';
import { withStop } from './answer.js';
import { placeInstance } from './place.js';
import { checkShare, DEFAULTS, type PlacementFound, type PlacementInfeasible, type PlacementResult, type PlacementSolver, type SolveOptions } from './types.js';

/** Options of {@link defaultSolver}. */
export interface DefaultSolverOptions {
  /** Share of the time limit given to the decide + heuristic + search step before LNS (default 0.3). */
  readonly firstShare?: number;
  /** Options passed to the LNS stage (backend, runner, ...). */
  readonly lns?: Omit<LnsSolverOptions, 'startSolver'>;
}

/** {@link DefaultSolverOptions} validated, with every default filled in (see `DEFAULTS.default`). */
export interface ResolvedDefaultOptions {
  readonly firstShare: number;
  readonly lns: Omit<LnsSolverOptions, 'startSolver'> | undefined;
}

/**
 * Validates and defaults the options of {@link defaultSolver}, once (its LNS options are
 * resolved by the LNS solver it builds).
 * @param options - as given
 * @returns the resolved options
 * @throws RangeError naming an option out of range
 * @example
 * ```ts
 * resolveDefaultOptions({}).firstShare; // 0.3
 * ```
 */
export function resolveDefaultOptions(options: DefaultSolverOptions = {}): ResolvedDefaultOptions {
  if (options.lns !== undefined) resolveLnsOptions(options.lns);
  return { firstShare: checkShare('firstShare', options.firstShare ?? DEFAULTS.default.firstShare), lns: options.lns };
}

/** Whether `a` is strictly better than `b` for the instance's objective (valid answers only). */
function better(instance: Instance, a: PlacementFound, b: PlacementFound): boolean {
  // Terms by the one comparator: used nodes (consolidate), then migrated memory.
  const c = (objectiveOf(instance).type === 'consolidate' ? compareTerms(a.nodesUsed, b.nodesUsed) : 0) || compareTerms(a.migratedMemory, b.migratedMemory);
  return a.status === 'optimal' && b.status !== 'optimal' ? c <= 0 : c < 0;
}

/**
 * `b` (the later stage's answer) when it is valid and better than `a`, else `a`. The stop reason
 * is the later stage's (it ran last: its end is the solve's), `proved` when the answer is optimal.
 */
function keepBest(instance: Instance, a: PlacementFound, b: PlacementResult): PlacementFound {
  if (b.status === 'infeasible') return a;
  if (b.checked !== true && checkConfiguration(instance, b.target).length > 0) return a;
  const balance = objectiveOf(instance).type === 'balance';
  const winner = balance ? (b.status === 'optimal' || a.status !== 'optimal' ? b : a) : better(instance, b, a) ? b : a;
  const stop = winner.status === 'optimal' ? 'proved' : (b.stop ?? a.stop);
  return { ...winner, ...(balance ? {} : { lowerBound: Math.max(a.lowerBound, b.lowerBound) }), ...(stop === undefined ? {} : { stop }) };
}

/**
 * The default placement method of `planInstance` and the CLI:
 * - `minMigrations` (repair): the partitioned repair of the LNS solver first (only misplaced
 *   VMs move; scales to thousands of nodes); if it finds nothing, the constraint-aware decide +
 *   search of {@link placeInstance}, which also explains infeasibility.
 * - `consolidate` and `balance`: large neighbourhood search with exact MIP neighbourhoods
 *   whose start solver is {@link placeInstance} (decide, migration-aware heuristic, branch and
 *   bound on small problems) with a share of the time; for a consolidation the keep-set bounds
 *   and the packing at the node bound run in a worker meanwhile. An answer placeInstance proves
 *   optimal, or its infeasibility, is returned at once.
 * - When placeInstance finds no placement without proving that none exists (its search budget
 *   ran out), the exact MIP of the whole instance gets the time left.
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
  const opts = resolveDefaultOptions(options);
  const share = opts.firstShare;
  // One pool for every solve of this solver (warm workers from the second solve on).
  const poolOf = lazyRunner(opts.lns?.runner, DEFAULTS.lns.workers);
  /**
   * The decide step's search gave up without a proof (exact-fit puzzles of a few dozen VMs can
   * exhaust it): the exact model of the whole instance, every constraint encoded, for the time
   * left; its placement when it finds a valid one, else the decide step's answer.
   */
  const exactFallback = async (instance: Instance, gaveUp: PlacementInfeasible, o: SolveOptions): Promise<PlacementResult> => {
    const exact = await mipSolver({ runner: poolOf() }).solve(instance, o);
    return exact.status !== 'infeasible' && checkConfiguration(instance, exact.target).length === 0 ? exact : withStop(gaveUp);
  };
  return {
    name: 'default',
    async solve(instance: Instance, given: SolveOptions): Promise<PlacementResult> {
      const t0 = given.now();
      // One decision for every stage below (the repair, the start solver, the LNS, the MIP).
      const decision = decisionFor(instance, given);
      if (decision.status === 'infeasible') {
        // The VMs that must run found no place, unproved: the exact model for the time left.
        return decision.retry ? exactFallback(instance, decision, { ...given, timeLimitMs: Math.max(1, given.timeLimitMs - (given.now() - t0)), decision: decision.retry }) : withStop(decision);
      }
      const o: SolveOptions = { ...given, decision };
      const left = (): SolveOptions => ({ ...o, timeLimitMs: Math.max(1, o.timeLimitMs - (o.now() - t0)) });
      const report = o.onProgress;
      const consolidating = objectiveOf(instance).type === 'consolidate';
      const lnsOptions = report === undefined ? opts.lns : {
        ...opts.lns,
        onImprove: (q: { readonly atMs: number; readonly value: ValueKey }) => {
          opts.lns?.onImprove?.(q);
          report({ phase: 'improve', best: consolidating ? { nodes: q.value[0], migratedMemory: q.value[1] } : { migratedMemory: q.value[1] }, timeLeftMs: o.timeLimitMs - q.atMs });
        },
      };
      if (objectiveOf(instance).type === 'minMigrations') {
        report?.({ phase: 'repair', timeLeftMs: o.timeLimitMs - (o.now() - t0) });
        // Small instances: the exhaustive search of placeInstance proves the optimum at once
        // (memory, then migrations, then remote resumes); its answer stands when proved.
        if (decision.running.length <= DEFAULTS.default.smallRepairVms) {
          const small = await placeInstance(instance, { ...o, timeLimitMs: o.timeLimitMs * DEFAULTS.default.smallRepairShare });
          if (small.status === 'optimal') return small;
        }
        const repaired = await lnsSolver({ ...lnsOptions, runner: poolOf() }).solve(instance, { ...o, timeLimitMs: o.timeLimitMs * DEFAULTS.default.repairShare });
        if (repaired.status !== 'infeasible' && (repaired.checked === true || checkConfiguration(instance, repaired.target).length === 0)) return repaired;
        report?.({ phase: 'search', timeLeftMs: o.timeLimitMs - (o.now() - t0) });
        const placed = await placeInstance(instance, left());
        return placed.status === 'infeasible' && placed.unproved ? exactFallback(instance, placed, left()) : placed;
      }
      // placeInstance is the LNS start solver, so that the LNS's own start work (the keep-set
      // bounds and packing of a consolidation, in a worker) overlaps it; its answer is kept.
      let first: PlacementResult | undefined;
      const start: PlacementSolver = {
        name: 'place',
        solve: async (i, so) => (first = await placeInstance(i, so)),
      };
      report?.({ phase: 'decide', timeLeftMs: o.timeLimitMs });
      const improved = await lnsSolver({ ...lnsOptions, runner: poolOf(), startSolver: start, startShare: share, startRequired: true }).solve(instance, o);
      if (first === undefined) return improved;
      if (first.status === 'infeasible' && first.unproved) return exactFallback(instance, first, left());
      if (first.status !== 'feasible') return first;
      return keepBest(instance, first, improved);
    },
  };
}
