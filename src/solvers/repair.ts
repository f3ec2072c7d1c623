/**
 * Repair mode on the dense problem: only the misplaced VMs (BtrPlace's repair set) are free;
 * every other VM stays where it runs. The repair MIP gives each
 * misplaced VM the nodes it may go to (its own node, the other nodes hosting misplaced VMs, and
 * the nodes of the scope with the most room), and widens that list when the model proves it too
 * narrow. A migration lower bound comes from the overloaded nodes alone: each must shed VMs
 * covering its excess, at least the cheapest such set (a covering knapsack per node).
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { decode, encode, encodeIndex, nodeLoads, type EncodeIndex, type Encoding } from './encode.js';
import { maxViolation, type MipModel } from './model.js';
import { aggregateModel, canAggregate } from './aggregate.js';
import { better, lnsImprove, valueKey } from './neighbourhood.js';
import { canHost, type DenseProblem, mayRunOn, NodeMode, spareShare } from '../problem/dense.js';
import type { MipOutcome } from './types.js';
import { cheapestCover, EXACT_COVER_VMS, looseContext, placeLooseGreedy, shedOverloadGreedy } from './loose.js';

const RUNNING = VM_STATE_CODE.running;

/**
 * The misplaced VMs of a dense problem (BtrPlace's repair set), linear in the instance size.
 * Tests check it against the core checkers: every rule broken by leaving the VMs in place frees a
 * VM it involves, and every freed VM is involved in one. With every running VM on its source node, a VM
 * is misplaced when it starts running; may not stay on its node; runs on an overloaded node or on
 * a node breaking `split` / `lonely`; shares a node with another member of its `spread`; belongs
 * to a broken `gather` or `among`; runs on the nodes of an exceeded `resourceCapacity` /
 * `runningCapacity`, or on a node of an exceeded `maxOnline` that may go offline. Pinned VMs that
 * may stay are never misplaced.
 *
 * @param p - the dense problem (its `target` says which VMs run)
 * @returns 1 per misplaced VM (dense VM index)
 */
