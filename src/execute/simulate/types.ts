/**
 * Types of the discrete-event simulator: what a policy sees at each decision, what it answers,
 * and what the simulation reports.
 */
import type { Instance } from '../../model/instance.js';
import type { NodeId, VjobId, VmId } from '../../model/ids.js';
import type { FeasiblePlan, Plan } from '../../plan/types.js';
import type { Action } from '../../model/action.js';

/** What the simulator knows of one vjob at a decision. */
export interface SimJobView {
  readonly id: VjobId;
  readonly bestEffort: boolean;
  readonly priority: number;
  /** The vjob of an advance reservation. */
  readonly reservation: boolean;
  /** Seconds of running it needs in all (Infinity for a service). */
  readonly work: number;
  /** Seconds of running done and kept. */
  readonly progress: number;
  /** Simulated time it was submitted. */
  readonly arrival: number;
  /** Its work is done (its VMs are asked to terminate). */
  readonly done: boolean;
}

/** A reservation whose nodes are claimed now: only its vjob may run there. */
export interface SimClaim {
  readonly vjob: VjobId;
  /** Its nodes now: the workload's, with each failed node re-homed on its spare (docs/format.md, "Re-homing"). */
  readonly nodes: readonly NodeId[];
  readonly start: number;
  readonly end: number;
}

/** What a policy is given at each decision. */
export interface SimView {
  /** Simulated seconds since the start. */
  readonly time: number;
  /**
   * The cluster now, as an instance: every VM submitted and not finished (waiting, running or
   * sleeping), finished vjobs' VMs with `wants: "terminated"`, failed nodes offline (with an
   * `offline` constraint), and per claimed reservation a `reserved` constraint on its nodes plus a
   * `fence` of its VMs to them.
   */
  readonly instance: Instance;
  readonly jobs: ReadonlyMap<VjobId, SimJobView>;
  readonly claims: readonly SimClaim[];
  readonly failed: ReadonlySet<NodeId>;
  /** A seed for this decision (derived from the simulation seed and the decision's rank). */
  readonly seed: number;
}

/**
 * What a policy answers: a plan, and the instance it was made for: the view's own, or the
 * view's with extra constraints or `wants` (a policy's rules). The source configuration (VM
 * states and hosts, node states) must be the view's; the plan must be valid for `instance`.
 */
export interface SimDecision {
  readonly plan: Plan;
  readonly instance: Instance;
}

/**
 * A scheduling policy: asked for a plan at every event. A `shutdown` of a VM whose vjob is not
 * done is a kill: the vjob goes back to its last checkpoint and waits again.
 *
 * @example
 * ```ts
 * const mine: SimPolicy = {
 *   name: 'mine',
 *   plan: async (view) => ({ instance: view.instance, plan: await contextSwitchPlan(view.instance, view.seed) }),
 * };
 * ```
 */
export interface SimPolicy {
  readonly name: string;
  /**
   * Seconds of progress between checkpoints (VMdeploy) of the vjobs of `checkpointScope`: such a
   * vjob killed or lost goes back to its last checkpoint instead of to zero. Undefined: no checkpoints.
   */
  readonly checkpointPeriod?: number;
  /**
   * Which vjobs are checkpointed every `checkpointPeriod`: `best-effort` ones only (the default,
   * VMdeploy's scope), or `all` vjobs with finite work (reservations and queued vjobs too).
   */
  readonly checkpointScope?: 'best-effort' | 'all';
  /** The plan to carry out now (an infeasible plan does nothing). */
  plan(view: SimView): Promise<SimDecision>;
}

/** One action as carried out: its simulated start and end, in seconds from the plan's start. */
export interface CarriedAction {
  readonly action: Action;
  readonly start: number;
  readonly end: number;
}

/**
 * Carries out a plan in simulated time (the swappable step of the simulator): when each action
 * starts and ends, in seconds from the plan's start. The default replays the plan's own timing
 * (its duration model); an engine driving a simulated executor on a virtual clock fits here too
 * (run the plan, report each action's start and end). Actions left out did not happen.
 */
