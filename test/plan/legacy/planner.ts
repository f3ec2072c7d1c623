/** Frozen copy of src/plan/planner.ts before the speed work (issue 18): the oracle of test/plan/planner.legacy.test.ts. */
/**
 * The reconfiguration planner: from an instance (its source configuration) and a target
 * configuration, the timed actions that reach the target without overloading any node at any
 * instant, with their `after` dependencies.
 *
 * Steps: actions from the difference (build.ts), priorities, an event-driven list schedule that
 * breaks cycles of full nodes by detours or suspends (schedule.ts), the `after` sets (the
 * departures whose end made room, the precedences), and a makespan lower bound (bound.ts).
 */
import { SwitchyardError } from '../../../src/errors.js';
import type { Configuration } from '../../../src/model/configuration.js';
import { limitsOf, type Instance } from '../../../src/model/instance.js';
import { runningLoad } from '../../../src/model/indexed.js';
import type { Limits, ResolvedLimits } from '../../../src/model/objective.js';
import { makespanLowerBound } from '../../../src/plan/bound.js';
import { buildPlanGraph, type PlanProblem } from './build.js';
import { defaultDurationModel, type DurationModel } from '../../../src/plan/durations.js';
import { isArrival, isDeparture, KIND_TYPE, MIGRATE } from '../../../src/plan/graph.js';
import type { Schedule } from './schedule.js';
import { scheduleProblem } from './schedule.js';
import { targetFromConfiguration } from './target.js';
import type { FeasiblePlan, PlanStats, PlanTarget } from '../../../src/plan/types.js';
import type { Action, InfeasibleReason } from '../../../src/model/action.js';

/** Options of {@link buildPlan}. */
export interface PlannerOptions {
  /** How long each action takes (default: {@link defaultDurationModel} of the instance). */
  readonly durationModel?: DurationModel;
  /**
   * Concurrency limits replacing the instance's, field by field. Plans are verified against the
   * instance's own limits, so an override should only be stricter.
   */
  readonly limits?: Limits;
  /**
   * Check the target against every constraint, capacity and state rule first, and answer
   * `unplannable` with the violations when it breaks one (default true). Turn off only for
   * targets known to be valid (e.g. from a placement solver) to save time.
   */
  readonly validateTarget?: boolean;
  /**
   * How many VMs a cycle of full nodes costs. `minimal` (default): one VM per cycle (per strongly
   * connected set of nodes waiting on each other), the fewest extra actions; the cycle then
   * unwinds one move at a time through the single hole made, which can be slow when whole full
   * nodes trade many VMs. `parallel`: one VM at every node of the cycle that has VMs waiting to
   * arrive, so the cycle unwinds everywhere at once: more detours or suspends, a much shorter
   * makespan on large exchanges between full nodes.
   */
  readonly cycleBreaking?: 'minimal' | 'parallel';
}

/** Figures of a plan as the planner knows them. */
export interface PlannerStats {
  /** Number of `migrate` actions (detour legs included). */
  readonly migrations: number;
  /** MiB moved by migrations. */
  readonly migratedMemory: number;
  /** Seconds from the first start to the last end. */
  readonly makespan: number;
  /** A lower bound on the makespan of any schedule of these actions under the limits. */
  readonly makespanLowerBound: number;
  /** Cycles broken by a detour through a pivot node (one extra migration each). */
  readonly detours: number;
  /** Cycles broken by suspending a VM and resuming it at its target. */
  readonly suspends: number;
  /** VMs suspended and resumed (not migrated) because a continuous `among` set switches groups. */
  readonly groupSwitches: number;
}

/** A plan was found. */
export interface PlannedResult {
  readonly status: 'planned';
  /** Ordered by start time; ids 0..n-1 in that order. */
  readonly actions: readonly Action[];
  readonly stats: PlannerStats;
  /** Every VM and node of the instance, as the plan leaves them. */
  readonly target: PlanTarget;
}

/** No sequence of actions reaches the target (or the target itself is not acceptable). */
export interface UnplannableResult {
  readonly status: 'unplannable';
  readonly reasons: readonly InfeasibleReason[];
}

/** What {@link buildPlan} answers. */
export type PlannerResult = PlannedResult | UnplannableResult;

