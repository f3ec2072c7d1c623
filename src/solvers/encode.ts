/**
 * Encodes a placement problem (or a neighbourhood of one) as a {@link MipModel}.
 *
 * Variables: a binary `x[v][n]` for each free VM `v` and each node `n` that may host it (the
 * pair passes every per-VM and per-node rule: see {@link canHost}), a binary `u[n]` "node
 * used" where the node count matters, and the auxiliary binaries of `among` (group chosen),
 * `split` and `lonely` (group present on a node), plus a continuous peak ratio `z` for
 * `balance`. VMs outside `free` are fixed where `assign` puts them: they use capacity and
 * shape the constraints of the free ones.
 *
 * Rows: one assignment row per free VM, capacity per node and resource (usable capacity, after
 * overbook, minus the fixed load), `spread`, `gather`, `among`, `split`, `lonely`,
 * `resourceCapacity`, `runningCapacity`, `maxOnline`, and the phase's objective rows.
 * `ban`, `fence`, `root`, `quarantine`, `reserved`, `online` / `offline` and overbook shape
 * which variables exist.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { ModelBuilder, type MipModel } from './model.js';
import { canHost, type DenseProblem, NodeMode, type ProblemConflict } from '../problem/dense.js';

/** What the encoded model minimises. */
export type EncodePhase =
  /** Number of used nodes in scope (at least `minUsed`, a known lower bound, so that reaching it ends the solve). */
  | { readonly kind: 'count'; readonly minUsed?: number }
  /** Migrated memory, with at most `maxUsed` used nodes in scope when given. */
  | { readonly kind: 'cost'; readonly maxUsed?: number }
  /** `nodeWeight` × used nodes in scope + migrated memory (a lexicographic order when `nodeWeight` exceeds any cost). */
  | { readonly kind: 'weighted'; readonly nodeWeight: number; readonly maxUsed?: number }
  /** The peak load ratio on the balance resource. */
  | { readonly kind: 'peak' }
  /** Migrated memory, with the peak load ratio at most `maxPeak`. */
  | { readonly kind: 'peakCost'; readonly maxPeak: number };

/**
 * Weights of the tie-breaking terms of `minMigrations` in a cost phase, added to the migrated
 * memory: `migration` per VM moved while running, `resume` per VM resumed away from its image.
 * With whole-MiB memory the scheme is exactly lexicographic (memory, then migrations, then
 * remote resumes): every migration term together weighs less than 1 MiB and every resume term
 * together less than one migration. Zero when the objective is another, or when some VM's
 * memory is fractional (then memory alone is minimised).
 */
export interface TieWeights {
  readonly migration: number;
  readonly resume: number;
}

const NO_TIES: TieWeights = { migration: 0, resume: 0 };
const integralCache = new WeakMap<Float64Array, boolean>();

/** Whether every VM's move cost (memory) is a whole number of MiB. */
function integralCosts(p: DenseProblem): boolean {
  let known = integralCache.get(p.moveCost);
  if (known === undefined) {
    known = p.moveCost.every((c) => Number.isInteger(c));
    integralCache.set(p.moveCost, known);
  }
  return known;
}

/**
 * The tie-breaking weights of a model with `migrations` VMs that may migrate and `resumes` VMs
 * that may be resumed away from their image (see {@link TieWeights}).
 * @param p - the problem
 * @param migrations - free VMs running at the source
 * @param resumes - free VMs suspended at the source, with an image on a node
 * @returns the weights (zero unless the objective is `minMigrations` with whole-MiB memory)
 * @example
 * ```ts
 * tieWeights(p, 3, 0); // { migration: 0.25, resume: 0 } under minMigrations
 * ```
 */
export function tieWeights(p: DenseProblem, migrations: number, resumes: number): TieWeights {
  if (p.objective.kind !== 'minMigrations' || !integralCosts(p)) return NO_TIES;
  const migration = 1 / (migrations + 1);
  return { migration, resume: migration / (resumes + 1) };
}

