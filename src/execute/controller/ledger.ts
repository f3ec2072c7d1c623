/**
 * The controller's ledger: what it knows of every vjob and VM, their progress, the reservations'
 * claims, the failed and drained nodes, and the figures of the run. Pure bookkeeping: the
 * controller tells it what happened and when (an action started or ended, a node failed, time
 * passed) and asks it for the instance to plan and for the report.
 *
 * Semantics (docs/format.md, "Simulation semantics", which is also the controller's):
 * - a vjob's work progresses only while all its VMs run and none is being suspended or shut down;
 * - a vjob whose VMs are all shut down before its work is done is killed; one with a VM on a
 *   failed node (or a VM that vanished from the executor) is lost; either way it goes back to its
 *   last checkpoint and the progress discarded × its VM count is lost compute; its VMs that are
 *   gone wait to be booted again, the others stay where they are;
 * - a reservation's nodes are claimed from `start − lead` until its vjob finishes; its vjob is
 *   submitted at `start`; its lease ends at `end + tolerance` at the latest.
 */
import type { Constraint } from '../../model/constraints.js';
import type { Configuration } from '../../model/configuration.js';
import type { NodeId, VjobId, VmId } from '../../model/ids.js';
import { makeInstance, type Instance } from '../../model/instance.js';
import type { VmDurations, VmInit, VmState } from '../../model/vm.js';
import type { Action } from '../../model/action.js';
import type { Occupancy, SimClaim, SimJobOutcome, SimJobView, SimMetrics, SimView } from '../simulate/types.js';
import { rehomeClaims, type RehomeReservation, type Substitution } from '../simulate/rehome.js';
import type { VjobSubmission } from './types.js';

const EPS = 1e-6;

interface VmRec {
  readonly id: VmId;
  readonly job: VjobId;
  readonly demand: Readonly<Record<string, number>>;
  readonly durations: VmDurations | undefined;
  state: VmState;
  host: NodeId | undefined;
  /** In a suspend or shutdown: not computing. */
  stopping: boolean;
  /** A running VM of a vjob that went back to its checkpoint: it is shut down, then waits. */
  resetting: boolean;
  /** Waiting here while the executor may still hold an old copy: define it before its boot. */
  stale: boolean;
  /** Where it is present since when (for the trace). */
  present: Map<NodeId, number>;
}

interface JobRec {
  readonly id: VjobId;
  readonly vms: VmId[];
  readonly work: number;
  readonly bestEffort: boolean;
  readonly priority: number;
  reservation: SimClaim | undefined;
  /** A reservation's window (claim to end of lease), announcement, and nodes as first given. */
  window: { readonly announced: number; readonly from: number; readonly to: number; readonly original: readonly NodeId[] } | undefined;
  /** A reservation's substitutions of failed nodes by spares. */
  rehomed: { time: number; from: NodeId; to: NodeId }[];
  arrival: number;
  arrived: boolean;
  progress: number;
  computed: number;
  discarded: number;
  aborts: number;
  finished: number | undefined;
  cancelled: boolean;
  firstRun: number | undefined;
}

/** The percentile `p` (0..1) of `xs` (nearest rank); 0 for an empty list. */
function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Options of a {@link Ledger}. */
export interface LedgerOptions {
  /** Work of the instance's own vjobs (default: Infinity, services). */
  readonly work?: Readonly<Record<VjobId, number>>;
  /** Seconds between checkpoints of progress (undefined: none). */
  readonly checkpointPeriod?: number;
  /** Which vjobs are checkpointed: best-effort ones (default) or all with finite work. */
  readonly checkpointScope?: 'best-effort' | 'all';
  /** Re-home a claimed reservation's failed node on a spare (default true; docs/format.md, "Re-homing"). */
  readonly rehome?: boolean;
  /** Reservations on time when all their VMs run by `start + tolerance`. */
  readonly tolerance: number;
  /** Record the occupancy trace. */
  readonly trace?: boolean;
}

/**
 * The ledger (see the module comment). Times are controller seconds; every method that takes a
 * time first accounts the progress made since the last one.
 */
