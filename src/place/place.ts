import { checkConfiguration } from '../constraints/check.js';
import type { AdmissionPolicy } from '../decide/policy.js';
import type { AdmissionBudget } from '../decide/admit.js';
import { decide } from '../decide/decide.js';
import type { StateAnalysis } from '../decide/states.js';
import { SwitchyardError } from '../errors.js';
import type { Configuration } from '../model/configuration.js';
import type { IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import { createRandom } from '../util/random.js';
import { migrationCountLowerBound, migrationLowerBound, nodeLowerBound, peakLowerBound } from '../solvers/search/bounds.js';
import { heuristicAssign, heuristicContext } from '../solvers/search/heuristic.js';
import { boundValue, compareValues, valueOf, type KnownBounds, type ObjectiveValue } from '../solvers/search/objective.js';
import { type PlacementProblem } from '../problem/view.js';
import { toConfiguration, type DenseProblem } from '../problem/dense.js';
import { checkedAnswer, withStop } from './answer.js';
import { searchPlacement } from '../solvers/search/search.js';
import { PlacementState } from '../solvers/search/state.js';
import type { PlacementFound, PlacementInfeasible, PlacementResult, PlacementSolver, SolveOptions, StopReason } from './types.js';

/** Options of {@link placeInstance}: the solver options plus the context switch policy and limits. */
export interface PlaceOptions extends SolveOptions {
  /** The admission policy (default: `priorityPolicy`). */
  readonly policy?: AdmissionPolicy;
  /**
   * `auto` (default): heuristic, then the exhaustive branch and bound on problems of at most
   * `searchMaxVms` VMs to improve and prove optimality; `heuristic`: heuristic only.
   */
  readonly method?: 'auto' | 'heuristic';
  /** Largest number of running VMs for the optimality search (default 60). */
  readonly searchMaxVms?: number;
  /** Search nodes of the optimality search (default 100,000). */
  readonly searchNodes?: number;
  /** Limits of the admission step. */
  readonly admission?: Partial<AdmissionBudget>;
}

/**
 * Everything the decide step and the admission settled, for a placement method to build on:
 * the problem, the VMs that run, a valid placement of them, and the bounds.
 */
export interface PreparedPlacement {
  readonly instance: Instance;
  readonly ix: IndexedInstance;
  readonly analysis: StateAnalysis;
  readonly problem: PlacementProblem;
  /** The dense problem of the decision's target states (names the state of the VMs that do not run). */
  readonly dense: DenseProblem;
  /** Problem VMs that run in the target (the admitted vjobs' VMs). */
  readonly running: Int32Array;
  /** A valid placement of `running` (node per problem VM, -1 for VMs that do not run). */
  readonly incumbent: Int32Array;
  /** Admitted vjobs (dense vjob indices). */
  readonly admitted: ReadonlySet<number>;
  /** Every vjob left out was proved not to fit (else a better admission might exist). */
  readonly admissionProved: boolean;
  /** Lower bounds for the running VMs: used nodes, peak ratio (balance), migrated memory. */
  readonly nodeBound: number;
  readonly peakBound: number;
  readonly migrationBound: number;
  /** Lower bound on the number of migrations. */
  readonly migrationCountBound: number;
}

/** {@link preparePlacement}'s answer: ready to place, or already known infeasible. */
export type Preparation = { readonly status: 'ready'; readonly prepared: PreparedPlacement } | PlacementInfeasible;

/**
 * The decide stage's answer made ready to place: the problem, the VMs that run, a valid
 * placement of them, and the bounds; or the reasons why the VMs that must run cannot.
 *
 * @param instance - a validated instance
 * @param options - solver options (seed, time limit, clock, a given decision) and the policy
 * @returns the prepared placement, or an infeasible result with reasons
 */
export function preparePlacement(instance: Instance, options: PlaceOptions): Preparation {
  const d =
    options.decision ??
    decide(instance, {
      seed: options.seed,
      now: options.now,
      timeLimitMs: options.timeLimitMs,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.admission ? { admission: options.admission } : {}),
    });
  if (d.status === 'infeasible') return d;
  if (d.instance !== instance) throw new SwitchyardError('invalid-options', [{ path: 'decision', message: 'was decided for another instance' }]);
  const { ix, analysis, problem } = d;
  const admitted = new Set<number>();
  for (const id of d.admitted) admitted.add(ix.vjobIndex.get(id)!);
  const runningL: number[] = [];
  const incumbent = new Int32Array(problem.K).fill(-1);
  for (const v of d.running) {
    const k = problem.kOf[v]!;
    runningL.push(k);
    incumbent[k] = d.placement[v]!;
  }
  const running = Int32Array.from(runningL.sort((a, b) => a - b));
  return {
    status: 'ready',
    prepared: {
      instance, ix, analysis, problem, running,
      dense: d.dense.problem,
      incumbent,
      admitted,
      admissionProved: d.proved,
      nodeBound: nodeLowerBound(problem, running),
      peakBound: peakLowerBound(problem, running),
      migrationBound: migrationLowerBound(problem, running),
      migrationCountBound: migrationCountLowerBound(problem, running),
    },
  };
}

