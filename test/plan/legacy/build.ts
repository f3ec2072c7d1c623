/** Frozen copy of src/plan/build.ts before the speed work (issue 18): the oracle of test/plan/planner.legacy.test.ts. */
/**
 * From a source and a target to the actions between them (internal): one action per VM whose
 * state or host changes (FORMAT.md state machine), node boots and shutdowns, and the explicit
 * precedences between them. Also compiles what the scheduler needs of the continuous
 * constraints (spread sets, pivot masks for ban/fence/among, root VMs, quarantined nodes).
 */
import { checkConfiguration } from '../../constraints/legacy-check.js';
import type { Configuration } from '../../../src/model/configuration.js';
import { indexInstance, VM_STATE_CODE, type IndexedInstance } from '../../../src/model/indexed.js';
import type { Instance } from '../../../src/model/instance.js';
import type { ResolvedLimits } from '../../../src/model/objective.js';
import { askDuration, type DurationModel } from '../../../src/plan/durations.js';
import { ActionGraph, BOOT, BOOT_NODE, isArrival, KIND_TYPE, MIGRATE, RESUME, SHUTDOWN, SHUTDOWN_NODE, SUSPEND } from '../../../src/plan/graph.js';
import { configurationFromTarget, targetFromConfiguration } from './target.js';
import type { InfeasibleReason } from '../../../src/model/action.js';

const W = VM_STATE_CODE.waiting;
const R_ = VM_STATE_CODE.running;
const S = VM_STATE_CODE.sleeping;
const T = VM_STATE_CODE.terminated;

/** Everything the scheduler needs to know about one planning problem (internal). */
export interface PlanProblem {
  readonly instance: Instance;
  /** Dense view of the source. */
  readonly ix: IndexedInstance;
  /** Target state code and host of every VM, online flag of every node. */
  readonly tState: Uint8Array;
  readonly tHost: Int32Array;
  readonly tOnline: Uint8Array;
  readonly graph: ActionGraph;
  /** 1 for nodes some action shuts down (never pivots). */
  readonly shutsDown: Uint8Array;
  readonly rootVm: Uint8Array;
  readonly quarantined: Uint8Array;
  /** Per VM: ids of the spread sets (of at least two VMs) it belongs to. */
  readonly spreadOf: readonly (readonly number[])[];
  /** Per VM: node masks (1 = allowed) a pivot must satisfy: continuous ban, fence, among. */
  readonly pivotMasks: readonly (readonly Uint8Array[])[];
  readonly limits: ResolvedLimits;
  /** Memory of each VM (0 when it names none). */
  readonly vmMemory: Float64Array;
  /** VMs suspended and resumed because a continuous `among` set must switch groups. */
  readonly groupSwitches: number;
  /** Duration of a VM action of kind `kind` (graph code) from the model. */
  readonly duration: (kind: number, vm: number, from: number, to: number) => number;
}

/** The outcome of {@link buildPlanGraph}. */
export type BuildOutcome = { readonly ok: true; readonly problem: PlanProblem } | { readonly ok: false; readonly reasons: InfeasibleReason[] };

function uniqInts(xs: Iterable<number | undefined>): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const x of xs) {
    if (x === undefined || seen.has(x)) continue;
    seen.add(x);
    out.push(x);
  }
  return out;
}

/** The target as a configuration listing every VM and node of the instance (missing ones keep their source state). */
function completeTarget(instance: Instance, target: Configuration): Configuration {
  let complete = target.vms.size === instance.vms.size && target.nodes.size === instance.nodes.size;
  if (complete) for (const id of instance.vms.keys()) if (!target.vms.has(id)) complete = false;
  if (complete) for (const id of instance.nodes.keys()) if (!target.nodes.has(id)) complete = false;
  return complete ? target : configurationFromTarget(instance, targetFromConfiguration(instance, target));
}

/**
 * Derives the actions from the difference between the source and `target`, or the reasons why no
 * plan can reach `target`.
 * @param instance - the instance (its VMs and nodes are the source)
 * @param target - the configuration to reach
 * @param model - the duration model
 * @param limits - concurrency limits
 * @param validate - also check `target` against every constraint, capacity and state rule
 * @returns the problem, or the reasons
 */
