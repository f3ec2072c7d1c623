import { ValueRecord } from './value.js';
import type { JsonObject, VjobId } from './ids.js';

/** The fields of a {@link Vjob}. */
export interface VjobProps {
  readonly id: VjobId;
  /** Higher runs first. */
  readonly priority: number;
  /** Submission time; earlier runs first among equal priorities. */
  readonly submitted: number;
  /** A best-effort vjob may be suspended at any time to make room for others. */
  readonly bestEffort: boolean;
  readonly x: JsonObject | undefined;
}

const VjobRecord = ValueRecord<VjobProps>({ id: '', priority: 0, submitted: 0, bestEffort: false, x: undefined });

/**
 * A group of VMs that changes state together (all running or all sleeping, never split).
 *
 * @example
 * ```ts
 * const j = makeVjob({ id: 'job1', priority: 5 });
 * ```
 */
export class Vjob extends VjobRecord {}

/** Plain-object description of a vjob, as accepted by {@link makeVjob}. */
export interface VjobInit {
  readonly id: VjobId;
  readonly priority?: number;
  readonly submitted?: number;
  readonly bestEffort?: boolean;
  readonly x?: JsonObject;
}

/**
 * Builds a {@link Vjob} (defaults: priority 0, submitted 0, not best-effort).
 * @param init - the vjob's fields
 * @returns the immutable vjob
 */
export function makeVjob(init: VjobInit): Vjob {
  return new Vjob({
    id: init.id,
    priority: init.priority ?? 0,
    submitted: init.submitted ?? 0,
    bestEffort: init.bestEffort ?? false,
    x: init.x,
  });
}
