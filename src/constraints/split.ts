import type { ConstraintSpec } from './spec.js';
import { byHost, list, runningHosts, violation } from './util.js';

/**
 * `split`: no node hosts running VMs of two different groups. A VM listed in several groups
 * counts for each of them, so it cannot run without breaking the constraint (give each VM one
 * group; validation may reject overlapping groups). One violation per node shared.
 *
 * @example
 * ```ts
 * splitSpec.check({ type: 'split', groups: [['vm1'], ['vm2']] }, conf, { instance, index: 5 });
 * // 'split #5: n1 hosts vm1 (group 0) and vm2 (group 1)'
 * ```
 */
export const splitSpec: ConstraintSpec<'split'> = {
  type: 'split',
  check(c, configuration, ctx) {
    // node -> group indices present there, with one witness VM per group.
    const present = new Map<string, Map<number, string[]>>();
    c.groups.forEach((g, gi) => {
      for (const [node, vms] of byHost(runningHosts(g, configuration))) {
        let m = present.get(node);
        if (!m) present.set(node, (m = new Map()));
        m.set(gi, vms);
      }
    });
    const out = [];
    for (const [node, groups] of present) {
      if (groups.size < 2) continue;
      const parts = [...groups].map(([gi, vms]) => `${vms.join(', ')} (group ${gi})`);
      out.push(violation('split', ctx, `${node} hosts ${list(parts)}`, [...groups.values()].flat(), [node]));
    }
    return out;
  },
  isContinuous: () => false,
};
