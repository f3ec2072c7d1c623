import type { ConstraintSpec } from './spec.js';
import { occupying, runningHosts, violation } from './util.js';

/**
 * `ban`: none of `vms` runs on any of `nodes`. Only running VMs count (a sleeping VM's image on
 * a banned node is not "running" there). With `continuous: true`, no VM of `vms` occupies a
 * banned node at any instant (a migrating VM occupies both its nodes).
 *
 * @example
 * ```ts
 * banSpec.check({ type: 'ban', vms: ['vm1'], nodes: ['n1'] }, conf, { instance, index: 0 });
 * // [{ code: 'constraint:ban', message: 'ban #0: vm1 runs on banned node n1', ... }] when vm1 runs on n1
 * ```
 */
export const banSpec: ConstraintSpec<'ban'> = {
  type: 'ban',
  check(c, configuration, ctx) {
    const banned = new Set(c.nodes);
    return runningHosts(c.vms, configuration)
      .filter(({ host }) => banned.has(host))
      .map(({ vm, host }) => violation('ban', ctx, `${vm} runs on banned node ${host}`, [vm], [host]));
  },
  isContinuous: (c) => c.continuous === true,
  checkInstant(c, view, ctx) {
    const banned = new Set(c.nodes);
    const out = [];
    for (const { vm, nodes } of occupying(c.vms, view)) {
      for (const n of nodes) {
        if (banned.has(n)) out.push(violation('ban', ctx, `${vm} occupies banned node ${n}`, [vm], [n], { time: view.time }));
      }
    }
    return out;
  },
};
