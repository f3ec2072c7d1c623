import type { ConstraintSpec } from './spec.js';
import { list, movement, residence, violation } from './util.js';

/**
 * `quarantine`: VMs on `nodes` stay; no other VM arrives. Discrete, comparing the source (the
 * instance's own VMs) with the configuration: a VM that runs or sleeps on a quarantined node in
 * either of them, and runs or sleeps in both, keeps its host; and a VM that did not run or sleep
 * on a quarantined node in the source does not run or sleep there in the configuration. (VMs
 * sleeping on such a node count as staying there too: no plan could move them without a remote
 * resume.) Always continuous: no `migrate` from or to a quarantined node, no `boot` onto one, no
 * remote `resume` from or to one.
 *
 * @example
 * ```ts
 * quarantineSpec.checkAction!({ type: 'quarantine', nodes: ['n1'] },
 *   { id: 0, type: 'boot', vm: 'vm9', to: 'n1', start: 0, end: 10 }, { instance, index: 8 });
 * // 'quarantine #8 at t=0 (action 0): vm9 boots onto quarantined node n1'
 * ```
 */
export const quarantineSpec: ConstraintSpec<'quarantine'> = {
  type: 'quarantine',
  check(c, configuration, ctx) {
    const q = new Set(c.nodes);
    const out = [];
    for (const [vm, p] of configuration.vms) {
      const to = residence(p.state, p.host);
      if (to === undefined) continue;
      const src = ctx.instance.vms.get(vm);
      const from = residence(src?.state, src?.host);
      if (from === to || !((from !== undefined && q.has(from)) || q.has(to))) continue;
      const text =
        from === undefined
          ? `${vm} arrives on quarantined node ${to}`
          : `${vm} moves from ${from} to ${to}${q.has(from) ? `, leaving quarantined node ${from}` : `, a quarantined node`}`;
      out.push(violation('quarantine', ctx, text, [vm], from === undefined ? [to] : [from, to]));
    }
    return out;
  },
  isContinuous: () => true,
  checkAction(c, action, ctx) {
    const m = movement(action);
    if (m === undefined) return [];
    const q = new Set(c.nodes);
    const touched = [m.from, m.to].filter((n): n is string => n !== undefined && q.has(n));
    if (touched.length === 0) return [];
    const text =
      m.from === undefined
        ? `${m.vm} boots onto quarantined node ${m.to}`
        : `${m.vm} is moved from ${m.from} to ${m.to} (quarantined: ${list(touched)})`;
    return [
      violation('quarantine', ctx, text, [m.vm], m.from === undefined ? [m.to] : [m.from, m.to], {
        time: action.start,
        action: action.id,
      }),
    ];
  },
};
