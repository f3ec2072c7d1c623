/**
 * The engine under random injected faults (fast-check): random small worlds, their plans, and a
 * simulated executor that fails, fails transiently, hangs, adds noise to durations, and kills up
 * to two nodes at random times, with or without checkpoints. Whatever happens:
 * - every VM of the instance ends in exactly one known place or state (observed, with a host that
 *   exists when running or sleeping), or is lost, and only because its node died without a
 *   checkpoint;
 * - the report matches the observed configuration: replaying the actions reported `succeeded`
 *   (in the order they ended) on the source gives what `observe()` shows for every VM and node
 *   the node deaths did not touch; the lost and recovered VMs are those the deaths took;
 * - nothing that depends (transitively) on an action that did not succeed was started; every
 *   started action's dependencies had ended successfully before it; the migration limits held.
 * The figures (runs, faults injected, VMs lost) are printed at the end for the README.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { executePlan, type ExecutionReport } from '../../src/execute/engine.js';
import { simulatedExecutor, type SimulatedEvent, type SimulatedExecutor } from '../../src/execute/simulated.js';
import { nodesOfAction } from '../../src/execute/actions.js';
import type { Configuration } from '../../src/model/configuration.js';
import { limitsOf, sourceConfiguration, type Instance } from '../../src/model/instance.js';
import { buildPlan } from '../../src/plan/planner.js';
import { applyAction, afterOf } from '../../src/plan/replay.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { arbWorld } from '../support/arbitraries.js';
import { asPlan } from '../plan/planner-support.js';

const figures = { runs: 0, actions: 0, failures: 0, transient: 0, hangs: 0, nodeDeaths: 0, vmsOnDeadNodes: 0, recovered: 0, lostWithoutCheckpoint: 0, lostOtherwise: 0 };
afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`engine fault figures: ${JSON.stringify(figures)}`);
});

const arbRun = fc.record({
  world: arbWorld({ maxNodes: 5, maxVms: 9 }),
  shutdownEmpty: fc.boolean(),
  maxParallel: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  maxPerNode: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  seed: fc.integer(),
  failureRate: fc.constantFrom(0, 0.05, 0.2, 0.5),
  transientRate: fc.constantFrom(0, 0.1, 0.3),
  hangRate: fc.constantFrom(0, 0.05, 0.2),
  noise: fc.constantFrom(0, 0.3, 0.9),
  kills: fc.array(fc.record({ node: fc.nat(), at: fc.integer({ min: 0, max: 120 }).map((p) => p / 100) }), { maxLength: 2 }),
  checkpoints: fc.constantFrom<'off' | 'bestEffort' | 'all'>('off', 'all', 'all'),
});

/** A plan for a run (undefined when the world's target is not plannable). */
function planFor(instance: Instance, hidden: Configuration, shutdownEmpty: boolean): FeasiblePlan | undefined {
  let target = hidden;
  if (shutdownEmpty) {
    // Empty online nodes (no VM running or sleeping there) go offline: shutdownNode actions.
    for (const [n, s] of hidden.nodes) {
      const used = [...hidden.vms.values()].some((p) => p.host === n) || [...instance.vms.values()].some((v) => v.host === n);
      if (s === 'online' && !used) target = target.setIn(['nodes', n], 'offline');
    }
  }
  const r = buildPlan(instance, target);
  if (r.status === 'planned') return asPlan(r);
  const again = buildPlan(instance, hidden);
  return again.status === 'planned' ? asPlan(again) : undefined;
}

function transitiveDependents(plan: FeasiblePlan, roots: Set<number>): Set<number> {
  const out = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const a of plan.actions) {
      if (out.has(a.id)) continue;
      if (afterOf(a).some((d) => roots.has(d) || out.has(d))) {
        out.add(a.id);
        grew = true;
      }
    }
  }
  return out;
}

