import { describe, expect, it } from 'vitest';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { Workload } from '../../src/model/workload.js';
import type { Action } from '../../src/model/action.js';
import type { ControllerEvent } from '../../src/execute/controller/types.js';
import { engineCarrier, replayPlanTiming } from '../../src/execute/simulate/carrier.js';
import { contextSwitchPlan, killPolicy, switchPolicy } from '../../src/execute/simulate/policies.js';
import { simulateWorkload, type SimulateOptions } from '../../src/execute/simulate/simulator.js';
import type { SimPolicy } from '../../src/execute/simulate/types.js';
import type { FeasiblePlan, Plan } from '../../src/plan/types.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { besteffortWorkload } from '../../src/workload/families.js';

const grid = besteffortWorkload({ nodes: 12, vms: 72, seed: 4 });
const noFailures: Workload = { ...grid, events: grid.events.filter((e) => e.type !== 'failure' && e.type !== 'repair') };
const reservations = grid.events.flatMap((e) => (e.type === 'reservation' ? [e] : []));

interface Ran {
  readonly action: Action;
  readonly start: number;
  end?: number;
  status?: string;
}
interface Decided {
  readonly time: number;
  readonly plan: Plan;
  instance?: Instance;
  readonly ran: Map<number, Ran>;
}
/** Simulates, recording every decision and when each of its actions started and ended. */
async function recorded(w: Workload, policy: SimPolicy, options: SimulateOptions = {}) {
  const decisions: Decided[] = [];
  const instances: Instance[] = [];
  const onEvent = (e: ControllerEvent): void => {
    if (e.type === 'decision') decisions.push({ time: e.time, plan: e.plan, instance: instances[instances.length - 1]!, ran: new Map() });
    else if (e.type === 'actionStarted') decisions[e.decision - 1]!.ran.set(e.action.id, { action: e.action, start: e.time });
    else if (e.type === 'actionEnded') {
      const r = decisions[e.decision - 1]!.ran.get(e.action.id);
      if (r) Object.assign(r, { end: e.time, status: e.status });
    }
  };
  const result = await simulateWorkload(w, policy, { ...options, trace: true, onEvent, onStep: (s) => instances.push(s.instance) });
  return { result, decisions };
}

