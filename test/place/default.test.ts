/**
 * The default placement method (what `planInstance` and the CLI run): its answers are valid and
 * never worse than placeInstance alone; what placeInstance settles (a proof of optimality, or of
 * infeasibility with its reasons) comes back as is; a consolidation reaches the keep-set bound.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import type { Configuration } from '../../src/model/configuration.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import { defaultSolver } from '../../src/place/default.js';
import { placeInstance } from '../../src/place/place.js';
import type { PlacementSolver, SolveOptions } from '../../src/place/types.js';
import { formatPlan, parsePlan } from '../../src/io/plan.js';
import { planInstance } from '../../src/pipeline.js';
import { workerRunner } from '../../src/solvers/pool.js';
import { createRandom } from '../../src/util/random.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { compiledWorker } from '../solvers/support.js';

const runner = workerRunner(compiledWorker(), 2);
afterAll(() => runner.close());
const solver = defaultSolver({ lns: { runner } });
/** The peak cpu load ratio over the nodes (what `balance` minimises). */
function peakCpu(instance: Instance, target: Configuration): number {
  const load = new Map<string, number>();
  for (const [id, p] of target.vms) {
    if (p.state !== 'running' || p.host === undefined) continue;
    load.set(p.host, (load.get(p.host) ?? 0) + instance.vms.get(id)!.demand.get('cpu')!);
  }
  let peak = 0;
  for (const [n, l] of load) peak = Math.max(peak, l / instance.nodes.get(n)!.capacity.get('cpu')!);
  return peak;
}

/**
 * An exact-fit puzzle: node capacities are the sums of a hidden assignment of 25–35 VMs (no
 * spare room anywhere), every VM waits and wants to run. Feasible by construction.
 */
function puzzle(seed: number): Instance {
  const rnd = createRandom(seed);
  const nNodes = 4 + rnd.int(4);
  const nVms = 25 + rnd.int(11);
  const cap = Array.from({ length: nNodes }, () => ({ cpu: 0, memory: 0 }));
  const vms = [];
  for (let i = 0; i < nVms; i++) {
    const n = i < nNodes ? i : rnd.int(nNodes);
    const cpu = 1 + rnd.int(8);
    const memory = 512 * (1 + rnd.int(16));
    cap[n]!.cpu += cpu;
    cap[n]!.memory += memory;
    vms.push({ id: `v${i}`, demand: { cpu, memory }, state: 'waiting' as const, wants: 'running' as const });
  }
  return makeInstance({ nodes: cap.map((c, i) => ({ id: `n${i}`, capacity: c })), vms, objective: { type: 'consolidate' } });
}

const options = (timeLimitMs: number): SolveOptions => ({ seed: 1, timeLimitMs, now: () => performance.now() });

