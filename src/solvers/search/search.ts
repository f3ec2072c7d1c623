import { DEFAULT_SEED } from '../../model/defaults.js';
import { countBits, forEachBit, hasBit, clearBit } from '../../problem/bitset.js';
import { OBJECTIVE_EPSILON } from '../../model/objective.js';
import { compareValues, type ObjectiveValue, valueOf } from './objective.js';
import { type PlacementProblem } from '../../problem/view.js';
import { NodeMode } from '../../problem/dense.js';
import { PlacementState } from './state.js';
import { createRandom } from '../../util/random.js';

/** Options of {@link searchPlacement}. */
export interface SearchOptions {
  /** Problem VMs to place. */
  readonly vms: ArrayLike<number>;
  /** VMs placed beforehand and not to be moved: node per problem VM, -1 for free ones. */
  readonly fixed?: Int32Array;
  /** Find the best placement (branch and bound) instead of the first. */
  readonly optimize: boolean;
  /** A known placement of `vms`: the search only looks for strictly better ones. */
  readonly incumbent?: Int32Array;
  /** Maximum search nodes (deterministic budget). */
  readonly nodeLimit: number;
  /** Seed of the perturbations between restarts (default 1). */
  readonly seed?: number;
  /** Clock and deadline in milliseconds (checked every 256 search nodes). */
  readonly now?: () => number;
  readonly deadline?: number;
}

/** What {@link searchPlacement} found. */
export type SearchOutcome =
  /** The search space was exhausted: `assign` is optimal (or, without `optimize`, simply valid). */
  | { readonly status: 'complete'; readonly assign: Int32Array; readonly value: ObjectiveValue; readonly nodes: number }
  /** The budget ran out with a placement in hand. */
  | { readonly status: 'feasible'; readonly assign: Int32Array; readonly value: ObjectiveValue; readonly nodes: number }
  /** Proved: no placement exists (none better than nothing: no incumbent was given). */
  | { readonly status: 'infeasible'; readonly nodes: number }
  /** The budget ran out before any placement was found. */
  | { readonly status: 'unknown'; readonly nodes: number };

class Budget extends Error {}

/**
 * Symmetry classes of nodes: unused nodes with equal capacity, mode, source state and
 * constraint memberships, that no problem VM runs, sleeps or is pinned on, are interchangeable.
 * @returns class id per node (unique ids for nodes that are not interchangeable)
 */
