import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import { makeInstance } from '../../src/model/instance.js';
import { nodeLoads } from '../../src/solvers/encode.js';
import { looseContext, placeLooseGreedy, shedOverloadGreedy } from '../../src/solvers/loose.js';
import { compileProblem, sourceAssignment, toConfiguration } from '../../src/problem/dense.js';

/** A cluster whose running VMs fit and break nothing, and waiting VMs under spread and among. */
const world = fc
  .record({
    nodes: fc.integer({ min: 2, max: 8 }),
    running: fc.array(fc.record({ host: fc.nat(), cpu: fc.integer({ min: 1, max: 4 }) }), { maxLength: 10 }),
    waiting: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 12 }),
    spreads: fc.array(fc.uniqueArray(fc.nat(), { minLength: 2, maxLength: 4 }), { maxLength: 3 }),
    among: fc.option(fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 4 }), { nil: undefined }),
  })
  .map((w) => {
    const load = new Array<number>(w.nodes).fill(0);
    const vms: { id: string; demand: { cpu: number; memory: number }; state: 'running' | 'waiting'; host?: string }[] = [];
    w.running.forEach((r, i) => {
      const h = r.host % w.nodes;
      if (load[h]! + r.cpu > 10) return;
      load[h]! += r.cpu;
      vms.push({ id: `r${i}`, demand: { cpu: r.cpu, memory: r.cpu }, state: 'running', host: `n${h}` });
    });
    w.waiting.forEach((c, i) => vms.push({ id: `w${i}`, demand: { cpu: c, memory: 1 }, state: 'waiting' }));
    const ws = w.waiting.map((_, i) => `w${i}`);
    const pick = (xs: readonly number[]) => [...new Set(xs.map((x) => ws[x % ws.length]!))];
    const constraints: Constraint[] = [
      ...w.spreads.map((s) => pick(s)).filter((s) => s.length >= 2).map((vms): Constraint => ({ type: 'spread', vms })),
      { type: 'running', vms: ws },
    ];
    const half = Math.max(1, Math.floor(w.nodes / 2));
    const groups = [Array.from({ length: half }, (_, i) => `n${i}`), Array.from({ length: w.nodes - half }, (_, i) => `n${half + i}`)].filter((g) => g.length > 0);
    if (w.among !== undefined && groups.length === 2) constraints.push({ type: 'among', vms: pick(w.among), groups });
    return makeInstance({
      nodes: Array.from({ length: w.nodes }, (_, i) => ({ id: `n${i}`, capacity: { cpu: 10, memory: 10 } })),
      vms,
      constraints,
    });
  });

describe('greedy repair passes', () => {
  it('placeLooseGreedy: whatever it places breaks no rule; with nothing left, the configuration is valid', () => {
    fc.assert(
      fc.property(world, (instance) => {
        const { problem: p, ix } = compileProblem(instance);
        const current = sourceAssignment(p);
        const { load, count } = nodeLoads(p, current);
        const loose: number[] = [];
        for (let v = 0; v < p.nVms; v++) if (p.target[v] === 1 && current[v]! < 0) loose.push(v);
        const all = Array.from({ length: p.nNodes }, (_, n) => n);
        const left = placeLooseGreedy(p, current, load, count, loose, all);
        // Loads stay within capacity and in step with the assignment.
        const fresh = nodeLoads(p, current);
        expect(Array.from(fresh.load)).toEqual(Array.from(load));
        for (let i = 0; i < load.length; i++) expect(load[i]!).toBeLessThanOrEqual(p.capacity[i]! + 1e-9);
        // The VMs it left keep no node; the others got one.
        for (const v of loose) expect(current[v]! >= 0).toBe(!left.includes(v));
        if (left.length === 0) expect(checkConfiguration(instance, toConfiguration(ix, p, current))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('shedOverloadGreedy: an overloaded node sheds its cheapest relief, onto nodes with room', () => {
    const instance = makeInstance({
      nodes: [
        { id: 'a', capacity: { cpu: 10, memory: 1000 } },
        { id: 'b', capacity: { cpu: 10, memory: 1000 } },
        { id: 'c', capacity: { cpu: 10, memory: 1000 } },
      ],
      vms: [
        { id: 'big', demand: { cpu: 6, memory: 600 }, state: 'running', host: 'a' },
        { id: 'small', demand: { cpu: 3, memory: 100 }, state: 'running', host: 'a' },
        { id: 'tiny', demand: { cpu: 3, memory: 50 }, state: 'running', host: 'a' },
        { id: 'other', demand: { cpu: 8, memory: 100 }, state: 'running', host: 'b' },
      ],
      constraints: [{ type: 'spread', vms: ['tiny', 'other'] }],
    });
    const { problem: p, ix } = compileProblem(instance);
    const current = sourceAssignment(p);
    const { load, count } = nodeLoads(p, current);
    const a = ix.nodeIndex.get('a')!;
    const clusters = new Map([[a, ['big', 'small', 'tiny'].map((id) => ix.vmIndex.get(id)!)]]);
    const ctx = looseContext(p);
    expect(shedOverloadGreedy(p, current, load, count, clusters, [ix.nodeIndex.get('b')!, ix.nodeIndex.get('c')!], ctx)).toBe(1);
    expect(clusters.size).toBe(0);
    const where = (id: string) => ix.nodeIds[current[ix.vmIndex.get(id)!]!];
    // 12 cpu on a node of 10: the 50 MiB VM leaves, to c (b is full, and hosts its spread sibling).
    expect([where('big'), where('small'), where('tiny'), where('other')]).toEqual(['a', 'a', 'c', 'b']);
    expect(checkConfiguration(instance, toConfiguration(ix, p, current))).toEqual([]);
  });

  it('shedOverloadGreedy leaves a node alone when its leavers find no node', () => {
    const instance = makeInstance({
      nodes: [{ id: 'a', capacity: { cpu: 10 } }, { id: 'b', capacity: { cpu: 10 } }],
      vms: [
        { id: 'x', demand: { cpu: 6 }, state: 'running', host: 'a' },
        { id: 'y', demand: { cpu: 6 }, state: 'running', host: 'a' },
        { id: 'z', demand: { cpu: 9 }, state: 'running', host: 'b' },
      ],
    });
    const { problem: p, ix } = compileProblem(instance);
    const current = sourceAssignment(p);
    const before = Int32Array.from(current);
    const { load, count } = nodeLoads(p, current);
    const a = ix.nodeIndex.get('a')!;
    const clusters = new Map([[a, ['x', 'y'].map((id) => ix.vmIndex.get(id)!)]]);
    expect(shedOverloadGreedy(p, current, load, count, clusters, [ix.nodeIndex.get('b')!])).toBe(0);
    expect(clusters.size).toBe(1);
    expect(Array.from(current)).toEqual(Array.from(before));
    expect(Array.from(nodeLoads(p, current).load)).toEqual(Array.from(load));
  });
});
