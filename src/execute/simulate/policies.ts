/**
 * The built-in simulation policies, all carried by switchyard's own pipeline (decide, place with
 * the migration-aware heuristic, plan, verify), so that every plan they give is verified:
 * - `static`: first come first served without preemption: a running vjob is never suspended,
 *   killed or moved; a vjob (a reservation too) waits until it fits;
 * - `kill`: the same, except that a best-effort vjob with a VM on the nodes a reservation
 *   claims is killed (shut down) and restarts from scratch: the Grid'5000 behaviour;
 * - `switch`: switchyard's context switch: vjobs admitted by priority, best-effort ones give way
 *   by suspension or migration, and every vjob with finite work is checkpointed (every 30 minutes
 *   of progress by default) so that a loss costs at most the work since the last checkpoint.
 * A user policy is any {@link SimPolicy}; {@link contextSwitchPlan} is the building block.
 */
import type { Constraint } from '../../model/constraints.js';
import type { AdmissionPolicy } from '../../decide/policy.js';
import { priorityPolicy } from '../../decide/policy.js';
import type { VmId } from '../../model/ids.js';
import { vjobOf, type Instance } from '../../model/instance.js';
import type { Vm } from '../../model/vm.js';
import { planInstance } from '../../pipeline.js';
import { placeInstance } from '../../place/place.js';
import type { PlacementSolver } from '../../place/types.js';
import type { Plan } from '../../plan/types.js';
import type { SimDecision, SimPolicy, SimView } from './types.js';

/** The built-in policy names. */
export const SIM_POLICIES = ['static', 'kill', 'switch'] as const;
/** A built-in policy name. */
export type SimPolicyName = (typeof SIM_POLICIES)[number];

/**
 * Plans `instance` with the deterministic pipeline: decide with `admission`, the migration-aware
 * heuristic placement (no time limit, no clock), the planner, and the verifier.
 * @param instance - the instance (e.g. a {@link SimView}'s, transformed)
 * @param seed - seed of the heuristic's tie-breaking
 * @param admission - the admission policy (default {@link priorityPolicy})
 * @returns the verified plan (or an infeasible answer)
 * @example
 * ```ts
 * const plan = await contextSwitchPlan(view.instance, view.seed);
 * ```
 */
export async function contextSwitchPlan(instance: Instance, seed: number, admission: AdmissionPolicy = priorityPolicy): Promise<Plan> {
  const policy = withVolumeGate(admission);
  // A smaller ejection budget than a one-off plan: the simulator plans at every event, with a
  // backlog of vjobs that mostly do not fit.
  const budget = { ejections: 200, searchMaxVms: 0 };
  const solver: PlacementSolver = {
    name: 'heuristic',
    // Used as is when the decide stage leaves the decision to the solver (its `retry`).
    solve: (i, o) => placeInstance(i, { ...o, method: 'heuristic', policy, admission: budget }),
  };
  // The decide stage of planInstance settles which vjobs run and hands the solver its decision:
  // the policy and the budget must be given to it, not only to the solver.
  return planInstance(instance, { seed, timeLimitMs: 1e9, now: () => 0, solver, policy, admission: budget });
}

/**
 * Wraps an admission policy so that a vjob whose total demand exceeds the capacity left on the
 * online nodes (after the vjobs that must run and those admitted so far) is answered "does not
 * fit" at once, without the placement attempt: a sound shortcut (such a vjob can never fit),
 * and the common case of a backlog.
 * @param policy - the admission policy
 * @returns the same policy, faster on a full cluster
 */
export function withVolumeGate(policy: AdmissionPolicy): AdmissionPolicy {
  return (ctx) => {
    const inst = ctx.instance;
    const resources = new Set<string>();
    for (const n of inst.nodes.values()) for (const r of n.capacity.keys()) resources.add(r);
    const left = new Map<string, number>([...resources].map((r) => [r, 0] as const));
    for (const n of inst.nodes.values()) if (n.state === 'online') for (const [r, c] of n.capacity) left.set(r, left.get(r)! + c);
    const offered = new Set(ctx.candidates.map((c) => c.id));
    const demandOf = new Map<string, Map<string, number>>();
    for (const v of inst.vms.values()) {
      const j = vjobOf(v);
      if (offered.has(j)) {
        const d = demandOf.get(j) ?? new Map<string, number>();
        for (const [r, x] of v.demand) d.set(r, (d.get(r) ?? 0) + x);
        demandOf.set(j, d);
      } else if (v.wants === 'running' || (v.wants === undefined && v.state === 'running')) {
        for (const [r, x] of v.demand) left.set(r, (left.get(r) ?? 0) - x);
      }
    }
    const admitted = new Set<string>();
    policy({
      instance: inst,
      candidates: ctx.candidates,
      tryRun(id) {
        if (admitted.has(id)) return true;
        const d = demandOf.get(id);
        if (d) for (const [r, x] of d) if (x > (left.get(r) ?? 0) + 1e-9) return false;
        const ok = ctx.tryRun(id);
        if (ok) {
          admitted.add(id);
          if (d) for (const [r, x] of d) left.set(r, (left.get(r) ?? 0) - x);
        }
        return ok;
      },
    });
  };
}

/**
 * Replaces the `reserved` constraints that cannot hold now (a VM of another vjob that will not
 * stop runs on the reserved nodes) by a `ban` of the other VMs that do not run there: nothing new
 * starts on the nodes until they are free.
 */
