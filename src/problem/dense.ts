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
import type { InfeasibleReason } from '../model/action.js';
import type { Constraint } from '../model/constraints.js';
import { groupsKey, sameGroups, type Groups } from '../util/groups.js';
import { compileConstraint, type AmongGroups, type ProblemBuilder } from './twins.js';

/**
 * The power mode of a node in the placement problem: the one node-mode type every solver reads.
 * - `Off`: hosts nothing in the target (offline and staying so, or an `offline` constraint);
 * - `Keep`: online in the source and stays online whatever it hosts;
 * - `Free`: online in the target exactly when it hosts a running VM (`consolidate` with
 *   `powerOff`), or, inside a `maxOnline` set, online when it hosts a VM or as it was while the
 *   bound allows;
 * - `On`: must end online (an `online` constraint).
 */
export const NodeMode = { Off: 0, Keep: 1, Free: 2, On: 3 } as const;
/** One of {@link NodeMode}'s values (a typed-array cell of `nodeMode`). */
export type NodeMode = (typeof NodeMode)[keyof typeof NodeMode];

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
  /** {@link NodeMode} per node. */
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

/**
 * A rule of the instance that no placement can meet, found by an encoder or a repair (VM and
 * node indices).
 */
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

/** What {@link compileProblem} returns. */
export interface CompiledProblem {
  readonly problem: DenseProblem;
  readonly ix: IndexedInstance;
  /**
   * Rules that cannot hold whatever the placement: a node both `online` and `offline`, more
   * nodes forced online than a `maxOnline` allows. Each names the nodes and constraints at fault.
   */
  readonly reasons: readonly InfeasibleReason[];
}

/** Options of {@link compileProblem}. */
export interface CompileOptions {
  /** Target state per VM ({@link VM_STATE_CODE}); default {@link defaultTargetStates}. */
  readonly states?: Uint8Array;
  /** A dense index of the instance already built. */
  readonly index?: IndexedInstance;
  /** Keep only the constraints for which this returns true (used to explain infeasibility). */
  readonly include?: (ci: number, c: Constraint) => boolean;
}

function uniqueIndices(map: ReadonlyMap<string, number>, ids: readonly string[]): Int32Array {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const id of ids) {
    const k = map.get(id);
    if (k !== undefined && !seen.has(k)) {
      seen.add(k);
      out.push(k);
    }
  }
  return Int32Array.from(out);
}

/**
 * Compiles the one dense placement problem of an instance: every constraint goes through its
 * solver twin ({@link TWINS}), then node modes, pins and static domains are settled.
 *
 * @param instance - the instance
 * @param options - target states (default: {@link defaultTargetStates}), a prebuilt index, a constraint filter
 * @returns the problem, the index that names its nodes and VMs, and the rules no placement can meet
 * @example
 * ```ts
 * const { problem, ix } = compileProblem(instance);
 * problem.nodeMode[ix.nodeIndex.get('n1')!] === NodeMode.Keep;
 * ```
 */
