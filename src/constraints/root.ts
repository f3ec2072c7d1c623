import type { ConstraintSpec } from './spec.js';
import { movement, residence, uniq, violation } from './util.js';

/**
 * `root`: these VMs are never moved. Discrete: a VM of `vms` that runs or sleeps both in the
 * source (the instance's own VMs) and in the configuration keeps its host (suspending or resuming
 * in place is fine; booting a waiting VM anywhere is fine). Always continuous: any `migrate` of
 * such a VM, or a remote `resume` (`from ≠ to`), is a violation.
 *
 * @example
 * ```ts
 * rootSpec.checkAction!({ type: 'root', vms: ['vm1'] },
 *   { id: 3, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 4 }, { instance, index: 7 });
 * // 'root #7 at t=0 (action 3): vm1 is moved from n1 to n2'
 * ```
 */
export const rootSpec: ConstraintSpec<'root'> = {
  type: 'root',
  check(c, configuration, ctx) {
    const out = [];
    for (const vm of uniq(c.vms)) {
      const src = ctx.instance.vms.get(vm);
      const from = residence(src?.state, src?.host);
      const p = configuration.vms.get(vm);
      const to = residence(p?.state, p?.host);
      if (from !== undefined && to !== undefined && from !== to) {
        out.push(violation('root', ctx, `${vm} moves from ${from} to ${to}`, [vm], [from, to]));
      }
    }
    return out;
  },
  isContinuous: () => true,
  checkAction(c, action, ctx) {
    const m = movement(action);
    if (m === undefined || m.from === undefined || !c.vms.includes(m.vm)) return [];
    return [
      violation('root', ctx, `${m.vm} is moved from ${m.from} to ${m.to}`, [m.vm], [m.from, m.to], {
        time: action.start,
        action: action.id,
      }),
    ];
  },
};