export class Ledger {
  private readonly vms = new Map<VmId, VmRec>();
  private readonly jobs = new Map<VjobId, JobRec>();
  private readonly nodeOnline: Map<NodeId, boolean>;
  private readonly nodeCpu: Map<NodeId, number>;
  private readonly failed = new Set<NodeId>();
  private readonly drained = new Set<NodeId>();
  private readonly claimed = new Set<VjobId>();
  private readonly blockedByFailure = new Set<VjobId>();
  private readonly occupancy: Occupancy[] = [];
  private t = 0;
  // figures
  private lost = 0;
  private lostBestEffort = 0;
  private migrations = 0;
  private suspends = 0;
  private resumes = 0;
  private kills = 0;
  private migratedMemory = 0;
  private suspendedMemory = 0;
  private resumedMemory = 0;
  private nodeSeconds = 0;
  private cpuBusy = 0;
  private cpuOnline = 0;
  /** Decisions taken, and those whose plan was infeasible. */
  decisions = 0;
  infeasible = 0;
  /** A vjob was killed since the last decision (the policy is asked again). */
  killedSinceDecision = false;

  /**
   * @param base - the cluster: nodes, and VMs already there (each non-terminated VM joins its vjob)
   * @param options - work of the base vjobs, checkpoint period, tolerance, trace
   */
  constructor(
    private readonly base: Instance,
    private readonly options: LedgerOptions,
  ) {
    this.nodeOnline = new Map([...base.nodes.values()].map((n) => [n.id, n.state === 'online'] as const));
    this.nodeCpu = new Map([...base.nodes.values()].map((n) => [n.id, n.capacity.get('cpu') ?? 0] as const));
    for (const v of base.vms.values()) {
      if (v.state === 'terminated') continue;
      const job = v.vjob ?? v.id;
      if (!this.jobs.has(job)) {
        const decl = base.vjobs.get(job);
        this.jobs.set(job, this.newJob(job, options.work?.[job] ?? Infinity, decl?.bestEffort ?? false, decl?.priority ?? 0, 0, undefined, true));
      }
      this.jobs.get(job)!.vms.push(v.id);
      const rec: VmRec = { id: v.id, job, demand: Object.fromEntries(v.demand), durations: v.durations, state: v.state, host: v.host, stopping: false, resetting: false, stale: false, present: new Map() };
      if (v.state === 'running' && v.host !== undefined) rec.present.set(v.host, 0);
      this.vms.set(v.id, rec);
    }
  }

  private newJob(id: VjobId, work: number, bestEffort: boolean, priority: number, arrival: number, reservation: SimClaim | undefined, arrived: boolean): JobRec {
    return { id, vms: [], work, bestEffort, priority, reservation, window: undefined, rehomed: [], arrival, arrived, progress: 0, computed: 0, discarded: 0, aborts: 0, finished: undefined, cancelled: false, firstRun: undefined };
  }

  /** The vjob's work is done (a journal says so): it is finished now if it was not. */
  markFinished(job: VjobId): void {
    const j = this.jobs.get(job);
    if (j === undefined || j.finished !== undefined) return;
    j.progress = Number.isFinite(j.work) ? j.work : j.progress;
    j.finished = this.t;
    for (const id of j.vms) {
      const v = this.vms.get(id)!;
      if (v.state === 'waiting') v.state = 'terminated';
    }
  }

  /** The time the ledger has accounted up to. */
  get now(): number {
    return this.t;
  }

  /** Whether a vjob (or a VM) of that id is known. */
  knows(id: string): boolean {
    return this.jobs.has(id) || this.vms.has(id);
  }