export function misplacedVms(p: DenseProblem): Uint8Array {
  const N = p.nNodes;
  const R = p.R;
  const free = new Uint8Array(p.nVms);
  const at = new Int32Array(p.nVms).fill(-1);
  const load = new Float64Array(N * R);
  const on: number[][] = Array.from({ length: N }, () => []);
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING) continue;
    const h = p.srcRunning[v] ? p.home[v]! : -1;
    if (h < 0 || !mayRunOn(p, v, h)) {
      free[v] = 1;
      continue;
    }
    at[v] = h;
    on[h]!.push(v);
    for (let r = 0; r < R; r++) load[h * R + r]! += p.demand[v * R + r]!;
  }
  const freeNode = (n: number): void => {
    for (const v of on[n]!) free[v] = 1;
  };
  for (let n = 0; n < N; n++) {
    for (let r = 0; r < R; r++) {
      if (load[n * R + r]! > p.capacity[n * R + r]! + 1e-9 * Math.max(1, p.capacity[n * R + r]!)) {
        freeNode(n);
        break;
      }
    }
  }
  for (const l of p.lonelies) {
    const inL = new Set(l.vms);
    for (let n = 0; n < N; n++) {
      let a = false;
      let b = false;
      for (const v of on[n]!) (inL.has(v) ? (a = true) : (b = true));
      if (a && b) freeNode(n);
    }
  }
  for (const sp of p.splits) {
    const groupOf = new Map<number, number>();
    sp.groups.forEach((g, gi) => {
      for (const v of g) if (!groupOf.has(v)) groupOf.set(v, gi);
    });
    const seen = new Map<number, Set<number>>();
    for (const [v, gi] of groupOf) {
      const n = at[v]!;
      if (n < 0) continue;
      let set = seen.get(n);
      if (!set) seen.set(n, (set = new Set()));
      set.add(gi);
    }
    for (const [n, set] of seen) if (set.size > 1) for (const [v] of groupOf) if (at[v] === n) free[v] = 1;
  }
  for (const sp of p.spreads) {
    const first = new Map<number, number>();
    for (const v of sp.vms) {
      const n = at[v]!;
      if (n < 0) continue;
      const other = first.get(n);
      if (other !== undefined) {
        free[v] = 1;
        free[other] = 1;
      } else first.set(n, v);
    }
  }
  for (const g of p.gathers) {
    const nodes = new Set<number>();
    for (const v of g.vms) if (at[v]! >= 0) nodes.add(at[v]!);
    if (nodes.size > 1) for (const v of g.vms) if (at[v]! >= 0) free[v] = 1;
  }
  for (const a of p.amongs) {
    const hosts: number[] = [];
    for (const v of a.vms) if (at[v]! >= 0) hosts.push(at[v]!);
    if (hosts.length === 0) continue;
    const ok =
      a.nodeGroup !== undefined
        ? a.nodeGroup[hosts[0]!]! >= 0 && hosts.every((h) => a.nodeGroup![h] === a.nodeGroup![hosts[0]!])
        : a.groups.some((g) => {
            const set = new Set(g);
            return hosts.every((h) => set.has(h));
          });
    if (!ok) for (const v of a.vms) if (at[v]! >= 0) free[v] = 1;
  }
  for (const rb of p.resourceBounds) {
    let used = 0;
    for (const n of rb.nodes) used += load[n * R + rb.r]!;
    if (used > rb.amount + 1e-9 * Math.max(1, Math.abs(rb.amount))) for (const n of rb.nodes) freeNode(n);
  }
  for (const rb of p.runningBounds) {
    let used = 0;
    for (const n of rb.nodes) used += on[n]!.length;
    if (used > rb.amount) for (const n of rb.nodes) freeNode(n);
  }
  for (const ob of p.onlineBounds) {
    let online = 0;
    for (const n of ob.nodes) {
      const mode = p.nodeMode[n];
      if (mode === NodeMode.Keep || mode === NodeMode.On || (mode === NodeMode.Free && on[n]!.length > 0)) online++;
    }
    if (online > ob.amount) for (const n of ob.nodes) if (p.nodeMode[n] === NodeMode.Free) freeNode(n);
  }
  for (let v = 0; v < p.nVms; v++) if (p.pinned[v]! >= 0 && at[v] === p.pinned[v]) free[v] = 0;
  return free;
}

/**
 * The overload bound on migrated memory: every running VM that may not stay on its source node
 * must move, and every node whose other VMs (where `assign` runs them) exceed
 * its capacity must shed VMs covering the excess of every resource, at least the cheapest such
 * set (memory of the VMs that run on their source host there; pinned VMs cannot leave). Exact per
 * node by enumeration up to 16 movable VMs, else the fractional (LP) cover, still a lower bound.
 * Summed over nodes: a lower bound for any repair, whatever the destinations and constraints.
 *
 * @param p - the problem
 * @param assign - where VMs run now (the source positions)
 * @returns the bound (0 when no node is overloaded; Infinity when a node cannot be relieved)
 * @example
 * ```ts
 * overloadBound(p, sourceAssignment(p)); // MiB that must move at least
 * ```
 */
export function overloadBound(p: DenseProblem, assign: Int32Array): number {
  return overloadBounds(p, assign).memory;
}

/** The overload bound, lexicographic: migrated memory, then migrations at that memory (see {@link overloadBounds}). */
export interface OverloadBounds {
  /** Lower bound on migrated memory ({@link overloadBound}). */
  readonly memory: number;
  /**
   * Lower bound on the number of migrations of any repair whose migrated memory equals `memory`
   * (a repair moving more memory may move fewer VMs): the forced moves, plus per overloaded
   * node the fewest migrations among its cheapest covers (exact up to 16 movable VMs, else 1).
   */
  readonly migrations: number;
}