function checkRun(instance: Instance, plan: FeasiblePlan, sim: SimulatedExecutor, r: ExecutionReport, checkpoints: boolean): void {
  const log = sim.log;
  const observed = sim.configuration;
  // Counts add up; one report per action, in plan order.
  expect(r.actions.map((a) => a.id)).toEqual(plan.actions.map((a) => a.id));
  expect(r.counts.succeeded + r.counts.failed + r.counts.cancelled + r.counts.skipped).toBe(plan.actions.length);
  expect(r.complete).toBe(r.counts.succeeded === plan.actions.length && r.rounds[0]!.reachedTarget);
  // The report's observation is the world.
  expect(r.observed.equals(observed)).toBe(true);

  // Every VM in exactly one known place or state, or lost.
  const dead = new Set(log.filter((e) => e.type === 'nodeDied').map((e) => (e as { node: string }).node));
  for (const v of instance.vms.values()) {
    const p = observed.vms.get(v.id);
    if (p === undefined) {
      expect(r.lost).toContain(v.id);
      continue;
    }
    expect(r.lost).not.toContain(v.id);
    if (p.state === 'running') {
      expect(observed.nodes.get(p.host!), `${v.id} runs on an online node`).toBe('online');
      expect(dead.has(p.host!)).toBe(false);
    } else if (p.state === 'sleeping') {
      expect(instance.nodes.has(p.host!), `${v.id} sleeps on a node`).toBe(true);
      expect(dead.has(p.host!)).toBe(false);
    } else expect(p.host).toBeUndefined();
    expect(r.observedTarget.vms[v.id]).toEqual(p.host === undefined ? { state: p.state } : { state: p.state, host: p.host });
  }
  expect(observed.vms.size).toBe(instance.vms.size - r.lost.length);

  // The deaths account for every lost and recovered VM.
  const diedLost = new Set<string>();
  const diedRecovered = new Set<string>();
  for (const e of log) {
    if (e.type !== 'nodeDied') continue;
    for (const vm of e.lost) diedLost.add(vm);
    for (const vm of e.recovered) diedRecovered.add(vm);
  }
  expect(new Set(r.lost)).toEqual(diedLost);
  expect(new Set(r.recovered.map((x) => x.vm))).toEqual(new Set([...diedRecovered].filter((vm) => !diedLost.has(vm))));
  if (!checkpoints) expect(r.recovered).toEqual([]);
  for (const x of r.recovered) expect(observed.vms.get(x.vm)?.toJS()).toEqual({ state: 'sleeping', host: x.image });

  // Replaying the succeeded actions, in the order they ended, gives what observe() shows.
  const succeeded = r.actions.filter((a) => a.status === 'succeeded').sort((x, y) => x.endedAt! - y.endedAt!);
  let replay = sourceConfiguration(instance);
  for (const a of succeeded) replay = applyAction(replay, a.action);
  const touched = new Set([...diedLost, ...diedRecovered]);
  for (const v of instance.vms.values()) {
    if (touched.has(v.id)) continue;
    expect(observed.vms.get(v.id)?.toJS(), `VM ${v.id}: report vs observe()`).toEqual(replay.vms.get(v.id)?.toJS());
  }
  for (const n of instance.nodes.keys()) {
    expect(observed.nodes.get(n), `node ${n}`).toBe(dead.has(n) ? 'offline' : replay.nodes.get(n));
  }
  expect(new Set(r.lostNodes)).toEqual(new Set([...dead].filter((n) => instance.nodes.get(n)?.state === 'online' && !succeeded.some((a) => a.action.type === 'shutdownNode' && a.action.node === n && a.endedAt! <= (log.find((e) => e.type === 'nodeDied' && e.node === n)?.time ?? Infinity)))));

  // Nothing depending on an action that did not succeed was started.
  const notOk = new Set(r.actions.filter((a) => a.status !== 'succeeded').map((a) => a.id));
  const started = new Set(log.filter((e) => e.type === 'start').map((e) => (e as { action: Action }).action.id));
  for (const id of transitiveDependents(plan, notOk)) {
    expect(started.has(id), `action ${id} depends on one that did not succeed, yet started`).toBe(false);
    const rep = r.actions.find((a) => a.id === id)!;
    expect(['skipped', 'cancelled']).toContain(rep.status);
    expect(rep.attempts).toBe(0);
  }
  // Every start came after its dependencies ended successfully.
  const okEnd = new Map<number, number>();
  for (const e of log) if (e.type === 'end' && e.outcome.ok) okEnd.set(e.action.id, e.time);
  for (const e of log) {
    if (e.type !== 'start') continue;
    for (const d of afterOf(e.action)) {
      expect(okEnd.get(d), `action ${e.action.id} started before ${d} ended well`).toBeLessThanOrEqual(e.time);
    }
  }
  // Limits held at every start; the log's time never goes back.
  const limits = limitsOf(instance);
  const flying = new Map<string, Action>();
  let t = 0;
  for (const e of log) {
    expect(e.time).toBeGreaterThanOrEqual(t);
    t = e.time;
    if (e.type === 'end') flying.delete(`${e.action.id}/${e.attempt}`);
    if (e.type !== 'start' || e.action.type !== 'migrate') continue;
    flying.set(`${e.action.id}/${e.attempt}`, e.action);
    const migs = [...flying.values()];
    expect(migs.length).toBeLessThanOrEqual(limits.maxParallelMigrations);
    for (const n of nodesOfAction(e.action)) expect(migs.filter((m) => nodesOfAction(m).includes(n)).length).toBeLessThanOrEqual(limits.maxMigrationsPerNode);
  }
}

