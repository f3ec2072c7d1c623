/**
 * A workload over time: an instance (the cluster at time 0) plus timed events — vjob arrivals,
 * advance reservations, node failures and repairs — and the work (seconds of running) each vjob
 * needs. The simulator (`simulateWorkload`) plays it; `docs/format.md` ("Workload over time") describes its
 * JSON form.
 */
import type { Instance } from './instance.js';
import type { JsonObject, NodeId, VjobId, VmId } from './ids.js';

/** One VM of an arriving vjob: its id and demand per resource. */
export interface WorkloadVm {
  readonly id: VmId;
  readonly demand: Readonly<Record<string, number>>;
}

/** A vjob that arrives during the simulation. */
export interface WorkloadJob {
  readonly id: VjobId;
  readonly vms: readonly WorkloadVm[];
  /** Seconds it must run (all its VMs running together) to finish. */
  readonly work: number;
  /** Higher runs first (default 0). */
  readonly priority?: number;
  /** May be suspended or killed to make room (default false). */
  readonly bestEffort?: boolean;
}

/** A vjob is submitted at `time`. */
export interface ArrivalEvent {
  readonly type: 'arrival';
  readonly time: number;
  readonly job: WorkloadJob;
}
/**
 * An advance reservation announced at `time`: `nodes` belong to `job` during [start, end).
 * The nodes are claimed (a `reserved` constraint) from `start - lead` so that the resource
 * manager can vacate them; `job` is submitted at `start` and runs for `end - start` seconds.
 */
export interface ReservationEvent {
  readonly type: 'reservation';
  readonly time: number;
  readonly start: number;
  readonly end: number;
  readonly nodes: readonly NodeId[];
  readonly job: WorkloadJob;
}
/** `node` dies at `time`: VMs on it and images on its disk are lost. */
export interface FailureEvent {
  readonly type: 'failure';
  readonly time: number;
  readonly node: NodeId;
}
/** A failed `node` comes back (online, empty) at `time`. */
export interface RepairEvent {
  readonly type: 'repair';
  readonly time: number;
  readonly node: NodeId;
}

/** A timed event of a workload. */
export type WorkloadEvent = ArrivalEvent | ReservationEvent | FailureEvent | RepairEvent;
/** The `type` tag of a workload event. */
export type WorkloadEventType = WorkloadEvent['type'];
/** Every workload event type. */
export const WORKLOAD_EVENT_TYPES = ['arrival', 'reservation', 'failure', 'repair'] as const satisfies readonly WorkloadEventType[];

/** A workload over time (see the module comment). */
export interface Workload {
  readonly version: 1;
  /** The generator family that produced it, for reports. */
  readonly family?: string;
  /** The generator seed, for reports. */
  readonly seed?: number;
  /** The cluster at time 0 (its VMs run, sleep or wait at time 0). */
  readonly instance: Instance;
  /** Seconds of running still needed by vjobs of the instance; a vjob absent here is a service (never ends). */
  readonly work: Readonly<Record<VjobId, number>>;
  /** The events, in time order (ties keep their order). */
  readonly events: readonly WorkloadEvent[];
  /** Seconds before a reservation's start at which its nodes are claimed (default 120). */
  readonly lead?: number;
  /** A reservation is on time when its VMs all run within `tolerance` seconds of its start (default 60). */
  readonly tolerance?: number;
  /** Simulated time at which the simulation stops (default: when no event and no finite work is left). */
  readonly horizon?: number;
  readonly x?: JsonObject;
}

/** Default {@link Workload.lead}, seconds. */
export const DEFAULT_LEAD = 120;
/** Default {@link Workload.tolerance}, seconds. */
export const DEFAULT_TOLERANCE = 60;
