import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Violation } from '../../src/constraints/spec.js';
import { sourceConfiguration } from '../../src/model/instance.js';
import { applyActions } from '../../src/plan/replay.js';
import type { FeasiblePlan, Plan, PlanTarget } from '../../src/plan/types.js';
import type { Action, MigrateAction } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { arbWorld, type World } from '../support/arbitraries.js';
import { buildPlan, type Built } from './verify-support.js';

const RUNS = 150;

interface Case {
  readonly world: World;
  readonly built: Built;
  /** Free random numbers for choosing what to mutate. */
  readonly picks: readonly number[];
}

/** Random worlds with a valid batched plan to their hidden configuration (cases where the greedy batching gets stuck are dropped). */
const arbCase: fc.Arbitrary<Case | undefined> = fc
  .record({
    world: arbWorld({ maxNodes: 5, maxVms: 8 }),
    durations: fc.array(fc.constantFrom(0, 0.5, 1, 2.5, 4, 7.25), { minLength: 1, maxLength: 12 }),
    batchSize: fc.integer({ min: 1, max: 4 }),
    boots: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    offs: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    picks: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ world, durations, batchSize, boots, offs, picks }) => {
    let k = 0;
    const next = (): number => durations[k++ % durations.length]!;
    const ids = [...world.instance.nodes.keys()];
    const built = buildPlan(
      world,
      next,
      batchSize,
      new Set(ids.filter((_, i) => boots[i])),
      new Set(ids.filter((_, i) => offs[i] && i > 0)),
    );
    return built === undefined ? undefined : { world, built, picks };
  });

const codes = (vs: readonly Violation[]): Set<string> => new Set(vs.map((v) => v.code));
const withActions = (plan: FeasiblePlan, actions: readonly Action[]): FeasiblePlan => ({ ...plan, actions });
const withTarget = (plan: FeasiblePlan, target: PlanTarget): FeasiblePlan => ({ ...plan, target });

