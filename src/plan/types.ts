import type { Action, InfeasibleReason } from '../model/action.js';
import type { JsonObject, NodeId, VmId } from '../model/ids.js';
import type { NodeState } from '../model/node.js';
import type { VmState } from '../model/vm.js';

/** Final state of one VM in a plan's target. */
export interface TargetVm {
  readonly state: VmState;
  /** Node it runs on, or whose disk holds its image; absent for waiting and terminated VMs. */
  readonly host?: NodeId;
  readonly x?: JsonObject;
}
/** The configuration a plan reaches: every VM and every node. */
export interface PlanTarget {
  readonly vms: Readonly<Record<VmId, TargetVm>>;
  readonly nodes: Readonly<Record<NodeId, NodeState>>;
  readonly x?: JsonObject;
}

/** Figures of a plan (FORMAT.md `stats`). Extra figures go under `x`. */
export interface PlanStats {
  /** Online nodes hosting at least one running VM in the target. */
  readonly nodesUsed: number;
  /** A lower bound on `nodesUsed` for this instance. */
  readonly lowerBound: number;
  readonly migrations: number;
  /** MiB moved by migrations. */
  readonly migratedMemory: number;
  /** Seconds from the first start to the last end. */
  readonly makespan: number;
  /** Milliseconds spent computing the target. */
  readonly solveMs: number;
  /** Milliseconds spent planning the actions. */
  readonly planMs: number;
  /** Milliseconds of each phase of the call that made the plan (FORMAT.md `stats.phases`); timings only, no meaning. */
  readonly phases?: PlanPhases;
  readonly x?: JsonObject;
}

/**
 * Milliseconds of each phase of one `planInstance` call (FORMAT.md `stats.phases`): `decide`
 * (which vjobs run), `place` (the target), `plan` (the actions), `verify` (the replay), and
 * `read`, the time spent before the call within its budget (`startedAt`: reading the instance).
 */
export interface PlanPhases {
  readonly read?: number;
  readonly decide?: number;
  readonly place?: number;
  readonly plan?: number;
  readonly verify?: number;
}


/** A plan that reaches a target (`optimal` when the placement was proved optimal). */
export interface FeasiblePlan {
  readonly version: 1;
  readonly status: 'optimal' | 'feasible';
  readonly actions: readonly Action[];
  readonly target: PlanTarget;
  readonly stats: PlanStats;
  readonly x?: JsonObject;
}
/** The answer for an instance that has no solution: no actions, no target, the reasons. */
export interface InfeasiblePlan {
  readonly version: 1;
  readonly status: 'infeasible';
  readonly actions: readonly [];
  readonly reasons: readonly InfeasibleReason[];
  readonly stats?: Partial<PlanStats>;
  readonly x?: JsonObject;
}
/** The exchange-format plan (FORMAT.md "Plan"). */
export type Plan = FeasiblePlan | InfeasiblePlan;
/** Plan status values. */
export type PlanStatus = Plan['status'];
