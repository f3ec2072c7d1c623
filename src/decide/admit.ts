import type { AdmissionPolicy, VjobCandidate } from './policy.js';
import { priorityPolicy } from './policy.js';
import type { StateAnalysis, VjobGroup } from './states.js';
import type { VjobId } from '../model/ids.js';
import { decreasing, greedyInsert, type HeuristicContext, repairInsert } from '../solvers/search/heuristic.js';
import type { PlacementProblem } from '../problem/view.js';
import { OBJECTIVES } from '../solvers/search/objective.js';
import { searchPlacement } from '../solvers/search/search.js';
import { PlacementState } from '../solvers/search/state.js';

/** Limits of the admission step. */
export interface AdmissionBudget {
  /** Largest number of VMs for which a failed insertion falls back on the exhaustive search. */
  readonly searchMaxVms: number;
  /** Search nodes per fallback search. */
  readonly searchNodes: number;
  /** Search nodes for all fallback searches of one admission together. */
  readonly searchTotal: number;
  /**
   * Search nodes for the vjobs that must run (an exhaustive search there decides between an
   * answer and "infeasible", so it gets far more), and the most VMs it is tried on.
   */
  readonly mandatorySearchNodes: number;
  readonly mandatorySearchMaxVms: number;
  /** Ejections per repair attempt. */
  readonly ejections: number;
}

/** Default admission limits. */
export const DEFAULT_ADMISSION_BUDGET: AdmissionBudget = {
  searchMaxVms: 400,
  searchNodes: 20_000,
  searchTotal: 200_000,
  mandatorySearchNodes: 2_000_000,
  mandatorySearchMaxVms: 2_000,
  ejections: 2_000,
};

/** What the admission step decided. */
export interface AdmissionOutcome {
  /** The mandatory vjobs could not all run: the exhaustive search proved it (`proved`) or gave up. */
  readonly mandatoryFits: boolean;
  /** Admitted vjobs (dense vjob indices), mandatory ones included. */
  readonly admitted: ReadonlySet<number>;
  /** A placement of every admitted VM (when `mandatoryFits`). */
  readonly state: PlacementState;
  /** Every "does not fit" answer was proved (by the search, or trivially). */
  readonly proved: boolean;
  /** Vjobs the policy tried and that did not fit (dense vjob index → whether that was proved). */
  readonly refused: ReadonlyMap<number, boolean>;
}

/**
 * Runs the context switch: admits the mandatory vjobs, then lets `policy` admit the others
 * one by one, each only when all its VMs fit together with those admitted before (gang
 * admission). Fitting is tested by migration-aware insertion (running VMs first try to stay; new
 * VMs avoid the room of running VMs not decided yet), then ejection repair, then, on small
 * problems, the exhaustive search.
 *
 * @param p - the problem (its VMs are those of the candidate vjobs)
 * @param analysis - state requirements and vjob groups
 * @param ctx - heuristic context
 * @param policy - the admission policy
 * @param budget - limits
 * @returns what was admitted and a placement of it
 */