function resolveLimits(instance: Instance, override: Limits | undefined): ResolvedLimits {
  const base = limitsOf(instance);
  const merged = {
    maxParallelMigrations: override?.maxParallelMigrations ?? base.maxParallelMigrations,
    maxMigrationsPerNode: override?.maxMigrationsPerNode ?? base.maxMigrationsPerNode,
  };
  for (const [k, v] of Object.entries(merged)) {
    if (!(typeof v === 'number' && v >= 1 && (Number.isInteger(v) || v === Infinity))) {
      throw new SwitchyardError('invalid-options', [{ path: `limits.${k}`, message: `${k} must be a positive integer, got ${String(v)}` }]);
    }
  }
  return merged;
}

/**
 * Scheduling priorities: the longer the work that waits on an action, the earlier it starts.
 * An action's tail is its duration plus the longest tail of what waits for it: its explicit
 * successors, and (for a departure from a node that cannot take all its arrivals beside its
 * initial load) the arrivals on that node. Under a per-node migration limit, a migration also
 * counts the migration work of its busier node divided by the limit plus what must follow it, so
 * that the bottleneck nodes are kept busy and, among their migrations, those that something
 * else waits for (e.g. a node shutdown) go first.
 */
function priorities(p: PlanProblem): number[] {
  const g = p.graph;
  const n = g.size;
  const N = p.ix.nodeIds.length;
  const R = p.ix.resources.length;
  const dem = p.ix.demand;
  const cap = p.ix.effectiveCapacity;
  const L = p.limits.maxMigrationsPerNode;
  const G = p.limits.maxParallelMigrations;
  const work = new Float64Array(N);
  const incoming = runningLoad(p.ix);
  let total = 0;
  for (let a = 0; a < n; a++) {
    const k = g.kind[a]!;
    if (isArrival(k)) for (let r = 0; r < R; r++) incoming[g.to[a]! * R + r]! += dem[g.vm[a]! * R + r]!;
    if (k === MIGRATE) {
      work[g.from[a]!]! += g.dur[a]!;
      work[g.to[a]!]! += g.dur[a]!;
      total += g.dur[a]!;
    }
  }
  const needsRoom = new Uint8Array(N);
  for (let x = 0; x < N; x++) {
    for (let r = 0; r < R; r++) if (incoming[x * R + r]! > cap[x * R + r]! + 1e-9 * Math.max(1, cap[x * R + r]!)) needsRoom[x] = 1;
  }
  let tail = g.dur.slice();
  const arrivalTail = new Float64Array(N);
  for (let pass = 0; pass < 4; pass++) {
    arrivalTail.fill(0);
    for (let a = 0; a < n; a++) {
      if (isArrival(g.kind[a]!) && needsRoom[g.to[a]!]) arrivalTail[g.to[a]!] = Math.max(arrivalTail[g.to[a]!]!, tail[a]!);
    }
    const next = new Array<number>(n);
    for (let a = 0; a < n; a++) {
      let after = 0;
      for (const s of g.succs[a]!) after = Math.max(after, tail[s]!);
      if (isDeparture(g.kind[a]!)) after = Math.max(after, arrivalTail[g.from[a]!]!);
      next[a] = g.dur[a]! + after;
    }
    tail = next;
  }
  const out = new Array<number>(n);
  for (let a = 0; a < n; a++) {
    // If `a` were the last migration of its busiest node (or of the cluster), the plan would
    // end no earlier than that node's migration work under the limit plus what must follow `a`.
    let key = tail[a]!;
    if (g.kind[a] === MIGRATE) {
      const after = tail[a]! - g.dur[a]!;
      if (Number.isFinite(L)) key = Math.max(key, Math.max(work[g.from[a]!]!, work[g.to[a]!]!) / L + after);
      else if (Number.isFinite(G)) key = Math.max(key, total / G + after);
    }
    out[a] = key + 1e-6 * g.dur[a]!; // ties: longest first
  }
  return out;
}

/**
 * The `after` set of every action: its explicit predecessors; for an arrival on a node, the
 * departures from that node whose end made room for it (the fewest earliest-ending ones such
 * that the node's initial load, plus every arrival up to this one, minus them fits: so that the
 * plan stays safe when run by following `after` alone, whatever the actual durations); for an
 * arrival of a spread member, the departures of the other members from that node.
 */
