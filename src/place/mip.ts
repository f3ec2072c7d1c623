/**
 * The exact placement solver: the whole problem as one MIP (see `encode.ts`) solved by a
 * pluggable backend off the main thread.
 *
 * Objectives are lexicographic, solved in phases:
 * - `consolidate`: the node count is fixed at its lower bound K (at most K used nodes) and the
 *   migrated memory minimised; K is raised only when the backend proves K infeasible. When a
 *   starting configuration is known (option `start`, or the `startSolver`'s answer), it seeds the
 *   solve at its own node count, so the answer is never worse than the start;
 * - `minMigrations`: migrated memory, then the number of migrations, then remote resumes (one
 *   exact weighted objective, see `tieWeights` in `encode.ts`), every constraint and capacity
 *   enforced;
 * - `balance`: the peak load ratio, then migrated memory at that peak.
 *
 * `status: 'optimal'` only when every phase was proved optimal.
 */
import { decisionFor } from '../decide/decide.js';
import type { Instance } from '../model/instance.js';
import { checkShare, DEFAULTS, type PlacementResult, type PlacementSolver, type SolveOptions } from './types.js';
import { answerOf, isValidAssignment, infeasibleOf, withStop } from './answer.js';
import { keepBestFit } from '../solvers/search/bestfit.js';
import { startOf } from './start.js';
import { aggregateModel, canAggregate } from '../solvers/aggregate.js';
import { decode, encode, memoryBound, runningVms, type EncodeConflict, type EncodePhase } from '../solvers/encode.js';
import type { MipModel } from '../solvers/model.js';
import { volumeNodeBound } from '../solvers/keep.js';
import { keepSetBounds, solveMip } from '../solvers/client.js';
import { better, valueKey } from '../solvers/neighbourhood.js';
import { lazyRunner, type TaskRunner } from '../solvers/pool.js';
import { assignmentStats, sourceAssignment, usableNodes, type DenseProblem } from '../problem/dense.js';
import type { BackendName, MipOutcome } from '../solvers/types.js';

/** Options of {@link mipSolver}. */
export interface MipSolverOptions {
  /** MIP backend (default `highs`). */
  readonly backend?: BackendName;
  /** Where solves run (default: a worker thread when available, see `defaultRunner`). */
  readonly runner?: TaskRunner;
  /** A solver whose answer seeds the MIP (typically the heuristic), used when no `start` is given. */
  readonly startSolver?: PlacementSolver;
  /** Share of the time limit the start solver may use (default 0.2). */
  readonly startShare?: number;
  /**
   * `auto` (default): the aggregated formulation when it is exact for the instance (only per-VM
   * and per-node rules, consolidate or minMigrations), else per-VM; `per-vm` always writes one
   * binary per VM and node (the plain model).
   */
  readonly formulation?: 'auto' | 'per-vm';
  /** Name reported in answers (default `mip-<backend>`). */
  readonly name?: string;
}

/** {@link MipSolverOptions} validated, with every default filled in (see `DEFAULTS.mip`). */
export interface ResolvedMipOptions extends Omit<MipSolverOptions, 'backend' | 'startShare' | 'formulation' | 'name'> {
  readonly backend: BackendName;
  readonly startShare: number;
  readonly formulation: 'auto' | 'per-vm';
  readonly name: string;
}

/**
 * Validates and defaults the options of {@link mipSolver}, once.
 * @param options - as given
 * @returns the resolved options
 * @throws RangeError naming an option out of range
 * @example
 * ```ts
 * resolveMipOptions({ backend: 'glpk' }).name; // 'mip-glpk'
 * ```
 */
export function resolveMipOptions(options: MipSolverOptions = {}): ResolvedMipOptions {
  const backend = options.backend ?? DEFAULTS.backend;
  return {
    ...options,
    backend,
    startShare: checkShare('startShare', options.startShare ?? DEFAULTS.mip.startShare),
    formulation: options.formulation ?? DEFAULTS.mip.formulation,
    name: options.name ?? `mip-${backend}`,
  };
}

/** The answer of one phase. */
interface PhaseResult {
  readonly outcome: MipOutcome;
  readonly assign?: Int32Array;
}

