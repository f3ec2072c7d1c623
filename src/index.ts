/**
 * switchyard: a cluster-wide context switch for virtual machines.
 *
 * Named exports only. The flow: {@link parseInstance} → {@link planInstance} (decide, place,
 * plan, verify) → {@link formatPlan}; {@link verifyPlan} replays any plan; {@link renderPlan}
 * draws one. Seeded synthetic workloads are in the `switchyard/workload` subpath.
 *
 * @packageDocumentation
 * @module switchyard
 */

// errors and results
export { SwitchyardError, ok, fail } from './errors.js';
export type { ErrorCode, Issue, Result } from './errors.js';
export { VERSION } from './version.js';

// model
export type { JsonObject, JsonValue, NodeId, ResourceName, VjobId, VmId } from './model/ids.js';
export { Node, makeNode, NODE_DURATION_FIELDS } from './model/node.js';
export { ValueRecord } from './model/value.js';
export type { ValueRecordClass, ValueRecordMethods } from './model/value.js';
export { mapInterner } from './model/interner.js';
export type { MapInterner } from './model/interner.js';
export type { IndexedInstance } from './model/indexed.js';
export type { NodeDurations, NodeInit, NodeProps, NodeState } from './model/node.js';
export { Vm, makeVm, VM_STATES, WANTED_STATES, VM_DURATION_FIELDS } from './model/vm.js';
export type { VmDurations, VmInit, VmProps, VmState, WantedState } from './model/vm.js';
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

// exchange format v1
export { parseInstance, validateInstance, serializeInstance, formatInstance } from './io/instance.js';
export type { InstanceJson, NodeJson, VjobJson, VmJson } from './io/instance.js';
export { parsePlan, validatePlan, serializePlan, formatPlan, checkPlanReferences } from './io/plan.js';
export type { PlanJson } from './io/plan.js';
// BtrPlace: import its instances, export plans as its reconfiguration plans
export { importBtrPlace, btrVmId, btrNodeId, BTRPLACE_DURATIONS } from './io/btrplace/import.js';
export type { BtrPlaceImport, ImportNote } from './io/btrplace/import.js';
export { exportBtrPlacePlan, btrPlaceModel, btrPlaceNumbering } from './io/btrplace/export.js';
export type { BtrPlaceNumbering } from './io/btrplace/export.js';
export { readBtrPlaceFile, btrPlaceText, isGzip } from './io/btrplace/read.js';

// constraints
export { CONSTRAINT_TYPES } from './model/constraints.js';
export type {
  BanConstraint, FenceConstraint, SpreadConstraint, GatherConstraint, AmongConstraint, SplitConstraint, LonelyConstraint, RootConstraint, QuarantineConstraint, OverbookConstraint, ResourceCapacityConstraint, RunningCapacityConstraint, MaxOnlineConstraint, OnlineConstraint, OfflineConstraint, ReservedConstraint, RunningConstraint, SleepingConstraint, TerminatedConstraint, Constraint, ConstraintType, ConstraintOf,
} from './model/constraints.js';
export { CONSTRAINTS, specOf } from './constraints/registry.js';
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
export { ACTION_TYPES } from './model/action.js';
export type { FeasiblePlan, InfeasiblePlan, Plan, PlanPhases, PlanStats, PlanStatus, PlanTarget, StopReason, TargetVm } from './plan/types.js';
export type { Action, ActionType, BootAction, BootNodeAction, InfeasibleReason, MigrateAction, NodeAction, ResumeAction, ShutdownAction, ShutdownNodeAction, SuspendAction, VmAction } from './model/action.js';
export { verifyPlan } from './plan/verify.js';
export type { Verification, VerifyOptions } from './plan/verify.js';
export { applyAction, applyActions } from './plan/replay.js';
export { buildPlan } from './plan/planner.js';
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
export type { AdmissionBudget } from './decide/admit.js';
export { defaultSolver } from './place/default.js';
export type { DefaultSolverOptions } from './place/default.js';
export { lnsSolver } from './place/lns.js';
export type { LnsSolverOptions } from './place/lns.js';
export type { ValueKey } from './solvers/neighbourhood.js';
export { partitionedSolver } from './place/partition.js';
export type { PartitionBy, PartitionedSolverOptions } from './place/partition.js';
export { priorityPolicy, compareCandidates } from './decide/policy.js';
export type { AdmissionContext, AdmissionPolicy, VjobCandidate } from './decide/policy.js';
export type { VjobCurrent } from './decide/states.js';
export { decide, DECIDE_SHARE } from './decide/decide.js';
export type { DecideOptions, DecideResult, Decision, DecisionInfeasible, NotAdmitted } from './decide/decide.js';
export { mipSolver } from './place/mip.js';
export type { MipSolverOptions } from './place/mip.js';
export type { BackendName } from './solvers/types.js';
export { defaultRunner } from './solvers/pool.js';
export type { TaskRunner } from './solvers/pool.js';
export { createRandom } from './util/random.js';
export type { Random } from './util/random.js';