/**
 * The overload bounds of {@link overloadBound}, with the migration count at the memory bound
 * (for `minMigrations`, whose second term is the number of migrations).
 *
 * @param p - the problem
 * @param assign - where VMs run now (the source positions)
 * @returns memory and migration bounds
 * @example
 * ```ts
 * const { memory, migrations } = overloadBounds(p, sourceAssignment(p));
 * ```
 */
export function overloadBounds(p: DenseProblem, assign: Int32Array): OverloadBounds {
  const R = p.R;
  const { load } = nodeLoads(p, assign);
  const on: number[][] = Array.from({ length: p.nNodes }, () => []);
  // A VM that may not stay on its node must move: its memory counts, and it leaves its node.
  let total = 0;
  let moves = 0;
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING || assign[v]! < 0) continue;
    const n = assign[v]!;
    if (p.srcRunning[v] && p.home[v] === n && !mayRunOn(p, v, n)) {
      total += p.moveCost[v]!;
      moves++;
      for (let r = 0; r < R; r++) load[n * R + r]! -= p.demand[v * R + r]!;
    } else on[n]!.push(v);
  }
  for (let n = 0; n < p.nNodes; n++) {
    const excess: number[] = [];
    let over = false;
    for (let r = 0; r < R; r++) {
      const e = load[n * R + r]! - p.capacity[n * R + r]!;
      excess.push(e);
      if (e > 1e-9 * Math.max(1, p.capacity[n * R + r]!)) over = true;
    }
    if (!over) continue;
    const movable = on[n]!.filter((v) => p.pinned[v]! < 0);
    const migrates = (v: number): boolean => p.srcRunning[v] === 1 && p.home[v] === n;
    const cost = (v: number): number => (migrates(v) ? p.moveCost[v]! : 0);
    if (movable.length <= EXACT_COVER_VMS) {
      const cover = cheapestCover(p, movable, excess, cost, migrates);
      total += cover?.cost ?? Infinity;
      moves += cover?.migrations ?? Infinity;
    } else {
      if (movable.some(migrates)) moves++;
      let node = 0;
      for (let r = 0; r < R; r++) {
        let need = excess[r]!;
        if (need <= 1e-9) continue;
        const order = movable.filter((v) => p.demand[v * R + r]! > 0).sort((a, b) => cost(a) / p.demand[a * R + r]! - cost(b) / p.demand[b * R + r]!);
        let c = 0;
        for (const v of order) {
          if (need <= 1e-9) break;
          const d = p.demand[v * R + r]!;
          const part = Math.min(1, need / d);
          c += part * cost(v);
          need -= part * d;
        }
        node = Math.max(node, need > 1e-9 ? Infinity : c);
      }
      total += node;
    }
  }
  return { memory: total, migrations: moves };
}

/** A partition of the work: nodes, and the misplaced VMs that start on them. */
export interface PartitionScope {
  readonly nodes: Int32Array;
  /** Misplaced VMs to place (repair), possibly empty. */
  readonly free: Int32Array;
}

/** Parameters of {@link solvePartition}. */
export interface PartitionParams {
  readonly seed: number;
  readonly timeLimitMs: number;
  readonly now: () => number;
  readonly solveSub: (model: MipModel, timeLimitMs: number) => MipOutcome;
  /** Destinations offered to each cluster of misplaced VMs at first (default 8 nodes; widened on failure). */
  readonly candidates?: number;
  /** Improve by LNS within the partition after the repair (default true). */
  readonly improve?: boolean;
  readonly shouldStop?: () => boolean;
  readonly onImprove?: (assign: Int32Array) => void;
  /** A prebuilt {@link encodeIndex} of `p`. */
  readonly index?: EncodeIndex;
}