export function buildPlanGraph(
  instance: Instance,
  target: Configuration,
  model: DurationModel,
  limits: ResolvedLimits,
  validate: boolean,
): BuildOutcome {
  const ix = indexInstance(instance);
  const N = ix.nodeIds.length;
  const V = ix.vmIds.length;
  const reasons: InfeasibleReason[] = [];

  for (const [id, p] of target.vms) {
    if (!ix.vmIndex.has(id)) reasons.push({ message: `the target names unknown VM ${id}`, vms: [id] });
    else if (p.host !== undefined && (p.state === 'running' || p.state === 'sleeping') && !ix.nodeIndex.has(p.host)) {
      reasons.push({ message: `the target puts ${id} on unknown node ${p.host}`, vms: [id], nodes: [p.host] });
    }
  }
  for (const id of target.nodes.keys()) if (!ix.nodeIndex.has(id)) reasons.push({ message: `the target names unknown node ${id}`, nodes: [id] });
  if (reasons.length > 0) return { ok: false, reasons };

  const full = completeTarget(instance, target);
  if (validate) {
    for (const x of checkConfiguration(instance, full)) {
      reasons.push({
        message: `the target is not acceptable: ${x.message}`,
        ...(x.vms ? { vms: x.vms } : {}),
        ...(x.nodes ? { nodes: x.nodes } : {}),
        ...(x.constraint !== undefined ? { constraints: [x.constraint] } : {}),
      });
    }
    if (reasons.length > 0) return { ok: false, reasons };
  }
  // Target states and hosts on the dense index (no second full index of the instance).
  const tState = Uint8Array.from(ix.vmState);
  const tHost = Int32Array.from(ix.vmHost);
  const tOnline = Uint8Array.from(ix.nodeOnline);
  for (const [id, p] of full.vms) {
    const v = ix.vmIndex.get(id)!;
    tState[v] = VM_STATE_CODE[p.state];
    tHost[v] = (p.state === 'running' || p.state === 'sleeping') && p.host !== undefined ? ix.nodeIndex.get(p.host)! : -1;
  }
  for (const [id, st] of full.nodes) tOnline[ix.nodeIndex.get(id)!] = st === 'online' ? 1 : 0;

  const vmObjs = [...instance.vms.values()];
  const nodeObjs = [...instance.nodes.values()];
  const R = ix.resources.length;
  const vmMemory = new Float64Array(V);
  if (ix.memory >= 0) for (let v = 0; v < V; v++) vmMemory[v] = ix.demand[v * R + ix.memory]!;

  const duration = (kind: number, vm: number, from: number, to: number): number => {
    const type = KIND_TYPE[kind]!;
    const node = kind === BOOT_NODE ? to : kind === SHUTDOWN_NODE ? from : -1;
    return askDuration(
      model,
      {
        type,
        ...(vm >= 0 ? { vm: vmObjs[vm]! } : {}),
        ...(from >= 0 ? { from: nodeObjs[from]! } : {}),
        ...(to >= 0 ? { to: nodeObjs[to]! } : {}),
        ...(node >= 0 ? { node: nodeObjs[node]! } : {}),
      },
      instance,
    );
  };

  // Continuous constraints.
  const rootVm = new Uint8Array(V);
  const quarantined = new Uint8Array(N);
  const spreadOf: number[][] = Array.from({ length: V }, () => []);
  const pivotMasks: Uint8Array[][] = Array.from({ length: V }, () => []);
  const askedToEnd = new Uint8Array(V);
  for (let v = 0; v < V; v++) if (vmObjs[v]!.wants === 'terminated') askedToEnd[v] = 1;
  const forceSuspend = new Uint8Array(V);
  const barriers: { members: number[]; outsiders: number[]; constraint: number }[] = [];
  let spreads = 0;
  const vmsOf = (ids: readonly string[]): number[] => uniqInts(ids.map((id) => ix.vmIndex.get(id)));
  const nodesOf = (ids: readonly string[]): number[] => uniqInts(ids.map((id) => ix.nodeIndex.get(id)));
  instance.constraints.forEach((c, ci) => {
    switch (c.type) {
      case 'root':
        for (const v of vmsOf(c.vms)) rootVm[v] = 1;
        break;
      case 'quarantine':
        for (const n of nodesOf(c.nodes)) quarantined[n] = 1;
        break;
      case 'terminated':
        for (const v of vmsOf(c.vms)) askedToEnd[v] = 1;
        break;
      case 'spread': {
        const members = vmsOf(c.vms);
        if (members.length < 2) break;
        const s = spreads++;
        for (const v of members) spreadOf[v]!.push(s);
        break;
      }
      case 'ban':
      case 'fence': {
        if (c.continuous !== true) break;
        const mask = new Uint8Array(N).fill(c.type === 'ban' ? 1 : 0);
        for (const n of nodesOf(c.nodes)) mask[n] = c.type === 'ban' ? 0 : 1;
        for (const v of vmsOf(c.vms)) pivotMasks[v]!.push(mask);
        break;
      }
      case 'among': {
        if (c.continuous !== true) break;
        const members = vmsOf(c.vms);
        const targetHosts = uniqInts(members.filter((v) => tState[v] === R_).map((v) => tHost[v]!));
        if (targetHosts.length === 0) break; // no member runs at the end: members only leave
        const groups = c.groups.map((g) => new Set(nodesOf(g)));
        let best: Set<number> | undefined;
        let bestInside = -1;
        for (const g of groups) {
          if (!targetHosts.every((n) => g.has(n))) continue;
          let inside = 0;
          for (const v of members) if (ix.vmState[v] === R_ && g.has(ix.vmHost[v]!)) inside++;
          if (inside > bestInside) {
            best = g;
            bestInside = inside;
          }
        }
        if (best === undefined) {
          reasons.push({
            message: `among #${ci}: the target runs ${members.filter((v) => tState[v] === R_).map((v) => ix.vmIds[v]!).join(', ')} outside any one group`,
            vms: members.map((v) => ix.vmIds[v]!),
            constraints: [ci],
          });
          break;
        }
        const mask = new Uint8Array(N);
        for (const n of best) mask[n] = 1;
        for (const v of members) pivotMasks[v]!.push(mask);
        const group = best;
        const outsiders = members.filter((v) => ix.vmState[v] === R_ && !group.has(ix.vmHost[v]!));
        if (outsiders.length > 0) {
          // The set must switch groups: every member outside the target's group stops first
          // (suspended, and resumed inside the group if it runs in the target); no member arrives
          // anywhere before they have all stopped.
          for (const v of outsiders) if (tState[v] === R_) forceSuspend[v] = 1;
          barriers.push({ members, outsiders, constraint: ci });
        }
        break;
      }
      // Discrete only here, or checked at the end: nothing to schedule around.
      case 'gather':
      case 'split':
      case 'lonely':
      case 'overbook':
      case 'resourceCapacity':
      case 'runningCapacity':
      case 'maxOnline':
      case 'online':
      case 'offline':
      case 'reserved':
      case 'running':
      case 'sleeping':
        break;
      default:
        return unhandled(c);
    }
  });

  const graph = new ActionGraph();
  const bootNodeOf = new Int32Array(N).fill(-1);
  const shutdownNodeOf = new Int32Array(N).fill(-1);
  const shutsDown = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    if (!ix.nodeOnline[n] && tOnline[n]) bootNodeOf[n] = graph.add(BOOT_NODE, -1, -1, n, duration(BOOT_NODE, -1, -1, n));
    if (ix.nodeOnline[n] && !tOnline[n]) {
      shutdownNodeOf[n] = graph.add(SHUTDOWN_NODE, -1, n, -1, duration(SHUTDOWN_NODE, -1, n, -1));
      shutsDown[n] = 1;
    }
  }
  /** Makes sure the image on an offline node can be read: boot it (and shut it down after, if it ends offline). */
  const readable = (n: number): void => {
    if (ix.nodeOnline[n] || bootNodeOf[n]! >= 0) return;
    bootNodeOf[n] = graph.add(BOOT_NODE, -1, -1, n, duration(BOOT_NODE, -1, -1, n));
    shutdownNodeOf[n] = graph.add(SHUTDOWN_NODE, -1, n, -1, duration(SHUTDOWN_NODE, -1, n, -1));
    shutsDown[n] = 1;
    graph.edge(bootNodeOf[n]!, shutdownNodeOf[n]!);
  };

  const vmActions: number[][] = Array.from({ length: V }, () => []);
  let groupSwitches = 0;
  const name = (v: number): string => ix.vmIds[v]!;
  const node = (n: number): string => ix.nodeIds[n]!;
  const illegal = (v: number, why: string, nodes: number[] = []): void => {
    reasons.push({ message: `${name(v)}: ${why}`, vms: [name(v)], ...(nodes.length > 0 ? { nodes: nodes.map(node) } : {}) });
  };
  const stateName = ['waiting', 'running', 'sleeping', 'terminated'];
  const add = (v: number, kind: number, from: number, to: number): number => {
    const a = graph.add(kind, v, from, to, duration(kind, v, from, to));
    vmActions[v]!.push(a);
    return a;
  };
  const remoteResumeOk = (v: number, from: number, to: number): boolean => {
    if (from === to) return true;
    if (rootVm[v]) {
      illegal(v, `a root VM cannot be resumed on another node (${node(from)} → ${node(to)})`, [from, to]);
      return false;
    }
    if (quarantined[from] || quarantined[to]) {
      illegal(v, `its image cannot move ${node(from)} → ${node(to)}: a quarantined node`, [from, to]);
      return false;
    }
    return true;
  };

  for (let v = 0; v < V; v++) {
    const s = ix.vmState[v]!;
    const hs = ix.vmHost[v]!;
    const t = tState[v]!;
    const ht = tHost[v]!;
    if ((s === R_ || s === S) && hs < 0) {
      illegal(v, `is ${stateName[s]} but has no host`);
      continue;
    }
    if ((t === R_ || t === S) && ht < 0) {
      illegal(v, `the target has it ${stateName[t]} without a host`);
      continue;
    }
    if (t === R_ && !tOnline[ht]) {
      illegal(v, `the target runs it on ${node(ht)}, which ends offline`, [ht]);
      continue;
    }
    if (s === t && (s === W || s === T || hs === ht) && !forceSuspend[v]) continue;
    if (s === R_ && t === R_) {
      if (forceSuspend[v]) {
        if (!remoteResumeOk(v, hs, ht)) continue;
        const sus = add(v, SUSPEND, hs, -1);
        const res = add(v, RESUME, hs, ht);
        graph.edge(sus, res);
        groupSwitches++;
      } else if (rootVm[v]) {
        illegal(v, `a root VM cannot migrate (${node(hs)} → ${node(ht)})`, [hs, ht]);
      } else if (quarantined[hs] || quarantined[ht]) {
        illegal(v, `cannot migrate ${node(hs)} → ${node(ht)}: a quarantined node`, [hs, ht]);
      } else add(v, MIGRATE, hs, ht);
    } else if (s === R_ && t === S) {
      if (ht !== hs) illegal(v, `can only sleep where it runs (${node(hs)}), not on ${node(ht)}`, [hs, ht]);
      else add(v, SUSPEND, hs, -1);
    } else if (s === R_ && t === T) {
      if (!askedToEnd[v]) illegal(v, 'the target terminates it but neither its wants nor a terminated constraint asks for it');
      else add(v, SHUTDOWN, hs, -1);
    } else if (s === W && t === R_) {
      if (quarantined[ht]) illegal(v, `cannot boot on quarantined node ${node(ht)}`, [ht]);
      else add(v, BOOT, -1, ht);
    } else if (s === S && t === R_) {
      if (!remoteResumeOk(v, hs, ht)) continue;
      if (hs !== ht) readable(hs);
      add(v, RESUME, hs, ht);
    } else {
      const where = (st: number, h: number): string => `${stateName[st]}${(st === R_ || st === S) && h >= 0 ? ` on ${node(h)}` : ''}`;
      illegal(v, `no action leads from ${where(s, hs)} to ${where(t, ht)}`);
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };

  // Node precedences: arrivals after the node boots; remote resumes after the image's node
  // boots; the node shuts down once every VM has left it and every image read from it is read.
  for (let a = 0; a < graph.size; a++) {
    const k = graph.kind[a]!;
    if (k === BOOT_NODE || k === SHUTDOWN_NODE) continue;
    const from = graph.from[a]!;
    const to = graph.to[a]!;
    if (isArrival(k) && bootNodeOf[to]! >= 0) graph.edge(bootNodeOf[to]!, a);
    if (from >= 0 && (k !== RESUME || from !== to)) {
      if (k === RESUME && bootNodeOf[from]! >= 0) graph.edge(bootNodeOf[from]!, a);
      if (shutdownNodeOf[from]! >= 0) graph.edge(a, shutdownNodeOf[from]!);
    }
  }
  // among barriers: members outside the target's group stop before any member arrives.
  for (const b of barriers) {
    const leaves: number[] = [];
    for (const v of b.outsiders) for (const a of vmActions[v]!) if (graph.kind[a] === SUSPEND || graph.kind[a] === SHUTDOWN) leaves.push(a);
    for (const v of b.members) {
      for (const a of vmActions[v]!) if (isArrival(graph.kind[a]!)) for (const l of leaves) graph.edge(l, a);
    }
  }

  return {
    ok: true,
    problem: {
      instance, ix, tState, tHost, tOnline, graph, shutsDown, rootVm, quarantined, spreadOf, pivotMasks, limits, vmMemory, groupSwitches, duration,
    },
  };
}

/** A constraint type no case handles: the compiler rejects the call (its argument is `never`). */
function unhandled(c: never): never {
  throw new Error(`constraint type not planned: ${(c as { type: string }).type}`);
}
