/**
 * Types of the controller: Entropy's loop as a library object. A {@link Controller} keeps a live
 * cluster in its target event after event: it queues vjobs, asks its policy for a plan at every
 * event, carries the plan out through the engine on an {@link Executor}, stops launching when
 * the world changes mid-switch and plans again, journals what it does so that it survives its
 * own crash, and accounts every vjob's progress (the figures of `switchyard simulate`).
 *
 * The simulator is the same controller on the simulated executor and a virtual clock.
 */
import type { Instance } from '../../model/instance.js';
import type { JsonObject, NodeId, VjobId, VmId } from '../../model/ids.js';
import type { Action } from '../../model/action.js';
import type { Plan } from '../../plan/types.js';
import type { Clock } from '../clock.js';
import type { ActionStatus, ExecuteOptions } from '../engine.js';
import type { Executor, ExecutorError } from '../types.js';
import type { Occupancy, SimJobOutcome, SimMetrics, SimPolicy, SimStep } from '../simulate/types.js';
import type { VmDurations } from '../../model/vm.js';

/** A VM of a submitted vjob. */
export interface VmSubmission {
  readonly id: VmId;
  /** Resource demand (`cpu`, `memory`, ...). */
  readonly demand: Readonly<Record<string, number>>;
  /** Its own action durations (docs/format.md, `vms[].durations`). */
  readonly durations?: VmDurations;
}

/** A vjob handed to {@link Controller.submit}. */
export interface VjobSubmission {
  readonly id: VjobId;
  readonly vms: readonly VmSubmission[];
  /** Seconds of running it needs (default: Infinity, a service that runs until cancelled). */
  readonly work?: number;
  readonly priority?: number;
  readonly bestEffort?: boolean;
}

/** An advance reservation handed to {@link Controller.reserve}. */
export interface ReservationSubmission {
  readonly job: VjobSubmission;
  /** Controller seconds when it was announced (default: when it is handed over). */
  readonly time?: number;
  /** Controller seconds when its VMs must run. */
  readonly start: number;
  /** Controller seconds when its lease ends. */
  readonly end: number;
  /** The nodes it claims (re-homed on a spare node of the same capacity when one fails). */
  readonly nodes: readonly NodeId[];
}

/**
 * The controller's journal: an append-only log of records, each made durable before `append`
 * returns. A controller started on a journal that already holds records replays them, then
 * reconciles with `executor.observe()`.
 */
export interface Journal {
  /** The records already in the journal, oldest first (read when the journal was opened). */
  readonly records: readonly JournalRecord[];
  /** Appends one record durably (written and fsync'd before it returns). */
  append(record: JournalRecord): void;
  /** Releases the file. Idempotent. */
  close(): void;
}

/** One line of the journal. `time` is controller seconds (the clock's). */
export type JournalRecord =
  | { readonly type: 'start'; readonly time: number; readonly seed: number; readonly x?: JsonObject }
  | { readonly type: 'submit'; readonly time: number; readonly job: VjobSubmission; readonly key?: string }
  | { readonly type: 'reserve'; readonly time: number; readonly reservation: ReservationSubmission; readonly key?: string }
  | { readonly type: 'cancel'; readonly time: number; readonly vjob: VjobId; readonly key?: string }
  | { readonly type: 'drain'; readonly time: number; readonly node: NodeId; readonly key?: string }
  | { readonly type: 'nodeFailed'; readonly time: number; readonly node: NodeId; readonly key?: string }
  | { readonly type: 'nodeRepaired'; readonly time: number; readonly node: NodeId; readonly key?: string }
  /** A plan about to be carried out (its actions, numbered as in the plan). */
  | { readonly type: 'plan'; readonly time: number; readonly decision: number; readonly actions: readonly Action[] }
  /** Written before the executor is asked to carry the action out (write-ahead). */
  | { readonly type: 'actionStarted'; readonly time: number; readonly decision: number; readonly action: number }
  | { readonly type: 'actionEnded'; readonly time: number; readonly decision: number; readonly action: number; readonly status: ActionStatus }
  /** Every VM of the vjob ran its work: it is done and never runs again. */
  | { readonly type: 'finished'; readonly time: number; readonly vjob: VjobId }
  | { readonly type: 'stop'; readonly time: number };

/** What the controller tells its listeners. */
export type ControllerEvent =
  | { readonly type: 'submitted'; readonly time: number; readonly vjob: VjobId }
  | { readonly type: 'cancelled'; readonly time: number; readonly vjob: VjobId }
  | { readonly type: 'drained'; readonly time: number; readonly node: NodeId }
  | { readonly type: 'nodeFailed'; readonly time: number; readonly node: NodeId; readonly lostVjobs: readonly VjobId[] }
  | { readonly type: 'nodeRepaired'; readonly time: number; readonly node: NodeId }
  | { readonly type: 'rehomed'; readonly time: number; readonly vjob: VjobId; readonly from: NodeId; readonly to: NodeId }
  | { readonly type: 'decision'; readonly time: number; readonly decision: number; readonly plan: Plan }
  | { readonly type: 'actionStarted'; readonly time: number; readonly decision: number; readonly action: Action }
  | { readonly type: 'actionEnded'; readonly time: number; readonly decision: number; readonly action: Action; readonly status: ActionStatus; readonly error?: ExecutorError }
  /** The world changed mid-switch: the rest of the current plan is not launched. */
  | { readonly type: 'replan'; readonly time: number; readonly decision: number; readonly reason: string }
  | { readonly type: 'finished'; readonly time: number; readonly vjob: VjobId }
  /** A vjob lost work (killed, or a VM on a failed node): back to its last checkpoint. */
  | { readonly type: 'aborted'; readonly time: number; readonly vjob: VjobId; readonly discarded: number }
  /** Started on a journal that held records: what was replayed and reconciled. */
  | { readonly type: 'recovered'; readonly time: number; readonly records: number; readonly inDoubt: readonly number[] }
  /** Nothing left to do: every vjob submitted is done or cancelled, no action in flight. */
  | { readonly type: 'idle'; readonly time: number };

