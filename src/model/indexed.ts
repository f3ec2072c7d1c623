import type { Configuration } from './configuration.js';
import type { NodeId, ResourceName, VjobId, VmId } from './ids.js';
import { resourcesOf, vjobOf, type Instance } from './instance.js';
import type { VmState } from './vm.js';

/** Dense codes of VM states in {@link IndexedInstance.vmState}. */
export const VM_STATE_CODE = { waiting: 0, running: 1, sleeping: 2, terminated: 3 } as const satisfies Record<VmState, number>;
/** Inverse of {@link VM_STATE_CODE}. */
export const VM_STATE_OF_CODE: readonly VmState[] = ['waiting', 'running', 'sleeping', 'terminated'];

/**
 * A dense, array-based view of an instance for hot loops: nodes, VMs, resources, vjobs and
 * sites are numbered 0..n-1 in input order, and every per-node or per-VM quantity is a typed
 * array. The immutable model is the API; this view is the engine's.
 *
 * Matrices are row-major: `capacity[node * R + r]`, `demand[vm * R + r]` where `R = resources.length`.
 */
export interface IndexedInstance {
  readonly nodeIds: readonly NodeId[];
  readonly vmIds: readonly VmId[];
  readonly resources: readonly ResourceName[];
  readonly vjobIds: readonly VjobId[];
  readonly sites: readonly string[];
  readonly nodeIndex: ReadonlyMap<NodeId, number>;
  readonly vmIndex: ReadonlyMap<VmId, number>;
  readonly resourceIndex: ReadonlyMap<ResourceName, number>;
  readonly vjobIndex: ReadonlyMap<VjobId, number>;
  /** Raw capacity per node and resource. */
  readonly capacity: Float64Array;
  /** Usable capacity (after `overbook`) per node and resource. */
  readonly effectiveCapacity: Float64Array;
  /** Demand per VM and resource. */
  readonly demand: Float64Array;
  /** 1 when the node is online in the source configuration. */
  readonly nodeOnline: Uint8Array;
  /** Site index per node, -1 when the node names no site. */
  readonly nodeSite: Int32Array;
  /** `VM_STATE_CODE` per VM, in the source configuration. */
  readonly vmState: Uint8Array;
  /** Host node index per VM (running or sleeping), -1 when none. */
  readonly vmHost: Int32Array;
  /** vjob index per VM (implicit vjobs of single VMs included). */
  readonly vmVjob: Int32Array;
  /** Index of `memory` in `resources`, -1 when no VM or node names it. */
  readonly memory: number;
}

/**
 * The dense view of an instance (and optionally of another configuration of it). The view of an
 * instance alone is built once and shared: its arrays are read-only by contract.
 * @param instance - the instance
 * @param configuration - states and hosts to use instead of the instance's own (e.g. a target)
 * @returns the indexed view
 * @example
 * ```ts
 * const ix = indexInstance(inst);
 * const cpu = ix.resourceIndex.get('cpu')!;
 * ix.demand[ix.vmIndex.get('vm1')! * ix.resources.length + cpu];
 * ```
 */
export function indexInstance(instance: Instance, configuration?: Configuration): IndexedInstance {
  if (configuration !== undefined) return buildIndex(instance, configuration);
  // The instance is immutable, so its index is too: built once, shared by the decide stage, the
  // placement, the planner, the checkers and the verifier of one call (they only read it).
  let ix = INDEXES.get(instance);
  if (ix === undefined) {
    ix = buildIndex(instance, undefined);
    INDEXES.set(instance, ix);
  }
  return ix;
}

/** A node's capacity or a VM's demand, as the index reads it. */
type ReadonlyMapLike = Iterable<readonly [ResourceName, number]>;

/** The index of each instance indexed so far, kept while the instance lives. */
const INDEXES = new WeakMap<Instance, IndexedInstance>();

