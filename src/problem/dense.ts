/**
 * The placement problem in dense form: what the exact and large-scale solvers work on.
 *
 * Built once from an instance and the target state of every VM (which VMs run: the decide
 * step's answer), it holds typed arrays indexed like {@link IndexedInstance} and every
 * constraint that bears on the target, reduced to node and VM indices. It is plain data (typed
 * arrays, numbers), so it crosses to worker threads by structured cloning.
 */
import { Map as IMap } from 'immutable';
import { Configuration, placement } from '../model/configuration.js';
import type { NodeId, VmId } from '../model/ids.js';
import { indexInstance, VM_STATE_CODE, VM_STATE_OF_CODE, type IndexedInstance } from '../model/indexed.js';
import { objectiveOf, type Instance } from '../model/instance.js';
import type { NodeState } from '../model/node.js';
import { groupsKey, sameGroups } from '../util/groups.js';

/** Node cannot host anything in the target (offline and staying so, or `offline` constraint). */
export const NODE_OFF = 0;
/** Node is online in the source and stays online whatever it hosts. */
export const NODE_KEEP = 1;
/** Node is online in the target exactly when it hosts a running VM (`powerOff`, `maxOnline`). */
export const NODE_FREE = 2;
/** Node must end online (`online` constraint). */
export const NODE_ON = 3;

/** `among` in dense form: the running VMs and the node groups. */
export interface DenseAmong {
  readonly vms: Int32Array;
  readonly groups: readonly Int32Array[];
  /** Whether no node belongs to two groups. */
  readonly disjoint: boolean;
  /** For disjoint groups: the group of each node, -1 for none (shared between equal group lists). */
  readonly nodeGroup?: Int32Array;
  /** Index of the constraint in the instance. */
  readonly source: number;
}
/** A bound over a set of nodes (`runningCapacity`, `maxOnline`). */
export interface DenseNodeBound {
  readonly nodes: Int32Array;
  readonly amount: number;
  readonly source: number;
}
/** `resourceCapacity` in dense form. */
export interface DenseResourceBound extends DenseNodeBound {
  readonly r: number;
}
/** A set of running VMs under one constraint (`spread`, `gather`, `lonely`). */
export interface DenseVmSet {
  readonly vms: Int32Array;
  readonly source: number;
}
/** `split` in dense form: groups of running VMs. */
export interface DenseSplit {
  readonly groups: readonly Int32Array[];
  readonly source: number;
}

/** What the dense problem optimises. */
export type DenseObjective =
  | { readonly kind: 'consolidate'; readonly powerOff: boolean }
  | { readonly kind: 'balance'; readonly r: number }
  | { readonly kind: 'minMigrations' };

/** The placement problem in dense form (see the module comment). */
export interface DenseProblem {
  readonly nNodes: number;
  readonly nVms: number;
  /** Number of resources. */
  readonly R: number;
  /** Usable (overbooked) capacity, `capacity[node * R + r]`. */
  readonly capacity: Float64Array;
  /** Demand, `demand[vm * R + r]`. */
  readonly demand: Float64Array;
  /** Memory moved when the VM runs away from `home` (its memory if it runs in the source, else 0). */
  readonly moveCost: Float64Array;
  /** Source host (running or sleeping), -1 when none. */
  readonly home: Int32Array;
  /** 1 when the VM runs in the source (moving it is a migration). */
  readonly srcRunning: Uint8Array;
  /** Target state of each VM ({@link VM_STATE_CODE}); only `running` VMs are placed. */
  readonly target: Uint8Array;
  /** The node a VM must run on (`root`, `quarantine`), -1 when free. */
  readonly pinned: Int32Array;
  /** Index in `domains` of the nodes a VM may run on (`ban`, `fence`, `among`), -1 for any node. */
  readonly domain: Int32Array;
  /** Node masks (1 = allowed). */
  readonly domains: readonly Uint8Array[];
  readonly vmVjob: Int32Array;
  /** {@link NODE_OFF}, {@link NODE_KEEP}, {@link NODE_FREE} or {@link NODE_ON} per node. */
  readonly nodeMode: Uint8Array;
  /** The vjob a node is reserved for, -1 when none, -2 when reserved for two different vjobs. */
  readonly reservedFor: Int32Array;
  /** 1 when the node is quarantined (only VMs pinned there may run on it). */
  readonly quarantined: Uint8Array;
  readonly spreads: readonly DenseVmSet[];
  readonly gathers: readonly DenseVmSet[];
  readonly amongs: readonly DenseAmong[];
  readonly splits: readonly DenseSplit[];
  readonly lonelies: readonly DenseVmSet[];
  readonly resourceBounds: readonly DenseResourceBound[];
  readonly runningBounds: readonly DenseNodeBound[];
  readonly onlineBounds: readonly DenseNodeBound[];
  readonly objective: DenseObjective;
}

