/**
 * The execution engine on small hand-made plans, with the simulated executor on a virtual clock:
 * dependency-driven starts, limits, timeouts, retries with back-off, containment of failures,
 * node deaths, checkpoints, cancellation, progress events, re-planning, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { executePlan, type ProgressEvent } from '../../src/execute/engine.js';
import { simulatedExecutor, type SimulatedEvent } from '../../src/execute/simulated.js';
import { STEP_OK, type Executor } from '../../src/execute/types.js';
import { SwitchyardError } from '../../src/errors.js';
import { makeInstance, sourceConfiguration, type Instance } from '../../src/model/instance.js';
import { heuristicSolver } from '../../src/place/place.js';
import { planInstance } from '../../src/pipeline.js';
import { applyActions } from '../../src/plan/replay.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { targetFromConfiguration } from '../../src/plan/target.js';

const cap = { cpu: 8, memory: 8192 };
/** n1..n4 online; a, b on n1; c on n2; d waiting; 1000 MiB/s: a 1024 MiB VM migrates in 1.024 s. */
function world(extra: Partial<Parameters<typeof makeInstance>[0]> = {}): Instance {
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: cap },
      { id: 'n2', capacity: cap },
      { id: 'n3', capacity: cap },
      { id: 'n4', capacity: cap },
    ],
    vms: [
      { id: 'a', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1' },
      { id: 'b', demand: { cpu: 1, memory: 2048 }, state: 'running', host: 'n1' },
      { id: 'c', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n2' },
      { id: 'd', demand: { cpu: 1, memory: 1024 }, state: 'waiting' },
    ],
    durations: { bandwidth: 1000, diskRate: 500, bootVm: 2, shutdownVm: 1, bootNode: 5, shutdownNode: 3 },
    ...extra,
  });
}

/** A plan of the given actions, its target their replay. */
function planOf(instance: Instance, actions: Action[]): FeasiblePlan {
  const target = targetFromConfiguration(instance, applyActions(sourceConfiguration(instance), actions));
  const makespan = Math.max(0, ...actions.map((a) => a.end));
  return { version: 1, status: 'feasible', actions, target, stats: { nodesUsed: 0, lowerBound: 0, migrations: 0, migratedMemory: 0, makespan, solveMs: 0, planMs: 0 } };
}

const mig = (id: number, vm: string, from: string, to: string, start: number, end: number, after?: number[]): Action => ({ id, type: 'migrate', vm, from, to, start, end, ...(after ? { after } : {}) });

function starts(log: readonly SimulatedEvent[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of log) if (e.type === 'start' && !m.has(e.action.id)) m.set(e.action.id, e.time);
  return m;
}
function ends(log: readonly SimulatedEvent[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of log) if (e.type === 'end') m.set(e.action.id, e.time);
  return m;
}

describe('executePlan: the dependency-driven walk', () => {
  it('starts an action when its dependencies have ended, not at its planned time', async () => {
    const inst = world();
    // b (2048 MiB) really takes 2.048 s, though planned for 1 s; a waits for it.
    const plan = planOf(inst, [mig(0, 'b', 'n1', 'n2', 0, 1), mig(1, 'a', 'n1', 'n3', 1, 2, [0]), mig(2, 'c', 'n2', 'n4', 0, 1.024)]);
    const sim = simulatedExecutor(inst);
    const r = await executePlan(inst, plan, sim);
    expect(r.complete).toBe(true);
    expect(r.counts).toEqual({ succeeded: 3, failed: 0, cancelled: 0, skipped: 0 });
    const s = starts(sim.log);
    const e = ends(sim.log);
    expect(s.get(1)).toBeCloseTo(2.048, 9); // not at 1, its planned start
    expect(e.get(1)).toBeCloseTo(2.048 + 1.024, 9);
    expect(s.get(2)).toBe(0);
    expect(r.seconds).toBeCloseTo(3.072, 9);
    expect(r.observedTarget).toEqual(plan.target);
  });

  it('an action planned late starts at once when its dependencies ended early', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 10), mig(1, 'b', 'n1', 'n3', 10, 12, [0])]);
    const sim = simulatedExecutor(inst);
    await executePlan(inst, plan, sim);
    expect(starts(sim.log).get(1)).toBeCloseTo(1.024, 9);
  });

  it('keeps at most maxParallelMigrations migrations in flight, and maxMigrationsPerNode per node', async () => {
    const actions = [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'b', 'n1', 'n3', 0, 2), mig(2, 'c', 'n2', 'n4', 0, 1)];
    for (const [limits, expectedSeconds] of [
      [{ maxParallelMigrations: 1 }, 1.024 + 2.048 + 1.024],
      [{ maxMigrationsPerNode: 1 }, 1.024 + 2.048], // a and b share n1, a and c share n2: a first, then b and c together
      [{}, 2.048],
    ] as const) {
      const inst = world({ limits });
      const sim = simulatedExecutor(inst);
      const r = await executePlan(inst, planOf(inst, actions), sim);
      expect(r.complete).toBe(true);
      expect(r.seconds, JSON.stringify(limits)).toBeCloseTo(expectedSeconds, 9);
    }
    // The option overrides the instance's limits.
    const inst = world();
    const r = await executePlan(inst, planOf(inst, actions), simulatedExecutor(inst), { limits: { maxParallelMigrations: 1 } });
    expect(r.seconds).toBeCloseTo(4.096, 9);
  });
});

