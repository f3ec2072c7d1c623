/**
 * Partitioning: node groups are disjoint and cover every usable node; partitioned answers (repair
 * and improve modes) satisfy every constraint as a whole and are never worse than the heuristic.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import { partitionedSolver, partitionNodes } from '../../src/place/partition.js';
import { heuristicSolver } from '../../src/place/place.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { compileProblem, NodeMode } from '../../src/problem/dense.js';
import { makeInstance } from '../../src/model/instance.js';
import { planInstance } from '../../src/pipeline.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { repairWorkload } from '../../src/workload/repair.js';

const runner = inThreadRunner();
afterAll(() => runner.close());

describe('partitioning', () => {
  it('splits the usable nodes into disjoint groups that cover them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (nodes, size, seed) => {
        const instance = heterogeneousCluster({ nodes, vms: nodes, seed, load: 0.2 });
        const { problem, ix } = compileProblem(instance);
        const groups = partitionNodes(problem, ix, { size }, size);
        const seen = new Set<number>();
        for (const g of groups) {
          expect(g.length).toBeGreaterThan(0);
          for (const n of g) {
            expect(seen.has(n)).toBe(false);
            seen.add(n);
          }
        }
        let usable = 0;
        for (let n = 0; n < problem.nNodes; n++) if (problem.nodeMode[n] !== NodeMode.Off) usable++;
        expect(seen.size).toBe(usable);
      }),
      { numRuns: 40, seed: 31 },
    );
  });

  it('follows the groups of an among constraint', () => {
    const { instance } = repairWorkload({ nodes: 90, vms: 300, seed: 4, groupSize: 30 });
    const { problem, ix } = compileProblem(instance);
    const groups = partitionNodes(problem, ix, 'among', 30);
    expect(groups.map((g) => g.length)).toEqual([30, 30, 30]);
    expect([...groups[1]!].map((n) => ix.nodeIds[n])).toEqual(Array.from({ length: 30 }, (_, i) => `n${30 + i}`));
  });

  it('repairs BtrPlace-shaped clusters partition by partition, valid as a whole', async () => {
    for (const seed of [5, 6]) {
      const { instance } = repairWorkload({ nodes: 90, vms: 360, seed, groupSize: 30, load: 0.6 });
      const r = await partitionedSolver({ runner, partitionSize: 30 }).solve(instance, { seed, timeLimitMs: 3000, now: () => performance.now() });
      expect(r.status).not.toBe('infeasible');
      if (r.status === 'infeasible') continue;
      expect(checkConfiguration(instance, r.target)).toEqual([]);
      expect(r.migratedMemory).toBeGreaterThanOrEqual(r.migrationLowerBound ?? 0);
    }
  });

  it('improves a consolidation by partitions, never worse than the heuristic', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 4, max: 10 }), async (seed, size) => {
        const base = heterogeneousCluster({ nodes: 20, vms: 70, seed });
        const vms = [...base.vms.keys()];
        const constraints: Constraint[] = [{ type: 'spread', vms: vms.slice(0, 3) }, { type: 'gather', vms: vms.slice(3, 5) }];
        const instance = base.set('constraints', base.constraints.concat(constraints));
        let t = 0;
        const options = { seed, timeLimitMs: 300, now: () => (t += 1) };
        const h = await heuristicSolver.solve(instance, options);
        const r = await partitionedSolver({ runner, mode: 'improve', partition: { size }, partitionSize: size, startSolver: heuristicSolver }).solve(instance, options);
        if (h.status === 'infeasible') return;
        expect(r.status).not.toBe('infeasible');
        if (r.status === 'infeasible') return;
        expect(checkConfiguration(instance, r.target)).toEqual([]);
        expect(r.nodesUsed < h.nodesUsed || (r.nodesUsed === h.nodesUsed && r.migratedMemory <= h.migratedMemory)).toBe(true);
      }),
      { numRuns: 12, seed: 32 },
    );
  });

  it('answers, without crashing, when every node must end offline', async () => {
    const instance = makeInstance({
      nodes: [{ id: 'n0', capacity: { cpu: 1, memory: 512 } }],
      vms: [{ id: 'vm0', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n0' }],
      constraints: [{ type: 'offline', nodes: ['n0'] }],
      objective: { type: 'minMigrations' },
    });
    // The decide stage suspends the VM (it fits nowhere); the repair obeys the decision.
    const r = await partitionedSolver({ runner }).solve(instance, { seed: 1, timeLimitMs: 1000, now: () => performance.now() });
    expect(r.status).not.toBe('infeasible');
    if (r.status !== 'infeasible') expect(r.target.stateOf('vm0')).toBe('sleeping');
    const plan = await planInstance(instance, { timeLimitMs: 1000 });
    expect(plan.status).not.toBe('infeasible');
    if (plan.status !== 'infeasible') expect(plan.target.vms['vm0']!.state).toBe('sleeping');
  });
});