const RUNNING = VM_STATE_CODE.running;

/**
 * The target state of every VM when no decide step chose them: what `wants` and the
 * `running` / `sleeping` / `terminated` constraints impose, else the source state (running VMs
 * keep running; waiting and sleeping VMs stay as they are).
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @returns {@link VM_STATE_CODE} per VM
 */
export function defaultTargetStates(instance: Instance, ix: IndexedInstance): Uint8Array {
  const out = Uint8Array.from(ix.vmState);
  let i = 0;
  for (const v of instance.vms.values()) {
    if (v.wants !== undefined) out[i] = VM_STATE_CODE[v.wants];
    i++;
  }
  for (const c of instance.constraints) {
    if (c.type !== 'running' && c.type !== 'sleeping' && c.type !== 'terminated') continue;
    for (const id of c.vms) {
      const k = ix.vmIndex.get(id);
      if (k !== undefined) out[k] = VM_STATE_CODE[c.type];
    }
  }
  // A waiting VM cannot be put to sleep: it keeps waiting.
  for (let k = 0; k < out.length; k++) {
    if (out[k] === VM_STATE_CODE.sleeping && ix.vmState[k] === VM_STATE_CODE.waiting) out[k] = VM_STATE_CODE.waiting;
  }
  return out;
}

/** A rule of the instance that no placement can meet, found while building the problem. */
export interface ProblemConflict {
  readonly message: string;
  readonly vms: readonly number[];
  readonly nodes: readonly number[];
  /** Index of the constraint in the instance, when one is at fault. */
  readonly constraint?: number;
}

/**
 * The spare share of a node under a load: the smallest fraction of a resource's capacity left.
 * @param p - the problem
 * @param load - load per node and resource (`node * R + r`)
 * @param n - the node
 * @returns 1 for an empty node, 0 (or less) for a full (or overloaded) one
 */
export function spareShare(p: DenseProblem, load: Float64Array, n: number): number {
  let s = 1;
  for (let r = 0; r < p.R; r++) {
    const c = p.capacity[n * p.R + r]!;
    if (c > 0) s = Math.min(s, 1 - load[n * p.R + r]! / c);
  }
  return s;
}

/** What {@link buildProblem} returns. */
export interface BuiltProblem {
  readonly problem: DenseProblem;
  readonly ix: IndexedInstance;
  /** Rules that cannot hold whatever the placement (e.g. a node both `online` and `offline`). */
  readonly conflicts: readonly ProblemConflict[];
}

/** Options of {@link buildProblem}. */
export interface BuildOptions {
  /** Target state per VM ({@link VM_STATE_CODE}); default {@link defaultTargetStates}. */
  readonly states?: Uint8Array;
  /** A dense index of the instance already built. */
  readonly index?: IndexedInstance;
}

function indicesOf(map: ReadonlyMap<string, number>, ids: readonly string[]): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const id of ids) {
    const k = map.get(id);
    if (k !== undefined && !seen.has(k)) {
      seen.add(k);
      out.push(k);
    }
  }
  return out;
}

/**
 * Builds the dense placement problem of an instance.
 *
 * @param instance - the instance
 * @param options - target states (default: {@link defaultTargetStates}) and a prebuilt index
 * @returns the problem and the index that names its nodes and VMs
 * @example
 * ```ts
 * const { problem, ix } = buildProblem(instance);
 * problem.nodeMode[ix.nodeIndex.get('n1')!]; // NODE_KEEP
 * ```
 */