  /**
   * Adds a vjob: submitted now (`arrived`) or at a reservation's start.
   * @param job - the vjob
   * @param arrival - its submission time
   * @param reservation - its claim, for a reservation
   * @param arrived - whether it is submitted already
   */
  addJob(job: VjobSubmission, arrival: number, reservation: SimClaim | undefined, arrived: boolean): void {
    this.jobs.set(job.id, this.newJob(job.id, job.work ?? Infinity, job.bestEffort ?? false, job.priority ?? 0, arrival, reservation, arrived));
    const rec = this.jobs.get(job.id)!;
    for (const v of job.vms) {
      rec.vms.push(v.id);
      this.vms.set(v.id, { id: v.id, job: job.id, demand: v.demand, durations: v.durations, state: 'waiting', host: undefined, stopping: false, resetting: false, stale: false, present: new Map() });
    }
  }

  /**
   * VMs the executor must know before a plan boots them: waiting VMs of live vjobs, with
   * `stale` when the executor may hold an older copy (a lost, killed or reset VM).
   */
  waitingVms(): { readonly id: VmId; readonly demand: Readonly<Record<string, number>>; readonly durations?: VmDurations; readonly stale: boolean }[] {
    const out = [];
    for (const v of this.vms.values()) {
      const j = this.jobs.get(v.job)!;
      if (v.state === 'waiting' && j.arrived && j.finished === undefined) out.push({ id: v.id, demand: v.demand, ...(v.durations !== undefined ? { durations: v.durations } : {}), stale: v.stale });
    }
    return out;
  }

  /** The executor now holds `vm` waiting (it was defined). */
  defined(vm: VmId): void {
    const v = this.vms.get(vm);
    if (v) v.stale = false;
  }

  private computing(j: JobRec): boolean {
    return (
      j.arrived &&
      j.finished === undefined &&
      j.vms.length > 0 &&
      j.vms.every((id) => {
        const v = this.vms.get(id)!;
        return v.state === 'running' && !v.stopping && !v.resetting;
      })
    );
  }

  /**
   * Accounts progress, utilization and node-hours from the last time to `t`, then notes first
   * runs. Returns the vjobs whose work got done (they are marked finished at `t`).
   * @param t - the time now
   * @returns the vjobs finished now
   */
  advance(t: number): VjobId[] {
    const dt = t - this.t;
    if (dt > 0) {
      for (const j of this.jobs.values()) {
        if (!this.computing(j)) continue;
        j.progress = Math.min(j.work, j.progress + dt);
        j.computed += dt;
        for (const id of j.vms) this.cpuBusy += (this.vms.get(id)!.demand['cpu'] ?? 0) * dt;
      }
      for (const [n, on] of this.nodeOnline) {
        if (on && !this.failed.has(n)) {
          this.nodeSeconds += dt;
          this.cpuOnline += (this.nodeCpu.get(n) ?? 0) * dt;
        }
      }
      this.t = t;
    }
    const done: VjobId[] = [];
    for (const j of this.jobs.values()) {
      if (!j.arrived || j.finished !== undefined) continue;
      if (j.firstRun === undefined && this.computing(j)) j.firstRun = this.t;
      if (j.progress >= j.work - EPS) {
        j.progress = j.work;
        j.finished = this.t;
        done.push(j.id);
      }
    }
    return done;
  }

  /** The earliest time a computing vjob's work gets done (Infinity when none computes). */
  nextCompletion(): number {
    let next = Infinity;
    for (const j of this.jobs.values()) if (this.computing(j)) next = Math.min(next, this.t + (j.work - j.progress));
    return next;
  }

  /** Whether every vjob known is done or cancelled and nothing is left to run. */
  settled(): boolean {
    for (const j of this.jobs.values()) {
      if (!j.arrived) return false;
      if (j.finished === undefined && Number.isFinite(j.work)) return false;
    }
    for (const v of this.vms.values()) {
      const j = this.jobs.get(v.job)!;
      if (j.finished !== undefined && (v.state === 'running' || v.state === 'sleeping')) return false;
    }
    return true;
  }

  private open(v: VmRec, node: NodeId): void {
    if (!v.present.has(node)) v.present.set(node, this.t);
  }

  private close(v: VmRec, node: NodeId): void {
    const since = v.present.get(node);
    if (since === undefined) return;
    v.present.delete(node);
    if (this.options.trace && this.t > since) this.occupancy.push({ vm: v.id, vjob: v.job, node, from: since, to: this.t });
  }

