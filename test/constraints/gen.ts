/**
 * Small random worlds for the constraint tests: an instance (source states and hosts, vjobs,
 * wants), a random configuration of it (any state, any host, some VMs absent, some hosts
 * unknown), and random constraints over its ids (plus ids it does not know).
 */
import fc from 'fast-check';
import { Map as IMap } from 'immutable';
import type { Constraint, ConstraintOf, ConstraintType } from '../../src/model/constraints.js';
import { Configuration, placement } from '../../src/model/configuration.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { NodeState } from '../../src/model/node.js';
import type { VmState, WantedState } from '../../src/model/vm.js';

export const STATES: readonly VmState[] = ['waiting', 'running', 'sleeping', 'terminated'];

export interface Setup {
  readonly instance: Instance;
  readonly configuration: Configuration;
  readonly vmIds: readonly string[];
  readonly nodeIds: readonly string[];
}

const arbVm = fc.record({
  cpu: fc.integer({ min: 1, max: 4 }),
  memory: fc.integer({ min: 1, max: 3 }),
  srcState: fc.constantFrom(...STATES),
  srcSlot: fc.nat(9),
  state: fc.constantFrom<VmState>('running', 'running', 'running', 'running', 'waiting', 'sleeping', 'terminated'),
  slot: fc.nat(9),
  absent: fc.nat(11),
  vjob: fc.constantFrom<string | undefined>(undefined, undefined, 'j0', 'j1'),
  wants: fc.constantFrom<WantedState | undefined>(undefined, undefined, undefined, 'running', 'sleeping', 'terminated'),
});

const arbNode = fc.record({
  cpu: fc.integer({ min: 0, max: 8 }),
  memory: fc.integer({ min: 0, max: 6 }),
  srcOnline: fc.boolean(),
  state: fc.constantFrom<NodeState | 'absent'>('online', 'online', 'online', 'offline', 'absent'),
});

/** A host for slot `s` among `n` nodes: slot 9 is a node the instance does not know. */
function hostOf(slot: number, n: number): string {
  return slot === 9 ? 'nx' : `n${slot % n}`;
}

/**
 * A random instance (2..maxNodes nodes, 0..maxVms VMs) and a random configuration of it.
 * @param maxNodes - most nodes
 * @param maxVms - most VMs
 */
export function arbSetup(maxNodes = 3, maxVms = 6): fc.Arbitrary<Setup> {
  return fc
    .record({
      nNodes: fc.integer({ min: Math.min(2, maxNodes), max: maxNodes }),
      nodes: fc.array(arbNode, { minLength: maxNodes, maxLength: maxNodes }),
      vms: fc.integer({ min: Math.min(2, maxVms), max: maxVms }).chain((n) => fc.array(arbVm, { minLength: n, maxLength: n })),
    })
    .map(({ nNodes, nodes, vms }) => {
      const nodeIds = Array.from({ length: nNodes }, (_, i) => `n${i}`);
      const vmIds = vms.map((_, i) => `vm${i}`);
      const instance = makeInstance({
        nodes: nodeIds.map((id, i) => ({
          id,
          capacity: { cpu: nodes[i]!.cpu, memory: nodes[i]!.memory },
          state: nodes[i]!.srcOnline ? 'online' : 'offline',
        })),
        vms: vms.map((v, i) => ({
          id: vmIds[i]!,
          demand: { cpu: v.cpu, memory: v.memory },
          state: v.srcState,
          ...(v.srcState === 'running' || v.srcState === 'sleeping' ? { host: `n${v.srcSlot % nNodes}` } : {}),
          ...(v.vjob === undefined ? {} : { vjob: v.vjob }),
          ...(v.wants === undefined ? {} : { wants: v.wants }),
        })),
        vjobs: [{ id: 'j0' }, { id: 'j1' }],
      });
      const configuration = new Configuration({
        vms: IMap(
          vms.flatMap((v, i) => (v.absent === 0 ? [] : [[vmIds[i]!, placement(v.state, hostOf(v.slot, nNodes))] as const])),
        ),
        nodes: IMap(nodeIds.flatMap((id, i) => (nodes[i]!.state === 'absent' ? [] : [[id, nodes[i]!.state as NodeState] as const]))),
      });
      return { instance, configuration, vmIds, nodeIds };
    });
}