describe('executePlan: failures are contained', () => {
  it('a failed action: nothing depending on it starts (transitively), independent and running actions finish', async () => {
    const inst = world();
    const plan = planOf(inst, [
      mig(0, 'a', 'n1', 'n2', 0, 1),
      mig(1, 'b', 'n1', 'n3', 1, 3, [0]),
      { id: 2, type: 'boot', vm: 'd', to: 'n3', start: 3, end: 5, after: [1] },
      mig(3, 'c', 'n2', 'n4', 0, 1),
    ]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'fail', action: 0, fraction: 0.5 }] });
    const r = await executePlan(inst, plan, sim);
    expect(r.complete).toBe(false);
    expect(r.actions.map((a) => a.status)).toEqual(['failed', 'skipped', 'skipped', 'succeeded']);
    expect(r.actions[0]!.error).toMatchObject({ code: 'failed', retryable: false });
    expect(r.actions[1]!.blockedBy).toEqual([0]);
    expect(r.actions[2]!.blockedBy).toEqual([1]);
    expect([...starts(sim.log).keys()].sort()).toEqual([0, 3]);
    expect(r.observed.hostOf('a')).toBe('n1');
    expect(r.observed.hostOf('c')).toBe('n4');
    expect(r.lost).toEqual([]);
  });

  it('retries a retryable failure with back-off, then succeeds', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'fail', action: 0, attempts: 2, retryable: true, fraction: 0.5 }] });
    const events: ProgressEvent[] = [];
    const r = await executePlan(inst, plan, sim, { onProgress: (e) => events.push(e), backoff: { initial: 1, factor: 3 } });
    expect(r.actions[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(events.filter((e) => e.type === 'retrying').map((e) => (e as { delay: number }).delay)).toEqual([1, 3]);
    // 0.512 (half, failed) + 1 + 0.512 + 3 + 1.024
    expect(r.seconds).toBeCloseTo(6.048, 9);
  });

  it('gives up after maxAttempts; a non-retryable error is not retried', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'b', 'n1', 'n3', 0, 2)]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'fail', action: 0, retryable: true }, { kind: 'fail', action: 1 }] });
    const r = await executePlan(inst, plan, sim, { maxAttempts: 4 });
    expect(r.actions.map((a) => [a.status, a.attempts])).toEqual([['failed', 4], ['failed', 1]]);
  });

  it('a hung action times out after expected × factor + slack, and its VM stays on its source', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'c', 'n2', 'n3', 1, 2, [0])]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'hang', action: 0 }] });
    const r = await executePlan(inst, plan, sim, { timeoutFactor: 2, timeoutSlack: 5 });
    expect(r.actions[0]).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    expect(r.actions[0]!.endedAt).toBeCloseTo(1.024 * 2 + 5, 9);
    expect(r.actions[1]!.status).toBe('skipped');
    expect(r.observed.hostOf('a')).toBe('n1');
    // A custom timeout function wins.
    const r2 = await executePlan(inst, plan, simulatedExecutor(inst, { faults: [{ kind: 'hang', action: 0 }] }), { timeout: () => 42 });
    expect(r2.actions[0]!.endedAt).toBe(42);
  });

  it('gives up on a step that ignores its abort after the grace period', async () => {
    const inst = world();
    const sim = simulatedExecutor(inst);
    const deaf: Executor = { name: 'deaf', clock: sim.clock, execute: () => new Promise(() => {}), observe: () => sim.observe() };
    const r = await executePlan(inst, planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]), deaf, { timeout: () => 10, graceSeconds: 7 });
    expect(r.actions[0]).toMatchObject({ status: 'failed', error: { code: 'timeout' }, endedAt: 17 });
  });

  it('an executor that throws (a contract breach) gives a failed action, not a crash', async () => {
    const inst = world();
    const sim = simulatedExecutor(inst);
    const bad: Executor = { name: 'bad', clock: sim.clock, execute: () => Promise.reject(new Error('boom')), observe: () => sim.observe() };
    const r = await executePlan(inst, planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]), bad);
    expect(r.actions[0]).toMatchObject({ status: 'failed', error: { code: 'failed' } });
    expect(r.actions[0]!.error!.message).toContain('boom');
  });

  it('the pre-check stops an action the world contradicts, without calling execute', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]);
    const sim = simulatedExecutor(inst);
    let executed = 0;
    const ex: Executor = { name: 'x', clock: sim.clock, check: () => Promise.resolve({ ok: false, error: { code: 'precheck', message: 'a is elsewhere', retryable: false } }), execute: (a, c) => (executed++, sim.execute(a, c)), observe: () => sim.observe() };
    const r = await executePlan(inst, plan, ex);
    expect(r.actions[0]).toMatchObject({ status: 'failed', error: { code: 'precheck' } });
    expect(executed).toBe(0);
    const r2 = await executePlan(inst, plan, ex, { precheck: false });
    expect(r2.actions[0]!.status).toBe('succeeded');
  });
});

