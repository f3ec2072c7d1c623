import type { ConstraintSpec } from './spec.js';
import { list, runningHosts, runningOnNodes, uniq, violation } from './util.js';

/**
 * `lonely`: no node hosts a running VM of `vms` together with a running VM outside `vms`.
 * One violation per shared node.
 *
 * @example
 * ```ts
 * lonelySpec.check({ type: 'lonely', vms: ['vm1'] }, conf, { instance, index: 6 });
 * // 'lonely #6: n1 hosts vm1 together with vm7, outside the set'
 * ```
 */
export const lonelySpec: ConstraintSpec<'lonely'> = {
  type: 'lonely',
  check(c, configuration, ctx) {
    const members = new Set(c.vms);
    const hosts = new Set(runningHosts(c.vms, configuration).map((h) => h.host));
    const out = [];
    for (const [node, vms] of runningOnNodes(configuration, hosts)) {
      const inside = vms.filter((v) => members.has(v));
      const outside = vms.filter((v) => !members.has(v));
      if (outside.length > 0) {
        out.push(violation('lonely', ctx, `${node} hosts ${list(uniq(inside))} together with ${list(outside)}, outside the set`, vms, [node]));
      }
    }
    return out;
  },
  isContinuous: () => false,
};
