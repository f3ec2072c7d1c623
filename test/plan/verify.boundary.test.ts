/**
 * The verifier's boundaries, pinned by small examples: for every way load reaches a node (a
 * migration holding both its nodes during [start, end), a boot or resume from its start, a
 * shutdown or suspend freeing its node at its end, bootNode/shutdownNode windows, an initially
 * overloaded node that may only shed, overbook ratios, several resources), a plan exactly at the
 * limit is valid, and one unit over or 0.1% over is reported with the right code, node, instant
 * and action. Then the same for the continuous constraints (spread, root, quarantine and
 * continuous ban/fence/among), whose boundaries are in time or in the kind of action.
 */
import { describe, expect, it } from 'vitest';
import type { Violation } from '../../src/constraints/spec.js';
import type { Constraint } from '../../src/model/constraints.js';
import { checkCapacity } from '../../src/constraints/check.js';
import { makeInstance, sourceConfiguration, type Instance, type InstanceInit } from '../../src/model/instance.js';
import type { PlanTarget } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { mkPlan, targetFrom } from './verify-support.js';

/** Capacity of every node: one cpu is 12.5% of it, one MiB of memory 0.05%. */
const CPU = 8;
const MEM = 2000;

interface Excess {
  readonly cpu: number;
  readonly memory: number;
}
const NONE: Excess = { cpu: 0, memory: 0 };

/** The overloads tried against every scenario, with the resource each one breaks. */
const OVERS: readonly { readonly label: string; readonly ex: Excess; readonly resources: readonly string[] }[] = [
  { label: 'one cpu over', ex: { cpu: 1, memory: 0 }, resources: ['cpu'] },
  { label: '0.1% cpu over', ex: { cpu: CPU * 0.001, memory: 0 }, resources: ['cpu'] },
  { label: 'one MiB over', ex: { cpu: 0, memory: 1 }, resources: ['memory'] },
  { label: '0.1% memory over', ex: { cpu: 0, memory: MEM * 0.001 }, resources: ['memory'] },
  { label: 'cpu and memory both over', ex: { cpu: 1, memory: 1 }, resources: ['cpu', 'memory'] },
];

/** What a scenario expects of the first overload: where, when, brought by which action and VM. */
interface Expected {
  readonly node: string;
  readonly time: number;
  readonly action: number;
  readonly vm?: string;
  /** The effective capacity named in the message (default: the raw capacity). */
  readonly capacity?: Readonly<Record<string, number>>;
  /** The level an initially overloaded node is held to, named in the message. */
  readonly allowed?: Readonly<Record<string, number>>;
  /** Codes also expected in the end state when over (e.g. the overbook constraint's own check). */
  readonly alsoAtEnd?: readonly string[];
}

interface Scenario {
  readonly name: string;
  readonly build: (ex: Excess) => { instance: Instance; actions: Action[]; target: PlanTarget };
  readonly expected: Expected;
}

/** Three online nodes (n1..n3) and an offline n4, all of capacity CPU / MEM. */
function cluster(vms: InstanceInit['vms'], constraints: Constraint[] = []): Instance {
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: CPU, memory: MEM } },
      { id: 'n2', capacity: { cpu: CPU, memory: MEM } },
      { id: 'n3', capacity: { cpu: CPU, memory: MEM } },
      { id: 'n4', capacity: { cpu: CPU, memory: MEM }, state: 'offline' },
    ],
    vms,
    constraints,
  });
}