describe('executePlan: node deaths and checkpoints', () => {
  it('a node dies mid-run: its VMs are lost, actions on it fail with node-lost, dependents are skipped', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'b', 'n1', 'n3', 0, 2.048), mig(1, 'a', 'n1', 'n2', 2.048, 3.072, [0]), mig(2, 'c', 'n2', 'n4', 0, 1.024)]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'killNode', node: 'n1', at: 1 }] });
    const r = await executePlan(inst, plan, sim);
    expect(r.actions.map((a) => a.status)).toEqual(['failed', 'skipped', 'succeeded']);
    expect(r.actions[0]!.error!.code).toBe('node-lost');
    expect(r.lost).toEqual(['a', 'b']);
    expect(r.lostNodes).toEqual(['n1']);
    expect(r.observed.nodes.get('n1')).toBe('offline');
    expect(Object.keys(r.observedTarget.vms)).toEqual(['c', 'd']);
  });

  it('with checkpoints, the VMs of a lost node are reported sleeping on their last image, and a re-plan resumes them', async () => {
    const inst = world({ vjobs: [{ id: 'be', bestEffort: true }], vms: [
      { id: 'a', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1', vjob: 'be' },
      { id: 'b', demand: { cpu: 1, memory: 2048 }, state: 'running', host: 'n1' },
      { id: 'c', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n2' },
    ] });
    const plan = planOf(inst, [mig(0, 'c', 'n2', 'n3', 0, 1.024), mig(1, 'c', 'n3', 'n4', 1.024, 2.048, [0]), mig(2, 'c', 'n4', 'n2', 2.048, 3.072, [1])]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'killNode', node: 'n1', at: 2.5 }], imageStore: 'n4' });
    const events: ProgressEvent[] = [];
    const r = await executePlan(inst, plan, sim, {
      checkpoints: { every: 1 },
      onProgress: (e) => events.push(e),
      replan: { maxRounds: 1, planner: (i) => planInstance(i, { solver: heuristicSolver, seed: 1 }) },
    });
    // Only the best-effort VM a is checkpointed, to the image store n4: the snapshot started at 0
    // takes 1024 MiB ÷ 500 MiB/s; the next tick (at 3.048) finds a no longer running.
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { vm: string }).vm)).toEqual(['a']);
    expect(r.checkpoints).toBe(1);
    expect(r.lost).toEqual(['b']);
    expect(r.recovered).toHaveLength(1);
    expect(r.recovered[0]).toMatchObject({ vm: 'a', lostNode: 'n1', image: 'n4' });
    expect(r.recovered[0]!.checkpointAt).toBeCloseTo(2.048, 9);
    expect(r.rounds[0]!.observed.vms.get('a')?.state).toBe('sleeping');
    // Round 2 (the re-plan) resumes a from its image.
    expect(r.rounds).toHaveLength(2);
    const resumed = r.rounds[1]!.actions.find((x) => x.action.type === 'resume');
    expect(resumed).toMatchObject({ status: 'succeeded', action: { vm: 'a', from: 'n4' } });
    expect(r.observed.stateOf('a')).toBe('running');
    expect(r.rounds[1]!.actions.map((x) => x.status), JSON.stringify(r.rounds[1]!.plan)).toEqual(r.rounds[1]!.actions.map(() => 'succeeded'));
    expect(r.complete).toBe(true);
  });
});

