/**
 * A greedy first pass for the VMs of a repair that have no node yet (waiting VMs to boot, VMs of
 * failed nodes): each goes, largest first, to the node of the universe with the most room left
 * that its rules allow: its domain and pinned node, capacity, distinct nodes from its `spread`
 * siblings, the among group its placed siblings are in. VMs under rules this pass does not
 * check (`gather`, `lonely`, `split`, a node bound) are left to the exact repair, as are those it
 * finds no node for. Booting hundreds of VMs is then a pass over those VMs alone rather than one
 * MIP per ten VMs. The caller's checkers judge the whole answer as before.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { mayRunOn, NODE_FREE, NODE_OFF, type DenseProblem } from './problem.js';

/**
 * Places what it can of `loose` into `current` (updating `load` and `count`).
 *
 * @param p - the problem
 * @param current - node per VM (-1: none), changed in place for the VMs placed
 * @param load - load per node and resource (`load[n * R + r]`), kept in step
 * @param count - running VMs per node, kept in step
 * @param loose - VMs without a node
 * @param universe - the nodes they may go to
 * @returns the VMs left without a node
 * @example
 * ```ts
 * const left = placeLooseGreedy(p, current, load, count, loose, partitionNodes);
 * ```
 */
export function placeLooseGreedy(
  p: DenseProblem,
  current: Int32Array,
  load: Float64Array,
  count: Int32Array,
  loose: readonly number[],
  universe: ArrayLike<number>,
): number[] {
  const R = p.R;
  // VMs under rules this pass does not check, and nodes under node-set bounds.
  const hard = new Uint8Array(p.nVms);
  for (const set of [...p.gathers, ...p.lonelies]) for (const v of set.vms) hard[v] = 1;
  for (const s of p.splits) for (const g of s.groups) for (const v of g) hard[v] = 1;
  for (const a of p.amongs) if (a.nodeGroup === undefined) for (const v of a.vms) hard[v] = 1;
  const bounded = new Uint8Array(p.nNodes);
  for (const b of [...p.resourceBounds, ...p.runningBounds, ...p.onlineBounds]) for (const n of b.nodes) bounded[n] = 1;
  const spreadsOf = new Map<number, number[]>();
  p.spreads.forEach((s, si) => {
    for (const v of s.vms) (spreadsOf.get(v) ?? spreadsOf.set(v, []).get(v)!).push(si);
  });
  const amongsOf = new Map<number, number[]>();
  p.amongs.forEach((a, ai) => {
    for (const v of a.vms) (amongsOf.get(v) ?? amongsOf.set(v, []).get(v)!).push(ai);
  });
  const nodes = Array.from(universe).filter((n) => !bounded[n] && (p.nodeMode[n] !== NODE_FREE || count[n]! > 0) && p.nodeMode[n] !== NODE_OFF);
  const size = (v: number): number => {
    let s = 0;
    for (let r = 0; r < R; r++) s += p.demand[v * R + r]!;
    return s;
  };
  const order = loose.filter((v) => !hard[v] && p.target[v] === VM_STATE_CODE.running).sort((a, b) => size(b) - size(a) || a - b);
  const left: number[] = loose.filter((v) => hard[v] || p.target[v] !== VM_STATE_CODE.running);
  const taken = new Set<number>();
  for (const v of order) {
    // Nodes the VM's spread siblings use; the among group its siblings are in.
    taken.clear();
    for (const si of spreadsOf.get(v) ?? []) for (const w of p.spreads[si]!.vms) if (w !== v && current[w]! >= 0) taken.add(current[w]!);
    const groupOf: { nodeGroup: Int32Array; g: number }[] = [];
    for (const ai of amongsOf.get(v) ?? []) {
      const a = p.amongs[ai]!;
      let g = -1;
      for (const w of a.vms) if (w !== v && current[w]! >= 0) {
        g = a.nodeGroup![current[w]!]!;
        break;
      }
      groupOf.push({ nodeGroup: a.nodeGroup!, g });
    }
    let best = -1;
    let bestRoom = -Infinity;
    for (const n of nodes) {
      if (taken.has(n) || !mayRunOn(p, v, n)) continue;
      let ok = true;
      for (const { nodeGroup, g } of groupOf) if (nodeGroup[n]! < 0 || (g >= 0 && nodeGroup[n] !== g)) ok = false;
      if (!ok) continue;
      let room = Infinity;
      for (let r = 0; r < R; r++) {
        const c = p.capacity[n * R + r]!;
        const after = c - load[n * R + r]! - p.demand[v * R + r]!;
        if (after < -1e-9 * Math.max(1, c)) {
          ok = false;
          break;
        }
        if (c > 0) room = Math.min(room, after / c);
      }
      if (ok && room > bestRoom) {
        bestRoom = room;
        best = n;
      }
    }
    if (best < 0) {
      left.push(v);
      continue;
    }
    current[v] = best;
    count[best]!++;
    for (let r = 0; r < R; r++) load[best * R + r]! += p.demand[v * R + r]!;
  }
  return left;
}