const d = (cpu: number, memory: number, ex: Excess = NONE) => ({ cpu: cpu + ex.cpu, memory: memory + ex.memory });

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'a migration occupies its destination from its start',
    build: (ex) => {
      const instance = cluster([
        { id: 'vm1', demand: d(2, 500), state: 'running', host: 'n1' },
        { id: 'res', demand: d(6, 1500, ex), state: 'running', host: 'n2' },
      ]);
      const actions: Action[] = [{ id: 4, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 10, end: 20 }];
      return { instance, actions, target: targetFrom(instance, { vm1: ['running', 'n2'] }) };
    },
    expected: { node: 'n2', time: 10, action: 4, vm: 'vm1' },
  },
  {
    name: 'a migration still occupies its source until its end',
    build: (ex) => {
      const instance = cluster([
        { id: 'vm1', demand: d(2, 500), state: 'running', host: 'n1' },
        { id: 'new', demand: d(6, 1500, ex), state: 'waiting' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 10, end: 20 },
        { id: 1, type: 'boot', vm: 'new', to: 'n1', start: 15, end: 25 },
      ];
      return { instance, actions, target: targetFrom(instance, { vm1: ['running', 'n2'], new: ['running', 'n1'] }) };
    },
    expected: { node: 'n1', time: 15, action: 1, vm: 'new' },
  },
  {
    name: 'a boot occupies its node from its start',
    build: (ex) => {
      const instance = cluster([
        { id: 'res', demand: d(6, 1500, ex), state: 'running', host: 'n1' },
        { id: 'new', demand: d(2, 500), state: 'waiting' },
      ]);
      const actions: Action[] = [{ id: 2, type: 'boot', vm: 'new', to: 'n1', start: 5, end: 15 }];
      return { instance, actions, target: targetFrom(instance, { new: ['running', 'n1'] }) };
    },
    expected: { node: 'n1', time: 5, action: 2, vm: 'new' },
  },
  {
    name: 'a local resume occupies its node from its start',
    build: (ex) => {
      const instance = cluster([
        { id: 'res', demand: d(6, 1500, ex), state: 'running', host: 'n1' },
        { id: 'zz', demand: d(2, 500), state: 'sleeping', host: 'n1' },
      ]);
      const actions: Action[] = [{ id: 3, type: 'resume', vm: 'zz', from: 'n1', to: 'n1', start: 7, end: 9 }];
      return { instance, actions, target: targetFrom(instance, { zz: ['running', 'n1'] }) };
    },
    expected: { node: 'n1', time: 7, action: 3, vm: 'zz' },
  },
  {
    name: 'a remote resume occupies its destination from its start',
    build: (ex) => {
      const instance = cluster([
        { id: 'res', demand: d(6, 1500, ex), state: 'running', host: 'n2' },
        { id: 'zz', demand: d(2, 500), state: 'sleeping', host: 'n3' },
      ]);
      const actions: Action[] = [{ id: 3, type: 'resume', vm: 'zz', from: 'n3', to: 'n2', start: 7, end: 9 }];
      return { instance, actions, target: targetFrom(instance, { zz: ['running', 'n2'] }) };
    },
    expected: { node: 'n2', time: 7, action: 3, vm: 'zz' },
  },
  {
    name: 'a shutdown frees its node at its end (a boot may start then)',
    build: (ex) => {
      const instance = cluster([
        { id: 'res', demand: d(6, 1500), state: 'running', host: 'n1' },
        { id: 'old', demand: d(2, 500), state: 'running', host: 'n1', wants: 'terminated' },
        { id: 'new', demand: d(2, 500, ex), state: 'waiting' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'shutdown', vm: 'old', from: 'n1', start: 0, end: 10 },
        { id: 1, type: 'boot', vm: 'new', to: 'n1', start: 10, end: 12, after: [0] },
      ];
      return { instance, actions, target: targetFrom(instance, { old: ['terminated'], new: ['running', 'n1'] }) };
    },
    expected: { node: 'n1', time: 10, action: 1, vm: 'new' },
  },
  {
    name: 'a suspend frees its node at its end (a migration may arrive then)',
    build: (ex) => {
      const instance = cluster([
        { id: 'res', demand: d(6, 1500), state: 'running', host: 'n1' },
        { id: 'old', demand: d(2, 500), state: 'running', host: 'n1' },
        { id: 'mover', demand: d(2, 500, ex), state: 'running', host: 'n2' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'suspend', vm: 'old', from: 'n1', start: 0, end: 10 },
        { id: 1, type: 'migrate', vm: 'mover', from: 'n2', to: 'n1', start: 10, end: 12 },
      ];
      return { instance, actions, target: targetFrom(instance, { old: ['sleeping', 'n1'], mover: ['running', 'n1'] }) };
    },
    expected: { node: 'n1', time: 10, action: 1, vm: 'mover' },
  },
  {
    name: 'a node booted by bootNode takes load once it has ended',
    build: (ex) => {
      const instance = cluster([{ id: 'new', demand: d(CPU, MEM, ex), state: 'waiting' }]);
      const actions: Action[] = [
        { id: 0, type: 'bootNode', node: 'n4', start: 0, end: 100 },
        { id: 1, type: 'boot', vm: 'new', to: 'n4', start: 100, end: 110, after: [0] },
      ];
      return { instance, actions, target: targetFrom(instance, { new: ['running', 'n4'] }, { n4: 'online' }) };
    },
    expected: { node: 'n4', time: 100, action: 1, vm: 'new' },
  },
  {
    name: 'an initially overloaded node may take load at the instant it sheds as much (a swap at one instant)',
    build: (ex) => {
      // n1 starts at 11 cpu / 2600 MiB (over its 8 / 2000): it may stay there, not rise.
      const instance = cluster([
        { id: 'a', demand: d(6, 1500), state: 'running', host: 'n1' },
        { id: 'b', demand: d(4, 1000), state: 'running', host: 'n1' },
        { id: 'old', demand: d(1, 100), state: 'running', host: 'n1', wants: 'terminated' },
        { id: 'new', demand: d(1, 100, ex), state: 'waiting' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'b', from: 'n1', to: 'n2', start: 0, end: 10 },
        { id: 1, type: 'shutdown', vm: 'old', from: 'n1', start: 0, end: 5 },
        { id: 2, type: 'boot', vm: 'new', to: 'n1', start: 5, end: 6, after: [1] },
      ];
      const target = targetFrom(instance, { b: ['running', 'n2'], old: ['terminated'], new: ['running', 'n1'] });
      return { instance, actions, target };
    },
    expected: { node: 'n1', time: 5, action: 2, vm: 'new', allowed: { cpu: 11, memory: 2600 } },
  },
  {
    name: 'an initially overloaded node may not rise above the level it has shed to',
    build: (ex) => {
      // n1: 11 / 2750 at first, 9 / 2250 once b has left (t=10); at t=20 c leaves as w arrives.
      const instance = cluster([
        { id: 'a', demand: d(6, 1500), state: 'running', host: 'n1' },
        { id: 'b', demand: d(2, 500), state: 'running', host: 'n1' },
        { id: 'c', demand: d(2, 500), state: 'running', host: 'n1' },
        { id: 'e', demand: d(1, 250), state: 'running', host: 'n1' },
        { id: 'w', demand: d(2, 500, ex), state: 'waiting' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'b', from: 'n1', to: 'n2', start: 0, end: 10 },
        { id: 1, type: 'migrate', vm: 'c', from: 'n1', to: 'n2', start: 10, end: 20, after: [0] },
        { id: 2, type: 'boot', vm: 'w', to: 'n1', start: 20, end: 21, after: [1] },
        { id: 3, type: 'migrate', vm: 'e', from: 'n1', to: 'n3', start: 20, end: 30, after: [1] },
      ];
      const target = targetFrom(instance, { b: ['running', 'n2'], c: ['running', 'n2'], e: ['running', 'n3'], w: ['running', 'n1'] });
      return { instance, actions, target };
    },
    // The end state (8 + excess on n1) is over capacity as well: reported again at the end.
    expected: { node: 'n1', time: 20, action: 2, vm: 'w', allowed: { cpu: 9, memory: 2250 }, alsoAtEnd: ['capacity'] },
  },
  {
    name: 'overbook ratios set the capacity (the smallest ratio of a node and resource wins)',
    build: (ex) => {
      const overbook: Constraint[] = [
        { type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio: 3 },
        { type: 'overbook', nodes: ['n1', 'n2'], resource: 'cpu', ratio: 2 },
        { type: 'overbook', nodes: ['n1'], resource: 'memory', ratio: 1.5 },
      ];
      const instance = cluster(
        [
          { id: 'res', demand: d(14, 2500, ex), state: 'running', host: 'n1' },
          { id: 'vm1', demand: d(2, 500), state: 'running', host: 'n2' },
        ],
        overbook,
      );
      const actions: Action[] = [{ id: 6, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n1', start: 3, end: 4 }];
      return { instance, actions, target: targetFrom(instance, { vm1: ['running', 'n1'] }) };
    },
    expected: { node: 'n1', time: 3, action: 6, vm: 'vm1', capacity: { cpu: 16, memory: 3000 }, alsoAtEnd: ['constraint:overbook'] },
  },
];

/** The violations of a scenario's plan for excess `ex`. */
function violationsOf(s: Scenario, ex: Excess): readonly Violation[] {
  const { instance, actions, target } = s.build(ex);
  return verifyPlan(instance, mkPlan(instance, actions, target)).violations;
}

describe.each(SCENARIOS)('verifyPlan capacity boundary: $name', (s) => {
  it('is valid exactly at the limit', () => {
    expect(violationsOf(s, NONE)).toEqual([]);
  });

  it.each(OVERS)('reports $label with code, node, instant, action and resource', ({ ex, resources }) => {
    const vs = violationsOf(s, ex);
    const midPlan = vs.filter((x) => x.time !== undefined);
    expect(midPlan.map((x) => x.code)).toEqual(resources.map(() => 'capacity'));
    for (const [k, x] of midPlan.entries()) {
      const r = resources[k]!;
      expect(x).toMatchObject({ nodes: [s.expected.node], time: s.expected.time, action: s.expected.action });
      if (s.expected.vm !== undefined) expect(x.vms).toEqual([s.expected.vm]);
      const capacity = s.expected.capacity?.[r] ?? (r === 'cpu' ? CPU : MEM);
      expect(x.message).toContain(`node ${s.expected.node} at t=${s.expected.time}: ${r} load `);
      expect(x.message).toContain(`exceeds capacity ${capacity}`);
      const allowed = s.expected.allowed?.[r];
      if (allowed !== undefined) expect(x.message).toContain(`(allowed ${allowed} while the node sheds its initial overload)`);
      else expect(x.message).not.toContain('allowed');
    }
    const atEnd = vs.filter((x) => x.time === undefined).map((x) => x.code);
    expect([...new Set(atEnd)].sort()).toEqual([...(s.expected.alsoAtEnd ?? [])].sort());
  });
});

describe('verifyPlan capacity boundary: the end state', () => {
  it('reports a node left over capacity at the end, exactly at the limit valid', () => {
    const build = (ex: Excess) => {
      const instance = cluster([
        { id: 'res', demand: d(6, 1500, ex), state: 'running', host: 'n1' },
        { id: 'new', demand: d(2, 500), state: 'waiting' },
      ]);
      // A zero-length boot: the overload never lasts through an instant of the replay, only the end state.
      const actions: Action[] = [{ id: 0, type: 'boot', vm: 'new', to: 'n1', start: 5, end: 5 }];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { new: ['running', 'n1'] }))).violations;
    };
    expect(build(NONE)).toEqual([]);
    for (const { ex, resources } of OVERS) {
      const vs = build(ex);
      expect(vs.map((x) => x.code)).toEqual(resources.map(() => 'capacity'));
      expect(vs[0]!.nodes).toEqual(['n1']);
    }
  });

  it('reports a resource a node does not have (capacity 0) as soon as a VM demanding it arrives', () => {
    const instance = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: CPU, memory: MEM } },
        { id: 'n2', capacity: { cpu: CPU, memory: MEM, gpu: 1 } },
      ],
      vms: [{ id: 'g', demand: { cpu: 1, memory: 1, gpu: 1 }, state: 'running', host: 'n2' }],
    });
    const ok: Action[] = [];
    expect(verifyPlan(instance, mkPlan(instance, ok, targetFrom(instance))).violations).toEqual([]);
    const move: Action[] = [{ id: 0, type: 'migrate', vm: 'g', from: 'n2', to: 'n1', start: 1, end: 2 }];
    const vs = verifyPlan(instance, mkPlan(instance, move, targetFrom(instance, { g: ['running', 'n1'] }))).violations;
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ code: 'capacity', nodes: ['n1'], time: 1, action: 0, vms: ['g'] });
    expect(vs[0]!.message).toContain('gpu load 1 exceeds capacity 0');
  });
});