/** Options of {@link createController}. */
export interface ControllerOptions {
  /** The cluster: its nodes, and the VMs that already run there (they become vjobs of their own). */
  readonly instance: Instance;
  /** Carries the actions out and observes the world. */
  readonly executor: Executor;
  /** Decides at every event (default: the `switch` policy). */
  readonly policy?: SimPolicy;
  /** The clock (default: the executor's, else the system clock). */
  readonly clock?: Clock;
  /** Durable journal (default: none, not crash-safe). */
  readonly journal?: Journal;
  /**
   * Written under `x` of the journal's `start` record, e.g. `{ origin: clock.origin }` of a
   * {@link wallClock}: a restarted process reads it back (`journal.records[0].x`) to go on with the
   * same time. Used only when the journal is new.
   */
  readonly startInfo?: JsonObject;
  /** Seed of the decisions (default 1). */
  readonly seed?: number;
  /** Seconds before a reservation's start its nodes are claimed (default 300). */
  readonly lead?: number;
  /** Seconds after the start by which a reservation must run (default 60). */
  readonly tolerance?: number;
  /** Called on every event (must not throw). */
  readonly onEvent?: (event: ControllerEvent) => void;
  /** Seconds of work of the instance's own vjobs (default: Infinity, services). */
  readonly work?: Readonly<Record<VjobId, number>>;
  /** The loop ends at this controller time (default: never). */
  readonly horizon?: number;
  /** At most this many decisions (default 100,000): a guard against a policy that never settles. */
  readonly maxDecisions?: number;
  /**
   * Re-home a claimed reservation's failed node on a spare of the same capacity (default true;
   * docs/format.md, "Re-homing"). False: a failed node is not replaced.
   */
  readonly rehome?: boolean;
  /** Record the occupancy of every node in the report (default false). */
  readonly trace?: boolean;
  /** Called with every decision (instance and plan), e.g. to verify each plan. */
  readonly onStep?: (step: SimStep) => void;
  /**
   * Timeouts of the actions, in controller seconds (default the engine's: expected × 3 + 10).
   * On a compressed wall clock a real action takes its wall time × the speed: give it room.
   */
  readonly execution?: Pick<ExecuteOptions, 'timeout' | 'timeoutFactor' | 'timeoutSlack'>;
}

/** Where an input comes from: a key the journal keeps, so a restarted feeder does not give it twice. */
export interface InputMeta {
  readonly key?: string;
}

/** The report of a controller run: the figures of `switchyard simulate`, per vjob outcomes. */
export interface ControllerReport {
  readonly policy: string;
  readonly metrics: SimMetrics;
  readonly jobs: readonly SimJobOutcome[];
  /** Occupancy intervals (with `trace: true`). */
  readonly trace?: readonly Occupancy[];
}

/**
 * The controller. Inputs may be given at any time, also while a switch is under way; each is
 * journaled before it takes effect.
 */
export interface Controller {
  /** Queues a vjob (ignored when its id is known already). */
  submit(job: VjobSubmission, meta?: InputMeta): void;
  /** Books an advance reservation (ignored when its vjob's id is known already). */
  reserve(reservation: ReservationSubmission, meta?: InputMeta): void;
  /** Cancels a vjob: its VMs are shut down, it is not run again. False when unknown or done. */
  cancel(vjob: VjobId, meta?: InputMeta): boolean;
  /** Moves every VM off the node and keeps it empty (a `ban` for every VM). */
  drain(node: NodeId, meta?: InputMeta): void;
  /** The node died: its vjobs go back to their last checkpoint; reservations on it are re-homed. */
  nodeFailed(node: NodeId, meta?: InputMeta): void;
  /** The node is back, online and empty. */
  nodeRepaired(node: NodeId, meta?: InputMeta): void;
  /**
   * Calls `fire` (which gives inputs) when the controller's clock reaches `time`, inside the loop:
   * before the decision of that instant. At equal times lower `rank` first (failures 0, repairs 1,
   * lease ends 2, claims 3, arrivals 4: the default), then in the order scheduled. A feeder uses
   * it to play a workload's events; scheduled calls are not journaled (the inputs they give are).
   */
  schedule(time: number, fire: () => void, rank?: number): void;
  /** Whether an input with this key was taken (also before a restart: it is journaled). */
  delivered(key: string): boolean;
  /** The controller's time now (its clock's). */
  now(): number;
  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: (event: ControllerEvent) => void): () => void;
  /**
   * Runs the loop until `stop()` is called, or (with `untilIdle`) until nothing is left to do
   * and no input is pending from `inputsPending()`.
   */
  run(options?: { readonly untilIdle?: boolean; readonly inputsPending?: () => boolean; readonly signal?: AbortSignal }): Promise<ControllerReport>;
  /** Ends the loop after the actions in flight have ended. */
  stop(): void;
  /** The figures so far. */
  report(): ControllerReport;
}
