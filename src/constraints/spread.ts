import type { NodeId, VmId } from '../model/ids.js';
import type { ConstraintSpec } from './spec.js';
import { byHost, list, occupying, runningHosts, violation } from './util.js';

/**
 * `spread`: running VMs of `vms` are on pairwise distinct nodes. Always continuous: at every
 * instant no node is occupied by two VMs of the set (a migrating VM occupies both its nodes, so
 * a VM may not migrate onto the node of another, nor another arrive on the node it leaves
 * before it is gone). One violation per shared node.
 *
 * @example
 * ```ts
 * spreadSpec.check({ type: 'spread', vms: ['vm1', 'vm3'] }, conf, { instance, index: 2 });
 * // 'spread #2: vm1 and vm3 both run on n4'
 * ```
 */
export const spreadSpec: ConstraintSpec<'spread'> = {
  type: 'spread',
  check(c, configuration, ctx) {
    const out = [];
    for (const [node, vms] of byHost(runningHosts(c.vms, configuration))) {
      if (vms.length > 1) {
        out.push(violation('spread', ctx, `${list(vms)} ${vms.length > 2 ? 'all' : 'both'} run on ${node}`, vms, [node]));
      }
    }
    return out;
  },
  isContinuous: () => true,
  checkInstant(c, view, ctx) {
    const on = new Map<NodeId, VmId[]>();
    for (const { vm, nodes } of occupying(c.vms, view)) {
      for (const n of nodes) {
        const l = on.get(n);
        if (l) l.push(vm);
        else on.set(n, [vm]);
      }
    }
    const out = [];
    for (const [node, vms] of on) {
      if (vms.length > 1) {
        out.push(
          violation('spread', ctx, `${list(vms)} ${vms.length > 2 ? 'all' : 'both'} occupy ${node}`, vms, [node], { time: view.time }),
        );
      }
    }
    return out;
  },
};