function nodeClasses(p: PlacementProblem): Int32Array {
  const { N, R, K } = p;
  const special = new Uint8Array(N);
  for (let k = 0; k < K; k++) {
    for (const n of [p.source[k]!, p.image[k]!, p.pinned[k]!]) if (n >= 0) special[n] = 1;
  }
  const member: string[][] = Array.from({ length: N }, () => []);
  p.instance.constraints.forEach((c, ci) => {
    const add = (ids: readonly string[], tag: string): void => {
      for (const id of ids) {
        const n = p.ix.nodeIndex.get(id);
        if (n !== undefined) member[n]!.push(tag);
      }
    };
    if ('nodes' in c) add(c.nodes, `${ci}`);
    if (c.type === 'among') c.groups.forEach((g, gi) => add(g, `${ci}.${gi}`));
  });
  const ids = new Map<string, number>();
  const out = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    if (special[n]) {
      out[n] = -1 - n;
      continue;
    }
    const caps: number[] = [];
    for (let r = 0; r < R; r++) caps.push(p.cap[n * R + r]!, p.ix.capacity[n * R + r]!);
    const key = `${caps.join(',')}|${p.nodeMode[n]}|${p.ix.nodeOnline[n]}|${member[n]!.join(',')}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    out[n] = id;
  }
  return out;
}

/**
 * Groups of interchangeable free VMs (same demand, candidate nodes and constraint memberships;
 * when optimising, also the same source, image and pin, so that costs match too): swapping two of
 * them maps a placement to an equivalent one, so the search may require them to take nodes in
 * increasing order.
 * @returns per free row, the rows of its group in order (undefined for VMs without a twin)
 */
function vmTwins(p: PlacementProblem, free: readonly number[], dom: Uint32Array, W: number, optimize: boolean): (number[] | undefined)[] {
  const { R } = p;
  const groups = new Map<string, number[]>();
  const keys = free.map((k, i) => {
    const parts: (string | number)[] = [];
    for (let r = 0; r < R; r++) parts.push(p.demand[k * R + r]!);
    parts.push('|');
    for (let w = 0; w < W; w++) parts.push(dom[i * W + w]!);
    parts.push('|', ...p.vmSpreads[k]!, '|', ...p.vmGathers[k]!, '|', ...p.vmAmongs[k]!, '|', ...p.vmSplits[k]!, '|');
    p.lonelies.forEach((l, li) => {
      if (l.inSet[k]) parts.push(li);
    });
    parts.push('|', p.pinned[k]!);
    if (optimize) parts.push(p.source[k]!, p.image[k]!);
    return parts.join(',');
  });
  keys.forEach((key, i) => {
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const out: (number[] | undefined)[] = new Array(free.length);
  for (const g of groups.values()) if (g.length > 1) for (const i of g) out[i] = g;
  return out;
}

/**
 * Constraint-aware depth-first search for a placement of `vms`: each step branches on the
 * unplaced VM with the fewest candidate nodes (ties: the largest), tries its nodes in an order
 * suited to the objective, and propagates the consequences of every choice on the candidate
 * nodes of the other VMs (capacity, spread, gather, among, split, lonely, node-set capacities,
 * maxOnline), with pigeonhole (spread), joint-fit (gather) and volume checks; it backtracks on a
 * wipe-out. With `optimize`, a branch and bound on the objective's lexicographic value (with
 * interchangeable unused nodes tried once). Exhaustive within its budget: a `complete` or
 * `infeasible` answer is a proof.
 *
 * @param p - the problem
 * @param opts - VMs, fixed placements, incumbent, budget
 * @returns the outcome
 */
export function searchPlacement(p: PlacementProblem, opts: SearchOptions): SearchOutcome {
  const { K, W, N, R } = p;
  const s = new PlacementState(p);
  if (opts.fixed) for (let k = 0; k < K; k++) if (opts.fixed[k]! >= 0) s.place(k, opts.fixed[k]!);
  const free: number[] = [];
  for (let i = 0; i < opts.vms.length; i++) {
    const k = opts.vms[i]!;
    if (s.assign[k]! < 0) free.push(k);
  }
  let nodesVisited = 0;
  const limit = opts.nodeLimit;
  let bestAssign: Int32Array | undefined = opts.incumbent ? Int32Array.from(opts.incumbent) : undefined;
  let bestValue: ObjectiveValue | undefined;
  if (bestAssign) {
    const t = new PlacementState(p);
    for (let k = 0; k < K; k++) if (bestAssign[k]! >= 0) t.place(k, bestAssign[k]!);
    bestValue = valueOf(t);
  }
  const m = free.length;
  if (m === 0) {
    const v = valueOf(s);
    if (!bestValue || compareValues(v, bestValue) < 0) return { status: 'complete', assign: s.snapshot(), value: v, nodes: 0 };
    return { status: 'complete', assign: bestAssign!, value: bestValue, nodes: 0 };
  }

  // Domains of the free VMs (row per free VM), filtered by the initial state.
  const row = new Int32Array(K).fill(-1);
  free.forEach((k, i) => (row[k] = i));
  const dom = new Uint32Array(m * W);
  for (let i = 0; i < m; i++) {
    const k = free[i]!;
    const d = p.domain[k]!;
    for (let w = 0; w < W; w++) dom[i * W + w] = d[w]!;
    forEachBit(dom, W, (n) => {
      if (!s.fits(k, n)) clearBit(dom, n, i * W);
    }, i * W);
  }
  // Constraint neighbours of each free VM whose candidates may change anywhere when it is placed
  // (gather and among partners; spread partners only lose the node itself, always re-checked).
  const neighbours: Int32Array[] = free.map((k) => {
    const set = new Set<number>();
    for (const x of p.vmGathers[k]!) for (const j of p.gathers[x]!.members) set.add(j);
    for (const x of p.vmAmongs[k]!) for (const j of p.amongs[x]!.members) set.add(j);
    set.delete(k);
    return Int32Array.from([...set].filter((j) => row[j]! >= 0));
  });
  const classes = nodeClasses(p);
  const twins = vmTwins(p, free, dom, W, opts.optimize);
  const isFree = new Uint8Array(m).fill(1);
  // Failure weights (dom/wdeg): VMs whose candidates run out often are branched on earlier.
  const weight = new Float64Array(m).fill(1);
  const stamp = new Int32Array(m);
  let stampId = 0;
  const kind = p.objective.kind;
  const balR = p.objective.resource;
  const usableByCapDesc: number[][] = [];
  for (let r = 0; r < R; r++) {
    const nodes: number[] = [];
    for (let n = 0; n < N; n++) if (p.nodeMode[n] !== NodeMode.Off) nodes.push(n);
    nodes.sort((a, b) => p.cap[b * R + r]! - p.cap[a * R + r]! || a - b);
    usableByCapDesc.push(nodes);
  }
  const deadline = opts.deadline;
  const now = opts.now;

  const filterRow = (i: number, k: number, nodes: Int32Array | null): boolean => {
    const off = i * W;
    if (nodes === null) {
      forEachBit(dom, W, (n) => {
        if (!s.fits(k, n)) clearBit(dom, n, off);
      }, off);
    } else {
      for (let x = 0; x < nodes.length; x++) {
        const n = nodes[x]!;
        if (hasBit(dom, n, off) && !s.fits(k, n)) clearBit(dom, n, off);
      }
    }
    for (let w = 0; w < W; w++) if (dom[off + w] !== 0) return true;
    return false;
  };

  // Nodes whose candidates may change when a VM lands on n: n itself, and the nodes of a
  // node-set capacity containing n once its slack is below the largest free demand (or of a
  // maxOnline containing n once it is full).
  const maxDemand = new Float64Array(R);
  for (const k of free) for (let r = 0; r < R; r++) maxDemand[r] = Math.max(maxDemand[r]!, p.demand[k * R + r]!);
  const touchBuf = new Int32Array(N);
  const touchMark = new Int32Array(N);
  let touchStamp = 0;
  const touchedBy = (n: number, opened: boolean): Int32Array => {
    touchStamp++;
    let len = 0;
    const add = (q: number): void => {
      if (touchMark[q] !== touchStamp) {
        touchMark[q] = touchStamp;
        touchBuf[len++] = q;
      }
    };
    add(n);
    for (const ci of p.nodeResourceCaps[n]!) {
      const c = p.resourceCaps[ci]!;
      if (c.amount - s.resourceUsed[ci]! < maxDemand[c.resource]!) for (const q of c.nodes) add(q);
    }
    for (const ci of p.nodeRunningCaps[n]!) {
      const c = p.runningCaps[ci]!;
      if (c.amount - s.runningUsed[ci]! < 1) for (const q of c.nodes) add(q);
    }
    if (opened) {
      for (const ci of p.nodeMaxOnlines[n]!) {
        const c = p.maxOnlines[ci]!;
        if (s.onlineCount[ci]! >= c.amount) for (const q of c.nodes) add(q);
      }
    }
    return touchBuf.subarray(0, len);
  };

  /** Propagates the placement of free row `i0` on `n`; false on a wipe-out or a failed global check. */
  const propagate = (i0: number, n: number, opened: boolean): boolean => {
    stampId++;
    const nb = neighbours[i0]!;
    for (let x = 0; x < nb.length; x++) {
      const i = row[nb[x]!]!;
      if (isFree[i]) stamp[i] = stampId;
    }
    // Interchangeable VMs take nodes in increasing order (symmetry breaking).
    const tw = twins[i0];
    if (tw) {
      const pos = tw.indexOf(i0);
      for (let x = 0; x < tw.length; x++) {
        const j = tw[x]!;
        if (j === i0 || !isFree[j]) continue;
        const off = j * W;
        if (x > pos) for (let q = 0; q < n; q++) clearBit(dom, q, off);
        else for (let q = n + 1; q < N; q++) clearBit(dom, q, off);
        let any = false;
        for (let w = 0; w < W; w++) if (dom[off + w] !== 0) any = true;
        if (!any) {
          weight[j]! += 1;
          return false;
        }
      }
    }
    const tn = touchedBy(n, opened);
    for (let i = 0; i < m; i++) {
      if (!isFree[i]) continue;
      if (!filterRow(i, free[i]!, stamp[i] === stampId ? null : tn)) {
        weight[i]! += 1;
        return false;
      }
    }
    if (globalChecks()) return true;
    weight[i0]! += 1;
    return false;
  };

  const union = new Uint32Array(W);
  const inter = new Uint32Array(W);
  const tot = new Float64Array(R);
  const room = new Float64Array(R);
  const cand = new Float64Array(N * R);
  const globalChecks = (): boolean => {
    // Spread pigeonhole.
    for (const sp of p.spreads) {
      let cnt = 0;
      union.fill(0);
      for (const j of sp.members) {
        const i = row[j]!;
        if (i < 0 || !isFree[i]) continue;
        cnt++;
        for (let w = 0; w < W; w++) union[w]! |= dom[i * W + w]!;
      }
      if (cnt > 1 && countBits(union, W) < cnt) return false;
    }
    // Gather: the free members must fit together on one common node.
    for (const g of p.gathers) {
      inter.fill(0xffffffff);
      tot.fill(0);
      let cnt = 0;
      for (const j of g.members) {
        const i = row[j]!;
        if (i < 0 || !isFree[i]) continue;
        cnt++;
        for (let w = 0; w < W; w++) inter[w]! &= dom[i * W + w]!;
        for (let r = 0; r < R; r++) tot[r]! += p.demand[j * R + r]!;
      }
      if (cnt < 2) continue;
      let ok = false;
      forEachBit(inter, W, (n) => {
        for (let r = 0; r < R; r++) if (s.load[n * R + r]! + tot[r]! > s.limit[n * R + r]!) return true;
        ok = true;
        return false;
      });
      if (!ok) return false;
    }
    // Volume per resource: the free VMs' demand must fit in the room of their candidate nodes,
    // counting on each node no more room than its own candidates could fill.
    union.fill(0);
    tot.fill(0);
    room.fill(0);
    cand.fill(0);
    for (let i = 0; i < m; i++) {
      if (!isFree[i]) continue;
      const k = free[i]!;
      for (let w = 0; w < W; w++) union[w]! |= dom[i * W + w]!;
      for (let r = 0; r < R; r++) tot[r]! += p.demand[k * R + r]!;
      forEachBit(dom, W, (n) => {
        for (let r = 0; r < R; r++) cand[n * R + r]! += p.demand[k * R + r]!;
      }, i * W);
    }
    forEachBit(union, W, (n) => {
      for (let r = 0; r < R; r++) room[r]! += Math.min(cand[n * R + r]!, Math.max(0, s.limit[n * R + r]! - s.load[n * R + r]!));
    });
    for (let r = 0; r < R; r++) if (tot[r]! > room[r]! + 1e-9 * Math.max(1, room[r]!)) return false;
    return true;
  };

  /** Lower bound of the objective from the current partial state. */
  const bound = (): ObjectiveValue => {
    let forced = 0;
    let forcedMoves = 0;
    for (let i = 0; i < m; i++) {
      if (!isFree[i]) continue;
      const k = free[i]!;
      const src = p.source[k]!;
      if (src >= 0 && !hasBit(dom, src, i * W)) {
        forced += p.memory[k]!;
        forcedMoves++;
      }
    }
    const mig = s.migrated + forced;
    const moves = s.moves + forcedMoves;
    if (kind === 'minMigrations') return { primary: mig, secondary: moves, tertiary: s.remote };
    if (kind === 'balance') {
      let peak = 0;
      if (balR >= 0) {
        for (let n = 0; n < N; n++) {
          if (s.count[n] === 0) continue;
          const c = p.cap[n * R + balR]!;
          const l = s.load[n * R + balR]!;
          peak = Math.max(peak, c > 0 ? l / c : l > 0 ? Infinity : 0);
        }
        for (let i = 0; i < m; i++) {
          if (!isFree[i]) continue;
          const k = free[i]!;
          const d = p.demand[k * R + balR]!;
          let best = Infinity;
          forEachBit(dom, W, (n) => {
            const c = p.cap[n * R + balR]!;
            const l = s.load[n * R + balR]! + d;
            best = Math.min(best, c > 0 ? l / c : l > 0 ? Infinity : 0);
          }, i * W);
          if (best !== Infinity) peak = Math.max(peak, best);
        }
      }
      return { primary: peak, secondary: mig, tertiary: 0 };
    }
    // consolidate
    let extra = 0;
    for (let r = 0; r < R; r++) {
      let rem = 0;
      for (let i = 0; i < m; i++) if (isFree[i]) rem += p.demand[free[i]! * R + r]!;
      if (rem <= 0) continue;
      for (let n = 0; n < N; n++) if (s.count[n]! > 0) rem -= Math.max(0, s.limit[n * R + r]! - s.load[n * R + r]!);
      if (rem <= 1e-9) continue;
      let c = 0;
      for (const n of usableByCapDesc[r]!) {
        if (s.count[n]! > 0) continue;
        rem -= p.cap[n * R + r]!;
        c++;
        if (rem <= 1e-9) break;
      }
      extra = Math.max(extra, c);
    }
    return { primary: s.used + extra, secondary: mig, tertiary: 0 };
  };

  const prunable = (): boolean => {
    if (!bestValue) return false;
    return compareValues(bound(), bestValue) >= 0;
  };

  /** Candidate nodes of free row i, in the order to try. */
  const orderValues = (i: number, k: number): number[] => {
    const vals: number[] = [];
    const seenClass = new Set<number>();
    forEachBit(dom, W, (n) => {
      if (s.count[n] === 0 && classes[n]! >= 0) {
        if (seenClass.has(classes[n]!)) return;
        seenClass.add(classes[n]!);
      }
      vals.push(n);
    }, i * W);
    const home = p.source[k]! >= 0 ? p.source[k]! : p.image[k]!;
    const score = new Map<number, number>();
    for (const n of vals) {
      let sc = 0;
      let resid = 0;
      for (let r = 0; r < R; r++) {
        const c = p.cap[n * R + r]!;
        if (c > 0) resid += (c - s.load[n * R + r]! - p.demand[k * R + r]!) / c;
      }
      if (!opts.optimize) {
        // Feasibility: tightest fit first (packing), the VM's own node on ties.
        sc = resid / (R || 1) + (n === home ? -1e-6 : 0) + (noise > 0 ? noise * rng.next() : 0);
      } else if (kind === 'balance' && balR >= 0) {
        const c = p.cap[n * R + balR]!;
        sc = c > 0 ? (s.load[n * R + balR]! + p.demand[k * R + balR]!) / c : 0;
        if (n === home) sc -= OBJECTIVE_EPSILON;
      } else if (kind === 'minMigrations') {
        sc = (n === home ? 0 : 10) + (s.count[n]! > 0 ? 0 : 1) + resid / (R || 1);
      } else {
        sc = (s.count[n]! > 0 ? 0 : 10) + (n === home ? -1 : 0) + resid / (R || 1) + (p.ix.nodeOnline[n] ? 0 : 0.5);
      }
      score.set(n, sc);
    }
    vals.sort((a, b) => score.get(a)! - score.get(b)! || a - b);
    return vals;
  };

  // Size of each VM, for tie-breaking the branching order (demand over mean capacity).
  const mean = new Float64Array(R);
  for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) mean[r]! += p.cap[n * R + r]! / N;
  const sizes = new Float64Array(K);
  for (const k of free) for (let r = 0; r < R; r++) sizes[k]! += p.demand[k * R + r]! / (mean[r]! || 1);
  const sizeOf = (k: number): number => sizes[k]!;
  const rowsSaved: Uint32Array[] = [];
  let runLimit = limit;
  // Restarts after the first perturb the value order a little (seeded: deterministic).
  const rng = createRandom(opts.seed ?? DEFAULT_SEED);
  let noise = 0;
  const dfs = (depth: number): boolean => {
    if (++nodesVisited > runLimit) throw new Budget();
    if (now && deadline !== undefined && (nodesVisited & 255) === 0 && now() > deadline) throw new Budget();
    if (depth === m) {
      const v = valueOf(s);
      if (!bestValue || compareValues(v, bestValue) < 0) {
        bestValue = v;
        bestAssign = s.snapshot();
      }
      return !opts.optimize;
    }
    if (opts.optimize && prunable()) return false;
    // Most constrained free VM: fewest candidates per failure weight, then the largest.
    let bi = -1;
    let bsize = Infinity;
    for (let i = 0; i < m; i++) {
      if (!isFree[i]) continue;
      const c = countBits(dom, W, i * W) / weight[i]!;
      const k = free[i]!;
      if (c < bsize || (c === bsize && bi >= 0 && sizeOf(k) > sizeOf(free[bi]!))) {
        bi = i;
        bsize = c;
      }
    }
    const k = free[bi]!;
    const values = orderValues(bi, k);
    const saved = rowsSaved[depth] ?? (rowsSaved[depth] = new Uint32Array(m * W));
    saved.set(dom);
    for (const n of values) {
      if (!s.fits(k, n)) continue;
      const opened = s.count[n] === 0;
      s.place(k, n);
      isFree[bi] = 0;
      if (propagate(bi, n, opened)) {
        if (dfs(depth + 1)) return true;
      }
      s.unplace(k);
      isFree[bi] = 1;
      dom.set(saved);
    }
    return false;
  };

  // Initial wipe-out and global checks.
  let exhausted = true;
  let ok = true;
  for (let i = 0; i < m; i++) if (countBits(dom, W, i * W) === 0) ok = false;
  if (ok && !globalChecks()) ok = false;
  if (ok) {
    // Feasibility: restarts with growing limits keep the learnt weights (complete in the end:
    // the last run gets whatever budget is left). Optimisation: one run.
    const root = Uint32Array.from(dom);
    let run = opts.optimize ? limit : 1000;
    for (;;) {
      runLimit = Math.min(limit, nodesVisited + run);
      try {
        dfs(0);
        break;
      } catch (e) {
        if (!(e instanceof Budget)) throw e;
        const outOfTime = now !== undefined && deadline !== undefined && now() > deadline;
        if (nodesVisited >= limit || outOfTime || opts.optimize) {
          exhausted = false;
          break;
        }
        // Back to the root for the next run.
        for (let i = 0; i < m; i++) {
          if (!isFree[i]) {
            s.unplace(free[i]!);
            isFree[i] = 1;
          }
        }
        dom.set(root);
        run = Math.ceil(run * 1.5);
        noise = 0.2;
      }
    }
  }
  if (bestAssign && bestValue) {
    return { status: exhausted ? 'complete' : 'feasible', assign: bestAssign, value: bestValue, nodes: nodesVisited };
  }
  return exhausted ? { status: 'infeasible', nodes: nodesVisited } : { status: 'unknown', nodes: nodesVisited };
}
