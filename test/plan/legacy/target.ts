/** Frozen copy of src/plan/target.ts before the speed work (issue 18): the oracle of test/plan/planner.legacy.test.ts. */
/**
 * Conversions between the model's {@link Configuration} and the exchange format's
 * {@link PlanTarget} (which lists every VM and every node of the instance).
 */
import { Map as IMap } from 'immutable';
import { Configuration, placement } from '../../../src/model/configuration.js';
import type { NodeId, VmId } from '../../../src/model/ids.js';
import type { Instance } from '../../../src/model/instance.js';
import type { NodeState } from '../../../src/model/node.js';
import type { PlanTarget, TargetVm } from '../../../src/plan/types.js';

/**
 * The plan target of a configuration: every VM and every node of the instance, in instance
 * order. A VM or node the configuration does not list keeps its source state.
 * @param instance - the instance (which VMs and nodes to list, and their source states)
 * @param configuration - the configuration (usually a placement's target)
 * @returns the target, as written in a plan
 * @example
 * ```ts
 * const t = targetFromConfiguration(instance, result.target);
 * t.vms['vm1']; // { state: 'running', host: 'n2' }
 * ```
 */
export function targetFromConfiguration(instance: Instance, configuration: Configuration): PlanTarget {
  // Ids are untrusted strings ("__proto__" included): entries become own properties
  // (Object.fromEntries defines them; an assignment would set the prototype instead).
  const vms: [VmId, TargetVm][] = [];
  for (const v of instance.vms.values()) {
    const p = configuration.vms.get(v.id);
    const state = p?.state ?? v.state;
    const host = p ? p.host : v.host;
    vms.push([v.id, (state === 'running' || state === 'sleeping') && host !== undefined ? { state, host } : { state }]);
  }
  const nodes: [NodeId, NodeState][] = [];
  for (const n of instance.nodes.values()) nodes.push([n.id, configuration.nodes.get(n.id) ?? n.state]);
  return { vms: Object.fromEntries(vms), nodes: Object.fromEntries(nodes) };
}

/**
 * The configuration a plan target describes. VMs and nodes of the instance that the target does
 * not list keep their source state; entries naming unknown VMs or nodes are kept as written.
 * @param instance - the instance
 * @param target - the target of a plan
 * @returns the configuration
 * @example
 * ```ts
 * configurationFromTarget(instance, plan.target).hostOf('vm1'); // 'n2'
 * ```
 */
export function configurationFromTarget(instance: Instance, target: PlanTarget): Configuration {
  const vms = IMap<VmId, ReturnType<typeof placement>>().withMutations((m) => {
    for (const v of instance.vms.values()) m.set(v.id, placement(v.state, v.host));
    for (const [id, t] of Object.entries(target.vms)) m.set(id, placement(t.state, t.host));
  });
  const nodes = IMap<NodeId, NodeState>().withMutations((m) => {
    for (const n of instance.nodes.values()) m.set(n.id, n.state);
    for (const [id, s] of Object.entries(target.nodes)) m.set(id, s);
  });
  return new Configuration({ vms, nodes });
}
