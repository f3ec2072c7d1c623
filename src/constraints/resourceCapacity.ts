import type { ConstraintSpec } from './spec.js';
import { demandOf, exceeds, list, runningOnNodes, violation } from './util.js';

/**
 * `resourceCapacity`: the total demand of `resource` by running VMs on `nodes` (each node counted
 * once) is at most `amount`.
 *
 * @example
 * ```ts
 * resourceCapacitySpec.check({ type: 'resourceCapacity', nodes: ['n1', 'n2'], resource: 'cpu', amount: 8 }, conf, ctx);
 * // 'resourceCapacity #0: cpu demand 10 on n1 and n2 exceeds 8 (vm1 and vm2)'
 * ```
 */
export const resourceCapacitySpec: ConstraintSpec<'resourceCapacity'> = {
  type: 'resourceCapacity',
  check(c, configuration, ctx) {
    const on = runningOnNodes(configuration, new Set(c.nodes));
    const vms = [...on.values()].flat();
    const load = vms.reduce((s, vm) => s + demandOf(ctx.instance, vm, c.resource), 0);
    if (!exceeds(load, c.amount)) return [];
    return [violation('resourceCapacity', ctx, `${c.resource} demand ${load} on ${list([...new Set(c.nodes)])} exceeds ${c.amount} (${list(vms)})`, vms, [...on.keys()])];
  },
  isContinuous: () => false,
};
