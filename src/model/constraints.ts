import type { JsonObject, NodeId, ResourceName, VjobId, VmId } from './ids.js';

interface Base {
  /** Extension data, carried through untouched. */
  readonly x?: JsonObject;
}

/** `ban`: none of `vms` runs on any of `nodes`. */
export interface BanConstraint extends Base {
  readonly type: 'ban';
  readonly vms: readonly VmId[];
  readonly nodes: readonly NodeId[];
  /** Also hold at every instant of the plan. */
  readonly continuous?: boolean;
}
/** `fence`: every running VM of `vms` runs on one of `nodes`. */
export interface FenceConstraint extends Base {
  readonly type: 'fence';
  readonly vms: readonly VmId[];
  readonly nodes: readonly NodeId[];
  readonly continuous?: boolean;
}
/** `spread`: running VMs of `vms` are on pairwise distinct nodes, at every instant. */
export interface SpreadConstraint extends Base {
  readonly type: 'spread';
  readonly vms: readonly VmId[];
}
/** `gather`: running VMs of `vms` share one node. */
export interface GatherConstraint extends Base {
  readonly type: 'gather';
  readonly vms: readonly VmId[];
}
/** `among`: running VMs of `vms` all run inside one group of nodes. */
export interface AmongConstraint extends Base {
  readonly type: 'among';
  readonly vms: readonly VmId[];
  /** The node groups (when read from `groupBy`, the nodes sharing each value of that label, in node order). */
  readonly groups: readonly (readonly NodeId[])[];
  /**
   * The node label the groups come from (FORMAT.md `among`), when the document named one instead
   * of listing the groups: written back as such, so that a document stays as short as it came.
   */
  readonly groupBy?: string;
  readonly continuous?: boolean;
}
/** `split`: no node hosts VMs of two different groups. */
export interface SplitConstraint extends Base {
  readonly type: 'split';
  readonly groups: readonly (readonly VmId[])[];
}
/** `lonely`: no node hosts a VM of `vms` together with a VM outside `vms`. */
export interface LonelyConstraint extends Base {
  readonly type: 'lonely';
  readonly vms: readonly VmId[];
}
/** `root`: these VMs are never moved. */
export interface RootConstraint extends Base {
  readonly type: 'root';
  readonly vms: readonly VmId[];
}
/** `quarantine`: VMs on these nodes stay; no other VM arrives, at every instant. */
export interface QuarantineConstraint extends Base {
  readonly type: 'quarantine';
  readonly nodes: readonly NodeId[];
}
/** `overbook`: usable capacity of `resource` on `nodes` is capacity × `ratio`. */
export interface OverbookConstraint extends Base {
  readonly type: 'overbook';
  readonly nodes: readonly NodeId[];
  readonly resource: ResourceName;
  readonly ratio: number;
}
/** `resourceCapacity`: total demand of `resource` on `nodes` is at most `amount`. */
export interface ResourceCapacityConstraint extends Base {
  readonly type: 'resourceCapacity';
  readonly nodes: readonly NodeId[];
  readonly resource: ResourceName;
  readonly amount: number;
}
/** `runningCapacity`: number of running VMs on `nodes` is at most `amount`. */
export interface RunningCapacityConstraint extends Base {
  readonly type: 'runningCapacity';
  readonly nodes: readonly NodeId[];
  readonly amount: number;
}
/** `maxOnline`: at most `amount` of `nodes` are online. */
export interface MaxOnlineConstraint extends Base {
  readonly type: 'maxOnline';
  readonly nodes: readonly NodeId[];
  readonly amount: number;
}
/** `online`: these nodes end online. */
export interface OnlineConstraint extends Base {
  readonly type: 'online';
  readonly nodes: readonly NodeId[];
}
/** `offline`: these nodes end offline (evacuated first). */
export interface OfflineConstraint extends Base {
  readonly type: 'offline';
  readonly nodes: readonly NodeId[];
}
/** `reserved`: only VMs of `vjob` may run on `nodes`. */
export interface ReservedConstraint extends Base {
  readonly type: 'reserved';
  readonly nodes: readonly NodeId[];
  readonly vjob: VjobId;
}
/** `running`: these VMs end running. */
export interface RunningConstraint extends Base {
  readonly type: 'running';
  readonly vms: readonly VmId[];
}
/** `sleeping`: these VMs end sleeping. */
export interface SleepingConstraint extends Base {
  readonly type: 'sleeping';
  readonly vms: readonly VmId[];
}
/** `terminated`: these VMs end terminated. */
export interface TerminatedConstraint extends Base {
  readonly type: 'terminated';
  readonly vms: readonly VmId[];
}

/** Every constraint of the exchange format (FORMAT.md), discriminated by `type`. */
export type Constraint =
  | BanConstraint
  | FenceConstraint
  | SpreadConstraint
  | GatherConstraint
  | AmongConstraint
  | SplitConstraint
  | LonelyConstraint
  | RootConstraint
  | QuarantineConstraint
  | OverbookConstraint
  | ResourceCapacityConstraint
  | RunningCapacityConstraint
  | MaxOnlineConstraint
  | OnlineConstraint
  | OfflineConstraint
  | ReservedConstraint
  | RunningConstraint
  | SleepingConstraint
  | TerminatedConstraint;

/** The `type` tag of a constraint. */
export type ConstraintType = Constraint['type'];

/** The constraint type whose tag is `K`. */
export type ConstraintOf<K extends ConstraintType> = Extract<Constraint, { type: K }>;

/**
 * Every constraint type, in FORMAT.md order. The `satisfies` clause makes the compiler reject a
 * list that misses or repeats one.
 */
export const CONSTRAINT_TYPES = [
  'ban', 'fence', 'spread', 'gather', 'among', 'split', 'lonely', 'root', 'quarantine', 'overbook',
  'resourceCapacity', 'runningCapacity', 'maxOnline', 'online', 'offline', 'reserved', 'running',
  'sleeping', 'terminated',
] as const satisfies readonly ConstraintType[];

type Missing = Exclude<ConstraintType, (typeof CONSTRAINT_TYPES)[number]>;
// Compile-time completeness check: `Missing` must be `never`.
const _complete: [Missing] extends [never] ? true : Missing = true;
void _complete;
