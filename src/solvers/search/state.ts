import { hasBit } from '../../problem/bitset.js';
import { type PlacementProblem } from '../../problem/view.js';
import { NodeMode } from '../../problem/dense.js';

/** Relative tolerance of capacity comparisons (the same as the constraint checkers'). */
export const CAPACITY_TOLERANCE = 1e-9;

/** `limit + tolerance`, as the checkers compare sums of fractional demands. */
function withTolerance(limit: number): number {
  return limit + CAPACITY_TOLERANCE * Math.max(1, Math.abs(limit));
}

/** Above this many nodes, spread counts are maps of the nodes holding members (not an array per node). */
export const SPARSE_SPREAD_NODES = 2048;

/** Options of a {@link PlacementState}. */
export interface PlacementStateOptions {
  /**
   * Keep the per-node counts of large spreads in maps of the nodes that hold members rather
   * than in an array per node (default: when the problem has more than
   * {@link SPARSE_SPREAD_NODES} nodes). Only the cost changes.
   */
  readonly sparseSpreads?: boolean;
}

/**
 * A partial placement of a {@link PlacementProblem}, with incremental bookkeeping of every
 * constraint so that {@link PlacementState.canPlace} is O(resources + constraints of the VM and
 * node) and {@link PlacementState.place}/{@link PlacementState.unplace} are cheap. Mutable: the
 * engine's working copy (algorithms own their state; nothing shares it).
 *
 * The counters stay exact even when a placement breaks a constraint (e.g. the source placement
 * being repaired), so `canPlace` always answers "does adding this VM keep every constraint it
 * touches from getting worse, and satisfied if it was".
 */
export class PlacementState {
  readonly p: PlacementProblem;
  /** Node of each problem VM, -1 when not placed. */
  readonly assign: Int32Array;
  /** Load per node and resource. */
  readonly load: Float64Array;
  /** Number of placed VMs per node. */
  readonly count: Int32Array;
  /**
   * Capacity plus tolerance per node and resource: what {@link fits} compares loads with. A
   * heuristic may lower entries to aim below the capacity (e.g. a target peak ratio).
   */
  readonly limit: Float64Array;
  /** Placed VMs per node (unordered). */
  readonly onNode: number[][];
  private readonly posOnNode: Int32Array;
  /**
   * Nodes closed for now (1): nothing may be placed there. Heuristics and neighbourhood searches
   * use it to confine a placement to some nodes; all open by default.
   */
  readonly closed: Uint8Array;
  /** Number of placed VMs. */
  placed = 0;
  /** Nodes hosting at least one placed VM. */
  used = 0;
  /** Memory of the placed VMs that run away from their source host. */
  migrated = 0;
  /** Placed VMs that run away from their source host (migrations). */
  moves = 0;
  /** Placed sleeping VMs resumed away from the node that holds their image. */
  remote = 0;

  /**
   * Per spread: VMs per node (null for small spreads: members are scanned). On large clusters
   * (see {@link PlacementStateOptions.sparseSpreads}) the count is a map of the nodes holding
   * members instead: an array per spread and node grew as spreads × nodes per state.
   */
  readonly spreadCount: (Int32Array | null)[];
  /** Per spread, on large clusters: placed members per node holding some (absent: none). */
  readonly spreadNodes: (Map<number, number> | null)[];
  /** Whether the spread counts are maps ({@link spreadNodes}) rather than arrays. */
  readonly sparseSpreads: boolean;
  /** Per gather: placed members per node. */
  readonly gatherNodes: Map<number, number>[];
  /** Per among: placed members outside each group. */
  readonly amongOutside: Int32Array[];
  /** Per split: members per node and group (`n * G + g`), and distinct groups per node. */
  readonly splitCount: Int32Array[];
  readonly splitGroupsOn: Int32Array[];
  /** Per lonely: members and non-members per node. */
  readonly lonelyIn: Int32Array[];
  readonly lonelyOut: Int32Array[];
  /** Per resourceCapacity: demand placed on its nodes. */
  readonly resourceUsed: Float64Array;
  /** Per runningCapacity: VMs placed on its nodes. */
  readonly runningUsed: Int32Array;
  /** Per maxOnline: nodes that will be online (forced online, or free and used). */
  readonly onlineCount: Int32Array;

