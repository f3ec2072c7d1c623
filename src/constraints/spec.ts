import type { Configuration } from '../model/configuration.js';
import type { NodeId, VmId } from '../model/ids.js';
import type { Instance } from '../model/instance.js';
import type { Action } from '../model/action.js';
import type { ConstraintOf, ConstraintType } from '../model/constraints.js';

/** One broken rule: what, where, and (during a plan) when. */
export interface Violation {
  /** Stable kind, e.g. `constraint:spread`, `capacity`, `illegal-action`, `lost-vm`. */
  readonly code: string;
  /** A sentence naming the VMs, nodes and (when known) action and time. */
  readonly message: string;
  /** Index of the constraint in the instance's `constraints`, when a constraint is broken. */
  readonly constraint?: number;
  readonly vms?: readonly VmId[];
  readonly nodes?: readonly NodeId[];
  /** Id of the action at fault, during a plan. */
  readonly action?: number;
  /** Seconds from the start of the plan. */
  readonly time?: number;
}

/**
 * What one instant of a plan looks like to a continuous constraint: every VM present on a
 * node (running, or migrating: then it occupies both nodes).
 */
export interface InstantView {
  readonly time: number;
  /** Nodes each running VM occupies at this instant (two while it migrates); absent if not running. */
  readonly occupancy: ReadonlyMap<VmId, readonly NodeId[]>;
}

/** Context handed to every checker. */
export interface CheckContext {
  readonly instance: Instance;
  /** Index of the constraint in the instance, for the violations it reports. */
  readonly index: number;
}

/**
 * A constraint's meaning, defined once beside its data: the discrete check (does a
 * configuration satisfy it?) and, for continuous constraints, the checks at every instant and
 * on every action of a plan.
 */
export interface ConstraintSpec<K extends ConstraintType> {
  readonly type: K;
  /**
   * The discrete meaning: the violations of `c` in `configuration` (empty when it holds).
   * The instance's own configuration is the source (for `root`, `quarantine`).
   */
  check(c: ConstraintOf<K>, configuration: Configuration, ctx: CheckContext): Violation[];
  /** Whether this constraint must also hold at every instant of a plan. */
  isContinuous(c: ConstraintOf<K>): boolean;
  /** The continuous meaning on one instant (state-based constraints: spread, ban, fence, among). */
  checkInstant?(c: ConstraintOf<K>, view: InstantView, ctx: CheckContext): Violation[];
  /** The continuous meaning on one action (action-based constraints: root, quarantine). */
  checkAction?(c: ConstraintOf<K>, action: Action, ctx: CheckContext): Violation[];
}

/** A registry holding exactly one spec per constraint type (compiler-checked). */
export type ConstraintRegistry = { readonly [K in ConstraintType]: ConstraintSpec<K> };