function knownBounds(prepared: PreparedPlacement): KnownBounds {
  return { nodes: prepared.nodeBound, peak: prepared.peakBound, migration: prepared.migrationBound, migrations: prepared.migrationCountBound };
}

/**
 * A placement of the prepared VMs (node per problem VM) as node per dense VM.
 * @param prepared - the prepared placement
 * @param assign - node per problem VM (-1: not running)
 * @returns node per VM of the instance
 */
function denseAssignment(prepared: PreparedPlacement, assign: Int32Array): Int32Array {
  const { problem: p } = prepared;
  const out = new Int32Array(prepared.ix.vmIds.length).fill(-1);
  for (const k of prepared.running) out[p.vmOf[k]!] = assign[k]!;
  return out;
}

/**
 * The target configuration of a placement of the prepared VMs (the dense problem's one
 * configuration builder, see `toConfiguration`).
 *
 * @param prepared - the prepared placement
 * @param assign - node per problem VM (-1: not running)
 * @returns the configuration
 */
export function targetConfiguration(prepared: PreparedPlacement, assign: Int32Array): Configuration {
  return toConfiguration(prepared.ix, prepared.dense, denseAssignment(prepared, assign));
}

/**
 * Builds the answer for a placement of the prepared VMs: the target configuration, checked
 * against every constraint and capacity by the constraint checkers, and its figures.
 *
 * @param prepared - the prepared placement
 * @param assign - node per problem VM for the running VMs
 * @param proved - whether the objective's optimum was proved for this placement
 * @param solver - name reported
 * @param stop - why the search ended when the answer is not proved (default `exhausted`: it ran to its end)
 * @returns the result, or undefined when the checkers reject the configuration
 */
export function finishPlacement(prepared: PreparedPlacement, assign: Int32Array, proved: boolean, solver: string, stop: Exclude<StopReason, 'proved'> = 'exhausted'): PlacementFound | undefined {
  const { problem: p } = prepared;
  const s = new PlacementState(p);
  for (const k of prepared.running) {
    if (assign[k]! < 0) return undefined;
    s.place(k, assign[k]!);
  }
  const value = valueOf(s);
  const bound = boundValue(p, knownBounds(prepared));
  const optimal = prepared.admissionProved && (proved || compareValues(value, bound) <= 0);
  const r = checkedAnswer(prepared.instance, prepared.ix, prepared.dense, denseAssignment(prepared, s.assign), {
    proved: optimal,
    lowerBound: prepared.nodeBound,
    migrationLowerBound: optimal && p.objective.kind === 'minMigrations' ? s.migrated : prepared.migrationBound,
    solver,
    stop,
  });
  return r.ok ? r.answer : undefined;
}

/**
 * Computes the target configuration of an instance: the decide step (state requirements, the
 * context switch policy admitting vjobs by priority with gang admission), then the
 * migration-aware heuristic, then (method `auto`, small problems) the constraint-aware branch
 * and bound that improves the answer and proves optimality within its budget. Every answer is
 * checked by the constraint checkers before it is returned; an impossible instance gets
 * `infeasible` with reasons.
 *
 * Deterministic: the same instance and seed give the same answer, unless the wall-clock limit
 * cuts a search short (work budgets are deterministic; the time limit is a safety net).
 *
 * @param instance - a validated instance
 * @param options - seed, time limit, clock, policy, method
 * @returns the placement result
 * @example
 * ```ts
 * const r = await placeInstance(inst, { seed: 1, timeLimitMs: 5000, now: () => performance.now() });
 * if (r.status !== 'infeasible') r.target.hostOf('vm1');
 * ```
 */
export async function placeInstance(instance: Instance, options: PlaceOptions): Promise<PlacementResult> {
  return placeSync(instance, options);
}

