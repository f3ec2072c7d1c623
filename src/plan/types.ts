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
  /** Why the placement returned when it did (FORMAT.md `stats.stop`), when the solver said. */
  readonly stop?: StopReason;
  readonly x?: JsonObject;
}

/**
 * Why a placement solver returned when it did (`stop` of every answer of the built-in solvers,
 * carried to the plan as `stats.stop`; docs/format.md, docs/decisions.md D-early-stop):
 *
 * - `proved`: the answer is proved optimal (status `optimal`), or infeasibility is proved:
 *   nothing is left to search, so the solver returned as soon as the proof came.
 * - `stalled`: the search stopped improving by the stall rule (consolidation: the node count
 *   is at its proved lower bound, no exact model of the whole instance is expected to close the
 *   migration gap, and `stallNeighbourhoods` neighbourhoods in a row lowered no migrated
 *   memory): returned before the time limit, not proved.
 * - `time-limit`: the time limit ended the search; more time might give a better answer.
 * - `exhausted`: the method did all it does before the limit without a proof (a one-pass
 *   heuristic, a search or iteration budget spent, every phase or partition done).
 */
export type StopReason = 'proved' | 'stalled' | 'time-limit' | 'exhausted';

/** Every {@link StopReason}, in the order docs/format.md lists them. */
export const STOP_REASONS: readonly StopReason[] = ['proved', 'stalled', 'time-limit', 'exhausted'];

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
