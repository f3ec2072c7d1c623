/**
 * The large-neighbourhood-search placement solver: from a valid start (the heuristic's answer,
 * or for consolidation the packing into the keep set at the node-count bound), it repeatedly frees a
 * few nodes and their VMs and re-solves them exactly (see `src/solvers/neighbourhood.ts`), on a
 * worker thread, until the time limit. Beside it, on a second worker, the exact MIP of the whole
 * instance runs when it is small enough (at most `exactLimit` placement variables): it proves
 * optimality on small instances and supplies the migration lower bound on mid-sized ones.
 *
 * Anytime: the best answer reported by either worker is kept, so a worker cut off at its hard
 * deadline loses nothing already found. Answers are never worse than the start.
 */
import { decisionFor } from '../decide/decide.js';
import { VM_STATE_CODE } from '../model/indexed.js';
import { objectiveOf, type Instance } from '../model/instance.js';
import { answerOf, isValidAssignment, withStop } from './answer.js';
import { aggregateModel, aggregateSize, canAggregate, canPack, onlyUnaryRules } from '../solvers/aggregate.js';
import { memoryBound, type EncodePhase } from '../solvers/encode.js';
import { aggregatedFormulation, balanceFormulation, balancePacking, perVmFormulation } from './mip.js';
import { volumeNodeBound, type KeepSetBounds } from '../solvers/keep.js';
import { improveByLns, keepSetBounds, solveMip } from '../solvers/client.js';
import { better, valueKey, type LnsEnd, type ValueKey } from '../solvers/neighbourhood.js';
import { lazyRunner, type TaskRunner } from '../solvers/pool.js';
import { raiseStop, stopFlag } from '../solvers/tasks.js';
import { assignmentStats, NodeMode, sourceAssignment, usableNodes, type DenseProblem } from '../problem/dense.js';
import { startOf } from './start.js';
import { keepBestFit } from '../solvers/search/bestfit.js';
import type { BackendName, MipOutcome } from '../solvers/types.js';
import { partitionedSolver } from './partition.js';
import { checkCount, checkShare, DEFAULTS, type PlacementResult, type PlacementSolver, type SolveOptions } from './types.js';

/** Options of {@link lnsSolver}. */
export interface LnsSolverOptions {
  /** MIP backend for neighbourhoods and bounds (default `highs`). */
  readonly backend?: BackendName;
  /** Where tasks run (default: two worker threads when available, see `defaultRunner`). */
  readonly runner?: TaskRunner;
  /** The solver whose answer is the start (typically the heuristic). */
  readonly startSolver?: PlacementSolver;
  /** Share of the time limit the start solver may use (default 0.15). */
  readonly startShare?: number;
  /**
   * When the start solver finds no placement, answer its result at once (default false: search
   * from the source configuration or, for consolidation, the keep-set packing).
   */
  readonly startRequired?: boolean;
  /** Run the exact MIP beside the search when it has at most this many placement variables (default 250,000; 0 disables). */
  readonly exactLimit?: number;
  /** Nodes per neighbourhood at the start (default 6). */
  readonly nodes?: number;
  /** Time limit of one neighbourhood solve (default 1000 ms). */
  readonly subTimeMs?: number;
  /**
   * `auto` (default): repair mode for `minMigrations` (only the misplaced VMs move, see
   * `partition.ts`), improvement of a valid start otherwise; `improve`: always improve.
   */
  readonly mode?: 'auto' | 'improve';
  /** Name reported in answers (default `lns`). */
  readonly name?: string;
  /**
   * Stall rule of a consolidation (see `StopReason`): neighbourhoods in a row at the proved node
   * bound without lowering migrated memory after which the search returns, `stalled` (default
   * 40; 0: never).
   */
  readonly stallNeighbourhoods?: number;
  /** Time bound of the stall rule, as a share of the limit (default 0.25; see `DEFAULTS.lns.stallShare`). */
  readonly stallShare?: number;
  /**
   * The stall rule waits for the exact model of the whole instance (run beside the search) to
   * finish, except on instances with more usable nodes than this (default 2,000: there it was
   * measured to find nothing within the limit) or when no exact model runs.
   */
  readonly stallNodes?: number;
  /**
   * Large consolidations (more than 2,000 usable nodes): share of the neighbourhoods at the node
   * bound that send VMs back to their source node while it is still used (default 0.5; see
   * `LnsParams.homeShare`; 0 disables them). Smaller ones keep the gain-drawn neighbourhoods alone.
   */
  readonly homeShare?: number;
  /**
   * Called at every improvement of the best answer, with the time since the solve started and
   * its value (used nodes or peak ratio, then migrated memory, then migrations). For reports and benchmarks.
   */
  readonly onImprove?: (progress: { readonly atMs: number; readonly value: ValueKey }) => void;
}

