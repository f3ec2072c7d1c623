/**
 * The decide stage: which vjobs run in the target (the context switch), what state every VM
 * ends in, and which VMs are misplaced (the repair set). Every placement method takes its
 * {@link Decision} instead of deriving states itself, so every objective and every solver obeys
 * the same admission policy.
 */
import { DEFAULT_SEED, DEFAULT_TIME_LIMIT_MS } from '../model/defaults.js';
import { SwitchyardError } from '../errors.js';
import type { VjobId } from '../model/ids.js';
import { indexInstance, VM_STATE_CODE, type IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import { nodeLowerBound } from '../solvers/search/bounds.js';
import { explainInfeasible } from '../solvers/search/explain.js';
import { heuristicContext } from '../solvers/search/heuristic.js';
import type { InfeasibleReason } from '../model/action.js';
import { restrictProblem, type CompiledProblem } from '../problem/dense.js';
import { compileView, type PlacementProblem } from '../problem/view.js';
import { misplacedVms } from '../solvers/repair.js';
import { createRandom } from '../util/random.js';
import { admitVjobs, DEFAULT_ADMISSION_BUDGET, type AdmissionBudget } from './admit.js';
import { priorityPolicy, type AdmissionPolicy } from './policy.js';
import { analyzeStates, idleStateOf, type StateAnalysis } from './states.js';

/**
 * Share of a solve's time limit the decide stage's fit tests may use when a solver or
 * `planInstance` runs it (the explanation of an infeasible instance may take half as much again).
 */
export const DECIDE_SHARE = 0.3;

/** Options of {@link decide}; every field optional. */
export interface DecideOptions {
  /** The admission policy (default {@link priorityPolicy}). */
  readonly policy?: AdmissionPolicy;
  /** Seed of the fit tests' random choices (default 1). */
  readonly seed?: number;
  /** Clock in milliseconds (default: none, only the work budgets bound the fit tests). */
  readonly now?: () => number;
  /** Budget of the fit tests in milliseconds, with `now` (default 10,000). */
  readonly timeLimitMs?: number;
  /** Limits of the admission's fit tests. */
  readonly admission?: Partial<AdmissionBudget>;
}

/** A vjob that does not run in the target, and why. */
export interface NotAdmitted {
  readonly vjob: VjobId;
  readonly reason: string;
  /**
   * `fit`: tried by the policy and did not fit beside the vjobs admitted before it;
   * `constraint`: a `sleeping` constraint or `wants` forbids it to run;
   * `policy`: the policy did not try it.
   */
  readonly kind: 'fit' | 'constraint' | 'policy';
  /** For `fit`: the misfit was proved (else a search budget ran out first). */
  readonly proved: boolean;
}

/** What the decide stage settled: the target state of every VM and a valid placement of the VMs that run. */
export interface Decision {
  readonly status: 'decided';
  readonly instance: Instance;
  /** The instance's dense index (engine internal, for the solvers). @internal */
  readonly ix: IndexedInstance;
  /** What every VM and vjob may become (engine internal). @internal */
  readonly analysis: StateAnalysis;
  /** Target state code of every VM, by dense VM index (engine internal). @internal */
  readonly states: Uint8Array;
  /** Dense indices of the VMs that run in the target, ascending (engine internal). @internal */
  readonly running: Int32Array;
  /** Node of each running VM in a valid placement found while admitting (dense VM index; -1 otherwise; engine internal). @internal */
  readonly placement: Int32Array;
  /** Vjobs that run in the target, in admission order (mandatory ones first). */
  readonly admitted: readonly VjobId[];
  /** Vjobs with VMs that could run but do not, each with its reason. */
  readonly notAdmitted: readonly NotAdmitted[];
  /** Every vjob left out was proved not to fit (else a better admission might exist). */
  readonly proved: boolean;
  /** The placement problem of the admission's candidates (every VM that could run; engine internal). @internal */
  readonly problem: PlacementProblem;
  /** The dense problem of the target states (built on first use, then shared by every solver; engine internal). @internal */
  readonly dense: CompiledProblem;
  /** The repair set: 1 per misplaced VM (dense VM index), computed on first use (engine internal). @internal */
  readonly repair: Uint8Array;
}

/** The VMs that must run cannot: no decision, the reasons. */
export interface DecisionInfeasible {
  readonly status: 'infeasible';
  readonly reasons: readonly InfeasibleReason[];
  readonly lowerBound?: number;
  readonly solver: 'decide';
  /** No placement of the mandatory VMs was found, but none was proved impossible. */
  readonly unproved?: true;
  /**
   * With `unproved`: the decision to try with an exact method, only the vjobs that must run
   * running (no placement known).
   */
  readonly retry?: Decision;
}

/** What {@link decide} answers. */
export type DecideResult = Decision | DecisionInfeasible;

/**
 * Runs the decide stage: state requirements (`wants`, `running`/`sleeping`/`terminated`),
 * then gang admission of the vjobs by `policy` (default: non-best-effort first, then priority,
 * then submission; a running vjob that no longer fits beside higher-priority ones is suspended
 * whole), each admission tested against every constraint and capacity, `reserved` nodes
 * included. The answer names the target state of every VM, a valid placement of the running
 * ones, the reasons for every vjob left out, and the repair set.
 *
 * @param instance - a validated instance
 * @param options - policy, seed, clock and budget of the fit tests
 * @returns the decision, or `infeasible` with reasons when the VMs that must run cannot
 * @example
 * ```ts
 * const d = decide(instance, { policy: priorityPolicy });
 * if (d.status === 'decided') console.log(d.admitted, d.notAdmitted.map((n) => n.reason));
 * ```
 */
export function decide(instance: Instance, options: DecideOptions = {}): DecideResult {
  const now = options.now;
  const limit = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const deadline = now ? now() + limit : undefined;
  const ix = indexInstance(instance);
  const analysis = analyzeStates(instance, ix);
  if (analysis.reasons.length > 0) return { status: 'infeasible', reasons: analysis.reasons, solver: 'decide' };
  const candidates: number[] = [];
  for (const g of analysis.groups) if (!g.forbidden) candidates.push(...g.vms);
  candidates.sort((a, b) => a - b);
  // One dense problem with every candidate running; the admission searches a view of it, and
  // the decision narrows it to the admitted vjobs.
  const { problem, reasons } = compileView(instance, ix, candidates);
  if (reasons.length > 0) return { status: 'infeasible', reasons, solver: 'decide' };
  const rng = createRandom(options.seed ?? DEFAULT_SEED);
  const ctx = heuristicContext(problem, rng, { ejections: 20_000, ...(now ? { now } : {}), ...(deadline !== undefined ? { deadline } : {}) });
  const budget: AdmissionBudget = { ...DEFAULT_ADMISSION_BUDGET, ...options.admission };
  const policy = options.policy ?? priorityPolicy;
  const adm = admitVjobs(problem, analysis, ctx, policy, budget);

  if (!adm.mandatoryFits) {
    const mandatory: number[] = [];
    const mandatoryVjobs = new Set<number>();
    for (const g of analysis.groups) {
      if (!g.mandatory || g.forbidden) continue;
      mandatoryVjobs.add(g.index);
      for (const v of g.vms) mandatory.push(problem.kOf[v]!);
    }
    const lb = nodeLowerBound(problem, mandatory);
    // Say why vjobs without a wanted state must run anyway.
    const why = analysis.groups
      .filter((g) => g.mandatory && g.mixedWaiting && ![...g.vms].some((v) => analysis.required[v] === VM_STATE_CODE.running))
      .map((g) => ({
        message: `vjob "${g.id}" must run: it mixes waiting VMs with started ones, and a waiting VM cannot sleep while a vjob's VMs end in one state`,
        vms: [...g.vms].map((v) => ix.vmIds[v]!),
      }));
    const explainNow = now ?? (() => 0);
    const explained = explainInfeasible(instance, ix, problem, mandatory, {
      searchNodes: 20_000,
      maxVms: 200,
      now: explainNow,
      deadline: deadline === undefined ? Infinity : deadline,
    });
    return {
      status: 'infeasible',
      reasons: [...why, ...explained.reasons],
      ...(Number.isFinite(lb) ? { lowerBound: lb } : {}),
      solver: 'decide',
      ...(explained.proved ? {} : { unproved: true as const, retry: decisionOf({ instance, ix, analysis, problem }, { admitted: mandatoryVjobs, refused: new Map() }, undefined, false) }),
    };
  }

  return decisionOf({ instance, ix, analysis, problem }, adm, adm.state.assign, adm.proved);
}

/** The decision for a set of admitted vjobs (dense vjob indices) and a placement of their VMs (problem VM space). */
function decisionOf(
  base: { readonly instance: Instance; readonly ix: IndexedInstance; readonly analysis: StateAnalysis; readonly problem: PlacementProblem },
  adm: { readonly admitted: ReadonlySet<number>; readonly refused: ReadonlyMap<number, boolean> },
  assign: Int32Array | undefined,
  proved: boolean,
): Decision {
  const { ix, analysis } = base;
  const M = ix.vmIds.length;
  const states = new Uint8Array(M);
  const placement = new Int32Array(M).fill(-1);
  const runs = new Uint8Array(M);
  for (const g of analysis.groups) if (adm.admitted.has(g.index)) for (const v of g.vms) runs[v] = 1;
  const running: number[] = [];
  for (let v = 0; v < M; v++) {
    if (runs[v]) {
      states[v] = VM_STATE_CODE.running;
      running.push(v);
      const k = base.problem.kOf[v]!;
      placement[v] = k >= 0 && assign !== undefined ? assign[k]! : -1;
    } else states[v] = VM_STATE_CODE[idleStateOf(ix, analysis.required, v, false).state];
  }
  // Mandatory vjobs first, then the others in the order the policy admitted them.
  const admitted: VjobId[] = [...adm.admitted].map((j) => ix.vjobIds[j]!);
  const notAdmitted: NotAdmitted[] = [];
  for (const g of analysis.groups) {
    if (adm.admitted.has(g.index)) continue;
    if (g.forbidden) {
      const sleepers = [...g.vms].filter((v) => analysis.required[v] === VM_STATE_CODE.sleeping).map((v) => `"${ix.vmIds[v]!}"`);
      notAdmitted.push({ vjob: g.id, kind: 'constraint', proved: true, reason: `vjob "${g.id}" must not run: ${sleepers.join(', ')} must end sleeping` });
      continue;
    }
    const refused = adm.refused.get(g.index);
    if (refused === undefined) {
      notAdmitted.push({ vjob: g.id, kind: 'policy', proved: true, reason: `vjob "${g.id}" was not chosen by the admission policy` });
    } else {
      notAdmitted.push({
        vjob: g.id,
        kind: 'fit',
        proved: refused,
        reason: `vjob "${g.id}" (priority ${g.priority}) does not fit beside the vjobs admitted before it${refused ? '' : ' (not proved: the fit test ran out of budget)'}`,
      });
    }
  }
  let dense: CompiledProblem | undefined;
  let repair: Uint8Array | undefined;
  return {
    status: 'decided',
    ...base,
    states,
    running: Int32Array.from(running),
    placement,
    admitted,
    notAdmitted,
    proved,
    get dense(): CompiledProblem {
      return (dense ??= { problem: restrictProblem(base.problem.dense, states), ix, reasons: [] });
    },
    get repair(): Uint8Array {
      return (repair ??= misplacedVms(this.dense.problem));
    },
  };
}


/**
 * The decision a solver works with: the one given (computed once by `planInstance` or the
 * caller), else the decide stage's answer under the default policy, given
 * {@link DECIDE_SHARE} of the time limit.
 *
 * @param instance - the instance
 * @param options - the solve options (a given `decision`, else seed, clock and time limit)
 * @returns the decision, or infeasible with reasons
 * @example
 * ```ts
 * const d = decisionFor(instance, { seed: 1, timeLimitMs: 5000, now: () => performance.now() });
 * ```
 */
export function decisionFor(
  instance: Instance,
  options: { readonly decision?: Decision; readonly seed: number; readonly now: () => number; readonly timeLimitMs: number },
): DecideResult {
  if (options.decision !== undefined) {
    if (options.decision.instance !== instance) throw new SwitchyardError('invalid-options', [{ path: 'decision', message: 'was decided for another instance' }]);
    return options.decision;
  }
  return decide(instance, { seed: options.seed, now: options.now, timeLimitMs: options.timeLimitMs * DECIDE_SHARE });
}