export function buildProblem(instance: Instance, options: BuildOptions = {}): BuiltProblem {
  const ix = options.index ?? indexInstance(instance);
  const N = ix.nodeIds.length;
  const V = ix.vmIds.length;
  const R = ix.resources.length;
  const target = options.states ?? defaultTargetStates(instance, ix);
  const objective = objectiveOf(instance);
  const running = (k: number): boolean => target[k] === RUNNING;

  const moveCost = new Float64Array(V);
  const home = Int32Array.from(ix.vmHost);
  for (let k = 0; k < V; k++) {
    if (ix.vmState[k] === RUNNING && ix.memory >= 0) moveCost[k] = ix.demand[k * R + ix.memory]!;
    if (ix.vmState[k] !== RUNNING && ix.vmState[k] !== VM_STATE_CODE.sleeping) home[k] = -1;
  }

  // Node modes.
  const powerOff = objective.type === 'consolidate' && objective.powerOff === true;
  const forcedOn = new Uint8Array(N);
  const forcedOff = new Uint8Array(N);
  const inMaxOnline = new Uint8Array(N);
  const reservedFor = new Int32Array(N).fill(-1);
  const quarantined = new Uint8Array(N);
  const pinned = new Int32Array(V).fill(-1);
  for (const c of instance.constraints) {
    if (c.type === 'online') for (const n of indicesOf(ix.nodeIndex, c.nodes)) forcedOn[n] = 1;
    else if (c.type === 'offline') for (const n of indicesOf(ix.nodeIndex, c.nodes)) forcedOff[n] = 1;
    else if (c.type === 'maxOnline') for (const n of indicesOf(ix.nodeIndex, c.nodes)) inMaxOnline[n] = 1;
    else if (c.type === 'quarantine') for (const n of indicesOf(ix.nodeIndex, c.nodes)) quarantined[n] = 1;
    else if (c.type === 'reserved') {
      const j = ix.vjobIndex.get(c.vjob) ?? -3;
      for (const n of indicesOf(ix.nodeIndex, c.nodes)) reservedFor[n] = reservedFor[n] === -1 || reservedFor[n] === j ? j : -2;
    } else if (c.type === 'root') {
      for (const k of indicesOf(ix.vmIndex, c.vms)) if (home[k]! >= 0) pinned[k] = home[k]!;
    }
  }
  for (let k = 0; k < V; k++) if (home[k]! >= 0 && quarantined[home[k]!]) pinned[k] = home[k]!;
  const conflicts: ProblemConflict[] = [];
  const nodeMode = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    if (forcedOff[n] && forcedOn[n]) conflicts.push({ message: 'node must end both online and offline', vms: [], nodes: [n] });
    if (forcedOff[n]) nodeMode[n] = NODE_OFF;
    else if (forcedOn[n]) nodeMode[n] = NODE_ON;
    else if (ix.nodeOnline[n]) nodeMode[n] = powerOff || inMaxOnline[n] ? NODE_FREE : NODE_KEEP;
    else nodeMode[n] = powerOff ? NODE_FREE : NODE_OFF;
  }

  // Domains from ban, fence and among, shared between VMs under the same constraints.
  const touching: number[][] = Array.from({ length: V }, () => []);
  const spreads: DenseVmSet[] = [];
  const gathers: DenseVmSet[] = [];
  const amongs: DenseAmong[] = [];
  const splits: DenseSplit[] = [];
  const lonelies: DenseVmSet[] = [];
  const resourceBounds: DenseResourceBound[] = [];
  const runningBounds: DenseNodeBound[] = [];
  const onlineBounds: DenseNodeBound[] = [];
  // Group lists are often repeated across among constraints: compile each distinct one once.
  const shapes = new Map<string, { source: readonly (readonly NodeId[])[]; groups: Int32Array[]; nodeGroup: Int32Array | undefined }[]>();
  const amongShape = (groups: readonly (readonly NodeId[])[]): { groups: Int32Array[]; nodeGroup: Int32Array | undefined } => {
    const key = groupsKey(groups);
    const list = shapes.get(key) ?? [];
    const hit = list.find((e) => sameGroups(e.source, groups));
    if (hit) return hit;
    const compiled = groups.map((g) => Int32Array.from(indicesOf(ix.nodeIndex, g)));
    let nodeGroup: Int32Array | undefined = new Int32Array(N).fill(-1);
    compiled.forEach((g, gi) => {
      for (const n of g) {
        if (nodeGroup && nodeGroup[n] !== -1 && nodeGroup[n] !== gi) nodeGroup = undefined;
        else if (nodeGroup) nodeGroup[n] = gi;
      }
    });
    const entry = { source: groups, groups: compiled, nodeGroup };
    list.push(entry);
    shapes.set(key, list);
    return entry;
  };
  const amongShapes = new Map<number, { groups: Int32Array[] }>();
  const runningOf = (ids: readonly VmId[]): Int32Array => Int32Array.from(indicesOf(ix.vmIndex, ids).filter(running));
  instance.constraints.forEach((c, source) => {
    switch (c.type) {
      case 'ban':
      case 'fence':
        for (const k of indicesOf(ix.vmIndex, c.vms)) touching[k]!.push(source);
        break;
      case 'among': {
        const shape = amongShape(c.groups);
        amongShapes.set(source, shape);
        const vms = runningOf(c.vms);
        for (const k of indicesOf(ix.vmIndex, c.vms)) touching[k]!.push(source);
        if (vms.length > 0) amongs.push({ vms, groups: shape.groups, disjoint: shape.nodeGroup !== undefined, ...(shape.nodeGroup ? { nodeGroup: shape.nodeGroup } : {}), source });
        break;
      }
      case 'spread': {
        const vms = runningOf(c.vms);
        if (vms.length > 1) spreads.push({ vms, source });
        break;
      }
      case 'gather': {
        const vms = runningOf(c.vms);
        if (vms.length > 1) gathers.push({ vms, source });
        break;
      }
      case 'split': {
        const groups = c.groups.map((g) => runningOf(g)).filter((g) => g.length > 0);
        if (groups.length > 1) splits.push({ groups, source });
        break;
      }
      case 'lonely': {
        const vms = runningOf(c.vms);
        if (vms.length > 0) lonelies.push({ vms, source });
        break;
      }
      case 'resourceCapacity': {
        const r = ix.resourceIndex.get(c.resource);
        if (r !== undefined) resourceBounds.push({ nodes: Int32Array.from(indicesOf(ix.nodeIndex, c.nodes)), amount: c.amount, r, source });
        break;
      }
      case 'runningCapacity':
        runningBounds.push({ nodes: Int32Array.from(indicesOf(ix.nodeIndex, c.nodes)), amount: c.amount, source });
        break;
      case 'maxOnline':
        onlineBounds.push({ nodes: Int32Array.from(indicesOf(ix.nodeIndex, c.nodes)), amount: c.amount, source });
        break;
      // Read above (node modes, pins, reservations) or by the decide stage (states): nothing here.
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
  const domain = new Int32Array(V).fill(-1);
  const domains: Uint8Array[] = [];
  const byKey = new Map<string, number>();
  const constraintList = instance.constraints.toArray();
  for (let k = 0; k < V; k++) {
    const t = touching[k]!;
    if (t.length === 0 || !running(k)) continue;
    const key = t.join(',');
    let d = byKey.get(key);
    if (d === undefined) {
      const mask = new Uint8Array(N).fill(1);
      for (const s of t) {
        const c = constraintList[s]!;
        if (c.type === 'ban') for (const n of indicesOf(ix.nodeIndex, c.nodes)) mask[n] = 0;
        else if (c.type === 'fence') {
          const keep = new Uint8Array(N);
          for (const n of indicesOf(ix.nodeIndex, c.nodes)) keep[n] = 1;
          for (let n = 0; n < N; n++) mask[n]! &= keep[n]!;
        } else if (c.type === 'among') {
          const keep = new Uint8Array(N);
          for (const g of amongShapes.get(s)!.groups) for (const n of g) keep[n] = 1;
          for (let n = 0; n < N; n++) mask[n]! &= keep[n]!;
        }
      }
      d = mask.every((b) => b === 1) ? -1 : domains.push(mask) - 1;
      byKey.set(key, d);
    }
    domain[k] = d;
  }

  const objectiveDense: DenseObjective =
    objective.type === 'consolidate'
      ? { kind: 'consolidate', powerOff }
      : objective.type === 'balance'
        ? { kind: 'balance', r: ix.resourceIndex.get(objective.resource ?? 'cpu') ?? 0 }
        : { kind: 'minMigrations' };

  const problem: DenseProblem = {
    nNodes: N,
    nVms: V,
    R,
    capacity: Float64Array.from(ix.effectiveCapacity),
    demand: Float64Array.from(ix.demand),
    moveCost,
    home,
    srcRunning: Uint8Array.from(ix.vmState, (st) => (st === RUNNING ? 1 : 0)),
    target: Uint8Array.from(target),
    pinned,
    domain,
    domains,
    vmVjob: Int32Array.from(ix.vmVjob),
    nodeMode,
    reservedFor,
    quarantined,
    spreads,
    gathers,
    amongs,
    splits,
    lonelies,
    resourceBounds,
    runningBounds,
    onlineBounds,
    objective: objectiveDense,
  };
  return { problem, ix, conflicts };
}

/**
 * Whether VM `v` fits alone on node `n` (every resource within capacity).
 * @param p - the problem
 * @param v - VM index
 * @param n - node index
 * @returns true when its demand fits the node's usable capacity
 */
export function fitsAlone(p: DenseProblem, v: number, n: number): boolean {
  const R = p.R;
  for (let r = 0; r < R; r++) if (p.demand[v * R + r]! > p.capacity[n * R + r]! + 1e-9) return false;
  return true;
}

/**
 * Whether node `n` may host running VM `v` by every per-VM and per-node rule: the node can be
 * online, the VM fits it alone, and ban / fence / among domains, reservations, quarantine, root
 * and pins allow it. (Rules linking several VMs are the solver's business.)
 *
 * @param p - the problem
 * @param v - VM index
 * @param n - node index
 * @returns true when the pair is allowed
 */
export function canHost(p: DenseProblem, v: number, n: number): boolean {
  return mayRunOn(p, v, n) && fitsAlone(p, v, n);
}

/**
 * {@link canHost} without the size check: whether the rules (not the capacity) let VM `v` run on
 * node `n`.
 * @param p - the problem
 * @param v - VM index
 * @param n - node index
 * @returns true when no per-VM or per-node rule forbids the pair
 */
export function mayRunOn(p: DenseProblem, v: number, n: number): boolean {
  if (p.nodeMode[n] === NODE_OFF) return false;
  const pin = p.pinned[v]!;
  if (pin >= 0 ? pin !== n : p.quarantined[n]) return false;
  const res = p.reservedFor[n]!;
  if (res !== -1 && res !== p.vmVjob[v]) return false;
  const d = p.domain[v]!;
  return d < 0 || p.domains[d]![n] === 1;
}

/**
 * The assignment of the source: each VM to be running in the target sits on its source host
 * when it runs there, else -1 (not placed yet); VMs not running in the target are -1.
 * @param p - the problem
 * @returns node index per VM
 */
export function sourceAssignment(p: DenseProblem): Int32Array {
  const a = new Int32Array(p.nVms).fill(-1);
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && p.srcRunning[v] && p.home[v]! >= 0) a[v] = p.home[v]!;
  return a;
}

/** Figures of an assignment. */
export interface AssignmentStats {
  /** Nodes hosting at least one running VM. */
  readonly nodesUsed: number;
  /** Memory of the VMs that run away from their source host (migrations). */
  readonly migratedMemory: number;
  /** Number of migrations. */
  readonly migrations: number;
  /** Sleeping VMs resumed on another node than the one holding their image. */
  readonly remoteResumes: number;
  /** Largest load ratio on the balance resource (`balance` objective), else 0. */
  readonly peakRatio: number;
}

/**
 * Counts used nodes, migrated memory and the peak load ratio of an assignment.
 * @param p - the problem
 * @param assign - node per VM (-1 when not running)
 * @returns the figures
 */
export function assignmentStats(p: DenseProblem, assign: Int32Array): AssignmentStats {
  const used = new Uint8Array(p.nNodes);
  let migratedMemory = 0;
  let migrations = 0;
  let remoteResumes = 0;
  const r = p.objective.kind === 'balance' ? p.objective.r : -1;
  const load = r >= 0 ? new Float64Array(p.nNodes) : undefined;
  for (let v = 0; v < p.nVms; v++) {
    const n = assign[v]!;
    if (n < 0) continue;
    used[n] = 1;
    if (p.srcRunning[v] && p.home[v] !== n) {
      migratedMemory += p.moveCost[v]!;
      migrations++;
    } else if (!p.srcRunning[v] && p.home[v]! >= 0 && p.home[v] !== n) remoteResumes++;
    if (load) load[n]! += p.demand[v * p.R + r]!;
  }
  let nodesUsed = 0;
  for (let n = 0; n < p.nNodes; n++) nodesUsed += used[n]!;
  let peakRatio = 0;
  if (load) {
    for (let n = 0; n < p.nNodes; n++) {
      const cap = p.capacity[n * p.R + r]!;
      if (p.nodeMode[n] === NODE_OFF) continue;
      if (cap > 0) peakRatio = Math.max(peakRatio, load[n]! / cap);
      else if (load[n]! > 0) peakRatio = Infinity;
    }
  }
  return { nodesUsed, migratedMemory, migrations, remoteResumes, peakRatio };
}

/**
 * The configuration an assignment describes: placed VMs run on their node; VMs whose target
 * is sleeping sleep on their source host; nodes end online or offline by their mode (a
 * {@link NODE_FREE} node is online exactly when it hosts a running VM).
 *
 * @param ix - the dense index naming nodes and VMs
 * @param p - the problem
 * @param assign - node per VM (-1 when not running)
 * @returns the configuration
 */
export function toConfiguration(ix: IndexedInstance, p: DenseProblem, assign: Int32Array): Configuration {
  const used = new Uint8Array(p.nNodes);
  const vms: [VmId, ReturnType<typeof placement>][] = [];
  for (let v = 0; v < p.nVms; v++) {
    const id = ix.vmIds[v]!;
    const state = VM_STATE_OF_CODE[p.target[v]!]!;
    if (state === 'running') {
      const n = assign[v]!;
      used[n] = 1;
      vms.push([id, placement('running', ix.nodeIds[n])]);
    } else if (state === 'sleeping') {
      const h = p.home[v]!;
      vms.push([id, placement('sleeping', h >= 0 ? ix.nodeIds[h] : undefined)]);
    } else {
      vms.push([id, placement(state)]);
    }
  }
  const nodes: [NodeId, NodeState][] = [];
  for (let n = 0; n < p.nNodes; n++) {
    const mode = p.nodeMode[n];
    const online = mode === NODE_KEEP || mode === NODE_ON || (mode === NODE_FREE && used[n] === 1);
    nodes.push([ix.nodeIds[n]!, online ? 'online' : 'offline']);
  }
  return new Configuration({ vms: IMap(vms), nodes: IMap(nodes) });
}

/**
 * The assignment a configuration describes (running VMs to their host's index, others -1).
 * @param ix - the dense index
 * @param configuration - the configuration
 * @returns node per VM
 */
export function fromConfiguration(ix: IndexedInstance, configuration: Configuration): Int32Array {
  const a = new Int32Array(ix.vmIds.length).fill(-1);
  for (const [id, pl] of configuration.vms) {
    if (pl.state !== 'running' || pl.host === undefined) continue;
    const v = ix.vmIndex.get(id);
    const n = ix.nodeIndex.get(pl.host);
    if (v !== undefined && n !== undefined) a[v] = n;
  }
  return a;
}

/** A constraint type no case handles: the compiler rejects the call (its argument is `never`). */
function unhandled(c: never): never {
  throw new Error(`constraint type not compiled: ${(c as { type: string }).type}`);
}