describe('verifyPlan time boundaries: [start, end) intervals', () => {
  const EPS = 1e-3;

  it('a VM may fill the source of a migration exactly when it ends, not a moment before', () => {
    const build = (start: number) => {
      const instance = cluster([
        { id: 'vm1', demand: d(2, 500), state: 'running', host: 'n1' },
        { id: 'res', demand: d(6, 1500), state: 'running', host: 'n1' },
        { id: 'new', demand: d(2, 500), state: 'waiting' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 10, end: 20 },
        { id: 1, type: 'boot', vm: 'new', to: 'n1', start, end: start + 5 },
      ];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm1: ['running', 'n2'], new: ['running', 'n1'] }))).violations;
    };
    expect(build(20)).toEqual([]);
    // Before the migration starts, n1 is full already.
    expect(build(9)[0]).toMatchObject({ code: 'capacity', nodes: ['n1'], time: 9, action: 1 });
    const early = build(20 - EPS);
    expect(early.map((x) => x.code)).toEqual(['capacity', 'capacity']);
    expect(early[0]).toMatchObject({ nodes: ['n1'], time: 20 - EPS, action: 1, vms: ['new'] });
  });

  it('a migration may arrive where a shutdown ends, not a moment before', () => {
    const build = (start: number) => {
      const instance = cluster([
        { id: 'old', demand: d(CPU, MEM), state: 'running', host: 'n2', wants: 'terminated' },
        { id: 'vm1', demand: d(1, 1), state: 'running', host: 'n1' },
      ]);
      const actions: Action[] = [
        { id: 0, type: 'shutdown', vm: 'old', from: 'n2', start: 0, end: 10 },
        { id: 1, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start, end: start + 3 },
      ];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { old: ['terminated'], vm1: ['running', 'n2'] }))).violations;
    };
    expect(build(10)).toEqual([]);
    const early = build(10 - EPS);
    expect(early.map((x) => x.code)).toEqual(['capacity', 'capacity']);
    expect(early[0]).toMatchObject({ nodes: ['n2'], time: 10 - EPS, action: 1, vms: ['vm1'] });
  });

  it('a node booted by bootNode accepts VMs from its end, not before (illegal-action)', () => {
    const build = (start: number) => {
      const instance = cluster([{ id: 'new', demand: d(1, 1), state: 'waiting' }]);
      const actions: Action[] = [
        { id: 0, type: 'bootNode', node: 'n4', start: 0, end: 100 },
        { id: 1, type: 'boot', vm: 'new', to: 'n4', start, end: start + 1 },
      ];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { new: ['running', 'n4'] }, { n4: 'online' }))).violations;
    };
    expect(build(100)).toEqual([]);
    const early = build(100 - EPS);
    expect(early).toHaveLength(1);
    expect(early[0]).toMatchObject({ code: 'illegal-action', nodes: ['n4'], time: 100 - EPS, action: 1, vms: ['new'] });
    expect(early[0]!.message).toContain('its bootNode, action 0, has not ended');
  });

  it('a node may be shut down once its last VM has left, not before, and takes nothing once shutdownNode starts', () => {
    const build = (start: number) => {
      const instance = cluster([{ id: 'vm1', demand: d(1, 1), state: 'running', host: 'n2' }]);
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n1', start: 0, end: 10 },
        { id: 1, type: 'shutdownNode', node: 'n2', start, end: start + 30 },
      ];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm1: ['running', 'n1'] }, { n2: 'offline' }))).violations;
    };
    expect(build(10)).toEqual([]);
    const early = build(10 - EPS);
    expect(early.find((x) => x.code === 'illegal-action')).toMatchObject({ nodes: ['n2'], time: 10 - EPS, action: 1 });
    expect(early[0]!.message).toContain('still hosts vm1');

    const instance = cluster([{ id: 'vm1', demand: d(1, 1), state: 'running', host: 'n1' }]);
    const late: Action[] = [
      { id: 0, type: 'shutdownNode', node: 'n2', start: 0, end: 30 },
      { id: 1, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 5, after: [0] },
    ];
    const vs = verifyPlan(instance, mkPlan(instance, late, targetFrom(instance, { vm1: ['running', 'n2'] }, { n2: 'offline' }))).violations;
    expect(vs.find((x) => x.code === 'illegal-action')).toMatchObject({ nodes: ['n1', 'n2'], time: 0, action: 1 });
  });
});

