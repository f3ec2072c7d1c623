/**
 * Keep-set bounds and the packing at the bound: the node bound never exceeds the true minimum
 * (brute force), the migration bound never exceeds the least migration at that count, and a
 * packing, when one comes back, is valid, uses only the kept nodes and exactly the bound's count.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { indexInstance, VM_STATE_CODE } from '../../src/model/indexed.js';
import { loadBackend } from '../../src/solvers/backends.js';
import { solveKeepSet, volumeNodeBound } from '../../src/solvers/keep.js';
import { keepSetBounds } from '../../src/solvers/client.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { assignmentStats, compileProblem, toConfiguration } from '../../src/problem/dense.js';
import type { MipBackend } from '../../src/solvers/types.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { optimum } from '../place/brute.js';
import { arbWorld } from '../support/arbitraries.js';

let highs: MipBackend;
const runner = inThreadRunner();
beforeAll(async () => {
  const load = await loadBackend('highs');
  if (!load.ok) throw new Error(load.reason);
  highs = load.backend;
});
afterAll(() => runner.close());

describe('keep-set bounds and packing', () => {
  it('bounds nodes and migration from below, and packs validly into the kept nodes', () => {
    let packs = 0;
    let runs = 0;
    fc.assert(
      fc.property(arbWorld({ maxNodes: 4, maxVms: 6, minVms: 1, states: false, offline: false }), (world) => {
        const instance = world.instance.set('objective', { type: 'consolidate' });
        const ix = indexInstance(instance);
        const { problem: p, reasons: conflicts } = compileProblem(instance, { index: ix });
        fc.pre(conflicts.length === 0);
        const running = ix.vmIds.filter((_, v) => p.target[v] === VM_STATE_CODE.running);
        const best = optimum(instance, running);
        fc.pre(best !== undefined);
        runs++;
        let t = 0;
        const b = solveKeepSet(p, (model, timeLimitMs) => highs.solve(model, { timeLimitMs }), { timeLimitMs: 1e9, now: () => t++, pack: true });
        expect(b.nodes).toBeGreaterThanOrEqual(volumeNodeBound(p));
        expect(b.nodes).toBeLessThanOrEqual(best!.nodes);
        if (b.migration !== undefined && b.nodes === best!.nodes) expect(b.migration).toBeLessThanOrEqual(best!.best[1] + 1e-6);
        if (b.assign !== undefined) {
          packs++;
          expect(b.keep).toBeDefined();
          for (let v = 0; v < p.nVms; v++) if (p.target[v] === VM_STATE_CODE.running) expect(b.keep![b.assign[v]!]).toBe(1);
          expect(assignmentStats(p, b.assign).nodesUsed).toBe(b.nodes);
          expect(checkConfiguration(instance, toConfiguration(ix, p, b.assign))).toEqual([]);
          // A packing at the bound proves the bound is the minimum.
          expect(b.nodes).toBe(best!.nodes);
        }
      }),
      { numRuns: 120, seed: 4 },
    );
    // The packing is not a rare event: most keep sets of these worlds pack.
    expect(packs).toBeGreaterThan(runs / 2);
  });

  it('packs a heterogeneous cluster at its node bound, through a runner', async () => {
    const instance = heterogeneousCluster({ nodes: 60, vms: 260, seed: 2 });
    const ix = indexInstance(instance);
    const { problem: p } = compileProblem(instance, { index: ix });
    const b = await keepSetBounds(p, runner, 'highs', 20_000, { pack: true });
    expect(b.assign).toBeDefined();
    expect(b.nodes).toBeGreaterThanOrEqual(volumeNodeBound(p));
    expect(assignmentStats(p, b.assign!).nodesUsed).toBe(b.nodes);
    expect(checkConfiguration(instance, toConfiguration(ix, p, b.assign!))).toEqual([]);
    // Without packing, only the bounds come back.
    const bare = await keepSetBounds(p, runner, 'highs', 20_000);
    expect(bare.nodes).toBe(b.nodes);
    expect(bare.assign).toBeUndefined();
  });
});
