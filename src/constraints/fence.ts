import type { ConstraintSpec } from './spec.js';
import { list, occupying, runningHosts, violation } from './util.js';

/**
 * `fence`: every running VM of `vms` runs on one of `nodes`. With `continuous: true`, every node
 * such a VM occupies at any instant (both ends of a migration) is one of `nodes`.
 *
 * @example
 * ```ts
 * fenceSpec.check({ type: 'fence', vms: ['vm1'], nodes: ['n1', 'n2'] }, conf, { instance, index: 1 });
 * // 'fence #1: vm1 runs on n3, outside n1 and n2' when vm1 runs on n3
 * ```
 */
export const fenceSpec: ConstraintSpec<'fence'> = {
  type: 'fence',
  check(c, configuration, ctx) {
    const allowed = new Set(c.nodes);
    return runningHosts(c.vms, configuration)
      .filter(({ host }) => !allowed.has(host))
      .map(({ vm, host }) =>
        violation('fence', ctx, `${vm} runs on ${host}, outside ${list(c.nodes) || 'the (empty) fence'}`, [vm], [host]),
      );
  },
  isContinuous: (c) => c.continuous === true,
  checkInstant(c, view, ctx) {
    const allowed = new Set(c.nodes);
    const out = [];
    for (const { vm, nodes } of occupying(c.vms, view)) {
      for (const n of nodes) {
        if (!allowed.has(n)) {
          out.push(violation('fence', ctx, `${vm} occupies ${n}, outside ${list(c.nodes) || 'the (empty) fence'}`, [vm], [n], { time: view.time }));
        }
      }
    }
    return out;
  },
};