function tally(sim: SimulatedExecutor, r: ExecutionReport, log: readonly SimulatedEvent[], checkpoints: boolean): void {
  figures.runs++;
  figures.actions += r.actions.length;
  for (const e of log) {
    if (e.type === 'end' && !e.outcome.ok && e.outcome.error.code === 'failed') {
      if (e.outcome.error.retryable) figures.transient++;
      else figures.failures++;
    }
    if (e.type === 'nodeDied') {
      figures.nodeDeaths++;
      figures.vmsOnDeadNodes += e.lost.length + e.recovered.length;
    }
  }
  figures.hangs += r.actions.filter((a) => a.error?.code === 'timeout').length;
  figures.recovered += r.recovered.length;
  for (const vm of r.lost) {
    // A VM lost with a checkpoint policy on is explained only when it had no live image.
    const explained = log.some((e) => e.type === 'nodeDied' && e.lost.includes(vm));
    if (explained) figures.lostWithoutCheckpoint++;
    else figures.lostOtherwise++;
  }
  void sim;
  void checkpoints;
}

describe('executePlan under random faults (property)', () => {
  it('every VM ends in one known place, the report matches observe(), nothing depending on a failure starts', async () => {
    await fc.assert(
      fc.asyncProperty(arbRun, async (run) => {
        const base = run.world.instance;
        const limits = { ...(run.maxParallel ? { maxParallelMigrations: run.maxParallel } : {}), ...(run.maxPerNode ? { maxMigrationsPerNode: run.maxPerNode } : {}) };
        // A fast disk (4 GB/s): checkpoints end within the plan, so that node deaths find images.
        const instance = base.set('limits', limits).set('durations', { diskRate: 4000 });
        const plan = planFor(instance, run.world.hidden, run.shutdownEmpty);
        fc.pre(plan !== undefined);
        const nodes = [...instance.nodes.keys()];
        const span = Math.max(1, plan!.stats.makespan);
        const sim = simulatedExecutor(instance, {
          seed: run.seed,
          failureRate: run.failureRate,
          transientRate: run.transientRate,
          hangRate: run.hangRate,
          noise: run.noise,
          faults: run.kills.map((k) => ({ kind: 'killNode' as const, node: nodes[k.node % nodes.length]!, at: k.at * span })),
        });
        const checkpoints = run.checkpoints !== 'off';
        const r = await executePlan(instance, plan!, sim, {
          backoff: { initial: 0.5 },
          ...(checkpoints ? { checkpoints: { every: span / 4, select: () => true } } : {}),
        });
        await sim.cleanup();
        checkRun(instance, plan!, sim, r, checkpoints);
        tally(sim, r, sim.log, checkpoints);
      }),
      { numRuns: 400, seed: 20261201 },
    );
    expect(figures.runs).toBeGreaterThan(200);
    expect(figures.lostOtherwise).toBe(0);
  });

  it('with replan, every round keeps the same promises and the last one observes every VM', async () => {
    const { heuristicSolver } = await import('../../src/place/place.js');
    const { planInstance } = await import('../../src/pipeline.js');
    await fc.assert(
      fc.asyncProperty(arbRun, async (run) => {
        const instance = run.world.instance;
        const plan = planFor(instance, run.world.hidden, false);
        fc.pre(plan !== undefined);
        const nodes = [...instance.nodes.keys()];
        const span = Math.max(1, plan!.stats.makespan);
        // Faults in the first round only: the first attempts fail at random, one node may die.
        const sim = simulatedExecutor(instance, {
          seed: run.seed,
          faults: [
            { kind: 'fail', action: (a) => a.x?.['round'] === undefined && (run.seed + a.id) % 3 === 0, attempts: 1 },
            ...run.kills.slice(0, 1).map((k) => ({ kind: 'killNode' as const, node: nodes[k.node % nodes.length]!, at: k.at * span })),
          ],
        });
        const r = await executePlan(instance, plan!, sim, {
          checkpoints: { every: span / 4, select: () => true },
          replan: { maxRounds: 2, planner: async (i) => {
            const p = await planInstance(i, { solver: heuristicSolver, seed: 1 });
            return p.status === 'infeasible' ? p : { ...p, actions: p.actions.map((a) => ({ ...a, x: { round: 2 } })) };
          } },
        });
        // Every VM of the instance is observed or lost, and lost only to a node death.
        for (const v of instance.vms.values()) expect(r.observed.vms.has(v.id) !== r.lost.includes(v.id)).toBe(true);
        for (const vm of r.lost) expect(sim.log.some((e) => e.type === 'nodeDied' && e.lost.includes(vm))).toBe(true);
        // Round after round, the counts add up and later rounds start from what was observed.
        for (const round of r.rounds) {
          const c = round.counts;
          expect(c.succeeded + c.failed + c.cancelled + c.skipped).toBe(round.actions.length);
        }
        expect(r.complete || r.rounds.length === 3 || r.replanStopped !== undefined).toBe(true);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});
