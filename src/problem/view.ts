import type { Constraint } from '../model/constraints.js';
import type { IndexedInstance } from '../model/indexed.js';
import { VM_STATE_CODE } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import { objectiveOf } from '../model/instance.js';
import type { InfeasibleReason } from '../model/action.js';
import { groupsKey, sameGroups, type Groups } from '../util/groups.js';
import { clearBit, hasBit, setBit, wordsFor } from './bitset.js';

/** Node power modes in a placement problem. */
export const NODE_OFF = 0;
/** The node must end online (an `online` constraint, or kept online). */
export const NODE_ON = 1;
/**
 * The placement decides: the node is online when it hosts a VM; when unused it goes offline
 * under `consolidate` + `powerOff`, else stays as it was while `maxOnline` allows.
 */
export const NODE_FREE = 2;

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
 * Built once per instance and decision by {@link compileProblem}; read-only afterwards.
 *
 * Static domains hold what never changes during the search: usable nodes (not forced
 * offline), `ban`, `fence`, `reserved`, `quarantine` (no arrival), `root`/`quarantine` pins.
 * Capacities and the other constraints are checked dynamically ({@link PlacementState}).
 */
export interface PlacementProblem {
  readonly instance: Instance;
  readonly ix: IndexedInstance;
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
  /** {@link NODE_OFF}, {@link NODE_ON} or {@link NODE_FREE} per node. */
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

/** Options of {@link compileProblem}. */
export interface CompileOptions {
  /** Keep only the constraints for which this returns true (used to explain infeasibility). */
  readonly include?: (ci: number, c: Constraint) => boolean;
}

/** A compiled problem and the conflicts found while compiling (node states). */
export interface CompiledProblem {
  readonly problem: PlacementProblem;
  readonly reasons: readonly InfeasibleReason[];
}

const EMPTY = new Int32Array(0);

/**
 * Compiles the placement problem of `instance` for the VMs that may run.
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @param vms - dense indices of the VMs that may run in the target (the problem VMs, in this order)
 * @param options - constraint filter
 * @returns the problem, and node-state conflicts (a node both `online` and `offline`; more
 *   nodes forced online than a `maxOnline` allows)
 */
export function compileProblem(instance: Instance, ix: IndexedInstance, vms: ArrayLike<number>, options: CompileOptions = {}): CompiledProblem {
  const N = ix.nodeIds.length;
  const R = ix.resources.length;
  const K = vms.length;
  const W = wordsFor(N);
  const include = options.include ?? (() => true);
  const reasons: InfeasibleReason[] = [];
  const constraints = instance.constraints.toArray();

  const vmOf = Int32Array.from(vms);
  const kOf = new Int32Array(ix.vmIds.length).fill(-1);
  for (let k = 0; k < K; k++) kOf[vmOf[k]!] = k;
  const demand = new Float64Array(K * R);
  const memory = new Float64Array(K);
  const source = new Int32Array(K).fill(-1);
  const image = new Int32Array(K).fill(-1);
  for (let k = 0; k < K; k++) {
    const v = vmOf[k]!;
    for (let r = 0; r < R; r++) demand[k * R + r] = ix.demand[v * R + r]!;
    memory[k] = ix.memory >= 0 ? ix.demand[v * R + ix.memory]! : 0;
    if (ix.vmState[v] === VM_STATE_CODE.running) source[k] = ix.vmHost[v]!;
    else if (ix.vmState[v] === VM_STATE_CODE.sleeping) image[k] = ix.vmHost[v]!;
  }

  const nodesOf = (ids: readonly string[]): Int32Array => {
    const out: number[] = [];
    for (const id of ids) {
      const n = ix.nodeIndex.get(id);
      if (n !== undefined) out.push(n);
    }
    return Int32Array.from(new Set(out));
  };
  const vmsOf = (ids: readonly string[]): Int32Array => {
    const out: number[] = [];
    for (const id of ids) {
      const v = ix.vmIndex.get(id);
      if (v === undefined) continue;
      const k = kOf[v]!;
      if (k >= 0) out.push(k);
    }
    return Int32Array.from(new Set(out));
  };

  // Node modes.
  const objective = objectiveOf(instance);
  const powerOff = objective.type === 'consolidate' && objective.powerOff === true;
  const forcedOn = new Int32Array(N).fill(-1);
  const forcedOff = new Int32Array(N).fill(-1);
  constraints.forEach((c, ci) => {
    if (!include(ci, c)) return;
    if (c.type === 'online') for (const n of nodesOf(c.nodes)) forcedOn[n] = ci;
    if (c.type === 'offline') for (const n of nodesOf(c.nodes)) forcedOff[n] = ci;
  });
  const nodeMode = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    if (forcedOff[n]! >= 0) {
      nodeMode[n] = NODE_OFF;
      if (forcedOn[n]! >= 0) {
        reasons.push({
          message: `node "${ix.nodeIds[n]!}" must end both online (constraint #${forcedOn[n]!}) and offline (constraint #${forcedOff[n]!})`,
          nodes: [ix.nodeIds[n]!],
          constraints: [forcedOn[n]!, forcedOff[n]!],
        });
      }
    } else if (forcedOn[n]! >= 0) nodeMode[n] = NODE_ON;
    else if (powerOff || ix.nodeOnline[n] === 1) nodeMode[n] = NODE_FREE;
    else nodeMode[n] = NODE_OFF;
  }

