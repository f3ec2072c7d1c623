/**
 * `minMigrations` breaks ties by the number of migrations in the MIP models too: when several
 * repairs move the same memory (0-MiB VMs move for free), the MIP solver and the default solver
 * (partitioned repair, more than the 60 VMs the exhaustive search takes) answer the one with the
 * fewest migrations.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { parseInstance } from '../../src/io/instance.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import { defaultSolver } from '../../src/place/default.js';
import { mipSolver } from '../../src/place/mip.js';
import type { PlacementResult } from '../../src/place/types.js';
import { compileProblem } from '../../src/problem/dense.js';
import { memoryBound, tieWeights } from '../../src/solvers/encode.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { decide } from '../../src/decide/decide.js';
import { bestTermsOf, termsOf as terms } from './brute.js';
import { arbConstrainedWorld } from './worlds.js';

const runner = inThreadRunner();
afterAll(() => runner.close());

const options = { seed: 1, timeLimitMs: 10_000, now: () => performance.now() };

/**
 * n1 (8 cpu) carries 14 cpu: it must shed 6. Every cheapest cover moves 1024 MiB: `a` + `b2`
 * (2 migrations), `a` + `z1` + `z2` (3), `b1` + `b2` + `z1` + `z2` (4). `fillers` VMs sit on
 * nodes of their own, with room for the leavers.
 */
function tied(fillers: number): Instance {
  const fillerNodes = Math.ceil(fillers / 6);
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 8, memory: 16384 } },
      { id: 'n2', capacity: { cpu: 8, memory: 16384 } },
      ...Array.from({ length: fillerNodes }, (_, i) => ({ id: `f${i}`, capacity: { cpu: 8, memory: 16384 } })),
    ],
    vms: [
      { id: 'b1', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n1' },
      { id: 'z1', demand: { cpu: 1, memory: 0 }, state: 'running', host: 'n1' },
      { id: 'z2', demand: { cpu: 1, memory: 0 }, state: 'running', host: 'n1' },
      { id: 'b2', demand: { cpu: 2, memory: 0 }, state: 'running', host: 'n1' },
      { id: 'a', demand: { cpu: 4, memory: 1024 }, state: 'running', host: 'n1' },
      { id: 'c', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1' },
      ...Array.from({ length: fillers }, (_, i) => ({ id: `v${i}`, demand: { cpu: 1, memory: 512 }, state: 'running' as const, host: `f${Math.floor(i / 6)}` })),
    ],
    objective: { type: 'minMigrations' },
  });
}

/** Memory and migrations of a found placement (checked valid). */
function moves(instance: Instance, r: PlacementResult): { memory: number; migrations: number; moved: string[] } {
  expect(r.status).not.toBe('infeasible');
  if (r.status === 'infeasible') return { memory: NaN, migrations: NaN, moved: [] };
  expect(checkConfiguration(instance, r.target)).toEqual([]);
  const moved = [...instance.vms.values()].filter((v) => r.target.hostOf(v.id) !== v.host).map((v) => v.id);
  return { memory: r.migratedMemory, migrations: moved.length, moved: moved.sort() };
}

describe('minMigrations ties in the MIP models', () => {
  it('weights are lexicographic: all migrations together weigh less than 1 MiB, all resumes less than one migration', () => {
    const p = compileProblem(tied(0)).problem;
    const w = tieWeights(p, 6, 4);
    expect(6 * w.migration).toBeLessThan(1);
    expect(4 * w.resume).toBeLessThan(w.migration);
    expect(memoryBound(p, 1024 + 6 * w.migration)).toBe(1024);
    const consolidate = compileProblem(makeInstance({ nodes: [{ id: 'n', capacity: { cpu: 1, memory: 1 } }], vms: [], objective: { type: 'consolidate' } })).problem;
    expect(tieWeights(consolidate, 6, 4)).toEqual({ migration: 0, resume: 0 });
  });

  it.each(['auto', 'per-vm'] as const)('the MIP solver (%s formulation) moves the same memory with the fewest VMs', async (formulation) => {
    const instance = tied(0);
    const r = await mipSolver({ runner, formulation }).solve(instance, options);
    expect(r.status).toBe('optimal');
    expect(moves(instance, r)).toEqual({ memory: 1024, migrations: 2, moved: ['a', 'b2'] });
  });

  it('the default solver, on the partitioned repair path (72 VMs), also moves the fewest VMs', async () => {
    const instance = tied(66);
    const r = await defaultSolver({ lns: { runner } }).solve(instance, { ...options, timeLimitMs: 3000 });
    expect(moves(instance, r)).toEqual({ memory: 1024, migrations: 2, moved: ['a', 'b2'] });
    // Proved: the answer meets both repair bounds (memory, then migrations at that memory).
    expect(r.status).toBe('optimal');
  });

  it("the MIP solver gets BtrPlace's min-migrations.json down to one migration (three VMs weigh 0 MiB)", async () => {
    const parsed = parseInstance(readFileSync(new URL('./fixtures/min-migrations.json', import.meta.url), 'utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const r = await mipSolver({ runner }).solve(parsed.value, options);
    expect(r.status).toBe('optimal');
    expect(moves(parsed.value, r).migrations).toBe(1);
  });
});


describe('the MIP solver under minMigrations, on small worlds with 0-MiB VMs', () => {
  it('proves the lexicographic optimum: memory, then migrations, then remote resumes (brute force)', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxNodes: 4, maxVms: 6, maxConstraints: 3 }), fc.integer({ min: 2, max: 3 }), async ({ instance: base }, every) => {
        // Every `every`-th VM weighs nothing: many repairs then tie on memory.
        let instance = base.set('objective', { type: 'minMigrations' });
        [...instance.vms.keys()].forEach((id, i) => {
          if (i % every === 0) instance = instance.setIn(['vms', id], instance.vms.get(id)!.set('demand', instance.vms.get(id)!.demand.set('memory', 0)));
        });
        const d = decide(instance);
        if (d.status !== 'decided') return;
        const running = [...d.running].map((v) => d.ix.vmIds[v]!);
        const best = bestTermsOf(instance, running);
        if (best === undefined) return;
        for (const formulation of ['auto', 'per-vm'] as const) {
          const r = await mipSolver({ runner, formulation }).solve(instance, { ...options, decision: d });
          expect(r.status).toBe('optimal');
          if (r.status === 'infeasible') return;
          expect(terms(instance, r.target)).toEqual(best);
        }
      }),
      { numRuns: 100, seed: 9 },
    );
  });
});
