/**
 * The decide stage is obeyed by every objective and every solver: the two-node example,
 * preemption of a lower-priority running vjob, a custom policy through planInstance, and the
 * admitted set against brute force on random small worlds.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/decide/decide.js';
import { compareCandidates, type AdmissionPolicy, type VjobCandidate } from '../../src/decide/policy.js';
import { analyzeStates } from '../../src/decide/states.js';
import { indexInstance } from '../../src/model/indexed.js';
import { makeInstance, type Instance, type InstanceInit } from '../../src/model/instance.js';
import type { Objective } from '../../src/model/objective.js';
import { defaultSolver } from '../../src/place/default.js';
import { lnsSolver } from '../../src/place/lns.js';
import { partitionedSolver } from '../../src/place/partition.js';
import { heuristicSolver, placeInstance, searchSolver } from '../../src/place/place.js';
import type { PlacementSolver } from '../../src/place/types.js';
import { planInstance } from '../../src/pipeline.js';
import type { Plan } from '../../src/plan/types.js';
import { mipSolver } from '../../src/place/mip.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { feasible } from '../place/brute.js';
import { arbConstrainedWorld } from '../place/worlds.js';

const runner = inThreadRunner();
afterAll(() => runner.close());

const OBJECTIVES: readonly Objective[] = [{ type: 'minMigrations' }, { type: 'consolidate' }, { type: 'consolidate', powerOff: true }, { type: 'balance' }];
const SOLVERS: readonly (readonly [string, () => PlacementSolver])[] = [
  ['default', () => defaultSolver({ lns: { runner } })],
  ['heuristic', () => heuristicSolver],
  ['search', () => searchSolver],
  ['lns', () => lnsSolver({ runner })],
  ['lns (improve)', () => lnsSolver({ runner, mode: 'improve' })],
  ['partitioned (repair)', () => partitionedSolver({ runner, mode: 'repair' })],
  ['partitioned (improve)', () => partitionedSolver({ runner, mode: 'improve' })],
  ['mip', () => mipSolver({ runner })],
];

const node = (id: string) => ({ id, capacity: { cpu: 8, memory: 8192 }, state: 'online' as const });

/** The example: a runs on n1, vjob j (priority 5) of two VMs waits, s1 sleeps on n2. */
function example(objective: Objective | undefined): Instance {
  const init: InstanceInit = {
    nodes: [node('n1'), node('n2')],
    vms: [
      { id: 'a', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1' },
      { id: 'j1', demand: { cpu: 2, memory: 2048 }, state: 'waiting', vjob: 'j' },
      { id: 'j2', demand: { cpu: 2, memory: 2048 }, state: 'waiting', vjob: 'j' },
      { id: 's1', demand: { cpu: 2, memory: 2048 }, state: 'sleeping', host: 'n2' },
    ],
    vjobs: [{ id: 'j', priority: 5 }],
  };
  return makeInstance(objective === undefined ? init : { ...init, objective });
}

// Short limits: the anytime solvers (partitioned improve) run to the limit.
const opts = (solver: PlacementSolver, extra: object = {}) => ({ seed: 1, timeLimitMs: 1000, solver, ...extra });
const acts = (plan: Plan, type: string): string[] => plan.actions.filter((a) => a.type === type).map((a) => ('vm' in a ? a.vm : '')).sort();
const runningIn = (plan: Plan): string[] =>
  plan.status === 'infeasible' ? [] : Object.entries(plan.target.vms).filter(([, p]) => p.state === 'running').map(([v]) => v).sort();

describe('decide(): the Decision', () => {
  it('runs the waiting vjob and resumes s1 in the example, with no reason left', () => {
    const d = decide(example(undefined));
    expect(d.status).toBe('decided');
    if (d.status !== 'decided') return;
    expect([...d.admitted].sort()).toEqual(['a', 'j', 's1']);
    expect(d.notAdmitted).toEqual([]);
    expect([...d.running].map((v) => d.ix.vmIds[v])).toEqual(['a', 'j1', 'j2', 's1']);
    // The placement found while admitting is valid: within capacity.
    for (const v of d.running) expect(d.placement[v]).toBeGreaterThanOrEqual(0);
    // No VM is misplaced except those that start (boot, resume).
    expect([...d.repair].map((f, v) => (f ? d.ix.vmIds[v] : '')).filter(Boolean).sort()).toEqual(['j1', 'j2', 's1']);
  });

  it('gives a reason for every vjob left out (no room; a sleeping constraint)', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 4, memory: 4096 } }],
      vms: [
        { id: 'b1', demand: { cpu: 3, memory: 1024 }, state: 'waiting', vjob: 'big' },
        { id: 'b2', demand: { cpu: 3, memory: 1024 }, state: 'waiting', vjob: 'big' },
        { id: 'z', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1' },
      ],
      vjobs: [{ id: 'big', priority: 9 }],
      constraints: [{ type: 'sleeping', vms: ['z'] }],
    });
    const d = decide(inst);
    expect(d.status).toBe('decided');
    if (d.status !== 'decided') return;
    expect(d.admitted).toEqual([]);
    const why = new Map(d.notAdmitted.map((n) => [n.vjob, n]));
    expect(why.get('big')?.kind).toBe('fit');
    expect(why.get('big')?.proved).toBe(true);
    expect(why.get('big')?.reason).toContain('does not fit');
    expect(why.get('z')?.kind).toBe('constraint');
    expect(d.ix.vmIds.map((_, v) => d.states[v])).toEqual([0, 0, 2]);
  });
});

