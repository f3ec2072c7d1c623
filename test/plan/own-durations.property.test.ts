/**
 * A VM's and a node's own `durations` (FORMAT.md) against the duration model, the planner and
 * the verifier; and `x` contents (including an `x.durations`) that change nothing a plan means.
 */
import fc from 'fast-check';
import { Map as IMap } from 'immutable';
import { describe, expect, it } from 'vitest';
import { durationRequestOf } from '../../src/execute/actions.js';
import { engineCarrier } from '../../src/execute/simulate/carrier.js';
import { switchPolicy } from '../../src/execute/simulate/policies.js';
import { simulateWorkload } from '../../src/execute/simulate/simulator.js';
import type { SimPolicy } from '../../src/execute/simulate/types.js';
import { exportBtrPlacePlan } from '../../src/io/btrplace/export.js';
import { importBtrPlace } from '../../src/io/btrplace/import.js';
import { serializeInstance, validateInstance } from '../../src/io/instance.js';
import type { Action } from '../../src/model/action.js';
import { Configuration, placement } from '../../src/model/configuration.js';
import { durationsOf, type Instance } from '../../src/model/instance.js';
import { planInstance } from '../../src/pipeline.js';
import { defaultDurationModel } from '../../src/plan/durations.js';
import { buildPlan } from '../../src/plan/planner.js';
import type { Plan } from '../../src/plan/types.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { arbWorld } from '../support/arbitraries.js';
import { arbNodeDurations, arbVmDurations, arbX, type JsonDoc } from '../io/arbitraries.js';
import { asPlan } from './planner-support.js';

type Doc = Record<string, any>;

/**
 * The duration of an action as docs/format.md states it ("Defaults chosen by the library"),
 * written out here independently of src/plan/durations.ts: the VM's (node's) own field first,
 * else the instance's `durations`, else the documented defaults.
 */
function documentedSeconds(inst: Instance, a: Action): number {
  const d = durationsOf(inst);
  if (a.type === 'bootNode') return inst.nodes.get(a.node)!.durations?.boot ?? d.bootNode;
  if (a.type === 'shutdownNode') return inst.nodes.get(a.node)!.durations?.shutdown ?? d.shutdownNode;
  const vm = inst.vms.get(a.vm)!;
  const own = vm.durations?.[a.type];
  if (own !== undefined) return own;
  const mem = vm.demand.get('memory') ?? 0;
  const link = (x: string, y: string): number => {
    const [sx, sy] = [inst.nodes.get(x)!.site, inst.nodes.get(y)!.site];
    return mem / (sx !== undefined && sy !== undefined && sx !== sy ? d.wanBandwidth : d.bandwidth);
  };
  switch (a.type) {
    case 'migrate':
      return link(a.from, a.to);
    case 'suspend':
      return mem / d.diskRate;
    case 'resume':
      return mem / d.diskRate + (a.from !== a.to ? link(a.from, a.to) : 0);
    case 'boot':
      return d.bootVm;
    case 'shutdown':
      return d.shutdownVm;
  }
}

/** Equal up to the plan's rounding of `start` and `end` to the microsecond (format.md). */
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 + 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** A world, its target with power changes and VMs to terminate, and the own durations drawn. */
interface DurationWorld {
  /** The instance as a document (own durations in it), and the target. */
  readonly doc: JsonDoc;
  readonly target: Configuration;
}

const arbInstanceDurations = fc.record(
  { bandwidth: fc.integer({ min: 100, max: 2000 }), wanBandwidth: fc.integer({ min: 10, max: 200 }), diskRate: fc.integer({ min: 50, max: 800 }), bootVm: fc.integer({ min: 0, max: 30 }), bootNode: fc.integer({ min: 0, max: 200 }) },
  { requiredKeys: [] },
);

/**
 * Random small worlds (sites, offline nodes, waiting and sleeping VMs), each VM and node with or
 * without its own durations; the target of arbWorld plus node power changes (an empty node off,
 * an offline node on) and running VMs asked to end terminated, so every action type occurs.
 */
