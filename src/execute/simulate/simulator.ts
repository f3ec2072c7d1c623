/**
 * The discrete-event simulator: plays a {@link Workload} in virtual time under a policy.
 *
 * Semantics (docs/format.md, "Workload over time", "Simulation semantics"):
 * - a vjob's work progresses only while all its VMs run and none is being suspended or shut
 *   down; a suspended vjob keeps its progress; a killed or lost one goes back to its last
 *   checkpoint (zero without checkpoints), and the progress discarded is counted as lost;
 * - at every event (arrival, reservation claim and start, vjob completion, node failure,
 *   repair, and the end of a plan that killed vjobs) the policy is asked for a plan once the
 *   actions in flight have ended; the plan is carried out by a {@link PlanCarrier} (default: its
 *   own timing, the duration model); an event cancels the actions of the current plan that have
 *   not started yet (those in flight run to their end);
 * - a reservation's nodes are claimed from `start - lead` (a `reserved` constraint) until its
 *   vjob finishes (an earlier reservation still running keeps the nodes it shares with a later
 *   one); its vjob is submitted at `start` and its lease ends at `end + tolerance` at the latest
 *   (done or not); it is on time when all its VMs run by `start + tolerance`;
 * - a node failure strikes once the actions in flight have ended: the vjobs with a VM or an image
 *   on it are lost (their other VMs stop at once); a repair brings the node back online, empty;
 * - before every decision, a claimed reservation holding a failed node is re-homed on a spare of
 *   the same capacity when one exists (`rehomeClaims`, ./rehome.ts; docs/format.md, "Re-homing").
 *
 * Pure and deterministic: no clock, no I/O; the same workload, policy and seed give the same result.
 */
import type { Constraint } from '../../model/constraints.js';
import type { NodeId, VjobId, VmId } from '../../model/ids.js';
import { SwitchyardError } from '../../errors.js';
import { makeInstance, sourceConfiguration, type Instance } from '../../model/instance.js';
import type { VmInit, VmState } from '../../model/vm.js';
import { DEFAULT_LEAD, DEFAULT_TOLERANCE, type Workload, type WorkloadJob } from '../../model/workload.js';
import type { FeasiblePlan } from '../../plan/types.js';
import type { Action } from '../../model/action.js';
import { rehomeClaims, type RehomeReservation } from './rehome.js';
import type {
  CarriedAction,
  Occupancy,
  PlanCarrier,
  SimClaim,
  SimJobOutcome,
  SimJobView,
  SimMetrics,
  SimPolicy,
  SimStep,
  SimulationResult,
} from './types.js';

/** Options of {@link simulateWorkload}. */
export interface SimulateOptions {
  /** Seed of the decisions (default 1). */
  readonly seed?: number;
  /** How plans are carried out (default {@link replayPlanTiming}). */
  readonly carrier?: PlanCarrier;
  /** Called with every decision (instance and plan), e.g. to verify each plan. */
  readonly onStep?: (step: SimStep) => void;
  /** Record the occupancy of every node (default false). */
  readonly trace?: boolean;
  /** At most this many decisions (default 100,000): a guard against a policy that never settles. */
  readonly maxDecisions?: number;
  /**
   * Re-home a claimed reservation's failed node on a spare of the same capacity (default true;
   * docs/format.md, "Re-homing"). False: a failed node is not replaced (the reservation waits for it).
   */
  readonly rehome?: boolean;
}

/**
 * The default {@link PlanCarrier}: every action runs exactly when the plan says.
 * @param _instance - the instance the plan was made for
 * @param plan - the plan
 * @returns its actions with their own start and end
 * @example
 * ```ts
 * const carried = replayPlanTiming(instance, plan);
 * ```
 */
export function replayPlanTiming(_instance: Instance, plan: FeasiblePlan): readonly CarriedAction[] {
  return plan.actions.map((action) => ({ action, start: action.start, end: action.end }));
}

const EPS = 1e-6;

interface VmRec {
  readonly id: VmId;
  readonly job: VjobId;
  readonly demand: Readonly<Record<string, number>>;
  state: VmState;
  host: NodeId | undefined;
  /** In a suspend or shutdown: not computing. */
  stopping: boolean;
  /** Where it is present since when (for the trace). */
  present: Map<NodeId, number>;
}