describe('every objective and every solver obey the decision', () => {
  for (const objective of [undefined, ...OBJECTIVES]) {
    for (const [name, make] of SOLVERS) {
      it(`${objective ? JSON.stringify(objective) : 'no objective'} / ${name}: boots the waiting vjob and resumes s1`, async () => {
        const plan = await planInstance(example(objective), opts(make()));
        expect(plan.status).not.toBe('infeasible');
        expect(acts(plan, 'boot')).toEqual(['j1', 'j2']);
        expect(acts(plan, 'resume')).toEqual(['s1']);
        expect(runningIn(plan)).toEqual(['a', 'j1', 'j2', 's1']);
      });
    }
  }

  // One node: a running low-priority vjob must give way to a waiting high-priority one.
  const preempt = (objective: Objective) =>
    makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 8192 } }],
      vms: [
        { id: 'l1', demand: { cpu: 3, memory: 2048 }, state: 'running', host: 'n1', vjob: 'low' },
        { id: 'l2', demand: { cpu: 3, memory: 2048 }, state: 'running', host: 'n1', vjob: 'low' },
        { id: 'h1', demand: { cpu: 3, memory: 2048 }, state: 'waiting', vjob: 'high' },
        { id: 'h2', demand: { cpu: 3, memory: 2048 }, state: 'waiting', vjob: 'high' },
      ],
      vjobs: [
        { id: 'low', priority: 1 },
        { id: 'high', priority: 5 },
      ],
      objective,
    });
  for (const objective of OBJECTIVES) {
    for (const [name, make] of SOLVERS) {
      it(`${JSON.stringify(objective)} / ${name}: suspends the lower-priority running vjob to start the higher one`, async () => {
        const plan = await planInstance(preempt(objective), opts(make()));
        expect(acts(plan, 'suspend')).toEqual(['l1', 'l2']);
        expect(acts(plan, 'boot')).toEqual(['h1', 'h2']);
      });
    }
  }
});

