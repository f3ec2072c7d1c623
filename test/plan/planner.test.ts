import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors.js';
import { makeInstance, sourceConfiguration, type Instance } from '../../src/model/instance.js';
import { buildPlan, type PlannedResult, type PlannerResult } from '../../src/plan/planner.js';
import type { Action } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { consolidationTarget } from '../../bench/plan.js';
import { actionsPerVm, asPlan, moved, planAndVerify, ring } from './planner-support.js';

function planned(r: PlannerResult): PlannedResult {
  if (r.status !== 'planned') throw new Error(`unplannable: ${r.reasons.map((x) => x.message).join('; ')}`);
  return r;
}

function byId(r: PlannedResult, id: number): Action {
  return r.actions.find((a) => a.id === id)!;
}

function of(r: PlannedResult, type: Action['type'], vm?: string): Action[] {
  return r.actions.filter((a) => a.type === type && (vm === undefined || ('vm' in a && a.vm === vm)));
}

const GiB = 1024;

describe('cycles of full nodes', () => {
  it('swaps a pair without a pivot by suspending one VM and resuming it at its target', () => {
    const { instance, target } = ring(2, { perNode: 1 });
    const r = planned(planAndVerify(instance, target));
    expect(r.stats).toMatchObject({ suspends: 1, detours: 0, migrations: 1 });
    const [sus] = of(r, 'suspend');
    const [res] = of(r, 'resume');
    const [mig] = of(r, 'migrate');
    expect(sus!.type === 'suspend' && res!.type === 'resume' && sus!.vm === res!.vm).toBe(true);
    // the other VM moves into the room the suspend made; the resume waits for that move
    expect(mig!.after).toContain(sus!.id);
    expect(res!.after).toContain(mig!.id);
  });

  it('swaps a pair through a free pivot node with one extra migration', () => {
    const { instance, target } = ring(2, { perNode: 1, free: 1 });
    const r = planned(planAndVerify(instance, target));
    expect(r.stats).toMatchObject({ suspends: 0, detours: 1, migrations: 3 });
    const twice = [...actionsPerVm(r)].filter(([, k]) => k.length === 2);
    expect(twice).toHaveLength(1);
    const legs = of(r, 'migrate', twice[0]![0]);
    expect(legs.map((a) => (a.type === 'migrate' ? a.to : ''))[0]).toBe('n2');
    expect(legs[1]!.after).toContain(legs[0]!.id);
  });

  for (const k of [2, 3, 4, 6, 10, 15, 20]) {
    for (const free of [0, 1]) {
      it(`breaks a ring of ${k} full nodes with exactly one VM (${free ? 'pivot' : 'no pivot'})`, () => {
        const { instance, target } = ring(k, { perNode: 2, shift: 1, free });
        const r = planned(planAndVerify(instance, target));
        expect(r.stats.detours + r.stats.suspends).toBe(1);
        expect(free ? r.stats.detours : r.stats.suspends).toBe(1);
        expect(r.stats.migrations).toBe(k + r.stats.detours - r.stats.suspends);
        expect(r.stats.makespanLowerBound).toBeLessThanOrEqual(r.stats.makespan);
        // a ring unwinds as a chain: its bound sees the chain
        expect(r.stats.makespan).toBeLessThanOrEqual(r.stats.makespanLowerBound * 1.5);
      });
    }
  }

  it('breaks each of several disjoint cycles once (minimal), or at every waiting node (parallel)', () => {
    // rings of 2, 4 and 7 nodes on disjoint node sets: 13 nodes, 26 VMs
    const sizes = [2, 4, 7];
    const nodes = [];
    const vms = [];
    const changes: Record<string, [string, string]> = {};
    let base = 0;
    for (const k of sizes) {
      for (let i = 0; i < k; i++) {
        const n = `n${base + i}`;
        nodes.push({ id: n, capacity: { cpu: 4, memory: 8 * GiB } });
        for (let j = 0; j < 2; j++) {
          const id = `v${base + i}_${j}`;
          vms.push({ id, demand: { cpu: 2, memory: 4 * GiB }, state: 'running' as const, host: n });
          if (j === 0) changes[id] = ['running', `n${base + ((i + 1) % k)}`];
        }
      }
      base += k;
    }
    const instance = makeInstance({ nodes, vms });
    const target = moved(instance, changes);
    const minimal = planned(planAndVerify(instance, target));
    expect(minimal.stats.suspends).toBe(sizes.length);
    const parallel = planned(planAndVerify(instance, target, { cycleBreaking: 'parallel' }));
    expect(parallel.stats.suspends).toBe(2 + 4 + 7);
    expect(parallel.stats.makespan).toBeLessThan(minimal.stats.makespan);
  });

  it('chooses a suspend over a detour when the duration model makes migrations dear', () => {
    const { instance, target } = ring(2, { perNode: 1, free: 1 });
    const slow = planned(
      planAndVerify(instance, target, {
        durationModel: (q) => (q.type === 'migrate' ? 100 : q.type === 'suspend' || q.type === 'resume' ? 5 : 1),
      }),
    );
    expect(slow.stats).toMatchObject({ suspends: 1, detours: 0 });
    const fast = planned(planAndVerify(instance, target));
    expect(fast.stats).toMatchObject({ suspends: 0, detours: 1 });
  });

  it('avoids a pivot across the WAN when suspending is cheaper', () => {
    const mk = (wanBandwidth: number): Instance =>
      makeInstance({
        nodes: [
          { id: 'a', capacity: { cpu: 2, memory: 8 * GiB }, site: 's1' },
          { id: 'b', capacity: { cpu: 2, memory: 8 * GiB }, site: 's1' },
          { id: 'far', capacity: { cpu: 8, memory: 64 * GiB }, site: 's2' },
        ],
        vms: [
          { id: 'x', demand: { cpu: 2, memory: 8 * GiB }, state: 'running', host: 'a' },
          { id: 'y', demand: { cpu: 2, memory: 8 * GiB }, state: 'running', host: 'b' },
        ],
        durations: { bandwidth: 1000, wanBandwidth, diskRate: 500 },
      });
    const slowWan = mk(50);
    expect(planned(planAndVerify(slowWan, moved(slowWan, { x: ['running', 'b'], y: ['running', 'a'] }))).stats.suspends).toBe(1);
    const fastWan = mk(1000);
    expect(planned(planAndVerify(fastWan, moved(fastWan, { x: ['running', 'b'], y: ['running', 'a'] }))).stats.detours).toBe(1);
  });

  it('breaks a stuck cycle at once while unrelated migrations run elsewhere', () => {
    const instance = makeInstance({
      nodes: [
        { id: 'a', capacity: { cpu: 2, memory: 4 * GiB } },
        { id: 'b', capacity: { cpu: 2, memory: 4 * GiB } },
        { id: 'c', capacity: { cpu: 8, memory: 128 * GiB } },
        { id: 'd', capacity: { cpu: 8, memory: 128 * GiB } },
      ],
      vms: [
        { id: 'x', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'a' },
        { id: 'y', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'b' },
        { id: 'big', demand: { cpu: 2, memory: 100 * GiB }, state: 'running', host: 'c' },
      ],
    });
    const r = planned(planAndVerify(instance, moved(instance, { x: ['running', 'b'], y: ['running', 'a'], big: ['running', 'd'] })));
    const breaks = [...of(r, 'suspend'), ...r.actions.filter((a) => a.type === 'migrate' && a.vm !== 'big')];
    expect(Math.min(...breaks.map((a) => a.start))).toBe(0);
    // the swap is over long before the 100-second migration
    expect(Math.max(...r.actions.filter((a) => a.type !== 'migrate' || a.vm !== 'big').map((a) => a.end))).toBeLessThan(50);
  });
});