describe('simulation on the controller: plans carried out by the engine on the simulated executor', () => {
  it('without noise or faults: every action that starts starts and ends as planned, relative to its decision', async () => {
    for (const policy of [switchPolicy(), killPolicy()]) {
      const { decisions } = await recorded(grid, policy);
      const withActions = decisions.filter((d) => d.plan.status !== 'infeasible' && d.plan.actions.length > 0);
      expect(withActions.length, policy.name).toBeGreaterThan(10);
      let checked = 0;
      for (const d of withActions) {
        for (const r of d.ran.values()) {
          // Actions cut short by a node failure end early; the others keep the plan's timing.
          if (r.status !== 'succeeded') continue;
          expect(r.start - d.time, `${policy.name} action ${r.action.id}`).toBeCloseTo(r.action.start, 6);
          expect(r.end! - d.time, `${policy.name} action ${r.action.id}`).toBeCloseTo(r.action.end, 6);
          checked++;
        }
      }
      expect(checked, policy.name).toBeGreaterThan(50);
    }
  }, 120_000);

  it('with seeded noise: durations differ from the model, yet conservation, reservations and verifyPlan hold', async () => {
    const options = {
      noise: 0.4,
      seed: 11,
      onStep: ({ instance, plan }: { instance: Instance; plan: Plan }) => {
        const v = verifyPlan(instance, plan);
        expect(v.ok, JSON.stringify(v.ok ? [] : v.violations.slice(0, 2))).toBe(true);
      },
    };
    const { result: r, decisions } = await recorded(noFailures, switchPolicy(), options);
    // Deterministic for the seed.
    const again = await simulateWorkload(noFailures, switchPolicy(), { noise: 0.4, seed: 11, trace: true });
    expect(again).toEqual(r);
    // The durations really differ from the plans' own.
    const all = decisions.flatMap((d) => [...d.ran.values()].filter((x) => x.status === 'succeeded'));
    const off = all.filter((x) => Math.abs(x.end! - x.start - (x.action.end - x.action.start)) > 1e-3);
    expect(off.length).toBeGreaterThan(all.length / 2);
    const exact = await simulateWorkload(noFailures, switchPolicy(), { seed: 11 });
    expect(r.metrics.x.end).not.toBe(exact.metrics.x.end);
    // Every plan, run at its real times by following `after`, still never overloads a node nor breaks a rule.
    for (const d of decisions) {
      if (d.plan.status === 'infeasible' || d.plan.actions.length === 0 || d.ran.size !== d.plan.actions.length) continue;
      if ([...d.ran.values()].some((x) => x.status !== 'succeeded')) continue;
      const retimed: FeasiblePlan = { ...d.plan, actions: d.plan.actions.map((a) => ({ ...a, start: d.ran.get(a.id)!.start - d.time, end: d.ran.get(a.id)!.end! - d.time })) };
      const v = verifyPlan(d.instance!, retimed);
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
  }, 120_000);

  it('with seeded noise under kill: the lost time is exactly the progress discarded', async () => {
    const r = await simulateWorkload(grid, killPolicy(), { noise: 0.4, seed: 5 });
    expect(r.metrics.x.kills).toBeGreaterThan(0);
    const vmsOf = new Map(grid.events.flatMap((e) => (e.type === 'arrival' || e.type === 'reservation' ? [[e.job.id, e.job.vms.length] as const] : [])));
    let lost = 0;
    for (const j of r.jobs) {
      expect(j.finished, j.id).toBeDefined();
      expect(j.computed, j.id).toBeCloseTo(j.work + j.discarded, 6);
      lost += j.discarded * vmsOf.get(j.id)!;
    }
    expect(r.metrics.lostComputeSeconds).toBeCloseTo(lost, 3);
  }, 120_000);

  it('actions that fail launch nothing that depends on them, and the controller decides again until every vjob is done', async () => {
    const small = besteffortWorkload({ nodes: 8, vms: 32, seed: 4 });
    const calm: Workload = { ...small, events: small.events.filter((e) => e.type !== 'failure' && e.type !== 'repair') };
    const { result, decisions } = await recorded(calm, switchPolicy(), { failureRate: 0.1, seed: 2 });
    const failed = decisions.flatMap((d) => [...d.ran.values()].filter((x) => x.status === 'failed'));
    expect(failed.length).toBeGreaterThan(0);
    for (const d of decisions) {
      const ok = new Set([...d.ran.values()].filter((x) => x.status === 'succeeded').map((x) => x.action.id));
      for (const x of d.ran.values()) for (const dep of x.action.after ?? []) expect(ok.has(dep), `action ${x.action.id} after ${dep}`).toBe(true);
    }
    for (const j of result.jobs) expect(j.finished, j.id).toBeDefined();
  }, 120_000);
});

describe('engineCarrier: one plan on the simulated executor', () => {
  it('without noise or faults, equals the plan replayed at its own timing; with noise it differs, seeded', async () => {
    const nodes = [0, 1, 2, 3].map((i) => ({ id: `n${i}`, capacity: { cpu: 16, memory: 65536 } }));
    const vms = [0, 1, 2, 3, 4, 5].map((i) => ({ id: `v${i}`, demand: { cpu: 4, memory: 8192 }, state: 'running' as const, host: `n${i % 4}` }));
    const instance = makeInstance({ nodes, vms, objective: { type: 'consolidate' } });
    const plan = await contextSwitchPlan(instance, 1);
    if (plan.status === 'infeasible') throw new Error('infeasible');
    expect(plan.actions.length).toBeGreaterThan(0);
    const exact = await engineCarrier()(instance, plan);
    expect(exact).toEqual(replayPlanTiming(instance, plan));
    const noisy = await engineCarrier({ noise: 0.3, seed: 4 })(instance, plan);
    expect(noisy).not.toEqual(exact);
    expect(await engineCarrier({ noise: 0.3, seed: 4 })(instance, plan)).toEqual(noisy);
  });
});