export function compileProblem(instance: Instance, options: CompileOptions = {}): CompiledProblem {
  const ix = options.index ?? indexInstance(instance);
  const N = ix.nodeIds.length;
  const V = ix.vmIds.length;
  const R = ix.resources.length;
  const target = options.states ?? defaultTargetStates(instance, ix);
  const include = options.include;
  const objective = objectiveOf(instance);

  const moveCost = new Float64Array(V);
  const home = Int32Array.from(ix.vmHost);
  for (let k = 0; k < V; k++) {
    if (ix.vmState[k] === RUNNING && ix.memory >= 0) moveCost[k] = ix.demand[k * R + ix.memory]!;
    if (ix.vmState[k] !== RUNNING && ix.vmState[k] !== VM_STATE_CODE.sleeping) home[k] = -1;
  }

  const forcedOn = new Int32Array(N).fill(-1);
  const forcedOff = new Int32Array(N).fill(-1);
  const reservedFor = new Int32Array(N).fill(-1);
  const quarantined = new Uint8Array(N);
  const pinned = new Int32Array(V).fill(-1);
  const touching: number[][] = Array.from({ length: V }, () => []);
  // Restrictions by identity of their mask function: constraints that pass the same function (every
  // among over the same groups) restrict alike, so their VMs share one domain.
  const restrictionIds = new Map<() => Uint8Array, number>();
  const restrictions: (() => Uint8Array)[] = [];
  // Group lists are often repeated across among constraints: compile each distinct one once.
  const shapes = new Map<string, { source: Groups; shape: AmongGroups }[]>();
  const b: ProblemBuilder = {
    instance,
    ix,
    target,
    nodesOf: (ids) => uniqueIndices(ix.nodeIndex, ids),
    vmsOf: (ids) => uniqueIndices(ix.vmIndex, ids),
    runningOf: (ids) => uniqueIndices(ix.vmIndex, ids).filter((v) => target[v] === RUNNING),
    amongGroups(list) {
      const key = groupsKey(list);
      const entries = shapes.get(key) ?? [];
      const hit = entries.find((e) => sameGroups(e.source, list));
      if (hit) return hit.shape;
      const groups = list.map((g) => uniqueIndices(ix.nodeIndex, g));
      let nodeGroup: Int32Array | undefined = new Int32Array(N).fill(-1);
      groups.forEach((g, gi) => {
        for (const n of g) {
          if (nodeGroup && nodeGroup[n] !== -1 && nodeGroup[n] !== gi) nodeGroup = undefined;
          else if (nodeGroup) nodeGroup[n] = gi;
        }
      });
      const shape = { groups, nodeGroup };
      entries.push({ source: list, shape });
      shapes.set(key, entries);
      return shape;
    },
    forceOnline(nodes, ci) {
      for (const n of nodes) forcedOn[n] = ci;
    },
    forceOffline(nodes, ci) {
      for (const n of nodes) forcedOff[n] = ci;
    },
    quarantine(nodes) {
      for (const n of nodes) quarantined[n] = 1;
    },
    reserve(nodes, j) {
      for (const n of nodes) reservedFor[n] = reservedFor[n] === -1 || reservedFor[n] === j ? j : -2;
    },
    pinHome(vms) {
      for (const v of vms) if (home[v]! >= 0) pinned[v] = home[v]!;
    },
    restrict(vms, ci, allowed) {
      let id = restrictionIds.get(allowed);
      if (id === undefined) {
        id = restrictions.push(allowed) - 1;
        restrictionIds.set(allowed, id);
      }
      for (const v of vms) {
        const t = touching[v]!;
        if (!t.includes(id)) t.push(id);
      }
    },
    spreads: [],
    gathers: [],
    amongs: [],
    splits: [],
    lonelies: [],
    resourceBounds: [],
    runningBounds: [],
    onlineBounds: [],
    reasons: [],
  };
  instance.constraints.forEach((c, ci) => {
    if (include === undefined || include(ci, c)) compileConstraint(c, ci, b);
  });

  // A VM running or sleeping on a quarantined node keeps that node if it runs in the target.
  for (let v = 0; v < V; v++) if (home[v]! >= 0 && quarantined[home[v]!]) pinned[v] = home[v]!;

  // Node modes.
  const powerOff = objective.type === 'consolidate' && objective.powerOff === true;
  const inMaxOnline = new Uint8Array(N);
  for (const ob of b.onlineBounds) for (const n of ob.nodes) inMaxOnline[n] = 1;
  const nodeMode = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    if (forcedOff[n]! >= 0 && forcedOn[n]! >= 0) {
      b.reasons.push({
        message: `node "${ix.nodeIds[n]!}" must end both online (constraint #${forcedOn[n]!}) and offline (constraint #${forcedOff[n]!})`,
        nodes: [ix.nodeIds[n]!],
        constraints: [forcedOn[n]!, forcedOff[n]!],
      });
    }
    if (forcedOff[n]! >= 0) nodeMode[n] = NodeMode.Off;
    else if (forcedOn[n]! >= 0) nodeMode[n] = NodeMode.On;
    else if (ix.nodeOnline[n]) nodeMode[n] = powerOff || inMaxOnline[n] ? NodeMode.Free : NodeMode.Keep;
    else nodeMode[n] = powerOff ? NodeMode.Free : NodeMode.Off;
  }
  for (const ob of b.onlineBounds) {
    const forced = [...ob.nodes].filter((n) => nodeMode[n] === NodeMode.On);
    if (forced.length <= ob.amount) continue;
    b.reasons.push({
      message: `maxOnline (constraint #${ob.source}) allows ${ob.amount} online node(s) among ${ob.nodes.length}, but ${forced.length} must end online: ${forced.map((n) => `"${ix.nodeIds[n]!}"`).join(', ')}`,
      nodes: forced.map((n) => ix.nodeIds[n]!),
      constraints: [ob.source, ...new Set(forced.map((n) => forcedOn[n]!))],
    });
  }

  // Static domains, shared between VMs under the same restricting constraints.
  const domain = new Int32Array(V).fill(-1);
  const domains: Uint8Array[] = [];
  const byKey = new Map<string, number>();
  for (let v = 0; v < V; v++) {
    const t = touching[v]!;
    if (t.length === 0 || target[v] !== RUNNING) continue;
    const key = t.length === 1 ? String(t[0]) : [...t].sort((x, y) => x - y).join(',');
    let d = byKey.get(key);
    if (d === undefined) {
      const mask = new Uint8Array(N).fill(1);
      for (const ri of t) {
        const allowed = restrictions[ri]!();
        for (let n = 0; n < N; n++) mask[n]! &= allowed[n]!;
      }
      d = mask.every((x) => x === 1) ? -1 : domains.push(mask) - 1;
      byKey.set(key, d);
    }
    domain[v] = d;
  }

  // Balancing a resource no VM or node names: every load is 0, so only balance's second term
  // (migrated memory) is left, which is minMigrations.
  const balanceR = objective.type === 'balance' ? ix.resourceIndex.get(objective.resource ?? 'cpu') : undefined;
  const objectiveDense: DenseObjective =
    objective.type === 'consolidate'
      ? { kind: 'consolidate', powerOff }
      : objective.type === 'balance' && balanceR !== undefined
        ? { kind: 'balance', r: balanceR }
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
    spreads: b.spreads,
    gathers: b.gathers,
    amongs: b.amongs,
    splits: b.splits,
    lonelies: b.lonelies,
    resourceBounds: b.resourceBounds,
    runningBounds: b.runningBounds,
    onlineBounds: b.onlineBounds,
    objective: objectiveDense,
  };
  return { problem, ix, reasons: b.reasons };
}