/** {@link LnsSolverOptions} validated, with every default filled in (see `DEFAULTS.lns`). */
export interface ResolvedLnsOptions extends Omit<LnsSolverOptions, 'backend' | 'name' | 'startShare' | 'startRequired' | 'exactLimit' | 'mode' | 'stallNeighbourhoods' | 'stallShare' | 'stallNodes' | 'homeShare'> {
  readonly backend: BackendName;
  readonly homeShare: number;
  readonly stallNeighbourhoods: number;
  readonly stallShare: number;
  readonly stallNodes: number;
  readonly name: string;
  readonly startShare: number;
  readonly startRequired: boolean;
  readonly exactLimit: number;
  readonly mode: 'auto' | 'improve';
}

/**
 * Validates and defaults the options of {@link lnsSolver}, once.
 * @param options - as given
 * @returns the resolved options
 * @throws RangeError naming an option out of range
 * @example
 * ```ts
 * resolveLnsOptions({}).startShare; // 0.15
 * ```
 */
export function resolveLnsOptions(options: LnsSolverOptions = {}): ResolvedLnsOptions {
  const d = DEFAULTS.lns;
  if (options.nodes !== undefined) checkCount('nodes', options.nodes);
  if (options.subTimeMs !== undefined && !(options.subTimeMs > 0)) throw new RangeError(`subTimeMs must be positive, got ${options.subTimeMs}`);
  return {
    ...options,
    backend: options.backend ?? DEFAULTS.backend,
    name: options.name ?? d.name,
    startShare: checkShare('startShare', options.startShare ?? d.startShare),
    startRequired: options.startRequired ?? d.startRequired,
    exactLimit: checkCount('exactLimit', options.exactLimit ?? d.exactLimit, true),
    mode: options.mode ?? d.mode,
    stallNeighbourhoods: checkCount('stallNeighbourhoods', options.stallNeighbourhoods ?? d.stallNeighbourhoods, true),
    stallShare: checkShare('stallShare', options.stallShare ?? d.stallShare),
    stallNodes: checkCount('stallNodes', options.stallNodes ?? d.stallNodes, true),
    homeShare: options.homeShare === undefined || options.homeShare === 0 ? (options.homeShare ?? d.homeShare) : checkShare('homeShare', options.homeShare),
  };
}

/** Milliseconds a task may run past the deadline before its worker is cut off. */
const GRACE_MS = 300;

/** Largest aggregated model (class–node pairs) run beside the search. */
const AGGREGATE_LIMIT = 400_000;

/** Counts the `x` variables the full model would have (VM–node pairs allowed by the unary rules). */
function placementPairs(p: DenseProblem, limit: number): number {
  let pairs = 0;
  const usable = usableNodes(p);
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== VM_STATE_CODE.running) continue;
    pairs += p.pinned[v]! >= 0 ? 1 : usable;
    if (pairs > limit) return pairs;
  }
  return pairs;
}

/**
 * Usable nodes above which a consolidation is "large": the whole-problem node-count model is
 * skipped (at 10,000 × 50,000 it found nothing in 16 s) and the LNS starts beside the keep-set task.
 */
const LARGE_NODES = 2000;

/** Running VMs up to which the start solver runs even when the best-fit has answered (its search may prove the optimum). */
const START_SEARCH_VMS = 60;

/**
 * The LNS placement solver.
 *
 * @param options - backend, runner, start solver, neighbourhood settings
 * @returns a {@link PlacementSolver}
 * @example
 * ```ts
 * const solver = lnsSolver({ startSolver: heuristic });
 * const r = await solver.solve(instance, { seed: 1, timeLimitMs: 10_000, now: () => performance.now() });
 * ```
 */
