import type { NodeId } from '../model/ids.js';
import type { ConstraintSpec } from './spec.js';
import { list, occupying, runningHosts, uniq, violation } from './util.js';

/** Whether some group contains every node of `nodes`. */
function inOneGroup(groups: readonly (readonly NodeId[])[], nodes: readonly NodeId[]): boolean {
  if (nodes.length === 0) return true;
  // Few nodes against large groups (thousands of nodes in all): scan, do not index.
  return groups.some((g) => nodes.every((n) => g.includes(n)));
}

/**
 * `among`: running VMs of `vms` all run inside one group of `groups` (groups may overlap: some
 * group must contain every host). With `continuous: true`, at every instant every node occupied
 * by a VM of the set (both ends of a migration) lies in one common group.
 *
 * @example
 * ```ts
 * amongSpec.check({ type: 'among', vms: ['vm1', 'vm2'], groups: [['n1'], ['n2']] }, conf, { instance, index: 4 });
 * // 'among #4: vm1 (n1) and vm2 (n2) do not run inside one group' when they are apart
 * ```
 */
export const amongSpec: ConstraintSpec<'among'> = {
  type: 'among',
  check(c, configuration, ctx) {
    const hosted = runningHosts(c.vms, configuration);
    if (inOneGroup(c.groups, uniq(hosted.map((h) => h.host)))) return [];
    const where = hosted.map(({ vm, host }) => `${vm} (${host})`);
    return [violation('among', ctx, `${list(where)} do not run inside one group`, hosted.map((h) => h.vm), hosted.map((h) => h.host))];
  },
  isContinuous: (c) => c.continuous === true,
  checkInstant(c, view, ctx) {
    const occ = occupying(c.vms, view);
    const nodes = uniq(occ.flatMap((o) => o.nodes));
    if (inOneGroup(c.groups, nodes)) return [];
    const where = occ.map(({ vm, nodes: ns }) => `${vm} (${ns.join(', ')})`);
    return [
      violation('among', ctx, `${list(where)} do not occupy nodes inside one group`, occ.map((o) => o.vm), nodes, { time: view.time }),
    ];
  },
};