/** What {@link solvePartition} returns. */
export interface PartitionOutcome {
  /** The assignment (only VMs of the partition changed). */
  readonly assign: Int32Array;
  /** Whether every misplaced VM got a valid place. */
  readonly repaired: boolean;
  /** LNS neighbourhoods solved. */
  readonly iterations: number;
}

/** Largest number of VMs on one node for which every eviction set is enumerated. */
const EVICTION_ENUMERATION_LIMIT = 14;

/**
 * Solves a one-node cluster of a repair model without a MIP: the VMs of `node` either stay or
 * leave; the sets of VMs to let go are tried from the cheapest (least memory moved, then fewest
 * VMs), and each is placed greedily, roomiest destination first, against the model's own rows
 * (so every constraint the encoder wrote is respected). The first set that places gives the
 * least migration for this node. Only for models whose columns are all placement variables and
 * whose rows other than the assignment rows are upper bounds; else undefined (use the MIP).
 *
 * @param p - the problem
 * @param enc - the repair model of the cluster
 * @param node - the cluster's node
 * @param vms - its misplaced VMs
 * @param room - normalised room left per node (destinations are tried roomiest first)
 * @returns a solution of the model, or undefined
 */
export function evictAndPlace(p: DenseProblem, enc: Encoding, node: number, vms: readonly number[], room: (n: number) => number): Float64Array | undefined {
  const m = enc.model;
  if (enc.nx !== m.numCols || vms.length > EVICTION_ENUMERATION_LIMIT) return undefined;
  // Columns of each VM, and rows of each column.
  const colsOf = new Map<number, number[]>();
  for (let c = 0; c < enc.nx; c++) {
    const v = enc.xVm[c]!;
    const l = colsOf.get(v);
    if (l) l.push(c);
    else colsOf.set(v, [c]);
  }
  const assignmentRow = new Uint8Array(m.numRows);
  const rowsOf: number[][] = Array.from({ length: m.numCols }, () => []);
  const valOf: number[][] = Array.from({ length: m.numCols }, () => []);
  for (let i = 0; i < m.numRows; i++) {
    const lo = m.rowLower[i]!;
    const hi = m.rowUpper[i]!;
    let allOnes = true;
    const members = new Set<number>();
    for (let k = m.rowStarts[i]!; k < m.rowStarts[i + 1]!; k++) {
      if (m.rowValue[k] !== 1) allOnes = false;
      members.add(enc.xVm[m.rowIndex[k]!]!);
    }
    if (lo === 1 && hi === 1 && allOnes && members.size === 1) {
      assignmentRow[i] = 1;
      continue;
    }
    if (lo !== -Infinity) return undefined;
    for (let k = m.rowStarts[i]!; k < m.rowStarts[i + 1]!; k++) {
      rowsOf[m.rowIndex[k]!]!.push(i);
      valOf[m.rowIndex[k]!]!.push(m.rowValue[k]!);
    }
  }
  const stayCol = new Map<number, number>();
  for (const v of vms) {
    const c = (colsOf.get(v) ?? []).find((j) => enc.xNode[j] === node);
    if (c !== undefined) stayCol.set(v, c);
  }
  // Every subset of leavers, cheapest first.
  const k = vms.length;
  const subsets: { mask: number; cost: number; size: number }[] = [];
  for (let mask = 0; mask < 1 << k; mask++) {
    let ok = true;
    let cost = 0;
    let size = 0;
    for (let i = 0; i < k && ok; i++) {
      const v = vms[i]!;
      if (mask & (1 << i)) {
        cost += p.srcRunning[v] && p.home[v] === node ? p.moveCost[v]! : 0;
        size++;
      } else if (!stayCol.has(v)) ok = false;
    }
    if (ok) subsets.push({ mask, cost, size });
  }
  subsets.sort((a, b) => a.cost - b.cost || a.size - b.size || a.mask - b.mask);
  const act = new Float64Array(m.numRows);
  const fits = (c: number): boolean => {
    const rows = rowsOf[c]!;
    const vals = valOf[c]!;
    for (let t = 0; t < rows.length; t++) if (act[rows[t]!]! + vals[t]! > m.rowUpper[rows[t]!]! + 1e-9) return false;
    return true;
  };
  const take = (c: number, sign: 1 | -1): void => {
    const rows = rowsOf[c]!;
    const vals = valOf[c]!;
    for (let t = 0; t < rows.length; t++) act[rows[t]!]! += sign * vals[t]!;
  };
  const size = (v: number): number => {
    let s = 0;
    for (let r = 0; r < p.R; r++) s += p.demand[v * p.R + r]! / Math.max(1, p.capacity[node * p.R + r]!);
    return s;
  };
  const tried = Math.min(subsets.length, 400);
  for (let t = 0; t < tried; t++) {
    const { mask } = subsets[t]!;
    act.fill(0);
    const chosen: number[] = [];
    let ok = true;
    for (let i = 0; i < k && ok; i++) {
      if (mask & (1 << i)) continue;
      const c = stayCol.get(vms[i]!)!;
      if (!fits(c)) ok = false;
      else {
        take(c, 1);
        chosen.push(c);
      }
    }
    const leavers = vms.filter((_, i) => mask & (1 << i)).sort((a, b) => size(b) - size(a) || a - b);
    for (const v of leavers) {
      if (!ok) break;
      const options = (colsOf.get(v) ?? []).filter((c) => enc.xNode[c] !== node).sort((a, b) => room(enc.xNode[b]!) - room(enc.xNode[a]!) || a - b);
      const c = options.find(fits);
      if (c === undefined) ok = false;
      else {
        take(c, 1);
        chosen.push(c);
      }
    }
    if (!ok) continue;
    const x = new Float64Array(m.numCols);
    for (const c of chosen) x[c] = 1;
    if (maxViolation(m, x) <= 1e-6) return x;
  }
  return undefined;
}