  /**
   * An empty placement of `p`.
   * @param p - the problem
   * @param options - how spread counts are kept (the answers are the same either way)
   */
  constructor(p: PlacementProblem, options: PlacementStateOptions = {}) {
    this.p = p;
    const { N, R, K } = p;
    this.sparseSpreads = options.sparseSpreads ?? N > SPARSE_SPREAD_NODES;
    this.assign = new Int32Array(K).fill(-1);
    this.load = new Float64Array(N * R);
    this.count = new Int32Array(N);
    this.limit = new Float64Array(N * R);
    this.closed = new Uint8Array(N);
    for (let i = 0; i < N * R; i++) this.limit[i] = withTolerance(p.cap[i]!);
    this.onNode = Array.from({ length: N }, () => []);
    this.posOnNode = new Int32Array(K).fill(-1);
    const counted = (m: ArrayLike<number>): boolean => m.length > 8;
    this.spreadCount = p.spreads.map((s) => (!this.sparseSpreads && counted(s.members) ? new Int32Array(N) : null));
    this.spreadNodes = p.spreads.map((s) => (this.sparseSpreads && counted(s.members) ? new Map<number, number>() : null));
    this.gatherNodes = p.gathers.map(() => new Map());
    this.amongOutside = p.amongs.map((a) => new Int32Array(a.groups.length));
    this.splitCount = p.splits.map((s) => new Int32Array(N * s.groups.length));
    this.splitGroupsOn = p.splits.map(() => new Int32Array(N));
    this.lonelyIn = p.lonelies.map(() => new Int32Array(N));
    this.lonelyOut = p.lonelies.map(() => new Int32Array(N));
    this.resourceUsed = new Float64Array(p.resourceCaps.length);
    this.runningUsed = new Int32Array(p.runningCaps.length);
    this.onlineCount = new Int32Array(p.maxOnlines.length);
    p.maxOnlines.forEach((c, i) => {
      let on = 0;
      for (const n of c.nodes) if (p.nodeMode[n] === NodeMode.On) on++;
      this.onlineCount[i] = on;
    });
  }

  /**
   * A copy of this state (same problem, limits and closed nodes; independent counters).
   * @returns the copy
   */
  clone(): PlacementState {
    const s = new PlacementState(this.p, { sparseSpreads: this.sparseSpreads });
    s.limit.set(this.limit);
    s.closed.set(this.closed);
    for (let k = 0; k < this.p.K; k++) if (this.assign[k]! >= 0) s.place(k, this.assign[k]!);
    return s;
  }

  /**
   * Whether node `n` is online in the target as far as `maxOnline` counts it: forced online, or
   * free and hosting a VM.
   * @param n - node index
   * @returns true when it counts as online
   */
  countsOnline(n: number): boolean {
    const mode = this.p.nodeMode[n];
    return mode === NodeMode.On || (mode === NodeMode.Free && this.count[n]! > 0);
  }

  /**
   * Whether the unplaced VM `k` can be placed on `n` without breaking its static domain, the
   * node's capacity, or any constraint that was satisfied.
   * @param k - problem VM (must not be placed)
   * @param n - node index
   * @returns true when it fits
   */
  canPlace(k: number, n: number): boolean {
    const p = this.p;
    if (!hasBit(p.domain[k]!, n)) return false;
    return this.fits(k, n);
  }

