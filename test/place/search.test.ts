import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import { analyzeStates } from '../../src/decide/states.js';
import { indexInstance } from '../../src/model/indexed.js';
import { makeInstance, type Instance, type InstanceInit } from '../../src/model/instance.js';
import { fewestNodesFor, migrationLowerBound, nodeLowerBound, peakLowerBound } from '../../src/solvers/search/bounds.js';
import { decreasing, greedyInsert, heuristicContext } from '../../src/solvers/search/heuristic.js';
import { placeInstance } from '../../src/place/place.js';
import { compileView } from '../../src/problem/view.js';
import { searchPlacement } from '../../src/solvers/search/search.js';
import { PlacementState } from '../../src/solvers/search/state.js';
import { createRandom } from '../../src/util/random.js';
import { arbConstrainedWorld } from './worlds.js';

function problemOf(inst: Instance) {
  const ix = indexInstance(inst);
  const st = analyzeStates(inst, ix);
  const cands = st.groups.filter((g) => !g.forbidden).flatMap((g) => [...g.vms]).sort((a, b) => a - b);
  return compileView(inst, ix, cands).problem;
}

const node = (id: string, cpu: number, memory = 65536) => ({ id, capacity: { cpu, memory } });
const waiting = (id: string, cpu: number) => ({ id, demand: { cpu, memory: 512 }, state: 'waiting' as const });

