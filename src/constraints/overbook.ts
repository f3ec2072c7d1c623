import type { ConstraintSpec } from './spec.js';
import { capacityOf, demandOf, exceeds, list, runningOnNodes, uniq, violation } from './util.js';

/**
 * `overbook`: the usable capacity of `resource` on each of `nodes` is capacity × `ratio`; the
 * load of running VMs there must fit it. (`checkCapacity` applies every overbook ratio too, the
 * smallest winning; this check reports under this constraint's own index with its own ratio.)
 *
 * @example
 * ```ts
 * overbookSpec.check({ type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio: 2 }, conf, { instance, index: 9 });
 * // 'overbook #9: cpu load 20 on n1 exceeds 16 (capacity 8 × 2; vm1 and vm2)'
 * ```
 */
export const overbookSpec: ConstraintSpec<'overbook'> = {
  type: 'overbook',
  check(c, configuration, ctx) {
    const on = runningOnNodes(configuration, new Set(c.nodes));
    const out = [];
    for (const node of uniq(c.nodes)) {
      const vms = on.get(node) ?? [];
      const load = vms.reduce((s, vm) => s + demandOf(ctx.instance, vm, c.resource), 0);
      const cap = capacityOf(ctx.instance, node, c.resource);
      if (exceeds(load, cap * c.ratio)) {
        out.push(
          violation('overbook', ctx, `${c.resource} load ${load} on ${node} exceeds ${cap * c.ratio} (capacity ${cap} × ${c.ratio}; ${list(vms)})`, vms, [node]),
        );
      }
    }
    return out;
  },
  isContinuous: () => false,
};