describe('verifyPlan continuous constraints: boundaries in time and in the kind of action', () => {
  const EPS = 1e-3;

  it('spread: a VM may arrive where another of the set was exactly when it has left, not before', () => {
    const build = (start: number) => {
      const instance = cluster(
        [
          { id: 'vm1', demand: d(1, 1), state: 'running', host: 'n1' },
          { id: 'vm2', demand: d(1, 1), state: 'running', host: 'n2' },
        ],
        [{ type: 'spread', vms: ['vm1', 'vm2'] }],
      );
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n3', start: 0, end: 10 },
        { id: 1, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start, end: start + 10 },
      ];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm1: ['running', 'n2'], vm2: ['running', 'n3'] }))).violations;
    };
    expect(build(10)).toEqual([]);
    const early = build(10 - EPS);
    expect(early).toHaveLength(1);
    expect(early[0]).toMatchObject({ code: 'constraint:spread', constraint: 0, nodes: ['n2'], time: 10 - EPS, action: 1 });
    expect([...early[0]!.vms!].sort()).toEqual(['vm1', 'vm2']);
  });

  it('root: a root VM may be suspended and resumed in place, not migrated nor resumed elsewhere', () => {
    const instance = cluster(
      [
        { id: 'r', demand: d(1, 1), state: 'running', host: 'n1' },
        { id: 's', demand: d(1, 1), state: 'sleeping', host: 'n2' },
      ],
      [{ type: 'root', vms: ['r', 's'] }],
    );
    const inPlace: Action[] = [
      { id: 0, type: 'suspend', vm: 'r', from: 'n1', start: 0, end: 2 },
      { id: 1, type: 'resume', vm: 'r', from: 'n1', to: 'n1', start: 2, end: 4, after: [0] },
      { id: 2, type: 'resume', vm: 's', from: 'n2', to: 'n2', start: 0, end: 4 },
    ];
    expect(verifyPlan(instance, mkPlan(instance, inPlace, targetFrom(instance, { s: ['running', 'n2'] }))).violations).toEqual([]);
    const moved: Action[] = [
      { id: 5, type: 'migrate', vm: 'r', from: 'n1', to: 'n3', start: 3, end: 4 },
      { id: 6, type: 'resume', vm: 's', from: 'n2', to: 'n3', start: 7, end: 9 },
    ];
    const vs = verifyPlan(instance, mkPlan(instance, moved, targetFrom(instance, { r: ['running', 'n3'], s: ['running', 'n3'] }))).violations;
    const mid = vs.filter((x) => x.time !== undefined);
    expect(mid).toHaveLength(2);
    expect(mid[0]).toMatchObject({ code: 'constraint:root', constraint: 0, vms: ['r'], time: 3, action: 5 });
    expect(mid[1]).toMatchObject({ code: 'constraint:root', constraint: 0, vms: ['s'], time: 7, action: 6 });
    // The end state breaks root too (both moved): reported once each, without a time.
    expect(vs.filter((x) => x.time === undefined).map((x) => x.code)).toEqual(['constraint:root', 'constraint:root']);
  });

  it('quarantine: moves between other nodes are fine; a migration or boot touching the node is reported at its start', () => {
    const instance = cluster(
      [
        { id: 'vm1', demand: d(1, 1), state: 'running', host: 'n2' },
        { id: 'new', demand: d(1, 1), state: 'waiting' },
      ],
      [{ type: 'quarantine', nodes: ['n1'] }],
    );
    const fine: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n3', start: 0, end: 1 },
      { id: 1, type: 'boot', vm: 'new', to: 'n2', start: 0, end: 1 },
    ];
    expect(verifyPlan(instance, mkPlan(instance, fine, targetFrom(instance, { vm1: ['running', 'n3'], new: ['running', 'n2'] }))).violations).toEqual([]);
    const into: Action[] = [
      { id: 3, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n1', start: 2, end: 3 },
      { id: 4, type: 'boot', vm: 'new', to: 'n1', start: 6, end: 7 },
    ];
    const vs = verifyPlan(instance, mkPlan(instance, into, targetFrom(instance, { vm1: ['running', 'n1'], new: ['running', 'n1'] }))).violations;
    const mid = vs.filter((x) => x.time !== undefined);
    expect(mid).toHaveLength(2);
    expect(mid[0]).toMatchObject({ code: 'constraint:quarantine', vms: ['vm1'], nodes: ['n2', 'n1'], time: 2, action: 3 });
    expect(mid[1]).toMatchObject({ code: 'constraint:quarantine', vms: ['new'], nodes: ['n1'], time: 6, action: 4 });
  });

  it('continuous ban: a VM may not pass through a banned node, even if it ends elsewhere (not continuous: it may)', () => {
    const build = (continuous: boolean, via: boolean) => {
      const instance = cluster([{ id: 'vm1', demand: d(1, 1), state: 'running', host: 'n1' }], [
        { type: 'ban', vms: ['vm1'], nodes: ['n2'], continuous },
      ]);
      const actions: Action[] = via
        ? [
            { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 5 },
            { id: 1, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n3', start: 5, end: 10, after: [0] },
          ]
        : [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 5 }];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm1: ['running', 'n3'] }))).violations;
    };
    expect(build(true, false)).toEqual([]);
    expect(build(false, true)).toEqual([]);
    const vs = build(true, true);
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ code: 'constraint:ban', constraint: 0, vms: ['vm1'], nodes: ['n2'], time: 0, action: 0 });
  });

  it('continuous fence: a VM may not pass outside its nodes, even if it ends inside', () => {
    const build = (via: boolean) => {
      const instance = cluster([{ id: 'vm1', demand: d(1, 1), state: 'running', host: 'n1' }], [
        { type: 'fence', vms: ['vm1'], nodes: ['n1', 'n3'], continuous: true },
      ]);
      const actions: Action[] = via
        ? [
            { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 5 },
            { id: 1, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n3', start: 5, end: 10, after: [0] },
          ]
        : [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 5 }];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm1: ['running', 'n3'] }))).violations;
    };
    expect(build(false)).toEqual([]);
    const vs = build(true);
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ code: 'constraint:fence', constraint: 0, vms: ['vm1'], nodes: ['n2'], time: 0, action: 0 });
  });

  it('continuous among: a VM may leave the group once the other VMs have left it, not a moment before', () => {
    const build = (start: number) => {
      const instance = cluster(
        [
          { id: 'vm1', demand: d(1, 1), state: 'running', host: 'n1' },
          { id: 'vm2', demand: d(1, 1), state: 'running', host: 'n2', wants: 'terminated' },
        ],
        [{ type: 'among', vms: ['vm1', 'vm2'], groups: [['n1', 'n2'], ['n1', 'n3']], continuous: true }],
      );
      const actions: Action[] = [
        { id: 0, type: 'shutdown', vm: 'vm2', from: 'n2', start: 0, end: 10 },
        { id: 1, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start, end: start + 5 },
      ];
      return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm1: ['running', 'n3'], vm2: ['terminated'] }))).violations;
    };
    expect(build(10)).toEqual([]);
    const vs = build(10 - EPS);
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ code: 'constraint:among', constraint: 0, time: 10 - EPS, action: 1 });
    expect([...vs[0]!.nodes!].sort()).toEqual(['n1', 'n2', 'n3']);
  });
});