/**
 * Places misplaced VMs cluster by cluster: the VMs that sit on one node together (or, for VMs
 * not placed yet, batches of ten) form a small MIP with their node and the `width` nodes of the
 * universe with the most room, widened (×3) while the model has no solution. Each answer is
 * applied before the next cluster, so later clusters see the room earlier ones took. Exact for the
 * question that costs migrations (which VMs leave an overloaded node); destinations are chosen
 * among the roomiest nodes.
 *
 * @param p - the problem
 * @param assign - current positions (fixed VMs; misplaced VMs where they are now, or -1)
 * @param free - the misplaced VMs
 * @param universe - the nodes they may go to
 * @param params - clock, deadline, sub-solver, first width
 * @returns the assignment and whether every cluster was placed
 */
export function repairClusters(
  p: DenseProblem,
  assign: Int32Array,
  free: ArrayLike<number>,
  universe: ArrayLike<number>,
  params: {
    readonly deadline: number;
    readonly now: () => number;
    readonly solveSub: (model: MipModel, timeLimitMs: number) => MipOutcome;
    readonly width?: number;
    readonly nodesPerCluster?: number;
    readonly shouldStop?: () => boolean;
    /** A prebuilt {@link encodeIndex} of `p`. */
    readonly index?: EncodeIndex;
  },
): { assign: Int32Array; repaired: boolean } {
  const R = p.R;
  const current = Int32Array.from(assign);
  const { load, count } = nodeLoads(p, current);
  const index = params.index ?? encodeIndex(p);
  const room = (n: number): number => spareShare(p, load, n);
  const clusters = new Map<number, number[]>();
  let loose: number[] = [];
  for (let i = 0; i < free.length; i++) {
    const v = free[i]!;
    const n = current[v]!;
    if (n < 0 || !canHost(p, v, n)) {
      current[v] = -1;
      loose.push(v);
    } else {
      const l = clusters.get(n);
      if (l) l.push(v);
      else clusters.set(n, [v]);
    }
  }
  // VMs without a node, then nodes overloaded and nothing else: greedy passes first (loose.ts),
  // onto nodes whose VMs are not being repaired; what they leave goes to the exact repair.
  if (loose.length > 0 || clusters.size > 0) {
    const settled = Array.from(universe).filter((n) => !clusters.has(n));
    const ctx = looseContext(p);
    const saved = { current: Int32Array.from(current), load: Float64Array.from(load), count: Int32Array.from(count), loose, clusters: new Map(clusters) };
    if (loose.length > 0) loose = placeLooseGreedy(p, current, load, count, loose, settled, ctx);
    if (clusters.size > 0) shedOverloadGreedy(p, current, load, count, clusters, settled, ctx);
    // All or nothing: what the greedy placed could block an exact fit of what it left.
    if (loose.length > 0 || clusters.size > 0) {
      current.set(saved.current);
      load.set(saved.load);
      count.set(saved.count);
      loose = saved.loose;
      clusters.clear();
      for (const [n, vms] of saved.clusters) clusters.set(n, vms);
    }
  }
  // Clusters of up to `perCluster` nodes' misplaced VMs (each solve has a fixed cost), then the
  // VMs not placed yet by batches of ten.
  const perCluster = params.nodesPerCluster ?? 1;
  const work: { nodes: number[]; vms: number[] }[] = [];
  const entries = [...clusters];
  for (let i = 0; i < entries.length; i += perCluster) {
    const chunk = entries.slice(i, i + perCluster);
    work.push({ nodes: chunk.map(([n]) => n), vms: chunk.flatMap(([, vms]) => vms) });
  }
  for (let i = 0; i < loose.length; i += 10) work.push({ nodes: [], vms: loose.slice(i, i + 10) });
  // Destinations: nodes of the universe that host no misplaced VM (those nodes are being repaired;
  // VMs of clusters not solved yet stay where they are meanwhile, and count as fixed load).
  const busy = new Set<number>();
  for (const w of work) for (const n of w.nodes) busy.add(n);
  const nodes = [...Array.from(universe)].filter((n) => p.nodeMode[n] !== NodeMode.Off && !busy.has(n));
  let repaired = true;
  for (const w of work) {
    let width = params.width ?? 4 + 4 * Math.max(1, w.nodes.length);
    let placed = false;
    while (!placed && params.now() < params.deadline && !params.shouldStop?.()) {
      const own = new Set(w.nodes);
      // Candidates: nodes where one of the VMs may run (a node of another among group, say, only
      // widens the model without helping), the roomiest first.
      const byRoom = nodes.filter((n) => !own.has(n) && w.vms.some((v) => mayRunOn(p, v, n))).sort((a, b) => room(b) - room(a) || a - b);
      const scope = new Set([...w.nodes, ...byRoom.slice(0, width)]);
      const enc = encode(p, { free: w.vms, nodes: Int32Array.from(scope).sort(), assign: current, phase: { kind: 'cost' }, index, load: { load, count } });
      if (enc.status === 'model') {
        // Exact and fast for one node: the cheapest set of VMs to let go that can be placed.
        let x = w.nodes.length === 1 ? evictAndPlace(p, enc, w.nodes[0]!, w.vms, room) : undefined;
        if (x === undefined) {
          const out = params.solveSub(enc.model, Math.max(1, Math.min(2000, params.deadline - params.now())));
          if (out.status === 'optimal' || out.status === 'feasible') x = out.x;
        }
        if (x !== undefined) {
          const next = decode(enc, x, current);
          for (const v of w.vms) {
            if (current[v]! >= 0) {
              count[current[v]!]!--;
              for (let r = 0; r < R; r++) load[current[v]! * R + r]! -= p.demand[v * R + r]!;
            }
            current[v] = next[v]!;
            count[next[v]!]!++;
            for (let r = 0; r < R; r++) load[next[v]! * R + r]! += p.demand[v * R + r]!;
          }
          placed = true;
          break;
        }
      }
      if (width >= byRoom.length) break;
      width = Math.min(byRoom.length, width * 3);
    }
    if (!placed) {
      repaired = false;
      break;
    }
  }
  return { assign: current, repaired };
}

