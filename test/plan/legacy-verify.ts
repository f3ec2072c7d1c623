/**
 * Frozen copy of src/plan/verify.ts before the speed work (issue 18): the oracle the fast
 * verifier is held to, violation for violation (test/plan/verify.legacy.test.ts).
 */
import { Map as IMap } from 'immutable';
import { checkAction, checkConfiguration, checkInstant, continuousConstraints } from '../constraints/legacy-check.js';
import { specFor } from '../../src/constraints/registry.js';
import type { InstantView, Violation } from '../../src/constraints/spec.js';
import { Configuration, placement } from '../../src/model/configuration.js';
import type { NodeId, VmId } from '../../src/model/ids.js';
import { indexInstance, VM_STATE_CODE, VM_STATE_OF_CODE, type IndexedInstance } from '../../src/model/indexed.js';
import { limitsOf, type Instance } from '../../src/model/instance.js';
import type { NodeState } from '../../src/model/node.js';
import { afterCycles, afterOf, positionsById, timeline, timeSlack } from './legacy-replay.js';
import { type FeasiblePlan, type Plan, type PlanStats } from '../../src/plan/types.js';
import { nodesOfAction, type Action } from '../../src/model/action.js';

/** The verdict on a plan. */
export interface Verification {
  /** True when the plan is valid for the instance (no violation). */
  readonly ok: boolean;
  /** Every violation found, in a stable order: actions, `after`, the replay in time order, the target, the stats. */
  readonly violations: readonly Violation[];
  /** The configuration the replay ends in (absent for an infeasible plan, which has nothing to replay). */
  readonly final?: Configuration;
}

const WAITING = VM_STATE_CODE.waiting;
const RUNNING = VM_STATE_CODE.running;
const SLEEPING = VM_STATE_CODE.sleeping;
const TERMINATED = VM_STATE_CODE.terminated;
const ACTION_KINDS = new Set<string>(['migrate', 'boot', 'shutdown', 'suspend', 'resume', 'bootNode', 'shutdownNode']);

/** A short description of an action for messages: `action 3 (migrate vm1 n1→n2)`. */
function describe(a: Action): string {
  switch (a.type) {
    case 'migrate':
    case 'resume':
      return `action ${a.id} (${a.type} ${a.vm} ${a.from}→${a.to})`;
    case 'boot':
      return `action ${a.id} (boot ${a.vm} on ${a.to})`;
    case 'shutdown':
    case 'suspend':
      return `action ${a.id} (${a.type} ${a.vm} on ${a.from})`;
    case 'bootNode':
    case 'shutdownNode':
      return `action ${a.id} (${a.type} ${a.node})`;
    default:
      return `action ${String((a as { id?: unknown }).id)} (${String((a as { type?: unknown }).type)})`;
  }
}

/** The VM an action works on, if any. */
function vmOf(a: Action): VmId | undefined {
  return a.type === 'bootNode' || a.type === 'shutdownNode' ? undefined : a.vm;
}


