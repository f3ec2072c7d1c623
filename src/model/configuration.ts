import { Map as IMap, Record as IRecord } from 'immutable';
import { ValueRecord } from './value.js';
import type { NodeId, VmId } from './ids.js';
import type { NodeState } from './node.js';
import type { VmState } from './vm.js';

/** Where one VM is and in what state. */
export interface PlacementProps {
  readonly state: VmState;
  /** The node it runs on (running) or whose disk holds its image (sleeping); else undefined. */
  readonly host: NodeId | undefined;
}

const PlacementRecord = ValueRecord<PlacementProps>({ state: 'waiting', host: undefined });

/** The placement of one VM: an immutable value, equal (`Immutable.is`) to any other with the same fields. */
export class Placement extends PlacementRecord {}

/**
 * Builds a {@link Placement}. Hosts are dropped for `waiting` and `terminated` VMs, so that
 * equal situations give equal values.
 * @param state - the VM's state
 * @param host - its node when running or sleeping
 */
export function placement(state: VmState, host?: NodeId): Placement {
  return new Placement({ state, host: state === 'running' || state === 'sleeping' ? host : undefined });
}

/** The fields of a {@link Configuration}. */
export interface ConfigurationProps {
  /** State and host of every VM. */
  readonly vms: IMap<VmId, Placement>;
  /** Power state of every node. */
  readonly nodes: IMap<NodeId, NodeState>;
}

const ConfigurationRecord = IRecord<ConfigurationProps>({ vms: IMap(), nodes: IMap() });

/**
 * Where every VM is and in what state, and which nodes are online. Immutable; two
 * configurations are equal (`Immutable.is`, `.equals`) when they place everything alike.
 *
 * @example
 * ```ts
 * const c = new Configuration({ vms: IMap({ vm1: placement('running', 'n1') }), nodes: IMap({ n1: 'online' }) });
 * c.vms.get('vm1')?.host; // 'n1'
 * ```
 */
export class Configuration extends ConfigurationRecord {
  /** The VMs running on `node` (in the map's order). */
  runningOn(node: NodeId): VmId[] {
    const out: VmId[] = [];
    for (const [vm, p] of this.vms) if (p.state === 'running' && p.host === node) out.push(vm);
    return out;
  }

  /** The state of `vm`, or undefined when the configuration does not list it. */
  stateOf(vm: VmId): VmState | undefined {
    return this.vms.get(vm)?.state;
  }

  /** The host of `vm` (running or sleeping), or undefined. */
  hostOf(vm: VmId): NodeId | undefined {
    return this.vms.get(vm)?.host;
  }

  /** Whether `node` is online. */
  isOnline(node: NodeId): boolean {
    return this.nodes.get(node) === 'online';
  }
}