const arbDurationWorld: fc.Arbitrary<DurationWorld> = fc
  .record({
    world: arbWorld({ maxNodes: 5, maxVms: 9, sites: 2 }),
    vmOwn: fc.array(fc.option(arbVmDurations, { nil: undefined, freq: 3 }), { minLength: 9, maxLength: 9 }),
    nodeOwn: fc.array(fc.option(arbNodeDurations, { nil: undefined, freq: 3 }), { minLength: 5, maxLength: 5 }),
    flip: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    kill: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
    durations: fc.option(arbInstanceDurations, { nil: undefined }),
  })
  .map(({ world, vmOwn, nodeOwn, flip, kill, durations }) => {
    const doc = serializeInstance(world.instance) as unknown as Doc;
    let vms = world.hidden.vms;
    doc['vms'].forEach((v: Doc, i: number) => {
      if (vmOwn[i] !== undefined) v['durations'] = vmOwn[i];
      if (kill[i] && v['state'] === 'running') {
        v['wants'] = 'terminated';
        vms = vms.set(v['id'], placement('terminated'));
      }
    });
    const used = new Set<string>();
    for (const p of vms.values()) if (p.host !== undefined) used.add(p.host);
    let nodes = world.hidden.nodes;
    doc['nodes'].forEach((n: Doc, i: number) => {
      if (nodeOwn[i] !== undefined) n['durations'] = nodeOwn[i];
      if (flip[i] && i > 0 && !used.has(n['id'])) nodes = nodes.set(n['id'], n['state'] === 'online' ? 'offline' : 'online');
    });
    if (durations !== undefined) doc['durations'] = durations;
    return { doc: doc as JsonDoc, target: new Configuration({ vms, nodes }) };
  });

function mustValidate(doc: unknown): Instance {
  const r = validateInstance(doc);
  if (!r.ok) throw new Error(`rejected: ${JSON.stringify(r.issues)}`);
  return r.value;
}