/** Builds a violation about action `a` (its VM, nodes, id and start time filled in). */
function actionViolation(code: string, a: Action, text: string, time?: number): Violation {
  const vm = vmOf(a);
  const t = time ?? a.start;
  return {
    code,
    message: `${describe(a)}${Number.isFinite(t) ? ` at t=${t}` : ''}: ${text}`,
    ...(vm === undefined ? {} : { vms: [vm] }),
    nodes: nodesOfAction(a),
    action: a.id,
    ...(Number.isFinite(t) ? { time: t } : {}),
  };
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Whether load `l` exceeds bound `b` (relative tolerance 1e-9, as the constraint checks use). */
function over(l: number, b: number): boolean {
  return l > b + 1e-9 * Math.max(1, Math.abs(b));
}

/**
 * Checks the actions one by one, before any replay: known type, finite times with
 * `0 ≤ start ≤ end`, unique ids, known VMs and nodes.
 * @returns per action, whether it can be replayed
 */
function checkShapes(ix: IndexedInstance, actions: readonly Action[], out: Violation[]): Uint8Array {
  const replayable = new Uint8Array(actions.length);
  for (const [id, where] of positionsById(actions)) {
    if (where.length > 1) {
      out.push({
        code: 'illegal-action',
        message: `action id ${id} is used by ${where.length} actions (positions ${where.join(', ')})`,
        action: id,
      });
    }
  }
  actions.forEach((a, i) => {
    if (!ACTION_KINDS.has(a.type)) {
      out.push({ code: 'illegal-action', message: `${describe(a)}: unknown action type`, action: a.id });
      return;
    }
    let ok = true;
    if (!Number.isInteger(a.id)) out.push(actionViolation('illegal-action', a, `id ${a.id} is not an integer`));
    if (!Number.isFinite(a.start) || !Number.isFinite(a.end)) {
      out.push(actionViolation('illegal-action', a, `start ${a.start} and end ${a.end} must be finite numbers`, NaN));
      ok = false;
    } else {
      if (a.start < 0) out.push(actionViolation('illegal-action', a, `starts before 0 (start ${a.start})`));
      if (a.end < a.start) out.push(actionViolation('illegal-action', a, `ends (t=${a.end}) before it starts`));
    }
    const vm = vmOf(a);
    if (vm !== undefined && !ix.vmIndex.has(vm)) {
      out.push(actionViolation('illegal-action', a, `unknown VM ${vm}`));
      ok = false;
    }
    for (const n of nodesOfAction(a)) {
      if (!ix.nodeIndex.has(n)) {
        out.push(actionViolation('illegal-action', a, `unknown node ${n}`));
        ok = false;
      }
    }
    replayable[i] = ok ? 1 : 0;
  });
  return replayable;
}

/** `after`: every id named exists, the relation has no cycle, and each action starts after those it names end. */
function checkAfter(actions: readonly Action[], out: Violation[]): void {
  const ids = positionsById(actions);
  actions.forEach((a, i) => {
    for (const p of afterOf(a)) {
      const preds = ids.get(p);
      if (preds === undefined) {
        out.push(actionViolation('after', a, `after names unknown action ${p}`));
        continue;
      }
      for (const j of preds) {
        if (j === i) continue;
        const b = actions[j]!;
        if (!Number.isFinite(a.start) || !Number.isFinite(b.end)) continue;
        if (a.start < b.end - timeSlack(b.end)) {
          out.push(actionViolation('after', a, `starts before action ${b.id}, which it is after, ends (t=${b.end})`));
        }
      }
    }
  });
  for (const cycle of afterCycles(actions)) {
    const ids = cycle.map((i) => actions[i]!.id);
    const first = actions[cycle[0]!]!;
    out.push({
      code: 'after',
      message:
        cycle.length === 1
          ? `${describe(first)}: after names the action itself`
          : `after forms a cycle through actions ${ids.join(', ')}`,
      action: first.id,
    });
  }
}

/** A VM shut down although neither its `wants` nor a `terminated` constraint asks for it. */
function checkLost(instance: Instance, actions: readonly Action[], out: Violation[]): void {
  const asked = new Set<VmId>();
  for (const c of instance.constraints) if (c.type === 'terminated') for (const v of c.vms) asked.add(v);
  for (const a of actions) {
    if (a.type !== 'shutdown') continue;
    const vm = instance.vms.get(a.vm);
    if (vm === undefined || vm.wants === 'terminated' || asked.has(a.vm)) continue;
    out.push(actionViolation('lost-vm', a, `${a.vm} is shut down but nothing asks for it to end terminated`));
  }
}

/** What the replay leaves behind. */
interface ReplayEnd {
  readonly final: Configuration;
  /** Per node × resource: 1 when an overload episode is still open at the end. */
  readonly openOverload: Uint8Array;
  /** Per node × resource: the load at the end. */
  readonly finalLoad: Float64Array;
}

/**
 * The replay proper: legality of each action at its start, capacity (with a ceiling for
 * nodes overloaded at the start), concurrency limits, and the continuous constraints at every
 * instant and on every action.
 */
function replay(instance: Instance, ix: IndexedInstance, actions: readonly Action[], replayable: Uint8Array, out: Violation[]): ReplayEnd {
  const N = ix.nodeIds.length;
  const V = ix.vmIds.length;
  const R = ix.resources.length;
  const limits = limitsOf(instance);
  const cap = ix.effectiveCapacity;

  const vmState = Uint8Array.from(ix.vmState);
  const vmHost = Int32Array.from(ix.vmHost);
  const vmDest = new Int32Array(V).fill(-1); // destination of a migration in flight
  const vmBusy = new Int32Array(V).fill(-1); // action in flight on the VM
  const nodeOn = Uint8Array.from(ix.nodeOnline);
  const nodeBusy = new Int32Array(N).fill(-1); // node action in flight
  const present = new Int32Array(N); // VMs occupying the node, plus remote resumes reading from it
  const load = new Float64Array(N * R);
  for (let v = 0; v < V; v++) {
    const h = vmHost[v]!;
    if (vmState[v] !== RUNNING || h < 0) continue;
    present[h]!++;
    for (let r = 0; r < R; r++) load[h * R + r]! += ix.demand[v * R + r]!;
  }
  const ceiling = new Float64Array(N * R);
  for (let k = 0; k < N * R; k++) ceiling[k] = Math.max(cap[k]!, load[k]!);
  const overloaded = new Uint8Array(N * R);
  const raiser = new Int32Array(N * R).fill(-1);
  const applied = new Uint8Array(actions.length);

  // Limits.
  const inFlight = new Set<number>(); // migrations in flight (action indices)
  const nodeMigrations = new Int32Array(N);
  const nodeLimitOpen = new Uint8Array(N);
  let globalLimitOpen = false;
  let lastMigration = -1;

  // Nodes touched by the current instant.
  const touchedStamp = new Int32Array(N).fill(-1);
  const touched: number[] = [];
  let instant = 0;
  const touch = (n: number): void => {
    if (touchedStamp[n] === instant) return;
    touchedStamp[n] = instant;
    touched.push(n);
  };

  // Continuous constraints: action-based ones on every action, state-based ones on the
  // occupancy of the VMs they name, after every instant where one of those VMs changed.
  const continuous = continuousConstraints(instance);
  const stateBased = continuous.filter((i) => {
    const c = instance.constraints.get(i)!;
    return specFor(c).checkInstant !== undefined;
  });
  const watched = new Uint8Array(V);
  if (stateBased.length > 0) {
    for (const i of stateBased) {
      const c = instance.constraints.get(i)!;
      const named: readonly VmId[] = 'vms' in c ? c.vms : ix.vmIds;
      for (const vm of named) {
        const v = ix.vmIndex.get(vm);
        if (v !== undefined) watched[v] = 1;
      }
    }
  }
  const occupancy = new Map<VmId, NodeId[]>();
  const occupancyOf = (v: number): NodeId[] | undefined => {
    if (vmState[v] !== RUNNING || vmHost[v]! < 0) return undefined;
    const h = ix.nodeIds[vmHost[v]!]!;
    return vmDest[v]! >= 0 ? [h, ix.nodeIds[vmDest[v]!]!] : [h];
  };
  const setOccupancy = (v: number): void => {
    const o = occupancyOf(v);
    if (o === undefined) occupancy.delete(ix.vmIds[v]!);
    else occupancy.set(ix.vmIds[v]!, o);
  };
  for (let v = 0; v < V; v++) if (watched[v]) setOccupancy(v);
  const seenInstant = new Set<string>();
  const keyOf = (x: Violation): string =>
    `${x.code}|${x.constraint ?? ''}|${[...(x.vms ?? [])].sort().join(',')}|${[...(x.nodes ?? [])].sort().join(',')}`;
  // Violations already present in the source are tolerated mid-plan, and so is any part of one
  // (the same constraint, among the same VMs and nodes: three spread members sharing a node
  // become two while the plan separates them); the target is held to every constraint by the
  // final check.
  const initial: { readonly head: string; readonly vms: ReadonlySet<VmId>; readonly nodes: ReadonlySet<NodeId> }[] = [];
  const headOf = (x: Violation): string => `${x.code}|${x.constraint ?? ''}`;
  const tolerated = (x: Violation): boolean =>
    initial.some((i) => i.head === headOf(x) && (x.vms ?? []).every((v) => i.vms.has(v)) && (x.nodes ?? []).every((n) => i.nodes.has(n)));
  if (stateBased.length > 0) {
    for (const x of checkInstant(instance, { time: 0, occupancy }, stateBased)) {
      seenInstant.add(keyOf(x));
      initial.push({ head: headOf(x), vms: new Set(x.vms ?? []), nodes: new Set(x.nodes ?? []) });
    }
  }
  let occupancyChanged = false;
  // The last action whose start or end changed each watched VM, and the instant it did: an
  // instant violation names the action that last changed one of its VMs at that instant.
  const changedBy = new Int32Array(V).fill(-1);
  const changedAt = new Int32Array(V).fill(-1);
  let changes = 0;
  const changeOrder = new Int32Array(V);
  const changedVm = (v: number, i: number): void => {
    if (watched[v]) {
      setOccupancy(v);
      occupancyChanged = true;
      changedBy[v] = i;
      changedAt[v] = instant;
      changeOrder[v] = changes++;
    }
  };
  /** The action that last changed one of `vms` at the current instant, if any. */
  const culprit = (vms: readonly VmId[] | undefined): number | undefined => {
    let best = -1;
    for (const vm of vms ?? []) {
      const v = ix.vmIndex.get(vm);
      if (v === undefined || changedAt[v] !== instant) continue;
      if (best < 0 || changeOrder[v]! > changeOrder[best]!) best = v;
    }
    return best < 0 ? undefined : actions[changedBy[best]!]!.id;
  };

  const addLoad = (n: number, v: number, sign: 1 | -1, i: number): void => {
    touch(n);
    for (let r = 0; r < R; r++) {
      const d = ix.demand[v * R + r]!;
      if (d === 0) continue;
      load[n * R + r]! += sign * d;
      if (sign > 0) raiser[n * R + r] = i;
    }
  };
  const online = (n: number): boolean => nodeOn[n] === 1;
  const offlineWhy = (n: number): string => {
    const b = nodeBusy[n]!;
    const by = b >= 0 && actions[b]!.type === 'bootNode' ? ` (its bootNode, action ${actions[b]!.id}, has not ended)` : '';
    return `node ${ix.nodeIds[n]!} is offline${by}`;
  };
  const occupants = (n: number): string => {
    const names: string[] = [];
    for (let v = 0; v < V; v++) {
      const running = vmState[v] === RUNNING && (vmHost[v] === n || vmDest[v] === n);
      const b = vmBusy[v]!;
      const reading = b >= 0 && actions[b]!.type === 'resume' && ix.nodeIndex.get((actions[b] as { from: NodeId }).from) === n;
      if (running || reading) names.push(ix.vmIds[v]!);
    }
    return names.join(', ');
  };

  /** Checks and applies the start of action i at time t. */
  const start = (i: number, t: number): void => {
    const a = actions[i]!;
    const bad = (text: string): void => {
      out.push(actionViolation('illegal-action', a, text, t));
    };
    if (continuous.length > 0) {
      for (const x of checkAction(instance, a, continuous)) {
        out.push({ ...x, ...(x.time === undefined ? { time: t } : {}), ...(x.action === undefined ? { action: a.id } : {}) });
      }
    }
    if (a.type === 'bootNode' || a.type === 'shutdownNode') {
      const n = ix.nodeIndex.get(a.node)!;
      let fatal = false;
      if (nodeBusy[n]! >= 0) {
        bad(`node ${a.node} is busy with action ${actions[nodeBusy[n]!]!.id}`);
        fatal = true;
      }
      if (a.type === 'bootNode') {
        if (online(n)) {
          bad(`node ${a.node} is already online`);
          fatal = true;
        }
        if (fatal) return;
      } else {
        if (!online(n)) {
          bad(`node ${a.node} is not online`);
          fatal = true;
        }
        if (present[n]! > 0) {
          bad(`node ${a.node} still hosts ${occupants(n)}`);
          fatal = true;
        }
        if (fatal) return;
        nodeOn[n] = 0;
      }
      nodeBusy[n] = i;
      applied[i] = 1;
      return;
    }

    const v = ix.vmIndex.get(a.vm)!;
    const state = vmState[v]!;
    const host = vmHost[v]!;
    const stateName = VM_STATE_OF_CODE[state]!;
    let fatal = false;
    if (vmBusy[v]! >= 0) {
      bad(`${a.vm} is busy with action ${actions[vmBusy[v]!]!.id}`);
      fatal = true;
    }
    const needs = (want: number, from: NodeId | undefined): void => {
      if (state !== want) {
        bad(`${a.vm} is ${stateName}${host >= 0 ? ` on ${ix.nodeIds[host]!}` : ''}, not ${VM_STATE_OF_CODE[want]!}`);
        fatal = true;
      } else if (from !== undefined && ix.nodeIndex.get(from) !== host) {
        bad(`${a.vm} is ${stateName} on ${host >= 0 ? ix.nodeIds[host]! : 'no node'}, not on ${from}`);
        fatal = true;
      }
    };
    const arrival = (to: number): void => {
      if (!online(to)) bad(`${a.vm} cannot arrive: ${offlineWhy(to)}`);
    };
    switch (a.type) {
      case 'migrate': {
        needs(RUNNING, a.from);
        const f = ix.nodeIndex.get(a.from)!;
        const to = ix.nodeIndex.get(a.to)!;
        if (f === to) {
          bad(`${a.vm} migrates to the node it is on`);
          fatal = true;
        }
        arrival(to);
        if (fatal) return;
        vmDest[v] = to;
        present[to]!++;
        addLoad(to, v, 1, i);
        inFlight.add(i);
        nodeMigrations[f]!++;
        nodeMigrations[to]!++;
        touch(f);
        lastMigration = i;
        break;
      }
      case 'boot': {
        needs(WAITING, undefined);
        const to = ix.nodeIndex.get(a.to)!;
        arrival(to);
        if (fatal) return;
        vmState[v] = RUNNING;
        vmHost[v] = to;
        present[to]!++;
        addLoad(to, v, 1, i);
        break;
      }
      case 'shutdown':
      case 'suspend':
        needs(RUNNING, a.from);
        if (fatal) return;
        break;
      case 'resume': {
        needs(SLEEPING, a.from);
        const f = ix.nodeIndex.get(a.from)!;
        const to = ix.nodeIndex.get(a.to)!;
        arrival(to);
        if (f !== to && !online(f)) bad(`the image of ${a.vm} cannot be read: ${offlineWhy(f)}`);
        if (fatal) return;
        vmState[v] = RUNNING;
        vmHost[v] = to;
        present[to]!++;
        if (f !== to) present[f]!++;
        addLoad(to, v, 1, i);
        break;
      }
    }
    vmBusy[v] = i;
    applied[i] = 1;
    changedVm(v, i);
  };

  /** Applies the end of action i (when its start was applied). */
  const end = (i: number): void => {
    if (!applied[i]) return;
    const a = actions[i]!;
    if (a.type === 'bootNode' || a.type === 'shutdownNode') {
      const n = ix.nodeIndex.get(a.node)!;
      if (a.type === 'bootNode') nodeOn[n] = 1;
      nodeBusy[n] = -1;
      return;
    }
    const v = ix.vmIndex.get(a.vm)!;
    vmBusy[v] = -1;
    switch (a.type) {
      case 'migrate': {
        const f = vmHost[v]!;
        const to = vmDest[v]!;
        addLoad(f, v, -1, i);
        present[f]!--;
        vmHost[v] = to;
        vmDest[v] = -1;
        inFlight.delete(i);
        nodeMigrations[f]!--;
        nodeMigrations[to]!--;
        touch(to);
        break;
      }
      case 'shutdown':
      case 'suspend': {
        const f = vmHost[v]!;
        addLoad(f, v, -1, i);
        present[f]!--;
        vmState[v] = a.type === 'shutdown' ? TERMINATED : SLEEPING;
        if (a.type === 'shutdown') vmHost[v] = -1;
        break;
      }
      case 'resume': {
        const f = ix.nodeIndex.get(a.from)!;
        if (f !== ix.nodeIndex.get(a.to)) present[f]!--;
        break;
      }
      case 'boot':
        break;
    }
    changedVm(v, i);
  };

  /** Checks the state in force from instant t until the next one. */
  const settle = (t: number): void => {
    for (const n of touched) {
      for (let r = 0; r < R; r++) {
        const k = n * R + r;
        const l = load[k]!;
        if (over(l, ceiling[k]!)) {
          if (overloaded[k]) continue;
          overloaded[k] = 1;
          const by = raiser[k]! >= 0 ? actions[raiser[k]!]! : undefined;
          const allowed = ceiling[k]! > cap[k]! ? ` (allowed ${ceiling[k]!} while the node sheds its initial overload)` : '';
          out.push({
            code: 'capacity',
            message:
              `node ${ix.nodeIds[n]!} at t=${t}: ${ix.resources[r]!} load ${l} exceeds capacity ${cap[k]!}${allowed}` +
              (by ? `, brought by ${describe(by)}` : ''),
            nodes: [ix.nodeIds[n]!],
            ...(by && vmOf(by) !== undefined ? { vms: [vmOf(by)!] } : {}),
            ...(by ? { action: by.id } : {}),
            time: t,
          });
        } else {
          overloaded[k] = 0;
          ceiling[k] = Math.min(ceiling[k]!, Math.max(cap[k]!, l));
        }
      }
      if (nodeMigrations[n]! > limits.maxMigrationsPerNode) {
        if (!nodeLimitOpen[n]) {
          nodeLimitOpen[n] = 1;
          const these = [...inFlight].filter((i) => nodesOfAction(actions[i]!).includes(ix.nodeIds[n]!)).map((i) => actions[i]!);
          out.push({
            code: 'limit',
            message: `node ${ix.nodeIds[n]!} at t=${t}: ${nodeMigrations[n]!} migrations in flight (actions ${these.map((a) => a.id).join(', ')}), more than maxMigrationsPerNode ${limits.maxMigrationsPerNode}`,
            nodes: [ix.nodeIds[n]!],
            vms: these.map((a) => vmOf(a)!),
            ...(these.length > 0 ? { action: these[these.length - 1]!.id } : {}),
            time: t,
          });
        }
      } else nodeLimitOpen[n] = 0;
    }
    if (inFlight.size > limits.maxParallelMigrations) {
      if (!globalLimitOpen) {
        globalLimitOpen = true;
        const these = [...inFlight].map((i) => actions[i]!);
        out.push({
          code: 'limit',
          message: `at t=${t}: ${inFlight.size} migrations in flight (actions ${these.map((a) => a.id).join(', ')}), more than maxParallelMigrations ${limits.maxParallelMigrations}`,
          vms: these.map((a) => vmOf(a)!),
          ...(lastMigration >= 0 ? { action: actions[lastMigration]!.id } : {}),
          time: t,
        });
      }
    } else globalLimitOpen = false;
    if (occupancyChanged) {
      occupancyChanged = false;
      const view: InstantView = { time: t, occupancy };
      for (const x of checkInstant(instance, view, stateBased)) {
        const key = keyOf(x);
        if (seenInstant.has(key) || tolerated(x)) continue;
        seenInstant.add(key);
        const by = x.action === undefined ? culprit(x.vms) : undefined;
        out.push({ ...x, ...(x.time === undefined ? { time: t } : {}), ...(by === undefined ? {} : { action: by }) });
      }
    }
    touched.length = 0;
    instant++;
  };

  const replayed = actions.map((a, i) => (replayable[i] ? a : undefined));
  const order = timeline(actions).events.filter((e) => replayed[e.action] !== undefined);
  for (let e = 0; e < order.length; e++) {
    const ev = order[e]!;
    if (ev.kind === 'start') start(ev.action, ev.time);
    else end(ev.action);
    const next = order[e + 1];
    if (next === undefined || next.time !== ev.time) settle(ev.time);
  }

  const vms = IMap<VmId, ReturnType<typeof placement>>().withMutations((m) => {
    for (let v = 0; v < V; v++) {
      const h = vmHost[v]!;
      m.set(ix.vmIds[v]!, placement(VM_STATE_OF_CODE[vmState[v]!]!, h >= 0 ? ix.nodeIds[h] : undefined));
    }
  });
  const nodes = IMap<NodeId, NodeState>().withMutations((m) => {
    for (let n = 0; n < N; n++) m.set(ix.nodeIds[n]!, nodeOn[n] ? 'online' : 'offline');
  });
  return { final: new Configuration({ vms, nodes }), openOverload: overloaded, finalLoad: load };
}

/** The replayed end configuration equals the plan's target, which lists every VM and node and nothing else. */
function checkTarget(instance: Instance, plan: FeasiblePlan, final: Configuration, out: Violation[]): void {
  const target = plan.target as FeasiblePlan['target'] | undefined;
  if (target === undefined || target === null || typeof target !== 'object') {
    out.push({ code: 'target-mismatch', message: 'the plan has no target' });
    return;
  }
  const tvms = (target.vms ?? {}) as FeasiblePlan['target']['vms'];
  const tnodes = (target.nodes ?? {}) as FeasiblePlan['target']['nodes'];
  for (const [id, p] of final.vms) {
    if (!hasOwn(tvms, id)) {
      out.push({ code: 'target-mismatch', message: `the target omits VM ${id} (it ends ${p.state})`, vms: [id] });
      continue;
    }
    const t = tvms[id];
    if (t === null || typeof t !== 'object') {
      out.push({ code: 'target-mismatch', message: `the target's entry for VM ${id} is not a placement`, vms: [id] });
      continue;
    }
    const where = (s: string, h: string | undefined): string => (h === undefined ? s : `${s} on ${h}`);
    const placed = t.state === 'running' || t.state === 'sleeping';
    if (t.state !== p.state || (placed && t.host !== p.host)) {
      out.push({
        code: 'target-mismatch',
        message: `${id} ends ${where(p.state, p.host)} but the target says ${where(String(t.state), t.host)}`,
        vms: [id],
        nodes: [p.host, t.host].filter((h): h is string => typeof h === 'string'),
      });
    } else if (!placed && t.host !== undefined) {
      out.push({ code: 'target-mismatch', message: `the target gives ${t.state} VM ${id} a host (${t.host})`, vms: [id], nodes: [t.host] });
    }
  }
  for (const id of Object.keys(tvms)) {
    if (!instance.vms.has(id)) out.push({ code: 'target-mismatch', message: `the target lists unknown VM ${id}`, vms: [id] });
  }
  for (const [id, s] of final.nodes) {
    if (!hasOwn(tnodes, id)) {
      out.push({ code: 'target-mismatch', message: `the target omits node ${id} (it ends ${s})`, nodes: [id] });
    } else if (tnodes[id] !== s) {
      out.push({ code: 'target-mismatch', message: `node ${id} ends ${s} but the target says ${String(tnodes[id])}`, nodes: [id] });
    }
  }
  for (const id of Object.keys(tnodes)) {
    if (!instance.nodes.has(id)) out.push({ code: 'target-mismatch', message: `the target lists unknown node ${id}`, nodes: [id] });
  }
}

/** `stats` agrees with the actions and the target. */
function checkStats(instance: Instance, plan: FeasiblePlan, out: Violation[]): void {
  const stats = plan.stats as PlanStats | undefined;
  if (stats === undefined || stats === null || typeof stats !== 'object') {
    out.push({ code: 'stats', message: 'the plan has no stats' });
    return;
  }
  const bad = (field: string, said: unknown, actual: number): void => {
    out.push({ code: 'stats', message: `stats.${field} is ${String(said)} but the plan gives ${actual}` });
  };
  let migrations = 0;
  let memory = 0;
  let first = Infinity;
  let last = -Infinity;
  let timed = true;
  for (const a of plan.actions) {
    if (a.type === 'migrate') {
      migrations++;
      memory += instance.vms.get(a.vm)?.demand.get('memory') ?? 0;
    }
    if (!Number.isFinite(a.start) || !Number.isFinite(a.end)) timed = false;
    first = Math.min(first, a.start);
    last = Math.max(last, a.end);
  }
  if (stats.migrations !== migrations) bad('migrations', stats.migrations, migrations);
  if (!(typeof stats.migratedMemory === 'number' && close(stats.migratedMemory, memory))) bad('migratedMemory', stats.migratedMemory, memory);
  const makespan = plan.actions.length === 0 ? 0 : last - first;
  if (timed && !(typeof stats.makespan === 'number' && close(stats.makespan, makespan))) bad('makespan', stats.makespan, makespan);
  const target = plan.target as FeasiblePlan['target'] | undefined;
  if (target && typeof target === 'object' && target.vms && target.nodes) {
    const used = new Set<NodeId>();
    for (const id of Object.keys(target.vms)) {
      const t = target.vms[id] as FeasiblePlan['target']['vms'][string] | null | undefined;
      if (t !== null && typeof t === 'object' && t.state === 'running' && t.host !== undefined && hasOwn(target.nodes, t.host) && target.nodes[t.host] === 'online') used.add(t.host);
    }
    if (stats.nodesUsed !== used.size) bad('nodesUsed', stats.nodesUsed, used.size);
    if (typeof stats.lowerBound !== 'number' || !(stats.lowerBound <= used.size)) {
      out.push({ code: 'stats', message: `stats.lowerBound ${String(stats.lowerBound)} exceeds the ${used.size} nodes the target uses` });
    }
  }
  for (const f of ['solveMs', 'planMs'] as const) {
    const x = stats[f];
    if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0)) out.push({ code: 'stats', message: `stats.${f} is ${String(x)}, not a duration` });
  }
}