describe('verifyPlan on random valid plans', () => {
  it('accepts every plan of the batch builder and replays it to its target', () => {
    let checked = 0;
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined);
        const { world, built } = c!;
        const v = verifyPlan(world.instance, built.plan);
        expect(v.violations).toEqual([]);
        expect(v.ok).toBe(true);
        for (const [id, p] of world.hidden.vms) {
          expect(v.final?.vms.get(id)?.equals(p)).toBe(true);
        }
        for (const [id, s] of Object.entries(built.plan.target.nodes)) expect(v.final?.nodes.get(id)).toBe(s);
        expect(v.final?.equals(applyActions(sourceConfiguration(world.instance), built.plan.actions))).toBe(true);
        checked++;
      }),
      { numRuns: RUNS },
    );
    expect(checked).toBeGreaterThan(RUNS / 2);
  });

  it('reports target-mismatch when a target host or state is changed', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined);
        const { world, built, picks } = c!;
        const plan = built.plan;
        const vmIds = Object.keys(plan.target.vms);
        const nodeIds = Object.keys(plan.target.nodes);
        fc.pre(vmIds.length > 0);
        const vm = vmIds[picks[0]! % vmIds.length]!;
        const t = plan.target.vms[vm]!;
        let changed: PlanTarget['vms'][string];
        if ((t.state === 'running' || t.state === 'sleeping') && nodeIds.length > 1) {
          const others = nodeIds.filter((n) => n !== t.host);
          changed = { state: t.state, host: others[picks[1]! % others.length]! };
        } else {
          // Another state (with a host when it needs one).
          const states = (['waiting', 'running', 'sleeping', 'terminated'] as const).filter((s) => s !== t.state);
          const s = states[picks[1]! % states.length]!;
          changed = s === 'running' || s === 'sleeping' ? { state: s, host: nodeIds[0]! } : { state: s };
        }
        const mutated = withTarget(plan, { ...plan.target, vms: { ...plan.target.vms, [vm]: changed } });
        const v = verifyPlan(world.instance, mutated);
        expect(codes(v.violations)).toContain('target-mismatch');
        expect(v.violations.find((x) => x.code === 'target-mismatch')?.vms).toEqual([vm]);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports a removed action (target-mismatch when it acted on a VM)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined && c.built.plan.actions.length > 0);
        const { world, built, picks } = c!;
        const actions = built.plan.actions;
        const k = picks[0]! % actions.length;
        const v = verifyPlan(world.instance, withActions(built.plan, actions.filter((_, i) => i !== k)));
        expect(v.ok).toBe(false);
        // A removed bootNode of a node that is shut down again at the end leaves the node state
        // right but makes the shutdown illegal; every other removal changes the end state.
        const a = actions[k]!;
        if (a.type !== 'bootNode') expect(codes(v.violations)).toContain('target-mismatch');
      }),
      { numRuns: RUNS },
    );
  });

  it('reports after when an action is moved to start before an action it follows ends', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined);
        const { world, built, picks } = c!;
        const actions = built.plan.actions;
        const ends = new Map(actions.map((a) => [a.id, a.end] as const));
        // Actions whose predecessors' last end is after their own start time minus some slack.
        const candidates = actions.filter((a) => (a.after ?? []).length > 0);
        fc.pre(candidates.length > 0);
        const a = candidates[picks[0]! % candidates.length]!;
        const latest = Math.max(...(a.after ?? []).map((p) => ends.get(p)!));
        const delta = 0.25 + (picks[1]! % 3);
        const moved = { ...a, start: latest - delta, end: a.end - delta };
        const v = verifyPlan(world.instance, withActions(built.plan, actions.map((x) => (x === a ? moved : x))));
        const after = v.violations.filter((x) => x.code === 'after');
        expect(after.some((x) => x.action === a.id)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports illegal-action when an action is shifted before time 0', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined && c.built.plan.actions.length > 0);
        const { world, built, picks } = c!;
        const actions = built.plan.actions;
        const a = actions[picks[0]! % actions.length]!;
        const moved = { ...a, start: -1 - (picks[1]! % 5), end: a.end - a.start - 1 - (picks[1]! % 5) };
        const v = verifyPlan(world.instance, withActions(built.plan, actions.map((x) => (x === a ? moved : x))));
        expect(v.violations.some((x) => x.code === 'illegal-action' && x.action === a.id)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports illegal-action when a migration names the wrong source node', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined);
        const { world, built, picks } = c!;
        const actions = built.plan.actions;
        const migrations = actions.filter((a): a is MigrateAction => a.type === 'migrate');
        fc.pre(migrations.length > 0);
        const m = migrations[picks[0]! % migrations.length]!;
        const others = [...world.instance.nodes.keys()].filter((n) => n !== m.from && n !== m.to);
        fc.pre(others.length > 0);
        const moved: MigrateAction = { ...m, from: others[picks[1]! % others.length]! };
        const v = verifyPlan(world.instance, withActions(built.plan, actions.map((x) => (x === m ? moved : x))));
        expect(v.violations.some((x) => x.code === 'illegal-action' && x.action === m.id)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports capacity when a migration is sent to an online node that lacks room at that time', () => {
    let hits = 0;
    fc.assert(
      fc.property(arbCase, (c) => {
        fc.pre(c !== undefined);
        const { world, built, picks } = c!;
        const { instance } = world;
        const actions = built.plan.actions;
        const booted = new Set(actions.filter((a) => a.type === 'bootNode').map((a) => a.node));
        const migrations = actions.map((a, i) => [a, i] as const).filter(([a]) => a.type === 'migrate');
        fc.pre(migrations.length > 0);
        const [m, i] = migrations[picks[0]! % migrations.length]! as readonly [MigrateAction, number];
        const b = built.batchOf[i]!;
        // The state in force at the batch's start instant is the one after the last batch
        // starting at that same instant (earlier ones then took no time).
        let last = b;
        while (built.batchStart[last + 1] === built.batchStart[b]) last++;
        const load = built.batchLoad[last]!;
        const vm = instance.vms.get(m.vm)!;
        const lacking = [...instance.nodes.values()].filter(
          (n) =>
            n.id !== m.from &&
            n.id !== m.to &&
            (n.state === 'online' || booted.has(n.id)) &&
            ['cpu', 'memory'].some((r) => load[n.id]![r]! + (vm.demand.get(r) ?? 0) > (n.capacity.get(r) ?? 0)),
        );
        fc.pre(lacking.length > 0);
        const dest = lacking[picks[1]! % lacking.length]!.id;
        const v = verifyPlan(instance, withActions(built.plan, actions.map((x) => (x === m ? { ...m, to: dest } : x))));
        const cap = v.violations.filter((x) => x.code === 'capacity' && x.time !== undefined);
        expect(cap.some((x) => x.nodes?.[0] === dest && x.time === built.batchStart[b])).toBe(true);
        hits++;
      }),
      { numRuns: RUNS * 2 },
    );
    expect(hits).toBeGreaterThan(0);
  });
});

describe('verifyPlan never throws', () => {
  const word = (xs: string[]) => fc.constantFrom(...xs);
  const time = fc.oneof(
    fc.double({ min: -5, max: 50, noNaN: true }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1),
  );
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

  it('on arbitrary actions and targets, and reports unknown VMs', () => {
    fc.assert(
      fc.property(
        arbWorld({ maxNodes: 3, maxVms: 3 }),
        fc.array(arbAction, { maxLength: 10 }),
        fc.dictionary(word(['vm0', 'vm1', 'ghost']), fc.record({ state: fc.constantFrom('waiting', 'running', 'sleeping', 'terminated'), host: word(['n0', 'n1', 'zz']) })),
        (world, raw, tvms) => {
          const actions = raw as unknown as Action[];
          const plan: Plan = {
            version: 1,
            status: 'feasible',
            actions,
            target: { vms: tvms, nodes: { n0: 'online' } } as PlanTarget,
            stats: { nodesUsed: 0, lowerBound: 0, migrations: 0, migratedMemory: 0, makespan: 0, solveMs: 0, planMs: 0 },
          };
          const v = verifyPlan(world.instance, plan);
          expect(typeof v.ok).toBe('boolean');
          expect(v.ok).toBe(v.violations.length === 0);
          if (raw.some((a) => a.type !== 'bootNode' && a.type !== 'shutdownNode' && a.vm === 'ghost')) expect(v.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
