import type { ConstraintSpec } from './spec.js';
import { checkFinalState } from './util.js';

/**
 * `running`: these VMs end running (discrete only).
 *
 * @example
 * ```ts
 * runningSpec.check({ type: 'running', vms: ['vm1'] }, conf, ctx); // 'running #0: vm1 is waiting, not running' or 'vm1 is sleeping on n2, not running'
 * ```
 */
export const runningSpec: ConstraintSpec<'running'> = {
  type: 'running',
  check: (c, configuration, ctx) => checkFinalState('running', c.vms, configuration, ctx),
  isContinuous: () => false,
};