interface JobRec {
  readonly id: VjobId;
  readonly vms: VmId[];
  readonly work: number;
  readonly bestEffort: boolean;
  readonly priority: number;
  readonly reservation: SimClaim | undefined;
  arrival: number;
  arrived: boolean;
  progress: number;
  computed: number;
  discarded: number;
  aborts: number;
  finished: number | undefined;
  firstRun: number | undefined;
}

type Timeline =
  | { readonly time: number; readonly kind: 'arrival'; readonly job: VjobId }
  | { readonly time: number; readonly kind: 'claim' | 'expire'; readonly job: VjobId }
  | { readonly time: number; readonly kind: 'failure' | 'repair'; readonly node: NodeId };

interface Scheduled {
  readonly action: Action;
  readonly start: number;
  readonly end: number;
}

/** The percentile `p` (0..1) of `xs` (nearest rank); 0 for an empty list. */
function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * Simulates `workload` under `policy` (see the module comment for the semantics).
 *
 * @param workload - the workload
 * @param policy - the policy asked for a plan at every event
 * @param options - seed, plan carrier, hooks
 * @returns the metrics and per-vjob outcomes (and the occupancy trace when asked)
 * @throws SwitchyardError `invalid-argument` when the policy plans for another configuration
 *   than the simulated one (a bug of the policy)
 * @example
 * ```ts
 * const r = await simulateWorkload(besteffortWorkload({ nodes: 16, vms: 64, seed: 1 }), switchPolicy());
 * console.log(r.metrics.lostComputeSeconds, r.metrics.reservationsLate);
 * ```
 */
