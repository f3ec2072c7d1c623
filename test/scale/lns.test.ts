/**
 * Large neighbourhood search: every answer satisfies every constraint (core checkers) and is
 * never worse than its start; the LNS solver proves small consolidations like the exact MIP.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import { sourceConfiguration, type Instance } from '../../src/model/instance.js';
import { lnsSolver } from '../../src/place/lns.js';
import { heuristicSolver } from '../../src/place/place.js';
import type { PlacementSolver } from '../../src/place/types.js';
import { statesOf } from '../../src/place/answer.js';
import { loadBackend } from '../../src/solvers/backends.js';
import { mipSolver } from '../../src/place/mip.js';
import { lnsImprove, valueKey } from '../../src/solvers/neighbourhood.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { compileProblem, defaultTargetStates, fromConfiguration, toConfiguration } from '../../src/problem/dense.js';
import type { MipBackend } from '../../src/solvers/types.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { indexInstance } from '../../src/model/indexed.js';
import { arbWorld, type World } from '../support/arbitraries.js';
import { bruteForce, CONSTRAINT_KINDS, peak, randomConstraints } from '../solvers/support.js';

const runner = inThreadRunner();
let highs: MipBackend;
beforeAll(async () => {
  const load = await loadBackend('highs');
  if (!load.ok) throw new Error(load.reason);
  highs = load.backend;
});
afterAll(() => runner.close());

/**
 * A world, constraints that its hidden configuration satisfies, and that configuration as the
 * start; undefined when the constraints drawn cannot be kept consistent.
 */
function worldWithValidStart(world: World, raw: readonly (readonly [(typeof CONSTRAINT_KINDS)[number], number, number])[], objective: Instance['objective']) {
  let instance = world.instance.set('objective', objective);
  let constraints: Constraint[] = randomConstraints(instance, raw);
  for (let round = 0; round < 3; round++) {
    instance = instance.set('constraints', instance.constraints.clear().concat(constraints));
    const ix = indexInstance(instance);
    const states = statesOf(ix, world.hidden, defaultTargetStates(instance, ix));
    const { problem, reasons: conflicts } = compileProblem(instance, { states, index: ix });
    if (conflicts.length > 0) return undefined;
    const start = fromConfiguration(ix, world.hidden);
    const violations = checkConfiguration(instance, toConfiguration(ix, problem, start));
    if (violations.length === 0) return { instance, ix, problem, start };
    const broken = new Set(violations.map((v) => v.constraint).filter((c): c is number => c !== undefined));
    if (broken.size === 0) return undefined;
    constraints = constraints.filter((_, i) => !broken.has(i));
  }
  return undefined;
}