export function lnsSolver(options: LnsSolverOptions = {}): PlacementSolver {
  const opts = resolveLnsOptions(options);
  const { backend, name } = opts;
  const poolOf = lazyRunner(opts.runner, DEFAULTS.lns.workers);
  return {
    name,
    async solve(instance: Instance, solveOptions: SolveOptions): Promise<PlacementResult> {
      const pool = poolOf();
      const decision = decisionFor(instance, solveOptions);
      if (decision.status === 'infeasible') return withStop(decision);
      const o = { ...solveOptions, decision };
      if (opts.mode === 'auto' && objectiveOf(instance).type === 'minMigrations') {
        return partitionedSolver({ backend, runner: pool, mode: 'repair', name }).solve(instance, o);
      }
      // No warm-up here: on two cores it slows the first solves of a cold pool (node bound at
      // 1000 × 5000 after 2.2 s with it, 1.6 s without). Long-lived callers warm their pool while idle.
      const t0 = solveOptions.now();
      const left = (): number => solveOptions.timeLimitMs - (solveOptions.now() - t0);
      const ix = decision.ix;
      const { problem: p, reasons: conflicts } = decision.dense;
      const keepSetMs = (): number => Math.min(4000, Math.max(50, left() * 0.3));
      // Consolidation: the keep-set bounds and the packing at the bound run in a worker while the
      // start solver runs here (both on the decision's target states).
      let early: { readonly run: Promise<KeepSetBounds>; readonly stop: Int32Array } | undefined;
      if (p.objective.kind === 'consolidate' && opts.startSolver !== undefined && solveOptions.start === undefined && conflicts.length === 0) {
        const stop = stopFlag();
        early = { run: keepSetBounds(p, pool, backend, keepSetMs(), { pack: canPack(p), stop }), stop };
      }
      // Consolidation: the migration-aware best-fit first (instant, checked), reported at once, so
      // that the answer at any time is never worse than it.
      let quick: { readonly assign: Int32Array; readonly value: ValueKey } | undefined;
      if (p.objective.kind === 'consolidate' && solveOptions.start === undefined && conflicts.length === 0) {
        const a = keepBestFit(p);
        if (isValidAssignment(instance, ix, p, a)) {
          quick = { assign: a, value: valueKey(p, a) };
          opts.onImprove?.({ atMs: solveOptions.now() - t0, value: quick.value });
        }
      }
      // With the best-fit in hand, the start solver (a heuristic on the main thread, seconds at
      // tens of thousands of VMs, measured worse than the best-fit on every shaped cluster) runs
      // only on small problems, where its search may prove the optimum.
      // Large consolidations whose best-fit is above the volume bound: while the keep-set task
      // runs on one worker, the LNS (its count neighbourhoods) improves the best-fit on the other.
      let earlyBest = quick;
      let earlyRun: Promise<void> | undefined;
      if (early !== undefined && quick !== undefined && pool.size >= 2 && usableNodes(p) > LARGE_NODES && quick.value[0] > volumeNodeBound(p)) {
        const earlyStop = stopFlag();
        const takeEarly = (a: Int32Array): void => {
          const v = valueKey(p, a);
          if (earlyBest === undefined || better(v, earlyBest.value)) {
            earlyBest = { assign: a, value: v };
            opts.onImprove?.({ atMs: solveOptions.now() - t0, value: v });
          }
        };
        const ms = Math.max(1, left() * 0.9);
        earlyRun = improveByLns(pool, { backend, problem: p, start: quick.assign, seed: solveOptions.seed, timeLimitMs: ms, stop: earlyStop }, { hardLimitMs: ms + GRACE_MS, onAssignment: takeEarly }).then((r) => {
          if (r.status === 'lns-done') takeEarly(r.assign);
        });
        void early.run.finally(() => raiseStop(earlyStop));
      }
      const startSolver = quick !== undefined && decision.running.length > START_SEARCH_VMS ? undefined : opts.startSolver;
      const start = await startOf(decision, o, startSolver, opts.startShare);
      const settled = start.result?.status === 'optimal' ? start.result : opts.startRequired ? start.failure : undefined;
      if (settled !== undefined) {
        // Proved optimal by the start solver, or no start where one is required.
        if (early !== undefined) raiseStop(early.stop);
        return settled;
      }
      if (conflicts.length > 0) return { status: 'infeasible', reasons: conflicts, solver: name, stop: 'proved' };
      const volume = volumeNodeBound(p);

      // Candidate starts: the given one, the source, and for consolidation the packing into the
      // kept nodes at the node-count bound.
      const candidates: Int32Array[] = [];
      if (quick !== undefined) candidates.push(quick.assign);
      if (earlyRun !== undefined) {
        await earlyRun;
        if (earlyBest !== undefined && earlyBest !== quick) candidates.push(earlyBest.assign);
      }
      if (start.result?.checked === true || isValidAssignment(instance, ix, p, start.assign)) candidates.push(start.assign!);
      const source = sourceAssignment(p);
      if (isValidAssignment(instance, ix, p, source)) candidates.push(source);
      let bounds: KeepSetBounds | undefined;
      if (p.objective.kind === 'consolidate') {
        bounds = await (early?.run ?? keepSetBounds(p, pool, backend, keepSetMs(), { pack: canPack(p) }));
        if (isValidAssignment(instance, ix, p, bounds.assign)) candidates.push(bounds.assign);
      }
      if (candidates.length === 0) {
        return { status: 'infeasible', solver: name, lowerBound: volume, reasons: [{ message: 'LNS needs a valid start: the start solver found none and the source configuration breaks the instance' }], unproved: true, stop: 'exhausted' };
      }
      let best = candidates[0]!;
      let bestValue = valueKey(p, best);
      for (const c of candidates.slice(1)) {
        const v = valueKey(p, c);
        if (better(v, bestValue)) {
          best = c;
          bestValue = v;
        }
      }
      if (earlyBest === undefined || better(bestValue, earlyBest.value)) opts.onImprove?.({ atMs: solveOptions.now() - t0, value: bestValue });
      let nodeBound = Math.max(volume, bounds?.nodes ?? 0);
      const stop = stopFlag();
      // Proof by the bounds (consolidation): at the node bound, migrated memory at the keep-set
      // migration bound computed for that count. Nothing is left to search: everything stops.
      const atBounds = (v: ValueKey): boolean =>
        p.objective.kind === 'consolidate' && bounds?.migration !== undefined && bounds.nodes === nodeBound && v[0] === nodeBound && v[1] <= bounds.migration + 1e-6 * Math.max(1, v[1]);
      const offer = (a: Int32Array): void => {
        const v = valueKey(p, a);
        if (better(v, bestValue)) {
          best = a;
          bestValue = v;
          opts.onImprove?.({ atMs: solveOptions.now() - t0, value: v });
          if (atBounds(v)) raiseStop(stop);
        }
      };
      const exactLimit = opts.exactLimit;
      const aggregated = canAggregate(p) && aggregateSize(p) <= AGGREGATE_LIMIT;
      // Balance with per-VM and per-node rules only: the aggregated model under scaled capacities.
      const balanceAggregated = p.objective.kind === 'balance' && onlyUnaryRules(p) && aggregateSize(p) <= AGGREGATE_LIMIT;
      const perVm = !aggregated && !balanceAggregated && exactLimit > 0 && placementPairs(p, exactLimit) <= exactLimit;
      const exactFormulation = aggregated
        ? aggregatedFormulation(p)
        : balanceAggregated
          ? balanceFormulation(p)
          : perVm
            ? perVmFormulation(p, false)
            : undefined;
      const parallel = pool.size >= 2;
      // With one thread, the exact model runs only when it is an aggregated one (the search otherwise).
      const runsExact = exactFormulation !== undefined && (parallel || aggregated || balanceAggregated);
      // The stall rule (consolidation): only where no exact model runs beside the search, or
      // where the instance is too large for it to finish (it would otherwise close the gap).
      const stallable = p.objective.kind === 'consolidate' && opts.stallNeighbourhoods > 0 && (!runsExact || usableNodes(p) > opts.stallNodes);
      let lnsEnded: LnsEnd | 'failed' | undefined;

      // Keep time for the tasks' grace and for checking and building the answer (about 12 µs
      // per VM: 0.3 s at 25,000 VMs), within a tenth of the limit.
      const reserve = Math.min(solveOptions.timeLimitMs * 0.1, GRACE_MS + 100 + 0.012 * p.nVms);
      const budget = Math.max(1, left() - reserve);
      const deadline = solveOptions.now() + budget;
      const remaining = (): number => Math.max(1, deadline - solveOptions.now());

      // Track A: the exact model (aggregated, or per-VM when small) at the node-count bound,
      // raising the count only when the backend proves it infeasible. Its proof ends everything.
      const trackA = async (): Promise<{ outcome: MipOutcome; K?: number } | undefined> => {
        if (!runsExact) return undefined;
        if (balanceAggregated) await lowerPeak();
        const consolidate = p.objective.kind === 'consolidate';
        let K = consolidate ? nodeBound : undefined;
        for (let tries = 0; tries < 4 && Atomics.load(stop, 0) === 0; tries++) {
          const phase: EncodePhase =
            K !== undefined
              ? { kind: 'cost', maxUsed: K }
              : p.objective.kind === 'balance'
                ? { kind: 'peakCost', maxPeak: bestValue[0] + 1e-9 }
                : { kind: 'cost' };
          const built = exactFormulation.build(phase, best);
          if ('conflicts' in built) return undefined;
          const outcome = await solveMip(pool, built.model, { backend, timeLimitMs: remaining(), graceMs: GRACE_MS, stop, onIncumbent: (x) => offer(built.decode(x)) });
          if (outcome.status === 'optimal' || outcome.status === 'feasible') offer(built.decode(outcome.x));
          if (outcome.status === 'infeasible' && K !== undefined && K < p.nNodes) {
            nodeBound = Math.max(nodeBound, K + 1);
            K++;
            continue;
          }
          if (outcome.status === 'optimal' && (K === undefined || K === nodeBound)) raiseStop(stop);
          return { outcome, ...(K === undefined ? {} : { K }) };
        }
        return undefined;
      };

      // Balance: a lower peak than the start's, by bisection between the volume bound and the
      // best peak known, each step a packing under capacities scaled to the peak tried.
      const lowerPeak = async (): Promise<void> => {
        if (p.objective.kind !== 'balance') return;
        const r = p.objective.r;
        let demand = 0;
        let capacity = 0;
        for (let v = 0; v < p.nVms; v++) if (p.target[v] === VM_STATE_CODE.running) demand += p.demand[v * p.R + r]!;
        for (let n = 0; n < p.nNodes; n++) if (p.nodeMode[n] !== NodeMode.Off) capacity += p.capacity[n * p.R + r]!;
        let lo = capacity > 0 ? demand / capacity : 0;
        for (let step = 0; step < 8 && bestValue[0] - lo > 1e-4 && Atomics.load(stop, 0) === 0; step++) {
          const mid = (lo + bestValue[0]) / 2;
          const built = balancePacking(p, mid);
          if ('conflicts' in built) {
            lo = mid;
            continue;
          }
          const o = await solveMip(pool, built.model, { backend, timeLimitMs: Math.min(2000, remaining() / 4), graceMs: GRACE_MS, stop });
          if (o.status === 'optimal' || o.status === 'feasible') offer(built.decode(o.x));
          else if (o.status === 'infeasible') lo = mid;
          else return;
        }
      };

      // Track B: reach the node-count bound fast (aggregated consolidation: pack the VMs into the
      // keep set, else minimise the count outright), then search neighbourhoods until the limit.
      const trackB = async (): Promise<void> => {
        await packToBound();
        if ((runsExact && !parallel) || Atomics.load(stop, 0) !== 0) return;
        const run = await improveByLns(
          pool,
          {
            backend,
            problem: p,
            start: best,
            seed: solveOptions.seed,
            timeLimitMs: remaining(),
            nodeBound,
            stop,
            ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
            ...(opts.subTimeMs === undefined ? {} : { subTimeMs: opts.subTimeMs }),
            ...(stallable ? { stall: { atFirst: nodeBound, neighbourhoods: opts.stallNeighbourhoods, maxMs: opts.stallShare * solveOptions.timeLimitMs } } : {}),
            ...(p.objective.kind === 'consolidate' && usableNodes(p) > LARGE_NODES ? { homeShare: opts.homeShare } : {}),
          },
          { hardLimitMs: remaining() + GRACE_MS, onAssignment: offer },
        );
        if (run.status === 'lns-done') offer(run.assign);
        lnsEnded = run.status === 'lns-done' ? run.ended : 'failed';
        // Stalled: the exact model beside it (if any) is not waited for (see `stallable`).
        if (lnsEnded === 'stalled') raiseStop(stop);
      };
      const packToBound = async (): Promise<void> => {
        if (p.objective.kind !== 'consolidate' || Atomics.load(stop, 0) !== 0) return;
        if (!aggregated) {
          if (canPack(p)) await leastMigrationInKeepSet(true);
          return;
        }
        if (assignmentStats(p, best).nodesUsed > nodeBound && usableNodes(p) <= LARGE_NODES) {
          // The keep-set packing missed the bound: minimise the node count outright.
          const built = aggregatedFormulation(p).build({ kind: 'count', minUsed: nodeBound }, best);
          if (!('conflicts' in built)) {
            const o = await solveMip(pool, built.model, { backend, timeLimitMs: remaining() * 0.4, graceMs: GRACE_MS, stop });
            if (o.status === 'optimal' || o.status === 'feasible') offer(built.decode(o.x));
          }
        } else await leastMigrationInKeepSet(false);
      };
      // The packing has no objective: least migration within the same kept nodes first (a small
      // model), then the search. No MIP start: measured, the packing as a start slows HiGHS down
      // (3.4 s instead of 0.9–2.8 s to the optimum at 1000 × 5000). With spreads (ignored by the
      // model, honoured by the decoding where it can), every answer is checked before it counts.
      const leastMigrationInKeepSet = async (check: boolean): Promise<void> => {
        if (bounds?.keep === undefined || bounds.assign === undefined || best !== bounds.assign) return;
        const mode = Uint8Array.from(p.nodeMode);
        for (let n = 0; n < p.nNodes; n++) if (!bounds.keep[n]) mode[n] = NodeMode.Off;
        const built = aggregateModel({ ...p, nodeMode: mode }, { kind: 'cost' });
        if ('conflicts' in built) return;
        const take = (x: ArrayLike<number>): void => {
          const a = built.decode(x);
          if (!check || isValidAssignment(instance, ix, p, a)) offer(a);
        };
        const o = await solveMip(pool, built.model, { backend, timeLimitMs: remaining() * 0.3, graceMs: GRACE_MS, stop, onIncumbent: take });
        if (o.status === 'optimal' || o.status === 'feasible') take(o.x);
      };

      // At the deadline every task is told to stop (its best answer so far comes back); one that
      // does not answer within GRACE_MS is cut off, its streamed answers kept. An answer already
      // at both bounds (e.g. the best-fit) is returned at once.
      let timedOut = false;
      let ex: { outcome: MipOutcome; K?: number } | undefined;
      if (!atBounds(bestValue)) {
        const timer = setTimeout(() => {
          timedOut = true;
          raiseStop(stop);
        }, Math.max(1, deadline - solveOptions.now()));
        [ex] = await Promise.all([trackA(), trackB()]).finally(() => clearTimeout(timer));
      }

      // Bounds and proof.
      const stats = assignmentStats(p, best);
      let migrationLowerBound: number | undefined;
      let proved = false;
      const lowerBound = nodeBound;
      const boundOf = (o: MipOutcome): number | undefined =>
        o.status === 'optimal' ? o.bound : o.status === 'feasible' || o.status === 'timeout' ? o.bound : undefined;
      if (p.objective.kind === 'consolidate') {
        if (stats.nodesUsed === nodeBound && bounds?.migration !== undefined && bounds.nodes === nodeBound) migrationLowerBound = bounds.migration;
        if (ex !== undefined && ex.K === stats.nodesUsed) {
          const b = boundOf(ex.outcome);
          if (b !== undefined) migrationLowerBound = Math.max(migrationLowerBound ?? 0, b);
          proved = ex.outcome.status === 'optimal' && stats.nodesUsed === nodeBound && stats.migratedMemory <= ex.outcome.objective + 1e-6;
        }
        proved ||= atBounds(bestValue);
      } else if (ex !== undefined && p.objective.kind === 'minMigrations') {
        const b = boundOf(ex.outcome);
        if (b !== undefined) migrationLowerBound = memoryBound(p, b);
        proved = ex.outcome.status === 'optimal' && stats.migratedMemory <= ex.outcome.objective + 1e-6;
      }
      // Why it returned: the proof, the stall rule, the limit (the timer, the search's own
      // limit, or an exact solve cut at its limit), else every track ran to its end.
      const exactHitLimit = ex !== undefined && (ex.outcome.status === 'feasible' || ex.outcome.status === 'timeout');
      const ended = lnsEnded === 'stalled' ? 'stalled' : timedOut || lnsEnded === 'deadline' || lnsEnded === 'failed' || exactHitLimit ? 'time-limit' : 'exhausted';
      return answerOf(instance, ix, p, best, {
        proved,
        lowerBound,
        ...(migrationLowerBound === undefined ? {} : { migrationLowerBound }),
        solver: name,
        stop: ended,
      });
    },
  };
}