  private checkpointOf(j: JobRec): number {
    const period = this.options.checkpointPeriod;
    const scoped = j.bestEffort || this.options.checkpointScope === 'all';
    return period !== undefined && period > 0 && scoped ? Math.floor((j.progress + EPS) / period) * period : 0;
  }

  /**
   * The vjob is killed or lost: back to its last checkpoint. Its VMs in `gone` (every VM when
   * undefined) and its sleeping VMs wait to be booted again; its running VMs are reset: shut
   * down (the view asks it), then they wait too. The vjob runs again as a whole.
   */
  private abort(j: JobRec, gone: ReadonlySet<VmId> | undefined): number {
    const back = Math.min(j.progress, this.checkpointOf(j));
    const discarded = j.progress - back;
    if (Number.isFinite(j.work)) {
      this.lost += discarded * j.vms.length;
      if (j.bestEffort) this.lostBestEffort += discarded * j.vms.length;
      j.discarded += discarded;
    }
    j.progress = back;
    j.aborts++;
    for (const id of j.vms) {
      const v = this.vms.get(id)!;
      if (gone !== undefined && !gone.has(id) && v.state === 'running') {
        v.resetting = true;
        continue;
      }
      if (v.state === 'waiting' || v.state === 'terminated' || v.state === 'sleeping' || gone === undefined || gone.has(id)) {
        for (const n of [...v.present.keys()]) this.close(v, n);
        v.state = 'waiting';
        v.host = undefined;
        v.stopping = false;
        v.resetting = false;
        v.stale = true;
      }
    }
    return discarded;
  }

  /**
   * Replays a substitution made before a restart (a `rehome` journal record).
   * @param sub - the reservation, its failed node and the spare
   */
  applySubstitution(sub: Substitution): void {
    const j = this.jobs.get(sub.vjob);
    if (j?.reservation === undefined || !j.reservation.nodes.includes(sub.from)) return;
    j.reservation = { ...j.reservation, nodes: j.reservation.nodes.map((n) => (n === sub.from ? sub.to : n)) };
    j.rehomed.push({ time: this.t, from: sub.from, to: sub.to });
  }

  /** A reservation's vjob is submitted (its `start`); it is re-homed first. */
  arrive(job: VjobId): void {
    const j = this.jobs.get(job);
    if (j === undefined) return;
    j.arrived = true;
    if (j.reservation !== undefined && j.reservation.nodes.some((n) => this.failed.has(n))) this.blockedByFailure.add(j.id);
  }

  /** A reservation's nodes are claimed from now on. */
  claim(job: VjobId): void {
    this.claimed.add(job);
  }

  /** The reservation's claim, if any (its nodes may have been re-homed). */
  claimOf(job: VjobId): SimClaim | undefined {
    return this.jobs.get(job)?.reservation;
  }

  /**
   * Sets a reservation's window: it is announced at `announced`, claims its nodes over
   * [`from`, `to`) (claim to end of lease).
   */
  setWindow(job: VjobId, window: { readonly announced: number; readonly from: number; readonly to: number }): void {
    const j = this.jobs.get(job);
    if (j?.reservation !== undefined) j.window = { ...window, original: j.reservation.nodes };
  }

