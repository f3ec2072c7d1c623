import { amongSpec } from './among.js';
import { banSpec } from './ban.js';
import { fenceSpec } from './fence.js';
import { gatherSpec } from './gather.js';
import { lonelySpec } from './lonely.js';
import { maxOnlineSpec } from './maxOnline.js';
import { offlineSpec } from './offline.js';
import { onlineSpec } from './online.js';
import { overbookSpec } from './overbook.js';
import { quarantineSpec } from './quarantine.js';
import { reservedSpec } from './reserved.js';
import { resourceCapacitySpec } from './resourceCapacity.js';
import { rootSpec } from './root.js';
import { runningSpec } from './running.js';
import { runningCapacitySpec } from './runningCapacity.js';
import { sleepingSpec } from './sleeping.js';
import { splitSpec } from './split.js';
import { spreadSpec } from './spread.js';
import { terminatedSpec } from './terminated.js';
import type { ConstraintRegistry, ConstraintSpec } from './spec.js';
import type { Constraint, ConstraintType } from '../model/constraints.js';

/**
 * Every constraint's meaning, one spec per type. The `satisfies` clause makes the compiler reject
 * a registry that misses a type or pairs a key with another type's spec.
 *
 * @example
 * ```ts
 * CONSTRAINTS.spread.isContinuous({ type: 'spread', vms: [] }); // true
 * ```
 */
export const CONSTRAINTS = {
  ban: banSpec,
  fence: fenceSpec,
  spread: spreadSpec,
  gather: gatherSpec,
  among: amongSpec,
  split: splitSpec,
  lonely: lonelySpec,
  root: rootSpec,
  quarantine: quarantineSpec,
  overbook: overbookSpec,
  resourceCapacity: resourceCapacitySpec,
  runningCapacity: runningCapacitySpec,
  maxOnline: maxOnlineSpec,
  online: onlineSpec,
  offline: offlineSpec,
  reserved: reservedSpec,
  running: runningSpec,
  sleeping: sleepingSpec,
  terminated: terminatedSpec,
} as const satisfies ConstraintRegistry;

/**
 * The spec of one constraint type.
 * @param type - the constraint type
 * @returns its spec (discrete check, continuity, continuous checks)
 * @example
 * ```ts
 * specOf('ban').check({ type: 'ban', vms: ['vm1'], nodes: ['n1'] }, conf, { instance, index: 0 });
 * ```
 */
export function specOf<K extends ConstraintType>(type: K): ConstraintSpec<K> {
  return (CONSTRAINTS as ConstraintRegistry)[type];
}

/**
 * The spec of a constraint value, typed for that value. (The one place where the link between a
 * constraint's `type` tag and its spec is taken on trust: `CONSTRAINTS` is keyed by tag, so the
 * spec found accepts exactly this constraint.)
 * @param c - the constraint
 * @returns the spec for `c.type`, accepting `c`
 */
export function specFor(c: Constraint): ConstraintSpec<ConstraintType> {
  return specOf(c.type) as unknown as ConstraintSpec<ConstraintType>;
}