/**
 * Ids a constraint may name: 1..max distinct known ones (uniform length: fast-check's default
 * favours very short arrays), sometimes with an unknown id or a repeated one added.
 */
function ids(known: readonly string[], ghost: string, max: number): fc.Arbitrary<string[]> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: Math.min(max, known.length) }),
      order: fc.shuffledSubarray([...known], { minLength: known.length, maxLength: known.length }),
      ghost: fc.nat(5),
      repeat: fc.nat(5),
    })
    .map(({ n, order, ghost: g, repeat }) => {
      const out = order.slice(0, n);
      if (repeat === 0) out.push(out[0]!);
      if (g === 0) out.splice(g % (out.length + 1), 0, ghost);
      return out;
    });
}

/**
 * A random constraint of type `type` over the ids of a setup.
 * @param type - the constraint type
 * @param s - the setup whose VMs and nodes it names
 */
export function arbConstraint<K extends ConstraintType>(type: K, s: Setup): fc.Arbitrary<ConstraintOf<K>> {
  const vms = ids(s.vmIds, 'ghost', 4);
  const nodes = ids(s.nodeIds, 'nx', 3);
  const continuous = fc.boolean();
  const arb = (): fc.Arbitrary<object> => {
    switch (type) {
      case 'ban':
      case 'fence':
        return fc.record({ type: fc.constant(type), vms, nodes, continuous });
      case 'among':
        return fc.record({ type: fc.constant(type), vms, groups: fc.array(nodes, { maxLength: 3 }), continuous });
      case 'split':
        return fc.record({ type: fc.constant(type), groups: fc.array(ids(s.vmIds, 'ghost', 3), { maxLength: 3 }) });
      case 'spread':
      case 'gather':
      case 'lonely':
      case 'root':
        return fc.record({ type: fc.constant(type), vms });
      case 'running':
      case 'sleeping':
      case 'terminated':
        return fc.record({ type: fc.constant(type), vms: ids(s.vmIds, 'ghost', 2) });
      case 'quarantine':
      case 'online':
      case 'offline':
        return fc.record({ type: fc.constant(type), nodes });
      case 'overbook':
        return fc.record({
          type: fc.constant(type),
          nodes,
          resource: fc.constantFrom('cpu', 'cpu', 'memory', 'gpu'),
          ratio: fc.constantFrom(0.5, 1, 1.5, 2),
        });
      case 'resourceCapacity':
        return fc.record({
          type: fc.constant(type),
          nodes,
          resource: fc.constantFrom('cpu', 'memory', 'gpu'),
          amount: fc.integer({ min: 0, max: 8 }),
        });
      case 'runningCapacity':
      case 'maxOnline':
        return fc.record({ type: fc.constant(type), nodes, amount: fc.integer({ min: 0, max: 3 }) });
      case 'reserved':
        return fc.record({ type: fc.constant(type), nodes, vjob: fc.constantFrom('j0', 'j1', 'vm0') });
    }
    throw new Error(`no generator for ${type}`);
  };
  // Each branch builds the fields of `type`, so the value is a ConstraintOf<K>.
  return arb() as fc.Arbitrary<ConstraintOf<K>>;
}

/** A setup whose instance carries one random constraint of `type` at `index` (fillers around it). */
export interface ConstraintCase<K extends ConstraintType> extends Setup {
  readonly constraint: ConstraintOf<K>;
  readonly index: number;
}

/**
 * A random setup with one constraint of `type`, placed at a random index among filler constraints.
 * @param type - the constraint type
 */
export function arbCase<K extends ConstraintType>(type: K): fc.Arbitrary<ConstraintCase<K>> {
  // No bias: fast-check's small-value bias would make most VMs absent and most lists one long.
  return fc.noBias(arbSetup()).chain((s) =>
    fc.noBias(fc.record({ constraint: arbConstraint(type, s), index: fc.nat(2) })).map(({ constraint, index }) => {
      const filler: Constraint = { type: 'running', vms: [] };
      const constraints = [...Array.from({ length: index }, () => filler), constraint, filler];
      return { ...s, instance: s.instance.set('constraints', s.instance.constraints.clear().push(...constraints)), constraint, index };
    }),
  );
}