  /**
   * Re-homes every claimed reservation that holds a failed node on a spare of the same capacity
   * (`rehomeClaims`, docs/format.md, "Re-homing"); a substitution is final.
   * @returns the substitutions made now
   */
  rehome(): readonly Substitution[] {
    if (this.options.rehome === false) return [];
    const resv = [...this.jobs.values()].filter((j) => j.reservation !== undefined && j.window !== undefined && j.finished === undefined);
    if (this.failed.size === 0 && !resv.some((j) => j.rehomed.length > 0)) return [];
    const window = (j: JobRec): RehomeReservation => ({ vjob: j.id, nodes: j.reservation!.nodes, from: j.window!.from, to: j.window!.to, original: j.window!.original });
    const load = new Map<NodeId, number>();
    for (const v of this.vms.values()) if (v.state === 'running' && v.host !== undefined) load.set(v.host, (load.get(v.host) ?? 0) + (v.demand['memory'] ?? 0));
    const r = rehomeClaims({
      claims: resv.filter((j) => this.claimed.has(j.id)).map(window),
      others: resv.filter((j) => !this.claimed.has(j.id) && j.window!.announced <= this.t + EPS).map(window),
      nodes: [...this.base.nodes.values()].map((n) => ({ id: n.id, capacity: n.capacity, online: this.nodeOnline.get(n.id) === true, load: load.get(n.id) ?? 0 })),
      failed: this.failed,
    });
    for (const sub of r.substitutions) {
      const j = this.jobs.get(sub.vjob)!;
      j.reservation = { ...j.reservation!, nodes: r.nodes.get(sub.vjob)! };
      j.rehomed.push({ time: this.t, from: sub.from, to: sub.to });
    }
    return r.substitutions;
  }

  /** The reservations known (claimed or not yet), earliest start first. */
  reservations(): readonly { readonly vjob: VjobId; readonly claim: SimClaim; readonly claimed: boolean; readonly done: boolean }[] {
    const out = [];
    for (const j of this.jobs.values()) if (j.reservation !== undefined) out.push({ vjob: j.id, claim: j.reservation, claimed: this.claimed.has(j.id), done: j.finished !== undefined });
    return out.sort((a, b) => a.claim.start - b.claim.start);
  }

  /** The lease ended: the vjob is done; its VMs that never started or sleep are dropped. */
  expire(job: VjobId): void {
    const j = this.jobs.get(job);
    if (j === undefined || j.finished !== undefined) return;
    j.finished = this.t;
    for (const id of j.vms) {
      const v = this.vms.get(id)!;
      if (v.state === 'waiting' || v.state === 'sleeping') {
        for (const n of [...v.present.keys()]) this.close(v, n);
        v.state = 'terminated';
        v.host = undefined;
      }
    }
  }

  /**
   * The vjob is cancelled: it is done (not counted as completed) and its VMs are asked to stop.
   * @returns false when it is unknown or done already
   */
  cancel(job: VjobId): boolean {
    const j = this.jobs.get(job);
    if (j === undefined || j.finished !== undefined) return false;
    j.arrived = true;
    j.finished = this.t;
    j.cancelled = true;
    for (const id of j.vms) {
      const v = this.vms.get(id)!;
      if (v.state === 'waiting') v.state = 'terminated';
    }
    return true;
  }

  /** Keeps a node empty from now on. */
  drain(node: NodeId): void {
    this.drained.add(node);
  }

  /**
   * A node died: the vjobs with a VM on it are lost (their VMs there wait again).
   * @returns the vjobs lost and the progress each discarded
   */
  nodeFailed(node: NodeId): { readonly vjob: VjobId; readonly discarded: number }[] {
    if (this.failed.has(node)) return [];
    this.failed.add(node);
    const out: { vjob: VjobId; discarded: number }[] = [];
    const gone = new Map<VjobId, Set<VmId>>();
    for (const v of this.vms.values()) {
      if ((v.state === 'running' || v.state === 'sleeping') && v.host === node) {
        const s = gone.get(v.job) ?? new Set<VmId>();
        s.add(v.id);
        gone.set(v.job, s);
      }
    }
    for (const [job, vms] of gone) {
      const j = this.jobs.get(job)!;
      if (j.arrived && j.finished === undefined) out.push({ vjob: job, discarded: this.abort(j, vms) });
      else
        for (const id of vms) {
          const v = this.vms.get(id)!;
          v.state = 'terminated';
          v.host = undefined;
        }
    }
    for (const v of this.vms.values()) this.close(v, node);
    return out;
  }

  /** The node is back, online and empty. */
  nodeRepaired(node: NodeId): void {
    this.failed.delete(node);
    this.nodeOnline.set(node, true);
  }

  /** Nodes failed and not repaired. */
  get failedNodes(): ReadonlySet<NodeId> {
    return this.failed;
  }