describe('executePlan: cancellation, progress, re-planning, determinism, misuse', () => {
  it('an aborted signal cancels running steps (rolled back) and every pending one', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'b', 'n1', 'n2', 0, 2.048), mig(1, 'a', 'n1', 'n3', 2.048, 3.072, [0]), mig(2, 'c', 'n2', 'n4', 0, 1.024)]);
    const sim = simulatedExecutor(inst);
    const ctl = new AbortController();
    sim.clock.at(1.5, () => ctl.abort());
    const r = await executePlan(inst, plan, sim, { signal: ctl.signal });
    expect(r.actions.map((a) => a.status)).toEqual(['cancelled', 'cancelled', 'succeeded']);
    expect(r.actions[1]!.attempts).toBe(0);
    expect(r.observed.hostOf('b')).toBe('n1');
    expect(r.complete).toBe(false);
  });

  it('progress events: each action starts then ends once, fraction climbs to 1', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'b', 'n1', 'n3', 1, 3, [0]), mig(2, 'c', 'n2', 'n4', 0, 1)]);
    const events: ProgressEvent[] = [];
    await executePlan(inst, plan, simulatedExecutor(inst, { faults: [{ kind: 'fail', action: 0 }] }), { onProgress: (e) => events.push(e) });
    const ended = events.filter((e) => e.type === 'ended');
    expect(ended.map((e) => e.fraction)).toEqual([1 / 3, 2 / 3, 1]);
    expect(ended.map((e) => `${e.action.id}:${e.status}`).sort()).toEqual(['0:failed', '1:skipped', '2:succeeded']);
    for (const e of ended) {
      if (e.status === 'skipped') continue;
      const st = events.findIndex((x) => x.type === 'started' && x.action.id === e.action.id);
      expect(st).toBeGreaterThanOrEqual(0);
      expect(st).toBeLessThan(events.indexOf(e));
    }
    expect(events[0]).toMatchObject({ type: 'round', round: 1, actions: 3 });
  });

  it('replan: a failed round is planned again from the observed configuration and completed', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'b', 'n1', 'n3', 0, 2)]);
    let fired = false;
    const once = (a: Action): boolean => a.id === 0 && a.type === 'migrate' && !fired && (fired = true);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'fail', action: once }] });
    // A planner that asks for the original target again.
    const target = plan.target;
    const planner = async (i: Instance) => {
      const { buildPlan, assemblePlan } = await import('../../src/plan/planner.js');
      const { configurationFromTarget } = await import('../../src/plan/target.js');
      const p = buildPlan(i, configurationFromTarget(i, target));
      if (p.status !== 'planned') throw new Error('unplannable');
      return assemblePlan(p, { status: 'feasible', lowerBound: 0, solveMs: 0, planMs: 0 });
    };
    const r = await executePlan(inst, plan, sim, { replan: { maxRounds: 2, planner } });
    expect(r.counts).toEqual({ succeeded: 1, failed: 1, cancelled: 0, skipped: 0 });
    expect(r.rounds).toHaveLength(2);
    expect(r.rounds[1]!.plan.actions.map((a) => a.type === 'migrate' && a.vm)).toEqual(['a']);
    expect(r.complete).toBe(true);
    expect(r.observedTarget).toEqual(target);
  });

  it('replan stops at its bound and says so', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]);
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'fail', action: (a) => a.type === 'migrate' }] });
    const r = await executePlan(inst, plan, sim, { replan: { maxRounds: 2, planner: async () => plan } });
    expect(r.rounds).toHaveLength(3);
    expect(r.replanStopped).toMatch(/bound reached: 2 re-plans/);
    expect(r.complete).toBe(false);
  });

  it('is deterministic for a seed, with noise and random faults', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'b', 'n1', 'n3', 1, 3, [0]), mig(2, 'c', 'n2', 'n4', 0, 1), { id: 3, type: 'boot', vm: 'd', to: 'n1', start: 3, end: 5, after: [1] }]);
    const once = async (seed: number) => {
      const sim = simulatedExecutor(inst, { seed, noise: 0.5, transientRate: 0.3, hangRate: 0.1 });
      const r = await executePlan(inst, plan, sim);
      return JSON.stringify({ a: r.actions, log: sim.log });
    };
    expect(await once(5)).toBe(await once(5));
    const differ = await Promise.all([1, 2, 3, 4].map(once));
    expect(new Set(differ).size).toBeGreaterThan(1);
  });

  it('rejects bad options and malformed plans with typed errors', async () => {
    const inst = world();
    const sim = simulatedExecutor(inst);
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]);
    await expect(executePlan(inst, plan, sim, { maxAttempts: 0 })).rejects.toMatchObject({ code: 'invalid-options' });
    await expect(executePlan(inst, plan, sim, { timeoutFactor: -1 })).rejects.toBeInstanceOf(SwitchyardError);
    await expect(executePlan(inst, plan, sim, { limits: { maxParallelMigrations: 0 } })).rejects.toMatchObject({ issues: [{ path: 'limits.maxParallelMigrations' }] });
    await expect(executePlan(inst, { ...plan, actions: [plan.actions[0]!, plan.actions[0]!] }, sim)).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(executePlan(inst, { ...plan, actions: [{ ...plan.actions[0]!, after: [9] }] }, sim)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('observe() that keeps failing: the report says so and shows what the engine expects; no throw', async () => {
    const inst = world();
    const sim = simulatedExecutor(inst);
    let calls = 0;
    const flaky: Executor = { name: 'flaky', clock: sim.clock, execute: (a, c) => sim.execute(a, c), observe: () => (++calls === 1 ? Promise.reject(new Error('daemon down')) : sim.observe()) };
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1)]);
    const r = await executePlan(inst, plan, flaky);
    expect(r.complete).toBe(true); // the first failure was retried
    const sim2 = simulatedExecutor(inst);
    const dead: Executor = { name: 'dead', clock: sim2.clock, execute: (a, c) => sim2.execute(a, c), observe: () => Promise.reject(new Error('daemon down')) };
    const r2 = await executePlan(inst, plan, dead);
    expect(r2.rounds[0]!.observeError).toMatch(/observe\(\) failed 4 times \(daemon down\)/);
    expect(r2.observed.hostOf('a')).toBe('n2'); // as expected from the succeeded migration
  });

  it('a timeout option that throws or a duration model that answers nonsense fails the action, never the run', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1), mig(1, 'c', 'n2', 'n3', 0, 1)]);
    const r = await executePlan(inst, plan, simulatedExecutor(inst), { timeout: (a) => { if (a.id === 0) throw new Error('bad timeout'); return 100; } });
    expect(r.actions.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(r.actions[0]!.error!.message).toMatch(/bad timeout/);
    const events: ProgressEvent[] = [];
    const r2 = await executePlan(inst, plan, simulatedExecutor(inst), { durationModel: () => Number.NaN, timeoutFactor: 1, timeoutSlack: 0.5, onProgress: (e) => events.push(e) });
    // Expected = the planned 1 s: 1 × 1 + 0.5 s is enough for a 1.024 s migration.
    expect(r2.complete).toBe(true);
  });

  it('a cycle in `after` skips the actions in it, the others run', async () => {
    const inst = world();
    const plan = planOf(inst, [mig(0, 'a', 'n1', 'n2', 0, 1, [1]), mig(1, 'b', 'n1', 'n3', 0, 2, [0]), mig(2, 'c', 'n2', 'n4', 0, 1)]);
    const r = await executePlan(inst, plan, simulatedExecutor(inst));
    expect(r.actions.map((a) => a.status)).toEqual(['skipped', 'skipped', 'succeeded']);
    expect(r.actions[0]!.error!.message).toMatch(/cycle/);
  });

  it('an infeasible plan carries nothing out', async () => {
    const inst = world();
    const r = await executePlan(inst, { version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'no room' }] }, simulatedExecutor(inst));
    expect(r.counts).toEqual({ succeeded: 0, failed: 0, cancelled: 0, skipped: 0 });
    expect(r.observed.equals(sourceConfiguration(inst))).toBe(true);
    void STEP_OK;
  });
});
