/**
 * Frozen copy of src/constraints/check.ts before the dense rewrite (issue 18): the oracle the
 * fast checkers are held to, output for output (test/constraints/dense.test.ts).
 */
import { SwitchyardError } from '../../src/errors.js';
import type { Configuration } from '../../src/model/configuration.js';
import type { NodeId, VmId } from '../../src/model/ids.js';
import { indexInstance } from '../../src/model/indexed.js';
import { vjobOf, type Instance } from '../../src/model/instance.js';
import type { VmState } from '../../src/model/vm.js';
import type { Action } from '../../src/model/action.js';
import { specFor } from '../../src/constraints/registry.js';
import type { CheckContext, InstantView, Violation } from '../../src/constraints/spec.js';
import type { Constraint } from '../../src/model/constraints.js';
import { exceeds, list } from '../../src/constraints/util.js';

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
 * Capacity of every node in `configuration`: on each online node and resource, the total demand
 * of the VMs running there fits the effective (overbooked) capacity (code `capacity`), and no
 * VM runs on an offline or unknown node (code `offline-host`, one violation per node).
 * @param instance - the instance (capacities, demands, overbook ratios)
 * @param configuration - the configuration to check
 * @returns the violations, empty when everything fits
 * @example
 * ```ts
 * checkCapacity(instance, target);
 * // [{ code: 'capacity', message: 'n1: cpu load 12 exceeds capacity 10 (vm1 and vm2)', ... }]
 * ```
 */
export function checkCapacity(instance: Instance, configuration: Configuration): Violation[] {
  const ix = indexInstance(instance);
  const R = ix.resources.length;
  const N = ix.nodeIds.length;
  const load = new Float64Array(N * R);
  const hosted: VmId[][] = Array.from({ length: N }, () => []);
  const homeless = new Map<NodeId, VmId[]>();
  for (const [vm, p] of configuration.vms) {
    if (p.state !== 'running' || p.host === undefined) continue;
    const k = ix.nodeIndex.get(p.host);
    if (k === undefined || configuration.nodes.get(p.host) !== 'online') {
      const l = homeless.get(p.host);
      if (l) l.push(vm);
      else homeless.set(p.host, [vm]);
      continue;
    }
    hosted[k]!.push(vm);
    const v = ix.vmIndex.get(vm);
    if (v === undefined) continue;
    for (let r = 0; r < R; r++) load[k * R + r]! += ix.demand[v * R + r]!;
  }
  const out: Violation[] = [];
  for (const [node, vms] of homeless) {
    const why = ix.nodeIndex.has(node) ? 'offline' : 'unknown';
    out.push({ code: 'offline-host', message: `${list(vms)} ${vms.length > 1 ? 'run' : 'runs'} on ${why} node ${node}`, vms, nodes: [node] });
  }
  for (let k = 0; k < N; k++) {
    for (let r = 0; r < R; r++) {
      const l = load[k * R + r]!;
      const cap = ix.effectiveCapacity[k * R + r]!;
      if (!exceeds(l, cap)) continue;
      const node = ix.nodeIds[k]!;
      const vms = hosted[k]!;
      out.push({
        code: 'capacity',
        message: `${node}: ${ix.resources[r]!} load ${l} exceeds capacity ${cap} (${list(vms)})`,
        vms,
        nodes: [node],
      });
    }
  }
  return out;
}

/**
 * The VM-state rules of a configuration: every `wants` obeyed (code `wants`); a vjob's VMs that
 * are not terminated all in one state (code `vjob-split`); running and sleeping VMs have a host
 * (code `missing-host`); waiting and terminated VMs have none (code `unexpected-host`).
 * @param instance - the instance (wants, vjobs)
 * @param configuration - the configuration to check
 * @returns the violations, empty when every rule holds
 */
export function checkStates(instance: Instance, configuration: Configuration): Violation[] {
  const out: Violation[] = [];
  for (const [vm, p] of configuration.vms) {
    const placed = p.state === 'running' || p.state === 'sleeping';
    if (placed && p.host === undefined) {
      out.push({ code: 'missing-host', message: `${vm} is ${p.state} but has no host`, vms: [vm] });
    } else if (!placed && p.host !== undefined) {
      out.push({ code: 'unexpected-host', message: `${vm} is ${p.state} but has host ${p.host}`, vms: [vm], nodes: [p.host] });
    }
  }
  const jobs = new Map<string, Map<VmState, VmId[]>>();
  for (const v of instance.vms.values()) {
    const state = configuration.stateOf(v.id);
    if (v.wants !== undefined && state !== v.wants) {
      out.push({ code: 'wants', message: `${v.id} must end ${v.wants} but is ${state ?? 'absent'}`, vms: [v.id] });
    }
    if (state === undefined || state === 'terminated') continue;
    const job = vjobOf(v);
    let states = jobs.get(job);
    if (!states) jobs.set(job, (states = new Map()));
    const l = states.get(state);
    if (l) l.push(v.id);
    else states.set(state, [v.id]);
  }
  for (const [job, states] of jobs) {
    if (states.size < 2) continue;
    const parts = [...states].map(([s, vms]) => `${list(vms)} ${s}`);
    out.push({ code: 'vjob-split', message: `vjob ${job} is split: ${parts.join('; ')}`, vms: [...states.values()].flat() });
  }
  return out;
}

/**
 * Everything a configuration must satisfy: capacities, VM states and every constraint (discrete
 * meaning). The oracle "this configuration satisfies the instance".
 * @param instance - the instance
 * @param configuration - the configuration to check (typically a target)
 * @returns all violations, empty when the configuration is acceptable
 * @example
 * ```ts
 * expect(checkConfiguration(instance, result.target)).toEqual([]);
 * ```
 */
export function checkConfiguration(instance: Instance, configuration: Configuration): Violation[] {
  return [...checkCapacity(instance, configuration), ...checkStates(instance, configuration), ...checkConstraints(instance, configuration)];
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