  private mem(vm: VmId): number {
    return this.vms.get(vm)?.demand['memory'] ?? 0;
  }

  /** An action started (its first attempt). */
  actionStarted(a: Action): void {
    switch (a.type) {
      case 'migrate': {
        this.migrations++;
        this.migratedMemory += this.mem(a.vm);
        const v = this.vms.get(a.vm);
        if (v) this.open(v, a.to);
        break;
      }
      case 'boot': {
        const v = this.vms.get(a.vm);
        if (v) this.open(v, a.to);
        break;
      }
      case 'resume': {
        this.resumes++;
        this.resumedMemory += this.mem(a.vm);
        const v = this.vms.get(a.vm);
        if (v) this.open(v, a.to);
        break;
      }
      case 'suspend':
      case 'shutdown': {
        if (a.type === 'suspend') {
          this.suspends++;
          this.suspendedMemory += this.mem(a.vm);
        }
        const v = this.vms.get(a.vm);
        if (v) v.stopping = true;
        break;
      }
      case 'shutdownNode':
        this.nodeOnline.set(a.node, false);
        break;
      case 'bootNode':
        break;
    }
  }

  /**
   * An action ended. Only a success changes where things are; a failure leaves its VM in a
   * known place that {@link Ledger.reconcile} takes from the executor.
   * @returns the vjob killed by it (a shutdown of its last VM before its work was done)
   */
  actionEnded(a: Action, succeeded: boolean): { readonly vjob: VjobId; readonly discarded: number } | undefined {
    if (!succeeded) {
      if ('vm' in a) {
        const v = this.vms.get(a.vm);
        if (v) v.stopping = false;
      }
      if (a.type === 'shutdownNode') this.nodeOnline.set(a.node, true);
      return undefined;
    }
    switch (a.type) {
      case 'migrate': {
        const v = this.vms.get(a.vm);
        if (!v) return undefined;
        this.close(v, a.from);
        v.host = a.to;
        return undefined;
      }
      case 'boot':
      case 'resume': {
        const v = this.vms.get(a.vm);
        if (!v) return undefined;
        v.state = 'running';
        v.host = a.to;
        return undefined;
      }
      case 'suspend': {
        const v = this.vms.get(a.vm);
        if (!v) return undefined;
        this.close(v, a.from);
        v.state = 'sleeping';
        v.stopping = false;
        return undefined;
      }
      case 'shutdown': {
        const v = this.vms.get(a.vm);
        if (!v) return undefined;
        this.close(v, a.from);
        const j = this.jobs.get(v.job)!;
        if (v.resetting) {
          v.state = 'waiting';
          v.host = undefined;
          v.stopping = false;
          v.resetting = false;
          v.stale = true;
          // The vjob is down as a whole now: the policy may start it again.
          if (j.vms.every((id) => !this.vms.get(id)!.resetting)) this.killedSinceDecision = true;
          return undefined;
        }
        v.state = 'terminated';
        v.host = undefined;
        v.stopping = false;
        if (j.finished === undefined && j.vms.every((id) => this.vms.get(id)!.state === 'terminated')) {
          this.kills++;
          this.killedSinceDecision = true;
          return { vjob: j.id, discarded: this.abort(j, undefined) };
        }
        return undefined;
      }
      case 'bootNode':
        this.nodeOnline.set(a.node, true);
        return undefined;
      case 'shutdownNode':
        return undefined;
    }
  }