describe('verifyPlan capacity boundary: the rounding tolerance is relative (1e-9 of the capacity)', () => {
  // Capacity 1000: loads within 1e-6 of it are sums of fractional demands, not overloads.
  const build = (extra: number) => {
    const instance = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 1000 } },
        { id: 'n2', capacity: { cpu: 1000 } },
      ],
      vms: [
        { id: 'res', demand: { cpu: 600 + extra }, state: 'running', host: 'n1' },
        { id: 'vm', demand: { cpu: 400 }, state: 'running', host: 'n2' },
      ],
    });
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm', from: 'n2', to: 'n1', start: 1, end: 2 }];
    return verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { vm: ['running', 'n1'] }))).violations;
  };

  it('mid-plan: 5e-7 over is within it, 2e-6 over is not', () => {
    expect(build(5e-7)).toEqual([]);
    const vs = build(2e-6);
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ code: 'capacity', nodes: ['n1'], time: 1, action: 0 });
  });

  it('in the end-state check (checkCapacity): 5e-7 over is within it, 2e-6 over is not', () => {
    const at = (extra: number) => {
      const instance = makeInstance({
        nodes: [{ id: 'n1', capacity: { cpu: 1000 } }],
        vms: [{ id: 'res', demand: { cpu: 1000 + extra }, state: 'running', host: 'n1' }],
      });
      return checkCapacity(instance, sourceConfiguration(instance));
    };
    expect(at(5e-7)).toEqual([]);
    expect(at(2e-6).map((x) => x.nodes)).toEqual([['n1']]);
  });

  it('sums of fractional demands that round above the capacity are not overloads', () => {
    const instance = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 0.3 } }],
      vms: [
        { id: 'a', demand: { cpu: 0.1 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 0.2 }, state: 'waiting' },
      ],
    });
    expect(0.1 + 0.2).toBeGreaterThan(0.3);
    const actions: Action[] = [{ id: 0, type: 'boot', vm: 'b', to: 'n1', start: 0, end: 1 }];
    expect(verifyPlan(instance, mkPlan(instance, actions, targetFrom(instance, { b: ['running', 'n1'] }))).violations).toEqual([]);
  });
});
