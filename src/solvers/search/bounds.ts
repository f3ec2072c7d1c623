import { forEachBit } from '../../problem/bitset.js';
import { type PlacementProblem } from '../../problem/view.js';
import { NodeMode } from '../../problem/dense.js';
import { CAPACITY_TOLERANCE } from './state.js';

/**
 * The fewest nodes whose capacities add up to `total`, taking the largest capacities first
 * (the per-resource volume bound). `Infinity` when even all of them fall short.
 *
 * @param total - total demand of one resource
 * @param capacities - the capacity of that resource on each candidate node
 * @returns the number of nodes needed, 0 when `total` is 0
 * @example
 * ```ts
 * fewestNodesFor(10, [4, 4, 4]); // 3
 * ```
 */
export function fewestNodesFor(total: number, capacities: readonly number[] | Float64Array): number {
  const need = total - CAPACITY_TOLERANCE * Math.max(1, Math.abs(total));
  if (need <= 0) return 0;
  const sorted = Float64Array.from(capacities).sort().reverse();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    sum += sorted[i]!;
    if (sum >= need) return i + 1;
  }
  return Infinity;
}

/**
 * Nodes that some VM of `vms` may use (the union of their static domains), as node indices.
 * @param p - the problem
 * @param vms - problem VMs
 * @returns ascending node indices
 */
export function candidateNodes(p: PlacementProblem, vms: ArrayLike<number>): number[] {
  const seen = new Set<Uint32Array>();
  const union = new Uint32Array(p.W);
  for (let i = 0; i < vms.length; i++) {
    const d = p.domain[vms[i]!]!;
    if (seen.has(d)) continue;
    seen.add(d);
    for (let w = 0; w < p.W; w++) union[w]! |= d[w]!;
  }
  const out: number[] = [];
  forEachBit(union, p.W, (n) => {
    if (p.nodeMode[n] !== NodeMode.Off) out.push(n);
  });
  return out;
}

/**
 * A lower bound on the number of used nodes of any placement of `vms`: the largest of
 * - the per-resource volume bound (the fewest candidate nodes whose capacities cover the total
 *   demand, largest first), for every resource;
 * - the largest `spread` among them (its VMs need distinct nodes);
 * - the number of distinct nodes VMs are pinned to (`root`, `quarantine`);
 * - 1 when there is any VM.
 *
 * @param p - the problem
 * @param vms - the problem VMs that run
 * @returns the bound (`Infinity` when the candidate nodes cannot hold the volume at all)
 */
export function nodeLowerBound(p: PlacementProblem, vms: ArrayLike<number>): number {
  if (vms.length === 0) return 0;
  const nodes = candidateNodes(p, vms);
  const R = p.R;
  let lb = 1;
  for (let r = 0; r < R; r++) {
    let total = 0;
    for (let i = 0; i < vms.length; i++) total += p.demand[vms[i]! * R + r]!;
    lb = Math.max(lb, fewestNodesFor(total, nodes.map((n) => p.cap[n * R + r]!)));
  }
  const inSet = new Uint8Array(p.K);
  for (let i = 0; i < vms.length; i++) inSet[vms[i]!] = 1;
  for (const s of p.spreads) {
    let c = 0;
    for (const k of s.members) c += inSet[k]!;
    lb = Math.max(lb, c);
  }
  const pins = new Set<number>();
  for (let i = 0; i < vms.length; i++) if (p.pinned[vms[i]!]! >= 0) pins.add(p.pinned[vms[i]!]!);
  return Math.max(lb, pins.size);
}

/**
 * A lower bound on the memory any placement of `vms` migrates: the memory of the running VMs
 * whose current node is not in their static domain (they must move).
 * @param p - the problem
 * @param vms - the problem VMs that run
 * @returns MiB
 */
export function migrationLowerBound(p: PlacementProblem, vms: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < vms.length; i++) {
    const k = vms[i]!;
    const s = p.source[k]!;
    if (s >= 0 && ((p.domain[k]![s >>> 5]! >>> (s & 31)) & 1) === 0) m += p.memory[k]!;
  }
  return m;
}

/**
 * A lower bound on the number of migrations of any placement of `vms`: the running VMs whose
 * static domain excludes their source node must move.
 * @param p - the problem
 * @param vms - the problem VMs that run
 * @returns the bound
 * @example
 * ```ts
 * migrationCountLowerBound(p, running); // VMs on banned or offline nodes, at least
 * ```
 */
export function migrationCountLowerBound(p: PlacementProblem, vms: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < vms.length; i++) {
    const k = vms[i]!;
    const s = p.source[k]!;
    if (s >= 0 && ((p.domain[k]![s >>> 5]! >>> (s & 31)) & 1) === 0) m++;
  }
  return m;
}

/**
 * A lower bound on the peak load ratio (`balance`) of any placement of `vms`: the larger of the
 * total demand over the total capacity of the candidate nodes, and, for each VM, the smallest
 * ratio it would make alone on a node of its domain.
 * @param p - the problem
 * @param vms - the problem VMs that run
 * @returns the bound (0 without a balance resource)
 */
export function peakLowerBound(p: PlacementProblem, vms: ArrayLike<number>): number {
  const r = p.objective.resource;
  if (r < 0 || vms.length === 0) return 0;
  const R = p.R;
  const nodes = candidateNodes(p, vms);
  let total = 0;
  let capTotal = 0;
  for (let i = 0; i < vms.length; i++) total += p.demand[vms[i]! * R + r]!;
  for (const n of nodes) capTotal += p.cap[n * R + r]!;
  let lb = capTotal > 0 ? total / capTotal : total > 0 ? Infinity : 0;
  // Largest capacity in each distinct domain (domains are shared between VMs).
  const largest = new Map<Uint32Array, number>();
  for (let i = 0; i < vms.length; i++) {
    const k = vms[i]!;
    const d = p.demand[k * R + r]!;
    if (d <= 0) continue;
    const dom = p.domain[k]!;
    let c = largest.get(dom);
    if (c === undefined) {
      c = 0;
      forEachBit(dom, p.W, (n) => {
        if (p.nodeMode[n] !== NodeMode.Off) c = Math.max(c!, p.cap[n * R + r]!);
      });
      largest.set(dom, c);
    }
    if (c > 0) lb = Math.max(lb, d / c);
  }
  return lb;
}