/**
 * Repairs one partition (misplaced VMs placed within its nodes, the rest fixed) and improves it
 * by LNS within its nodes until the time limit.
 *
 * @param p - the problem
 * @param assign - current node per VM (misplaced VMs: where they are now, or -1)
 * @param scope - the partition's nodes and misplaced VMs
 * @param params - clock, limits, sub-solver
 * @returns the new assignment and whether the repair succeeded
 */
export function solvePartition(p: DenseProblem, assign: Int32Array, scope: PartitionScope, params: PartitionParams): PartitionOutcome {
  const t0 = params.now();
  const deadline = t0 + params.timeLimitMs;
  const improve = params.improve ?? true;
  let current: Int32Array = Int32Array.from(assign);
  let repaired = scope.free.length === 0;
  if (!repaired) {
    const r = repairClusters(p, current, scope.free, scope.nodes, {
      deadline,
      now: params.now,
      solveSub: params.solveSub,
      ...(params.candidates === undefined ? {} : { width: params.candidates }),
      ...(params.shouldStop ? { shouldStop: params.shouldStop } : {}),
      ...(params.index ? { index: params.index } : {}),
    });
    repaired = r.repaired;
    if (repaired) {
      current = r.assign;
      params.onImprove?.(Int32Array.from(current));
    }
  }
  let iterations = 0;
  // Consolidation of a partition with only per-VM rules: its exact aggregated model first
  // (nodes, then migration), from the current placement; the search goes on from its answer.
  if (repaired && improve && p.objective.kind === 'consolidate' && canAggregate(p) && params.now() < deadline - 5 && !params.shouldStop?.()) {
    const inPart = new Uint8Array(p.nNodes);
    for (const n of scope.nodes) inPart[n] = 1;
    const mode = Uint8Array.from(p.nodeMode, (m, n) => (inPart[n] ? m : NodeMode.Off));
    const target = Uint8Array.from(p.target, (t, v) => (t === RUNNING && current[v]! >= 0 && inPart[current[v]!] ? t : VM_STATE_CODE.waiting));
    const sub: DenseProblem = { ...p, nodeMode: mode, target };
    let weight = 1;
    for (let v = 0; v < p.nVms; v++) if (target[v] === RUNNING) weight += p.moveCost[v]!;
    const agg = aggregateModel(sub, { kind: 'weighted', nodeWeight: weight }, current);
    if (!('conflicts' in agg)) {
      const out = params.solveSub(agg.model, Math.max(1, (deadline - params.now()) * 0.7));
      if (out.status === 'optimal' || out.status === 'feasible') {
        const a = agg.decode(out.x);
        const next = Int32Array.from(current);
        for (let v = 0; v < p.nVms; v++) if (target[v] === RUNNING) next[v] = a[v]!;
        if (better(valueKey(p, next), valueKey(p, current))) {
          current = next;
          params.onImprove?.(Int32Array.from(current));
        }
      }
    }
  }
  if (repaired && improve && params.now() < deadline - 5 && !params.shouldStop?.()) {
    const out = lnsImprove(p, current, {
      seed: params.seed,
      timeLimitMs: deadline - params.now(),
      now: params.now,
      solveSub: params.solveSub,
      universe: scope.nodes,
      ...(params.shouldStop ? { shouldStop: params.shouldStop } : {}),
      ...(params.onImprove ? { onImprove: params.onImprove } : {}),
    });
    current = out.assign;
    iterations = out.iterations;
  }
  return { assign: current, repaired, iterations };
}