/**
 * Replays a plan against its instance and reports every violation: an action illegal for the
 * state of its VM or node at its start (codes `illegal-action`), a node above its capacity at
 * some instant (`capacity`; a node overloaded at the start may only shed load), too many
 * migrations in flight (`limit`), `after` not respected, naming unknown actions or forming a
 * cycle (`after`), an end state other than `target` (`target-mismatch`), a target breaking a
 * constraint or a state rule (`constraint:<type>`, `capacity`, `wants`, `vjob-split`, ...), a
 * continuous constraint broken mid-plan (`constraint:<type>` with `time` and `action`, the action
 * that brought it about), a VM shut down unasked (`lost-vm`), and `stats` that disagree with the
 * plan (`stats`). An infeasible plan is valid when it has no actions and at least one reason
 * (`infeasible` otherwise).
 *
 * Semantics: actions occupy half-open intervals [start, end). At one instant, the ends of
 * actions that started earlier are applied first, then the starts in topological order of
 * `after` (ties by id), each zero-length action ending right after it starts; capacity, limits
 * and state-based continuous constraints are checked on the state after each instant.
 *
 * Never throws on a plan of the right type (dangling ids, cycles, unknown VMs or nodes and
 * non-finite times are reported as violations).
 *
 * @param instance - the instance the plan was made for
 * @param plan - the plan
 * @returns the verdict, the violations and (for a feasible plan) the replayed end configuration
 * @example
 * ```ts
 * const v = verifyPlan(instance, plan);
 * if (!v.ok) for (const x of v.violations) console.error(`${x.code}: ${x.message}`);
 * ```
 */