  /**
   * {@link canPlace} without the static-domain test (for callers that keep their own domains);
   * closed nodes and the current {@link limit}s apply.
   * @param k - problem VM (must not be placed)
   * @param n - node index
   * @returns true when it fits
   */
  fits(k: number, n: number): boolean {
    const p = this.p;
    if (this.closed[n] === 1) return false;
    const R = p.R;
    const no = n * R;
    const ko = k * R;
    for (let r = 0; r < R; r++) if (this.load[no + r]! + p.demand[ko + r]! > this.limit[no + r]!) return false;
    const sp = p.vmSpreads[k]!;
    for (let i = 0; i < sp.length; i++) {
      const s = sp[i]!;
      const cnt = this.spreadCount[s];
      const at = this.spreadNodes[s];
      if (cnt) {
        if (cnt[n]! > 0) return false;
      } else if (at) {
        if (at.has(n)) return false;
      } else {
        const m = p.spreads[s]!.members;
        for (let j = 0; j < m.length; j++) if (this.assign[m[j]!] === n) return false;
      }
    }
    const ga = p.vmGathers[k]!;
    for (let i = 0; i < ga.length; i++) {
      const at = this.gatherNodes[ga[i]!]!;
      if (at.size > 1 || (at.size === 1 && !at.has(n))) return false;
    }
    const am = p.vmAmongs[k]!;
    for (let i = 0; i < am.length; i++) {
      const a = am[i]!;
      const groups = p.amongs[a]!.nodeGroups[n]!;
      const outside = this.amongOutside[a]!;
      let ok = false;
      for (let g = 0; g < groups.length; g++) if (outside[groups[g]!] === 0) { ok = true; break; }
      if (!ok) return false;
    }
    const spl = p.vmSplits[k]!;
    for (let i = 0; i < spl.length; i += 2) {
      const si = spl[i]!;
      const g = spl[i + 1]!;
      const G = p.splits[si]!.groups.length;
      const distinct = this.splitGroupsOn[si]![n]!;
      if (distinct > 1 || (distinct === 1 && this.splitCount[si]![n * G + g] === 0)) return false;
    }
    const lon = p.lonelies;
    for (let l = 0; l < lon.length; l++) {
      if (lon[l]!.inSet[k] === 1 ? this.lonelyOut[l]![n]! > 0 : this.lonelyIn[l]![n]! > 0) return false;
    }
    const rc = p.nodeResourceCaps[n]!;
    for (let i = 0; i < rc.length; i++) {
      const c = p.resourceCaps[rc[i]!]!;
      if (this.resourceUsed[rc[i]!]! + p.demand[ko + c.resource]! > withTolerance(c.amount)) return false;
    }
    const rn = p.nodeRunningCaps[n]!;
    for (let i = 0; i < rn.length; i++) if (this.runningUsed[rn[i]!]! + 1 > p.runningCaps[rn[i]!]!.amount) return false;
    if (p.nodeMode[n] === NodeMode.Free && this.count[n] === 0) {
      const mo = p.nodeMaxOnlines[n]!;
      for (let i = 0; i < mo.length; i++) if (this.onlineCount[mo[i]!]! + 1 > p.maxOnlines[mo[i]!]!.amount) return false;
    }
    return true;
  }

  /**
   * Places the unplaced VM `k` on `n` (no check: call {@link canPlace} first unless rebuilding a
   * known placement).
   * @param k - problem VM
   * @param n - node index
   */
  place(k: number, n: number): void {
    this.update(k, n, 1);
    this.assign[k] = n;
    const list = this.onNode[n]!;
    this.posOnNode[k] = list.length;
    list.push(k);
    this.placed++;
  }

  /**
   * Removes the placed VM `k` from its node.
   * @param k - problem VM
   */
  unplace(k: number): void {
    const n = this.assign[k]!;
    if (n < 0) return;
    this.update(k, n, -1);
    this.assign[k] = -1;
    const list = this.onNode[n]!;
    const pos = this.posOnNode[k]!;
    const last = list.pop()!;
    if (last !== k) {
      list[pos] = last;
      this.posOnNode[last] = pos;
    }
    this.posOnNode[k] = -1;
    this.placed--;
  }

  /**
   * Moves VM `k` (placed or not) to `n`, or unplaces it when `n` is -1.
   * @param k - problem VM
   * @param n - node index or -1
   */
  moveTo(k: number, n: number): void {
    if (this.assign[k] === n) return;
    this.unplace(k);
    if (n >= 0) this.place(k, n);
  }

  /**
   * Sets every VM to the node of `assign` (-1: unplaced), moving only those that differ.
   * @param assign - target assignment, one node (or -1) per problem VM
   */
  restore(assign: Int32Array): void {
    const K = this.p.K;
    for (let k = 0; k < K; k++) if (this.assign[k] !== assign[k] && this.assign[k]! >= 0) this.unplace(k);
    for (let k = 0; k < K; k++) if (this.assign[k] !== assign[k] && assign[k]! >= 0) this.place(k, assign[k]!);
  }

  /**
   * A copy of the current assignment.
   * @returns node per problem VM, -1 for unplaced ones
   */
  snapshot(): Int32Array {
    return Int32Array.from(this.assign);
  }

