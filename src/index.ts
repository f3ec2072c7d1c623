/**
 * switchyard: a cluster-wide context switch for virtual machines.
 *
 * Named exports only. The flow: {@link parseInstance} → {@link planInstance} (decide, place,
 * plan, verify) → {@link formatPlan}; {@link verifyPlan} replays any plan.
 *
 * @packageDocumentation
 */

// errors and results
export { SwitchyardError, ok, fail } from './errors.js';
export type { ErrorCode, Issue, Result } from './errors.js';
export { VERSION } from './version.js';

// model
export type { JsonObject, JsonValue, NodeId, ResourceName, VjobId, VmId } from './model/ids.js';
export { Node, makeNode } from './model/node.js';
export type { NodeInit, NodeProps, NodeState } from './model/node.js';
export { Vm, makeVm, VM_STATES, WANTED_STATES } from './model/vm.js';
export type { VmInit, VmProps, VmState, WantedState } from './model/vm.js';
export { Vjob, makeVjob } from './model/vjob.js';
export type { VjobInit, VjobProps } from './model/vjob.js';
export { Configuration, Placement, placement } from './model/configuration.js';
export type { ConfigurationProps, PlacementProps } from './model/configuration.js';
export {
  Instance,
  makeInstance,
  objectiveOf,
  durationsOf,
  limitsOf,
  resourcesOf,
  vjobOf,
  sourceConfiguration,
  effectiveCapacity,
} from './model/instance.js';
export type { InstanceInit, InstanceProps } from './model/instance.js';
export { DEFAULT_DURATIONS, DEFAULT_OBJECTIVE, OBJECTIVE_TYPES } from './model/objective.js';
export type {
  BalanceObjective,
  ConsolidateObjective,
  Durations,
  Limits,
  MinMigrationsObjective,
  Objective,
  ObjectiveType,
  ResolvedDurations,
  ResolvedLimits,
} from './model/objective.js';
export { indexInstance, VM_STATE_CODE, VM_STATE_OF_CODE } from './model/indexed.js';
export type { IndexedInstance } from './model/indexed.js';

// exchange format v1
export { parseInstance, validateInstance, serializeInstance, formatInstance } from './io/instance.js';
export type { InstanceJson, NodeJson, VjobJson, VmJson } from './io/instance.js';
export { parsePlan, validatePlan, serializePlan, formatPlan, checkPlanReferences } from './io/plan.js';
export type { PlanJson } from './io/plan.js';

// constraints
export { CONSTRAINT_TYPES } from './constraints/types.js';
export type {
  BanConstraint, FenceConstraint, SpreadConstraint, GatherConstraint, AmongConstraint, SplitConstraint, LonelyConstraint, RootConstraint, QuarantineConstraint, OverbookConstraint, ResourceCapacityConstraint, RunningCapacityConstraint, MaxOnlineConstraint, OnlineConstraint, OfflineConstraint, ReservedConstraint, RunningConstraint, SleepingConstraint, TerminatedConstraint, Constraint, ConstraintType, ConstraintOf,
} from './constraints/types.js';
export { CONSTRAINTS, specOf, specFor } from './constraints/registry.js';
export {
  checkConstraint,
  checkConstraints,
  checkCapacity,
  checkStates,
  checkConfiguration,
  continuousConstraints,
  checkInstant,
  checkAction,
} from './constraints/check.js';
export type { CheckContext, ConstraintRegistry, ConstraintSpec, InstantView, Violation } from './constraints/spec.js';

// plans
export { ACTION_TYPES } from './plan/types.js';
export type {
  Action,
  ActionType,
  BootAction,
  BootNodeAction,
  FeasiblePlan,
  InfeasiblePlan,
  InfeasibleReason,
  MigrateAction,
  NodeAction,
  Plan,
  PlanStats,
  PlanStatus,
  PlanTarget,
  ResumeAction,
  ShutdownAction,
  ShutdownNodeAction,
  SuspendAction,
  TargetVm,
  VmAction,
} from './plan/types.js';
export { verifyPlan } from './plan/verify.js';
export type { Verification } from './plan/verify.js';
export { applyAction, applyActions } from './plan/replay.js';
export { buildPlan, assemblePlan } from './plan/planner.js';
export type { PlannerOptions, PlannerResult, PlannedResult, UnplannableResult, PlannerStats } from './plan/planner.js';
export { durationModelOf, defaultDurationModel } from './plan/durations.js';
export type { DurationModel, DurationRequest } from './plan/durations.js';
export { summarizePlan } from './plan/summary.js';
export type { SummaryOptions } from './plan/summary.js';
export { targetFromConfiguration, configurationFromTarget } from './plan/target.js';

// decide and placement
export type { PlacementFound, PlacementInfeasible, PlacementResult, PlacementSolver, SolveOptions } from './place/types.js';
export { placeInstance, heuristicSolver, searchSolver } from './place/place.js';
export type { PlaceOptions } from './place/place.js';
export { defaultSolver } from './place/default.js';
export type { DefaultSolverOptions } from './place/default.js';
export { lnsSolver } from './place/lns.js';
export type { LnsSolverOptions } from './place/lns.js';
export { partitionedSolver, partitionNodes } from './place/partition.js';
export type { PartitionBy, PartitionedSolverOptions } from './place/partition.js';
export { priorityPolicy, compareCandidates } from './decide/policy.js';
export type { AdmissionContext, AdmissionPolicy, VjobCandidate } from './decide/policy.js';
export { decide, DECIDE_SHARE } from './decide/decide.js';
export type { DecideOptions, DecideResult, Decision, DecisionInfeasible, NotAdmitted } from './decide/decide.js';
export { mipSolver } from './solvers/mip.js';
export type { MipSolverOptions } from './solvers/mip.js';
export { createRandom } from './util/random.js';
export type { Random } from './util/random.js';
export { heterogeneousCluster } from './workload/cluster.js';
export { repairWorkload } from './workload/repair.js';

// pipeline
export { planInstance } from './pipeline.js';
export type { PlanInstanceOptions } from './pipeline.js';