// pictures of plans
export { renderPlan } from './report/render.js';
export type { RenderFormat, RenderOptions } from './report/render.js';
export type { RenderHtmlOptions } from './report/html.js';
export type { RenderSvgOptions } from './report/svg.js';

// pipeline
export type { PlanProgress, ProgressBest, ProgressCallback } from './progress.js';
export { afterPlacementMs, planInstance } from './pipeline.js';
export type { PlanInstanceOptions } from './pipeline.js';

// execution: the engine, the executor contract, the simulated executor
export { executePlan, observedTarget, instanceFromObserved } from './execute/engine.js';
export type {
  ActionReport,
  ActionStatus,
  CheckpointPolicy,
  ExecuteOptions,
  ExecutionReport,
  ProgressEvent,
  RecoveredVm,
  RoundReport,
  StatusCounts,
} from './execute/engine.js';
export { STEP_OK, stepFailed } from './execute/types.js';
export type { CheckpointOutcome, Executor, ExecutorError, ExecutorErrorCode, StepContext, StepOutcome } from './execute/types.js';
export { systemClock, VirtualClock, wallClock } from './execute/clock.js';
export type { Clock, WallClock, WallClockOptions } from './execute/clock.js';
export { SimulatedExecutor, simulatedExecutor } from './execute/simulated.js';
export type { ActionMatcher, SimulatedEvent, SimulatedExecutorOptions, SimulatedFault, SimulatedRestore } from './execute/simulated.js';
export type { VmDefinition } from './execute/types.js';
// the controller's durable journal
export { openJournal, memoryJournal } from './execute/controller/journal.js';
export type { FileJournal, JournalError, JournalErrorCode, JournalOpening, MemoryJournal, TornTail } from './execute/controller/journal.js';
export { describeAction, nodesOfAction, durationRequestOf } from './execute/actions.js';
export { QemuExecutor } from './execute/qemu/executor.js';
export type { MigrationRecord, QemuExecutorOptions } from './execute/qemu/executor.js';
export { COUNTER_ADDRESS, counterBootSector, parseCounterLog } from './execute/qemu/guest.js';
export type { CounterLog } from './execute/qemu/guest.js';
export { QmpClient, QmpError } from './execute/qemu/qmp.js';
export type { QmpEvent } from './execute/qemu/qmp.js';
export { findSwitchyardQemu } from './execute/qemu/process.js';
export type { FoundProcess } from './execute/qemu/process.js';
export { LibvirtExecutor, libvirtExecutor, execFileVirsh, virshShell, quoteForVirsh, describeVirsh, tinyDomainXml, startSessionDaemons, sessionDaemonsUnavailable, processesUsing } from './execute/libvirt/index.js';
export type { LibvirtExecutorOptions, LibvirtNode, LibvirtPowerHooks, LibvirtVmRecord, VirshCall, VirshFailure, VirshFailureKind, VirshResult, VirshRunner, VirshRunnerOptions, TinyDomainOptions, SessionDaemons, SessionDaemonsOptions, LibvirtUnavailable } from './execute/libvirt/index.js';
// workloads over time and simulation
export type {
  Workload,
  WorkloadEvent,
  WorkloadEventType,
  WorkloadJob,
  WorkloadVm,
  ArrivalEvent,
  ReservationEvent,
  FailureEvent,
  RepairEvent,
} from './model/workload.js';
export { WORKLOAD_EVENT_TYPES } from './model/workload.js';
export { parseWorkload, validateWorkload, serializeWorkload, formatWorkload } from './io/workload.js';
export type { WorkloadJson } from './io/workload.js';
export { simulateWorkload } from './execute/simulate/simulator.js';
export type { SimulateOptions } from './execute/simulate/simulator.js';
export { engineCarrier, replayPlanTiming } from './execute/simulate/carrier.js';
export { createController } from './execute/controller/controller.js';
export { Ledger } from './execute/controller/ledger.js';
export type { LedgerOptions } from './execute/controller/ledger.js';
export { playWorkload, submissionOf } from './execute/controller/feed.js';
export type { WorkloadWorld } from './execute/controller/feed.js';
export type { Controller, ControllerEvent, ControllerOptions, ControllerReport, InputMeta, Journal, JournalRecord, ReservationSubmission, VjobSubmission, VmSubmission } from './execute/controller/types.js';
export type { EngineCarrierOptions } from './execute/simulate/carrier.js';
export { staticPolicy, killPolicy, switchPolicy, builtinPolicy, contextSwitchPlan, SIM_POLICIES } from './execute/simulate/policies.js';
export type { SwitchPolicyOptions, SimPolicyName } from './execute/simulate/policies.js';
export type {
  SimPolicy,
  SimDecision,
  SimView,
  SimJobView,
  SimClaim,
  SimStep,
  SimMetrics,
  SimJobOutcome,
  SimulationResult,
  PlanCarrier,
  CarriedAction,
  Occupancy,
} from './execute/simulate/types.js';
export { rehomeClaims, sameCapacity } from './execute/simulate/rehome.js';
export type { RehomeInput, RehomeNode, RehomeReservation, RehomeResult, Substitution } from './execute/simulate/rehome.js';