export function admitVjobs(
  p: PlacementProblem,
  analysis: StateAnalysis,
  ctx: HeuristicContext,
  policy: AdmissionPolicy = priorityPolicy,
  budget: AdmissionBudget = DEFAULT_ADMISSION_BUDGET,
): AdmissionOutcome {
  const { R } = p;
  const s = new PlacementState(p);
  const admitted = new Set<number>();
  const refused = new Map<number, boolean>();
  const admittedVms: number[] = [];
  let proved = true;
  let searched = 0;
  const groups = analysis.groups.filter((g) => !g.forbidden);
  const byId = new Map<VjobId, VjobGroup>(groups.map((g) => [g.id, g]));
  const vmsOf = (g: VjobGroup): number[] => [...g.vms].map((v) => p.kOf[v]!).filter((k) => k >= 0);
  // At scale, next fit (a rotating first fit) rather than a scan of every node per VM: this
  // placement only has to show that the vjobs fit (the solvers improve it).
  const choice = p.K * p.N > 20_000_000 ? 'first' : OBJECTIVES[p.objective.kind].strategy;

  // Load of running VMs whose vjob is not decided yet, on their node.
  const pending = new Float64Array(p.N * R);
  const addPending = (g: VjobGroup, sign: 1 | -1): void => {
    for (const k of vmsOf(g)) {
      const n = p.source[k]!;
      if (n >= 0) for (let r = 0; r < R; r++) pending[n * R + r]! += sign * p.demand[k * R + r]!;
    }
  };
  for (const g of groups) if (!g.mandatory) addPending(g, 1);

  const tryAdd = (vms: number[], mandatory = false): 'fit' | 'no' | 'unknown' => {
    const rest: number[] = [];
    for (const k of decreasing(ctx, vms)) {
      const src = p.source[k]!;
      if (src >= 0 && s.canPlace(k, src)) s.place(k, src);
      else rest.push(k);
    }
    const failed = greedyInsert(ctx, s, rest, choice, { pending });
    if (failed.length === 0) return 'fit';
    // Slow path: the state before this attempt, then ejection repair, then the search.
    const before = s.snapshot();
    for (const k of vms) before[k] = -1;
    const ejections = Math.min(budget.ejections, 20 * (admittedVms.length + vms.length));
    if (repairInsert(ctx, s, failed, choice, () => true, ejections)) return 'fit';
    s.restore(before);
    const all = [...admittedVms, ...vms];
    const nodeLimit = mandatory ? budget.mandatorySearchNodes : Math.min(budget.searchNodes, budget.searchTotal - searched);
    if (all.length > (mandatory ? budget.mandatorySearchMaxVms : budget.searchMaxVms) || nodeLimit <= 0) return 'unknown';
    const out = searchPlacement(p, {
      vms: all,
      optimize: false,
      nodeLimit,
      ...(ctx.budget.now ? { now: ctx.budget.now } : {}),
      ...(ctx.budget.deadline !== undefined ? { deadline: ctx.budget.deadline } : {}),
    });
    if (!mandatory) searched += out.nodes;
    if (out.status === 'complete' || out.status === 'feasible') {
      s.restore(out.assign);
      return 'fit';
    }
    return out.status === 'infeasible' ? 'no' : 'unknown';
  };

  // Mandatory vjobs, all together.
  const mandatory = groups.filter((g) => g.mandatory);
  const mVms = mandatory.flatMap(vmsOf);
  const m = tryAdd(mVms, true);
  if (m !== 'fit') return { mandatoryFits: false, admitted, state: s, proved: m === 'no', refused };
  for (const g of mandatory) admitted.add(g.index);
  admittedVms.push(...mVms);

  const candidates: VjobCandidate[] = groups
    .filter((g) => !g.mandatory)
    .map((g) => ({
      id: g.id,
      vms: [...g.vms].map((v) => p.ix.vmIds[v]!),
      priority: g.priority,
      submitted: g.submitted,
      bestEffort: g.bestEffort,
      current: g.current,
      order: g.index,
    }));
  const decided = new Set<number>();
  policy({
    instance: p.instance,
    candidates,
    tryRun(id: VjobId): boolean {
      const g = byId.get(id);
      if (!g || g.mandatory) return g !== undefined && admitted.has(g.index);
      if (admitted.has(g.index)) return true;
      if (!decided.has(g.index)) {
        decided.add(g.index);
        addPending(g, -1);
      }
      const vms = vmsOf(g);
      const r = tryAdd(vms);
      if (r === 'fit') {
        admitted.add(g.index);
        admittedVms.push(...vms);
        refused.delete(g.index);
        return true;
      }
      if (r === 'unknown') proved = false;
      refused.set(g.index, r === 'no');
      return false;
    },
  });
  return { mandatoryFits: true, admitted, state: s, proved, refused };
}
