/**
 * The actions of a plan and the reasons an instance has no solution: the vocabulary every stage
 * shares (constraints check actions, solvers and planners report reasons), so it lives in the model.
 */
import type { JsonObject, NodeId, ResourceName, VmId } from './ids.js';

interface ActionBase {
  /** Unique within a plan; `after` refers to it. */
  readonly id: number;
  /** Seconds from the start of the plan. */
  readonly start: number;
  readonly end: number;
  /** Ids of actions that must end before this one starts. */
  readonly after?: readonly number[];
  readonly x?: JsonObject;
}
/** running → running on another node; occupies both `from` and `to` during [start, end). */
export interface MigrateAction extends ActionBase {
  readonly type: 'migrate';
  readonly vm: VmId;
  readonly from: NodeId;
  readonly to: NodeId;
}
/** waiting → running on `to`; occupies `to` from `start`. */
export interface BootAction extends ActionBase {
  readonly type: 'boot';
  readonly vm: VmId;
  readonly to: NodeId;
}
/** running → terminated; frees `from` at `end`. */
export interface ShutdownAction extends ActionBase {
  readonly type: 'shutdown';
  readonly vm: VmId;
  readonly from: NodeId;
}
/** running → sleeping, image on `from`; frees `from` at `end`. */
export interface SuspendAction extends ActionBase {
  readonly type: 'suspend';
  readonly vm: VmId;
  readonly from: NodeId;
}
/** sleeping (image on `from`) → running on `to`; occupies `to` from `start`. `from ≠ to` moves the image. */
export interface ResumeAction extends ActionBase {
  readonly type: 'resume';
  readonly vm: VmId;
  readonly from: NodeId;
  readonly to: NodeId;
}
/** offline → online; the node hosts VMs from `end` on. */
export interface BootNodeAction extends ActionBase {
  readonly type: 'bootNode';
  readonly node: NodeId;
}
/** online → offline; the node hosts nothing from `start` on. */
export interface ShutdownNodeAction extends ActionBase {
  readonly type: 'shutdownNode';
  readonly node: NodeId;
}

/** A timed step of a plan (FORMAT.md action table). */
export type Action =
  | MigrateAction
  | BootAction
  | ShutdownAction
  | SuspendAction
  | ResumeAction
  | BootNodeAction
  | ShutdownNodeAction;
/** The `type` tag of an action. */
export type ActionType = Action['type'];
/** Every action type. */
export const ACTION_TYPES = [
  'migrate', 'boot', 'shutdown', 'suspend', 'resume', 'bootNode', 'shutdownNode',
] as const satisfies readonly ActionType[];
/** Actions on a VM. */
export type VmAction = MigrateAction | BootAction | ShutdownAction | SuspendAction | ResumeAction;
/** Actions on a node. */
export type NodeAction = BootNodeAction | ShutdownNodeAction;

/** Why an instance cannot be satisfied: a message, and what it involves. */
export interface InfeasibleReason {
  /** A sentence naming the resource, VMs, nodes or constraints at fault. */
  readonly message: string;
  readonly resource?: ResourceName;
  readonly vms?: readonly VmId[];
  readonly nodes?: readonly NodeId[];
  /** Indices into the instance's `constraints`. */
  readonly constraints?: readonly number[];
  readonly x?: JsonObject;
}

/**
 * The nodes an action involves (source and destination, or its node), without repeats.
 * @param a - the action
 * @returns the node ids
 * @example
 * ```ts
 * nodesOfAction({ id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 1 }); // ['n1', 'n2']
 * ```
 */
export function nodesOfAction(a: Action): NodeId[] {
  switch (a.type) {
    case 'migrate':
    case 'resume':
      return a.from === a.to ? [a.from] : [a.from, a.to];
    case 'boot':
      return [a.to];
    case 'shutdown':
    case 'suspend':
      return [a.from];
    case 'bootNode':
    case 'shutdownNode':
      return [a.node];
    default:
      // An action read from an untrusted plan may carry an unknown type: it names no node.
      return [];
  }
}