/**
 * The nodes that may host VMs in the target (every mode but {@link NodeMode} `Off`).
 * @param p - the problem
 * @returns how many there are
 * @example
 * ```ts
 * usableNodes(compileProblem(instance).problem);
 * ```
 */
export function usableNodes(p: DenseProblem): number {
  let n = 0;
  for (let i = 0; i < p.nNodes; i++) if (p.nodeMode[i] !== NodeMode.Off) n++;
  return n;
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
  if (p.nodeMode[n] === NodeMode.Off) return false;
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
      if (p.nodeMode[n] === NodeMode.Off) continue;
      if (cap > 0) peakRatio = Math.max(peakRatio, load[n]! / cap);
      else if (load[n]! > 0) peakRatio = Infinity;
    }
  }
  return { nodesUsed, migratedMemory, migrations, remoteResumes, peakRatio };
}

/**
 * The configuration an assignment describes (the one configuration builder of every solver):
 * placed VMs run on their node; VMs whose target is sleeping sleep where their image lies;
 * nodes end online or offline by their mode. An unused {@link NodeMode} `Free` node goes
 * offline under `consolidate` + `powerOff` (or when it was offline), else stays as it was while
 * every `maxOnline` it belongs to has room.
 *
 * @param ix - the dense index naming nodes and VMs
 * @param p - the problem
 * @param assign - node per VM (-1 when not running)
 * @returns the configuration
 * @example
 * ```ts
 * const { problem, ix } = compileProblem(instance);
 * toConfiguration(ix, problem, sourceAssignment(problem)).hostOf('vm1');
 * ```
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
  const powerOff = p.objective.kind === 'consolidate' && p.objective.powerOff;
  const onlineOf = (mode: number, n: number): boolean => mode === NodeMode.Keep || mode === NodeMode.On || used[n] === 1;
  const online = p.onlineBounds.map((ob) => ob.nodes.reduce((acc, n) => acc + (onlineOf(p.nodeMode[n]!, n) ? 1 : 0), 0));
  const boundsOf: number[][] = Array.from({ length: p.nNodes }, () => []);
  p.onlineBounds.forEach((ob, i) => {
    for (const n of ob.nodes) boundsOf[n]!.push(i);
  });
  const nodes: [NodeId, NodeState][] = [];
  for (let n = 0; n < p.nNodes; n++) {
    const mode = p.nodeMode[n]!;
    let on = mode !== NodeMode.Off && onlineOf(mode, n);
    if (!on && mode === NodeMode.Free && !powerOff && ix.nodeOnline[n] === 1) {
      const sets = boundsOf[n]!;
      on = sets.every((i) => online[i]! + 1 <= p.onlineBounds[i]!.amount);
      if (on) for (const i of sets) online[i]!++;
    }
    nodes.push([ix.nodeIds[n]!, on ? 'online' : 'offline']);
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

/**
 * The same problem with other target states, where every VM running in `states` also runs in
 * `p.target` (e.g. the decide stage's candidates narrowed to the admitted vjobs): the rules'
 * lists lose the VMs that no longer run, as if compiled afresh with `states`.
 *
 * @param p - a problem compiled with every VM that may run running
 * @param states - the new target state of every VM ({@link VM_STATE_CODE})
 * @returns the problem for `states` (`p` itself when the running VMs are the same)
 * @example
 * ```ts
 * const narrowed = restrictProblem(problem, decisionStates);
 * ```
 */
