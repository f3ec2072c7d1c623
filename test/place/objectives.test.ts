/**
 * Objectives: the registry's explicit tie-breaks (BtrPlace's min-migrations situation gets one
 * migration), and bounds that prove small instances at once under every objective (against
 * brute force over every placement, three terms compared lexicographically).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/decide/decide.js';
import { makeInstance } from '../../src/model/instance.js';
import type { Objective } from '../../src/model/objective.js';
import { parseInstance } from '../../src/io/instance.js';
import { defaultSolver } from '../../src/place/default.js';
import { OBJECTIVES } from '../../src/solvers/search/objective.js';
import { planInstance } from '../../src/pipeline.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { bestTermsOf, compareTermLists as cmp, termsOf as terms } from './brute.js';
import { arbConstrainedWorld } from './worlds.js';

const runner = inThreadRunner();
afterAll(() => runner.close());
const solver = defaultSolver({ lns: { runner } });


describe('objective registry', () => {
  it('names three terms for every objective type', () => {
    expect(Object.keys(OBJECTIVES).sort()).toEqual(['balance', 'consolidate', 'minMigrations']);
    expect(OBJECTIVES.minMigrations.terms).toEqual(['migrated memory', 'migrations', 'resumes away from the image']);
  });

  it("reproduces BtrPlace's min-migrations.json: one migration (three VMs weigh 0 MiB)", async () => {
    const text = readFileSync(new URL('./fixtures/min-migrations.json', import.meta.url), 'utf8');
    const parsed = parseInstance(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const plan = await planInstance(parsed.value, { seed: 1, timeLimitMs: 10_000, solver });
    expect(plan.status).toBe('optimal');
    expect(plan.actions.filter((a) => a.type === 'migrate')).toHaveLength(1);
    expect(plan.actions).toHaveLength(1);
  });

  const banned = (objective: Objective) =>
    makeInstance({
      nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, capacity: { cpu: 8, memory: 8192 } })),
      vms: [
        { id: 'a', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n2' },
      ],
      constraints: [{ type: 'ban', vms: ['a'], nodes: ['n1'] }],
      objective,
    });
  it.each([{ type: 'minMigrations' }, { type: 'consolidate' }, { type: 'balance' }] as const)('proves the one move off a banned node optimal at once (%o)', async (objective) => {
    const plan = await planInstance(banned(objective), { seed: 1, timeLimitMs: 10_000, solver });
    expect(plan.status).toBe('optimal');
    expect(plan.actions.filter((a) => a.type === 'migrate').map((a) => ('vm' in a ? a.vm : ''))).toEqual(['a']);
    // Proved by the bounds or the search, not by running out the 10 s.
    if (plan.status !== 'infeasible') expect(plan.stats.solveMs).toBeLessThan(5000);
  });
});

describe('small worlds (at most 5 nodes) are proved optimal under every objective', () => {
  const OBJS: Objective[] = [{ type: 'minMigrations' }, { type: 'consolidate' }, { type: 'consolidate', powerOff: true }, { type: 'balance' }];
  it('planInstance answers optimal, with the brute-force optimum of the decided VMs', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxNodes: 5, maxVms: 5, maxConstraints: 4 }), fc.constantFrom(...OBJS), async ({ instance: base }, objective) => {
        const instance = base.set('objective', objective);
        const d = decide(instance);
        if (d.status !== 'decided') return;
        const running = [...d.running].map((v) => d.ix.vmIds[v]!);
        const best = bestTermsOf(instance, running);
        expect(best).toBeDefined();
        const plan = await planInstance(instance, { seed: 1, timeLimitMs: 10_000, solver });
        expect(plan.status).toBe('optimal');
        if (plan.status === 'infeasible' || !best) return;
        const placed = await solver.solve(instance, { seed: 1, timeLimitMs: 10_000, now: () => performance.now() });
        if (placed.status === 'infeasible') throw new Error('infeasible');
        expect(cmp(terms(instance, placed.target), best)).toBe(0);
      }),
      { numRuns: 80, seed: 21 },
    );
  });
});
