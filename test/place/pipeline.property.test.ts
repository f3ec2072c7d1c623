/**
 * The library's main entry end to end: `planInstance` with the default placement on random small
 * worlds with every kind of constraint. Feasible-by-construction worlds always get a plan that
 * replays safely into a configuration satisfying every constraint; any world gets either such a
 * plan or `infeasible` with reasons, never an exception.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { defaultSolver } from '../../src/place/default.js';
import { planInstance } from '../../src/pipeline.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { workerRunner } from '../../src/solvers/pool.js';
import { arbConstrainedWorld, arbRandomWorld } from './worlds.js';
import { compiledWorker, CONSTRAINT_KINDS, randomConstraints } from '../solvers/support.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { Configuration } from '../../src/model/configuration.js';
import { Map as IMap } from 'immutable';
import { placement } from '../../src/model/configuration.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import type { Instance } from '../../src/model/instance.js';

const runner = workerRunner(compiledWorker(), 2);
afterAll(() => runner.close());
const solver = defaultSolver({ lns: { runner } });

/** The plan's target as a configuration. */
function targetOf(plan: FeasiblePlan): Configuration {
  return new Configuration({
    vms: IMap(Object.entries(plan.target.vms).map(([id, p]) => [id, placement(p.state, p.host)] as const)),
    nodes: IMap(Object.entries(plan.target.nodes)),
  });
}

async function planned(instance: Instance, seed: number) {
  const plan = await planInstance(instance, { seed, timeLimitMs: 400, solver });
  if (plan.status !== 'infeasible') {
    expect(verifyPlan(instance, plan).ok).toBe(true);
    expect(checkConfiguration(instance, targetOf(plan))).toEqual([]);
  } else {
    expect(plan.reasons.length).toBeGreaterThan(0);
  }
  return plan;
}

describe('planInstance end to end', () => {
  it('plans every feasible-by-construction world, safely and validly', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxNodes: 8, maxVms: 16, maxConstraints: 6 }), fc.nat(), async ({ instance }, seed) => {
        const plan = await planned(instance, seed);
        expect(plan.status).not.toBe('infeasible');
      }),
      { numRuns: 120, seed: 41 },
    );
  });

  it('plans feasible worlds with vjobs and tight capacities too', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxNodes: 8, maxVms: 16, maxConstraints: 6, vjobs: true, tight: true }), fc.nat(), async ({ instance }, seed) => {
        const plan = await planned(instance, seed);
        expect(plan.status).not.toBe('infeasible');
      }),
      { numRuns: 120, seed: 44 },
    );
  });

  it('answers any world with a valid plan or reasons, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(arbRandomWorld({ maxNodes: 8, maxVms: 16, maxConstraints: 6 }), fc.nat(), async (instance, seed) => {
        await planned(instance, seed);
      }),
      { numRuns: 120, seed: 42 },
    );
  });

  it('plans clusters beyond the exhaustive search (LNS and the keep-set packing at work), safely', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom('consolidate', 'balance', 'minMigrations'),
        fc.array(fc.tuple(fc.constantFrom(...CONSTRAINT_KINDS), fc.nat(), fc.nat()), { maxLength: 3 }),
        async (seed, type, raw) => {
          const base = heterogeneousCluster({ nodes: 18, vms: 75, seed, objective: { type } });
          const instance = base.set('constraints', base.constraints.concat(randomConstraints(base, raw)));
          await planned(instance, seed);
        },
      ),
      { numRuns: 30, seed: 43 },
    );
  });
});