describe('own durations: the duration model, the planner and verifyPlan agree', () => {
  it('every planned action lasts what docs/format.md says, the model says the same, and verify accepts', () => {
    const seen = new Set<string>();
    let ownUsed = 0;
    fc.assert(
      fc.property(arbDurationWorld, ({ doc, target }) => {
        const instance = mustValidate(doc);
        const r = buildPlan(instance, target);
        expect(r.status).toBe('planned');
        if (r.status !== 'planned') return;
        const plan = asPlan(r);
        const model = defaultDurationModel(instance);
        for (const a of plan.actions) {
          seen.add(a.type);
          const want = documentedSeconds(instance, a);
          const modelSays = model(durationRequestOf(instance, a), instance);
          expect(close(modelSays, want), `${a.type} ${JSON.stringify(a)}: model ${modelSays}, format.md ${want}`).toBe(true);
          expect(close(a.end - a.start, want), `${a.type} ${JSON.stringify(a)}: planned ${a.end - a.start}, format.md ${want}`).toBe(true);
          const own = 'vm' in a ? instance.vms.get(a.vm)!.durations?.[a.type as 'boot'] : instance.nodes.get(a.node)!.durations?.[a.type === 'bootNode' ? 'boot' : 'shutdown'];
          if (own !== undefined) ownUsed++;
        }
        const v = verifyPlan(instance, plan);
        expect(v.violations.map((x) => `${x.code}: ${x.message}`)).toEqual([]);
      }),
      { numRuns: 200 },
    );
    // The generator reaches every action type, and own durations are actually used.
    expect([...seen].sort()).toEqual(['boot', 'bootNode', 'migrate', 'resume', 'shutdown', 'shutdownNode', 'suspend']);
    expect(ownUsed).toBeGreaterThan(50);
  });

  it('a VM field takes precedence over the instance durations, and a node field only over bootNode / shutdownNode', () => {
    const inst = mustValidate({
      version: 1,
      nodes: [
        { id: 'a', capacity: { memory: 65536 }, site: 'x', durations: { boot: 3, shutdown: 4 } },
        { id: 'b', capacity: { memory: 65536 }, site: 'y' },
      ],
      vms: [
        { id: 'own', demand: { memory: 8000 }, state: 'running', host: 'a', durations: { migrate: 2, resume: 9 } },
        { id: 'plain', demand: { memory: 8000 }, state: 'running', host: 'a' },
      ],
      durations: { bandwidth: 800, wanBandwidth: 80, diskRate: 400, bootVm: 7, bootNode: 100, shutdownNode: 50 },
    });
    const m = defaultDurationModel(inst);
    const n = (id: string) => inst.nodes.get(id)!;
    const v = (id: string) => inst.vms.get(id)!;
    expect(m({ type: 'migrate', vm: v('own'), from: n('a'), to: n('b') }, inst)).toBe(2); // not 8000 / 80
    expect(m({ type: 'migrate', vm: v('plain'), from: n('a'), to: n('b') }, inst)).toBe(100);
    expect(m({ type: 'resume', vm: v('own'), from: n('a'), to: n('b') }, inst)).toBe(9); // local or remote
    expect(m({ type: 'resume', vm: v('own'), from: n('a'), to: n('a') }, inst)).toBe(9);
    expect(m({ type: 'suspend', vm: v('own'), from: n('a') }, inst)).toBe(20); // not set: the instance model
    expect(m({ type: 'boot', vm: v('plain'), to: n('a') }, inst)).toBe(7); // a node's boot is not a VM boot on it
    expect(m({ type: 'bootNode', node: n('a'), to: n('a') }, inst)).toBe(3);
    expect(m({ type: 'shutdownNode', node: n('a'), from: n('a') }, inst)).toBe(4);
    expect(m({ type: 'bootNode', node: n('b'), to: n('b') }, inst)).toBe(100);
  });
});

/** Puts random `x` objects on every fixed-field object of an instance document, `x.durations` included. */
function withX(doc: JsonDoc, xs: readonly JsonDoc[], bogus: JsonDoc): Doc {
  const d = structuredClone(doc) as Doc;
  let k = 0;
  const put = (o: Doc | undefined): void => {
    if (o === undefined || o === null) return;
    o['x'] = { ...xs[k++ % xs.length], durations: bogus, dirtyRate: 1e6 };
  };
  put(d);
  for (const n of d['nodes']) {
    put(n);
    put(n['durations']);
  }
  for (const v of d['vms']) {
    put(v);
    put(v['durations']);
  }
  for (const j of d['vjobs'] ?? []) put(j);
  for (const c of d['constraints'] ?? []) put(c);
  put(d['objective']);
  put(d['durations']);
  put(d['limits']);
  return d;
}

const arbBogusDurations = fc.record(
  {
    migrate: fc.oneof(fc.constant(0.001), fc.constant(1e5), fc.constant(-1), fc.string()),
    boot: fc.oneof(fc.constant(0.001), fc.constant(1e5)),
    shutdown: fc.constant(3),
    suspend: fc.constant(1e4),
    resume: fc.constant(0),
    bandwidth: fc.constant(1),
  },
  { requiredKeys: [] },
);

/** A plan's meaning: everything but the wall-clock figures. */
function meaning(p: Plan): unknown {
  if (p.status === 'infeasible') return { status: p.status, reasons: p.reasons };
  const { solveMs: _s, planMs: _p, phases: _ph, ...stats } = p.stats;
  return { status: p.status, actions: p.actions, target: p.target, stats: { ...stats, x: undefined } };
}

