/** The README's execution snippet through the package entry point. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { executePlan, heuristicSolver, parseInstance, planInstance, simulatedExecutor, type Executor } from '../../src/index.js';

describe('the README execution tour', () => {
  it('plans the demo, carries it out through a simulated executor with a node death, and reports', async () => {
    const parsed = parseInstance(readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8'));
    if (!parsed.ok) throw new Error('demo must parse');
    const instance = parsed.value;
    const plan = await planInstance(instance, { solver: heuristicSolver, seed: 1 });
    if (plan.status === 'infeasible') throw new Error('demo must be feasible');
    const sim = simulatedExecutor(instance, { seed: 7, failureRate: 0.1, faults: [{ kind: 'killNode', node: 'n3', at: 20 }] });
    sim satisfies Executor;
    const report = await executePlan(instance, plan, sim, { replan: { maxRounds: 2, planOptions: { solver: heuristicSolver } }, checkpoints: { every: 30 } });
    expect(report.counts.succeeded + report.counts.failed + report.counts.cancelled + report.counts.skipped).toBe(plan.actions.length);
    expect(report.lostNodes).toEqual(['n3']);
    for (const vm of instance.vms.keys()) expect(report.observed.vms.has(vm) !== report.lost.includes(vm)).toBe(true);
    expect(report.observed.nodes.get('n3')).toBe('offline');
  });
});
