/**
 * The search's view of the one dense problem: a subset of its VMs renumbered `0..K-1`, static
 * domains as bitsets, and per-VM / per-node inverse indices of the rules, for the heuristics,
 * the branch and bound, the admission and the explanation of infeasibility.
 */
import type { InfeasibleReason } from '../model/action.js';
import type { Constraint } from '../model/constraints.js';
import { VM_STATE_CODE, type IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import { setBit, wordsFor } from './bitset.js';
import { compileProblem, NodeMode, type DenseProblem } from './dense.js';

/** A constraint over a set of VMs (spread, gather), compiled to problem VM indices. */
export interface VmSetConstraint {
  /** Index of the constraint in the instance. */
  readonly ci: number;
  /** Problem VM indices (only VMs of the problem). */
  readonly members: Int32Array;
}
/** `among`, compiled. */
export interface AmongCompiled extends VmSetConstraint {
  /** Node indices of each group. */
  readonly groups: readonly Int32Array[];
  /** Group membership bitsets, `W` words per group. */
  readonly groupBits: Uint32Array;
  /** Per node, the groups holding it. */
  readonly nodeGroups: readonly Int32Array[];
}
/** `split`, compiled: members of each group (a VM listed in several groups keeps the first). */
export interface SplitCompiled {
  readonly ci: number;
  readonly groups: readonly Int32Array[];
}
/** `lonely`, compiled. */
export interface LonelyCompiled extends VmSetConstraint {
  /** 1 for members, per problem VM. */
  readonly inSet: Uint8Array;
}
/** A constraint over a set of nodes with an amount (resourceCapacity, runningCapacity, maxOnline). */
export interface NodeSetConstraint {
  readonly ci: number;
  readonly nodes: Int32Array;
  /** Resource index (resourceCapacity only; -1 otherwise). */
  readonly resource: number;
  readonly amount: number;
}

/** The objective, compiled. */
export interface CompiledObjective {
  readonly kind: 'consolidate' | 'balance' | 'minMigrations';
  /** consolidate: unused nodes go offline. */
  readonly powerOff: boolean;
  /** balance: resource index (-1 when no VM or node names it). */
  readonly resource: number;
}

/**
 * A placement problem on the dense index: which VMs may run (the problem VMs, numbered
 * `0..K-1`), where (static domains), and every constraint that links them, as typed arrays.
 * Built by {@link searchView} from the dense problem; read-only afterwards.
 *
 * Static domains hold what never changes during the search: usable nodes (not forced
 * offline), `ban`, `fence`, `among`'s groups, `reserved`, `quarantine` (no arrival), `root`/`quarantine` pins.
 * Capacities and the other constraints are checked dynamically ({@link PlacementState}).
 */
export interface PlacementProblem {
  readonly instance: Instance;
  readonly ix: IndexedInstance;
  /** The dense problem this view reads (the one compiled representation). */
  readonly dense: DenseProblem;
  /** Nodes, resources, problem VMs, words per node bitset. */
  readonly N: number;
  readonly R: number;
  readonly K: number;
  readonly W: number;
  /** Problem VM → dense VM index. */
  readonly vmOf: Int32Array;
  /** Dense VM index → problem VM (-1 when not in the problem). */
  readonly kOf: Int32Array;
  /** Demand, `K × R`. */
  readonly demand: Float64Array;
  /** Memory of each problem VM (what a migration moves), 0 without a `memory` resource. */
  readonly memory: Float64Array;
  /** Node the VM runs on in the source, else -1. */
  readonly source: Int32Array;
  /** Node holding the VM's image when sleeping in the source, else -1. */
  readonly image: Int32Array;
  /** Usable capacity (after overbook), `N × R`. */
  readonly cap: Float64Array;
  /** {@link NodeMode} per node (the dense problem's array). */
  readonly nodeMode: Uint8Array;
  /** Static domain of each problem VM (shared between VMs: never mutate). */
  readonly domain: readonly Uint32Array[];
  /** Node a VM is pinned to (root, quarantine residents), else -1. */
  readonly pinned: Int32Array;
  readonly spreads: readonly VmSetConstraint[];
  readonly gathers: readonly VmSetConstraint[];
  readonly amongs: readonly AmongCompiled[];
  readonly splits: readonly SplitCompiled[];
  readonly lonelies: readonly LonelyCompiled[];
  readonly resourceCaps: readonly NodeSetConstraint[];
  readonly runningCaps: readonly NodeSetConstraint[];
  readonly maxOnlines: readonly NodeSetConstraint[];
  /** Per problem VM: indices into {@link spreads}. */
  readonly vmSpreads: readonly Int32Array[];
  readonly vmGathers: readonly Int32Array[];
  readonly vmAmongs: readonly Int32Array[];
  /** Per problem VM: pairs (split index, group index), flattened. */
  readonly vmSplits: readonly Int32Array[];
  /** Per node: indices into {@link resourceCaps}, {@link runningCaps}, {@link maxOnlines}. */
  readonly nodeResourceCaps: readonly Int32Array[];
  readonly nodeRunningCaps: readonly Int32Array[];
  readonly nodeMaxOnlines: readonly Int32Array[];
  readonly objective: CompiledObjective;
}

const EMPTY = new Int32Array(0);

/**
 * The search's view of the dense problem over a subset of its VMs (the problem VMs, numbered
 * `0..K-1`, every one of them running in the dense problem's target): bitset domains and
 * inverse indices built from the {@link DenseProblem}, which stays the one compiled
 * representation (no constraint is read from the instance again).
 *
 * @param compiled - the dense problem and its index
 * @param instance - the instance it was compiled from
 * @param vms - dense indices of the problem VMs, in this order
 * @returns the view
 * @example
 * ```ts
 * const compiled = compileProblem(instance);
 * const view = searchView(compiled, instance, [0, 1, 2]);
 * ```
 */
export function searchView(compiled: { readonly problem: DenseProblem; readonly ix: IndexedInstance }, instance: Instance, vms: ArrayLike<number>): PlacementProblem {
  const { problem: d, ix } = compiled;
  const N = d.nNodes;
  const R = d.R;
  const K = vms.length;
  const W = wordsFor(N);

  const vmOf = Int32Array.from(vms);
  const kOf = new Int32Array(d.nVms).fill(-1);
  for (let k = 0; k < K; k++) kOf[vmOf[k]!] = k;
  const demand = new Float64Array(K * R);
  const memory = new Float64Array(K);
  const source = new Int32Array(K).fill(-1);
  const image = new Int32Array(K).fill(-1);
  const pinned = new Int32Array(K).fill(-1);
  for (let k = 0; k < K; k++) {
    const v = vmOf[k]!;
    for (let r = 0; r < R; r++) demand[k * R + r] = d.demand[v * R + r]!;
    memory[k] = ix.memory >= 0 ? d.demand[v * R + ix.memory]! : 0;
    if (d.home[v]! >= 0) {
      if (d.srcRunning[v]) source[k] = d.home[v]!;
      else image[k] = d.home[v]!;
    }
    pinned[k] = d.pinned[v]!;
  }

  // Static domains as bitsets, shared between VMs with the same dense domain, reservation class and pin.
  const hasReservation = new Set<number>();
  for (let n = 0; n < N; n++) if (d.reservedFor[n]! >= 0) hasReservation.add(d.reservedFor[n]!);
  const byKey = new Map<string, Uint32Array>();
  const domain: Uint32Array[] = new Array<Uint32Array>(K);
  for (let k = 0; k < K; k++) {
    const v = vmOf[k]!;
    const cls = hasReservation.has(d.vmVjob[v]!) ? d.vmVjob[v]! : -1;
    const pin = pinned[k]!;
    const di = d.domain[v]!;
    const key = `${di}|${cls}|${pin}`;
    let bits = byKey.get(key);
    if (!bits) {
      bits = new Uint32Array(W);
      const mask = di >= 0 ? d.domains[di]! : undefined;
      const allowed = (n: number): boolean => {
        if (d.nodeMode[n] === NodeMode.Off) return false;
        const res = d.reservedFor[n]!;
        if (res !== -1 && res !== cls) return false;
        return mask === undefined || mask[n] === 1;
      };
      if (pin >= 0) {
        // A pinned VM stays (or resumes in place): quarantine does not bar it.
        if (allowed(pin)) setBit(bits, pin);
      } else for (let n = 0; n < N; n++) if (!d.quarantined[n] && allowed(n)) setBit(bits, n);
      byKey.set(key, bits);
    }
    domain[k] = bits;
  }

  const members = (list: Int32Array): Int32Array => {
    const out: number[] = [];
    for (const v of list) if (kOf[v]! >= 0) out.push(kOf[v]!);
    return Int32Array.from(out);
  };
  // Among groups are shared between equal group lists in the dense problem: compile each once.
  type AmongShape = Pick<AmongCompiled, 'groups' | 'groupBits' | 'nodeGroups'>;
  const shapes = new Map<readonly Int32Array[], AmongShape>();
  const amongShape = (groups: readonly Int32Array[]): AmongShape => {
    let shape = shapes.get(groups);
    if (shape) return shape;
    const groupBits = new Uint32Array(groups.length * W);
    const nodeGroupsL: number[][] = Array.from({ length: N }, () => []);
    groups.forEach((g, gi) => {
      for (const n of g) {
        setBit(groupBits, n, gi * W);
        nodeGroupsL[n]!.push(gi);
      }
    });
    shape = { groups, groupBits, nodeGroups: nodeGroupsL.map((l) => (l.length ? Int32Array.from(l) : EMPTY)) };
    shapes.set(groups, shape);
    return shape;
  };
  const spreads: VmSetConstraint[] = [];
  for (const c of d.spreads) {
    const m = members(c.vms);
    if (m.length > 1) spreads.push({ ci: c.source, members: m });
  }
  const gathers: VmSetConstraint[] = [];
  for (const c of d.gathers) {
    const m = members(c.vms);
    if (m.length > 1) gathers.push({ ci: c.source, members: m });
  }
  const amongs: AmongCompiled[] = [];
  for (const c of d.amongs) {
    const m = members(c.vms);
    if (m.length > 0) amongs.push({ ci: c.source, members: m, ...amongShape(c.groups) });
  }
  const splits: SplitCompiled[] = d.splits.map((c) => ({ ci: c.source, groups: c.groups.map(members) }));
  const lonelies: LonelyCompiled[] = d.lonelies.map((c) => {
    const m = members(c.vms);
    const inSet = new Uint8Array(K);
    for (const k of m) inSet[k] = 1;
    return { ci: c.source, members: m, inSet };
  });
  const resourceCaps: NodeSetConstraint[] = d.resourceBounds.map((c) => ({ ci: c.source, nodes: c.nodes, resource: c.r, amount: c.amount }));
  const runningCaps: NodeSetConstraint[] = d.runningBounds.map((c) => ({ ci: c.source, nodes: c.nodes, resource: -1, amount: c.amount }));
  const maxOnlines: NodeSetConstraint[] = d.onlineBounds.map((c) => ({ ci: c.source, nodes: c.nodes, resource: -1, amount: c.amount }));

  const perVm = (lists: readonly VmSetConstraint[]): Int32Array[] => {
    const acc: number[][] = Array.from({ length: K }, () => []);
    lists.forEach((c, i) => {
      for (const k of c.members) acc[k]!.push(i);
    });
    return acc.map((l) => (l.length ? Int32Array.from(l) : EMPTY));
  };
  const vmSplitsL: number[][] = Array.from({ length: K }, () => []);
  splits.forEach((s, si) => s.groups.forEach((g, gi) => {
    for (const k of g) vmSplitsL[k]!.push(si, gi);
  }));
  const perNode = (lists: readonly NodeSetConstraint[]): Int32Array[] => {
    const acc: number[][] = Array.from({ length: N }, () => []);
    lists.forEach((c, i) => {
      for (const n of c.nodes) acc[n]!.push(i);
    });
    return acc.map((l) => (l.length ? Int32Array.from(l) : EMPTY));
  };

  const o = d.objective;
  return {
    instance, ix, dense: d, N, R, K, W, vmOf, kOf, demand, memory, source, image,
    cap: d.capacity, nodeMode: d.nodeMode, domain, pinned,
    spreads, gathers, amongs, splits, lonelies, resourceCaps, runningCaps, maxOnlines,
    vmSpreads: perVm(spreads), vmGathers: perVm(gathers), vmAmongs: perVm(amongs),
    vmSplits: vmSplitsL.map((l) => (l.length ? Int32Array.from(l) : EMPTY)),
    nodeResourceCaps: perNode(resourceCaps), nodeRunningCaps: perNode(runningCaps), nodeMaxOnlines: perNode(maxOnlines),
    objective: { kind: o.kind, powerOff: o.kind === 'consolidate' && o.powerOff, resource: o.kind === 'balance' ? o.r : -1 },
  };
}

/**
 * Compiles the dense problem with exactly `vms` running (every other VM waiting) and returns
 * the search's view of those VMs: what the admission and the explanation search over.
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @param vms - dense indices of the VMs that may run, ascending
 * @param include - keep only the constraints for which this returns true
 * @returns the view, and the rules no placement can meet
 * @example
 * ```ts
 * const { problem, reasons } = compileView(instance, indexInstance(instance), [0, 1]);
 * ```
 */
export function compileView(
  instance: Instance,
  ix: IndexedInstance,
  vms: ArrayLike<number>,
  include?: (ci: number, c: Constraint) => boolean,
): { readonly problem: PlacementProblem; readonly reasons: readonly InfeasibleReason[] } {
  const states = new Uint8Array(ix.vmIds.length).fill(VM_STATE_CODE.waiting);
  for (let i = 0; i < vms.length; i++) states[vms[i]!] = VM_STATE_CODE.running;
  const compiled = compileProblem(instance, { index: ix, states, ...(include ? { include } : {}) });
  return { problem: searchView(compiled, instance, vms), reasons: compiled.reasons };
}