  // Base domain: usable nodes. Quarantined nodes are removed last, from unpinned VMs only.
  const base = new Uint32Array(W);
  for (let n = 0; n < N; n++) if (nodeMode[n] !== NODE_OFF) setBit(base, n);
  const quarantined = new Uint8Array(N);
  let anyQuarantine = false;
  constraints.forEach((c, ci) => {
    if (include(ci, c) && c.type === 'quarantine') {
      for (const n of nodesOf(c.nodes)) quarantined[n] = 1;
      anyQuarantine = true;
    }
  });

  // Reserved nodes: per vjob, the base minus the nodes reserved for other vjobs.
  const reserved: { ci: number; nodes: Int32Array; vjob: string }[] = [];
  constraints.forEach((c, ci) => {
    if (include(ci, c) && c.type === 'reserved') reserved.push({ ci, nodes: nodesOf(c.nodes), vjob: c.vjob });
  });
  const baseByVjob = new Map<string, Uint32Array>();
  const baseFor = (vjob: string): Uint32Array => {
    if (reserved.length === 0) return base;
    const exempt = reserved.filter((r) => r.vjob === vjob).map((r) => r.ci).join(',');
    let bs = baseByVjob.get(exempt);
    if (!bs) {
      bs = Uint32Array.from(base);
      for (const r of reserved) if (r.vjob !== vjob) for (const n of r.nodes) clearBit(bs, n);
      baseByVjob.set(exempt, bs);
    }
    return bs;
  };

  const domain: Uint32Array[] = new Array<Uint32Array>(K);
  const own = new Uint8Array(K);
  for (let k = 0; k < K; k++) domain[k] = baseFor(ix.vjobIds[ix.vmVjob[vmOf[k]!]!]!);
  const mutable = (k: number): Uint32Array => {
    if (!own[k]) {
      domain[k] = Uint32Array.from(domain[k]!);
      own[k] = 1;
    }
    return domain[k]!;
  };

  // Unary constraints: ban, fence.
  constraints.forEach((c, ci) => {
    if (!include(ci, c)) return;
    if (c.type === 'ban') {
      const nodes = nodesOf(c.nodes);
      for (const k of vmsOf(c.vms)) {
        const d = mutable(k);
        for (const n of nodes) clearBit(d, n);
      }
    } else if (c.type === 'fence') {
      const allowed = new Uint32Array(W);
      for (const n of nodesOf(c.nodes)) setBit(allowed, n);
      for (const k of vmsOf(c.vms)) {
        const d = mutable(k);
        for (let w = 0; w < W; w++) d[w]! &= allowed[w]!;
      }
    }
  });