describe('x changes nothing a plan means', () => {
  it('the planner gives the same plan and verify the same verdict with and without x everywhere', () => {
    fc.assert(
      fc.property(arbDurationWorld, fc.array(arbX, { minLength: 1, maxLength: 4 }), arbBogusDurations, ({ doc, target }, xs, bogus) => {
        const bare = mustValidate(doc);
        const decorated = mustValidate(withX(doc, xs, bogus));
        const a = buildPlan(bare, target);
        const b = buildPlan(decorated, target);
        expect(b.status).toBe(a.status);
        if (a.status !== 'planned' || b.status !== 'planned') return;
        expect(b.actions).toEqual(a.actions);
        const pa = asPlan(a);
        const pb = asPlan(b);
        expect(pb).toEqual(pa);
        // Each plan judged against each instance: the same verdicts.
        const verdicts = [verifyPlan(bare, pa), verifyPlan(decorated, pa), verifyPlan(bare, pb), verifyPlan(decorated, pb)];
        for (const v of verdicts) expect(v.violations).toEqual(verdicts[0]!.violations);
        expect(verdicts[0]!.ok).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  it('the whole pipeline (decide, place, plan) gives the same plan with and without x everywhere', async () => {
    const worlds = fc.sample(
      fc.tuple(arbDurationWorld, fc.array(arbX, { minLength: 1, maxLength: 3 }), arbBogusDurations, fc.boolean()),
      { numRuns: 12, seed: 18 },
    );
    let actions = 0;
    for (const [{ doc }, xs, bogus, powerOff] of worlds) {
      const d = { ...doc, objective: { type: 'consolidate', powerOff } } as JsonDoc;
      const bare = mustValidate(d);
      const decorated = mustValidate(withX(d, xs, bogus));
      const pa = await planInstance(bare, { seed: 3, timeLimitMs: 3000 });
      const pb = await planInstance(decorated, { seed: 3, timeLimitMs: 3000 });
      expect(meaning(pb)).toEqual(meaning(pa));
      expect(verifyPlan(decorated, pb).ok).toBe(verifyPlan(bare, pa).ok);
      if (pa.status !== 'infeasible') expect(verifyPlan(bare, pa).ok).toBe(true);
      actions += pa.actions.length;
    }
    expect(actions).toBeGreaterThan(12);
  }, 120_000);
});

describe('own durations beyond the planner', () => {
  it('the execution engine (simulated executor) takes each action the time the plan gives it', async () => {
    const worlds = fc.sample(arbDurationWorld, { numRuns: 12, seed: 4 });
    let carried = 0;
    for (const { doc, target } of worlds) {
      const instance = mustValidate(doc);
      const r = buildPlan(instance, target);
      if (r.status !== 'planned') throw new Error('not planned');
      const plan = asPlan(r);
      const out = await engineCarrier()(instance, plan);
      expect(out).toHaveLength(plan.actions.length);
      for (const x of out) {
        expect(Math.abs(x.end - x.start - (x.action.end - x.action.start)), JSON.stringify(x)).toBeLessThan(2e-6);
        carried++;
      }
    }
    expect(carried).toBeGreaterThan(12);
  });

  it('export btrplace writes the own durations as attributes, and import reads them back', () => {
    const inst = mustValidate({
      version: 1,
      nodes: [
        { id: 'n0', capacity: { memory: 4096 }, durations: { boot: 11, shutdown: 12 } },
        { id: 'n1', capacity: { memory: 4096 }, state: 'offline', x: { durations: { boot: 99 } } },
      ],
      vms: [
        { id: 'vm0', demand: { memory: 512 }, state: 'running', host: 'n0', durations: { migrate: 1, suspend: 2, resume: 3, boot: 4, shutdown: 5 } },
        { id: 'vm1', demand: { memory: 512 }, state: 'waiting', x: { durations: { boot: 77 }, attributes: { owner: 'bob' } } },
      ],
    });
    const e = exportBtrPlacePlan(inst, { version: 1, status: 'feasible', actions: [], target: { vms: {}, nodes: {} }, stats: { nodesUsed: 0, lowerBound: 0, migrations: 0, migratedMemory: 0, makespan: 0, solveMs: 0, planMs: 0 } });
    if (!e.ok) throw new Error(JSON.stringify(e.issues));
    const origin = e.value['origin'] as Doc;
    expect(origin['attributes']).toEqual({
      nodes: { 0: { boot: 11, shutdown: 12 } },
      vms: { 0: { migrate: 1, suspend: 2, resume: 3, boot: 4, shutdown: 5 }, 1: { owner: 'bob' } },
    });
    const back = importBtrPlace({ model: origin, constraints: [] });
    if (!back.ok) throw new Error(JSON.stringify(back.issues));
    const again = mustValidate(back.value.instance);
    expect(again.vms.get('vm0')!.durations).toEqual(inst.vms.get('vm0')!.durations);
    expect(again.vms.get('vm1')!.durations).toBeUndefined();
    expect(again.nodes.get('n0')!.durations).toEqual(inst.nodes.get('n0')!.durations);
    expect(again.nodes.get('n1')!.durations).toBeUndefined();
  });

  it('the simulator plans with the own durations of the workload instance', async () => {
    const instance = {
      version: 1,
      nodes: [{ id: 'n0', capacity: { cpu: 8, memory: 8192 } }, { id: 'n1', capacity: { cpu: 8, memory: 8192 }, durations: { boot: 7 } }],
      vms: [{ id: 'v0', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n0', durations: { migrate: 3 } }],
    };
    const seenVm: unknown[] = [];
    const seenNode: unknown[] = [];
    const inner = switchPolicy();
    const spy: SimPolicy = {
      name: 'spy',
      plan: (view) => {
        seenVm.push(view.instance.vms.get('v0')?.durations);
        seenNode.push(view.instance.nodes.get('n1')?.durations);
        return inner.plan(view);
      },
    };
    const w = { version: 1 as const, instance: mustValidate(instance), work: { v0: 10 }, events: [], lead: 120, tolerance: 60 };
    await simulateWorkload(w, spy);
    expect(seenVm.length).toBeGreaterThan(0);
    for (const d of seenVm) expect(d).toEqual({ migrate: 3 });
    for (const d of seenNode) expect(d).toEqual({ boot: 7 });
  });
});

describe('a plan of a hand-made instance', () => {
  it('times a migration by the VM field and the other one by the instance model', () => {
    const inst = mustValidate({
      version: 1,
      nodes: [
        { id: 'a', capacity: { memory: 16384 } },
        { id: 'b', capacity: { memory: 16384 } },
      ],
      vms: [
        { id: 'fast', demand: { memory: 4096 }, state: 'running', host: 'a', durations: { migrate: 1.5 } },
        { id: 'slow', demand: { memory: 4096 }, state: 'running', host: 'a', x: { durations: { migrate: 1.5 } } },
      ],
      durations: { bandwidth: 1024 },
    });
    const target = new Configuration({
      vms: IMap([['fast', placement('running', 'b')], ['slow', placement('running', 'b')]]),
      nodes: IMap([['a', 'online'], ['b', 'online']]),
    });
    const r = buildPlan(inst, target);
    expect(r.status).toBe('planned');
    if (r.status !== 'planned') return;
    const len = Object.fromEntries(r.actions.map((a) => [(a as { vm: string }).vm, a.end - a.start]));
    expect(len).toEqual({ fast: 1.5, slow: 4 });
    const plan = asPlan(r);
    expect(verifyPlan(inst, plan).ok).toBe(true);
    // format.md: durations are not a validity condition; verifyPlan judges the plan's own times.
    // The same plan with `fast` timed by the instance model (4 s, not its own 1.5 s) is still valid.
    const retimed = { ...plan, actions: plan.actions.map((a) => ((a as { vm?: string }).vm === 'fast' ? { ...a, end: a.start + 4 } : a)) };
    const makespan = Math.max(...retimed.actions.map((a) => a.end));
    expect(verifyPlan(inst, { ...retimed, stats: { ...retimed.stats, makespan } }).violations).toEqual([]);
  });
});
