import { describe, expect, it } from 'vitest';
import { priorityPolicy } from '../../src/decide/policy.js';
import { makeInstance } from '../../src/model/instance.js';
import type { Workload } from '../../src/model/workload.js';
import { contextSwitchPlan, killPolicy, staticPolicy, switchPolicy } from '../../src/execute/simulate/policies.js';
import { simulateWorkload } from '../../src/execute/simulate/simulator.js';
import type { SimPolicy, SimulationResult } from '../../src/execute/simulate/types.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { defaultDurationModel } from '../../src/plan/durations.js';
import { besteffortWorkload } from '../../src/workload/families.js';

const GiB = 1024;
/** One node, one best-effort vjob of 1000 s, a reservation of the node on [500, 700) claimed from 400. */
const tiny: Workload = {
  version: 1,
  instance: makeInstance({ nodes: [{ id: 'n0', capacity: { cpu: 16, memory: 64 * GiB } }], vms: [], objective: { type: 'consolidate' } }),
  work: {},
  lead: 100,
  tolerance: 60,
  events: [
    { type: 'arrival', time: 0, job: { id: 'b0', bestEffort: true, work: 1000, vms: [{ id: 'b0v0', demand: { cpu: 4, memory: 16 * GiB } }] } },
    { type: 'reservation', time: 0, start: 500, end: 700, nodes: ['n0'], job: { id: 'r0', priority: 10, work: 200, vms: [{ id: 'r0v0', demand: { cpu: 16, memory: 64 * GiB } }] } },
  ],
};
const job = (r: SimulationResult, id: string) => r.jobs.find((j) => j.id === id)!;
const close = (a: number | undefined, b: number): void => expect(a).toBeCloseTo(b, 6);

// Default durations: boot 10 s, shutdown 5 s, suspend/resume 16 GiB at 500 MiB/s = 32.768 s.
describe('simulator semantics on a hand-checked workload', () => {
  it('switch: suspended at the claim, keeps its progress, resumes after the reservation', async () => {
    const r = await simulateWorkload(tiny, switchPolicy());
    close(job(r, 'r0').firstRun, 510);
    close(job(r, 'r0').finished, 710);
    // Ran 10..400 (390 s), then resumed 715..747.768 and ran the 610 s left.
    close(job(r, 'b0').finished, 747.768 + 610);
    expect(job(r, 'b0').computed).toBeCloseTo(1000, 6);
    expect(r.metrics.lostComputeSeconds).toBe(0);
    expect(r.metrics.suspends).toBe(1);
    expect(r.metrics.resumes).toBe(1);
    expect(r.metrics.reservationsLate).toBe(0);
  });

  it('kill: killed at the claim, the 390 s of progress are lost, restarts from scratch', async () => {
    const r = await simulateWorkload(tiny, killPolicy());
    expect(r.metrics.x.kills).toBe(1);
    close(r.metrics.lostComputeSeconds, 390);
    close(job(r, 'b0').discarded, 390);
    close(job(r, 'b0').finished, 725 + 1000);
    close(job(r, 'r0').firstRun, 510);
    expect(r.metrics.reservationsLate).toBe(0);
  });

  it('static: no preemption, the reservation waits, is late, and its lease ends unused', async () => {
    const r = await simulateWorkload(tiny, staticPolicy());
    close(job(r, 'b0').finished, 1010);
    // The node is busy until 1010; the lease ends at end + tolerance = 760.
    expect(job(r, 'r0').firstRun).toBeUndefined();
    close(job(r, 'r0').finished, 760);
    // Its VMs, never started, are dropped: no later decision is stuck on them.
    expect(r.metrics.x.infeasibleDecisions).toBe(0);
    expect(r.metrics.reservationsLate).toBe(1);
    expect(r.metrics.lostComputeSeconds).toBe(0);
  });

  it("carries plans out with the executor's own durations (here: every action twice as long)", async () => {
    const r = await simulateWorkload(tiny, switchPolicy(), {
      durationModel: (request, instance) => 2 * defaultDurationModel(instance)(request, instance),
    });
    // Boot 0..20, 380 s done at the claim, suspend 400..465.536, r0 runs 520..720, shut down by 730,
    // resume 730..795.536, then the 620 s left.
    close(job(r, 'r0').firstRun, 520);
    close(job(r, 'b0').finished, 795.536 + 620);
    expect(job(r, 'b0').computed).toBeCloseTo(1000, 6);
  });

  it('a node failure loses the work since the last checkpoint, and the node comes back', async () => {
    const w: Workload = {
      ...tiny,
      events: [tiny.events[0]!, { type: 'failure', time: 610, node: 'n0' }, { type: 'repair', time: 900, node: 'n0' }],
    };
    const withCkpt = await simulateWorkload(w, switchPolicy({ checkpointPeriod: 250 }));
    // 600 s done at the failure; the last checkpoint was at 500: 100 s lost; rebooted at 900.
    close(withCkpt.metrics.lostComputeSeconds, 100);
    close(job(withCkpt, 'b0').finished, 910 + 500);
    const without = await simulateWorkload(w, switchPolicy({ checkpointPeriod: 0 }));
    close(without.metrics.lostComputeSeconds, 600);
    close(job(without, 'b0').finished, 910 + 1000);
  });
});