  // Pins (checked as by the root and quarantine specs): a root VM, or a VM running or sleeping on
  // a quarantined node, that runs in the target runs where it ran or where its image lies.
  // A pinned VM keeps only that node, if the other rules allow it.
  const pinned = new Int32Array(K).fill(-1);
  constraints.forEach((c, ci) => {
    if (!include(ci, c)) return;
    if (c.type === 'root') {
      for (const k of vmsOf(c.vms)) {
        const h = source[k]! >= 0 ? source[k]! : image[k]!;
        if (h >= 0 && pinned[k]! < 0) pinned[k] = h;
      }
    } else if (c.type === 'quarantine') {
      // A VM running or sleeping on a quarantined node keeps that node if it runs in the target.
      const q = new Set(nodesOf(c.nodes));
      for (let k = 0; k < K; k++) {
        const h = source[k]! >= 0 ? source[k]! : image[k]!;
        if (h >= 0 && pinned[k]! < 0 && q.has(h)) pinned[k] = h;
      }
    }
  });
  for (let k = 0; k < K; k++) {
    const p = pinned[k]!;
    if (p < 0) continue;
    const d = new Uint32Array(W);
    // Quarantine forbids arrivals; a pinned VM does not arrive: it stays (or resumes in place).
    const arrives = quarantined[p] === 1 && source[k] !== p && image[k] !== p;
    if (hasBit(domain[k]!, p) && !arrives) setBit(d, p);
    domain[k] = d;
    own[k] = 1;
  }
  // Quarantine: no VM arrives on a quarantined node.
  if (anyQuarantine) {
    const stripped = new Map<Uint32Array, Uint32Array>();
    for (let k = 0; k < K; k++) {
      if (pinned[k]! >= 0) continue;
      const d = domain[k]!;
      if (own[k]) {
        for (let n = 0; n < N; n++) if (quarantined[n]) clearBit(d, n);
      } else {
        let s = stripped.get(d);
        if (!s) {
          s = Uint32Array.from(d);
          for (let n = 0; n < N; n++) if (quarantined[n]) clearBit(s, n);
          stripped.set(d, s);
        }
        domain[k] = s;
      }
    }
  }

