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
import { compareTerms } from '../model/objective.js';
import { mayRunOn, NodeMode, type DenseProblem } from '../problem/dense.js';

/** What the greedy passes look up, computed once per problem ({@link looseContext}). */
export interface LooseContext {
  /** VMs under rules the greedy passes do not check (gather, lonely, split, overlapping among). */
  readonly hard: Uint8Array;
  /** Nodes under node-set bounds (resourceCapacity, runningCapacity, maxOnline). */
  readonly bounded: Uint8Array;
  readonly spreadsOf: ReadonlyMap<number, readonly number[]>;
  readonly amongsOf: ReadonlyMap<number, readonly number[]>;
}

/**
 * The lookups of the greedy passes for a problem.
 * @param p - the problem
 * @returns the context
 */
export function looseContext(p: DenseProblem): LooseContext {
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
  return { hard, bounded, spreadsOf, amongsOf };
}

/**
 * Places what it can of `loose` into `current` (updating `load` and `count`).
 *
 * @param p - the problem
 * @param current - node per VM (-1: none), changed in place for the VMs placed
 * @param load - load per node and resource (`load[n * R + r]`), kept in step
 * @param count - running VMs per node, kept in step
 * @param loose - VMs without a node
 * @param universe - the nodes they may go to
 * @param ctx - the lookups ({@link looseContext}), when the caller already has them
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
  ctx: LooseContext = looseContext(p),
): number[] {
  const R = p.R;
  const { hard, bounded, spreadsOf, amongsOf } = ctx;
  const nodes = Array.from(universe).filter((n) => !bounded[n] && (p.nodeMode[n] !== NodeMode.Free || count[n]! > 0) && p.nodeMode[n] !== NodeMode.Off);
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

/** Largest number of candidate VMs for which {@link cheapestCover} enumerates their subsets. */
export const EXACT_COVER_VMS = 16;

/** A set of VMs whose leaving covers a node's excess. */
export interface Cover {
  readonly vms: readonly number[];
  /** Memory moved (sum of `costOf`). */
  readonly cost: number;
  /** Migrations among them (`migrates`). */
  readonly migrations: number;
}

/**
 * The cheapest set of VMs whose leaving covers a node's excess on every resource, by
 * enumeration: least cost, then fewest migrations (the first two terms of `minMigrations`).
 * @param p - the problem
 * @param vms - candidates (at most {@link EXACT_COVER_VMS})
 * @param excess - per resource, what the node carries beyond its capacity
 * @param costOf - memory a VM moves when it leaves
 * @param migrates - whether a VM's leaving is a migration
 * @returns the cover, or undefined when even all of them do not cover the excess
 * @example
 * ```ts
 * const c = cheapestCover(p, vmsOnNode, excess, (v) => p.moveCost[v]!, () => true);
 * ```
 */
export function cheapestCover(p: DenseProblem, vms: readonly number[], excess: ArrayLike<number>, costOf: (v: number) => number, migrates: (v: number) => boolean): Cover | undefined {
  if (vms.length > EXACT_COVER_VMS) throw new Error(`cheapestCover: at most ${EXACT_COVER_VMS} VMs`);
  const R = p.R;
  let best: { mask: number; cost: number; migrations: number } | undefined;
  const shed = new Float64Array(R);
  for (let mask = 1; mask < 1 << vms.length; mask++) {
    let c = 0;
    let k = 0;
    shed.fill(0);
    for (let i = 0; i < vms.length; i++) {
      if (!(mask & (1 << i))) continue;
      const v = vms[i]!;
      c += costOf(v);
      if (migrates(v)) k++;
      for (let r = 0; r < R; r++) shed[r]! += p.demand[v * R + r]!;
    }
    if (best !== undefined && (compareTerms(c, best.cost) || compareTerms(k, best.migrations)) >= 0) continue;
    let covers = true;
    for (let r = 0; r < R && covers; r++) if (excess[r]! > 1e-9 && shed[r]! < excess[r]! - 1e-9) covers = false;
    if (covers) best = { mask, cost: c, migrations: k };
  }
  if (best === undefined) return undefined;
  const mask = best.mask;
  return { vms: vms.filter((_, i) => mask & (1 << i)), cost: best.cost, migrations: best.migrations };
}

