/**
 * Small helpers shared by the constraint specs (internal to `src/constraints/`): running VMs
 * and their hosts, what VMs occupy at an instant, and how violations are worded.
 */
import type { Configuration } from '../model/configuration.js';
import type { NodeId, ResourceName, VmId } from '../model/ids.js';
import type { Instance } from '../model/instance.js';
import type { Action } from '../model/action.js';
import type { CheckContext, InstantView, Violation } from './spec.js';
import type { ConstraintType } from '../model/constraints.js';

/** A running VM and the node it runs on. */
export interface Hosted {
  readonly vm: VmId;
  readonly host: NodeId;
}

/**
 * The distinct values of `xs`, in first-seen order.
 * @param xs - values, possibly repeated
 * @returns each value once
 */
export function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/**
 * The VMs of `vms` that run in `configuration`, with their hosts (each VM once; VMs the
 * configuration does not list, or that run nowhere, are left out).
 * @param vms - VM ids named by a constraint
 * @param configuration - the configuration to read
 * @returns the running ones, in the order of `vms`
 */
export function runningHosts(vms: readonly VmId[], configuration: Configuration): Hosted[] {
  const out: Hosted[] = [];
  for (const vm of uniq(vms)) {
    const p = configuration.vms.get(vm);
    if (p?.state === 'running' && p.host !== undefined) out.push({ vm, host: p.host });
  }
  return out;
}

/**
 * Every running VM of `configuration` on each node of `nodes`.
 * @param configuration - the configuration to read
 * @param nodes - the nodes of interest
 * @returns node → running VMs there (in configuration order); nodes hosting none are absent
 */
export function runningOnNodes(configuration: Configuration, nodes: ReadonlySet<NodeId>): Map<NodeId, VmId[]> {
  const out = new Map<NodeId, VmId[]>();
  for (const [vm, p] of configuration.vms) {
    if (p.state !== 'running' || p.host === undefined || !nodes.has(p.host)) continue;
    const list = out.get(p.host);
    if (list) list.push(vm);
    else out.set(p.host, [vm]);
  }
  return out;
}

/**
 * Groups running VMs by host.
 * @param hosted - running VMs with their hosts
 * @returns node → VMs on it, in first-seen order
 */
export function byHost(hosted: readonly Hosted[]): Map<NodeId, VmId[]> {
  const out = new Map<NodeId, VmId[]>();
  for (const { vm, host } of hosted) {
    const list = out.get(host);
    if (list) list.push(vm);
    else out.set(host, [vm]);
  }
  return out;
}

/** A VM present at an instant and the nodes it occupies (two while it migrates). */
export interface Occupying {
  readonly vm: VmId;
  readonly nodes: readonly NodeId[];
}

/**
 * The VMs of `vms` present at an instant, with the nodes each occupies (each VM once).
 * @param vms - VM ids named by a constraint
 * @param view - the instant
 * @returns the present ones, in the order of `vms`
 */
export function occupying(vms: readonly VmId[], view: InstantView): Occupying[] {
  const out: Occupying[] = [];
  for (const vm of uniq(vms)) {
    const nodes = view.occupancy.get(vm);
    if (nodes !== undefined && nodes.length > 0) out.push({ vm, nodes: uniq(nodes) });
  }
  return out;
}

/**
 * Demand of `vm` for `resource` (0 when the instance does not know the VM or it names no demand).
 * @param instance - the instance holding the VM
 * @param vm - the VM id
 * @param resource - the resource name
 * @returns the demand
 */
export function demandOf(instance: Instance, vm: VmId, resource: ResourceName): number {
  return instance.vms.get(vm)?.demand.get(resource) ?? 0;
}

/**
 * Raw capacity of `resource` on `node` (0 when unknown or not listed).
 * @param instance - the instance holding the node
 * @param node - the node id
 * @param resource - the resource name
 * @returns the capacity before any overbooking
 */
export function capacityOf(instance: Instance, node: NodeId, resource: ResourceName): number {
  return instance.nodes.get(node)?.capacity.get(resource) ?? 0;
}

