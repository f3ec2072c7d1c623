import type { Random } from '../../util/random.js';
import { hasBit } from '../../problem/bitset.js';
import { nodeLowerBound, peakLowerBound } from './bounds.js';
import { compareValues, peakRatio, valueOf } from './objective.js';
import { type PlacementProblem } from '../../problem/view.js';
import { NodeMode } from '../../problem/dense.js';
import { PlacementState } from './state.js';

/** Work limits of the heuristic (deterministic), plus an optional wall-clock deadline. */
export interface HeuristicBudget {
  /** Maximum ejections of the repair search per call. */
  readonly ejections: number;
  /** Node evaluations allowed to each improvement phase (node emptying, peak reduction). */
  readonly improveWork: number;
  /** Clock (milliseconds) and deadline for the whole call; checked now and then. */
  readonly now?: () => number;
  readonly deadline?: number;
}

/** Default budget: enough for instances of thousands of VMs, bounded for the largest. */
export const DEFAULT_HEURISTIC_BUDGET: HeuristicBudget = { ejections: 20_000, improveWork: 30_000_000 };

/** Problems with at most this many VM × node pairs also get the costlier heuristic variants. */
const SMALL_WORK = 20_000_000;

/** How {@link chooseNode} ranks candidate nodes. */
export type NodeChoice =
  /** Best fit on used nodes (the VM's own node first), then open the most promising unused node. */
  | 'pack'
  /** Least loaded node (balance resource, then all resources), the VM's own node on ties. */
  | 'spread'
  /** The VM's own node if it fits, else the first node that fits, round robin (fast). */
  | 'first';

/** Shared, precomputed facts about a problem used by the heuristics. */
export interface HeuristicContext {
  readonly p: PlacementProblem;
  /** Mean capacity per resource over usable nodes (normalises multi-resource sizes). */
  readonly scale: Float64Array;
  /** Size of each VM (largest normalised demand, plus a small share of the others). */
  readonly size: Float64Array;
  readonly rng: Random;
  readonly budget: HeuristicBudget;
  /** Round-robin position of the `first` choice (mutable, owned by this context). */
  readonly cursor: { next: number };
}

/**
 * Precomputes the sizes and scales the heuristics use.
 * @param p - the problem
 * @param rng - seeded generator for tie-breaking
 * @param budget - work limits
 * @returns the context
 */
export function heuristicContext(p: PlacementProblem, rng: Random, budget: Partial<HeuristicBudget> = {}): HeuristicContext {
  const { N, R, K } = p;
  const scale = new Float64Array(R);
  let usable = 0;
  for (let n = 0; n < N; n++) {
    if (p.nodeMode[n] === NodeMode.Off) continue;
    usable++;
    for (let r = 0; r < R; r++) scale[r]! += p.cap[n * R + r]!;
  }
  for (let r = 0; r < R; r++) scale[r] = usable > 0 && scale[r]! > 0 ? scale[r]! / usable : 1;
  const size = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let mx = 0;
    let sum = 0;
    for (let r = 0; r < R; r++) {
      const v = p.demand[k * R + r]! / scale[r]!;
      sum += v;
      if (v > mx) mx = v;
    }
    size[k] = mx + 0.01 * sum;
  }
  return { p, scale, size, rng, budget: { ...DEFAULT_HEURISTIC_BUDGET, ...budget }, cursor: { next: 0 } };
}

function timeUp(ctx: HeuristicContext): boolean {
  const b = ctx.budget;
  return b.now !== undefined && b.deadline !== undefined && b.now() > b.deadline;
}

/**
 * Sorts problem VMs for insertion: pinned VMs first, then decreasing size, then index.
 * @param ctx - heuristic context
 * @param vms - problem VMs
 * @returns a new sorted array
 */
export function decreasing(ctx: HeuristicContext, vms: Iterable<number>): number[] {
  const p = ctx.p;
  return [...vms].sort(
    (a, b) => Number(p.pinned[b]! >= 0) - Number(p.pinned[a]! >= 0) || ctx.size[b]! - ctx.size[a]! || a - b,
  );
}

