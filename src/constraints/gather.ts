import type { ConstraintSpec } from './spec.js';
import { byHost, list, runningHosts, violation } from './util.js';

/**
 * `gather`: running VMs of `vms` share one node (discrete only: the VMs may be apart while the
 * plan moves them).
 *
 * @example
 * ```ts
 * gatherSpec.check({ type: 'gather', vms: ['vm1', 'vm2'] }, conf, { instance, index: 3 });
 * // 'gather #3: vm1 and vm2 must share one node but run on n1 (vm1), n2 (vm2)'
 * ```
 */
export const gatherSpec: ConstraintSpec<'gather'> = {
  type: 'gather',
  check(c, configuration, ctx) {
    const hosted = runningHosts(c.vms, configuration);
    const hosts = byHost(hosted);
    if (hosts.size <= 1) return [];
    const where = [...hosts].map(([n, vms]) => `${n} (${vms.join(', ')})`).join(', ');
    const vms = hosted.map((h) => h.vm);
    return [violation('gather', ctx, `${list(vms)} must share one node but run on ${where}`, vms, [...hosts.keys()])];
  },
  isContinuous: () => false,
};