export function restrictProblem(p: DenseProblem, states: Uint8Array): DenseProblem {
  let same = true;
  for (let v = 0; v < p.nVms && same; v++) if ((states[v] === RUNNING) !== (p.target[v] === RUNNING)) same = false;
  if (same) return { ...p, target: Uint8Array.from(states) };
  const runs = (v: number): boolean => states[v] === RUNNING;
  const keep = (vms: Int32Array): Int32Array => vms.filter(runs);
  const spreads = p.spreads.map((c) => ({ ...c, vms: keep(c.vms) })).filter((c) => c.vms.length > 1);
  const gathers = p.gathers.map((c) => ({ ...c, vms: keep(c.vms) })).filter((c) => c.vms.length > 1);
  const amongs = p.amongs.map((c) => ({ ...c, vms: keep(c.vms) })).filter((c) => c.vms.length > 0);
  const splits = p.splits.map((c) => ({ ...c, groups: c.groups.map(keep).filter((g) => g.length > 0) })).filter((c) => c.groups.length > 1);
  const lonelies = p.lonelies.map((c) => ({ ...c, vms: keep(c.vms) })).filter((c) => c.vms.length > 0);
  const domain = Int32Array.from(p.domain, (d, v) => (runs(v) ? d : -1));
  return { ...p, target: Uint8Array.from(states), domain, spreads, gathers, amongs, splits, lonelies };
}
