/**
 * The planner against the frozen copy of itself from before the speed work (one pass over the
 * target, dense target, actions built without sets and spreads, an index handed in): the same
 * result, down to the key order of every action, on random worlds with rules, for both cycle
 * breakings, with and without target validation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexInstance } from '../../src/model/indexed.js';
import { buildPlan } from '../../src/plan/planner.js';
import { buildPlan as legacyPlan } from './legacy/planner.js';
import { arbRuled } from './ruled.js';

describe('buildPlan agrees with its predecessor', () => {
  it('same actions (and key order), stats, target and reasons', () => {
    let planned = 0;
    let unplannable = 0;
    fc.assert(
      fc.property(arbRuled, fc.boolean(), fc.constantFrom('minimal' as const, 'parallel' as const), fc.boolean(), fc.nat(), (world, validateTarget, cycleBreaking, withIndex, drop) => {
        const options = { validateTarget, cycleBreaking };
        // Sometimes a target that omits a VM or a node (they keep their source state).
        const vmIds = [...world.hidden.vms.keys()];
        const nodeIds = [...world.hidden.nodes.keys()];
        let target = world.hidden;
        if (drop % 3 === 1 && vmIds.length > 0) target = target.deleteIn(['vms', vmIds[(drop >> 2) % vmIds.length]!]);
        if (drop % 5 === 2) target = target.deleteIn(['nodes', nodeIds[(drop >> 3) % nodeIds.length]!]);
        world = { ...world, hidden: target };
        const want = legacyPlan(world.instance, world.hidden, options);
        const got = buildPlan(world.instance, world.hidden, withIndex ? { ...options, index: indexInstance(world.instance, world.hidden) } : options);
        expect(got).toEqual(want);
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        if (got.status === 'planned') planned++;
        else unplannable++;
      }),
      { numRuns: 400 },
    );
    expect(planned).toBeGreaterThan(50);
    expect(unplannable).toBeGreaterThan(10);
  });
});