export function verifyPlan(instance: Instance, plan: Plan): Verification {
  const out: Violation[] = [];
  const actions: readonly Action[] = Array.isArray(plan.actions) ? plan.actions : [];
  if (plan.status === 'infeasible') {
    if (actions.length > 0) out.push({ code: 'infeasible', message: `an infeasible plan carries ${actions.length} actions` });
    if (!Array.isArray(plan.reasons) || plan.reasons.length === 0) {
      out.push({ code: 'infeasible', message: 'an infeasible plan gives no reasons' });
    }
    return { ok: out.length === 0, violations: out };
  }
  const feasible: FeasiblePlan = { ...plan, actions };
  const ix = indexInstance(instance);
  const replayable = checkShapes(ix, actions, out);
  checkAfter(actions, out);
  checkLost(instance, actions, out);
  const { final, openOverload, finalLoad } = replay(instance, ix, actions, replayable, out);
  checkTarget(instance, feasible, final, out);
  // The end state against every rule; a capacity overload still open at the end of the replay
  // has been reported already, once.
  const R = ix.resources.length;
  for (const x of checkConfiguration(instance, final)) {
    const n = x.code === 'capacity' && x.nodes?.length === 1 ? ix.nodeIndex.get(x.nodes[0]!) : undefined;
    if (n !== undefined) {
      let open = 0;
      let unreported = 0;
      for (let k = n * R; k < n * R + R; k++) {
        if (openOverload[k]) open++;
        else if (over(finalLoad[k]!, ix.effectiveCapacity[k]!)) unreported++;
      }
      if (open > 0 && unreported === 0) continue;
    }
    out.push(x);
  }
  checkStats(instance, feasible, out);
  return { ok: out.length === 0, violations: out, final };
}