describe('full-cluster context switch', () => {
  // 3 nodes, each full with 3 VMs of the low-priority vjob `batch`; `web` waits; `old` sleeps on n0.
  const instance = makeInstance({
    nodes: [0, 1, 2].map((i) => ({ id: `n${i}`, capacity: { cpu: 12, memory: 24 * GiB } })),
    vms: [
      ...[0, 1, 2].flatMap((i) =>
        [0, 1, 2].map((j) => ({ id: `batch${i}${j}`, demand: { cpu: 4, memory: 8 * GiB }, state: 'running' as const, host: `n${i}`, vjob: 'batch' })),
      ),
      ...[0, 1, 2].map((i) => ({ id: `web${i}`, demand: { cpu: 8, memory: 16 * GiB }, state: 'waiting' as const, vjob: 'web' })),
      ...[0, 1, 2].map((i) => ({ id: `old${i}`, demand: { cpu: 4, memory: 8 * GiB }, state: 'sleeping' as const, host: 'n0', vjob: 'old' })),
    ],
    vjobs: [
      { id: 'batch', priority: 0, bestEffort: true },
      { id: 'web', priority: 10 },
      { id: 'old', priority: 5 },
    ],
  });
  const target = moved(instance, {
    ...Object.fromEntries([0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => [`batch${i}${j}`, ['sleeping', `n${i}`] as const]))),
    ...Object.fromEntries([0, 1, 2].map((i) => [`web${i}`, ['running', `n${i}`] as const])),
    ...Object.fromEntries([0, 1, 2].map((i) => [`old${i}`, ['running', `n${i}`] as const])),
  });

  it('suspends the low-priority vjob whole, boots the high-priority one and resumes the sleeping one', () => {
    const r = planned(planAndVerify(instance, target));
    expect(of(r, 'suspend')).toHaveLength(9);
    expect(of(r, 'boot')).toHaveLength(3);
    expect(of(r, 'resume')).toHaveLength(3);
    expect(of(r, 'migrate')).toHaveLength(0);
    // every arrival on a node waits for suspends on that node (the room they free), and only those
    for (const a of r.actions) {
      if (a.type !== 'boot' && a.type !== 'resume') continue;
      const enablers = (a.after ?? []).map((id) => byId(r, id));
      expect(enablers.length).toBeGreaterThan(0);
      for (const e of enablers) expect(e.type === 'suspend' && e.from === a.to).toBe(true);
    }
    const local = of(r, 'resume').filter((a) => a.type === 'resume' && a.from === a.to);
    expect(local).toHaveLength(1);
  });

  it('lets the resume of a remote image take longer than a local one (image transfer)', () => {
    const r = planned(planAndVerify(instance, target));
    const d = (a: Action): number => a.end - a.start;
    const [local] = of(r, 'resume', 'old0');
    const [remote] = of(r, 'resume', 'old1');
    expect(d(local!)).toBeCloseTo((8 * GiB) / 500, 6);
    expect(d(remote!)).toBeCloseTo((8 * GiB) / 500 + (8 * GiB) / 1000, 6);
  });
});