function placeSync(instance: Instance, options: PlaceOptions): PlacementResult {
  const deadline = options.now() + options.timeLimitMs;
  const prep = preparePlacement(instance, options);
  if (prep.status === 'infeasible') return withStop(prep);
  const prepared = prep.prepared;
  const p = prepared.problem;
  const running = [...prepared.running];
  const rng = createRandom(options.seed ^ 0x5bd1e995);
  const ctx = heuristicContext(p, rng, { ejections: Math.min(20_000, Math.max(500, 20 * running.length)), now: options.now, deadline });

  type Cand = { assign: Int32Array; value: ObjectiveValue; proved: boolean; solver: string };
  const cands: Cand[] = [];
  const evaluate = (assign: Int32Array, proved: boolean, solver: string): void => {
    const s = new PlacementState(p);
    for (const k of running) s.place(k, assign[k]!);
    cands.push({ assign, value: valueOf(s), proved, solver });
  };
  evaluate(prepared.incumbent, false, 'admission');
  const start = options.start ? assignmentOf(prepared, options.start) : undefined;
  if (start) evaluate(start, false, 'start');
  const h = heuristicAssign(ctx, running, start ?? prepared.incumbent);
  if (h) evaluate(h, false, 'heuristic');
  let best = cands.reduce((a, b) => (compareValues(b.value, a.value) < 0 ? b : a));

  const bound = boundValue(p, knownBounds(prepared));
  const method = options.method ?? 'auto';
  if (method === 'auto' && running.length <= (options.searchMaxVms ?? 60) && compareValues(best.value, bound) > 0) {
    const out = searchPlacement(p, {
      vms: running,
      optimize: true,
      incumbent: best.assign,
      nodeLimit: options.searchNodes ?? 100_000,
      now: options.now,
      deadline,
    });
    if (out.status === 'complete' || out.status === 'feasible') {
      const better = compareValues(out.value, best.value) < 0;
      if (better) evaluate(out.assign, out.status === 'complete', 'search');
      else if (out.status === 'complete') best = { ...best, proved: true };
      if (better) best = cands[cands.length - 1]!;
    }
  }
  // Best first; fall back on the others if the checkers reject one (never return a broken target).
  const order = [best, ...cands.filter((c) => c !== best).sort((a, b) => compareValues(a.value, b.value))];
  // Not proved: the limit ended the heuristics or the search when the clock passed it.
  const ended = options.now() >= deadline ? 'time-limit' : 'exhausted';
  for (const c of order) {
    const found = finishPlacement(prepared, c.assign, c.proved, c.solver, ended);
    if (found) return found;
  }
  const target = targetConfiguration(prepared, best.assign);
  throw new SwitchyardError('internal', checkConfiguration(instance, target).map((v) => ({ path: '$', message: `placement broke a rule: ${v.message}` })));
}

/**
 * The placement of the prepared running VMs in `configuration`, when it places exactly them,
 * each on a node that respects every constraint and capacity (checked incrementally); else
 * undefined.
 * @param prepared - the prepared placement
 * @param configuration - e.g. a known valid target
 * @returns node per problem VM, or undefined
 */
export function assignmentOf(prepared: PreparedPlacement, configuration: Configuration): Int32Array | undefined {
  const { problem: p, ix } = prepared;
  const s = new PlacementState(p);
  const runs = new Uint8Array(p.K);
  for (const k of prepared.running) {
    runs[k] = 1;
    const id = ix.vmIds[p.vmOf[k]!]!;
    const pl = configuration.vms.get(id);
    const n = pl?.state === 'running' && pl.host !== undefined ? ix.nodeIndex.get(pl.host) : undefined;
    if (n === undefined || !s.canPlace(k, n)) return undefined;
    s.place(k, n);
  }
  for (const [id, pl] of configuration.vms) {
    const v = ix.vmIndex.get(id);
    if (pl.state === 'running' && (v === undefined || p.kOf[v]! < 0 || !runs[p.kOf[v]!])) return undefined;
  }
  return s.snapshot();
}

/**
 * The migration-aware heuristic as a {@link PlacementSolver}: decide + admission + best-fit
 * decreasing (consolidate) / least-loaded (balance) / keep-then-repair (minMigrations), with
 * ejection repair; instant, never proves more than what the bounds show.
 */
export const heuristicSolver: PlacementSolver = {
  name: 'heuristic',
  solve: (instance, options) => placeInstance(instance, { ...options, method: 'heuristic' }),
};

/**
 * The default placement method as a {@link PlacementSolver}: {@link placeInstance} with method
 * `auto` (heuristic, then branch and bound on small problems).
 */
export const searchSolver: PlacementSolver = {
  name: 'search',
  solve: (instance, options) => placeInstance(instance, { ...options, method: 'auto' }),
};