function afterSets(p: PlanProblem, s: Schedule): number[][] {
  const g = p.graph;
  const n = g.size;
  const N = p.ix.nodeIds.length;
  const R = p.ix.resources.length;
  const dem = p.ix.demand;
  const cap = p.ix.effectiveCapacity;
  const after: number[][] = g.preds.map((q) => [...q]);
  const arrivals: number[][] = Array.from({ length: N }, () => []);
  const departures: number[][] = Array.from({ length: N }, () => []);
  for (let a = 0; a < n; a++) {
    const k = g.kind[a]!;
    if (isArrival(k)) arrivals[g.to[a]!]!.push(a);
    if (isDeparture(k)) departures[g.from[a]!]!.push(a);
  }
  const init = runningLoad(p.ix);
  const load = new Float64Array(R);
  const shares = (v: number, w: number): boolean => {
    const a = p.spreadOf[v]!;
    if (a.length === 0) return false;
    const b = p.spreadOf[w]!;
    return a.some((x) => b.includes(x));
  };
  for (let x = 0; x < N; x++) {
    const arr = arrivals[x]!;
    const dep = departures[x]!;
    if (arr.length === 0 || dep.length === 0) continue;
    arr.sort((a, b) => s.startSeq[a]! - s.startSeq[b]!);
    dep.sort((a, b) => s.endSeq[a]! - s.endSeq[b]!);
    for (let r = 0; r < R; r++) load[r] = init[x * R + r]!;
    let k = 0; // departures counted as freed
    let q = 0; // departures ended before the current arrival started
    for (const a of arr) {
      const v = g.vm[a]!;
      for (let r = 0; r < R; r++) load[r]! += dem[v * R + r]!;
      while (q < dep.length && s.endSeq[dep[q]!]! < s.startSeq[a]!) q++;
      const over = (): boolean => {
        for (let r = 0; r < R; r++) {
          const c = cap[x * R + r]!;
          if (load[r]! > c + 1e-9 * Math.max(1, Math.abs(c))) return true;
        }
        return false;
      };
      while (k < q && over()) {
        const w = g.vm[dep[k]!]!;
        for (let r = 0; r < R; r++) load[r]! -= dem[w * R + r]!;
        k++;
      }
      const list = after[a]!;
      for (let j = 0; j < k; j++) list.push(dep[j]!);
      if (p.spreadOf[v]!.length > 0) for (let j = k; j < q; j++) if (shares(v, g.vm[dep[j]!]!)) list.push(dep[j]!);
    }
  }
  return after;
}