/** A way to write the problem as a MIP: per-VM binaries, or class counts (see `aggregate.ts`). */
export interface Formulation {
  readonly name: 'per-vm' | 'aggregated';
  /**
   * The model of a phase, seeded from `assign` when it is a valid start.
   * @returns the model and its decoder, or the conflicts that make any placement impossible
   */
  build(phase: EncodePhase, assign: Int32Array): { model: MipModel; decode: (x: ArrayLike<number>) => Int32Array } | { conflicts: readonly EncodeConflict[] };
}

/**
 * The per-VM formulation (`encode.ts`): every constraint, every objective.
 * @param p - the problem
 * @param strong - add the `x <= u` linking rows (default: `encode`'s size rule)
 * @returns the formulation
 */
export function perVmFormulation(p: DenseProblem, strong?: boolean): Formulation {
  const free = runningVms(p);
  return {
    name: 'per-vm',
    build(phase, assign) {
      const enc = encode(p, { free, assign, phase, ...(strong === undefined ? {} : { strong }) });
      if (enc.status === 'conflict') return { conflicts: enc.conflicts };
      return { model: enc.model, decode: (x) => decode(enc, x, assign) };
    },
  };
}

/**
 * The aggregated formulation (`aggregate.ts`), exact when {@link canAggregate} holds; `peak`
 * phases are not supported (balance uses the per-VM formulation).
 * @param p - the problem
 * @returns the formulation
 */
export function aggregatedFormulation(p: DenseProblem): Formulation {
  return {
    name: 'aggregated',
    build(phase, assign) {
      if (phase.kind === 'peak' || phase.kind === 'peakCost') throw new Error('aggregated formulation: no peak phases');
      return aggregateModel(p, phase, assign);
    },
  };
}

/**
 * Balance on the aggregated formulation, for problems whose only rules are per-VM and per-node
 * ones: least migrated memory with every node's load on the balance resource at most `maxPeak`
 * of its capacity (that capacity scaled down, the model otherwise the aggregated one). Only
 * `peakCost` phases: the peak itself comes from a start (heuristic, search).
 * @param p - the problem (objective `balance`)
 * @returns the formulation
 */
export function balanceFormulation(p: DenseProblem): Formulation {
  return {
    name: 'aggregated',
    build(phase, assign) {
      if (phase.kind !== 'peakCost') throw new Error('balance formulation: peakCost phases only');
      return aggregateModel(scaledToPeak(p, phase.maxPeak), { kind: 'cost' }, assign);
    },
  };
}

/**
 * Any placement with every node's load on the balance resource at most `maxPeak` of its
 * capacity (the aggregated model, no objective): to test a lower peak.
 * @param p - the problem (objective `balance`, per-VM and per-node rules only)
 * @param maxPeak - the peak to reach
 * @returns the model and its decoder, or the conflicts (a VM that fits no node at that peak)
 */
export function balancePacking(p: DenseProblem, maxPeak: number): ReturnType<typeof aggregateModel> {
  return aggregateModel(scaledToPeak(p, maxPeak), { kind: 'feasible' });
}

/** The problem with the balance resource's capacities scaled by `maxPeak`. */
function scaledToPeak(p: DenseProblem, maxPeak: number): DenseProblem {
  if (p.objective.kind !== 'balance') throw new Error('balance models need a balance objective');
  const r = p.objective.r;
  const capacity = Float64Array.from(p.capacity);
  for (let n = 0; n < p.nNodes; n++) capacity[n * p.R + r] = p.capacity[n * p.R + r]! * maxPeak;
  return { ...p, capacity };
}

async function runPhase(
  f: Formulation,
  phase: EncodePhase,
  assign: Int32Array,
  runner: TaskRunner,
  backend: BackendName,
  timeLimitMs: number,
): Promise<PhaseResult | { conflicts: readonly EncodeConflict[] }> {
  const built = f.build(phase, assign);
  if ('conflicts' in built) return { conflicts: built.conflicts };
  // A solve that overruns its own limit by more than a moment is cut off (its streamed incumbents kept).
  const outcome = await solveMip(runner, built.model, { backend, timeLimitMs: Math.max(1, timeLimitMs), graceMs: 300 });
  if (outcome.status === 'optimal' || outcome.status === 'feasible') return { outcome, assign: built.decode(outcome.x) };
  return { outcome };
}

