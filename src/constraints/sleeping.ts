import type { ConstraintSpec } from './spec.js';
import { checkFinalState } from './util.js';

/**
 * `sleeping`: these VMs end sleeping (discrete only).
 *
 * @example
 * ```ts
 * sleepingSpec.check({ type: 'sleeping', vms: ['vm1'] }, conf, ctx); // 'sleeping #0: vm1 is waiting, not sleeping' or 'vm1 is sleeping on n2, not sleeping'
 * ```
 */
export const sleepingSpec: ConstraintSpec<'sleeping'> = {
  type: 'sleeping',
  check: (c, configuration, ctx) => checkFinalState('sleeping', c.vms, configuration, ctx),
  isContinuous: () => false,
};