function softenClaims(instance: Instance, staying: (vm: Vm) => boolean): Instance {
  const out: Constraint[] = [];
  let changed = false;
  for (const c of instance.constraints) {
    if (c.type !== 'reserved') {
      out.push(c);
      continue;
    }
    const nodes = new Set(c.nodes);
    const blockers = [...instance.vms.values()].filter((v) => v.state === 'running' && v.host !== undefined && nodes.has(v.host) && vjobOf(v) !== c.vjob && staying(v));
    if (blockers.length === 0) {
      out.push(c);
      continue;
    }
    changed = true;
    const ban = [...instance.vms.values()].filter((v) => vjobOf(v) !== c.vjob && !(v.state === 'running' && v.host !== undefined && nodes.has(v.host))).map((v) => v.id);
    if (ban.length > 0) out.push({ type: 'ban', vms: ban, nodes: c.nodes });
  }
  return changed ? instance.set('constraints', instance.constraints.clear().push(...out)) : instance;
}

/**
 * First come first served without preemption, optionally killing best-effort vjobs in the way
 * of a claimed reservation.
 */
function fcfs(view: SimView, kill: boolean): Instance {
  const claimedNodes = new Set(view.claims.flatMap((c) => c.nodes));
  const killed = new Set<string>();
  if (kill) {
    for (const v of view.instance.vms.values()) {
      const j = view.jobs.get(vjobOf(v));
      if (j && j.bestEffort && !j.done && (v.state === 'running' || v.state === 'sleeping') && v.host !== undefined && claimedNodes.has(v.host)) killed.add(j.id);
    }
  }
  const root: VmId[] = [];
  let vmsMap = view.instance.vms;
  for (const v of view.instance.vms.values()) {
    if (v.wants !== undefined) continue;
    if (killed.has(vjobOf(v))) {
      if (v.state === 'running') vmsMap = vmsMap.set(v.id, v.set('wants', 'terminated'));
    } else if (v.state === 'running') {
      vmsMap = vmsMap.set(v.id, v.set('wants', 'running'));
      root.push(v.id);
    }
  }
  let instance = view.instance.set('vms', vmsMap);
  if (root.length > 0) instance = instance.set('constraints', instance.constraints.push({ type: 'root', vms: root }));
  return softenClaims(instance, (v) => !killed.has(vjobOf(v)));
}

/**
 * The `static` policy: first come first served (priority, then submission, with backfilling),
 * no preemption: running vjobs keep running where they are; a vjob, a reservation too, waits
 * until it fits.
 * @returns the policy
 * @example
 * ```ts
 * const r = await simulateWorkload(w, staticPolicy());
 * ```
 */
export function staticPolicy(): SimPolicy {
  return { name: 'static', plan: (view) => decide(fcfs(view, false), view.seed) };
}

/** Plans `instance` and returns it with its plan. */
async function decide(instance: Instance, seed: number, admission?: AdmissionPolicy): Promise<SimDecision> {
  return { instance, plan: await contextSwitchPlan(instance, seed, admission) };
}

/**
 * The `kill` policy (Grid'5000): as {@link staticPolicy}, but a best-effort vjob with a VM on
 * nodes a reservation claims is killed (shut down) and restarts from scratch later.
 * @returns the policy
 * @example
 * ```ts
 * const r = await simulateWorkload(w, killPolicy());
 * ```
 */
export function killPolicy(): SimPolicy {
  return { name: 'kill', plan: (view) => decide(fcfs(view, true), view.seed) };
}

/** Options of {@link switchPolicy}. */
export interface SwitchPolicyOptions {
  /** Seconds of progress between checkpoints (default 1800; 0: none). */
  readonly checkpointPeriod?: number;
  /**
   * Which vjobs are checkpointed: `all` vjobs with finite work (the default: reservations and
   * queued vjobs too), or `best-effort` ones only (VMdeploy's scope). See docs/decisions.md, D-rehome.
   */
  readonly checkpointScope?: 'best-effort' | 'all';
  /** The admission policy (default {@link priorityPolicy}). */
  readonly admission?: AdmissionPolicy;
}

/**
 * The `switch` policy: switchyard's cluster-wide context switch at every event: vjobs admitted
 * by priority (reservations first), best-effort vjobs suspended, migrated and resumed instead of
 * killed, and every vjob with finite work checkpointed periodically (docs/decisions.md, D-rehome).
 * @param options - checkpoint period and scope, admission policy
 * @returns the policy
 * @example
 * ```ts
 * const r = await simulateWorkload(w, switchPolicy({ checkpointPeriod: 3600 }));
 * ```
 */
export function switchPolicy(options: SwitchPolicyOptions = {}): SimPolicy {
  const period = options.checkpointPeriod ?? 1800;
  // Every vjob with finite work, reservations included: their loss at a node failure is progress
  // times their node count (docs/decisions.md, D-rehome).
  const scope = options.checkpointScope ?? 'all';
  return {
    name: 'switch',
    ...(period > 0 ? { checkpointPeriod: period, checkpointScope: scope } : {}),
    plan: (view) => decide(view.instance, view.seed, options.admission),
  };
}

/**
 * A built-in policy by name.
 * @param name - `static`, `kill` or `switch`
 * @returns the policy, or undefined for an unknown name
 * @example
 * ```ts
 * builtinPolicy('kill')?.name; // 'kill'
 * ```
 */
export function builtinPolicy(name: string): SimPolicy | undefined {
  switch (name) {
    case 'static':
      return staticPolicy();
    case 'kill':
      return killPolicy();
    case 'switch':
      return switchPolicy();
    default:
      return undefined;
  }
}
