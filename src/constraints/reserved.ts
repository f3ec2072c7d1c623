import { vjobOf } from '../model/instance.js';
import type { ConstraintSpec } from './spec.js';
import { runningOnNodes, violation } from './util.js';

/**
 * `reserved`: only VMs of `vjob` run on `nodes` (an advance reservation). A VM the instance does
 * not know forms its own implicit vjob. One violation per intruding VM.
 *
 * @example
 * ```ts
 * reservedSpec.check({ type: 'reserved', nodes: ['n1'], vjob: 'job1' }, conf, ctx);
 * // 'reserved #0: vm4 (vjob job2) runs on n1, reserved for job1'
 * ```
 */
export const reservedSpec: ConstraintSpec<'reserved'> = {
  type: 'reserved',
  check(c, configuration, ctx) {
    const out = [];
    for (const [node, vms] of runningOnNodes(configuration, new Set(c.nodes))) {
      for (const vm of vms) {
        const v = ctx.instance.vms.get(vm);
        const job = v ? vjobOf(v) : vm;
        if (job !== c.vjob) out.push(violation('reserved', ctx, `${vm} (vjob ${job}) runs on ${node}, reserved for ${c.vjob}`, [vm], [node]));
      }
    }
    return out;
  },
  isContinuous: () => false,
};
