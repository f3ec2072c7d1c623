/**
 * Where the VMs that have no node yet (waiting VMs to boot, VMs of failed nodes) are repaired
 * when the nodes are partitioned: in a group where they can run. A VM under `among` must run in
 * the among group of its members already placed (or of its siblings sent before it); a VM with a
 * domain (`ban`, `fence`, `among`) or a pinned node needs a group with one of its nodes; among
 * the groups left, the one with the most room left (tightest resource, counting the VMs already
 * sent there). Sending such a VM to an arbitrary group makes that group's repair impossible and
 * the fallback a search over the whole cluster.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { type DenseProblem, NodeMode } from '../problem/dense.js';

/**
 * Chooses a node group for each VM to place that has no node in `base`.
 *
 * @param p - the problem
 * @param base - the assignment the repair starts from (-1: no node)
 * @param vms - the VMs to home (each with `base[v] < 0`), in the order they are considered
 * @param groups - the node groups (disjoint)
 * @param groupOfNode - group index per node, -1 for none
 * @returns the group per entry of `vms` (-1 when no group has a node it may run on)
 * @example
 * ```ts
 * const g = homeGroups(p, base, [12, 40], groups, groupOfNode); // e.g. Int32Array [3, 3]
 * ```
 */
export function homeGroups(
  p: DenseProblem,
  base: Int32Array,
  vms: readonly number[],
  groups: readonly Int32Array[],
  groupOfNode: Int32Array,
): Int32Array {
  const R = p.R;
  const G = groups.length;
  // Room per group and resource, and the group capacity (for the tightest-resource ratio).
  const room = new Float64Array(G * R);
  const cap = new Float64Array(G * R);
  groups.forEach((g, gi) => {
    for (const n of g) {
      if (p.nodeMode[n] === NodeMode.Off) continue;
      for (let r = 0; r < R; r++) {
        room[gi * R + r]! += p.capacity[n * R + r]!;
        cap[gi * R + r]! += p.capacity[n * R + r]!;
      }
    }
  });
  for (let v = 0; v < p.nVms; v++) {
    const n = base[v]!;
    if (p.target[v] !== VM_STATE_CODE.running || n < 0) continue;
    const gi = groupOfNode[n]!;
    if (gi >= 0) for (let r = 0; r < R; r++) room[gi * R + r]! -= p.demand[v * R + r]!;
  }
  // The amongs of each VM, and the among group (index in its groups) each among is bound to.
  const amongsOf = new Map<number, number[]>();
  p.amongs.forEach((a, ai) => {
    for (const v of a.vms) (amongsOf.get(v) ?? amongsOf.set(v, []).get(v)!).push(ai);
  });
  const boundTo = new Int32Array(p.amongs.length).fill(-1);
  const amongGroupOf = (ai: number, n: number): number => {
    const a = p.amongs[ai]!;
    if (a.nodeGroup !== undefined) return a.nodeGroup[n]!;
    return a.groups.findIndex((g) => g.includes(n));
  };
  p.amongs.forEach((a, ai) => {
    for (const v of a.vms) {
      const n = base[v]!;
      if (n >= 0 && p.target[v] === VM_STATE_CODE.running) {
        boundTo[ai] = amongGroupOf(ai, n);
        break;
      }
    }
  });
  // Which partition groups intersect an among group (computed once per among shape and group).
  const reach = new Map<Int32Array, Uint8Array>();
  const reachOf = (nodes: Int32Array): Uint8Array => {
    let got = reach.get(nodes);
    if (got === undefined) {
      got = new Uint8Array(G);
      for (const n of nodes) if (groupOfNode[n]! >= 0) got[groupOfNode[n]!] = 1;
      reach.set(nodes, got);
    }
    return got;
  };
  const domainReach = new Map<number, Uint8Array>();
  const domainReachOf = (d: number): Uint8Array => {
    let got = domainReach.get(d);
    if (got === undefined) {
      got = new Uint8Array(G);
      const mask = p.domains[d]!;
      for (let n = 0; n < p.nNodes; n++) if (mask[n] && groupOfNode[n]! >= 0) got[groupOfNode[n]!] = 1;
      domainReach.set(d, got);
    }
    return got;
  };

  const out = new Int32Array(vms.length).fill(-1);
  const allowed = new Uint8Array(G);
  vms.forEach((v, k) => {
    allowed.fill(1);
    const pin = p.pinned[v]!;
    if (pin >= 0) {
      allowed.fill(0);
      if (groupOfNode[pin]! >= 0) allowed[groupOfNode[pin]!] = 1;
    }
    if (p.domain[v]! >= 0) {
      const d = domainReachOf(p.domain[v]!);
      for (let g = 0; g < G; g++) allowed[g]! &= d[g]!;
    }
    const mine = amongsOf.get(v) ?? [];
    for (const ai of mine) {
      const b = boundTo[ai]!;
      if (b < 0) continue;
      const nodes = p.amongs[ai]!.groups[b];
      if (nodes === undefined) continue;
      const d = reachOf(nodes);
      for (let g = 0; g < G; g++) allowed[g]! &= d[g]!;
    }
    let best = -1;
    let bestScore = -Infinity;
    for (let g = 0; g < G; g++) {
      if (!allowed[g]) continue;
      let score = Infinity;
      for (let r = 0; r < R; r++) {
        const c = cap[g * R + r]!;
        const d = p.demand[v * R + r]!;
        if (c <= 0) {
          if (d > 0) score = -Infinity;
          continue;
        }
        score = Math.min(score, (room[g * R + r]! - d) / c);
      }
      if (score > bestScore) {
        bestScore = score;
        best = g;
      }
    }
    out[k] = best;
    if (best < 0) return;
    for (let r = 0; r < R; r++) room[best * R + r]! -= p.demand[v * R + r]!;
    // Siblings of an among not bound yet follow this VM into the among group of the chosen
    // partition (the first among group the partition reaches).
    for (const ai of mine) {
      if (boundTo[ai]! >= 0) continue;
      const a = p.amongs[ai]!;
      const gIdx = a.groups.findIndex((nodes) => nodes.some((n) => groupOfNode[n] === best));
      if (gIdx >= 0) boundTo[ai] = gIdx;
    }
  });
  return out;
}