/** The node a VM would rather use: where it runs, else where its image lies. */
function homeOf(p: PlacementProblem, k: number): number {
  return p.source[k]! >= 0 ? p.source[k]! : p.image[k]!;
}

/** Normalised free room left on `n` after adding `k` (smaller: tighter fit). */
function residual(ctx: HeuristicContext, s: PlacementState, k: number, n: number): number {
  const p = ctx.p;
  const R = p.R;
  let sum = 0;
  for (let r = 0; r < R; r++) sum += (p.cap[n * R + r]! - s.load[n * R + r]! - p.demand[k * R + r]!) / ctx.scale[r]!;
  return sum;
}

/** Load ratio `n` would have on the balance resource (or the worst resource) after adding `k`. */
function ratioAfter(ctx: HeuristicContext, s: PlacementState, k: number, n: number): number {
  const p = ctx.p;
  const R = p.R;
  const r = p.objective.resource;
  if (r >= 0) {
    const c = p.cap[n * R + r]!;
    const l = s.load[n * R + r]! + (k >= 0 ? p.demand[k * R + r]! : 0);
    return c > 0 ? l / c : l > 0 ? Infinity : 0;
  }
  let worst = 0;
  for (let q = 0; q < R; q++) {
    const c = p.cap[n * R + q]!;
    if (c > 0) worst = Math.max(worst, (s.load[n * R + q]! + (k >= 0 ? p.demand[k * R + q]! : 0)) / c);
  }
  return worst;
}

/** Group node lists sorted, without repeats (groups are read-only and shared by the problems of an instance). */
const SORTED_GROUPS = new WeakMap<Int32Array, Int32Array>();

function sortedGroup(g: Int32Array): Int32Array {
  let out = SORTED_GROUPS.get(g);
  if (out === undefined) {
    const sorted = Int32Array.from(g).sort();
    let m = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[m++] = sorted[i]!;
    out = sorted.subarray(0, m);
    SORTED_GROUPS.set(g, out);
  }
  return out;
}

