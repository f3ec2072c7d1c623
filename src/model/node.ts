import { Map as IMap } from 'immutable';
import { ValueRecord } from './value.js';
import type { MapInterner } from './interner.js';
import type { JsonObject, NodeId, ResourceName } from './ids.js';

/** Power state of a node. Only online nodes host running VMs. */
export type NodeState = 'online' | 'offline';

/**
 * A node's own power-action durations (FORMAT.md `nodes[].durations`): seconds, each a finite
 * number > 0. `boot` is the node's `bootNode`, `shutdown` its `shutdownNode`; they replace the
 * instance's `durations.bootNode` / `shutdownNode` for this node. They say nothing of the VM
 * actions on the node (those take the VM's own durations, else the instance's model).
 */
export interface NodeDurations {
  /** Seconds of a `bootNode` of this node. */
  readonly boot?: number;
  /** Seconds of a `shutdownNode` of this node. */
  readonly shutdown?: number;
  readonly x?: JsonObject;
}

/** The action fields of {@link NodeDurations}, in FORMAT.md order. */
export const NODE_DURATION_FIELDS = ['boot', 'shutdown'] as const satisfies readonly Exclude<keyof NodeDurations, 'x'>[];

/** The fields of a {@link Node}. */
export interface NodeProps {
  readonly id: NodeId;
  /** Capacity per resource; a resource not listed has capacity 0. */
  readonly capacity: IMap<ResourceName, number>;
  readonly state: NodeState;
  /** Site (data centre) of the node; migrations across sites use the WAN bandwidth. */
  readonly site: string | undefined;
  readonly labels: IMap<string, string>;
  /** Its own power-action durations, if any (they take precedence over the instance's `durations`). */
  readonly durations: NodeDurations | undefined;
  /** Extension data, carried through untouched. */
  readonly x: JsonObject | undefined;
}

const NodeRecord = ValueRecord<NodeProps>({
  id: '',
  capacity: IMap(),
  state: 'online',
  site: undefined,
  labels: IMap(),
  durations: undefined,
  x: undefined,
});

/**
 * A physical machine: an immutable value with a capacity per resource.
 *
 * @example
 * ```ts
 * const n = makeNode({ id: 'n1', capacity: { cpu: 32, memory: 131072 } });
 * n.capacity.get('cpu'); // 32
 * ```
 */
export class Node extends NodeRecord {}

/** Plain-object description of a node, as accepted by {@link makeNode}. */
export interface NodeInit {
  readonly id: NodeId;
  readonly capacity: Readonly<Record<ResourceName, number>>;
  readonly state?: NodeState;
  readonly site?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly durations?: NodeDurations;
  readonly x?: JsonObject;
}

/**
 * Builds a {@link Node} from a plain object (no validation: use the io module for untrusted input).
 * @param init - the node's fields
 * @param maps - shares equal capacity and labels maps across the nodes of one instance (optional)
 * @returns the immutable node
 */
export function makeNode(init: NodeInit, maps?: MapInterner): Node {
  return new Node({
    id: init.id,
    capacity: maps ? maps(init.capacity) : IMap(Object.entries(init.capacity)),
    state: init.state ?? 'online',
    site: init.site,
    labels: maps ? maps(init.labels ?? {}) : IMap(Object.entries(init.labels ?? {})),
    durations: init.durations,
    x: init.x,
  });
}