  // Group lists are often repeated across among constraints (every among of a tier naming the
  // same node groups): compile each distinct list once and share it.
  type AmongShape = Pick<AmongCompiled, 'groups' | 'groupBits' | 'nodeGroups'>;
  const shapes = new Map<string, { source: Groups; shape: AmongShape }[]>();
  const amongShape = (list: Groups): AmongShape => {
    const key = groupsKey(list);
    const entries = shapes.get(key) ?? [];
    const hit = entries.find((e) => sameGroups(e.source, list));
    if (hit) return hit.shape;
    const groups = list.map((g) => nodesOf(g));
    const groupBits = new Uint32Array(groups.length * W);
    const nodeGroupsL: number[][] = Array.from({ length: N }, () => []);
    groups.forEach((g, gi) => {
      for (const n of g) {
        setBit(groupBits, n, gi * W);
        nodeGroupsL[n]!.push(gi);
      }
    });
    const shape = { groups, groupBits, nodeGroups: nodeGroupsL.map((l) => (l.length ? Int32Array.from(l) : EMPTY)) };
    entries.push({ source: list, shape });
    shapes.set(key, entries);
    return shape;
  };
  // Set constraints.
  const spreads: VmSetConstraint[] = [];
  const gathers: VmSetConstraint[] = [];
  const amongs: AmongCompiled[] = [];
  const splits: SplitCompiled[] = [];
  const lonelies: LonelyCompiled[] = [];
  const resourceCaps: NodeSetConstraint[] = [];
  const runningCaps: NodeSetConstraint[] = [];
  const maxOnlines: NodeSetConstraint[] = [];
  constraints.forEach((c, ci) => {
    if (!include(ci, c)) return;
    switch (c.type) {
      case 'spread': {
        const members = vmsOf(c.vms);
        if (members.length > 1) spreads.push({ ci, members });
        break;
      }
      case 'gather': {
        const members = vmsOf(c.vms);
        if (members.length > 1) gathers.push({ ci, members });
        break;
      }
      case 'among': {
        const members = vmsOf(c.vms);
        if (members.length === 0) break;
        amongs.push({ ci, members, ...amongShape(c.groups) });
        break;
      }
      case 'split': {
        const seen = new Set<number>();
        const groups = c.groups.map((g) => Int32Array.from([...vmsOf(g)].filter((k) => !seen.has(k) && (seen.add(k), true))));
        splits.push({ ci, groups });
        break;
      }
      case 'lonely': {
        const members = vmsOf(c.vms);
        const inSet = new Uint8Array(K);
        for (const k of members) inSet[k] = 1;
        lonelies.push({ ci, members, inSet });
        break;
      }
      case 'resourceCapacity': {
        const r = ix.resourceIndex.get(c.resource);
        if (r !== undefined) resourceCaps.push({ ci, nodes: nodesOf(c.nodes), resource: r, amount: c.amount });
        break;
      }
      case 'runningCapacity':
        runningCaps.push({ ci, nodes: nodesOf(c.nodes), resource: -1, amount: c.amount });
        break;
      case 'maxOnline': {
        const nodes = nodesOf(c.nodes);
        maxOnlines.push({ ci, nodes, resource: -1, amount: c.amount });
        let on = 0;
        for (const n of nodes) if (nodeMode[n] === NODE_ON) on++;
        if (on > c.amount) {
          const forced = [...nodes].filter((n) => nodeMode[n] === NODE_ON);
          reasons.push({
            message: `maxOnline (constraint #${ci}) allows ${c.amount} online node(s) among ${nodes.length}, but ${on} must end online: ${forced.map((n) => `"${ix.nodeIds[n]!}"`).join(', ')}`,
            nodes: forced.map((n) => ix.nodeIds[n]!),
            constraints: [ci, ...new Set(forced.map((n) => forcedOn[n]!).filter((x) => x >= 0))],
          });
        }
        break;
      }
      // Compiled into the static domains and node modes above, or read by the decide stage.
      case 'ban':
      case 'fence':
      case 'root':
      case 'quarantine':
      case 'overbook':
      case 'online':
      case 'offline':
      case 'reserved':
      case 'running':
      case 'sleeping':
      case 'terminated':
        break;
      default:
        return unhandled(c);
    }
  });

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

  const resource = objective.type === 'balance' ? (ix.resourceIndex.get(objective.resource ?? 'cpu') ?? -1) : -1;
  const problem: PlacementProblem = {
    instance, ix, N, R, K, W, vmOf, kOf, demand, memory, source, image,
    cap: ix.effectiveCapacity, nodeMode, domain, pinned,
    spreads, gathers, amongs, splits, lonelies, resourceCaps, runningCaps, maxOnlines,
    vmSpreads: perVm(spreads), vmGathers: perVm(gathers), vmAmongs: perVm(amongs),
    vmSplits: vmSplitsL.map((l) => (l.length ? Int32Array.from(l) : EMPTY)),
    nodeResourceCaps: perNode(resourceCaps), nodeRunningCaps: perNode(runningCaps), nodeMaxOnlines: perNode(maxOnlines),
    objective: { kind: objective.type, powerOff, resource },
  };
  return { problem, reasons };
}

/** A constraint type no case handles: the compiler rejects the call (its argument is `never`). */
function unhandled(c: never): never {
  throw new Error(`constraint type not compiled: ${(c as { type: string }).type}`);
}
