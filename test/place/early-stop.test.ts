/**
 * Early stopping (issue 18, item 3: "use the time or give it back"): a placement returns as soon
 * as its answer is proved, or once the search has stalled by the stall rule, says why in `stop`,
 * and never returns worse than the best answer it reported on the way. The clocks are injected:
 * a clock that stands still means the solver cannot be waiting for its limit.
 */
import fc from 'fast-check';
import { List } from 'immutable';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Instance } from '../../src/model/instance.js';
import { defaultSolver } from '../../src/place/default.js';
import { lnsSolver } from '../../src/place/lns.js';
import { placeInstance } from '../../src/place/place.js';
import { STOP_REASONS, type PlacementResult } from '../../src/place/types.js';
import { compileProblem } from '../../src/problem/dense.js';
import { loadBackend } from '../../src/solvers/backends.js';
import { better, lnsImprove, valueKey } from '../../src/solvers/neighbourhood.js';
import { inThreadRunner, workerRunner } from '../../src/solvers/pool.js';
import { keepBestFit } from '../../src/solvers/search/bestfit.js';
import type { MipBackend } from '../../src/solvers/types.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { arbClusterShape, shapedClusterOf } from '../support/arbitraries.js';
import { compiledWorker } from '../solvers/support.js';

const runner = workerRunner(compiledWorker(), 2);
afterAll(() => runner.close());

let highs: MipBackend;
beforeAll(async () => {
  const load = await loadBackend('highs');
  if (!load.ok) throw new Error(load.reason);
  highs = load.backend;
});

/** Ten minutes: far beyond what any test here may take, so that an answer before it is an early one. */
const LONG = 600_000;

/** The instance with a `spread` of two VMs on different source nodes: no aggregated model, so no exact model beside the search once `exactLimit` is 0. */
function withSpread(instance: Instance): Instance {
  const vms = [...instance.vms.values()];
  const a = vms[0]!;
  const b = vms.find((v) => v.host !== a.host)!;
  return instance.set('constraints', List([{ type: 'spread' as const, vms: [a.id, b.id] }]));
}

/** Answer a is worse than b for a consolidation: more nodes, or as many and more migrated memory. */
const worse = (a: readonly number[], b: readonly number[]): boolean => a[0]! > b[0]! || (a[0] === b[0] && a[1]! > b[1]! + 1e-6);

describe('the stall rule of lnsImprove', () => {
  it('ends the search after the given run of neighbourhoods at the bound without improvement, never worse than the start', () => {
    const instance = heterogeneousCluster({ nodes: 20, vms: 80, seed: 4, mix: 'cpu', nodeTypes: 3, flavours: 4 });
    const { problem: p } = compileProblem(instance);
    const start = keepBestFit(p)!;
    const first = valueKey(p, start)[0];
    let improvements = 0;
    const out = lnsImprove(p, start, {
      seed: 3,
      timeLimitMs: LONG,
      now: () => 0,
      solveSub: (model, timeLimitMs) => highs.solve(model, { timeLimitMs }),
      stall: { atFirst: first, neighbourhoods: 6 },
      onImprove: () => improvements++,
    });
    expect(out.ended).toBe('stalled');
    // Six flat neighbourhoods after the last improvement: at least six, and every improvement
    // (each resets the run) adds at most one run of up to five more before it.
    expect(out.iterations).toBeGreaterThanOrEqual(6);
    expect(out.iterations).toBeLessThanOrEqual(6 * (out.improvements + 1));
    expect(out.improvements).toBe(improvements);
    expect(better(valueKey(p, start), valueKey(p, out.assign))).toBe(false);
  });

  it('does not stall above the bound; the time bound stalls slow stretches; without a rule it runs to its budget', () => {
    const instance = heterogeneousCluster({ nodes: 20, vms: 80, seed: 4, mix: 'cpu', nodeTypes: 3, flavours: 4 });
    const { problem: p } = compileProblem(instance);
    const start = keepBestFit(p)!;
    const first = valueKey(p, start)[0];
    const solveSub = (model: Parameters<MipBackend['solve']>[0], timeLimitMs: number) => highs.solve(model, { timeLimitMs });
    // The bound is below anything reachable: the rule never applies, the iteration budget ends it.
    const above = lnsImprove(p, start, { seed: 3, timeLimitMs: LONG, now: () => 0, solveSub, maxIterations: 12, stall: { atFirst: 0, neighbourhoods: 2 } });
    expect(above.ended).toBe('iterations');
    expect(above.iterations).toBe(12);
    // A clock that moves one second per reading: once the stretch counts 2 neighbourhoods and
    // lasted 3 s without improvement, the time bound ends it, long before the count of 1000.
    let t = 0;
    const slow = lnsImprove(p, start, { seed: 3, timeLimitMs: LONG, now: () => (t += 1000), solveSub, stall: { atFirst: first, neighbourhoods: 1000, maxMs: 3000, minNeighbourhoods: 2 } });
    expect(slow.ended).toBe('stalled');
    expect(slow.iterations).toBeLessThan(40);
    const free = lnsImprove(p, start, { seed: 3, timeLimitMs: LONG, now: () => 0, solveSub, maxIterations: 12 });
    expect(free.ended).toBe('iterations');
  });
});

