import { Map as IMap } from 'immutable';
import { ValueRecord } from './value.js';
import type { MapInterner } from './interner.js';
import type { JsonObject, NodeId, ResourceName, VjobId, VmId } from './ids.js';

/** Life-cycle state of a VM (FORMAT.md). */
export type VmState = 'waiting' | 'running' | 'sleeping' | 'terminated';
/** The states a VM may be asked to reach through `wants`. */
export type WantedState = 'running' | 'sleeping' | 'terminated';

/** Every VM state, in a fixed order. */
export const VM_STATES: readonly VmState[] = ['waiting', 'running', 'sleeping', 'terminated'];
/** Every state `wants` accepts. */
export const WANTED_STATES: readonly WantedState[] = ['running', 'sleeping', 'terminated'];

/** The fields of a {@link Vm}. */
export interface VmProps {
  readonly id: VmId;
  /** Demand per resource; `memory` is also what a migration, suspend or resume moves. */
  readonly demand: IMap<ResourceName, number>;
  readonly state: VmState;
  /** Where it runs (running) or where its image lies (sleeping); undefined otherwise. */
  readonly host: NodeId | undefined;
  /** The vjob it belongs to; a VM without one is a vjob of its own. */
  readonly vjob: VjobId | undefined;
  /** The state it must reach, if imposed. */
  readonly wants: WantedState | undefined;
  readonly x: JsonObject | undefined;
}

const VmRecord = ValueRecord<VmProps>({
  id: '',
  demand: IMap(),
  state: 'waiting',
  host: undefined,
  vjob: undefined,
  wants: undefined,
  x: undefined,
});

/**
 * A virtual machine: an immutable value.
 *
 * @example
 * ```ts
 * const v = makeVm({ id: 'vm1', demand: { cpu: 2, memory: 4096 }, state: 'running', host: 'n1' });
 * ```
 */
export class Vm extends VmRecord {}

/** Plain-object description of a VM, as accepted by {@link makeVm}. */
export interface VmInit {
  readonly id: VmId;
  readonly demand: Readonly<Record<ResourceName, number>>;
  readonly state: VmState;
  readonly host?: NodeId;
  readonly vjob?: VjobId;
  readonly wants?: WantedState;
  readonly x?: JsonObject;
}

/**
 * Builds a {@link Vm} from a plain object (no validation).
 * @param init - the VM's fields
 * @param maps - shares equal demand maps across the VMs of one instance (optional)
 * @returns the immutable VM
 */
export function makeVm(init: VmInit, maps?: MapInterner): Vm {
  return new Vm({
    id: init.id,
    demand: maps ? maps(init.demand) : IMap(Object.entries(init.demand)),
    state: init.state,
    host: init.host,
    vjob: init.vjob,
    wants: init.wants,
    x: init.x,
  });
}