/**
 * A lower bound on migrated memory alone from the proved bound of a cost phase, whose objective
 * may carry the tie-breaking terms (each below 1 MiB in all, memory whole): its floor.
 * @param p - the problem
 * @param bound - the backend's proved bound on the phase's objective
 * @returns a lower bound on migrated memory
 * @example
 * ```ts
 * memoryBound(p, 1024.4); // 1024 under minMigrations
 * ```
 */
export function memoryBound(p: DenseProblem, bound: number): number {
  return tieWeights(p, 0, 0).migration > 0 ? Math.floor(bound + 1e-6) : bound;
}

/** Which part of the problem the model covers. */
export interface EncodeScope {
  /** The VMs to place (each must be running in the target). */
  readonly free: ArrayLike<number>;
  /** The nodes free VMs may go to (default: every node). */
  readonly nodes?: ArrayLike<number>;
  /**
   * Node per VM: where every running VM outside `free` stays, and a starting position for the
   * free ones (-1 when unknown). VMs not running in the target are -1.
   */
  readonly assign: Int32Array;
  readonly phase: EncodePhase;
  /**
   * Add `x[v][n] <= u[n]` rows (a tighter relaxation for the node count, at the price of one row
   * per variable). Default: when the model has at most 40,000 `x` variables.
   */
  readonly strong?: boolean;
  /** Constraints per VM (from {@link encodeIndex}): only those touching free VMs are visited. */
  readonly index?: EncodeIndex;
  /**
   * Load and VM count per node of every running VM placed by `assign` (free ones included),
   * so that small scopes of large problems do not rescan every VM.
   */
  readonly load?: { readonly load: Float64Array; readonly count: Int32Array };
}

/** Per-VM lists of the multi-VM constraints, for encoding small scopes of large problems. */
export interface EncodeIndex {
  readonly spreadsOf: readonly Int32Array[];
  readonly gathersOf: readonly Int32Array[];
  readonly amongsOf: readonly Int32Array[];
  readonly splitsOf: readonly Int32Array[];
}

const NONE = new Int32Array(0);

/**
 * Indexes the multi-VM constraints of a problem by VM.
 * @param p - the problem
 * @returns the index
 */
export function encodeIndex(p: DenseProblem): EncodeIndex {
  const build = (lists: readonly (readonly ArrayLike<number>[])[]): Int32Array[] => {
    const acc: number[][] = Array.from({ length: p.nVms }, () => []);
    lists.forEach((groups, i) => {
      for (const g of groups) for (let k = 0; k < g.length; k++) acc[g[k]!]!.push(i);
    });
    return acc.map((l) => (l.length === 0 ? NONE : Int32Array.from(new Set(l))));
  };
  return {
    spreadsOf: build(p.spreads.map((c) => [c.vms])),
    gathersOf: build(p.gathers.map((c) => [c.vms])),
    amongsOf: build(p.amongs.map((c) => [c.vms])),
    splitsOf: build(p.splits.map((c) => c.groups)),
  };
}

/**
 * Node loads of an assignment, for {@link EncodeScope.load}.
 * @param p - the problem
 * @param assign - node per VM
 * @returns load per node and resource, and VM count per node
 */
export function nodeLoads(p: DenseProblem, assign: Int32Array): { load: Float64Array; count: Int32Array } {
  const load = new Float64Array(p.nNodes * p.R);
  const count = new Int32Array(p.nNodes);
  for (let v = 0; v < p.nVms; v++) {
    const n = assign[v]!;
    if (n < 0 || p.target[v] !== RUNNING) continue;
    count[n]!++;
    for (let r = 0; r < p.R; r++) load[n * p.R + r]! += p.demand[v * p.R + r]!;
  }
  return { load, count };
}

/** Why the encoder found no placement possible before solving (the same shape as the problem builder's conflicts). */
export type EncodeConflict = ProblemConflict;

/** The model and how to read its solutions back. */
export interface Encoding {
  readonly status: 'model';
  readonly model: MipModel;
  /** Number of `x` columns (they come first: column `j < nx` is `x[xVm[j]][xNode[j]]`). */
  readonly nx: number;
  readonly xVm: Int32Array;
  readonly xNode: Int32Array;
  /** Column of `u[n]` per node, -1 when absent. */
  readonly uCol: Int32Array;
  /** Column of the peak ratio `z` (balance phases), -1 when absent. */
  readonly zCol: number;
  /** Objective terms that do not depend on the free VMs (used nodes outside scope are not counted). */
  readonly constant: number;
}

