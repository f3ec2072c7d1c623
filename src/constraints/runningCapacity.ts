import type { ConstraintSpec } from './spec.js';
import { list, runningOnNodes, violation } from './util.js';

/**
 * `runningCapacity`: at most `amount` VMs run on `nodes` (each node counted once).
 *
 * @example
 * ```ts
 * runningCapacitySpec.check({ type: 'runningCapacity', nodes: ['n1'], amount: 1 }, conf, ctx);
 * // 'runningCapacity #0: 2 VMs run on n1 (vm1 and vm2), more than 1'
 * ```
 */
export const runningCapacitySpec: ConstraintSpec<'runningCapacity'> = {
  type: 'runningCapacity',
  check(c, configuration, ctx) {
    const on = runningOnNodes(configuration, new Set(c.nodes));
    const vms = [...on.values()].flat();
    if (vms.length <= c.amount) return [];
    return [
      violation('runningCapacity', ctx, `${vms.length} VMs run on ${list([...new Set(c.nodes)])} (${list(vms)}), more than ${c.amount}`, vms, [...on.keys()]),
    ];
  },
  isContinuous: () => false,
};
