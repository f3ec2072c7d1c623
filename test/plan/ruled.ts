/**
 * Random small worlds with rules: an `arbWorld` whose instance also carries a few random
 * constraints (continuous ones included), `wants` and vjobs, for the equivalence properties of
 * the verifier and the planner against their frozen predecessors.
 */
import fc from 'fast-check';
import type { Constraint, ConstraintType } from '../../src/model/constraints.js';
import type { Instance } from '../../src/model/instance.js';
import { arbConstraint } from '../constraints/gen.js';
import { arbWorld, type World } from '../support/arbitraries.js';

const TYPES: readonly ConstraintType[] = ['spread', 'ban', 'fence', 'among', 'root', 'quarantine', 'gather', 'overbook', 'running', 'offline', 'maxOnline'];

/** A world whose instance carries a few random constraints, wants and vjobs. */
export const arbRuled: fc.Arbitrary<World> = arbWorld({ maxNodes: 4, maxVms: 7 }).chain((world) => {
  const setup = { instance: world.instance, configuration: world.hidden, vmIds: [...world.instance.vms.keys()], nodeIds: [...world.instance.nodes.keys()] };
  if (setup.vmIds.length === 0) return fc.constant(world);
  return fc
    .record({
      constraints: fc.array(fc.constantFrom(...TYPES), { maxLength: 3 }).chain((ts) => fc.tuple(...ts.map((t) => arbConstraint(t, setup) as fc.Arbitrary<Constraint>))),
      wants: fc.array(fc.constantFrom(undefined, undefined, 'running', 'sleeping', 'terminated'), { minLength: setup.vmIds.length, maxLength: setup.vmIds.length }),
      vjobs: fc.array(fc.constantFrom(undefined, undefined, 'j0'), { minLength: setup.vmIds.length, maxLength: setup.vmIds.length }),
    })
    .map(({ constraints, wants, vjobs }) => {
      let instance: Instance = world.instance.set('constraints', world.instance.constraints.clear().push(...constraints));
      instance = instance.set('vms', instance.vms.map((v, id) => {
        const k = setup.vmIds.indexOf(id);
        return v.set('wants', wants[k] as never).set('vjob', vjobs[k]);
      }));
      return { instance, hidden: world.hidden };
    });
});