  /**
   * Takes the executor's word for where every VM is and which nodes are online. A VM the ledger
   * has running or sleeping that the executor no longer knows is lost.
   * @param observed - what `observe()` returned
   * @returns the vjobs lost that way
   */
  reconcile(observed: Configuration): { readonly vjob: VjobId; readonly discarded: number }[] {
    const out: { vjob: VjobId; discarded: number }[] = [];
    const gone = new Map<VjobId, Set<VmId>>();
    for (const v of this.vms.values()) {
      const j = this.jobs.get(v.job)!;
      if (v.state === 'terminated' || !j.arrived || (v.state === 'waiting' && v.stale)) continue;
      const p = observed.vms.get(v.id);
      v.stopping = false;
      if (p === undefined || p.state === 'terminated' || p.state === 'waiting') {
        if (v.state === 'running' || v.state === 'sleeping') {
          if (j.finished !== undefined) {
            for (const n of [...v.present.keys()]) this.close(v, n);
            v.state = 'terminated';
            v.host = undefined;
          } else if (v.resetting) {
            for (const n of [...v.present.keys()]) this.close(v, n);
            v.state = 'waiting';
            v.host = undefined;
            v.resetting = false;
            v.stale = true;
          } else {
            const s = gone.get(v.job) ?? new Set<VmId>();
            s.add(v.id);
            gone.set(v.job, s);
          }
        }
        continue;
      }
      if (p.state !== v.state || p.host !== v.host) {
        for (const n of [...v.present.keys()]) if (n !== p.host || p.state !== 'running') this.close(v, n);
        if (p.state === 'running' && p.host !== undefined) this.open(v, p.host);
        v.state = p.state;
        v.host = p.host;
      }
    }
    for (const [job, vms] of gone) out.push({ vjob: job, discarded: this.abort(this.jobs.get(job)!, vms) });
    for (const [n, s] of observed.nodes) if (!this.failed.has(n)) this.nodeOnline.set(n, s === 'online');
    return out;
  }

