import type { ConstraintSpec } from './spec.js';
import { list, runningOnNodes, uniq, violation } from './util.js';

/**
 * `offline`: these nodes end offline, evacuated: none is online and none hosts a running VM
 * (`checkCapacity` reports such VMs as `offline-host` too; this check reports them under the
 * constraint).
 *
 * @example
 * ```ts
 * offlineSpec.check({ type: 'offline', nodes: ['n1'] }, conf, ctx);
 * // 'offline #0: n1 is online' / 'offline #0: n1 still hosts vm1'
 * ```
 */
export const offlineSpec: ConstraintSpec<'offline'> = {
  type: 'offline',
  check(c, configuration, ctx) {
    const nodes = uniq(c.nodes);
    const on = runningOnNodes(configuration, new Set(nodes));
    const out = [];
    for (const n of nodes) {
      const vms = on.get(n) ?? [];
      const online = configuration.isOnline(n);
      if (!online && vms.length === 0) continue;
      const text = [online ? `${n} is online` : '', vms.length > 0 ? `${n} still hosts ${list(vms)}` : ''].filter(Boolean).join('; ');
      out.push(violation('offline', ctx, text, vms, [n]));
    }
    return out;
  },
  isContinuous: () => false,
};
