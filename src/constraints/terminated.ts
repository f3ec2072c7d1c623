import type { ConstraintSpec } from './spec.js';
import { checkFinalState } from './util.js';

/**
 * `terminated`: these VMs end terminated (discrete only).
 *
 * @example
 * ```ts
 * terminatedSpec.check({ type: 'terminated', vms: ['vm1'] }, conf, ctx); // 'terminated #0: vm1 is waiting, not terminated' or 'vm1 is sleeping on n2, not terminated'
 * ```
 */
export const terminatedSpec: ConstraintSpec<'terminated'> = {
  type: 'terminated',
  check: (c, configuration, ctx) => checkFinalState('terminated', c.vms, configuration, ctx),
  isContinuous: () => false,
};