describe('large neighbourhood search', () => {
  it('keeps every constraint and never makes the start worse', () => {
    fc.assert(
      fc.property(
        arbWorld({ maxNodes: 5, maxVms: 8, minVms: 1 }),
        fc.array(fc.tuple(fc.constantFrom(...CONSTRAINT_KINDS), fc.nat(), fc.nat()), { maxLength: 3 }),
        fc.constantFrom<Instance['objective']>({ type: 'consolidate' }, { type: 'consolidate', powerOff: true }, { type: 'minMigrations' }, { type: 'balance' }),
        fc.nat(),
        (world, raw, objective, seed) => {
          const w = worldWithValidStart(world, raw, objective);
          fc.pre(w !== undefined);
          const { instance, ix, problem, start } = w!;
          let t = 0;
          const out = lnsImprove(problem, start, {
            seed,
            timeLimitMs: 1e9,
            now: () => t++,
            solveSub: (model, timeLimitMs) => highs.solve(model, { timeLimitMs }),
            maxIterations: 6,
            nodes: 3,
          });
          expect(checkConfiguration(instance, toConfiguration(ix, problem, out.assign))).toEqual([]);
          const before = valueKey(problem, start);
          const after = valueKey(problem, out.assign);
          expect(after[0] < before[0] - 1e-9 || (Math.abs(after[0] - before[0]) <= 1e-9 && after[1] <= before[1] + 1e-6)).toBe(true);
        },
      ),
      { numRuns: 60, seed: 21 },
    );
  });

  it('improves a constrained cluster from the heuristic start, validly', async () => {
    const base = heterogeneousCluster({ nodes: 12, vms: 48, seed: 5 });
    const vms = [...base.vms.keys()];
    const constraints: Constraint[] = [
      { type: 'spread', vms: vms.slice(0, 4) },
      { type: 'spread', vms: vms.slice(4, 8) },
      { type: 'ban', vms: vms.slice(8, 12), nodes: ['n0', 'n1'] },
    ];
    const instance = base.set('constraints', base.constraints.concat(constraints));
    const options = { seed: 3, timeLimitMs: 1500, now: () => performance.now() };
    const h = await heuristicSolver.solve(instance, options);
    const r = await lnsSolver({ runner, startSolver: heuristicSolver }).solve(instance, options);
    expect(r.status).not.toBe('infeasible');
    expect(h.status).not.toBe('infeasible');
    if (r.status === 'infeasible' || h.status === 'infeasible') return;
    expect(checkConfiguration(instance, r.target)).toEqual([]);
    expect(r.nodesUsed).toBeGreaterThanOrEqual(r.lowerBound);
    expect(r.nodesUsed < h.nodesUsed || (r.nodesUsed === h.nodesUsed && r.migratedMemory <= h.migratedMemory)).toBe(true);
  });

  it('the whole solver (keep-set packing included) answers validly and never worse than its start', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 3, max: 14 }),
        fc.constantFrom<NonNullable<Instance['objective']>>({ type: 'consolidate' }, { type: 'consolidate', powerOff: true }, { type: 'balance' }),
        fc.boolean(),
        async (seed, nodes, objective, constrained) => {
          const base = heterogeneousCluster({ nodes, vms: nodes * 4, seed, objective });
          const vms = [...base.vms.keys()];
          const constraints: Constraint[] = constrained ? [{ type: 'spread', vms: vms.slice(0, 3) }, { type: 'ban', vms: vms.slice(3, 6), nodes: ['n0'] }] : [];
          const instance = base.set('constraints', base.constraints.concat(constraints));
          const options = { seed, timeLimitMs: 600, now: () => performance.now() };
          const h = await heuristicSolver.solve(instance, options);
          if (h.status === 'infeasible') return;
          const r = await lnsSolver({ runner, startSolver: heuristicSolver }).solve(instance, options);
          expect(r.status).not.toBe('infeasible');
          if (r.status === 'infeasible') return;
          expect(checkConfiguration(instance, r.target)).toEqual([]);
          expect(r.nodesUsed).toBeGreaterThanOrEqual(r.lowerBound);
          const ix = indexInstance(instance);
          const { problem } = compileProblem(instance, { states: statesOf(ix, h.target, defaultTargetStates(instance, ix)), index: ix });
          const before = valueKey(problem, fromConfiguration(ix, h.target));
          const after = valueKey(problem, fromConfiguration(ix, r.target));
          expect(after[0] < before[0] - 1e-9 || (Math.abs(after[0] - before[0]) <= 1e-9 && after[1] <= before[1] + 1e-6)).toBe(true);
        },
      ),
      { numRuns: 16, seed: 23 },
    );
  });

  it("balance: lowers a poor start's peak to the optimum and moves no more than needed", async () => {
    await fc.assert(
      fc.asyncProperty(arbWorld({ maxNodes: 4, maxVms: 7, minVms: 2, states: false, offline: false }), async (world) => {
        const instance = world.instance.set('objective', { type: 'balance' });
        const oracle = bruteForce(instance);
        fc.pre(oracle.feasible);
        // The start is the source configuration, however unbalanced.
        const source: PlacementSolver = {
          name: 'source',
          solve: async (i) => ({ status: 'feasible', target: sourceConfiguration(i), nodesUsed: 0, lowerBound: 0, migratedMemory: 0, solver: 'source' }),
        };
        const r = await lnsSolver({ runner, startSolver: source }).solve(instance, { seed: 1, timeLimitMs: 5000, now: () => performance.now() });
        expect(r.status).not.toBe('infeasible');
        if (r.status === 'infeasible') return;
        expect(checkConfiguration(instance, r.target)).toEqual([]);
        expect(peak(instance, r.target, 'cpu')).toBeCloseTo(oracle.peakRatio, 9);
        expect(r.migratedMemory).toBe(oracle.migratedMemory);
      }),
      { numRuns: 25, seed: 5 },
    );
  });

  it('proves a small consolidation optimal, as the per-VM MIP does', async () => {
    const instance = heterogeneousCluster({ nodes: 8, vms: 30, seed: 9 });
    const options = { seed: 1, timeLimitMs: 20_000, now: () => performance.now() };
    const exact = await mipSolver({ runner, formulation: 'per-vm' }).solve(instance, options);
    const r = await lnsSolver({ runner }).solve(instance, options);
    expect(exact.status).toBe('optimal');
    expect(r.status).toBe('optimal');
    if (exact.status === 'infeasible' || r.status === 'infeasible') return;
    expect(checkConfiguration(instance, r.target)).toEqual([]);
    expect(r.nodesUsed).toBe(exact.nodesUsed);
    expect(r.migratedMemory).toBe(exact.migratedMemory);
    expect(r.migrationLowerBound).toBe(r.migratedMemory);
  });
});
