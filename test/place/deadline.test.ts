/**
 * The time limit bounds the whole call (issue 18, item 1): `planInstance` counts its budget from
 * `startedAt` (the caller's read included), gives the placement only what the planner and the
 * verifier are expected to leave, and still answers when nothing is left. On a fake clock that
 * moves only while the placement runs (by exactly the budget the placement was given), the call
 * ends within the limit whatever the read took.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import { heuristicSolver } from '../../src/place/place.js';
import type { PlacementSolver } from '../../src/place/types.js';
import { afterPlacementMs, planInstance } from '../../src/pipeline.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';

/** A solver that spends, on the fake clock, the whole budget it is given, then answers as the heuristic does. */
function spendingSolver(clock: { t: number }, given: number[]): PlacementSolver {
  return {
    name: 'spending',
    solve: async (instance, options) => {
      given.push(options.timeLimitMs);
      clock.t += options.timeLimitMs;
      return heuristicSolver.solve(instance, options);
    },
  };
}

const small: Instance = heterogeneousCluster({ nodes: 12, vms: 40, seed: 3, load: 0.5 });

describe('the time limit bounds the whole call', () => {
  it('the read counts: the placement gets the limit less the read and the planner share, and the call ends within the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 9_000 }), async (readMs) => {
        const clock = { t: 0 };
        const given: number[] = [];
        const startedAt = clock.t;
        clock.t += readMs; // the caller read and validated the instance
        const plan = await planInstance(small, { timeLimitMs: 10_000, startedAt, now: () => clock.t, solver: spendingSolver(clock, given) });
        expect(plan.status).not.toBe('infeasible');
        expect(given).toHaveLength(1);
        expect(given[0]!).toBeLessThanOrEqual(10_000 - readMs - afterPlacementMs(small) + 1e-9);
        expect(clock.t - startedAt).toBeLessThanOrEqual(10_000);
        expect(plan.stats?.phases?.read).toBe(readMs);
        expect(plan.stats?.phases?.place).toBe(Math.round(given[0]!));
      }),
      { numRuns: 25 },
    );
  });

  it('a read that used up the budget still gets a verified plan, from a placement given the least budget', async () => {
    const clock = { t: 0 };
    const given: number[] = [];
    const plan = await planInstance(small, { timeLimitMs: 1_000, startedAt: -5_000, now: () => clock.t, solver: spendingSolver(clock, given) });
    expect(given).toEqual([1]);
    expect(plan.status).not.toBe('infeasible');
    expect(verifyPlan(small, plan).ok).toBe(true);
    expect(plan.stats?.phases?.read).toBe(5_000);
  });

  it('without startedAt the budget starts with the call; every phase is reported, in stats and through onProgress', async () => {
    const clock = { t: 100 };
    const given: number[] = [];
    const seen: { phase: string; timeLeftMs?: number }[] = [];
    const plan = await planInstance(small, { timeLimitMs: 2_000, now: () => clock.t, solver: spendingSolver(clock, given), onProgress: (e) => seen.push(e) });
    expect(given[0]!).toBeCloseTo(2_000 - afterPlacementMs(small), 6);
    expect(Object.keys(plan.stats?.phases ?? {})).toEqual(['decide', 'place', 'plan', 'verify']);
    expect(seen.map((e) => e.phase).filter((p) => ['decide', 'place', 'plan', 'verify'].includes(p))).toEqual(['decide', 'place', 'plan', 'verify']);
    // after the placement spent its share, only the planner's share is left
    expect(seen.find((e) => e.phase === 'plan')?.timeLeftMs).toBeCloseTo(afterPlacementMs(small), 6);
  });

  it('the planner share grows with the instance and is a few milliseconds for a small one', () => {
    const tiny = makeInstance({ nodes: [{ id: 'n1', capacity: { cpu: 4 } }], vms: [{ id: 'v', demand: { cpu: 1 }, state: 'running', host: 'n1' }] });
    expect(afterPlacementMs(tiny)).toBeLessThan(1);
    expect(afterPlacementMs(small)).toBeGreaterThan(afterPlacementMs(tiny));
  });

  it('rejects a startedAt that is not a clock reading', async () => {
    await expect(planInstance(small, { startedAt: Number.NaN })).rejects.toMatchObject({ code: 'invalid-options' });
  });
});
