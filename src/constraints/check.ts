/**
 * Checking configurations and plan instants against an instance: every constraint (discrete
 * and continuous meanings), node capacities and VM states. These are the oracles the planner's
 * results are held to (the plan verifier replays a plan through them).
 */
import { SwitchyardError } from '../errors.js';
import type { Configuration } from '../model/configuration.js';
import type { NodeId, VmId } from '../model/ids.js';
import { indexInstance, VM_STATE_CODE, VM_STATE_OF_CODE, type IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import type { VmState } from '../model/vm.js';
import type { Action } from '../model/action.js';
import { specFor } from './registry.js';
import type { CheckContext, InstantView, Violation } from './spec.js';
import type { Constraint } from '../model/constraints.js';
import { exceeds, list } from './util.js';

const TERMINATED = VM_STATE_CODE.terminated;

function constraintAt(instance: Instance, index: number): Constraint {
  const c = Number.isInteger(index) && index >= 0 ? instance.constraints.get(index) : undefined;
  if (c === undefined) {
    throw new SwitchyardError('invalid-argument', [
      { path: `constraints[${index}]`, message: `no constraint #${index} (the instance has ${instance.constraints.size})` },
    ]);
  }
  return c;
}

/**
 * The discrete check of one constraint: its violations in `configuration` (the instance's own
 * VMs are the source, for `root` and `quarantine`).
 * @param instance - the instance holding the constraint
 * @param index - the constraint's index in `instance.constraints`
 * @param configuration - the configuration to check (typically a target)
 * @returns the violations, empty when the constraint holds
 * @throws SwitchyardError `invalid-argument` when there is no constraint #index
 * @example
 * ```ts
 * checkConstraint(instance, 0, target); // [] when constraint #0 holds in target
 * ```
 */
export function checkConstraint(instance: Instance, index: number, configuration: Configuration): Violation[] {
  const c = constraintAt(instance, index);
  return specFor(c).check(c, configuration, { instance, index });
}

/**
 * The discrete check of every constraint of the instance.
 * @param instance - the instance
 * @param configuration - the configuration to check
 * @returns all violations, in constraint order
 */
export function checkConstraints(instance: Instance, configuration: Configuration): Violation[] {
  const out: Violation[] = [];
  instance.constraints.forEach((c, index) => {
    out.push(...specFor(c).check(c, configuration, { instance, index }));
  });
  return out;
}

/**
 * The index to check with: `index` when it numbers this instance's nodes and VMs (the caller's
 * already-built {@link indexInstance}), else a fresh one. Only the instance's own quantities are
 * read from it (ids, capacities, demands, vjobs), never its configuration fields.
 */
function indexFor(instance: Instance, index: IndexedInstance | undefined): IndexedInstance {
  if (index !== undefined && index.vmIds.length === instance.vms.size && index.nodeIds.length === instance.nodes.size) return index;
  return indexInstance(instance);
}

/** Code of a VM the configuration does not list, beside {@link VM_STATE_CODE}. */
const ABSENT = 255;

/**
 * What the capacity and state checks need of a configuration, read in one pass over it (each
 * placement's two fields read once: a field of the immutable model costs far more than an array
 * slot). Everything is kept in the configuration's own order, so that the checks word their
 * violations exactly as a pass over the map would.
 */
interface Scan {
  /** Per node and resource: demand of the instance VMs running there (online nodes only). */
  readonly load: Float64Array;
  /** Running VMs on online nodes, as per-node lists in configuration order: names, next link, first per node. */
  readonly names: readonly VmId[];
  readonly next: readonly number[];
  readonly first: Int32Array;
  /** Running VMs on offline or unknown nodes, per node in order of first sight. */
  readonly homeless: ReadonlyMap<NodeId, VmId[]> | undefined;
  /** `missing-host` and `unexpected-host` violations, in configuration order. */
  readonly hostRules: readonly Violation[];
  /** Per instance VM: its {@link VM_STATE_CODE} in the configuration, {@link ABSENT} when unlisted. */
  readonly state: Uint8Array;
}

function scan(ix: IndexedInstance, configuration: Configuration): Scan {
  const R = ix.resources.length;
  const N = ix.nodeIds.length;
  const demand = ix.demand;
  const online = new Uint8Array(N);
  configuration.nodes.forEach((s, id) => {
    const k = ix.nodeIndex.get(id);
    if (k !== undefined && s === 'online') online[k] = 1;
  });
  const load = new Float64Array(N * R);
  const names: VmId[] = [];
  const next: number[] = [];
  const first = new Int32Array(N).fill(-1);
  const last = new Int32Array(N).fill(-1);
  let homeless: Map<NodeId, VmId[]> | undefined;
  const hostRules: Violation[] = [];
  const state = new Uint8Array(ix.vmIds.length).fill(ABSENT);
  configuration.vms.forEach((p, vm) => {
    const st = p.state;
    const host = p.host;
    const v = ix.vmIndex.get(vm);
    if (v !== undefined) state[v] = VM_STATE_CODE[st];
    const placed = st === 'running' || st === 'sleeping';
    if (placed && host === undefined) {
      hostRules.push({ code: 'missing-host', message: `${vm} is ${st} but has no host`, vms: [vm] });
    } else if (!placed && host !== undefined) {
      hostRules.push({ code: 'unexpected-host', message: `${vm} is ${st} but has host ${host}`, vms: [vm], nodes: [host] });
    }
    if (st !== 'running' || host === undefined) return;
    const k = ix.nodeIndex.get(host);
    if (k === undefined || online[k] === 0) {
      homeless ??= new Map();
      const l = homeless.get(host);
      if (l) l.push(vm);
      else homeless.set(host, [vm]);
      return;
    }
    const e = names.length;
    names.push(vm);
    next.push(-1);
    if (first[k] === -1) first[k] = e;
    else next[last[k]!] = e;
    last[k] = e;
    if (v === undefined) return;
    for (let r = 0; r < R; r++) load[k * R + r]! += demand[v * R + r]!;
  });
  return { load, names, next, first, homeless, hostRules, state };
}

/** The capacity violations of a scanned configuration ({@link checkCapacity}). */
function capacityRules(ix: IndexedInstance, sc: Scan): Violation[] {
  const R = ix.resources.length;
  const N = ix.nodeIds.length;
  const out: Violation[] = [];
  if (sc.homeless !== undefined) {
    for (const [node, vms] of sc.homeless) {
      const why = ix.nodeIndex.has(node) ? 'offline' : 'unknown';
      out.push({ code: 'offline-host', message: `${list(vms)} ${vms.length > 1 ? 'run' : 'runs'} on ${why} node ${node}`, vms, nodes: [node] });
    }
  }
  const cap = ix.effectiveCapacity;
  for (let k = 0; k < N; k++) {
    for (let r = 0; r < R; r++) {
      const l = sc.load[k * R + r]!;
      const c = cap[k * R + r]!;
      if (!exceeds(l, c)) continue;
      const node = ix.nodeIds[k]!;
      const vms: VmId[] = [];
      for (let e = sc.first[k]!; e >= 0; e = sc.next[e]!) vms.push(sc.names[e]!);
      out.push({
        code: 'capacity',
        message: `${node}: ${ix.resources[r]!} load ${l} exceeds capacity ${c} (${list(vms)})`,
        vms,
        nodes: [node],
      });
    }
  }
  return out;
}

/** The state violations of a scanned configuration ({@link checkStates}). */
function stateRules(instance: Instance, ix: IndexedInstance, sc: Scan): Violation[] {
  const V = ix.vmIds.length;
  const out: Violation[] = [...sc.hostRules];
  const state = sc.state;
  // States seen per vjob, as bits of VM_STATE_CODE; a vjob with two bits is split.
  const seen = new Uint8Array(ix.vjobIds.length);
  let split = false;
  let v = 0;
  for (const vm of instance.vms.values()) {
    const s = state[v]!;
    const wants = vm.wants;
    if (wants !== undefined && (s === ABSENT || VM_STATE_OF_CODE[s] !== wants)) {
      out.push({ code: 'wants', message: `${ix.vmIds[v]!} must end ${wants} but is ${s === ABSENT ? 'absent' : VM_STATE_OF_CODE[s]!}`, vms: [ix.vmIds[v]!] });
    }
    if (s !== ABSENT && s !== TERMINATED) {
      const j = ix.vmVjob[v]!;
      const bits = seen[j]! | (1 << s);
      if (bits !== seen[j]) {
        if (seen[j] !== 0) split = true;
        seen[j] = bits;
      }
    }
    v++;
  }
  if (!split) return out;
  // The split vjobs, in order of their first VM, each state with its VMs in order of first sight.
  const jobs = new Map<number, Map<VmState, VmId[]>>();
  for (let i = 0; i < V; i++) {
    const s = state[i]!;
    if (s === ABSENT || s === TERMINATED) continue;
    const j = ix.vmVjob[i]!;
    const bits = seen[j]!;
    if ((bits & (bits - 1)) === 0) continue;
    let states = jobs.get(j);
    if (!states) jobs.set(j, (states = new Map()));
    const name = VM_STATE_OF_CODE[s]!;
    const l = states.get(name);
    if (l) l.push(ix.vmIds[i]!);
    else states.set(name, [ix.vmIds[i]!]);
  }
  for (const [j, states] of jobs) {
    const parts = [...states].map(([s, vms]) => `${list(vms)} ${s}`);
    out.push({ code: 'vjob-split', message: `vjob ${ix.vjobIds[j]!} is split: ${parts.join('; ')}`, vms: [...states.values()].flat() });
  }
  return out;
}

/**
 * Capacity of every node in `configuration`: on each online node and resource, the total demand
 * of the VMs running there fits the effective (overbooked) capacity (code `capacity`), and no
 * VM runs on an offline or unknown node (code `offline-host`, one violation per node).
 *
 * One pass over the configuration, on the dense index: linear in VMs and nodes.
 * @param instance - the instance (capacities, demands, overbook ratios)
 * @param configuration - the configuration to check
 * @param index - `indexInstance(instance)` when the caller has it already (saves building it)
 * @returns the violations, empty when everything fits
 * @example
 * ```ts
 * checkCapacity(instance, target);
 * // [{ code: 'capacity', message: 'n1: cpu load 12 exceeds capacity 10 (vm1 and vm2)', ... }]
 * ```
 */
export function checkCapacity(instance: Instance, configuration: Configuration, index?: IndexedInstance): Violation[] {
  const ix = indexFor(instance, index);
  return capacityRules(ix, scan(ix, configuration));
}

/**
 * The VM-state rules of a configuration: every `wants` obeyed (code `wants`); a vjob's VMs that
 * are not terminated all in one state (code `vjob-split`); running and sleeping VMs have a host
 * (code `missing-host`); waiting and terminated VMs have none (code `unexpected-host`).
 *
 * One pass over the configuration and one over the instance's VMs, on the dense index.
 * @param instance - the instance (wants, vjobs)
 * @param configuration - the configuration to check
 * @param index - `indexInstance(instance)` when the caller has it already (saves building it)
 * @returns the violations, empty when every rule holds
 */
export function checkStates(instance: Instance, configuration: Configuration, index?: IndexedInstance): Violation[] {
  const ix = indexFor(instance, index);
  return stateRules(instance, ix, scan(ix, configuration));
}

/**
 * Everything a configuration must satisfy: capacities, VM states and every constraint (discrete
 * meaning). The oracle "this configuration satisfies the instance".
 * @param instance - the instance
 * @param configuration - the configuration to check (typically a target)
 * @param index - `indexInstance(instance)` when the caller has it already (saves building it)
 * @returns all violations, empty when the configuration is acceptable
 * @example
 * ```ts
 * expect(checkConfiguration(instance, result.target)).toEqual([]);
 * ```
 */
export function checkConfiguration(instance: Instance, configuration: Configuration, index?: IndexedInstance): Violation[] {
  const ix = indexFor(instance, index);
  const sc = scan(ix, configuration);
  return [...capacityRules(ix, sc), ...stateRules(instance, ix, sc), ...checkConstraints(instance, configuration)];
}

/**
 * The indices of the constraints that must hold at every instant of a plan (`spread`, `root`,
 * `quarantine` always; `ban`, `fence`, `among` when `continuous: true`).
 * @param instance - the instance
 * @returns indices into `instance.constraints`, ascending
 */
export function continuousConstraints(instance: Instance): number[] {
  const out: number[] = [];
  instance.constraints.forEach((c, index) => {
    if (specFor(c).isContinuous(c)) out.push(index);
  });
  return out;
}

function runContinuous(
  instance: Instance,
  indices: readonly number[] | undefined,
  run: (c: Constraint, ctx: CheckContext) => Violation[] | undefined,
): Violation[] {
  const out: Violation[] = [];
  for (const index of indices ?? continuousConstraints(instance)) {
    const c = constraintAt(instance, index);
    if (!specFor(c).isContinuous(c)) continue;
    const v = run(c, { instance, index });
    if (v) out.push(...v);
  }
  return out;
}

/**
 * The state-based continuous meanings (`spread`; `ban`, `fence`, `among` when continuous) on
 * one instant of a plan.
 * @param instance - the instance
 * @param view - the instant: nodes occupied by each present VM (two while it migrates)
 * @param indices - constraints to check (default: every continuous one); those that are not
 *   continuous, or whose continuous meaning is action-based, are skipped
 * @returns the violations at this instant, each with `time`
 * @throws SwitchyardError `invalid-argument` for an index with no constraint
 * @example
 * ```ts
 * const idx = continuousConstraints(instance);
 * checkInstant(instance, { time: 4, occupancy: new Map([['vm1', ['n1', 'n2']]]) }, idx);
 * ```
 */
export function checkInstant(instance: Instance, view: InstantView, indices?: readonly number[]): Violation[] {
  return runContinuous(instance, indices, (c, ctx) => specFor(c).checkInstant?.(c, view, ctx));
}

/**
 * The action-based continuous meanings (`root`: no migrate or remote resume of its VMs;
 * `quarantine`: no migrate from or to its nodes, no boot onto them, no remote resume from or to
 * them) on one action of a plan.
 * @param instance - the instance
 * @param action - the action
 * @param indices - constraints to check (default: every continuous one); those that are not
 *   continuous, or whose continuous meaning is state-based, are skipped
 * @returns the violations of this action, each with `action` and `time` (its start)
 * @throws SwitchyardError `invalid-argument` for an index with no constraint
 */
export function checkAction(instance: Instance, action: Action, indices?: readonly number[]): Violation[] {
  return runContinuous(instance, indices, (c, ctx) => specFor(c).checkAction?.(c, action, ctx));
}