export type PlanCarrier = (instance: Instance, plan: FeasiblePlan) => readonly CarriedAction[] | Promise<readonly CarriedAction[]>;

/** A VM present on a node during [from, to) (booting, running, migrating, suspending). */
export interface Occupancy {
  readonly vm: VmId;
  readonly vjob: VjobId;
  readonly node: NodeId;
  readonly from: number;
  readonly to: number;
}

/** One decision of the simulation, for hooks and tests. */
export interface SimStep {
  readonly time: number;
  /** The instance the plan was made for ({@link SimDecision.instance}). */
  readonly instance: Instance;
  /** What the simulator showed the policy. */
  readonly view: Instance;
  readonly plan: Plan;
}

/** Per-vjob outcome. */
export interface SimJobOutcome {
  readonly id: VjobId;
  readonly bestEffort: boolean;
  readonly reservation: boolean;
  readonly work: number;
  readonly arrival: number;
  /** Simulated time its work was done; undefined when it did not finish. */
  readonly finished?: number;
  /** Seconds it spent running (computing), discarded work included. */
  readonly computed: number;
  /** Seconds of progress discarded by kills and losses. */
  readonly discarded: number;
  /** Times it was killed or lost. */
  readonly aborts: number;
  /** For a reservation: when all its VMs first ran together. */
  readonly firstRun?: number;
  /** For a re-homed reservation: each substitution (when, the failed node, its spare), in order. */
  readonly rehomed?: readonly { readonly time: number; readonly from: NodeId; readonly to: NodeId }[];
  /** For a re-homed reservation: its nodes at the end (the workload's, substitutions made). */
  readonly nodes?: readonly NodeId[];
}

/**
 * The figures of one policy on one workload (the `--json` object of `switchyard simulate`).
 * Completion time is finish minus submission; best-effort vjobs and the others apart.
 */
export interface SimMetrics {
  /** VM-seconds of work discarded by kills and node losses. */
  readonly lostComputeSeconds: number;
  /** Mean completion time of the vjobs that are not best-effort (seconds). */
  readonly meanCompletion: number;
  /** 95th percentile of the same. */
  readonly p95Completion: number;
  /** Mean completion time of best-effort vjobs (seconds). */
  readonly meanCompletionBestEffort: number;
  /** cpu of computing VMs over cpu of online nodes, averaged over the simulated time. */
  readonly utilization: number;
  readonly migrations: number;
  readonly suspends: number;
  readonly resumes: number;
  /** Hours of nodes online (an energy proxy). */
  readonly nodeHours: number;
  /** Reservations whose VMs did not all run within the tolerance after their start. */
  readonly reservationsLate: number;
  /** Further figures: volumes moved (MiB), kills, p95 of best-effort, unfinished vjobs, decisions, end time. */
  readonly x: {
    /** The part of `lostComputeSeconds` that best-effort vjobs lost. */
    readonly lostBestEffortSeconds: number;
    readonly migratedMemory: number;
    readonly suspendedMemory: number;
    readonly resumedMemory: number;
    readonly kills: number;
    readonly p95CompletionBestEffort: number;
    readonly reservations: number;
    /** Late reservations that started while one of their nodes was down (failed, not repaired yet, no spare). */
    readonly reservationsLateNodeDown: number;
    /** Substitutions of a reservation's failed node by a spare (docs/format.md, "Re-homing"). */
    readonly rehomes: number;
    readonly reservationDelay: number;
    readonly unfinished: number;
    readonly decisions: number;
    /** Decisions whose plan was infeasible (nothing was done then). */
    readonly infeasibleDecisions: number;
    readonly end: number;
  };
}

/** What {@link SimulationResult} holds. */
export interface SimulationResult {
  readonly policy: string;
  readonly metrics: SimMetrics;
  readonly jobs: readonly SimJobOutcome[];
  /** Occupancy intervals (with `trace: true`). */
  readonly trace?: readonly Occupancy[];
}
