import type { ConstraintSpec } from './spec.js';
import { list, uniq, violation } from './util.js';

/**
 * `maxOnline`: at most `amount` of `nodes` are online (each node counted once; nodes the
 * configuration does not list count as offline).
 *
 * @example
 * ```ts
 * maxOnlineSpec.check({ type: 'maxOnline', nodes: ['n1', 'n2'], amount: 1 }, conf, ctx);
 * // 'maxOnline #0: 2 nodes online (n1 and n2), more than 1'
 * ```
 */
export const maxOnlineSpec: ConstraintSpec<'maxOnline'> = {
  type: 'maxOnline',
  check(c, configuration, ctx) {
    const on = uniq(c.nodes).filter((n) => configuration.isOnline(n));
    if (on.length <= c.amount) return [];
    return [violation('maxOnline', ctx, `${on.length} nodes online (${list(on)}), more than ${c.amount}`, [], on)];
  },
  isContinuous: () => false,
};
