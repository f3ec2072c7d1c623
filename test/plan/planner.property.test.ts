import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sourceConfiguration, type Instance } from '../../src/model/instance.js';
import { buildPlan, type PlannedResult } from '../../src/plan/planner.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { arbWorld } from '../support/arbitraries.js';
import { actionsPerVm, asPlan, fullShuffle, harden } from './planner-support.js';

/** Fails with the verifier's violations when the planner's plan is not valid. */
function expectValid(instance: Instance, r: PlannedResult): void {
  const v = verifyPlan(instance, asPlan(r));
  expect(v.violations.map((x) => `${x.code}: ${x.message}`)).toEqual([]);
}

/** Only cycle breaks may touch a VM twice, and each break accounts for one VM. */
function expectMinimal(r: PlannedResult): void {
  let twice = 0;
  for (const [, kinds] of actionsPerVm(r)) {
    if (kinds.length === 1) continue;
    twice++;
    expect(kinds.length).toBeLessThanOrEqual(3);
    const k = kinds.join(',');
    expect(['migrate,migrate', 'suspend,resume', 'migrate,suspend,resume']).toContain(k);
  }
  expect(twice).toBeLessThanOrEqual(r.stats.detours + r.stats.suspends + r.stats.groupSwitches);
}

/**
 * The plan executed by following `after` alone, each action taking `stretch` times its planned
 * duration and starting as soon as the actions it names have ended.
 */
function followAfter(plan: FeasiblePlan, stretch: (i: number) => number): FeasiblePlan {
  const end = new Map<number, number>();
  const actions: Action[] = [];
  for (const [i, a] of [...plan.actions].sort((x, y) => x.id - y.id).entries()) {
    const start = Math.max(0, ...(a.after ?? []).map((p) => end.get(p)!));
    const e = start + (a.end - a.start) * stretch(i);
    end.set(a.id, e);
    actions.push({ ...a, start, end: e });
  }
  const migrations = actions.filter((a) => a.type === 'migrate');
  const makespan = actions.length === 0 ? 0 : Math.max(...actions.map((a) => a.end));
  return { ...plan, actions, stats: { ...plan.stats, makespan, migrations: migrations.length } };
}

describe('buildPlan on random worlds (fast-check, verifier as oracle)', () => {
  it('reaches every reachable target with a valid, minimal plan whose makespan is at least its bound', () => {
    fc.assert(
      fc.property(arbWorld({ maxNodes: 5, maxVms: 9 }), ({ instance, hidden }) => {
        const r = buildPlan(instance, hidden);
        expect(r.status).toBe('planned');
        if (r.status !== 'planned') return;
        expectValid(instance, r);
        expectMinimal(r);
        expect(r.stats.makespanLowerBound).toBeLessThanOrEqual(r.stats.makespan);
      }),
      { numRuns: 250 },
    );
  });

  it('plans across sites (WAN bandwidth) and with offline nodes', () => {
    fc.assert(
      fc.property(arbWorld({ maxNodes: 6, maxVms: 10, sites: 2 }), ({ instance, hidden }) => {
        const r = buildPlan(instance, hidden);
        expect(r.status).toBe('planned');
        if (r.status === 'planned') expectValid(instance, r);
      }),
      { numRuns: 120 },
    );
  });

  it('plans tight worlds with continuous constraints (spread, ban, fence, among, root, quarantine) and limits', () => {
    fc.assert(
      fc.property(
        arbWorld({ maxNodes: 5, maxVms: 10 }),
        fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
        fc.boolean(),
        fc.constantFrom('minimal' as const, 'parallel' as const),
        fc.option(fc.record({ maxMigrationsPerNode: fc.integer({ min: 1, max: 2 }), maxParallelMigrations: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
        (world, picks, tight, cycleBreaking, limits) => {
          const hard = harden(world, picks, tight);
          const instance = limits ? hard.instance.set('limits', limits) : hard.instance;
          const hidden = hard.hidden;
          const r = buildPlan(instance, hidden, { cycleBreaking });
          if (r.status !== 'planned') throw new Error(r.reasons.map((x) => x.message).join('; '));
          expectValid(instance, r);
          expectMinimal(r);
          expect(r.stats.makespanLowerBound).toBeLessThanOrEqual(r.stats.makespan);
          if (limits === undefined) {
            // run by `after` alone (an engine enforces the limits itself, so only without them)
            const replay = followAfter(asPlan(r), (i) => [1, 4, 0.5][i % 3]!);
            expect(verifyPlan(instance, replay).violations.map((x) => `${x.code}: ${x.message}`)).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives an empty plan when the target is the source', () => {
    fc.assert(
      fc.property(arbWorld({ maxNodes: 5, maxVms: 9 }), ({ instance }) => {
        const r = buildPlan(instance, sourceConfiguration(instance));
        expect(r.status).toBe('planned');
        if (r.status !== 'planned') return;
        expect(r.actions).toEqual([]);
        expect(r.stats.makespan).toBe(0);
        expectValid(instance, r);
      }),
      { numRuns: 100 },
    );
  });

  it('stays valid when run by its `after` graph alone, whatever the actual durations', () => {
    fc.assert(
      fc.property(
        arbWorld({ maxNodes: 5, maxVms: 9 }),
        fc.array(fc.constantFrom(0.25, 1, 1, 3, 10), { minLength: 1, maxLength: 16 }),
        ({ instance, hidden }, factors) => {
          const r = buildPlan(instance, hidden);
          if (r.status !== 'planned') return;
          const replay = followAfter(asPlan(r), (i) => factors[i % factors.length]!);
          const v = verifyPlan(instance, replay);
          expect(v.violations.map((x) => `${x.code}: ${x.message}`)).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('buildPlan on exactly full clusters (random interlocking cycles)', () => {
  const arbShuffle = fc
    .record({ k: fc.integer({ min: 2, max: 9 }), per: fc.integer({ min: 1, max: 4 }), free: fc.integer({ min: 0, max: 2 }) })
    .chain(({ k, per, free }) =>
      fc.record({
        k: fc.constant(k),
        per: fc.constant(per),
        free: fc.constant(free),
        perm: fc.shuffledSubarray(
          Array.from({ length: k * per }, (_, i) => i),
          { minLength: k * per, maxLength: k * per },
        ),
      }),
    );

  it('breaks every cycle, with or without a pivot node, and the plan is valid', () => {
    fc.assert(
      fc.property(arbShuffle, fc.constantFrom('minimal' as const, 'parallel' as const), ({ k, per, free, perm }, cycleBreaking) => {
        const { instance, target } = fullShuffle(k, per, perm, free);
        const r = buildPlan(instance, target, { cycleBreaking });
        expect(r.status).toBe('planned');
        if (r.status !== 'planned') return;
        expectValid(instance, r);
        expectMinimal(r);
        if (free === 0) expect(r.stats.detours).toBe(0); // no room anywhere: only suspends can break
        const moving = perm.filter((to, s) => Math.floor(to / per) !== Math.floor(s / per)).length;
        expect(r.stats.migrations).toBe(moving - r.stats.suspends + r.stats.detours);
        const replay = followAfter(asPlan(r), (i) => [1, 3, 0.5][i % 3]!);
        expect(verifyPlan(instance, replay).violations).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