/** Rounds a time to the microsecond (monotone: order and ties between times are kept or merged, never inverted). */
function micro(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

/**
 * Plans the reconfiguration from the instance's source configuration to `target`: the actions
 * (FORMAT.md), timed by an event-driven list scheduler under capacity at every instant, the
 * continuous constraints (`spread`, `root`, `quarantine`, continuous `ban`/`fence`/`among`) and
 * the limits, with cycles of full nodes broken by a detour through a pivot node or by a
 * suspend/resume (the cheaper by the duration model). Deterministic: the same inputs give the
 * same plan.
 *
 * Returns `unplannable` with reasons when the target is not acceptable (see
 * {@link PlannerOptions.validateTarget}), asks for a transition no action makes (running →
 * waiting, a sleeping VM moving without running, a shutdown nothing asked for, ...), breaks
 * `root`/`quarantine`, or when a cycle cannot be broken.
 *
 * @param instance - the instance; its VMs and nodes are the source
 * @param target - the configuration to reach (VMs or nodes it omits keep their source state)
 * @param options - duration model, limits, target validation, cycle breaking
 * @returns the plan's actions, stats and target, or the reasons
 * @throws SwitchyardError `invalid-options` for bad limits or cycleBreaking, or a duration model returning a non-finite or negative value
 * @example
 * ```ts
 * const r = buildPlan(instance, placement.target);
 * if (r.status === 'planned') console.log(r.actions.length, r.stats.makespan, r.stats.makespanLowerBound);
 * else for (const why of r.reasons) console.error(why.message);
 * ```
 */
export function buildPlan(instance: Instance, target: Configuration, options: PlannerOptions = {}): PlannerResult {
  const limits = resolveLimits(instance, options.limits);
  const model = options.durationModel ?? defaultDurationModel(instance);
  const built = buildPlanGraph(instance, target, model, limits, options.validateTarget ?? true);
  if (!built.ok) return { status: 'unplannable', reasons: built.reasons };
  const p = built.problem;
  const mode = options.cycleBreaking ?? 'minimal';
  if (mode !== 'minimal' && mode !== 'parallel') {
    throw new SwitchyardError('invalid-options', [{ path: 'cycleBreaking', message: `cycleBreaking must be "minimal" or "parallel", got ${String(mode)}` }]);
  }
  const scheduled = scheduleProblem(p, priorities(p), mode === 'parallel');
  if (!scheduled.ok) return { status: 'unplannable', reasons: scheduled.reasons };
  const s = scheduled.schedule;
  const g = p.graph;
  const n = g.size;

  const order = Array.from({ length: n }, (_, a) => a).sort((a, b) => s.startSeq[a]! - s.startSeq[b]!);
  const idOf = new Int32Array(n);
  order.forEach((a, i) => (idOf[a] = i));
  const after = afterSets(p, s);
  const ix = p.ix;
  let migrations = 0;
  let migratedMemory = 0;
  let first = Infinity;
  let last = 0;
  const actions: Action[] = order.map((a, id) => {
    const start = micro(s.start[a]!);
    const end = micro(s.end[a]!);
    first = Math.min(first, start);
    last = Math.max(last, end);
    const deps = [...new Set(after[a]!.map((q) => idOf[q]!))].sort((x, y) => x - y);
    const base = { id, start, end, ...(deps.length > 0 ? { after: deps } : {}) };
    const vm = ix.vmIds[g.vm[a]!]!;
    const from = ix.nodeIds[g.from[a]!]!;
    const to = ix.nodeIds[g.to[a]!]!;
    switch (KIND_TYPE[g.kind[a]!]!) {
      case 'migrate':
        migrations++;
        migratedMemory += p.vmMemory[g.vm[a]!]!;
        return { ...base, type: 'migrate', vm, from, to };
      case 'boot':
        return { ...base, type: 'boot', vm, to };
      case 'shutdown':
        return { ...base, type: 'shutdown', vm, from };
      case 'suspend':
        return { ...base, type: 'suspend', vm, from };
      case 'resume':
        return { ...base, type: 'resume', vm, from, to };
      case 'bootNode':
        return { ...base, type: 'bootNode', node: to };
      case 'shutdownNode':
        return { ...base, type: 'shutdownNode', node: from };
    }
  });
  const makespan = n === 0 ? 0 : micro(last - first);
  const bound = Math.min(makespan, Math.floor(makespanLowerBound(p, order) * 1e6) / 1e6);
  return {
    status: 'planned',
    actions,
    stats: {
      migrations, migratedMemory, makespan, makespanLowerBound: bound, detours: s.detours, suspends: s.suspends, groupSwitches: p.groupSwitches,
    },
    target: targetFromConfiguration(instance, target),
  };
}

/**
 * Wraps a planner result into an exchange-format plan: `nodesUsed` counted from the target, the
 * placement's figures and status supplied by the caller, the planner's extra figures
 * (`makespanLowerBound`, `detours`, `suspends`, `groupSwitches`) under `stats.x`.
 * @param result - a planned result of {@link buildPlan}
 * @param info - placement status and node lower bound, and the time spent
 * @returns the feasible plan
 * @example
 * ```ts
 * const plan = assemblePlan(r, { status: 'feasible', lowerBound: placement.lowerBound, solveMs, planMs });
 * ```
 */
export function assemblePlan(
  result: PlannedResult,
  info: { readonly status: 'optimal' | 'feasible'; readonly lowerBound: number; readonly solveMs: number; readonly planMs: number },
): FeasiblePlan {
  const used = new Set<string>();
  for (const t of Object.values(result.target.vms)) {
    if (t.state === 'running' && t.host !== undefined && result.target.nodes[t.host] === 'online') used.add(t.host);
  }
  const stats: PlanStats = {
    nodesUsed: used.size,
    lowerBound: info.lowerBound,
    migrations: result.stats.migrations,
    migratedMemory: result.stats.migratedMemory,
    makespan: result.stats.makespan,
    solveMs: info.solveMs,
    planMs: info.planMs,
    x: {
      makespanLowerBound: result.stats.makespanLowerBound,
      detours: result.stats.detours,
      suspends: result.stats.suspends,
      groupSwitches: result.stats.groupSwitches,
    },
  };
  return { version: 1, status: info.status, actions: result.actions, target: result.target, stats };
}