  private update(k: number, n: number, d: 1 | -1): void {
    const p = this.p;
    const R = p.R;
    const no = n * R;
    const ko = k * R;
    for (let r = 0; r < R; r++) this.load[no + r]! += d * p.demand[ko + r]!;
    const before = this.count[n]!;
    this.count[n] = before + d;
    if (before === 0 && d === 1) this.used++;
    else if (before === 1 && d === -1) this.used--;
    if (p.source[k]! >= 0 && p.source[k] !== n) {
      this.migrated += d * p.memory[k]!;
      this.moves += d;
    } else if (p.image[k]! >= 0 && p.image[k] !== n) this.remote += d;
    const sp = p.vmSpreads[k]!;
    for (let i = 0; i < sp.length; i++) {
      const cnt = this.spreadCount[sp[i]!];
      if (cnt) cnt[n]! += d;
      else {
        const at = this.spreadNodes[sp[i]!];
        if (at) {
          const c = (at.get(n) ?? 0) + d;
          if (c === 0) at.delete(n);
          else at.set(n, c);
        }
      }
    }
    const ga = p.vmGathers[k]!;
    for (let i = 0; i < ga.length; i++) {
      const at = this.gatherNodes[ga[i]!]!;
      const c = (at.get(n) ?? 0) + d;
      if (c === 0) at.delete(n);
      else at.set(n, c);
    }
    const am = p.vmAmongs[k]!;
    for (let i = 0; i < am.length; i++) {
      const a = p.amongs[am[i]!]!;
      const outside = this.amongOutside[am[i]!]!;
      const W = p.W;
      for (let g = 0; g < outside.length; g++) if (!hasBit(a.groupBits, n, g * W)) outside[g]! += d;
    }
    const spl = p.vmSplits[k]!;
    for (let i = 0; i < spl.length; i += 2) {
      const si = spl[i]!;
      const G = p.splits[si]!.groups.length;
      const cnt = this.splitCount[si]!;
      const idx = n * G + spl[i + 1]!;
      const b = cnt[idx]!;
      cnt[idx] = b + d;
      if (b === 0 && d === 1) this.splitGroupsOn[si]![n]!++;
      else if (b === 1 && d === -1) this.splitGroupsOn[si]![n]!--;
    }
    const lon = p.lonelies;
    for (let l = 0; l < lon.length; l++) {
      if (lon[l]!.inSet[k] === 1) this.lonelyIn[l]![n]! += d;
      else this.lonelyOut[l]![n]! += d;
    }
    const rc = p.nodeResourceCaps[n]!;
    for (let i = 0; i < rc.length; i++) this.resourceUsed[rc[i]!]! += d * p.demand[ko + p.resourceCaps[rc[i]!]!.resource]!;
    const rn = p.nodeRunningCaps[n]!;
    for (let i = 0; i < rn.length; i++) this.runningUsed[rn[i]!]! += d;
    if (p.nodeMode[n] === NodeMode.Free && ((before === 0 && d === 1) || (before === 1 && d === -1))) {
      const mo = p.nodeMaxOnlines[n]!;
      for (let i = 0; i < mo.length; i++) this.onlineCount[mo[i]!]! += d;
    }
  }