/**
 * The exact MIP placement solver.
 *
 * @param options - backend, runner, start solver
 * @returns a {@link PlacementSolver}
 * @example
 * ```ts
 * const solver = mipSolver({ backend: 'highs' });
 * const r = await solver.solve(instance, { seed: 1, timeLimitMs: 10_000, now: () => performance.now() });
 * if (r.status === 'optimal') console.log(r.nodesUsed, r.migratedMemory);
 * ```
 */
export function mipSolver(options: MipSolverOptions = {}): PlacementSolver {
  const opts = resolveMipOptions(options);
  const { backend, name } = opts;
  const runnerOf = lazyRunner(opts.runner, DEFAULTS.mip.workers);
  return {
    name,
    async solve(instance: Instance, solveOptions: SolveOptions): Promise<PlacementResult> {
      const runner = runnerOf();
      const t0 = solveOptions.now();
      // The time left for solves: the limit minus the cut-off grace and the final checks.
      const reserve = Math.min(solveOptions.timeLimitMs * 0.1, 400 + 0.012 * instance.vms.size);
      const left = (): number => solveOptions.timeLimitMs - reserve - (solveOptions.now() - t0);
      const decision = decisionFor(instance, solveOptions);
      if (decision.status === 'infeasible') return withStop(decision);
      const ix = decision.ix;
      const start = await startOf(decision, { ...solveOptions, decision }, opts.startSolver, opts.startShare);
      const { problem: p, reasons: conflicts } = decision.dense;
      if (conflicts.length > 0) return { status: 'infeasible', reasons: conflicts, solver: name, stop: 'proved' };
      const f = opts.formulation !== 'per-vm' && canAggregate(p) ? aggregatedFormulation(p) : perVmFormulation(p);
      // A start counts only when it places every running VM and passes the checkers.
      const startValid = isValidAssignment(instance, ix, p, start.assign);
      // Consolidation starts from the migration-aware best-fit when it beats the start (by
      // default the decision's placement, often the source), so that an answer cut short by the
      // limit is never worse than it.
      const bestFit = p.objective.kind === 'consolidate' ? keepBestFit(p) : undefined;
      const fitValid = isValidAssignment(instance, ix, p, bestFit);
      const fitFirst = fitValid && (!startValid || better(valueKey(p, bestFit), valueKey(p, start.assign!)));
      const base = fitFirst ? bestFit! : startValid ? start.assign! : sourceAssignment(p);
      const baseValid = startValid || fitValid;
      const volume = volumeNodeBound(p);
      if (!Number.isFinite(volume)) {
        return {
          status: 'infeasible',
          solver: name,
          reasons: [{ message: 'the VMs to run need more of some resource than every usable node offers together' }],
          stop: 'proved',
        };
      }
      const objective = p.objective;
      // Not proved: the limit ended it when a phase was cut at its time limit or no time is left.
      let hitLimit = false;
      const ended = (): 'time-limit' | 'exhausted' => (hitLimit || left() <= 0 ? 'time-limit' : 'exhausted');

      if (objective.kind === 'consolidate') {
        // The keep-set bound (which nodes can cover every resource at once) is at least the
        // volume bound and costs a tiny MIP.
        const lb0 = (await keepSetBounds(p, runner, backend, Math.max(1, Math.min(2000, left() * 0.1)))).nodes;
        let lb = Math.max(volume, lb0);
        const startUsed = baseValid ? assignmentStats(p, base).nodesUsed : Infinity;
        let best: { assign: Int32Array; proved: boolean; bound?: number } | undefined;
        let timedOut = false;
        const usable = usableNodes(p);
        for (let K = lb; K < startUsed && K <= usable && left() > 0; K++) {
          const r = await runPhase(f, { kind: 'cost', maxUsed: K }, base, runner, backend, left());
          if ('conflicts' in r) return infeasibleOf(ix, r.conflicts, name, lb);
          const o = r.outcome;
          if (o.status === 'infeasible') {
            lb = K + 1;
            continue;
          }
          if (o.status !== 'optimal') hitLimit = true;
          if (r.assign && (o.status === 'optimal' || o.status === 'feasible')) {
            best = { assign: r.assign, proved: o.status === 'optimal' && K === lb, ...(o.bound === undefined ? {} : { bound: o.bound }) };
          } else timedOut = true;
          break;
        }
        if (best === undefined && baseValid && !timedOut && lb <= startUsed && left() > 0) {
          // The start's node count is the best known: minimise migration there, from the start.
          const r = await runPhase(f, { kind: 'cost', maxUsed: startUsed }, base, runner, backend, left());
          if ('conflicts' in r) return infeasibleOf(ix, r.conflicts, name, lb);
          const o = r.outcome;
          if (o.status !== 'optimal' && o.status !== 'infeasible') hitLimit = true;
          if (r.assign && (o.status === 'optimal' || o.status === 'feasible')) {
            best = { assign: r.assign, proved: o.status === 'optimal' && startUsed === lb, ...(o.bound === undefined ? {} : { bound: o.bound }) };
          }
        }
        if (best !== undefined && baseValid) {
          // Never worse than the start (lexicographic: nodes, then memory).
          if (better(valueKey(p, base), valueKey(p, best.assign))) best = { assign: base, proved: false };
        }
        if (best === undefined) {
          if (baseValid) return answerOf(instance, ix, p, base, { proved: false, lowerBound: lb, solver: name, stop: ended() });
          if (lb > p.nNodes) return { status: 'infeasible', solver: name, lowerBound: lb, reasons: [{ message: 'no placement satisfies every constraint and capacity' }], stop: 'proved' };
          return { status: 'infeasible', solver: name, lowerBound: lb, reasons: [{ message: `no placement found within the time limit (${solveOptions.timeLimitMs} ms)` }], unproved: true, stop: ended() };
        }
        return answerOf(instance, ix, p, best.assign, {
          proved: best.proved,
          lowerBound: lb,
          ...(best.bound === undefined ? {} : { migrationLowerBound: best.bound }),
          solver: name,
          stop: ended(),
        });
      }

      const phases: EncodePhase[] = objective.kind === 'balance' ? [{ kind: 'peak' }] : [{ kind: 'cost' }];
      let assign = base;
      let proved = true;
      let bound: number | undefined;
      let found = startValid;
      for (let i = 0; i < 2; i++) {
        const phase = phases[i];
        if (phase === undefined || left() <= 0) break;
        const g = phase.kind === 'peak' || phase.kind === 'peakCost' ? perVmFormulation(p) : f;
        const r = await runPhase(g, phase, assign, runner, backend, left());
        if ('conflicts' in r) return infeasibleOf(ix, r.conflicts, name, volume);
        const o = r.outcome;
        if (o.status === 'infeasible') {
          return { status: 'infeasible', solver: name, lowerBound: volume, reasons: [{ message: 'no placement satisfies every constraint and capacity' }], stop: 'proved' };
        }
        if (o.status !== 'optimal') hitLimit = true;
        if (!r.assign || (o.status !== 'optimal' && o.status !== 'feasible')) {
          proved = false;
          break;
        }
        assign = r.assign;
        found = true;
        if (o.status !== 'optimal') proved = false;
        if (phase.kind === 'peak') {
          const peak = assignmentStats(p, assign).peakRatio;
          phases.push({ kind: 'peakCost', maxPeak: peak + 1e-9 });
        } else bound = o.bound === undefined ? undefined : memoryBound(p, o.bound);
      }
      if (phases.length === 2 && proved && bound === undefined) proved = false;
      if (!found) {
        return { status: 'infeasible', solver: name, lowerBound: volume, reasons: [{ message: `no placement found within the time limit (${solveOptions.timeLimitMs} ms)` }], unproved: true, stop: ended() };
      }
      return answerOf(instance, ix, p, assign, {
        proved,
        lowerBound: volume,
        ...(bound === undefined ? {} : { migrationLowerBound: bound }),
        solver: name,
        stop: ended(),
      });
    },
  };
}
