import { List, Map as IMap, OrderedMap, Record as IRecord } from 'immutable';
import type { Constraint } from './constraints.js';
import { Configuration, placement } from './configuration.js';
import type { JsonObject, NodeId, ResourceName, VjobId, VmId } from './ids.js';
import { makeNode, type Node, type NodeInit } from './node.js';
import { mapInterner } from './interner.js';
import {
  DEFAULT_DURATIONS,
  DEFAULT_OBJECTIVE,
  type Durations,
  type Limits,
  type Objective,
  type ResolvedDurations,
  type ResolvedLimits,
} from './objective.js';
import { makeVm, type Vm, type VmInit } from './vm.js';
import { makeVjob, type Vjob, type VjobInit } from './vjob.js';

/** The fields of an {@link Instance}. */
export interface InstanceProps {
  readonly nodes: OrderedMap<NodeId, Node>;
  readonly vms: OrderedMap<VmId, Vm>;
  /** Declared vjobs (VMs without a vjob form an implicit vjob of their own). */
  readonly vjobs: OrderedMap<VjobId, Vjob>;
  readonly constraints: List<Constraint>;
  /** The objective as written; undefined when the input named none ({@link objectiveOf}). */
  readonly objective: Objective | undefined;
  /** Durations as written ({@link durationsOf} fills the defaults). */
  readonly durations: Durations | undefined;
  /** Limits as written ({@link limitsOf} fills the defaults). */
  readonly limits: Limits | undefined;
  readonly x: JsonObject | undefined;
}

const InstanceRecord = IRecord<InstanceProps>({
  nodes: OrderedMap(),
  vms: OrderedMap(),
  vjobs: OrderedMap(),
  constraints: List(),
  objective: undefined,
  durations: undefined,
  limits: undefined,
  x: undefined,
});

/**
 * The cluster as it is, and what is wanted of it: nodes, VMs, vjobs, constraints, objective.
 * Immutable; build one with {@link makeInstance} or parse one with `parseInstance`.
 */
export class Instance extends InstanceRecord {}

/** Plain-object description of an instance, as accepted by {@link makeInstance}. */
export interface InstanceInit {
  readonly nodes: readonly NodeInit[];
  readonly vms: readonly VmInit[];
  readonly vjobs?: readonly VjobInit[];
  readonly constraints?: readonly Constraint[];
  readonly objective?: Objective;
  readonly durations?: Durations;
  readonly limits?: Limits;
  readonly x?: JsonObject;
}

/**
 * Builds an {@link Instance} from plain objects, without validation (use `validateInstance` or
 * `parseInstance` on untrusted input).
 *
 * @example
 * ```ts
 * const inst = makeInstance({
 *   nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 16384 } }],
 *   vms: [{ id: 'vm1', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1' }],
 * });
 * ```
 */
export function makeInstance(init: InstanceInit): Instance {
  // VMs of one flavour, nodes of one type share one demand / capacity / labels map.
  const maps = mapInterner();
  return new Instance({
    nodes: orderedById(init.nodes, (n) => makeNode(n, maps)),
    vms: orderedById(init.vms, (v) => makeVm(v, maps)),
    vjobs: orderedById(init.vjobs ?? [], (j) => makeVjob(j)),
    constraints: List(init.constraints ?? []),
    objective: init.objective,
    durations: init.durations,
    limits: init.limits,
    x: init.x,
  });
}

/** An ordered map by id of `items` made into values by `make` (the last of equal ids wins, as with `OrderedMap(entries)`). */
function orderedById<I extends { readonly id: string }, V>(items: readonly I[], make: (item: I) => V): OrderedMap<string, V> {
  return OrderedMap<string, V>().withMutations((m) => {
    for (const item of items) m.set(item.id, make(item));
  });
}

/** The objective of an instance, {@link DEFAULT_OBJECTIVE} when it names none. */
export function objectiveOf(instance: Instance): Objective {
  return instance.objective ?? DEFAULT_OBJECTIVE;
}

/** The durations of an instance with every default filled in ({@link DEFAULT_DURATIONS}). */
export function durationsOf(instance: Instance): ResolvedDurations {
  const d = instance.durations ?? {};
  return {
    bandwidth: d.bandwidth ?? DEFAULT_DURATIONS.bandwidth,
    wanBandwidth: d.wanBandwidth ?? DEFAULT_DURATIONS.wanBandwidth,
    diskRate: d.diskRate ?? DEFAULT_DURATIONS.diskRate,
    bootVm: d.bootVm ?? DEFAULT_DURATIONS.bootVm,
    shutdownVm: d.shutdownVm ?? DEFAULT_DURATIONS.shutdownVm,
    bootNode: d.bootNode ?? DEFAULT_DURATIONS.bootNode,
    shutdownNode: d.shutdownNode ?? DEFAULT_DURATIONS.shutdownNode,
  };
}

/** The limits of an instance, `Infinity` for each limit it does not set. */
export function limitsOf(instance: Instance): ResolvedLimits {
  const l = instance.limits ?? {};
  return {
    maxParallelMigrations: l.maxParallelMigrations ?? Infinity,
    maxMigrationsPerNode: l.maxMigrationsPerNode ?? Infinity,
  };
}

/** Every resource named by a node's capacity or a VM's demand, sorted. */
export function resourcesOf(instance: Instance): ResourceName[] {
  const names = new Set<ResourceName>();
  // Equal maps are shared within an instance (mapInterner): each distinct one is read once.
  const seen = new Set<IMap<ResourceName, number>>();
  const add = (m: IMap<ResourceName, number>): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const r of m.keys()) names.add(r);
  };
  for (const n of instance.nodes.values()) add(n.capacity);
  for (const v of instance.vms.values()) add(v.demand);
  return [...names].sort();
}

/** The vjob a VM belongs to: its declared vjob, or its own id (an implicit vjob of one VM). */
export function vjobOf(vm: Vm): VjobId {
  return vm.vjob ?? vm.id;
}

/** The source configuration of an instance: every VM and node as the instance describes them. */
export function sourceConfiguration(instance: Instance): Configuration {
  return new Configuration({
    vms: IMap(instance.vms.map((v) => placement(v.state, v.host))),
    nodes: IMap(instance.nodes.map((n) => n.state)),
  });
}

/**
 * Usable capacity of `resource` on `node`: capacity × the smallest `overbook` ratio that
 * applies (several overbook constraints on one node and resource: the most conservative wins).
 */
export function effectiveCapacity(instance: Instance, node: NodeId, resource: ResourceName): number {
  const n = instance.nodes.get(node);
  const base = n?.capacity.get(resource) ?? 0;
  let ratio: number | undefined;
  for (const c of instance.constraints) {
    if (c.type === 'overbook' && c.resource === resource && c.nodes.includes(node)) {
      ratio = ratio === undefined ? c.ratio : Math.min(ratio, c.ratio);
    }
  }
  return ratio === undefined ? base : base * ratio;
}