describe('a custom AdmissionPolicy passed to planInstance', () => {
  // Strict FCFS by submission without backfilling: stops at the first vjob that does not fit.
  const fcfs: AdmissionPolicy = (ctx) => {
    const queue = [...ctx.candidates].sort((a, b) => a.submitted - b.submitted || a.order - b.order);
    for (const j of queue) if (!ctx.tryRun(j.id)) break;
  };
  const inst = (objective: Objective) =>
    makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 8192 } }],
      vms: [
        { id: 'x1', demand: { cpu: 6, memory: 1024 }, state: 'waiting', vjob: 'first' },
        { id: 'x2', demand: { cpu: 6, memory: 1024 }, state: 'waiting', vjob: 'first' },
        { id: 'y1', demand: { cpu: 2, memory: 1024 }, state: 'waiting', vjob: 'second' },
      ],
      vjobs: [
        { id: 'first', priority: 0, submitted: 1 },
        { id: 'second', priority: 0, submitted: 2 },
      ],
      objective,
    });
  for (const objective of OBJECTIVES) {
    it(`${JSON.stringify(objective)}: is obeyed (no backfilling), where the default policy backfills`, async () => {
      const solver = defaultSolver({ lns: { runner } });
      const byDefault = await planInstance(inst(objective), opts(solver));
      expect(acts(byDefault, 'boot')).toEqual(['y1']);
      const strict = await planInstance(inst(objective), opts(solver, { policy: fcfs }));
      expect(strict.status).not.toBe('infeasible');
      // Nothing starts (an unused node may still be powered off).
      expect(strict.actions.filter((a) => 'vm' in a)).toEqual([]);
      expect(runningIn(strict)).toEqual([]);
    });
  }

  it('refuses a policy that is not a function, naming the option', async () => {
    await expect(planInstance(inst({ type: 'consolidate' }), { policy: 42 as unknown as AdmissionPolicy })).rejects.toThrow(/policy/);
  });
});

describe('against brute force on small worlds, under every objective', () => {
  /** The VMs that run under the default policy: gang admission in compareCandidates order, each tested by enumeration. */
  function expectedRunning(instance: Instance): string[] | undefined {
    const ix = indexInstance(instance);
    const groups = analyzeStates(instance, ix).groups.filter((g) => !g.forbidden);
    const ids = (g: (typeof groups)[number]) => [...g.vms].map((v) => ix.vmIds[v]!);
    let run = groups.filter((g) => g.mandatory).flatMap(ids);
    if (!feasible(instance, run)) return undefined;
    const cands: (VjobCandidate & { vmIds: string[] })[] = groups
      .filter((g) => !g.mandatory)
      .map((g) => ({ id: g.id, vms: ids(g), vmIds: ids(g), priority: g.priority, submitted: g.submitted, bestEffort: g.bestEffort, current: g.current, order: g.index }));
    for (const c of cands.sort(compareCandidates)) if (feasible(instance, [...run, ...c.vmIds])) run = [...run, ...c.vmIds];
    return run.sort();
  }

  it('planInstance (default solver) runs exactly the vjobs the priority policy admits', async () => {
    const solver = defaultSolver({ lns: { runner } });
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxNodes: 3, maxVms: 5, maxConstraints: 4 }), fc.constantFrom(...OBJECTIVES), async ({ instance: base }, objective) => {
        const instance = base.set('objective', objective);
        const expected = expectedRunning(instance);
        const plan = await planInstance(instance, { seed: 2, timeLimitMs: 5000, solver });
        if (expected === undefined) {
          expect(plan.status).toBe('infeasible');
          return;
        }
        expect(plan.status).not.toBe('infeasible');
        expect(runningIn(plan)).toEqual(expected);
      }),
      { numRuns: 60, seed: 11 },
    );
  });

  it('placeInstance and the custom policy agree with brute force (the policy that admits nothing optional)', async () => {
    const none: AdmissionPolicy = () => {};
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxNodes: 3, maxVms: 5, maxConstraints: 4 }), fc.constantFrom(...OBJECTIVES), async ({ instance: base }, objective) => {
        const instance = base.set('objective', objective);
        const ix = indexInstance(instance);
        const mandatory = analyzeStates(instance, ix)
          .groups.filter((g) => g.mandatory && !g.forbidden)
          .flatMap((g) => [...g.vms].map((v) => ix.vmIds[v]!))
          .sort();
        const r = await placeInstance(instance, { seed: 1, timeLimitMs: 5000, now: () => performance.now(), policy: none });
        if (!feasible(instance, mandatory)) {
          expect(r.status).toBe('infeasible');
          return;
        }
        expect(r.status).not.toBe('infeasible');
        if (r.status === 'infeasible') return;
        expect([...r.target.vms].filter(([, p]) => p.state === 'running').map(([v]) => v).sort()).toEqual(mandatory);
      }),
      { numRuns: 100, seed: 12 },
    );
  });
});
