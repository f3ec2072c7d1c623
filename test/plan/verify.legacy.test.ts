/**
 * The verifier against the frozen copy of itself from before the speed work (dense end checks,
 * one `positionsById`, a lazy end configuration): on valid plans, on plans with one random
 * mutation, and on arbitrary action lists, with constraints, wants and vjobs in the instance,
 * both give the same violations in the same order, and the same end configuration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexInstance } from '../../src/model/indexed.js';
import type { Instance } from '../../src/model/instance.js';
import type { Action } from '../../src/model/action.js';
import { assemblePlan, buildPlan as planTo } from '../../src/plan/planner.js';
import type { FeasiblePlan, Plan, PlanTarget } from '../../src/plan/types.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { arbRuled } from './ruled.js';
import { verifyPlan as legacyVerify } from './legacy-verify.js';
import { buildPlan } from './verify-support.js';

type Mutation = (plan: FeasiblePlan, k: number, m: number) => FeasiblePlan;
const withActions = (plan: FeasiblePlan, actions: readonly Action[]): FeasiblePlan => ({ ...plan, actions });
const MUTATIONS: readonly Mutation[] = [
  (p) => p,
  (p, k) => withActions(p, p.actions.filter((_, i) => i !== k % Math.max(1, p.actions.length))),
  (p, k, m) => withActions(p, p.actions.map((a, i) => (i === k % p.actions.length ? { ...a, start: a.start - 1 - (m % 3), end: a.end - (m % 4) } : a))),
  (p, k, m) =>
    withActions(p, p.actions.map((a, i) => (i === k % p.actions.length && 'to' in a ? ({ ...a, to: `n${m % 4}` } as Action) : a))),
  (p, k, m) =>
    withActions(p, p.actions.map((a, i) => (i === k % p.actions.length && 'from' in a ? ({ ...a, from: `n${m % 4}` } as Action) : a))),
  (p, k) => withActions(p, p.actions.map((a, i) => (i === k % p.actions.length ? { ...a, after: [a.id, ...(a.after ?? [])] } : a))),
  (p, k, m) => {
    const vms = Object.keys(p.target.vms);
    if (vms.length === 0) return p;
    const id = vms[k % vms.length]!;
    const states = ['waiting', 'running', 'sleeping', 'terminated'] as const;
    const s = states[m % 4]!;
    const t = s === 'running' || s === 'sleeping' ? { state: s, host: `n${(m >> 2) % 3}` } : { state: s };
    return { ...p, target: { ...p.target, vms: { ...p.target.vms, [id]: t } } as PlanTarget };
  },
  (p, k) => {
    const nodes = Object.keys(p.target.nodes);
    const id = nodes[k % nodes.length]!;
    return { ...p, target: { ...p.target, nodes: { ...p.target.nodes, [id]: p.target.nodes[id] === 'online' ? 'offline' : 'online' } } };
  },
  (p) => ({ ...p, target: { ...p.target, vms: { ...p.target.vms, ghost: { state: 'waiting' } } } as PlanTarget }),
  (p, k) => ({ ...p, stats: { ...p.stats, migrations: p.stats.migrations + (k % 2), makespan: p.stats.makespan + (k % 3) } }),
  (p, k) => withActions(p, [...p.actions, { id: p.actions.length, type: 'shutdown', vm: `vm${k % 3}`, from: 'n0', start: 0, end: 1 } as Action]),
];

function same(instance: Instance, plan: Plan): void {
  const want = legacyVerify(instance, plan);
  for (const got of [verifyPlan(instance, plan), verifyPlan(instance, plan, { index: indexInstance(instance) })]) {
    expect(got.violations).toEqual(want.violations);
    expect(got.ok).toBe(want.ok);
    if (want.final === undefined) expect(got.final).toBeUndefined();
    else expect(got.final?.equals(want.final)).toBe(true);
  }
}

describe('verifyPlan agrees with its map-based predecessor', () => {
  it('on batch-built plans with one random mutation', () => {
    let invalid = 0;
    fc.assert(
      fc.property(
        arbRuled,
        fc.array(fc.constantFrom(0, 0.5, 1, 2.5, 4), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(MUTATIONS.length - 1),
        fc.nat(),
        fc.nat(),
        (world, durations, batch, which, k, m) => {
          let i = 0;
          const built = buildPlan(world, () => durations[i++ % durations.length]!, batch);
          fc.pre(built !== undefined && built.plan.actions.length > 0);
          const plan = MUTATIONS[which]!(built!.plan, k, m);
          same(world.instance, plan);
          if (!legacyVerify(world.instance, plan).ok) invalid++;
        },
      ),
      { numRuns: 400 },
    );
    expect(invalid).toBeGreaterThan(100);
  });

  it("on the planner's own plans, mutated or not", () => {
    fc.assert(
      fc.property(arbRuled, fc.nat(MUTATIONS.length - 1), fc.nat(), fc.nat(), (world, which, k, m) => {
        const r = planTo(world.instance, world.hidden, { validateTarget: false });
        fc.pre(r.status === 'planned' && r.actions.length > 0);
        if (r.status !== 'planned') return;
        const plan = assemblePlan(r, { status: 'feasible', lowerBound: 0, solveMs: 0, planMs: 0 });
        same(world.instance, MUTATIONS[which]!(plan, k, m));
      }),
      { numRuns: 200 },
    );
  });

  it('on arbitrary action lists and targets', () => {
    const word = (xs: string[]) => fc.constantFrom(...xs);
    const time = fc.oneof(fc.double({ min: -5, max: 50, noNaN: true }), fc.constantFrom(Number.NaN, Infinity, 0, 1, 2));
    const arbAction = fc.record({
      id: fc.integer({ min: 0, max: 8 }),
      type: fc.constantFrom('migrate', 'boot', 'shutdown', 'suspend', 'resume', 'bootNode', 'shutdownNode'),
      vm: word(['vm0', 'vm1', 'vm2', 'ghost']),
      from: word(['n0', 'n1', 'n2', 'nowhere']),
      to: word(['n0', 'n1', 'n2', 'nowhere']),
      node: word(['n0', 'n1', 'n2', 'nowhere']),
      start: time,
      end: time,
      after: fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        arbRuled,
        fc.array(arbAction, { maxLength: 10 }),
        fc.dictionary(word(['vm0', 'vm1', 'vm2', 'ghost']), fc.record({ state: fc.constantFrom('waiting', 'running', 'sleeping', 'terminated'), host: word(['n0', 'n1', 'zz']) })),
        (world, raw, tvms) => {
          const plan: Plan = {
            version: 1,
            status: 'feasible',
            actions: raw as unknown as Action[],
            target: { vms: tvms, nodes: { n0: 'online', n1: 'offline' } } as PlanTarget,
            stats: { nodesUsed: 0, lowerBound: 0, migrations: 0, migratedMemory: 0, makespan: 0, solveMs: 0, planMs: 0 },
          };
          same(world.instance, plan);
        },
      ),
      { numRuns: 300 },
    );
  });
});