describe('default placement', () => {
  it("returns placeInstance's reasons when the VMs cannot all run", async () => {
    const instance = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 8192 } }],
      vms: [
        { id: 'a', demand: { cpu: 4, memory: 6144 }, state: 'running', host: 'n1', wants: 'running' },
        { id: 'b', demand: { cpu: 4, memory: 6144 }, state: 'waiting', wants: 'running' },
      ],
      objective: { type: 'consolidate' },
    });
    const alone = await placeInstance(instance, options(5000));
    const r = await solver.solve(instance, options(5000));
    expect(alone.status).toBe('infeasible');
    expect(r.status).toBe('infeasible');
    if (r.status !== 'infeasible' || alone.status !== 'infeasible') return;
    expect(r.reasons.map((x) => x.message)).toEqual(alone.reasons.map((x) => x.message));
    expect(r.reasons.some((x) => x.message.includes('memory'))).toBe(true);
    // A proof, not a search that gave up.
    expect(r.unproved).toBeUndefined();
  });

  it('finds the placement of exact-fit puzzles that the decide step may give up on', async () => {
    for (const seed of [3, 6]) {
      const instance = puzzle(seed);
      const alone = await placeInstance(instance, options(1200));
      // Where the decide step's search runs out, it says so rather than claim a proof.
      if (alone.status === 'infeasible') expect(alone.unproved).toBe(true);
      const r = await solver.solve(instance, options(8000));
      expect(r.status).not.toBe('infeasible');
      if (r.status === 'infeasible') continue;
      expect(checkConfiguration(instance, r.target)).toEqual([]);
      expect([...r.target.vms.values()].every((p) => p.state === 'running')).toBe(true);
    }
  });

  it("returns placeInstance's proved optimum as is", async () => {
    const instance = heterogeneousCluster({ nodes: 4, vms: 10, seed: 3 });
    const alone = await placeInstance(instance, options(10_000));
    expect(alone.status).toBe('optimal');
    const r = await solver.solve(instance, options(10_000));
    expect(r).toEqual(alone);
  });

  it.each([
    ['consolidate', 1],
    ['consolidate', 2],
    ['balance', 1],
  ] as const)('%s (seed %i): valid and never worse than placeInstance alone', async (type, seed) => {
    const instance = heterogeneousCluster({ nodes: 40, vms: 170, seed, objective: { type } });
    const alone = await placeInstance(instance, options(2000));
    const r = await solver.solve(instance, options(4000));
    expect(alone.status).not.toBe('infeasible');
    expect(r.status).not.toBe('infeasible');
    if (r.status === 'infeasible' || alone.status === 'infeasible') return;
    expect(checkConfiguration(instance, r.target)).toEqual([]);
    if (type === 'consolidate') {
      expect(r.nodesUsed).toBeLessThanOrEqual(alone.nodesUsed);
      // These clusters pack at their keep-set bound.
      expect(r.nodesUsed).toBe(r.lowerBound);
    } else {
      const [peak, peakAlone] = [peakCpu(instance, r.target), peakCpu(instance, alone.target)];
      expect(peak).toBeLessThanOrEqual(peakAlone + 1e-9);
      if (peak >= peakAlone - 1e-9) expect(r.migratedMemory).toBeLessThan(alone.migratedMemory);
    }
  });

  it('consolidates clusters with anti-affinity (spread) down to the node bound', async () => {
    const base = heterogeneousCluster({ nodes: 100, vms: 450, seed: 4 });
    const vms = [...base.vms.keys()];
    const spreads: Constraint[] = [];
    for (let i = 0; i + 3 <= 150; i += 3) spreads.push({ type: 'spread', vms: vms.slice(i, i + 3) });
    const instance = base.set('constraints', base.constraints.concat(spreads));
    const alone = await placeInstance(instance, options(2000));
    const r = await solver.solve(instance, options(5000));
    expect(r.status).not.toBe('infeasible');
    if (r.status === 'infeasible' || alone.status === 'infeasible') return;
    expect(checkConfiguration(instance, r.target)).toEqual([]);
    expect(r.nodesUsed).toBe(r.lowerBound);
    expect(r.nodesUsed).toBeLessThan(alone.nodesUsed);
  });

  it('marks a plan whose infeasibility is not proved, in its x, and the plan stays valid format', async () => {
    const instance = puzzle(3);
    const gaveUp: PlacementSolver = {
      name: 'gives-up',
      solve: async () => ({ status: 'infeasible', solver: 'gives-up', reasons: [{ message: 'budget ran out' }], unproved: true }),
    };
    const plan = await planInstance(instance, { timeLimitMs: 1000, solver: gaveUp });
    expect(plan.status).toBe('infeasible');
    expect(plan.x).toEqual({ unproved: true });
    expect(parsePlan(formatPlan(plan)).ok).toBe(true);
    const proved = await planInstance(instance, { timeLimitMs: 1000, solver: { ...gaveUp, solve: async () => ({ status: 'infeasible', solver: 'p', reasons: [{ message: 'no' }] }) } });
    expect(proved.x).toBeUndefined();
  });
});
