/**
 * The aggregated balance formulation (capacities on the balance resource scaled to a peak) gives
 * the per-VM model's least migration at that peak, and its answers keep the peak and every rule.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import { indexInstance } from '../../src/model/indexed.js';
import { loadBackend } from '../../src/solvers/backends.js';
import { balanceFormulation, perVmFormulation } from '../../src/place/mip.js';
import { assignmentStats, compileProblem, sourceAssignment, toConfiguration } from '../../src/problem/dense.js';
import type { MipBackend } from '../../src/solvers/types.js';
import { arbWorld } from '../support/arbitraries.js';

let highs: MipBackend;
beforeAll(async () => {
  const load = await loadBackend('highs');
  if (!load.ok) throw new Error(load.reason);
  highs = load.backend;
});

describe('balance on the aggregated formulation', () => {
  it('matches the per-VM model: same least migration at the same peak, valid answers', () => {
    fc.assert(
      fc.property(
        arbWorld({ maxNodes: 4, maxVms: 6, minVms: 1, states: false, offline: false }),
        fc.double({ min: 0.3, max: 1, noNaN: true }),
        fc.boolean(),
        (world, level, banned) => {
          let instance = world.instance.set('objective', { type: 'balance' });
          const ids = [...instance.vms.keys()];
          if (banned) instance = instance.set('constraints', instance.constraints.push({ type: 'ban', vms: ids.slice(0, 1), nodes: ['n0'] } as Constraint));
          const ix = indexInstance(instance);
          const { problem: p, reasons: conflicts } = compileProblem(instance, { index: ix });
          fc.pre(conflicts.length === 0);
          const source = sourceAssignment(p);
          // A peak between the fractional bound and the source's, so that both models have work to do.
          const maxPeak = assignmentStats(p, source).peakRatio * level + 1e-9;
          const solve = (f: ReturnType<typeof perVmFormulation>) => {
            const built = f.build({ kind: 'peakCost', maxPeak }, source);
            // A VM that fits no node at this peak: no solution, as a model proved infeasible.
            if ('conflicts' in built) return { status: 'infeasible' as const };
            const out = highs.solve(built.model, { timeLimitMs: 20_000 });
            return out.status === 'optimal' ? { status: 'optimal' as const, objective: out.objective, assign: built.decode(out.x) } : { status: out.status };
          };
          const agg = solve(balanceFormulation(p));
          const ref = solve(perVmFormulation(p));
          expect(agg.status).toBe(ref.status);
          if (agg.status !== 'optimal' || ref.status !== 'optimal') return;
          expect(agg.objective).toBeCloseTo(ref.objective, 6);
          const stats = assignmentStats(p, agg.assign);
          expect(stats.peakRatio).toBeLessThanOrEqual(maxPeak + 1e-9);
          expect(stats.migratedMemory).toBeCloseTo(agg.objective, 6);
          expect(checkConfiguration(instance, toConfiguration(ix, p, agg.assign))).toEqual([]);
        },
      ),
      { numRuns: 150, seed: 8 },
    );
  });
});