describe('node power', () => {
  const instance = makeInstance({
    nodes: [
      { id: 'n0', capacity: { cpu: 8, memory: 32 * GiB } },
      { id: 'n1', capacity: { cpu: 8, memory: 32 * GiB } },
      { id: 'n2', capacity: { cpu: 8, memory: 32 * GiB }, state: 'offline' },
      { id: 'n3', capacity: { cpu: 8, memory: 32 * GiB }, state: 'offline' },
    ],
    vms: [
      { id: 'a', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n1' },
      { id: 'b', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n1' },
      { id: 'c', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n0' },
      { id: 'img', demand: { cpu: 2, memory: 4 * GiB }, state: 'sleeping', host: 'n3' },
    ],
  });

  it('shuts a node down once every VM has left it', () => {
    const r = planned(planAndVerify(instance, moved(instance, { a: ['running', 'n0'], b: ['running', 'n0'] }, { n1: 'offline' })));
    const [off] = of(r, 'shutdownNode');
    const departures = of(r, 'migrate');
    expect(departures).toHaveLength(2);
    for (const d of departures) expect(off!.after).toContain(d.id);
    expect(off!.start).toBe(Math.max(...departures.map((d) => d.end)));
  });

  it('boots a node before any VM arrives on it', () => {
    const r = planned(planAndVerify(instance, moved(instance, { c: ['running', 'n2'] }, { n2: 'online' })));
    const [boot] = of(r, 'bootNode');
    const [mig] = of(r, 'migrate');
    expect(mig!.after).toContain(boot!.id);
    expect(mig!.start).toBeGreaterThanOrEqual(boot!.end);
  });

  it('boots the offline node holding an image to resume it elsewhere, and shuts it down after', () => {
    const r = planned(planAndVerify(instance, moved(instance, { img: ['running', 'n0'] })));
    const [boot] = of(r, 'bootNode');
    const [res] = of(r, 'resume');
    const [off] = of(r, 'shutdownNode');
    expect(boot!.type === 'bootNode' && boot!.node).toBe('n3');
    expect(res!.after).toContain(boot!.id);
    expect(off!.after).toContain(res!.id);
  });
});

describe('continuous constraints', () => {
  it('never co-locates two spread VMs while they trade nodes', () => {
    const instance = makeInstance({
      nodes: [0, 1].map((i) => ({ id: `n${i}`, capacity: { cpu: 16, memory: 64 * GiB } })),
      vms: [
        { id: 'x', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n0' },
        { id: 'y', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n1' },
      ],
      constraints: [{ type: 'spread', vms: ['x', 'y'] }],
    });
    const r = planned(planAndVerify(instance, moved(instance, { x: ['running', 'n1'], y: ['running', 'n0'] })));
    expect(r.stats.suspends + r.stats.detours).toBe(1);
  });

  it('keeps a detour off the nodes a continuous ban forbids (suspends instead)', () => {
    const base = ring(2, { perNode: 1, free: 1 });
    const instance = makeInstance({
      nodes: [...base.instance.nodes.values()].map((n) => ({ id: n.id, capacity: Object.fromEntries(n.capacity) })),
      vms: [...base.instance.vms.values()].map((v) => ({ id: v.id, demand: Object.fromEntries(v.demand), state: v.state, host: v.host! })),
      constraints: [{ type: 'ban', vms: ['v0_0', 'v1_0'], nodes: ['n2'], continuous: true }],
    });
    const r = planned(planAndVerify(instance, base.target));
    expect(r.stats).toMatchObject({ detours: 0, suspends: 1 });
  });

  it('switches a continuous among set to another group by stopping the members outside it first', () => {
    const instance = makeInstance({
      nodes: [0, 1, 2, 3].map((i) => ({ id: `n${i}`, capacity: { cpu: 16, memory: 64 * GiB } })),
      vms: [
        { id: 'p', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n0' },
        { id: 'q', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n1' },
      ],
      constraints: [{ type: 'among', vms: ['p', 'q'], groups: [['n0', 'n1'], ['n2', 'n3']], continuous: true }],
    });
    const r = planned(planAndVerify(instance, moved(instance, { p: ['running', 'n2'], q: ['running', 'n3'] })));
    expect(r.stats.groupSwitches).toBe(2);
    expect(of(r, 'migrate')).toHaveLength(0);
    const suspends = of(r, 'suspend').map((a) => a.id);
    for (const res of of(r, 'resume')) for (const s of suspends) expect(res.after).toContain(s);
  });

  it('migrates within the group a continuous among set already shares', () => {
    const instance = makeInstance({
      nodes: [0, 1, 2].map((i) => ({ id: `n${i}`, capacity: { cpu: 16, memory: 64 * GiB } })),
      vms: [{ id: 'p', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n0' }],
      constraints: [{ type: 'among', vms: ['p'], groups: [['n0', 'n1'], ['n2']], continuous: true }],
    });
    const r = planned(planAndVerify(instance, moved(instance, { p: ['running', 'n1'] })));
    expect(r.actions.map((a) => a.type)).toEqual(['migrate']);
  });

  it('refuses to move a root VM or to touch a quarantined node', () => {
    const instance = makeInstance({
      nodes: [0, 1, 2].map((i) => ({ id: `n${i}`, capacity: { cpu: 16, memory: 64 * GiB } })),
      vms: [
        { id: 'r', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n0' },
        { id: 'q', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n2' },
      ],
      constraints: [
        { type: 'root', vms: ['r'] },
        { type: 'quarantine', nodes: ['n2'] },
      ],
    });
    for (const validateTarget of [true, false]) {
      const root = buildPlan(instance, moved(instance, { r: ['running', 'n1'] }), { validateTarget });
      expect(root.status).toBe('unplannable');
      if (root.status === 'unplannable') expect(root.reasons.some((x) => x.vms?.includes('r'))).toBe(true);
      const quarantine = buildPlan(instance, moved(instance, { q: ['running', 'n1'] }), { validateTarget });
      expect(quarantine.status).toBe('unplannable');
      if (quarantine.status === 'unplannable') expect(quarantine.reasons.some((x) => x.vms?.includes('q'))).toBe(true);
    }
  });
});

describe('transitions and targets', () => {
  const instance = makeInstance({
    nodes: [0, 1].map((i) => ({ id: `n${i}`, capacity: { cpu: 8, memory: 16 * GiB } })),
    vms: [
      { id: 'run', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n0' },
      { id: 'sleep', demand: { cpu: 2, memory: 4 * GiB }, state: 'sleeping', host: 'n1' },
      { id: 'wait', demand: { cpu: 2, memory: 4 * GiB }, state: 'waiting' },
      { id: 'bye', demand: { cpu: 2, memory: 4 * GiB }, state: 'running', host: 'n1', wants: 'terminated' },
    ],
  });
  const reasonsFor = (r: PlannerResult): string[] => (r.status === 'unplannable' ? r.reasons.map((x) => x.message) : []);

  it('plans the empty plan for the source itself', () => {
    const r = planned(planAndVerify(instance, moved(instance, { bye: ['terminated'] })));
    expect(r.actions.map((a) => a.type)).toEqual(['shutdown']);
    expect(planned(buildPlan(instance, sourceConfiguration(instance), { validateTarget: false })).actions).toEqual([]);
  });

  it('boots, resumes, suspends and shuts down as the state machine says', () => {
    const r = planned(
      planAndVerify(instance, moved(instance, { wait: ['running', 'n1'], sleep: ['running', 'n0'], run: ['sleeping', 'n0'], bye: ['terminated'] })),
    );
    expect(r.actions.map((a) => a.type).sort()).toEqual(['boot', 'resume', 'shutdown', 'suspend']);
  });

  it('answers unplannable, naming the VM, for transitions no action makes', () => {
    const cases: Record<string, readonly [string, string?]>[] = [
      { run: ['waiting'] },
      { sleep: ['sleeping', 'n0'] },
      { run: ['sleeping', 'n1'] },
      { wait: ['sleeping', 'n0'] },
      { sleep: ['terminated'] },
    ];
    for (const c of cases) {
      const r = buildPlan(instance, moved(instance, { ...c, bye: ['terminated'] }), { validateTarget: false });
      expect(r.status).toBe('unplannable');
      const vm = Object.keys(c)[0]!;
      expect(reasonsFor(r).some((m) => m.includes(vm))).toBe(true);
    }
  });

  it('refuses to shut down a VM nothing asks to terminate', () => {
    const r = buildPlan(instance, moved(instance, { run: ['terminated'], bye: ['terminated'] }), { validateTarget: false });
    expect(reasonsFor(r).join(' ')).toMatch(/run: .*terminates/);
  });

  it('rejects a target that overloads a node or names unknown VMs and nodes', () => {
    const crowded = moved(instance, { wait: ['running', 'n0'], sleep: ['running', 'n0'], bye: ['terminated'] });
    const tight = makeInstance({
      nodes: [{ id: 'n0', capacity: { cpu: 4, memory: 8 * GiB } }, { id: 'n1', capacity: { cpu: 8, memory: 16 * GiB } }],
      vms: [...instance.vms.values()].map((v) => ({
        id: v.id, demand: Object.fromEntries(v.demand), state: v.state, ...(v.host ? { host: v.host } : {}), ...(v.wants ? { wants: v.wants } : {}),
      })),
    });
    expect(reasonsFor(buildPlan(tight, crowded)).join(' ')).toMatch(/n0/);
    expect(reasonsFor(buildPlan(instance, moved(instance, { ghost: ['running', 'n0'] }))).join(' ')).toMatch(/ghost/);
    expect(reasonsFor(buildPlan(instance, moved(instance, { run: ['running', 'nowhere'] }))).join(' ')).toMatch(/nowhere/);
  });
});

describe('limits, bound and durations', () => {
  it('keeps within the migration limits and reaches the bound on a consolidation (hundreds of migrations, 2 per node)', () => {
    const instance = heterogeneousCluster({ nodes: 120, vms: 700, seed: 11 }).set('limits', { maxMigrationsPerNode: 2, maxParallelMigrations: 40 });
    const target = consolidationTarget(instance);
    const r = planned(buildPlan(instance, target));
    expect(r.stats.migrations).toBeGreaterThan(150);
    const v = verifyPlan(instance, asPlan(r));
    expect(v.violations).toEqual([]);
    expect(r.stats.makespan).toBeLessThanOrEqual(r.stats.makespanLowerBound * 1.1);
    // independent check of the limits at every start
    const migs = r.actions.filter((a) => a.type === 'migrate');
    for (const m of migs) {
      const live = migs.filter((o) => o.start <= m.start && o.end > m.start);
      expect(live.length).toBeLessThanOrEqual(40);
      for (const n of [m.from, m.to]) expect(live.filter((o) => o.from === n || o.to === n).length).toBeLessThanOrEqual(2);
    }
  });

  it('applies stricter limits given as options', () => {
    const instance = heterogeneousCluster({ nodes: 30, vms: 150, seed: 3 });
    const target = consolidationTarget(instance);
    const r = planned(buildPlan(instance, target, { limits: { maxParallelMigrations: 1 } }));
    const migs = r.actions.filter((a) => a.type === 'migrate').sort((a, b) => a.start - b.start);
    for (let i = 1; i < migs.length; i++) expect(migs[i]!.start).toBeGreaterThanOrEqual(migs[i - 1]!.end);
    expect(r.stats.makespanLowerBound).toBeCloseTo(migs.reduce((s, a) => s + a.end - a.start, 0), 3);
    expect(() => buildPlan(instance, target, { limits: { maxMigrationsPerNode: 0 } })).toThrow(SwitchyardError);
  });

  it('times actions with the instance durations (LAN, WAN, disk, fixed costs)', () => {
    const instance = makeInstance({
      nodes: [
        { id: 'a', capacity: { cpu: 8, memory: 64 * GiB }, site: 'x' },
        { id: 'b', capacity: { cpu: 8, memory: 64 * GiB }, site: 'x' },
        { id: 'c', capacity: { cpu: 8, memory: 64 * GiB }, site: 'y', state: 'offline' },
      ],
      vms: [
        { id: 'lan', demand: { cpu: 1, memory: 6000 }, state: 'running', host: 'a' },
        { id: 'wan', demand: { cpu: 1, memory: 6000 }, state: 'running', host: 'a' },
        { id: 'new', demand: { cpu: 1, memory: 6000 }, state: 'waiting' },
      ],
      durations: { bandwidth: 600, wanBandwidth: 60, bootVm: 7, bootNode: 90 },
    });
    const r = planned(planAndVerify(instance, moved(instance, { lan: ['running', 'b'], wan: ['running', 'c'], new: ['running', 'b'] }, { c: 'online' })));
    const d = (type: Action['type'], vm?: string): number => {
      const a = of(r, type, vm)[0]!;
      return a.end - a.start;
    };
    expect(d('migrate', 'lan')).toBeCloseTo(10, 6);
    expect(d('migrate', 'wan')).toBeCloseTo(100, 6);
    expect(d('boot')).toBe(7);
    expect(d('bootNode')).toBe(90);
  });

  it('uses a pluggable duration model, and rejects one that answers nonsense', () => {
    const { instance, target } = ring(3, { perNode: 1, free: 1 });
    const r = planned(planAndVerify(instance, target, { durationModel: (q) => (q.type === 'migrate' ? 42 : 1) }));
    for (const a of of(r, 'migrate')) expect(a.end - a.start).toBe(42);
    expect(() => buildPlan(instance, target, { durationModel: () => Number.NaN })).toThrow(SwitchyardError);
    expect(() => buildPlan(instance, target, { durationModel: () => -1 })).toThrow(/finite numbers ≥ 0/);
  });

  it('plans a few thousand VMs quickly', () => {
    const instance = heterogeneousCluster({ nodes: 600, vms: 3000, seed: 5 }).set('limits', { maxMigrationsPerNode: 2 });
    const target = consolidationTarget(instance);
    const t0 = performance.now();
    const r = planned(buildPlan(instance, target, { validateTarget: false }));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(verifyPlan(instance, asPlan(r)).ok).toBe(true);
  });
});