  /**
   * The instance a policy plans: every VM submitted and not finished (waiting, running or
   * sleeping), finished vjobs' VMs with `wants: "terminated"`, failed nodes offline (with an
   * `offline` constraint), drained nodes banned to every VM, and per claimed reservation a
   * `reserved` constraint on its nodes plus a `fence` of its VMs to them.
   * @param seed - the decision's seed
   * @returns the view
   */
  view(seed: number): SimView {
    const base = this.base;
    const vmInits: VmInit[] = [];
    const views = new Map<VjobId, SimJobView>();
    const vjobs = [];
    for (const j of this.jobs.values()) {
      if (!j.arrived) continue;
      const done = j.finished !== undefined;
      const resetting = j.vms.some((id) => this.vms.get(id)!.resetting);
      // While a vjob is reset, only its VMs being shut down are shown: it runs again as a whole.
      const alive = j.vms.filter((id) => {
        const v = this.vms.get(id)!;
        return v.state !== 'terminated' && (!resetting || v.resetting);
      });
      if (done && alive.length === 0) continue;
      views.set(j.id, { id: j.id, bestEffort: j.bestEffort, priority: j.priority, reservation: j.reservation !== undefined, work: j.work, progress: j.progress, arrival: j.arrival, done });
      vjobs.push({ id: j.id, priority: j.priority, submitted: j.arrival, bestEffort: j.bestEffort });
      for (const id of alive) {
        const v = this.vms.get(id)!;
        vmInits.push({
          id,
          demand: v.demand,
          state: v.state,
          ...(v.host !== undefined && (v.state === 'running' || v.state === 'sleeping') ? { host: v.host } : {}),
          vjob: j.id,
          ...(done || v.resetting ? { wants: 'terminated' as const } : {}),
          ...(v.durations !== undefined ? { durations: v.durations } : {}),
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
    const active = [...this.claimed].map((id) => this.jobs.get(id)!).filter((j) => j.finished === undefined && j.reservation !== undefined);
    active.sort((a, b) => a.reservation!.start - b.reservation!.start);
    const taken = new Set<NodeId>();
    for (const j of active) {
      const r = j.reservation!;
      claims.push(r);
      const mineNodes = r.nodes.filter((n) => !taken.has(n));
      for (const n of r.nodes) taken.add(n);
      if (mineNodes.length > 0) constraints.push({ type: 'reserved', nodes: mineNodes, vjob: j.id });
      const mine = j.vms.filter((v) => present.has(v));
      if (j.arrived && mine.length > 0) constraints.push({ type: 'fence', vms: mine, nodes: r.nodes });
    }
    if (this.failed.size > 0) constraints.push({ type: 'offline', nodes: [...this.failed] });
    const drained = [...this.drained].filter((n) => !this.failed.has(n));
    if (drained.length > 0 && present.size > 0) constraints.push({ type: 'ban', vms: [...present], nodes: drained });
    const instance = makeInstance({
      nodes: [...base.nodes.values()].map((n) => ({
        id: n.id,
        capacity: Object.fromEntries(n.capacity),
        state: this.nodeOnline.get(n.id) && !this.failed.has(n.id) ? 'online' : 'offline',
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
    return { time: this.t, instance, jobs: views, claims, failed: new Set(this.failed), seed };
  }

  /**
   * The figures so far (the `switchyard simulate` report), closing the occupancy intervals when
   * `final`.
   * @param final - the run is over
   * @returns metrics, per-vjob outcomes and (when traced) the occupancy
   */
  report(final = false): { readonly metrics: SimMetrics; readonly jobs: readonly SimJobOutcome[]; readonly trace?: readonly Occupancy[] } {
    if (final) for (const v of this.vms.values()) for (const n of [...v.present.keys()]) this.close(v, n);
    const t = this.t;
    const jobs = [...this.jobs.values()];
    const outcomes: SimJobOutcome[] = jobs.map((j) => ({
      id: j.id,
      bestEffort: j.bestEffort,
      reservation: j.reservation !== undefined,
      work: j.work,
      arrival: j.arrival,
      ...(j.finished !== undefined && !j.cancelled ? { finished: j.finished } : {}),
      computed: j.computed,
      discarded: j.discarded,
      aborts: j.aborts,
      ...(j.firstRun !== undefined ? { firstRun: j.firstRun } : {}),
      ...(j.rehomed.length > 0 ? { rehomed: j.rehomed.map((x) => ({ ...x })), nodes: j.reservation!.nodes } : {}),
    }));
    const finite = jobs.filter((j) => Number.isFinite(j.work) && !j.cancelled);
    const completion = (j: JobRec): number => j.finished! - j.arrival;
    const others = finite.filter((j) => !j.bestEffort && j.finished !== undefined).map(completion);
    const be = finite.filter((j) => j.bestEffort && j.finished !== undefined).map(completion);
    const resv = jobs.filter((j) => j.reservation !== undefined);
    const tolerance = this.options.tolerance;
    let late = 0;
    let lateFailure = 0;
    let delay = 0;
    for (const j of resv) {
      const start = j.reservation!.start;
      const first = j.firstRun ?? t;
      if (j.firstRun === undefined || j.firstRun > start + tolerance + EPS) {
        late++;
        if (this.blockedByFailure.has(j.id)) lateFailure++;
      }
      delay += Math.max(0, first - start);
    }
    const metrics: SimMetrics = {
      lostComputeSeconds: this.lost,
      meanCompletion: mean(others),
      p95Completion: percentile(others, 0.95),
      meanCompletionBestEffort: mean(be),
      utilization: this.cpuOnline > 0 ? this.cpuBusy / this.cpuOnline : 0,
      migrations: this.migrations,
      suspends: this.suspends,
      resumes: this.resumes,
      nodeHours: this.nodeSeconds / 3600,
      reservationsLate: late,
      x: {
        lostBestEffortSeconds: this.lostBestEffort,
        migratedMemory: this.migratedMemory,
        suspendedMemory: this.suspendedMemory,
        resumedMemory: this.resumedMemory,
        kills: this.kills,
        p95CompletionBestEffort: percentile(be, 0.95),
        reservations: resv.length,
        reservationsLateNodeDown: lateFailure,
        rehomes: jobs.reduce((a, j) => a + j.rehomed.length, 0),
        reservationDelay: delay,
        unfinished: finite.filter((j) => j.finished === undefined).length,
        decisions: this.decisions,
        infeasibleDecisions: this.infeasible,
        end: t,
      },
    };
    return { metrics, jobs: outcomes, ...(this.options.trace ? { trace: [...this.occupancy] } : {}) };
  }
}