/** The encoder's answer: a model, or a conflict found while building it. */
export type EncodeResult = Encoding | { readonly status: 'conflict'; readonly conflicts: readonly EncodeConflict[] };

const RUNNING = VM_STATE_CODE.running;

/** Default largest `x` count for which linking rows are added. */
export const STRONG_LIMIT = 40_000;

/**
 * Builds the MIP of a scope of the problem.
 *
 * @param p - the dense problem
 * @param scope - free VMs, candidate nodes, positions of the others, phase
 * @returns the model with its decoding tables, or the conflicts that make it infeasible
 * @example
 * ```ts
 * const all = Int32Array.from({ length: p.nVms }, (_, v) => v).filter((v) => p.target[v] === 1);
 * const enc = encode(p, { free: all, assign: start, phase: { kind: 'count' } });
 * ```
 */
export function encode(p: DenseProblem, scope: EncodeScope): EncodeResult {
  const N = p.nNodes;
  const R = p.R;
  const assign = scope.assign;
  const free = Int32Array.from(scope.free as ArrayLike<number>);
  const isFree = new Uint8Array(p.nVms);
  for (const v of free) isFree[v] = 1;
  const inScope = new Uint8Array(N);
  if (scope.nodes === undefined) inScope.fill(1);
  else for (let k = 0; k < scope.nodes.length; k++) inScope[scope.nodes[k]!] = 1;
  const scopeNodes: number[] = [];
  for (let n = 0; n < N; n++) if (inScope[n] && p.nodeMode[n] !== NodeMode.Off) scopeNodes.push(n);

  // Fixed VMs: load, count and presence per node.
  let fixedLoad: Float64Array;
  let fixedCount: Int32Array;
  if (scope.load !== undefined) {
    fixedLoad = Float64Array.from(scope.load.load);
    fixedCount = Int32Array.from(scope.load.count);
    for (const v of free) {
      const n = assign[v]!;
      if (n < 0 || p.target[v] !== RUNNING) continue;
      fixedCount[n]!--;
      for (let r = 0; r < R; r++) fixedLoad[n * R + r]! -= p.demand[v * R + r]!;
    }
  } else {
    fixedLoad = new Float64Array(N * R);
    fixedCount = new Int32Array(N);
    for (let v = 0; v < p.nVms; v++) {
      if (isFree[v] || p.target[v] !== RUNNING) continue;
      const n = assign[v]!;
      if (n < 0) continue;
      fixedCount[n]!++;
      for (let r = 0; r < R; r++) fixedLoad[n * R + r]! += p.demand[v * R + r]!;
    }
  }
  // The multi-VM constraints to visit: those touching a free VM (all of them without an index).
  const touched = <T>(all: readonly T[], of: ((ix: EncodeIndex) => readonly Int32Array[]) | undefined): T[] => {
    if (scope.index === undefined || of === undefined) return all as T[];
    const lists = of(scope.index);
    const ids = new Set<number>();
    for (const v of free) for (const i of lists[v] ?? NONE) ids.add(i);
    return [...ids].sort((a, b) => a - b).map((i) => all[i]!);
  };
  const spreads = touched(p.spreads, (x) => x.spreadsOf);
  const gathers = touched(p.gathers, (x) => x.gathersOf);
  const amongs = touched(p.amongs, (x) => x.amongsOf);
  const splits = touched(p.splits, (x) => x.splitsOf);

  const conflicts: EncodeConflict[] = [];
  // Candidate nodes per free VM (position k in `free`).
  const cand: Int32Array[] = new Array(free.length);
  const pos = new Int32Array(p.nVms).fill(-1);
  const scratch = new Int32Array(scopeNodes.length);
  for (let k = 0; k < free.length; k++) {
    const v = free[k]!;
    pos[v] = k;
    let m = 0;
    const pin = p.pinned[v]!;
    if (pin >= 0) {
      if (inScope[pin] && canHost(p, v, pin)) scratch[m++] = pin;
    } else {
      for (const n of scopeNodes) if (canHost(p, v, n)) scratch[m++] = n;
    }
    cand[k] = scratch.slice(0, m);
  }

  const restrict = (v: number, keep: (n: number) => boolean): void => {
    const k = pos[v]!;
    if (k < 0) return;
    cand[k] = cand[k]!.filter(keep);
  };
  const fixedNodeOf = (v: number): number => (isFree[v] ? -1 : assign[v]!);

  // Multi-VM constraints that only remove candidates.
  const anyFree = (vms: Int32Array): boolean => {
    for (const v of vms) if (isFree[v]) return true;
    return false;
  };
  for (const s of spreads) {
    if (!anyFree(s.vms)) continue;
    const taken = new Set<number>();
    for (const v of s.vms) {
      const n = fixedNodeOf(v);
      if (n >= 0) {
        if (taken.has(n)) conflicts.push({ message: `spread: two fixed VMs share node`, vms: [...s.vms].filter((w) => fixedNodeOf(w) === n), nodes: [n], constraint: s.source });
        taken.add(n);
      }
    }
    if (taken.size > 0) for (const v of s.vms) restrict(v, (n) => !taken.has(n));
  }
  for (const g of gathers) {
    if (!anyFree(g.vms)) continue;
    const hosts = new Set<number>();
    for (const v of g.vms) {
      const n = fixedNodeOf(v);
      if (n >= 0) hosts.add(n);
    }
    if (hosts.size > 1) {
      conflicts.push({ message: 'gather: fixed VMs sit on different nodes', vms: [...g.vms], nodes: [...hosts], constraint: g.source });
      continue;
    }
    if (hosts.size === 1) {
      const h = [...hosts][0]!;
      for (const v of g.vms) restrict(v, (n) => n === h);
    } else {
      // Intersect the candidates of the free members.
      const count = new Int32Array(N);
      let members = 0;
      for (const v of g.vms) {
        const k = pos[v]!;
        if (k < 0) continue;
        members++;
        for (const n of cand[k]!) count[n]!++;
      }
      for (const v of g.vms) restrict(v, (n) => count[n] === members);
    }
  }
  // among: candidate groups contain every fixed member's node.
  interface AmongPlan { vms: number[]; groups: Int32Array[]; disjoint: boolean }
  const amongPlans: AmongPlan[] = [];
  for (const a of amongs) {
    if (!anyFree(a.vms)) continue;
    const hosts: number[] = [];
    const freeMembers: number[] = [];
    for (const v of a.vms) {
      const n = fixedNodeOf(v);
      if (n >= 0) hosts.push(n);
      else if (pos[v]! >= 0) freeMembers.push(v);
    }
    if (freeMembers.length === 0) continue;
    let groups: Int32Array[];
    if (a.nodeGroup !== undefined && hosts.length > 0) {
      const gi = a.nodeGroup[hosts[0]!]!;
      groups = gi >= 0 && hosts.every((h) => a.nodeGroup![h] === gi) ? [a.groups[gi]!] : [];
    } else {
      groups = a.groups.filter((g) => {
        const set = new Set(g);
        return hosts.every((h) => set.has(h));
      });
    }
    if (groups.length === 0) {
      conflicts.push({ message: 'among: the VMs that stay already sit in no common group', vms: [...a.vms], nodes: hosts, constraint: a.source });
      continue;
    }
    const union = new Uint8Array(N);
    for (const g of groups) for (const n of g) union[n] = 1;
    for (const v of freeMembers) restrict(v, (n) => union[n] === 1);
    if (groups.length > 1) amongPlans.push({ vms: freeMembers, groups: [...groups], disjoint: a.disjoint });
    else {
      const only = new Uint8Array(N);
      for (const n of groups[0]!) only[n] = 1;
      for (const v of freeMembers) restrict(v, (n) => only[n] === 1);
    }
  }
  // split and lonely: a node hosting fixed VMs of one group is closed to the free VMs of others.
  interface GroupPlan { groups: number[][]; source: number }
  const groupPlans: GroupPlan[] = [];
  const planGroups = (groupsOf: (v: number) => number, groupCount: number, membersFree: number[][], source: number): void => {
    const owner = new Int32Array(N).fill(-1);
    for (let v = 0; v < p.nVms; v++) {
      if (isFree[v] || p.target[v] !== RUNNING) continue;
      const g = groupsOf(v);
      const n = assign[v]!;
      if (g < 0 || n < 0) continue;
      if (owner[n] === -1) owner[n] = g;
      else if (owner[n] !== g) owner[n] = -2;
    }
    for (let n = 0; n < N; n++) {
      if (owner[n] === -2) conflicts.push({ message: 'VMs of two groups that must not share a node already share it', vms: [], nodes: [n], constraint: source });
    }
    for (let g = 0; g < groupCount; g++) {
      for (const v of membersFree[g]!) restrict(v, (n) => owner[n]! < 0 || owner[n] === g);
    }
    groupPlans.push({ groups: membersFree, source });
  };
  for (const s of splits) {
    if (!s.groups.some(anyFree)) continue;
    const groupOf = new Int32Array(p.nVms).fill(-1);
    s.groups.forEach((g, gi) => {
      for (const v of g) groupOf[v] = gi;
    });
    const membersFree = s.groups.map((g) => [...g].filter((v) => pos[v]! >= 0));
    if (membersFree.filter((m) => m.length > 0).length === 0) continue;
    planGroups((v) => groupOf[v]!, s.groups.length, membersFree, s.source);
  }
  for (const l of p.lonelies) {
    const inL = new Uint8Array(p.nVms);
    for (const v of l.vms) inL[v] = 1;
    const freeL: number[] = [];
    const freeRest: number[] = [];
    for (const v of free) (inL[v] ? freeL : freeRest).push(v);
    if (freeL.length === 0 && freeRest.length === 0) continue;
    planGroups((v) => (inL[v] ? 0 : 1), 2, [freeL, freeRest], l.source);
  }

  for (let k = 0; k < free.length; k++) {
    if (cand[k]!.length === 0) {
      const v = free[k]!;
      conflicts.push({ message: 'no node may host this VM', vms: [v], nodes: [] });
    }
  }
  if (conflicts.length > 0) return { status: 'conflict', conflicts };

  // Columns.
  const b = new ModelBuilder();
  const phase = scope.phase;
  let nx = 0;
  for (let k = 0; k < free.length; k++) nx += cand[k]!.length;
  const xVm = new Int32Array(nx);
  const xNode = new Int32Array(nx);
  const costPhase = phase.kind === 'cost' || phase.kind === 'weighted' || phase.kind === 'peakCost';
  let movable = 0;
  let resumable = 0;
  for (let k = 0; k < free.length; k++) {
    const v = free[k]!;
    if (p.srcRunning[v]) movable++;
    else if (p.home[v]! >= 0) resumable++;
  }
  const ties = costPhase ? tieWeights(p, movable, resumable) : NO_TIES;
  const xStart = new Int32Array(free.length); // first column of each free VM
  let j = 0;
  for (let k = 0; k < free.length; k++) {
    const v = free[k]!;
    xStart[k] = j;
    const c = !costPhase ? 0 : p.srcRunning[v] ? p.moveCost[v]! + ties.migration : p.home[v]! >= 0 ? ties.resume : 0;
    const list = cand[k]!;
    for (let i = 0; i < list.length; i++) {
      const n = list[i]!;
      b.addBinary(n === p.home[v] ? 0 : c, `x_${v}_${n}`);
      xVm[j] = v;
      xNode[j] = n;
      j++;
    }
  }
  // Columns per node (for capacity rows).
  const colsOfNode: number[][] = Array.from({ length: N }, () => []);
  for (let c = 0; c < nx; c++) colsOfNode[xNode[c]!]!.push(c);

  const countsNodes = phase.kind === 'count' || phase.kind === 'weighted' || (phase.kind === 'cost' && phase.maxUsed !== undefined);
  const needU = new Uint8Array(N);
  if (countsNodes) for (const n of scopeNodes) needU[n] = 1;
  for (const ob of p.onlineBounds) for (const n of ob.nodes) if (inScope[n] && p.nodeMode[n] === NodeMode.Free) needU[n] = 1;
  const uCol = new Int32Array(N).fill(-1);
  const uWeight = phase.kind === 'count' ? 1 : phase.kind === 'weighted' ? phase.nodeWeight : 0;
  for (const n of scopeNodes) {
    if (!needU[n]) continue;
    const lo = fixedCount[n]! > 0 ? 1 : 0;
    const hi = colsOfNode[n]!.length > 0 || lo === 1 ? 1 : 0;
    uCol[n] = b.addColumn(uWeight, lo, hi, true, `u_${n}`);
  }
  let zCol = -1;
  const balanceR = p.objective.kind === 'balance' ? p.objective.r : 0;
  if (phase.kind === 'peak' || phase.kind === 'peakCost') {
    // Nodes out of scope (or without candidates) contribute their fixed ratio as a floor.
    let floor = 0;
    for (let n = 0; n < N; n++) {
      if (p.nodeMode[n] === NodeMode.Off) continue;
      const cap = p.capacity[n * R + balanceR]!;
      if (cap > 0) floor = Math.max(floor, fixedLoad[n * R + balanceR]! / cap);
    }
    const hi = phase.kind === 'peakCost' ? Math.max(phase.maxPeak, floor) : Infinity;
    zCol = b.addColumn(phase.kind === 'peak' ? 1 : 0, floor, hi, false, 'z');
  }

  // Assignment rows.
  for (let k = 0; k < free.length; k++) {
    const cols: number[] = [];
    for (let c = xStart[k]!; c < xStart[k]! + cand[k]!.length; c++) cols.push(c);
    b.addRow(cols, cols.map(() => 1), 1, 1);
  }
  // Capacity rows (and the balance rows, which bound each node's ratio by z).
  const strong = scope.strong ?? nx <= STRONG_LIMIT;
  for (const n of scopeNodes) {
    const cols = colsOfNode[n]!;
    if (cols.length === 0) continue;
    const u = uCol[n]!;
    const linkU = u >= 0 && fixedCount[n] === 0;
    for (let r = 0; r < R; r++) {
      const residual = p.capacity[n * R + r]! - fixedLoad[n * R + r]!;
      const val = cols.map((c) => p.demand[xVm[c]! * R + r]!);
      let total = 0;
      for (const d of val) total += d;
      if (zCol >= 0 && r === balanceR) b.addRow([...cols, zCol], [...val, -p.capacity[n * R + r]!], -Infinity, -fixedLoad[n * R + r]!);
      if (linkU) b.addRow([...cols, u], [...val, -residual], -Infinity, 0);
      else if (total > residual + 1e-9) b.addRow(cols, val, -Infinity, residual);
    }
    if (linkU) {
      // A node hosting any VM is used (also when the VM demands nothing).
      if (strong) for (const c of cols) b.addRow([c, u], [1, -1], -Infinity, 0);
      else b.addRow([...cols, u], [...cols.map(() => 1), -cols.length], -Infinity, 0);
    }
  }
  // Column lookup x[v][n].
  const colOf = (v: number, n: number): number => {
    const k = pos[v]!;
    if (k < 0) return -1;
    const list = cand[k]!;
    // Candidate lists are sorted by node index (built in node order, filters keep order).
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = list[mid]!;
      if (m === n) return xStart[k]! + mid;
      if (m < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  // spread: at most one free member per node.
  for (const s of spreads) {
    const perNode = new Map<number, number[]>();
    for (const v of s.vms) {
      const k = pos[v]!;
      if (k < 0) continue;
      for (let c = xStart[k]!; c < xStart[k]! + cand[k]!.length; c++) {
        const n = xNode[c]!;
        const l = perNode.get(n);
        if (l) l.push(c);
        else perNode.set(n, [c]);
      }
    }
    for (const cols of perNode.values()) if (cols.length > 1) b.addRow(cols, cols.map(() => 1), -Infinity, 1);
  }
  // gather: free members follow the first one (candidates already intersected).
  for (const g of gathers) {
    const members = [...g.vms].filter((v) => pos[v]! >= 0);
    if (members.length < 2 || g.vms.some((v) => fixedNodeOf(v) >= 0)) continue;
    const v0 = members[0]!;
    for (const v of members.slice(1)) {
      const k = pos[v]!;
      for (const n of cand[k]!) b.addRow([colOf(v, n), colOf(v0, n)], [1, -1], 0, 0);
    }
  }
  // among with several candidate groups: choose one.
  const amongY: { plan: AmongPlan; cols: number[] }[] = [];
  for (const plan of amongPlans) {
    const ys = plan.groups.map((_, gi) => b.addBinary(0, `y_${amongY.length}_${gi}`));
    amongY.push({ plan, cols: ys });
    b.addRow(ys, ys.map(() => 1), 1, 1);
    plan.groups.forEach((g, gi) => {
      const inG = new Uint8Array(N);
      for (const n of g) inG[n] = 1;
      for (const v of plan.vms) {
        const k = pos[v]!;
        const idx: number[] = [];
        for (let c = xStart[k]!; c < xStart[k]! + cand[k]!.length; c++) {
          if (plan.disjoint ? inG[xNode[c]!] : !inG[xNode[c]!]) idx.push(c);
        }
        if (plan.disjoint) {
          // Σ_{n in g} x[v][n] <= y_g
          if (idx.length > 0) b.addRow([...idx, ys[gi]!], [...idx.map(() => 1), -1], -Infinity, 0);
        } else if (idx.length > 0) {
          // Σ_{n not in g} x[v][n] + y_g <= 1
          b.addRow([...idx, ys[gi]!], [...idx.map(() => 1), 1], -Infinity, 1);
        }
      }
    });
  }
  // split / lonely: at most one group present per node.
  const groupW: { plan: GroupPlan; node: number; group: number; col: number }[] = [];
  for (const plan of groupPlans) {
    const present = new Map<number, Map<number, number[]>>(); // node -> group -> cols
    plan.groups.forEach((members, gi) => {
      for (const v of members) {
        const k = pos[v]!;
        for (let c = xStart[k]!; c < xStart[k]! + cand[k]!.length; c++) {
          const n = xNode[c]!;
          let byGroup = present.get(n);
          if (!byGroup) present.set(n, (byGroup = new Map()));
          const l = byGroup.get(gi);
          if (l) l.push(c);
          else byGroup.set(gi, [c]);
        }
      }
    });
    for (const [n, byGroup] of present) {
      if (byGroup.size < 2) continue;
      const ws: number[] = [];
      for (const [gi, cols] of byGroup) {
        const w = b.addBinary(0, `w_${groupW.length}`);
        groupW.push({ plan, node: n, group: gi, col: w });
        ws.push(w);
        b.addRow([...cols, w], [...cols.map(() => 1), -cols.length], -Infinity, 0);
      }
      b.addRow(ws, ws.map(() => 1), -Infinity, 1);
    }
  }
  // resourceCapacity and runningCapacity over node sets.
  for (const rb of p.resourceBounds) {
    let fixed = 0;
    const idx: number[] = [];
    const val: number[] = [];
    for (const n of rb.nodes) {
      fixed += fixedLoad[n * R + rb.r]!;
      for (const c of colsOfNode[n]!) {
        idx.push(c);
        val.push(p.demand[xVm[c]! * R + rb.r]!);
      }
    }
    if (idx.length > 0) b.addRow(idx, val, -Infinity, rb.amount - fixed);
  }
  for (const rb of p.runningBounds) {
    let fixed = 0;
    const idx: number[] = [];
    for (const n of rb.nodes) {
      fixed += fixedCount[n]!;
      for (const c of colsOfNode[n]!) idx.push(c);
    }
    if (idx.length > 0) b.addRow(idx, idx.map(() => 1), -Infinity, rb.amount - fixed);
  }
  for (const ob of p.onlineBounds) {
    let fixedOn = 0;
    const idx: number[] = [];
    for (const n of ob.nodes) {
      const mode = p.nodeMode[n];
      if (mode === NodeMode.Off) continue;
      if (mode !== NodeMode.Free || fixedCount[n]! > 0) fixedOn++;
      else if (uCol[n]! >= 0) idx.push(uCol[n]!);
    }
    if (idx.length > 0 || fixedOn > ob.amount) b.addRow(idx, idx.map(() => 1), -Infinity, ob.amount - fixedOn);
  }
  // Node budget, or the known lower bound on used nodes.
  if ((phase.kind === 'cost' || phase.kind === 'weighted') && phase.maxUsed !== undefined) {
    const us = scopeNodes.map((n) => uCol[n]!).filter((c) => c >= 0);
    b.addRow(us, us.map(() => 1), -Infinity, phase.maxUsed);
  }
  if (phase.kind === 'count' && phase.minUsed !== undefined && scope.nodes === undefined) {
    const us = scopeNodes.map((n) => uCol[n]!).filter((c) => c >= 0);
    b.addRow(us, us.map(() => 1), phase.minUsed, Infinity);
  }

  // Starting solution from `assign`, when every free VM sits on one of its candidates.
  let start: Float64Array | undefined = new Float64Array(b.numCols);
  const hostOfFree = new Int32Array(free.length);
  for (let k = 0; k < free.length && start; k++) {
    const c = colOf(free[k]!, assign[free[k]!]!);
    if (c < 0) start = undefined;
    else {
      start[c] = 1;
      hostOfFree[k] = assign[free[k]!]!;
    }
  }
  if (start) {
    const usedNow = new Uint8Array(N);
    for (let k = 0; k < free.length; k++) usedNow[hostOfFree[k]!] = 1;
    for (let n = 0; n < N; n++) if (uCol[n]! >= 0) start[uCol[n]!] = usedNow[n] || fixedCount[n]! > 0 ? 1 : 0;
    if (zCol >= 0) {
      let peak = b.lowerOf(zCol);
      const load = Float64Array.from({ length: N }, (_, n) => fixedLoad[n * R + balanceR]!);
      for (let k = 0; k < free.length; k++) load[hostOfFree[k]!]! += p.demand[free[k]! * R + balanceR]!;
      for (const n of scopeNodes) {
        const cap = p.capacity[n * R + balanceR]!;
        if (cap > 0) peak = Math.max(peak, load[n]! / cap);
      }
      start[zCol] = peak;
    }
    for (const { plan, cols } of amongY) {
      const hosts = plan.vms.map((v) => assign[v]!);
      const gi = plan.groups.findIndex((g) => {
        const set = new Set(g);
        return hosts.every((h) => set.has(h));
      });
      if (gi < 0) start = undefined;
      else start![cols[gi]!] = 1;
      if (!start) break;
    }
    if (start) {
      for (const w of groupW) {
        const present = w.plan.groups[w.group]!.some((v) => assign[v] === w.node);
        start[w.col] = present ? 1 : 0;
      }
    }
  }

  let constant = 0;
  if (countsNodes) {
    for (let n = 0; n < N; n++) if (!inScope[n] && fixedCount[n]! > 0) constant += uWeight;
  }
  return { status: 'model', model: b.build(start), nx, xVm, xNode, uCol, zCol, constant };
}

/**
 * Reads a solution of an encoded model back into an assignment.
 * @param enc - the encoding
 * @param x - column values of a solution
 * @param assign - the assignment the scope was built from (copied, not changed)
 * @returns the new assignment: free VMs where `x` puts them, the others unchanged
 */
export function decode(enc: Encoding, x: ArrayLike<number>, assign: Int32Array): Int32Array {
  const out = Int32Array.from(assign);
  for (let c = 0; c < enc.nx; c++) if (x[c]! > 0.5) out[enc.xVm[c]!] = enc.xNode[c]!;
  return out;
}

/**
 * The indices of every VM that runs in the target.
 * @param p - the problem
 * @returns VM indices, ascending
 */
export function runningVms(p: DenseProblem): Int32Array {
  const out: number[] = [];
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING) out.push(v);
  return Int32Array.from(out);
}