/**
 * Whether `load` exceeds `limit`, with a relative tolerance of 1e-9 for sums of fractional demands.
 * @param load - the quantity used
 * @param limit - the bound it must respect
 * @returns true when the bound is broken
 */
export function exceeds(load: number, limit: number): boolean {
  return load > limit + 1e-9 * Math.max(1, Math.abs(limit));
}

/**
 * Lists ids for a message: `a`, `a and b`, `a, b and c`.
 * @param ids - the ids
 * @returns the phrase
 */
export function list(ids: readonly string[]): string {
  if (ids.length <= 1) return ids.join('');
  return `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]!}`;
}

/** Where a violation was seen during a plan. */
export interface When {
  readonly time?: number;
  readonly action?: number;
}

/**
 * Builds the violation of a constraint: code `constraint:<type>`, the constraint's index, the
 * VMs and nodes involved, and a message prefixed `<type> #<index>:` (plus `at t=<time>` during a plan).
 * @param type - the constraint type
 * @param ctx - the check context (its index is reported)
 * @param text - what is wrong, naming VMs and nodes
 * @param vms - the VMs involved
 * @param nodes - the nodes involved
 * @param when - time and action, for continuous violations
 * @returns the violation
 */
export function violation(
  type: ConstraintType,
  ctx: CheckContext,
  text: string,
  vms: readonly VmId[],
  nodes: readonly NodeId[],
  when: When = {},
): Violation {
  const at = when.time === undefined ? '' : ` at t=${when.time}`;
  const by = when.action === undefined ? '' : ` (action ${when.action})`;
  return {
    code: `constraint:${type}`,
    message: `${type} #${ctx.index}${at}${by}: ${text}`,
    constraint: ctx.index,
    vms: uniq(vms),
    nodes: uniq(nodes),
    ...(when.time === undefined ? {} : { time: when.time }),
    ...(when.action === undefined ? {} : { action: when.action }),
  };
}

/**
 * Where a VM is, as far as `root` and `quarantine` care: its host when running or sleeping.
 * @param state - the VM's state (undefined when unknown)
 * @param host - its host
 * @returns the host, or undefined when the VM is waiting, terminated or unknown
 */
export function residence(state: string | undefined, host: NodeId | undefined): NodeId | undefined {
  return state === 'running' || state === 'sleeping' ? host : undefined;
}

/**
 * The nodes an action moves a VM (or its image) between, for the action-based continuous
 * constraints: a migration's two nodes, a remote resume's two nodes, a boot's destination.
 * Local resumes, suspends, shutdowns and node actions move nothing.
 * @param action - the action
 * @returns the VM moved and its origin (absent for a boot) and destination, or undefined
 */
export function movement(action: Action): { vm: VmId; from?: NodeId; to: NodeId } | undefined {
  switch (action.type) {
    case 'migrate':
      return { vm: action.vm, from: action.from, to: action.to };
    case 'resume':
      return action.from === action.to ? undefined : { vm: action.vm, from: action.from, to: action.to };
    case 'boot':
      return { vm: action.vm, to: action.to };
    default:
      return undefined;
  }
}

/**
 * The discrete check shared by `running`, `sleeping` and `terminated`: each VM of `vms` ends in
 * `state` (a VM the configuration does not list is reported as absent).
 * @param type - the constraint type, which is also the state required
 * @param vms - the VMs named by the constraint
 * @param configuration - the configuration to read
 * @param ctx - the check context
 * @returns one violation per VM in another state
 */
export function checkFinalState(
  type: 'running' | 'sleeping' | 'terminated',
  vms: readonly VmId[],
  configuration: Configuration,
  ctx: CheckContext,
): Violation[] {
  const out: Violation[] = [];
  for (const vm of uniq(vms)) {
    const p = configuration.vms.get(vm);
    if (p?.state === type) continue;
    const on = p?.host === undefined ? '' : ` on ${p.host}`;
    const text = p === undefined ? `${vm} is absent, not ${type}` : `${vm} is ${p.state}${on}, not ${type}`;
    out.push(violation(type, ctx, text, [vm], p?.host === undefined ? [] : [p.host]));
  }
  return out;
}
