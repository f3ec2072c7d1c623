import type { ConstraintSpec } from './spec.js';
import { uniq, violation } from './util.js';

/**
 * `online`: these nodes end online (a node the configuration does not list counts as offline).
 *
 * @example
 * ```ts
 * onlineSpec.check({ type: 'online', nodes: ['n2'] }, conf, ctx); // 'online #0: n2 is offline'
 * ```
 */
export const onlineSpec: ConstraintSpec<'online'> = {
  type: 'online',
  check(c, configuration, ctx) {
    return uniq(c.nodes)
      .filter((n) => !configuration.isOnline(n))
      .map((n) => violation('online', ctx, `${n} is ${configuration.nodes.has(n) ? 'offline' : 'absent (offline)'}`, [], [n]));
  },
  isContinuous: () => false,
};