/** The first position of `sorted` holding a value ≥ `x` (`sorted.length` when none). */
function lowerBound(sorted: Int32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const NO_NODES = new Int32Array(0);

/**
 * The nodes (sorted) outside which `k` fits nowhere because one of its `among` constraints
 * allows a single group now (its placed members are all inside that group only), or no group
 * (none); undefined when no among confines it that way. `fits` refuses every other node, so a
 * scan may visit these alone and find the same node.
 */
function confinedTo(s: PlacementState, k: number): Int32Array | undefined {
  const p = s.p;
  const am = p.vmAmongs[k]!;
  for (let i = 0; i < am.length; i++) {
    const outside = s.amongOutside[am[i]!]!;
    let open = -1;
    let opens = 0;
    for (let g = 0; g < outside.length && opens < 2; g++) {
      if (outside[g] === 0) {
        open = g;
        opens++;
      }
    }
    if (opens === 0) return NO_NODES;
    if (opens === 1) return sortedGroup(p.amongs[am[i]!]!.groups[open]!);
  }
  return undefined;
}

/** Options of {@link chooseNode}. */
export interface ChooseOptions {
  /** Never use this node (being emptied). */
  readonly exclude?: number;
  /** Only nodes already hosting a VM. */
  readonly usedOnly?: boolean;
  /**
   * Per node, load of VMs not placed yet that would rather stay there (admission: avoid
   * taking the room of running VMs still to be decided). `N × R`.
   */
  readonly pending?: Float64Array;
}

/**
 * Picks a node for the unplaced VM `k` among those where it fits, or -1.
 *
 * `pack` (consolidate): the VM's own node when it is in use; else the used node with the tightest
 * fit; else an unused node, preferring the VM's own, then online nodes, then the largest.
 * `spread` (balance, repairs): the node with the smallest resulting load ratio, the VM's own on
 * ties. `first`: the VM's own node, else the first that fits from a rotating position.
 *
 * @param ctx - heuristic context
 * @param s - the state
 * @param k - problem VM (not placed)
 * @param choice - ranking
 * @param opts - exclusions and pending loads
 * @returns a node index, or -1 when the VM fits nowhere
 */
export function chooseNode(ctx: HeuristicContext, s: PlacementState, k: number, choice: NodeChoice, opts: ChooseOptions = {}): number {
  const p = ctx.p;
  const { N, R } = p;
  const home = homeOf(p, k);
  const exclude = opts.exclude ?? -1;
  const pending = opts.pending;
  const dom = p.domain[k]!;
  const fitsPending = (n: number): boolean => {
    if (!pending) return true;
    for (let r = 0; r < R; r++) if (s.load[n * R + r]! + pending[n * R + r]! + p.demand[k * R + r]! > s.limit[n * R + r]!) return false;
    return true;
  };
  if (p.pinned[k]! >= 0) {
    const n = p.pinned[k]!;
    return n !== exclude && s.canPlace(k, n) ? n : -1;
  }
  if (choice === 'first') {
    if (home >= 0 && home !== exclude && (!opts.usedOnly || s.count[home]! > 0) && s.canPlace(k, home)) return home;
    const start = ctx.cursor.next % Math.max(1, N);
    const only = confinedTo(s, k);
    // The same rotating order over the only nodes `k` may use (an among of it allows one group).
    const M = only === undefined ? N : only.length;
    const from = only === undefined ? start : lowerBound(only, start);
    for (let i = 0; i < M; i++) {
      const n = only === undefined ? (start + i) % N : only[(from + i) % M]!;
      if (n === exclude || (opts.usedOnly && s.count[n] === 0) || !hasBit(dom, n) || !s.fits(k, n)) continue;
      ctx.cursor.next = n;
      return n;
    }
    return -1;
  }
  if (choice === 'pack') {
    if (home >= 0 && home !== exclude && s.count[home]! > 0 && s.canPlace(k, home) && fitsPending(home)) return home;
    let best = -1;
    let bestScore = Infinity;
    let bestPend = false;
    for (let n = 0; n < N; n++) {
      if (s.count[n] === 0 || n === exclude || !hasBit(dom, n) || !s.fits(k, n)) continue;
      const pend = fitsPending(n);
      const score = residual(ctx, s, k, n);
      if ((pend && !bestPend) || (pend === bestPend && score < bestScore)) {
        best = n;
        bestScore = score;
        bestPend = pend;
      }
    }
    if (best >= 0 && (bestPend || !pending)) return best;
    if (opts.usedOnly) return best;
    // Open an unused node.
    let open = -1;
    let openScore = -Infinity;
    let openPend = false;
    for (let n = 0; n < N; n++) {
      if (s.count[n]! > 0 || n === exclude || !hasBit(dom, n) || !s.fits(k, n)) continue;
      const pend = fitsPending(n);
      let score = 0;
      if (n === home) score += 4;
      if (p.nodeMode[n] === NodeMode.On || p.ix.nodeOnline[n] === 1) score += 2;
      let cap = 0;
      for (let r = 0; r < R; r++) cap += p.cap[n * R + r]! / ctx.scale[r]!;
      score += cap / (R || 1) / 1000;
      if ((pend && !openPend) || (pend === openPend && score > openScore)) {
        open = n;
        openScore = score;
        openPend = pend;
      }
    }
    if (open >= 0 && (openPend || best < 0)) return open;
    return best >= 0 ? best : open;
  }
  // spread
  let best = -1;
  let bestRatio = Infinity;
  let bestPend = false;
  let bestOnline = false;
  for (let n = 0; n < N; n++) {
    if (n === exclude || !hasBit(dom, n) || (opts.usedOnly && s.count[n] === 0)) continue;
    if (!s.fits(k, n)) continue;
    const pend = fitsPending(n);
    // Prefer nodes that do not need booting.
    const online = !(p.nodeMode[n] === NodeMode.Free && s.count[n] === 0 && p.ix.nodeOnline[n] === 0);
    const ratio = ratioAfter(ctx, s, k, n);
    const better =
      pend !== bestPend ? pend : online !== bestOnline ? online : ratio < bestRatio - 1e-12 || (ratio <= bestRatio + 1e-12 && n === home);
    if (best < 0 || better) {
      best = n;
      bestRatio = ratio;
      bestPend = pend;
      bestOnline = online;
    }
  }
  return best;
}

/**
 * Places each VM of `vms` (in the given order) on the node {@link chooseNode} picks.
 * @param ctx - heuristic context
 * @param s - the state
 * @param vms - unplaced problem VMs
 * @param choice - ranking
 * @param opts - pending loads
 * @returns the VMs that fit nowhere (left unplaced)
 */
export function greedyInsert(ctx: HeuristicContext, s: PlacementState, vms: readonly number[], choice: NodeChoice, opts: ChooseOptions = {}): number[] {
  const failed: number[] = [];
  for (let i = 0; i < vms.length; i++) {
    const k = vms[i]!;
    // Past the deadline the others are left unplaced (each choice scans every node).
    if ((i & 63) === 63 && timeUp(ctx)) {
      for (let j = i; j < vms.length; j++) failed.push(vms[j]!);
      break;
    }
    const n = chooseNode(ctx, s, k, choice, opts);
    if (n >= 0) s.place(k, n);
    else failed.push(k);
  }
  return failed;
}

/**
 * Places `queue` by ejection chains: a VM that fits nowhere takes the node where the fewest
 * (then smallest) movable VMs block it; those VMs go back to the queue. Recently moved VMs are
 * tabu for a while so that the search does not cycle. Bounded by `ejections`.
 *
 * @param ctx - heuristic context
 * @param s - the state (modified; left as is on failure)
 * @param queue - unplaced problem VMs to insert
 * @param choice - ranking for direct insertions
 * @param movable - which placed VMs may be ejected (default: any not pinned)
 * @param ejections - ejection budget (default: the context's)
 * @returns true when every VM of the queue (and every VM ejected) is placed
 */
export function repairInsert(
  ctx: HeuristicContext,
  s: PlacementState,
  queue: readonly number[],
  choice: NodeChoice,
  movable: (j: number) => boolean = () => true,
  ejections = ctx.budget.ejections,
): boolean {
  const p = ctx.p;
  const { N } = p;
  const todo = decreasing(ctx, queue);
  const lastMoved = new Map<number, number>();
  const tabu = Math.min(50, Math.max(5, Math.floor(Math.sqrt(p.K))));
  let iter = 0;
  const sampleSize = 64;
  while (todo.length > 0) {
    if (++iter > ejections) return false;
    if ((iter & 63) === 0 && timeUp(ctx)) return false;
    const k = todo.shift()!;
    const direct = chooseNode(ctx, s, k, choice);
    if (direct >= 0) {
      s.place(k, direct);
      lastMoved.set(k, iter);
      continue;
    }
    // Candidate nodes: the VM's domain (sampled when large), its home included.
    let cands: number[] = [];
    const dom = p.domain[k]!;
    for (let n = 0; n < N; n++) if (hasBit(dom, n) && s.closed[n] === 0) cands.push(n);
    if (cands.length > sampleSize) {
      ctx.rng.shuffle(cands);
      cands = cands.slice(0, sampleSize);
      const home = homeOf(p, k);
      if (home >= 0 && hasBit(dom, home) && s.closed[home] === 0 && !cands.includes(home)) cands.push(home);
    }
    let best: number[] | null = null;
    let bestNode = -1;
    let bestScore = Infinity;
    for (const strict of [true, false]) {
      for (const n of cands) {
        const b = s.blockers(k, n, (j) => p.pinned[j]! < 0 && movable(j) && (!strict || iter - (lastMoved.get(j) ?? -1e9) > tabu));
        if (b === null) continue;
        let score = b.length * 10 + ctx.rng.next();
        for (const j of b) score += ctx.size[j]!;
        if (score < bestScore) {
          best = b;
          bestNode = n;
          bestScore = score;
        }
      }
      if (best !== null) break;
    }
    if (best === null) return false;
    for (const j of best) {
      s.unplace(j);
      todo.push(j);
    }
    s.place(k, bestNode);
    lastMoved.set(k, iter);
  }
  return true;
}

/**
 * Consolidation: tries to empty used nodes, lightest first, by moving all their VMs onto other
 * used nodes (their own node first, else the tightest fit); keeps each success. Repeats while
 * nodes get emptied, within `work` node evaluations.
 * @param ctx - heuristic context
 * @param s - the state
 * @param work - node evaluations allowed (default: the budget's `improveWork`)
 */
export function emptyNodes(ctx: HeuristicContext, s: PlacementState, work = ctx.budget.improveWork): void {
  const p = ctx.p;
  const { N, R } = p;
  let spent = 0;
  let improved = true;
  while (improved) {
    improved = false;
    const used: number[] = [];
    for (let n = 0; n < N; n++) if (s.count[n]! > 0) used.push(n);
    const weight = (n: number): number => {
      let w = 0;
      for (let r = 0; r < R; r++) w += s.load[n * R + r]! / ctx.scale[r]!;
      return w;
    };
    used.sort((a, b) => weight(a) - weight(b) || a - b);
    for (const n of used) {
      if (spent > work || timeUp(ctx)) return;
      if (s.count[n] === 0) continue;
      const vms = s.onNode[n]!.slice();
      if (vms.some((k) => p.pinned[k]! >= 0)) continue;
      for (const k of vms) s.unplace(k);
      const moved: number[] = [];
      let ok = true;
      for (const k of decreasing(ctx, vms)) {
        const home = p.source[k]!;
        let m = -1;
        if (home >= 0 && home !== n && s.count[home]! > 0 && s.canPlace(k, home)) m = home;
        else {
          let bestScore = Infinity;
          const dom = p.domain[k]!;
          for (const q of used) {
            if (q === n || s.count[q] === 0 || !hasBit(dom, q) || !s.fits(k, q)) continue;
            const score = residual(ctx, s, k, q);
            if (score < bestScore) {
              bestScore = score;
              m = q;
            }
          }
          spent += used.length;
        }
        if (m < 0) {
          ok = false;
          break;
        }
        s.place(k, m);
        moved.push(k);
      }
      if (ok) {
        improved = true;
        continue;
      }
      for (const k of moved) s.unplace(k);
      for (const k of vms) s.place(k, n);
    }
  }
}

/**
 * Moves VMs back to their source node when that does not worsen the objective's primary
 * criterion (used nodes, peak ratio): fewer migrations for the same packing.
 * @param ctx - heuristic context
 * @param s - the state
 */
export function tidyMigrations(ctx: HeuristicContext, s: PlacementState): void {
  const p = ctx.p;
  const kind = p.objective.kind;
  const peak0 = kind === 'balance' ? peakRatio(s) : 0;
  for (let pass = 0; pass < 3; pass++) {
    let changed = false;
    const order: number[] = [];
    for (let k = 0; k < p.K; k++) if (s.assign[k]! >= 0 && p.source[k]! >= 0 && s.assign[k] !== p.source[k]) order.push(k);
    order.sort((a, b) => p.memory[b]! - p.memory[a]! || a - b);
    for (const k of order) {
      const src = p.source[k]!;
      const from = s.assign[k]!;
      if (kind === 'consolidate' && s.count[src] === 0) continue;
      s.unplace(k);
      // Balance: the source node must stay at or under the current peak.
      if (s.canPlace(k, src) && (kind !== 'balance' || ratioAfter(ctx, s, k, src) <= peak0 + 1e-12)) {
        s.place(k, src);
        changed = true;
      } else s.place(k, from);
    }
    if (!changed) break;
  }
}

/**
 * Balance: repeatedly moves a VM off the node with the peak ratio to the node where it makes the
 * lowest ratio, when that lowers the peak node's ratio without creating a new one as high.
 * Stops when no such move exists or after `work` node evaluations.
 * @param ctx - heuristic context
 * @param s - the state
 * @param work - node evaluations allowed (default: the budget's `improveWork`)
 */
export function reducePeak(ctx: HeuristicContext, s: PlacementState, work = ctx.budget.improveWork): void {
  const p = ctx.p;
  const r = p.objective.resource;
  if (r < 0) return;
  const { N, R } = p;
  const ratio = (n: number): number => ratioAfter(ctx, s, -1, n);
  let spent = 0;
  while (spent < work) {
    if (timeUp(ctx)) return;
    let peak = -1;
    for (let n = 0; n < N; n++) if (s.count[n]! > 0 && (peak < 0 || ratio(n) > ratio(peak))) peak = n;
    spent += N;
    if (peak < 0) return;
    const top = ratio(peak);
    const vms = s.onNode[peak]!.filter((k) => p.pinned[k]! < 0 && p.demand[k * R + r]! > 0);
    vms.sort((a, b) => p.memory[a]! - p.memory[b]! || a - b);
    let moved = false;
    for (const k of vms) {
      s.unplace(k);
      let best = -1;
      let bestRatio = top;
      for (let n = 0; n < N; n++) {
        if (n === peak || !s.canPlace(k, n)) continue;
        if (p.nodeMode[n] === NodeMode.Free && s.count[n] === 0 && p.ix.nodeOnline[n] === 0) continue;
        const after = ratioAfter(ctx, s, k, n);
        if (after < bestRatio - 1e-12) {
          best = n;
          bestRatio = after;
        }
      }
      spent += N;
      if (best >= 0) {
        s.place(k, best);
        moved = true;
        break;
      }
      s.place(k, peak);
    }
    if (!moved) return;
  }
}

/**
 * Places every VM of `vms` that can stay on its source node there (pinned VMs first, then by
 * decreasing memory, so that small VMs are the ones that move).
 * @returns the VMs still to place: those that could not stay, then those with no source node
 */
function keepInPlace(ctx: HeuristicContext, s: PlacementState, vms: readonly number[]): number[] {
  const p = ctx.p;
  const stay = vms.filter((k) => p.source[k]! >= 0).sort((a, b) => Number(p.pinned[b]! >= 0) - Number(p.pinned[a]! >= 0) || p.memory[b]! - p.memory[a]! || a - b);
  const rest: number[] = [];
  for (const k of stay) {
    if (s.canPlace(k, p.source[k]!)) s.place(k, p.source[k]!);
    else rest.push(k);
  }
  for (const k of vms) if (p.source[k]! < 0) rest.push(k);
  return rest;
}

/**
 * Keeps every VM of `vms` that runs on an open node there (pinned first, then largest memory, so
 * that small VMs are the ones that move), then inserts the others with `choice`, then repairs by
 * ejection.
 * @returns true when every VM is placed
 */
function keepThenInsert(ctx: HeuristicContext, s: PlacementState, vms: readonly number[], choice: NodeChoice, ejections?: number): boolean {
  const rest = keepInPlace(ctx, s, vms);
  const failed = greedyInsert(ctx, s, decreasing(ctx, rest), choice);
  return failed.length === 0 || repairInsert(ctx, s, failed, choice, () => true, ejections);
}

/** Copies the placement of `from` into a fresh state (normal limits, all nodes open). */
function fresh(p: PlacementProblem, from: PlacementState): PlacementState {
  const s = new PlacementState(p);
  for (let k = 0; k < p.K; k++) if (from.assign[k]! >= 0) s.place(k, from.assign[k]!);
  return s;
}

/**
 * Consolidation that keeps nodes rather than VMs: keeps the `count` nodes where the most memory
 * already runs (nodes of pinned VMs and forced-online nodes first) with their VMs, packs the
 * others into them (best fit decreasing), and opens more nodes only for the VMs that do not fit.
 * Null when even that fails.
 */
function keepNodes(ctx: HeuristicContext, vms: readonly number[], count: number): PlacementState | null {
  const p = ctx.p;
  const { N, R } = p;
  const stayValue = new Float64Array(N);
  const forced = new Uint8Array(N);
  for (const k of vms) {
    if (p.source[k]! >= 0) stayValue[p.source[k]!]! += p.memory[k]! + 1;
    if (p.pinned[k]! >= 0) forced[p.pinned[k]!] = 1;
  }
  const capOf = (n: number): number => {
    let c = 0;
    for (let r = 0; r < R; r++) c += p.cap[n * R + r]! / ctx.scale[r]!;
    return c;
  };
  const nodes: number[] = [];
  for (let n = 0; n < N; n++) if (p.nodeMode[n] !== NodeMode.Off) nodes.push(n);
  nodes.sort(
    (a, b) =>
      forced[b]! - forced[a]! ||
      Number(p.nodeMode[b] === NodeMode.On) - Number(p.nodeMode[a] === NodeMode.On) ||
      stayValue[b]! - stayValue[a]! ||
      p.ix.nodeOnline[b]! - p.ix.nodeOnline[a]! ||
      capOf(b) - capOf(a) ||
      a - b,
  );
  const s = new PlacementState(p);
  s.closed.fill(1);
  const kept = nodes.slice(0, count);
  for (const n of kept) s.closed[n] = 0;
  // Keep what stays, pack the rest into the kept nodes.
  const rest = keepInPlace(ctx, s, vms);
  const failed: number[] = [];
  const order = decreasing(ctx, rest);
  for (let i = 0; i < order.length; i++) {
    const k = order[i]!;
    if ((i & 63) === 63 && timeUp(ctx)) return null;
    const n = bestFitAmong(ctx, s, k, kept);
    if (n >= 0) s.place(k, n);
    else failed.push(k);
  }
  // What does not fit opens more nodes.
  s.closed.fill(0);
  const still = greedyInsert(ctx, s, failed, 'pack');
  if (still.length > 0 && timeUp(ctx)) return null;
  if (still.length > 0 && !repairInsert(ctx, s, still, 'pack', () => true, Math.min(ctx.budget.ejections, 2000))) return null;
  return s;
}

/** The VM's own node among `nodes` if it fits, else the tightest fit among them, or -1. */
function bestFitAmong(ctx: HeuristicContext, s: PlacementState, k: number, nodes: readonly number[]): number {
  const p = ctx.p;
  const home = homeOf(p, k);
  if (home >= 0 && s.closed[home] === 0 && s.canPlace(k, home)) return home;
  const dom = p.domain[k]!;
  let best = -1;
  let bestScore = Infinity;
  for (const n of nodes) {
    if (!hasBit(dom, n) || !s.fits(k, n)) continue;
    const score = residual(ctx, s, k, n);
    if (score < bestScore) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Balance towards a target peak: with every node's capacity of the balance resource lowered to
 * `target` × capacity, keeps VMs where they are (largest memory first) and moves the others.
 * Null when that does not fit.
 */
function underPeak(ctx: HeuristicContext, vms: readonly number[], target: number, choice: NodeChoice): PlacementState | null {
  const p = ctx.p;
  const r = p.objective.resource;
  const { N, R } = p;
  const s = new PlacementState(p);
  for (let n = 0; n < N; n++) {
    const c = p.cap[n * R + r]! * target;
    s.limit[n * R + r] = Math.min(s.limit[n * R + r]!, c + 1e-9 * Math.max(1, Math.abs(c)));
  }
  if (!keepThenInsert(ctx, s, vms, choice, Math.min(ctx.budget.ejections, 500))) return null;
  return fresh(p, s);
}

/**
 * The migration-aware heuristic on a problem: places `vms` for the problem's objective and
 * returns the best assignment found, or null when it could not place them all.
 *
 * - consolidate: best-fit decreasing that keeps a VM on its own node whenever that node is in
 *   use; and "keep the fullest nodes": open only as many nodes as the lower bound (then a few
 *   more), keep the VMs already there, pack the others in; each followed by node emptying and
 *   migration tidying (the costlier variants only on small problems);
 * - balance: keep everyone, then move VMs off the peak; and, between the peak lower bound and
 *   that peak, bisect on a target peak, keeping VMs in place under the lowered capacities;
 * - minMigrations: keep every VM where it runs (largest memory first, so small VMs are the ones
 *   that move), place the rest on the least-loaded nodes, ejection repair when needed.
 *
 * @param ctx - heuristic context
 * @param vms - problem VMs to place
 * @param start - a valid assignment of the same VMs to improve on (optional)
 * @returns an assignment (one node or -1 per problem VM), or null
 */
export function heuristicAssign(ctx: HeuristicContext, vms: readonly number[], start?: Int32Array): Int32Array | null {
  const p = ctx.p;
  const small = vms.length * p.N <= SMALL_WORK;
  const candidates: PlacementState[] = [];
  const keep = (s: PlacementState | null): void => {
    if (s) candidates.push(s);
  };
  const fromStart = (): PlacementState | null => {
    if (!start) return null;
    const s = new PlacementState(p);
    for (const k of vms) if (start[k]! >= 0) s.place(k, start[k]!);
    return vms.every((k) => s.assign[k]! >= 0) ? s : null;
  };
  const build = (f: (s: PlacementState) => boolean): PlacementState | null => {
    const s = new PlacementState(p);
    return f(s) ? s : null;
  };
  switch (p.objective.kind) {
    case 'consolidate': {
      const improve = (s: PlacementState | null): PlacementState | null => {
        if (s) {
          emptyNodes(ctx, s);
          tidyMigrations(ctx, s);
        }
        return s;
      };
      if (small) {
        keep(improve(build((s) => {
          const failed = greedyInsert(ctx, s, decreasing(ctx, vms), 'pack');
          return failed.length === 0 || repairInsert(ctx, s, failed, 'pack');
        })));
      }
      const lb = Math.max(1, nodeLowerBound(p, vms));
      if (Number.isFinite(lb)) keep(improve(keepNodes(ctx, vms, lb)));
      if (small || candidates.length === 0) keep(improve(fromStart()));
      break;
    }
    case 'balance': {
      const a = build((s) => keepThenInsert(ctx, s, vms, 'spread'));
      if (a) {
        reducePeak(ctx, a);
        tidyMigrations(ctx, a);
        keep(a);
      }
      if (small) {
        const b = build((s) => {
          const failed = greedyInsert(ctx, s, decreasing(ctx, vms), 'spread');
          return failed.length === 0 || repairInsert(ctx, s, failed, 'spread');
        });
        if (b) {
          reducePeak(ctx, b);
          tidyMigrations(ctx, b);
          keep(b);
        }
      }
      if (p.objective.resource >= 0 && candidates.length > 0) {
        let lo = peakLowerBound(p, vms);
        let hi = Math.min(...candidates.map(peakRatio));
        const choice: NodeChoice = small ? 'spread' : 'first';
        for (let i = 0; i < 8 && hi - lo > 1e-6 * Math.max(1, hi) && !timeUp(ctx); i++) {
          const target = i === 0 ? lo : (lo + hi) / 2;
          const s = underPeak(ctx, vms, target, choice);
          if (s) {
            tidyMigrations(ctx, s);
            keep(s);
            hi = Math.min(target, peakRatio(s));
          } else lo = target;
        }
      }
      keep(fromStart());
      break;
    }
    case 'minMigrations': {
      const s = build((x) => keepThenInsert(ctx, x, vms, 'spread'));
      if (s) {
        tidyMigrations(ctx, s);
        keep(s);
      }
      keep(fromStart());
      break;
    }
    default:
      return unknownObjective(p.objective.kind);
  }
  let best: PlacementState | undefined;
  for (const c of candidates) if (!best || compareValues(valueOf(c), valueOf(best)) < 0) best = c;
  return best ? best.snapshot() : null;
}

/** An objective kind no strategy serves: the compiler rejects the call (its argument is `never`). */
function unknownObjective(kind: never): never {
  throw new Error(`objective without a heuristic strategy: ${String(kind)}`);
}