describe('early stopping of the placement', () => {
  it('a proved answer comes back without waiting for the limit, and says proved', async () => {
    // A clock that stands still: the solver cannot know any time passed, so only a proof ends it.
    const instance = heterogeneousCluster({ nodes: 30, vms: 120, seed: 2, mix: 'cpu', nodeTypes: 3, flavours: 4 });
    const r = await defaultSolver({ lns: { runner } }).solve(instance, { seed: 1, timeLimitMs: LONG, now: () => 0 });
    expect(r.status).toBe('optimal');
    expect(r.stop).toBe('proved');
    if (r.status === 'infeasible') return;
    expect(r.nodesUsed).toBe(r.lowerBound);
    expect(r.migrationLowerBound).toBe(r.migratedMemory);
  }, 60_000);

  it('a stalled search comes back before the limit, says stalled, at the node bound', async () => {
    const instance = withSpread(heterogeneousCluster({ nodes: 24, vms: 96, seed: 5, mix: 'cpu', nodeTypes: 3, flavours: 4 }));
    const reported: number[][] = [];
    const solver = lnsSolver({ runner: inThreadRunner(), exactLimit: 0, stallNeighbourhoods: 8, onImprove: (q) => reported.push([...q.value]) });
    const r = await solver.solve(instance, { seed: 1, timeLimitMs: LONG, now: () => 0 });
    expect(r.status).toBe('feasible');
    expect(r.stop).toBe('stalled');
    if (r.status === 'infeasible') return;
    expect(r.nodesUsed).toBe(r.lowerBound);
    expect(checkConfiguration(instance, r.target)).toEqual([]);
    const last = reported[reported.length - 1]!;
    expect(worse([r.nodesUsed, r.migratedMemory], last)).toBe(false);
  }, 60_000);

  it('with the rule off, the same search runs to the limit and says time-limit', async () => {
    const instance = withSpread(heterogeneousCluster({ nodes: 24, vms: 96, seed: 5, mix: 'cpu', nodeTypes: 3, flavours: 4 }));
    // The clock reads 0 a few times, then far past the deadline: the search gets a moment only.
    let reads = 0;
    const solver = lnsSolver({ runner: inThreadRunner(), exactLimit: 0, stallNeighbourhoods: 0 });
    const r = await solver.solve(instance, { seed: 1, timeLimitMs: 5_000, now: () => (++reads <= 12 ? 0 : 1e6) });
    expect(r.status).toBe('feasible');
    expect(r.stop).toBe('time-limit');
  }, 60_000);

  it('placeInstance says proved, exhausted or time-limit', async () => {
    const instance = heterogeneousCluster({ nodes: 6, vms: 12, seed: 1 });
    const proved = await placeInstance(instance, { seed: 1, timeLimitMs: LONG, now: () => 0 });
    expect(proved.status === 'optimal' ? proved.stop : 'not proved').toBe('proved');
    const big = heterogeneousCluster({ nodes: 60, vms: 400, seed: 5 });
    const once = await placeInstance(big, { seed: 1, timeLimitMs: LONG, now: () => 0, method: 'heuristic' });
    expect(once.stop).toBe(once.status === 'optimal' ? 'proved' : 'exhausted');
    let calls = 0;
    const cut = await placeInstance(big, { seed: 1, timeLimitMs: 1000, now: () => (++calls <= 2 ? 0 : 1e9), method: 'heuristic' });
    expect(cut.stop).toBe('time-limit');
  });
});

describe('early stopping never returns worse than the best found so far', () => {
  const shape = arbClusterShape(12, 30);
  it('on shaped clusters, with and without an exact model beside the search', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.boolean(), async (s, spread) => {
        const instance = spread ? withSpread(shapedClusterOf(s)) : shapedClusterOf(s);
        const reported: number[][] = [];
        // A short stall run and the rule applied whatever the exact model does (stallNodes 0):
        // the early returns are as frequent as they can be.
        const solver = defaultSolver({ lns: { runner, exactLimit: spread ? 0 : 250_000, stallNeighbourhoods: 3, stallNodes: 0, onImprove: (q) => reported.push([...q.value]) } });
        const r: PlacementResult = await solver.solve(instance, { seed: s.seed, timeLimitMs: 1500, now: () => performance.now() });
        expect(STOP_REASONS).toContain(r.stop);
        if (r.status === 'infeasible') return;
        expect(r.stop === 'proved').toBe(r.status === 'optimal');
        if (r.stop === 'stalled') expect(r.nodesUsed).toBe(r.lowerBound);
        for (const q of reported) expect(worse([r.nodesUsed, r.migratedMemory], q)).toBe(false);
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});
