import { describe, expect, it } from 'vitest';
import type { Instance } from '../../src/model/instance.js';
import type { Workload } from '../../src/model/workload.js';
import { engineCarrier, type EngineCarrierOptions } from '../../src/execute/simulate/carrier.js';
import { killPolicy, switchPolicy } from '../../src/execute/simulate/policies.js';
import { replayPlanTiming, simulateWorkload } from '../../src/execute/simulate/simulator.js';
import type { CarriedAction, PlanCarrier, SimPolicy } from '../../src/execute/simulate/types.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { besteffortWorkload } from '../../src/workload/families.js';

const grid = besteffortWorkload({ nodes: 12, vms: 72, seed: 4 });
const noFailures: Workload = { ...grid, events: grid.events.filter((e) => e.type !== 'failure' && e.type !== 'repair') };
const reservations = grid.events.flatMap((e) => (e.type === 'reservation' ? [e] : []));

interface Carried {
  readonly instance: Instance;
  readonly plan: FeasiblePlan;
  readonly carried: readonly CarriedAction[];
}
/** The engine carrier, recording every plan and what became of its actions. */
function recording(options: EngineCarrierOptions = {}): { carrier: PlanCarrier; log: Carried[] } {
  const inner = engineCarrier(options);
  const log: Carried[] = [];
  return {
    log,
    carrier: async (instance, plan) => {
      const carried = await inner(instance, plan);
      log.push({ instance, plan, carried });
      return carried;
    },
  };
}
/** The plan with each action at its carried start and end (all actions carried). */
function retimed(c: Carried): FeasiblePlan {
  const at = new Map(c.carried.map((x) => [x.action.id, x] as const));
  return { ...c.plan, actions: c.plan.actions.map((a) => ({ ...a, start: at.get(a.id)!.start, end: at.get(a.id)!.end })) };
}

describe('engine carrier: plans carried out by executePlan on the simulated executor', () => {
  it('without noise or faults: every action starts and ends as planned, and the run equals the timing replay', async () => {
    for (const policy of [switchPolicy(), killPolicy()]) {
      const rec = recording();
      const viaEngine = await simulateWorkload(grid, policy, { carrier: rec.carrier, trace: true });
      const replayed = await simulateWorkload(grid, policy, { carrier: replayPlanTiming, trace: true });
      expect(viaEngine, policy.name).toEqual(replayed);
      const withActions = rec.log.filter((c) => c.plan.actions.length > 0);
      expect(withActions.length, policy.name).toBeGreaterThan(10);
      for (const c of withActions) {
        expect(c.carried.length).toBe(c.plan.actions.length);
        for (const x of c.carried) {
          expect(x.start, `${policy.name} action ${x.action.id}`).toBeCloseTo(x.action.start, 6);
          expect(x.end, `${policy.name} action ${x.action.id}`).toBeCloseTo(x.action.end, 6);
        }
      }
    }
  }, 60_000);

  it('with seeded noise: durations differ from the model, yet conservation, reservations and verifyPlan hold', async () => {
    const noisy = { noise: 0.4, seed: 11 };
    const rec = recording(noisy);
    const r = await simulateWorkload(noFailures, switchPolicy(), {
      carrier: rec.carrier,
      trace: true,
      onStep: ({ instance, plan }) => {
        const v = verifyPlan(instance, plan);
        expect(v.ok, JSON.stringify(v.ok ? [] : v.violations.slice(0, 2))).toBe(true);
      },
    });
    // Deterministic for the seed.
    const again = await simulateWorkload(noFailures, switchPolicy(), { carrier: engineCarrier(noisy), trace: true });
    expect(again).toEqual(r);
    // The durations really differ from the plans' own.
    const all = rec.log.flatMap((c) => c.carried);
    const off = all.filter((x) => Math.abs(x.end - x.start - (x.action.end - x.action.start)) > 1e-3);
    expect(off.length).toBeGreaterThan(all.length / 2);
    const replayed = await simulateWorkload(noFailures, switchPolicy(), { carrier: replayPlanTiming });
    expect(r.metrics.x.end).not.toBe(replayed.metrics.x.end);
    // Every plan, run at its real times by following `after`, still never overloads a node nor breaks a rule.
    for (const c of rec.log) {
      if (c.plan.actions.length === 0) continue;
      expect(c.carried.length).toBe(c.plan.actions.length);
      const v = verifyPlan(c.instance, retimed(c));
      const bad = v.ok ? [] : v.violations.filter((x) => x.code !== 'stats');
      expect(bad.slice(0, 2)).toEqual([]);
    }
    // Conservation: every vjob's work done exactly once, nothing lost.
    for (const j of r.jobs) {
      expect(j.finished, j.id).toBeDefined();
      expect(j.computed, j.id).toBeCloseTo(j.work, 6);
      expect(j.discarded, j.id).toBe(0);
    }
    expect(r.metrics.lostComputeSeconds).toBe(0);
    // A reservation's nodes hold only its vjob during its window, and it starts on time.
    expect(reservations.length).toBeGreaterThan(0);
    for (const q of reservations) {
      const intruders = r.trace!.filter((o) => q.nodes.includes(o.node) && o.vjob !== q.job.id && o.from < q.end && o.to > q.start);
      expect(intruders, q.job.id).toEqual([]);
    }
    expect(r.metrics.reservationsLate).toBe(0);
  }, 60_000);

  it('with seeded noise under kill: the lost time is exactly the progress discarded', async () => {
    const policy: SimPolicy = killPolicy();
    const r = await simulateWorkload(grid, policy, { carrier: engineCarrier({ noise: 0.4, seed: 5 }) });
    expect(r.metrics.x.kills).toBeGreaterThan(0);
    const vmsOf = new Map(grid.events.flatMap((e) => (e.type === 'arrival' || e.type === 'reservation' ? [[e.job.id, e.job.vms.length] as const] : [])));
    let lost = 0;
    for (const j of r.jobs) {
      expect(j.finished, j.id).toBeDefined();
      expect(j.computed, j.id).toBeCloseTo(j.work + j.discarded, 6);
      lost += j.discarded * vmsOf.get(j.id)!;
    }
    expect(r.metrics.lostComputeSeconds).toBeCloseTo(lost, 3);
  }, 60_000);

  it('leaves out actions that failed, and those that depended on them', async () => {
    const rec = recording({ failureRate: 0.3, seed: 2 });
    await simulateWorkload(noFailures, switchPolicy(), { carrier: rec.carrier });
    const planned = rec.log.reduce((s, c) => s + c.plan.actions.length, 0);
    const carried = rec.log.reduce((s, c) => s + c.carried.length, 0);
    expect(carried).toBeLessThan(planned);
    for (const c of rec.log) {
      const ok = new Set(c.carried.map((x) => x.action.id));
      for (const x of c.carried) for (const d of x.action.after ?? []) expect(ok.has(d), `action ${x.action.id} after ${d}`).toBe(true);
    }
  }, 60_000);
});