  /**
   * A set of placed VMs whose removal lets the unplaced VM `k` go on `n` (the ejection step of
   * the repair search), or null when none exists among the movable VMs.
   *
   * @param k - problem VM (not placed)
   * @param n - node index
   * @param movable - whether a placed VM may be removed
   * @returns the VMs to remove (possibly empty), or null
   */
  blockers(k: number, n: number, movable: (j: number) => boolean): number[] | null {
    const p = this.p;
    if (!hasBit(p.domain[k]!, n)) return null;
    const out: number[] = [];
    const taken = new Set<number>();
    let ok = true;
    const take = (j: number): void => {
      if (taken.has(j)) return;
      if (!movable(j)) ok = false;
      taken.add(j);
      out.push(j);
    };
    const here = this.onNode[n]!;
    for (const s of p.vmSpreads[k]!) for (const j of p.spreads[s]!.members) if (j !== k && this.assign[j] === n) take(j);
    for (const gi of p.vmGathers[k]!) for (const j of p.gathers[gi]!.members) if (this.assign[j]! >= 0 && this.assign[j] !== n) take(j);
    for (const ai of p.vmAmongs[k]!) {
      const a = p.amongs[ai]!;
      let best: number[] | null = null;
      for (const g of a.nodeGroups[n]!) {
        const outside: number[] = [];
        for (const j of a.members) if (this.assign[j]! >= 0 && !hasBit(a.groupBits, this.assign[j]!, g * p.W)) outside.push(j);
        if (best === null || outside.length < best.length) best = outside;
      }
      if (best === null) return null;
      for (const j of best) take(j);
    }
    const spl = p.vmSplits[k]!;
    if (spl.length > 0 || p.lonelies.length > 0) {
      for (const j of here) {
        for (let i = 0; i < spl.length; i += 2) {
          const js = p.vmSplits[j]!;
          for (let x = 0; x < js.length; x += 2) if (js[x] === spl[i] && js[x + 1] !== spl[i + 1]) take(j);
        }
        for (const l of p.lonelies) if (l.inSet[k] !== l.inSet[j]) take(j);
      }
    }
    if (!ok) return null;
    // Capacity of n: remove more of its VMs (smallest memory first) until k fits.
    const R = p.R;
    const over = (): boolean => {
      for (let r = 0; r < R; r++) {
        let l = this.load[n * R + r]! + p.demand[k * R + r]!;
        for (const j of out) if (this.assign[j] === n) l -= p.demand[j * R + r]!;
        if (l > this.limit[n * R + r]!) return true;
      }
      return false;
    };
    if (over()) {
      const cands = here.filter((j) => !taken.has(j) && movable(j)).sort((a, b) => p.memory[a]! - p.memory[b]! || a - b);
      for (const j of cands) {
        take(j);
        if (!over()) break;
      }
      if (over()) return null;
    }
    // Node-set capacities containing n.
    for (const ci of p.nodeResourceCaps[n]!) {
      const c = p.resourceCaps[ci]!;
      const r = c.resource;
      let used = this.resourceUsed[ci]! + p.demand[k * R + r]!;
      for (const j of out) if (this.assign[j]! >= 0 && inNodes(c.nodes, this.assign[j]!)) used -= p.demand[j * R + r]!;
      if (used <= withTolerance(c.amount)) continue;
      for (const m of [n, ...c.nodes]) {
        for (const j of this.onNode[m]!) {
          if (used <= withTolerance(c.amount)) break;
          if (taken.has(j) || !movable(j) || p.demand[j * R + r]! <= 0) continue;
          take(j);
          used -= p.demand[j * R + r]!;
        }
      }
      if (used > withTolerance(c.amount)) return null;
    }
    for (const ci of p.nodeRunningCaps[n]!) {
      const c = p.runningCaps[ci]!;
      let used = this.runningUsed[ci]! + 1;
      for (const j of out) if (this.assign[j]! >= 0 && inNodes(c.nodes, this.assign[j]!)) used--;
      for (const m of [n, ...c.nodes]) {
        for (const j of this.onNode[m]!) {
          if (used <= c.amount) break;
          if (taken.has(j) || !movable(j)) continue;
          take(j);
          used--;
        }
      }
      if (used > c.amount) return null;
    }
    // maxOnline: opening n may require emptying another free node of the set.
    if (p.nodeMode[n] === NodeMode.Free && here.every((j) => taken.has(j))) {
      for (const ci of p.nodeMaxOnlines[n]!) {
        const c = p.maxOnlines[ci]!;
        let online = this.onlineCount[ci]!;
        for (const m of c.nodes) if (m !== n && p.nodeMode[m] === NodeMode.Free && this.count[m]! > 0 && this.onNode[m]!.every((j) => taken.has(j))) online--;
        if (this.count[n]! > 0) online--;
        if (online + 1 <= c.amount) continue;
        let bestNode = -1;
        for (const m of c.nodes) {
          if (m === n || p.nodeMode[m] !== NodeMode.Free || this.count[m] === 0) continue;
          if (!this.onNode[m]!.every((j) => taken.has(j) || movable(j))) continue;
          if (bestNode < 0 || this.count[m]! < this.count[bestNode]!) bestNode = m;
        }
        if (bestNode < 0) return null;
        for (const j of this.onNode[bestNode]!.slice()) take(j);
      }
    }
    if (!ok) return null;
    // Final check: remove, test, put back.
    const saved = out.map((j) => this.assign[j]!);
    for (const j of out) this.unplace(j);
    const fine = this.canPlace(k, n);
    out.forEach((j, i) => this.place(j, saved[i]!));
    return fine ? out : null;
  }
}

function inNodes(nodes: Int32Array, n: number): boolean {
  for (let i = 0; i < nodes.length; i++) if (nodes[i] === n) return true;
  return false;
}