/**
 * A greedy repair of overloaded nodes (the clusters of a repair: misplaced VMs grouped by their
 * node), tried before the exact one: on a node whose VMs break no rule but capacity, the VMs
 * that relieve the most overload per MiB moved leave until it fits (then any that fits again
 * comes back), and go to other nodes by {@link placeLooseGreedy}. A node whose VMs break another
 * rule, or whose leavers do not all find a node, is left as it was, for the exact repair.
 *
 * @param p - the problem
 * @param current - node per VM, changed in place
 * @param load - load per node and resource, kept in step
 * @param count - running VMs per node, kept in step
 * @param clusters - misplaced VMs per node; the nodes repaired here are deleted from it
 * @param destinations - where leavers may go (nodes not under repair)
 * @param ctx - the lookups ({@link looseContext})
 * @returns the number of nodes repaired
 * @example
 * ```ts
 * shedOverloadGreedy(p, current, load, count, clusters, settledNodes);
 * ```
 */
export function shedOverloadGreedy(
  p: DenseProblem,
  current: Int32Array,
  load: Float64Array,
  count: Int32Array,
  clusters: Map<number, number[]>,
  destinations: readonly number[],
  ctx: LooseContext = looseContext(p),
): number {
  const R = p.R;
  const { hard, bounded, spreadsOf, amongsOf } = ctx;
  // Only capacity is wrong on node n for VM v (no spread sibling beside it, among group kept).
  const onlyCapacity = (v: number, n: number): boolean => {
    if (hard[v] || p.pinned[v]! >= 0) return false;
    for (const si of spreadsOf.get(v) ?? []) for (const w of p.spreads[si]!.vms) if (w !== v && current[w] === n) return false;
    for (const ai of amongsOf.get(v) ?? []) {
      const a = p.amongs[ai]!;
      const g = a.nodeGroup![n]!;
      if (g < 0) return false;
      for (const w of a.vms) if (w !== v && current[w]! >= 0 && a.nodeGroup![current[w]!] !== g) return false;
    }
    return true;
  };
  const over = (n: number, r: number): number => load[n * R + r]! - p.capacity[n * R + r]!;
  const fits = (n: number): boolean => {
    for (let r = 0; r < R; r++) if (over(n, r) > 1e-9 * Math.max(1, p.capacity[n * R + r]!)) return false;
    return true;
  };
  const move = (v: number, to: number): void => {
    const from = current[v]!;
    if (from >= 0) {
      count[from]!--;
      for (let r = 0; r < R; r++) load[from * R + r]! -= p.demand[v * R + r]!;
    }
    current[v] = to;
    if (to >= 0) {
      count[to]!++;
      for (let r = 0; r < R; r++) load[to * R + r]! += p.demand[v * R + r]!;
    }
  };
  let repaired = 0;
  for (const [n, vms] of [...clusters]) {
    if (bounded[n] || !vms.every((v) => onlyCapacity(v, n))) continue;
    const staying = new Set(vms);
    const leaving: number[] = [];
    if (vms.length <= EXACT_COVER_VMS) {
      // Few VMs: the cheapest cover outright (least memory, then fewest migrations).
      const excess = Array.from({ length: R }, (_, r) => over(n, r));
      const cover = cheapestCover(p, vms, excess, (v) => p.moveCost[v]!, (v) => p.srcRunning[v] === 1);
      for (const v of cover?.vms ?? []) {
        staying.delete(v);
        leaving.push(v);
        move(v, -1);
      }
    }
    while (!fits(n)) {
      let best = -1;
      let bestScore = Infinity;
      for (const v of staying) {
        let relief = 0;
        for (let r = 0; r < R; r++) {
          const c = p.capacity[n * R + r]!;
          const o = over(n, r);
          if (o > 0 && c > 0) relief += Math.min(p.demand[v * R + r]!, o) / c;
        }
        if (relief <= 0) continue;
        const score = (p.moveCost[v]! + 1e-6) / relief;
        if (score < bestScore || (score === bestScore && v < best)) {
          bestScore = score;
          best = v;
        }
      }
      if (best < 0) break;
      staying.delete(best);
      leaving.push(best);
      move(best, -1);
    }
    if (!fits(n)) {
      for (const v of leaving) move(v, n);
      continue;
    }
    // Whoever fits back stays (the most expensive to move first).
    const back = [...leaving].sort((a, b) => p.moveCost[b]! - p.moveCost[a]! || a - b);
    const gone: number[] = [];
    for (const v of back) {
      move(v, n);
      if (!fits(n)) {
        move(v, -1);
        gone.push(v);
      }
    }
    const left = placeLooseGreedy(p, current, load, count, gone, destinations, ctx);
    if (left.length > 0) {
      // Undo: every leaver back on n.
      for (const v of gone) move(v, n);
      continue;
    }
    clusters.delete(n);
    repaired++;
  }
  return repaired;
}