describe('simulator on the best-effort grid', () => {
  const grid = besteffortWorkload({ nodes: 12, vms: 72, seed: 4 });
  const noFailures: Workload = { ...grid, events: grid.events.filter((e) => e.type !== 'failure' && e.type !== 'repair') };

  it('is deterministic for a seed', async () => {
    const a = await simulateWorkload(grid, switchPolicy(), { seed: 3 });
    const b = await simulateWorkload(grid, switchPolicy(), { seed: 3 });
    expect(a).toEqual(b);
  });

  it('switch without failures: every vjob finishes, its work done exactly once; reservations on time', async () => {
    const r = await simulateWorkload(noFailures, switchPolicy());
    expect(r.metrics.suspends + r.metrics.migrations).toBeGreaterThan(0);
    for (const j of r.jobs) {
      expect(j.finished, j.id).toBeDefined();
      expect(j.computed, j.id).toBeCloseTo(j.work, 6);
      expect(j.discarded, j.id).toBe(0);
    }
    expect(r.metrics.lostComputeSeconds).toBe(0);
    expect(r.metrics.reservationsLate).toBe(0);
  });

  it('kill: the lost time is exactly the progress discarded, and every vjob ran its work plus that', async () => {
    const r = await simulateWorkload(grid, killPolicy());
    expect(r.metrics.x.kills).toBeGreaterThan(0);
    const vmsOf = new Map(grid.events.flatMap((e) => (e.type === 'arrival' || e.type === 'reservation' ? [[e.job.id, e.job.vms.length] as const] : [])));
    let lost = 0;
    for (const j of r.jobs) {
      expect(j.finished, j.id).toBeDefined();
      expect(j.computed, j.id).toBeCloseTo(j.work + j.discarded, 6);
      if (j.aborts === 0) expect(j.discarded).toBe(0);
      lost += j.discarded * vmsOf.get(j.id)!;
    }
    expect(r.metrics.lostComputeSeconds).toBeCloseTo(lost, 3);
    expect(r.metrics.lostComputeSeconds).toBeGreaterThan(0);
  });

  it("a reservation's nodes hold only its vjob during its window (switch and kill)", async () => {
    const resv = grid.events.flatMap((e) => (e.type === 'reservation' ? [e] : []));
    expect(resv.length).toBeGreaterThan(0);
    for (const policy of [switchPolicy(), killPolicy()]) {
      const r = await simulateWorkload(grid, policy, { trace: true });
      expect(r.trace!.length).toBeGreaterThan(0);
      for (const q of resv) {
        const intruders = r.trace!.filter((o) => q.nodes.includes(o.node) && o.vjob !== q.job.id && o.from < q.end && o.to > q.start);
        expect(intruders, `${policy.name} ${q.job.id}`).toEqual([]);
      }
      expect(r.metrics.reservationsLate, policy.name).toBe(0);
    }
  });

  it('every plan of every policy passes verifyPlan', async () => {
    for (const policy of [staticPolicy(), killPolicy(), switchPolicy()]) {
      let steps = 0;
      await simulateWorkload(grid, policy, {
        onStep: ({ instance, view, plan }) => {
          expect(plan.status, `${policy.name}: ${plan.status === 'infeasible' ? JSON.stringify(plan.reasons.slice(0, 1)) : ''}`).not.toBe('infeasible');
          steps++;
          // The policy's instance is the simulated one with the policy's own rules added.
          expect(instance.vms.size).toBe(view.vms.size);
          if (policy.name === 'switch') expect(instance).toBe(view);
          const v = verifyPlan(instance, plan);
          expect(v.ok, `${policy.name}: ${JSON.stringify(v.ok ? [] : v.violations.slice(0, 2))}`).toBe(true);
        },
      });
      expect(steps).toBeGreaterThan(10);
    }
  });

  it('rejects a policy that plans for another configuration', async () => {
    const liar: SimPolicy = {
      name: 'liar',
      plan: async (view) => {
        const instance = view.instance.set('vms', view.instance.vms.map((v) => (v.state === 'waiting' ? v.set('state', 'sleeping').set('host', 'n0') : v)));
        return { instance, plan: await contextSwitchPlan(instance, 1) };
      },
    };
    await expect(simulateWorkload(tiny, liar)).rejects.toThrow(/another configuration/);
  });

  it('takes a user-supplied policy (strict FCFS admission, no backfilling) through the API', async () => {
    const fcfs: SimPolicy = {
      name: 'fcfs-switch',
      checkpointPeriod: 1800,
      plan: async (view) => ({
        instance: view.instance,
        plan: await contextSwitchPlan(view.instance, view.seed, (ctx) => {
          const queue = [...ctx.candidates].sort((a, b) => Number(a.bestEffort) - Number(b.bestEffort) || a.submitted - b.submitted || a.order - b.order);
          for (const j of queue) if (!ctx.tryRun(j.id)) break;
        }),
      }),
    };
    const r = await simulateWorkload(noFailures, fcfs);
    const d = await simulateWorkload(noFailures, switchPolicy({ admission: priorityPolicy }));
    expect(r.policy).toBe('fcfs-switch');
    expect(r.jobs.every((j) => j.finished !== undefined)).toBe(true);
    expect(r.metrics.lostComputeSeconds).toBe(0);
    // Without backfilling, best-effort vjobs wait longer on average.
    expect(r.metrics.meanCompletionBestEffort).toBeGreaterThanOrEqual(d.metrics.meanCompletionBestEffort);
  });

  it("the user's admission policy is the one the decide stage obeys (here: admit nothing)", async () => {
    const none: SimPolicy = { name: 'none', plan: async (view) => ({ instance: view.instance, plan: await contextSwitchPlan(view.instance, view.seed, () => {}) }) };
    const r = await simulateWorkload(tiny, none);
    for (const j of r.jobs) {
      expect(j.computed, j.id).toBe(0);
      expect(j.firstRun, j.id).toBeUndefined();
    }
    expect(job(r, 'b0').finished).toBeUndefined();
    const admitted = await simulateWorkload(tiny, switchPolicy());
    expect(job(admitted, 'b0').computed).toBeGreaterThan(0);
  });
});