function buildIndex(instance: Instance, configuration: Configuration | undefined): IndexedInstance {
  const nodeIds = [...instance.nodes.keys()];
  const vmIds = [...instance.vms.keys()];
  const resources = resourcesOf(instance);
  const nodeIndex = new Map(nodeIds.map((id, i) => [id, i] as const));
  const vmIndex = new Map(vmIds.map((id, i) => [id, i] as const));
  const resourceIndex = new Map(resources.map((r, i) => [r, i] as const));
  const R = resources.length;
  // Equal demand and capacity maps are shared within an instance (mapInterner): each distinct
  // map is resolved to (resource index, value) pairs once, not once per VM or node.
  const rows = new Map<ReadonlyMapLike, readonly number[]>();
  const rowOf = (m: ReadonlyMapLike): readonly number[] => {
    let row = rows.get(m);
    if (row === undefined) {
      const pairs: number[] = [];
      for (const [r, v] of m) pairs.push(resourceIndex.get(r) ?? 0, v);
      row = pairs;
      rows.set(m, row);
    }
    return row;
  };

  const vjobIds: VjobId[] = [...instance.vjobs.keys()];
  const vjobIndex = new Map(vjobIds.map((id, i) => [id, i] as const));
  const sites: string[] = [];
  const siteIndex = new Map<string, number>();

  const capacity = new Float64Array(nodeIds.length * R);
  const nodeOnline = new Uint8Array(nodeIds.length);
  const nodeSite = new Int32Array(nodeIds.length).fill(-1);
  let i = 0;
  for (const n of instance.nodes.values()) {
    const row = rowOf(n.capacity);
    for (let k = 0; k < row.length; k += 2) capacity[i * R + row[k]!] = row[k + 1]!;
    const state = configuration?.nodes.get(n.id) ?? n.state;
    nodeOnline[i] = state === 'online' ? 1 : 0;
    if (n.site !== undefined) {
      let s = siteIndex.get(n.site);
      if (s === undefined) {
        s = sites.length;
        sites.push(n.site);
        siteIndex.set(n.site, s);
      }
      nodeSite[i] = s;
    }
    i++;
  }

  const effective = Float64Array.from(capacity);
  const ratios = new Float64Array(nodeIds.length * R).fill(Infinity);
  for (const c of instance.constraints) {
    if (c.type !== 'overbook') continue;
    const r = resourceIndex.get(c.resource);
    if (r === undefined) continue;
    for (const n of c.nodes) {
      const k = nodeIndex.get(n);
      if (k !== undefined) ratios[k * R + r] = Math.min(ratios[k * R + r]!, c.ratio);
    }
  }
  for (let k = 0; k < ratios.length; k++) if (ratios[k] !== Infinity) effective[k] = capacity[k]! * ratios[k]!;

  const demand = new Float64Array(vmIds.length * R);
  const vmState = new Uint8Array(vmIds.length);
  const vmHost = new Int32Array(vmIds.length).fill(-1);
  const vmVjob = new Int32Array(vmIds.length);
  i = 0;
  for (const v of instance.vms.values()) {
    const row = rowOf(v.demand);
    for (let k = 0; k < row.length; k += 2) demand[i * R + row[k]!] = row[k + 1]!;
    const p = configuration?.vms.get(v.id);
    const state = p?.state ?? v.state;
    const host = p ? p.host : v.host;
    vmState[i] = VM_STATE_CODE[state];
    vmHost[i] = host === undefined ? -1 : (nodeIndex.get(host) ?? -1);
    const j = vjobOf(v);
    let ji = vjobIndex.get(j);
    if (ji === undefined) {
      ji = vjobIds.length;
      vjobIds.push(j);
      vjobIndex.set(j, ji);
    }
    vmVjob[i] = ji;
    i++;
  }

  return {
    nodeIds, vmIds, resources, vjobIds, sites, nodeIndex, vmIndex, resourceIndex, vjobIndex,
    capacity, effectiveCapacity: effective, demand, nodeOnline, nodeSite, vmState, vmHost, vmVjob,
    memory: resourceIndex.get('memory') ?? -1,
  };
}

/**
 * The load of every node in the indexed configuration: the demand of the VMs running there.
 * @param ix - the indexed view
 * @returns load per node and resource (`node * R + r`)
 */
export function runningLoad(ix: IndexedInstance): Float64Array {
  const R = ix.resources.length;
  const load = new Float64Array(ix.nodeIds.length * R);
  for (let v = 0; v < ix.vmIds.length; v++) {
    const h = ix.vmHost[v]!;
    if (ix.vmState[v] !== VM_STATE_CODE.running || h < 0) continue;
    for (let r = 0; r < R; r++) load[h * R + r]! += ix.demand[v * R + r]!;
  }
  return load;
}