describe('lower bounds', () => {
  it('fewestNodesFor takes the largest capacities first', () => {
    expect(fewestNodesFor(0, [4])).toBe(0);
    expect(fewestNodesFor(10, [4, 4, 4])).toBe(3);
    expect(fewestNodesFor(8, [2, 8, 4])).toBe(1);
    expect(fewestNodesFor(9, [2, 8, 4])).toBe(2);
    expect(fewestNodesFor(20, [2, 8, 4])).toBe(Infinity);
  });

  it('node bound: volume, spread size and pins; migration and peak bounds', () => {
    const p = problemOf(makeInstance({
      nodes: [node('n1', 8), node('n2', 8), node('n3', 8), node('n4', 8)],
      vms: [
        { id: 'a', demand: { cpu: 6, memory: 512 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 6, memory: 1024 }, state: 'running', host: 'n2' },
        { id: 'c', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n3' },
        { id: 'd', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n4' },
      ],
      constraints: [{ type: 'spread', vms: ['a', 'c', 'd'] }, { type: 'ban', vms: ['b'], nodes: ['n2'] }],
      objective: { type: 'balance' },
    }));
    const all = [0, 1, 2, 3];
    expect(nodeLowerBound(p, all)).toBe(3); // volume says 2, the spread says 3
    expect(migrationLowerBound(p, all)).toBe(1024); // b must leave n2
    expect(peakLowerBound(p, all)).toBeCloseTo(6 / 8, 9); // a alone on any node
    expect(peakLowerBound(p, [2, 3])).toBeCloseTo(1 / 8, 9); // one VM alone beats the average 2/32
  });
});

describe('constraint-aware search', () => {
  it('proves a pigeonhole infeasible at once (interchangeable nodes tried once)', () => {
    const vms = ['a', 'b', 'c', 'd', 'e'];
    const p = problemOf(makeInstance({
      nodes: ['n1', 'n2', 'n3', 'n4'].map((n) => node(n, 8)),
      vms: vms.map((v) => waiting(v, 1)),
      constraints: [{ type: 'spread', vms }],
    }));
    const out = searchPlacement(p, { vms: [0, 1, 2, 3, 4], optimize: false, nodeLimit: 1000 });
    expect(out.status).toBe('infeasible');
    expect(out.nodes).toBeLessThan(50);
  });

  it('solves an exact packing that best-fit decreasing misses', () => {
    // Two nodes of 10; 6,5,5,4 only fits as {5,5} on n1 and {6,4} on n2 once d is banned from n1;
    // best-fit decreasing puts 6 on n1 first and then has no room for d.
    const inst = makeInstance({
      nodes: [node('n1', 10), node('n2', 10)],
      vms: [waiting('a', 6), waiting('b', 5), waiting('c', 5), waiting('d', 4)],
      constraints: [{ type: 'ban', vms: ['d'], nodes: ['n1'] }] as Constraint[],
    });
    const p = problemOf(inst);
    const ctx = heuristicContext(p, createRandom(1));
    const s = new PlacementState(p);
    const failed = greedyInsert(ctx, s, decreasing(ctx, [0, 1, 2, 3]), 'pack');
    expect(failed.length).toBeGreaterThan(0);
    const out = searchPlacement(p, { vms: [0, 1, 2, 3], optimize: false, nodeLimit: 1000 });
    expect(out.status).toBe('complete');
    if (out.status === 'complete') expect([...out.assign]).toEqual([1, 0, 0, 1]);
  });

  it('reports "unknown" when the budget runs out first', () => {
    const vms = Array.from({ length: 9 }, (_, i) => `v${i}`);
    const p = problemOf(makeInstance({
      nodes: Array.from({ length: 9 }, (_, i) => node(`n${i}`, 8 + i)),
      vms: vms.map((v) => waiting(v, 1)),
      constraints: [{ type: 'spread', vms }],
    }));
    expect(searchPlacement(p, { vms: [...vms.keys()], optimize: false, nodeLimit: 3 }).status).toBe('unknown');
  });

  it('exact packing puzzles where every VM of a hidden placement must run are solved', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ minNodes: 3, maxNodes: 7, minVms: 8, maxVms: 18, maxConstraints: 12, allRunning: true, tight: true }), async ({ instance, witness }) => {
        expect(checkConfiguration(instance, witness)).toEqual([]);
        const r = await placeInstance(instance, { seed: 2, timeLimitMs: 20_000, now: () => performance.now() });
        expect(r.status, r.status === 'infeasible' ? JSON.stringify(r.reasons) : '').not.toBe('infeasible');
        if (r.status !== 'infeasible') expect(checkConfiguration(instance, r.target)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('scale', () => {
  it('repairs 500 nodes × 3,000 VMs (minMigrations) quickly, moving only what is broken', async () => {
    const rng = createRandom(7);
    const N = 500;
    const nodes = Array.from({ length: N }, (_, i) => node(`n${i}`, 32, 131072));
    const load = new Float64Array(N);
    const vms: InstanceInit['vms'][number][] = Array.from({ length: 3000 }, (_, i) => {
      const cpu = 1 + rng.int(8);
      let h = rng.int(N);
      if (rng.next() < 0.9) for (let t = 0; t < 50 && load[h]! + cpu > 32; t++) h = rng.int(N);
      load[h]! += cpu;
      return { id: `vm${i}`, demand: { cpu, memory: 1024 * (1 + rng.int(16)) }, state: 'running', host: `n${h}` };
    });
    const constraints: Constraint[] = [];
    for (let i = 0; i < 50; i++) constraints.push({ type: 'spread', vms: [0, 1, 2].map(() => `vm${rng.int(3000)}`) });
    for (let i = 0; i < 20; i++) constraints.push({ type: 'ban', vms: [`vm${rng.int(3000)}`], nodes: [`n${rng.int(N)}`] });
    const inst = makeInstance({ nodes, vms, constraints, objective: { type: 'minMigrations' } });
    const t0 = performance.now();
    const r = await placeInstance(inst, { seed: 1, timeLimitMs: 30_000, now: () => performance.now() });
    const ms = performance.now() - t0;
    expect(r.status).not.toBe('infeasible');
    if (r.status === 'infeasible') return;
    expect(checkConfiguration(inst, r.target)).toEqual([]);
    expect(ms).toBeLessThan(10_000);
    let moved = 0;
    for (const v of inst.vms.values()) if (r.target.hostOf(v.id) !== v.host) moved++;
    expect(moved).toBeLessThan(300);
  });
});
