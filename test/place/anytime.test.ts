/**
 * Anytime consolidation (issue 11): the migration-aware best-fit is a valid placement and the
 * default solver's first reported answer is never worse than it; the time limit (an injected
 * clock) bounds the heuristics of placeInstance and the conflict search of explain.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkConfiguration } from '../../src/constraints/check.js';
import { decide } from '../../src/decide/decide.js';
import { indexInstance } from '../../src/model/indexed.js';
import { makeInstance } from '../../src/model/instance.js';
import { defaultSolver } from '../../src/place/default.js';
import { placeInstance } from '../../src/place/place.js';
import { assignmentStats, compileProblem, toConfiguration } from '../../src/problem/dense.js';
import { compileView } from '../../src/problem/view.js';
import { explainInfeasible } from '../../src/solvers/search/explain.js';
import { fitsEveryNode, keepBestFit } from '../../src/solvers/search/bestfit.js';
import { workerRunner } from '../../src/solvers/pool.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { arbClusterShape, shapedClusterOf } from '../support/arbitraries.js';
import { compiledWorker } from '../solvers/support.js';

const runner = workerRunner(compiledWorker(), 2);
afterAll(() => runner.close());

const shape = arbClusterShape(12, 30);
const clusterOf = shapedClusterOf;

/** Answer a is worse than b: more nodes, or as many and more migrated memory. */
const worse = (a: { nodes: number; migratedMemory: number }, b: { nodes: number; migratedMemory: number }): boolean =>
  a.nodes > b.nodes || (a.nodes === b.nodes && a.migratedMemory > b.migratedMemory);

describe('migration-aware best-fit', () => {
  it('places every running VM within capacity and passes the checkers', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const instance = clusterOf(s);
        const ix = indexInstance(instance);
        const { problem: p } = compileProblem(instance, { index: ix });
        const a = keepBestFit(p);
        if (a === undefined) return; // some VM fits no node: nothing to place
        expect(fitsEveryNode(p, a)).toBe(true);
        expect(checkConfiguration(instance, toConfiguration(ix, p, a))).toEqual([]);
        // It is migration-aware: a VM away from its source host means that host is used or full.
        const stats = assignmentStats(p, a);
        expect(stats.nodesUsed).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
  });

  it('a broken assignment is refused by fitsEveryNode', () => {
    const instance = heterogeneousCluster({ nodes: 10, vms: 40, seed: 3, mix: 'cpu', nodeTypes: 2, flavours: 4 });
    const { problem: p } = compileProblem(instance);
    const a = keepBestFit(p)!;
    const piled = a.map((n) => (n >= 0 ? a.find((m) => m >= 0)! : -1));
    expect(fitsEveryNode(p, piled)).toBe(false);
    const missing = Int32Array.from(a);
    missing[missing.findIndex((n) => n >= 0)] = -1;
    expect(fitsEveryNode(p, missing)).toBe(false);
  });
});

describe('default solver, consolidation', () => {
  it("reports a first answer never worse than the best-fit's", async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const instance = clusterOf(s);
        const { problem: p } = compileProblem(instance);
        const bf = keepBestFit(p);
        const first: { nodes: number; migratedMemory: number }[] = [];
        const solver = defaultSolver({ lns: { runner } });
        const r = await solver.solve(instance, {
          seed: s.seed,
          timeLimitMs: 400,
          now: () => performance.now(),
          onProgress: (e) => {
            if (e.phase === 'improve' && e.best?.nodes !== undefined && first.length === 0) first.push({ nodes: e.best.nodes, migratedMemory: e.best.migratedMemory ?? 0 });
          },
        });
        if (bf === undefined) return;
        const ref = assignmentStats(p, bf);
        const b = { nodes: ref.nodesUsed, migratedMemory: ref.migratedMemory };
        expect(first.length).toBe(1);
        expect(worse(first[0]!, b)).toBe(false);
        expect(r.status).not.toBe('infeasible');
        if (r.status === 'infeasible') return;
        expect(worse({ nodes: r.nodesUsed, migratedMemory: r.migratedMemory }, b)).toBe(false);
      }),
      { numRuns: 6 },
    );
  }, 60_000);
});

describe('the time limit bounds the work', () => {
  it('placeInstance: the heuristics stop at the deadline of the injected clock', async () => {
    const instance = heterogeneousCluster({ nodes: 60, vms: 400, seed: 5 });
    const decision = decide(instance, { seed: 1, now: () => 0, timeLimitMs: 10_000 });
    expect(decision.status).not.toBe('infeasible');
    if (decision.status === 'infeasible') return;
    // A clock that stands still: the heuristic runs to its end and wins.
    const still = await placeInstance(instance, { seed: 1, timeLimitMs: 1000, now: () => 0, decision, method: 'heuristic' });
    expect(still.status).not.toBe('infeasible');
    if (still.status === 'infeasible') return;
    expect(still.solver).toBe('heuristic');
    // A clock past the deadline after the first readings: the heuristics give up at their
    // first check, and the admission's placement (valid) is the answer.
    let calls = 0;
    const late = (): number => (++calls <= 2 ? 0 : 1e9);
    const cut = await placeInstance(instance, { seed: 1, timeLimitMs: 1000, now: late, decision, method: 'heuristic' });
    expect(cut.status).not.toBe('infeasible');
    if (cut.status === 'infeasible') return;
    expect(cut.solver).toBe('admission');
    expect(checkConfiguration(instance, cut.target)).toEqual([]);
    expect(calls).toBeLessThan(20);
  });

  it('explain: the deletion filter stops at the deadline with a conflicting set', () => {
    // Three VMs of 6 cpus on two nodes of 10: infeasible by packing alone, which no direct rule
    // names; the deletion filter tests each constraint (a spread, harmless) before dropping it.
    const instance = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 10, memory: 10_240 } },
        { id: 'n2', capacity: { cpu: 10, memory: 10_240 } },
      ],
      vms: ['a', 'b', 'c'].map((id) => ({ id, demand: { cpu: 6, memory: 1024 }, state: 'waiting' as const, wants: 'running' as const })),
      constraints: [{ type: 'spread', vms: ['a', 'b'] }],
      objective: { type: 'consolidate' },
    });
    const ix = indexInstance(instance);
    const { problem } = compileView(instance, ix, [0, 1, 2]);
    const vms = [0, 1, 2];
    const limits = { searchNodes: 20_000, maxVms: 200 };
    const full = explainInfeasible(instance, ix, problem, vms, { ...limits, now: () => 0, deadline: 1000 });
    expect(full.proved).toBe(true);
    expect(full.reasons.map((r) => r.message).join('\n')).toContain('do not fit on the online nodes together');
    // The clock passes the deadline right after its first reading (before the first test,
    // whose search is too small to read it): the filter stops after proving the whole set
    // infeasible, the spread still in its (conflicting, not minimal) set.
    let reads = 0;
    const cut = explainInfeasible(instance, ix, problem, vms, {
      ...limits,
      now: () => (reads++ === 0 ? 0 : 1e9),
      deadline: 1000,
    });
    expect(cut.proved).toBe(true);
    const said = cut.reasons.map((r) => r.message).join('\n');
    expect(said).toContain('constraint #0 spread conflicts');
    expect(said).toContain('the time limit came before this set was made minimal');
    // Past the deadline from the start: no search at all, an unproved reason.
    const late = explainInfeasible(instance, ix, problem, vms, { ...limits, now: () => 1e9, deadline: 1000 });
    expect(late.proved).toBe(false);
  });
});