export async function simulateWorkload(workload: Workload, policy: SimPolicy, options: SimulateOptions = {}): Promise<SimulationResult> {
  const seed = options.seed ?? 1;
  const carrier = options.carrier ?? replayPlanTiming;
  const maxDecisions = options.maxDecisions ?? 100_000;
  const lead = workload.lead ?? DEFAULT_LEAD;
  const tolerance = workload.tolerance ?? DEFAULT_TOLERANCE;
  const base = workload.instance;
  const cpuOf = (d: Readonly<Record<string, number>>): number => d['cpu'] ?? 0;

  // ---- state
  const vms = new Map<VmId, VmRec>();
  const jobs = new Map<VjobId, JobRec>();
  const nodeOnline = new Map<NodeId, boolean>([...base.nodes.values()].map((n) => [n.id, n.state === 'online'] as const));
  const nodeCpu = new Map<NodeId, number>([...base.nodes.values()].map((n) => [n.id, n.capacity.get('cpu') ?? 0] as const));
  const failed = new Set<NodeId>();
  const claimed = new Set<VjobId>();
  /** Reservations that start while one of their nodes is down. */
  const blockedByFailure = new Set<VjobId>();
  // ---- re-homing hook (logic in ./rehome.ts): each reservation's nodes now, its window, its substitutions
  const homes = new Map<VjobId, readonly NodeId[]>();
  const windows = new Map<VjobId, { readonly announced: number; readonly from: number; readonly to: number }>();
  const rehomed = new Map<VjobId, { time: number; from: NodeId; to: NodeId }[]>();
  const homeOf = (j: JobRec): readonly NodeId[] => homes.get(j.id) ?? j.reservation?.nodes ?? [];
  const trace: Occupancy[] = [];

  const addJob = (j: WorkloadJob, arrival: number, reservation: SimClaim | undefined, arrived: boolean): void => {
    jobs.set(j.id, {
      id: j.id,
      vms: j.vms.map((v) => v.id),
      work: j.work,
      bestEffort: j.bestEffort ?? false,
      priority: j.priority ?? 0,
      reservation,
      arrival,
      arrived,
      progress: 0,
      computed: 0,
      discarded: 0,
      aborts: 0,
      finished: undefined,
      firstRun: undefined,
    });
    for (const v of j.vms) vms.set(v.id, { id: v.id, job: j.id, demand: v.demand, state: 'waiting', host: undefined, stopping: false, present: new Map() });
  };
  // The instance's own VMs and vjobs.
  for (const v of base.vms.values()) {
    if (v.state === 'terminated') continue;
    const job = v.vjob ?? v.id;
    if (!jobs.has(job)) {
      const decl = base.vjobs.get(job);
      jobs.set(job, {
        id: job,
        vms: [],
        work: workload.work[job] ?? Infinity,
        bestEffort: decl?.bestEffort ?? false,
        priority: decl?.priority ?? 0,
        reservation: undefined,
        arrival: 0,
        arrived: true,
        progress: 0,
        computed: 0,
        discarded: 0,
        aborts: 0,
        finished: undefined,
        firstRun: undefined,
      });
    }
    jobs.get(job)!.vms.push(v.id);
    const rec: VmRec = { id: v.id, job, demand: Object.fromEntries(v.demand), state: v.state, host: v.host, stopping: false, present: new Map() };
    if (v.state === 'running' && v.host !== undefined) rec.present.set(v.host, 0);
    vms.set(v.id, rec);
  }
  const timeline: Timeline[] = [];
  for (const e of workload.events) {
    if (e.type === 'arrival') {
      addJob(e.job, e.time, undefined, false);
      timeline.push({ time: e.time, kind: 'arrival', job: e.job.id });
    } else if (e.type === 'reservation') {
      addJob(e.job, e.start, { vjob: e.job.id, nodes: e.nodes, start: e.start, end: e.end }, false);
      windows.set(e.job.id, { announced: e.time, from: Math.max(e.time, e.start - lead), to: e.end + tolerance });
      timeline.push({ time: Math.max(e.time, e.start - lead), kind: 'claim', job: e.job.id });
      timeline.push({ time: e.start, kind: 'arrival', job: e.job.id });
      timeline.push({ time: e.end + tolerance, kind: 'expire', job: e.job.id });
    } else {
      timeline.push({ time: e.time, kind: e.type, node: e.node });
    }
  }
  // Stable by time; at equal times failures and repairs first, then lease ends, claims, arrivals.
  const rank = { failure: 0, repair: 1, expire: 2, claim: 3, arrival: 4 } as const;
  const order = timeline.map((e, i) => [e, i] as const).sort((a, b) => a[0].time - b[0].time || rank[a[0].kind] - rank[b[0].kind] || a[1] - b[1]);
  const events = order.map(([e]) => e);

  // ---- figures
  let lost = 0;
  let lostBestEffort = 0;
  let migrations = 0;
  let suspends = 0;
  let resumes = 0;
  let kills = 0;
  let migratedMemory = 0;
  let suspendedMemory = 0;
  let resumedMemory = 0;
  let nodeSeconds = 0;
  let cpuBusy = 0;
  let cpuOnline = 0;
  let decisions = 0;
  let infeasible = 0;

  const mem = (vm: VmId): number => vms.get(vm)?.demand['memory'] ?? 0;
  const open = (v: VmRec, node: NodeId, t: number): void => {
    if (!v.present.has(node)) v.present.set(node, t);
  };
  const close = (v: VmRec, node: NodeId, t: number): void => {
    const since = v.present.get(node);
    if (since === undefined) return;
    v.present.delete(node);
    if (options.trace && t > since) trace.push({ vm: v.id, vjob: v.job, node, from: since, to: t });
  };

  const computing = (j: JobRec): boolean =>
    j.arrived &&
    j.finished === undefined &&
    j.vms.length > 0 &&
    j.vms.every((id) => {
      const v = vms.get(id)!;
      return v.state === 'running' && !v.stopping;
    });

  const checkpointOf = (j: JobRec): number => {
    const period = policy.checkpointPeriod;
    const scoped = j.bestEffort || policy.checkpointScope === 'all';
    return period !== undefined && period > 0 && scoped ? Math.floor((j.progress + EPS) / period) * period : 0;
  };
  /** The vjob is killed or lost: back to its last checkpoint, every VM waiting again. */
  const abort = (j: JobRec, t: number): void => {
    const back = Math.min(j.progress, checkpointOf(j));
    const discarded = j.progress - back;
    if (Number.isFinite(j.work)) {
      lost += discarded * j.vms.length;
      if (j.bestEffort) lostBestEffort += discarded * j.vms.length;
      j.discarded += discarded;
    }
    j.progress = back;
    j.aborts++;
    for (const id of j.vms) {
      const v = vms.get(id)!;
      for (const n of [...v.present.keys()]) close(v, n, t);
      v.state = 'waiting';
      v.host = undefined;
      v.stopping = false;
    }
  };

  // ---- re-homing hook: claimed reservations holding a failed node get a spare (./rehome.ts)
  const rehomeNow = (t: number): void => {
    if (options.rehome === false || (failed.size === 0 && rehomed.size === 0)) return;
    const window = (j: JobRec): RehomeReservation => ({ vjob: j.id, nodes: homeOf(j), from: windows.get(j.id)!.from, to: windows.get(j.id)!.to, original: j.reservation!.nodes });
    const resv = [...jobs.values()].filter((j) => j.reservation !== undefined && j.finished === undefined);
    const claims = resv.filter((j) => claimed.has(j.id)).map(window);
    const load = new Map<NodeId, number>();
    for (const v of vms.values()) if (v.state === 'running' && v.host !== undefined) load.set(v.host, (load.get(v.host) ?? 0) + (v.demand['memory'] ?? 0));
    const r = rehomeClaims({
      claims,
      others: resv.filter((j) => !claimed.has(j.id) && windows.get(j.id)!.announced <= t + EPS).map(window),
      nodes: [...base.nodes.values()].map((n) => ({ id: n.id, capacity: n.capacity, online: nodeOnline.get(n.id) === true, load: load.get(n.id) ?? 0 })),
      failed,
    });
    for (const s of r.substitutions) {
      homes.set(s.vjob, r.nodes.get(s.vjob)!);
      const list = rehomed.get(s.vjob) ?? [];
      list.push({ time: t, from: s.from, to: s.to });
      rehomed.set(s.vjob, list);
    }
  };

  // ---- the instance a policy sees
  const buildView = (t: number): { instance: Instance; claims: SimClaim[]; views: Map<VjobId, SimJobView> } => {
    const vmInits: VmInit[] = [];
    const views = new Map<VjobId, SimJobView>();
    const vjobs = [];
    for (const j of jobs.values()) {
      if (!j.arrived) continue;
      const done = j.finished !== undefined;
      const alive = j.vms.filter((id) => vms.get(id)!.state !== 'terminated');
      if (done && alive.length === 0) continue;
      views.set(j.id, {
        id: j.id,
        bestEffort: j.bestEffort,
        priority: j.priority,
        reservation: j.reservation !== undefined,
        work: j.work,
        progress: j.progress,
        arrival: j.arrival,
        done,
      });
      vjobs.push({ id: j.id, priority: j.priority, submitted: j.arrival, bestEffort: j.bestEffort });
      for (const id of alive) {
        const v = vms.get(id)!;
        const own = base.vms.get(id)?.durations;
        vmInits.push({
          id,
          demand: v.demand,
          state: v.state,
          ...(v.host !== undefined && (v.state === 'running' || v.state === 'sleeping') ? { host: v.host } : {}),
          vjob: j.id,
          ...(done ? { wants: 'terminated' as const } : {}),
          ...(own !== undefined ? { durations: own } : {}),
        });
      }
    }
    const present = new Set(vmInits.map((v) => v.id));
    const constraints: Constraint[] = [];
    for (const c of base.constraints) {
      if ('vms' in c && Array.isArray(c.vms)) {
        const kept = (c.vms as readonly VmId[]).filter((id) => present.has(id));
        if (kept.length === 0) continue;
        constraints.push({ ...c, vms: kept } as Constraint);
      } else constraints.push(c);
    }
    const claims: SimClaim[] = [];
    // Earlier reservations first: a late one still holding nodes that a later one claims keeps them.
    const active = [...claimed].map((id) => jobs.get(id)!).filter((j) => j.finished === undefined && j.reservation !== undefined);
    active.sort((a, b) => a.reservation!.start - b.reservation!.start);
    const taken = new Set<NodeId>();
    for (const j of active) {
      const id = j.id;
      if (j.reservation === undefined) continue;
      const home = homeOf(j); // re-homing hook: the reservation's nodes after substitutions
      claims.push(home === j.reservation.nodes ? j.reservation : { ...j.reservation, nodes: home });
      const mineNodes = home.filter((n) => !taken.has(n));
      for (const n of home) taken.add(n);
      if (mineNodes.length > 0) constraints.push({ type: 'reserved', nodes: mineNodes, vjob: id });
      const mine = j.vms.filter((v) => present.has(v));
      if (j.arrived && mine.length > 0) constraints.push({ type: 'fence', vms: mine, nodes: home });
    }
    if (failed.size > 0) constraints.push({ type: 'offline', nodes: [...failed] });
    const instance = makeInstance({
      nodes: [...base.nodes.values()].map((n) => ({
        id: n.id,
        capacity: Object.fromEntries(n.capacity),
        state: nodeOnline.get(n.id) && !failed.has(n.id) ? 'online' : 'offline',
        ...(n.site !== undefined ? { site: n.site } : {}),
        ...(n.labels.size > 0 ? { labels: Object.fromEntries(n.labels) } : {}),
        ...(n.durations !== undefined ? { durations: n.durations } : {}),
      })),
      vms: vmInits,
      vjobs,
      constraints,
      ...(base.objective !== undefined ? { objective: base.objective } : {}),
      ...(base.durations !== undefined ? { durations: base.durations } : {}),
      ...(base.limits !== undefined ? { limits: base.limits } : {}),
    });
    return { instance, claims, views };
  };

  // ---- action effects
  const startAction = (a: Action, t: number): void => {
    switch (a.type) {
      case 'migrate': {
        migrations++;
        migratedMemory += mem(a.vm);
        const v = vms.get(a.vm);
        if (v) open(v, a.to, t);
        break;
      }
      case 'boot': {
        const v = vms.get(a.vm);
        if (v) open(v, a.to, t);
        break;
      }
      case 'resume': {
        resumes++;
        resumedMemory += mem(a.vm);
        const v = vms.get(a.vm);
        if (v) open(v, a.to, t);
        break;
      }
      case 'suspend':
      case 'shutdown': {
        if (a.type === 'suspend') {
          suspends++;
          suspendedMemory += mem(a.vm);
        }
        const v = vms.get(a.vm);
        if (v) v.stopping = true;
        break;
      }
      case 'shutdownNode':
        nodeOnline.set(a.node, false);
        break;
      case 'bootNode':
        break;
    }
  };
  let killedSinceDecision = false;
  const endAction = (a: Action, t: number): void => {
    switch (a.type) {
      case 'migrate': {
        const v = vms.get(a.vm)!;
        close(v, a.from, t);
        v.host = a.to;
        break;
      }
      case 'boot':
      case 'resume': {
        const v = vms.get(a.vm)!;
        v.state = 'running';
        v.host = a.to;
        break;
      }
      case 'suspend': {
        const v = vms.get(a.vm)!;
        close(v, a.from, t);
        v.state = 'sleeping';
        v.stopping = false;
        break;
      }
      case 'shutdown': {
        const v = vms.get(a.vm)!;
        close(v, a.from, t);
        v.state = 'terminated';
        v.host = undefined;
        v.stopping = false;
        const j = jobs.get(v.job)!;
        if (j.finished === undefined && j.vms.every((id) => vms.get(id)!.state === 'terminated')) {
          kills++;
          abort(j, t);
          killedSinceDecision = true;
        }
        break;
      }
      case 'bootNode':
        nodeOnline.set(a.node, true);
        break;
      case 'shutdownNode':
        break;
    }
  };

  // ---- the loop
  let t = 0;
  let next = 0; // next timeline event
  let scheduled: Scheduled[] = [];
  let inflight: Scheduled[] = [];
  const pendingNode: Timeline[] = [];
  let needDecision = true;
  const horizon = workload.horizon ?? Infinity;

  const applyNodeEvent = (e: Timeline): void => {
    if (e.kind === 'failure') {
      if (failed.has(e.node)) return;
      failed.add(e.node);
      for (const j of jobs.values()) {
        if (!j.arrived || j.finished !== undefined) continue;
        const hit = j.vms.some((id) => {
          const v = vms.get(id)!;
          return (v.state === 'running' || v.state === 'sleeping') && v.host === e.node;
        });
        if (hit) abort(j, t);
      }
      // Finished vjobs' VMs still on the node are simply gone.
      for (const v of vms.values()) {
        if ((v.state === 'running' || v.state === 'sleeping') && v.host === e.node) {
          v.state = 'terminated';
          v.host = undefined;
        }
      }
      for (const v of vms.values()) close(v, e.node, t);
    } else if (e.kind === 'repair') {
      failed.delete(e.node);
      nodeOnline.set(e.node, true);
    }
  };

  for (;;) {
    if (inflight.length === 0 && pendingNode.length > 0) {
      for (const e of pendingNode.splice(0)) applyNodeEvent(e);
      needDecision = true;
    }
    if (inflight.length === 0 && (needDecision || killedSinceDecision) && scheduled.length === 0) {
      needDecision = false;
      killedSinceDecision = false;
      if (++decisions > maxDecisions) break;
      rehomeNow(t); // re-homing hook
      const view = buildView(t);
      const decision = await policy.plan({ time: t, instance: view.instance, jobs: view.views, claims: view.claims, failed: new Set(failed), seed: (seed * 7919 + decisions) | 0 });
      const plan = decision.plan;
      if (!sourceConfiguration(decision.instance).equals(sourceConfiguration(view.instance))) {
        throw new SwitchyardError('invalid-argument', [{ path: `policy ${policy.name}`, message: `at t=${t} the policy planned for another configuration than the simulated one` }]);
      }
      options.onStep?.({ time: t, instance: decision.instance, view: view.instance, plan });
      if (plan.status === 'infeasible') infeasible++;
      if (plan.status !== 'infeasible') {
        scheduled = (await carrier(decision.instance, plan))
          .map((c) => ({ action: c.action, start: t + c.start, end: t + c.end }))
          .sort((a, b) => a.start - b.start || a.action.id - b.action.id);
      }
    }
    // Next instant.
    let tNext = Infinity;
    const nextEvent = events[next];
    if (nextEvent !== undefined) tNext = Math.min(tNext, nextEvent.time);
    for (const s of scheduled) tNext = Math.min(tNext, s.start);
    for (const s of inflight) tNext = Math.min(tNext, s.end);
    const running: JobRec[] = [];
    for (const j of jobs.values()) if (computing(j)) running.push(j);
    for (const j of running) tNext = Math.min(tNext, t + (j.work - j.progress));
    const stopAt = Math.min(tNext, horizon);
    if (!Number.isFinite(stopAt)) break;
    // Advance to stopAt.
    const dt = Math.max(0, stopAt - t);
    if (dt > 0) {
      for (const j of running) {
        j.progress = Math.min(j.work, j.progress + dt);
        j.computed += dt;
        for (const id of j.vms) cpuBusy += cpuOf(vms.get(id)!.demand) * dt;
      }
      for (const [n, on] of nodeOnline) {
        if (on && !failed.has(n)) {
          nodeSeconds += dt;
          cpuOnline += (nodeCpu.get(n) ?? 0) * dt;
        }
      }
    }
    t = stopAt;
    if (t >= horizon) break;
    // Action ends, then starts.
    const ending = inflight.filter((s) => s.end <= t + EPS);
    inflight = inflight.filter((s) => s.end > t + EPS);
    for (const s of ending) endAction(s.action, t);
    const starting = scheduled.filter((s) => s.start <= t + EPS);
    scheduled = scheduled.filter((s) => s.start > t + EPS);
    for (const s of starting) {
      startAction(s.action, t);
      if (s.end <= t + EPS) endAction(s.action, t);
      else inflight.push(s);
    }
    // Completions and first runs.
    for (const j of jobs.values()) {
      if (!j.arrived || j.finished !== undefined) continue;
      if (j.firstRun === undefined && computing(j)) j.firstRun = t;
      if (j.progress >= j.work - EPS) {
        j.progress = j.work;
        j.finished = t;
        needDecision = true;
      }
    }
    // Timeline events at t.
    while (events[next] !== undefined && events[next]!.time <= t + EPS) {
      const e = events[next++]!;
      needDecision = true;
      if (e.kind === 'arrival') {
        const j = jobs.get(e.job)!;
        j.arrived = true;
        if (j.reservation !== undefined) rehomeNow(t); // re-homing hook
        if (j.reservation !== undefined && homeOf(j).some((n) => failed.has(n) || pendingNode.some((p) => p.kind === 'failure' && p.node === n))) {
          blockedByFailure.add(j.id);
        }
      } else if (e.kind === 'claim') claimed.add(e.job);
      else if (e.kind === 'expire') {
        const j = jobs.get(e.job)!;
        if (j.finished === undefined) {
          j.finished = t;
          // VMs that never started, or sleep, are simply dropped; running ones are shut down.
          for (const id of j.vms) {
            const v = vms.get(id)!;
            if (v.state === 'waiting' || v.state === 'sleeping') {
              for (const n of [...v.present.keys()]) close(v, n, t);
              v.state = 'terminated';
              v.host = undefined;
            }
          }
        }
      }
      else pendingNode.push(e);
    }
    if (needDecision || pendingNode.length > 0) scheduled = [];
  }
  for (const v of vms.values()) for (const n of [...v.present.keys()]) close(v, n, t);

  // ---- metrics
  const outcomes: SimJobOutcome[] = [...jobs.values()].map((j) => ({
    id: j.id,
    bestEffort: j.bestEffort,
    reservation: j.reservation !== undefined,
    work: j.work,
    arrival: j.arrival,
    ...(j.finished !== undefined ? { finished: j.finished } : {}),
    computed: j.computed,
    discarded: j.discarded,
    aborts: j.aborts,
    ...(j.firstRun !== undefined ? { firstRun: j.firstRun } : {}),
    ...(rehomed.has(j.id) ? { rehomed: rehomed.get(j.id)!, nodes: homeOf(j) } : {}),
  }));
  const finite = [...jobs.values()].filter((j) => Number.isFinite(j.work));
  const completion = (j: JobRec): number => j.finished! - j.arrival;
  const others = finite.filter((j) => !j.bestEffort && j.finished !== undefined).map(completion);
  const be = finite.filter((j) => j.bestEffort && j.finished !== undefined).map(completion);
  const resv = [...jobs.values()].filter((j) => j.reservation !== undefined);
  let late = 0;
  let lateFailure = 0;
  let delay = 0;
  for (const j of resv) {
    const start = j.reservation!.start;
    const first = j.firstRun ?? t;
    if (j.firstRun === undefined || j.firstRun > start + tolerance + EPS) {
      late++;
      if (blockedByFailure.has(j.id)) lateFailure++;
    }
    delay += Math.max(0, first - start);
  }
  const metrics: SimMetrics = {
    lostComputeSeconds: lost,
    meanCompletion: mean(others),
    p95Completion: percentile(others, 0.95),
    meanCompletionBestEffort: mean(be),
    utilization: cpuOnline > 0 ? cpuBusy / cpuOnline : 0,
    migrations,
    suspends,
    resumes,
    nodeHours: nodeSeconds / 3600,
    reservationsLate: late,
    x: {
      lostBestEffortSeconds: lostBestEffort,
      migratedMemory,
      suspendedMemory,
      resumedMemory,
      kills,
      p95CompletionBestEffort: percentile(be, 0.95),
      reservations: resv.length,
      reservationsLateNodeDown: lateFailure,
      rehomes: [...rehomed.values()].reduce((a, l) => a + l.length, 0),
      reservationDelay: delay,
      unfinished: finite.filter((j) => j.finished === undefined).length,
      decisions,
      infeasibleDecisions: infeasible,
      end: t,
    },
  };
  return { policy: policy.name, metrics, jobs: outcomes, ...(options.trace ? { trace } : {}) };
}
