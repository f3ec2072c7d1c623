/**
 * The exact violations the verifier reports, class by class: code, message (what the CLI prints),
 * VMs, nodes, action and time. verify.test.ts pins which classes are found; this file pins what
 * each says, so a user can act on it.
 */
import { describe, expect, it } from 'vitest';
import type { Violation } from '../../src/constraints/spec.js';
import { makeInstance } from '../../src/model/instance.js';
import type { Limits } from '../../src/model/objective.js';
import type { FeasiblePlan, PlanTarget } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { mkPlan, targetFrom } from './verify-support.js';

/** n1..n3 online (8 cpu, 8192 MiB), n4 offline; vm1 on n1, vm2 on n2, vm3 waiting, vm4 sleeping on n3, vm6 sleeping on n4. */
function cluster(limits?: Limits, cpu = 8) {
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu, memory: 8192 } },
      { id: 'n2', capacity: { cpu, memory: 8192 } },
      { id: 'n3', capacity: { cpu, memory: 8192 } },
      { id: 'n4', capacity: { cpu, memory: 8192 }, state: 'offline' },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1' },
      { id: 'vm2', demand: { cpu: 7, memory: 1024 }, state: 'running', host: 'n2' },
      { id: 'vm3', demand: { cpu: 1, memory: 1024 }, state: 'waiting' },
      { id: 'vm4', demand: { cpu: 1, memory: 1024 }, state: 'sleeping', host: 'n3' },
      { id: 'vm6', demand: { cpu: 1, memory: 1024 }, state: 'sleeping', host: 'n4' },
    ],
    ...(limits ? { limits } : {}),
  });
}
const inst = cluster();

const run = (actions: readonly Action[], target: PlanTarget = targetFrom(inst), i = inst): readonly Violation[] =>
  verifyPlan(i, mkPlan(i, actions, target)).violations;
const ill = (id: number, message: string, vms: string[] | undefined, nodes: string[], time?: number): Violation => ({
  code: 'illegal-action',
  message,
  ...(vms ? { vms } : {}),
  nodes,
  action: id,
  ...(time === undefined ? {} : { time }),
});

describe('verifyPlan messages: malformed actions', () => {
  it('names duplicate ids, non-integer ids, unknown types, negative and reversed times, unknown VMs and nodes', () => {
    const actions = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 2 },
      { id: 0, type: 'boot', vm: 'vm3', to: 'n3', start: 0, end: 1 },
      { id: 1.5, type: 'bootNode', node: 'n4', start: 0, end: 1 },
      { id: 2, type: 'teleport' },
      { id: 3, type: 'shutdown', vm: 'vmX', from: 'n1', start: -1, end: -2 },
      { id: 4, type: 'suspend', vm: 'vm2', from: 'n9', start: Number.NaN, end: 1 },
      { id: 5, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: 0, end: 1 },
      { id: 6, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n8', start: 1, end: Infinity },
    ] as unknown as Action[];
    const target = targetFrom(inst, { vm1: ['running', 'n3'], vm3: ['running', 'n3'], vm4: ['running', 'n3'] }, { n4: 'online' });
    expect(run(actions, target)).toEqual([
      { code: 'illegal-action', message: 'action id 0 is used by 2 actions (positions 0, 1)', action: 0 },
      ill(1.5, 'action 1.5 (bootNode n4) at t=0: id 1.5 is not an integer', undefined, ['n4'], 0),
      { code: 'illegal-action', message: 'action 2 (teleport): unknown action type', action: 2 },
      ill(3, 'action 3 (shutdown vmX on n1) at t=-1: starts before 0 (start -1)', ['vmX'], ['n1'], -1),
      ill(3, 'action 3 (shutdown vmX on n1) at t=-1: ends (t=-2) before it starts', ['vmX'], ['n1'], -1),
      ill(3, 'action 3 (shutdown vmX on n1) at t=-1: unknown VM vmX', ['vmX'], ['n1'], -1),
      ill(4, 'action 4 (suspend vm2 on n9): start NaN and end 1 must be finite numbers', ['vm2'], ['n9']),
      ill(4, 'action 4 (suspend vm2 on n9): unknown node n9', ['vm2'], ['n9']),
      ill(6, 'action 6 (migrate vm2 n2→n8): start 1 and end Infinity must be finite numbers', ['vm2'], ['n2', 'n8']),
      ill(6, 'action 6 (migrate vm2 n2→n8) at t=1: unknown node n8', ['vm2'], ['n2', 'n8'], 1),
    ]);
  });
});

describe('verifyPlan messages: actions illegal at their start', () => {
  it.each<[string, Action[], PlanTarget, Violation[]]>([
    [
      'a migration from the wrong node',
      [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n2', to: 'n3', start: 0, end: 1 }],
      targetFrom(inst),
      [ill(0, 'action 0 (migrate vm1 n2→n3) at t=0: vm1 is running on n1, not on n2', ['vm1'], ['n2', 'n3'], 0)],
    ],
    [
      'a boot of a running VM',
      [{ id: 1, type: 'boot', vm: 'vm1', to: 'n3', start: 2, end: 3 }],
      targetFrom(inst),
      [ill(1, 'action 1 (boot vm1 on n3) at t=2: vm1 is running on n1, not waiting', ['vm1'], ['n3'], 2)],
    ],
    [
      'a shutdown of a waiting VM',
      [{ id: 1, type: 'shutdown', vm: 'vm3', from: 'n1', start: 0, end: 3 }],
      targetFrom(inst),
      [
        {
          code: 'lost-vm',
          message: 'action 1 (shutdown vm3 on n1) at t=0: vm3 is shut down but nothing asks for it to end terminated',
          vms: ['vm3'],
          nodes: ['n1'],
          action: 1,
          time: 0,
        },
        ill(1, 'action 1 (shutdown vm3 on n1) at t=0: vm3 is waiting, not running', ['vm3'], ['n1'], 0),
      ],
    ],
    [
      'a resume of a sleeping VM from the wrong node',
      [{ id: 1, type: 'resume', vm: 'vm4', from: 'n1', to: 'n1', start: 0, end: 3 }],
      targetFrom(inst),
      [ill(1, 'action 1 (resume vm4 n1→n1) at t=0: vm4 is sleeping on n3, not on n1', ['vm4'], ['n1'], 0)],
    ],
    [
      'a migration onto the node the VM is on',
      [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n1', start: 0, end: 1 }],
      targetFrom(inst),
      [ill(0, 'action 0 (migrate vm1 n1→n1) at t=0: vm1 migrates to the node it is on', ['vm1'], ['n1'], 0)],
    ],
    [
      'a boot onto an offline node',
      [{ id: 0, type: 'boot', vm: 'vm3', to: 'n4', start: 0, end: 1 }],
      targetFrom(inst, { vm3: ['running', 'n4'] }),
      [
        ill(0, 'action 0 (boot vm3 on n4) at t=0: vm3 cannot arrive: node n4 is offline', ['vm3'], ['n4'], 0),
        { code: 'offline-host', message: 'vm3 runs on offline node n4', vms: ['vm3'], nodes: ['n4'] },
      ],
    ],
    [
      'a boot onto a node whose bootNode has not ended',
      [
        { id: 7, type: 'bootNode', node: 'n4', start: 0, end: 10 },
        { id: 8, type: 'boot', vm: 'vm3', to: 'n4', start: 5, end: 11 },
      ],
      targetFrom(inst, { vm3: ['running', 'n4'] }, { n4: 'online' }),
      [ill(8, 'action 8 (boot vm3 on n4) at t=5: vm3 cannot arrive: node n4 is offline (its bootNode, action 7, has not ended)', ['vm3'], ['n4'], 5)],
    ],
    [
      'a remote resume whose image is on an offline node',
      [{ id: 0, type: 'resume', vm: 'vm6', from: 'n4', to: 'n1', start: 0, end: 1 }],
      targetFrom(inst, { vm6: ['running', 'n1'] }),
      [ill(0, 'action 0 (resume vm6 n4→n1) at t=0: the image of vm6 cannot be read: node n4 is offline', ['vm6'], ['n4', 'n1'], 0)],
    ],
    [
      'two overlapping actions on one VM',
      [
        { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
        { id: 1, type: 'suspend', vm: 'vm1', from: 'n1', start: 2, end: 3 },
      ],
      targetFrom(inst, { vm1: ['running', 'n3'] }),
      [ill(1, 'action 1 (suspend vm1 on n1) at t=2: vm1 is busy with action 0', ['vm1'], ['n1'], 2)],
    ],
    [
      'node actions on a node in the wrong state or busy',
      [
        { id: 0, type: 'bootNode', node: 'n1', start: 0, end: 4 },
        { id: 1, type: 'shutdownNode', node: 'n4', start: 0, end: 4 },
        { id: 2, type: 'bootNode', node: 'n4', start: 1, end: 4 },
        { id: 3, type: 'bootNode', node: 'n4', start: 2, end: 5 },
      ],
      targetFrom(inst, {}, { n4: 'online' }),
      [
        ill(0, 'action 0 (bootNode n1) at t=0: node n1 is already online', undefined, ['n1'], 0),
        ill(1, 'action 1 (shutdownNode n4) at t=0: node n4 is not online', undefined, ['n4'], 0),
        ill(3, 'action 3 (bootNode n4) at t=2: node n4 is busy with action 2', undefined, ['n4'], 2),
      ],
    ],
    [
      'the shutdown of a node that hosts a VM and the image of a remote resume',
      [
        { id: 0, type: 'resume', vm: 'vm4', from: 'n3', to: 'n1', start: 0, end: 10 },
        { id: 1, type: 'shutdownNode', node: 'n1', start: 1, end: 30 },
        { id: 2, type: 'shutdownNode', node: 'n3', start: 1, end: 30 },
      ],
      targetFrom(inst, { vm4: ['running', 'n1'] }),
      [
        ill(1, 'action 1 (shutdownNode n1) at t=1: node n1 still hosts vm1, vm4', undefined, ['n1'], 1),
        ill(2, 'action 2 (shutdownNode n3) at t=1: node n3 still hosts vm4', undefined, ['n3'], 1),
      ],
    ],
  ])('%s', (_name, actions, target, expected) => {
    expect(run(actions, target)).toEqual(expected);
  });
});

describe('verifyPlan messages: after, capacity, limits', () => {
  it('names an after not respected, an unknown predecessor, a cycle and a self-reference', () => {
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'boot', vm: 'vm3', to: 'n3', start: 3, end: 5, after: [0, 42] },
      { id: 2, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: 6, end: 6, after: [3] },
      { id: 3, type: 'bootNode', node: 'n4', start: 6, end: 6, after: [2] },
      { id: 4, type: 'shutdownNode', node: 'n4', start: 7, end: 7, after: [4, 3] },
    ];
    const target = targetFrom(inst, { vm1: ['running', 'n3'], vm3: ['running', 'n3'], vm4: ['running', 'n3'] });
    expect(run(actions, target)).toEqual([
      { code: 'after', message: 'action 1 (boot vm3 on n3) at t=3: starts before action 0, which it is after, ends (t=4)', vms: ['vm3'], nodes: ['n3'], action: 1, time: 3 },
      { code: 'after', message: 'action 1 (boot vm3 on n3) at t=3: after names unknown action 42', vms: ['vm3'], nodes: ['n3'], action: 1, time: 3 },
      { code: 'after', message: 'after forms a cycle through actions 2, 3', action: 2 },
      { code: 'after', message: 'action 4 (shutdownNode n4): after names the action itself', action: 4 },
    ]);
  });

  it('names the node, resource, load, capacity and the action that brought the load', () => {
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 1.5, end: 4 }];
    expect(run(actions, targetFrom(inst, { vm1: ['running', 'n2'] }))).toEqual([
      {
        code: 'capacity',
        message: 'node n2 at t=1.5: cpu load 9 exceeds capacity 8, brought by action 0 (migrate vm1 n1→n2)',
        nodes: ['n2'],
        vms: ['vm1'],
        action: 0,
        time: 1.5,
      },
    ]);
    // An overload present from the start and never shed is reported once, by the end-state check,
    // which names no action and no time.
    const over = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 2 } }],
      vms: [{ id: 'a', demand: { cpu: 3 }, state: 'running', host: 'n1' }],
    });
    expect(verifyPlan(over, mkPlan(over, [], targetFrom(over))).violations).toEqual([
      { code: 'capacity', message: 'n1: cpu load 3 exceeds capacity 2 (a)', vms: ['a'], nodes: ['n1'] },
    ]);
  });

  it('names the migrations in flight beyond maxMigrationsPerNode and maxParallelMigrations, once per episode', () => {
    const limited = cluster({ maxMigrationsPerNode: 1, maxParallelMigrations: 1 }, 16);
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n3', start: 1, end: 3 },
    ];
    const target = targetFrom(limited, { vm1: ['running', 'n3'], vm2: ['running', 'n3'] });
    expect(run(actions, target, limited)).toEqual([
      {
        code: 'limit',
        message: 'node n3 at t=1: 2 migrations in flight (actions 0, 1), more than maxMigrationsPerNode 1',
        nodes: ['n3'],
        vms: ['vm1', 'vm2'],
        action: 1,
        time: 1,
      },
      {
        code: 'limit',
        message: 'at t=1: 2 migrations in flight (actions 0, 1), more than maxParallelMigrations 1',
        vms: ['vm1', 'vm2'],
        action: 1,
        time: 1,
      },
    ]);
  });
});

describe('verifyPlan messages: target, stats, infeasible plans', () => {
  it('names every way the target differs from the end state', () => {
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 2 }];
    const t = targetFrom(inst, { vm1: ['running', 'n2'] });
    const { vm3: _w, ...vms } = t.vms;
    const { n3: _n, ...nodes } = t.nodes;
    const target = {
      vms: { ...vms, vm2: { state: 'sleeping', host: 'n2' }, vm4: 7, vm6: { state: 'waiting', host: 'n4' }, ghost: { state: 'waiting' } },
      nodes: { ...nodes, n4: 'online', n9: 'offline' },
    } as unknown as PlanTarget;
    expect(run(actions, target).filter((x) => x.code === 'target-mismatch')).toEqual([
      { code: 'target-mismatch', message: 'vm1 ends running on n3 but the target says running on n2', vms: ['vm1'], nodes: ['n3', 'n2'] },
      { code: 'target-mismatch', message: 'vm2 ends running on n2 but the target says sleeping on n2', vms: ['vm2'], nodes: ['n2', 'n2'] },
      { code: 'target-mismatch', message: 'the target omits VM vm3 (it ends waiting)', vms: ['vm3'] },
      { code: 'target-mismatch', message: "the target's entry for VM vm4 is not a placement", vms: ['vm4'] },
      { code: 'target-mismatch', message: 'vm6 ends sleeping on n4 but the target says waiting on n4', vms: ['vm6'], nodes: ['n4', 'n4'] },
      { code: 'target-mismatch', message: 'the target lists unknown VM ghost', vms: ['ghost'] },
      { code: 'target-mismatch', message: 'the target omits node n3 (it ends online)', nodes: ['n3'] },
      { code: 'target-mismatch', message: 'node n4 ends offline but the target says online', nodes: ['n4'] },
      { code: 'target-mismatch', message: 'the target lists unknown node n9', nodes: ['n9'] },
    ]);
    const hosted = { ...t, vms: { ...t.vms, vm1: { state: 'running', host: 'n3' }, vm3: { state: 'waiting', host: 'n1' } } } as unknown as PlanTarget;
    expect(run(actions, hosted)).toEqual([
      { code: 'target-mismatch', message: 'the target gives waiting VM vm3 a host (n1)', vms: ['vm3'], nodes: ['n1'] },
    ]);
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n3'] }));
    expect(verifyPlan(inst, { ...plan, target: undefined } as unknown as FeasiblePlan).violations).toEqual([
      { code: 'target-mismatch', message: 'the plan has no target' },
    ]);
    expect(verifyPlan(inst, { ...plan, target: { vms: null, nodes: null } } as unknown as FeasiblePlan).violations.map((x) => x.message)).toEqual([
      'the target omits VM vm1 (it ends running)',
      'the target omits VM vm2 (it ends running)',
      'the target omits VM vm3 (it ends waiting)',
      'the target omits VM vm4 (it ends sleeping)',
      'the target omits VM vm6 (it ends sleeping)',
      'the target omits node n1 (it ends online)',
      'the target omits node n2 (it ends online)',
      'the target omits node n3 (it ends online)',
      'the target omits node n4 (it ends offline)',
    ]);
  });

  it('names each stats field that disagrees with the plan', () => {
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 2, end: 4 },
      { id: 1, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: 1, end: 3 },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n3'], vm4: ['running', 'n3'] }));
    expect(plan.stats).toMatchObject({ migrations: 1, migratedMemory: 2048, makespan: 3, nodesUsed: 2 });
    expect(verifyPlan(inst, plan).violations).toEqual([]);
    const bad = { ...plan, stats: { nodesUsed: 3, lowerBound: 4, migrations: 2, migratedMemory: 2049, makespan: 4, solveMs: -1, planMs: Number.NaN } };
    expect(verifyPlan(inst, bad).violations).toEqual([
      { code: 'stats', message: 'stats.migrations is 2 but the plan gives 1' },
      { code: 'stats', message: 'stats.migratedMemory is 2049 but the plan gives 2048' },
      { code: 'stats', message: 'stats.makespan is 4 but the plan gives 3' },
      { code: 'stats', message: 'stats.nodesUsed is 3 but the plan gives 2' },
      { code: 'stats', message: 'stats.lowerBound 4 exceeds the 2 nodes the target uses' },
      { code: 'stats', message: 'stats.solveMs is -1, not a duration' },
      { code: 'stats', message: 'stats.planMs is NaN, not a duration' },
    ]);
    // Within the relative tolerance 1e-6, and at the bound, the same fields are fine.
    const close = { ...plan, stats: { ...plan.stats, lowerBound: 2, migratedMemory: 2048 * (1 + 5e-7), makespan: 3 * (1 - 5e-7), solveMs: 0, planMs: Infinity } };
    expect(verifyPlan(inst, close).violations).toEqual([{ code: 'stats', message: 'stats.planMs is Infinity, not a duration' }]);
    const far = { ...plan, stats: { ...plan.stats, migratedMemory: 2048 * (1 + 2e-6), makespan: 3 * (1 - 2e-6) } };
    expect(verifyPlan(inst, far).violations.map((x) => x.message)).toEqual([
      `stats.migratedMemory is ${2048 * (1 + 2e-6)} but the plan gives 2048`,
      `stats.makespan is ${3 * (1 - 2e-6)} but the plan gives 3`,
    ]);
    const none = { ...plan, stats: undefined } as unknown as FeasiblePlan;
    expect(verifyPlan(inst, none).violations).toEqual([{ code: 'stats', message: 'the plan has no stats' }]);
    const strings = { ...plan, stats: { ...plan.stats, migratedMemory: '2048', makespan: '3', lowerBound: '0' } } as unknown as FeasiblePlan;
    expect(verifyPlan(inst, strings).violations.map((x) => x.message)).toEqual([
      'stats.migratedMemory is 2048 but the plan gives 2048',
      'stats.makespan is 3 but the plan gives 3',
      'stats.lowerBound 0 exceeds the 2 nodes the target uses',
    ]);
  });

  it('counts as used only the online nodes the target runs VMs on, and the empty plan has makespan 0', () => {
    const plan = mkPlan(inst, [], targetFrom(inst));
    expect(plan.stats).toMatchObject({ makespan: 0, nodesUsed: 2 });
    expect(verifyPlan(inst, plan).violations).toEqual([]);
    expect(verifyPlan(inst, { ...plan, stats: { ...plan.stats, makespan: 1 } }).violations).toEqual([
      { code: 'stats', message: 'stats.makespan is 1 but the plan gives 0' },
    ]);
  });

  it('names an infeasible plan that carries actions or gives no reasons', () => {
    const action: Action = { id: 0, type: 'bootNode', node: 'n4', start: 0, end: 1 };
    expect(verifyPlan(inst, { version: 1, status: 'infeasible', actions: [action], reasons: [] } as unknown as FeasiblePlan).violations).toEqual([
      { code: 'infeasible', message: 'an infeasible plan carries 1 actions' },
      { code: 'infeasible', message: 'an infeasible plan gives no reasons' },
    ]);
    expect(verifyPlan(inst, { version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'no room' }] })).toEqual({ ok: true, violations: [] });
    const noList = { version: 1, status: 'infeasible', actions: 'none', reasons: 'none' } as unknown as FeasiblePlan;
    expect(verifyPlan(inst, noList).violations).toEqual([{ code: 'infeasible', message: 'an infeasible plan gives no reasons' }]);
  });
});

describe('verifyPlan edge cases at the boundaries of its checks', () => {
  it('ignores a stray vm field on a node action', () => {
    const actions = [{ id: 0, type: 'bootNode', node: 'n4', vm: 'ghost', start: 0, end: 1 }] as unknown as Action[];
    expect(run(actions, targetFrom(inst, {}, { n4: 'online' }))).toEqual([]);
    const off = [{ id: 0, type: 'shutdownNode', node: 'n3', vm: 'ghost', start: 0, end: 1 }] as unknown as Action[];
    expect(run(off, targetFrom(inst, {}, { n3: 'offline' }))).toEqual([]);
  });

  it('accepts a load exactly at capacity plus the tolerance (1e-9 of it), not above', () => {
    const cap = 1000;
    const at = (demand: number) => {
      const i = makeInstance({
        nodes: [
          { id: 'n1', capacity: { cpu: cap } },
          { id: 'n2', capacity: { cpu: 2 * cap } },
        ],
        vms: [{ id: 'v', demand: { cpu: demand }, state: 'running', host: 'n2' }],
      });
      const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'v', from: 'n2', to: 'n1', start: 0, end: 1 }];
      return verifyPlan(i, mkPlan(i, actions, targetFrom(i, { v: ['running', 'n1'] }))).violations;
    };
    const edge = cap + 1e-9 * cap;
    expect(at(edge)).toEqual([]);
    expect(at(edge + 1e-6).map((x) => x.code)).toEqual(['capacity']);
  });

  it('does not replay an action naming an unknown node (one violation, not a cascade)', () => {
    const actions: Action[] = [{ id: 7, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n8', start: 0, end: 1 }];
    expect(run(actions, targetFrom(inst))).toEqual([ill(7, 'action 7 (migrate vm1 n1→n8) at t=0: unknown node n8', ['vm1'], ['n1', 'n8'], 0)]);
  });

  it('reports an action after itself as a cycle only, even when it takes time', () => {
    const actions: Action[] = [{ id: 4, type: 'bootNode', node: 'n4', start: 0, end: 5, after: [4] }];
    expect(run(actions, targetFrom(inst, {}, { n4: 'online' }))).toEqual([
      { code: 'after', message: 'action 4 (bootNode n4): after names the action itself', action: 4 },
    ]);
  });

  it('checks after only between finite times, and allows a start within the time slack of the end it follows', () => {
    const early = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'boot', vm: 'vm3', to: 'n3', start: -Infinity, end: 5, after: [0] },
    ] as Action[];
    expect(run(early, targetFrom(inst, { vm1: ['running', 'n3'] })).map((x) => x.message)).toEqual([
      'action 1 (boot vm3 on n3): start -Infinity and end 5 must be finite numbers',
    ]);
    const slack = 4 - 4 * 1e-9;
    const touching: Action[] = [early[0]!, { id: 1, type: 'boot', vm: 'vm3', to: 'n3', start: slack, end: 5, after: [0] }];
    expect(run(touching, targetFrom(inst, { vm1: ['running', 'n3'], vm3: ['running', 'n3'] }))).toEqual([]);
  });

  it('does not call a shutdown lost when a terminated constraint asks for it', () => {
    const i = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 4 } }],
      vms: [{ id: 'v', demand: { cpu: 1 }, state: 'running', host: 'n1' }],
      constraints: [{ type: 'terminated', vms: ['v'] }],
    });
    const actions: Action[] = [{ id: 0, type: 'shutdown', vm: 'v', from: 'n1', start: 0, end: 1 }];
    expect(verifyPlan(i, mkPlan(i, actions, targetFrom(i, { v: ['terminated'] }))).violations).toEqual([]);
  });
});

describe('verifyPlan limits and overloads on several nodes at one instant', () => {
  const three = (limits: Limits) =>
    makeInstance({
      nodes: ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, capacity: { cpu: 16, memory: 8192 } })),
      vms: ['a', 'b', 'c'].map((id, k) => ({ id, demand: { cpu: 1, memory: 1 }, state: 'running' as const, host: `n${k + 1}` })),
      limits,
    });

  it('names only the migrations on the node beyond maxMigrationsPerNode, once per episode', () => {
    const i = makeInstance({
      nodes: ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => ({ id, capacity: { cpu: 16, memory: 8192 } })),
      vms: [
        ...['a', 'b', 'c'].map((id, k) => ({ id, demand: { cpu: 1, memory: 1 }, state: 'running' as const, host: `n${k + 1}` })),
        { id: 'w', demand: { cpu: 1, memory: 1 }, state: 'waiting' as const },
      ],
      limits: { maxMigrationsPerNode: 1, maxParallelMigrations: 10 },
    });
    // Two migrations onto n4 from t=1 to t=3, c moving elsewhere meanwhile, and a boot onto n4
    // at t=2 while the episode is still open.
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n4', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'b', from: 'n2', to: 'n4', start: 1, end: 3 },
      { id: 2, type: 'migrate', vm: 'c', from: 'n3', to: 'n5', start: 1, end: 5 },
      { id: 3, type: 'boot', vm: 'w', to: 'n4', start: 2, end: 3 },
    ];
    const target = targetFrom(i, { a: ['running', 'n4'], b: ['running', 'n4'], c: ['running', 'n5'], w: ['running', 'n4'] });
    expect(verifyPlan(i, mkPlan(i, actions, target)).violations).toEqual([
      {
        code: 'limit',
        message: 'node n4 at t=1: 2 migrations in flight (actions 0, 1), more than maxMigrationsPerNode 1',
        nodes: ['n4'],
        vms: ['a', 'b'],
        action: 1,
        time: 1,
      },
    ]);
  });

  it('reports a global limit episode once, naming the migration that started last (even at position 0)', () => {
    const i = three({ maxParallelMigrations: 1 });
    const actions: Action[] = [
      { id: 5, type: 'migrate', vm: 'b', from: 'n2', to: 'n4', start: 1, end: 6 },
      { id: 1, type: 'migrate', vm: 'a', from: 'n1', to: 'n4', start: 0, end: 6 },
      { id: 2, type: 'migrate', vm: 'c', from: 'n3', to: 'n2', start: 2, end: 2 },
    ];
    const target = targetFrom(i, { a: ['running', 'n4'], b: ['running', 'n4'], c: ['running', 'n2'] });
    expect(verifyPlan(i, mkPlan(i, actions, target)).violations).toEqual([
      {
        code: 'limit',
        message: 'at t=1: 2 migrations in flight (actions 1, 5), more than maxParallelMigrations 1',
        vms: ['a', 'b'],
        action: 5,
        time: 1,
      },
    ]);
  });

  it('names the overloaded node when another node is touched first at the same instant', () => {
    const i = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 4 } },
        { id: 'n2', capacity: { cpu: 4 } },
      ],
      vms: [
        { id: 'small', demand: { cpu: 1 }, state: 'waiting' },
        { id: 'big', demand: { cpu: 5 }, state: 'waiting' },
      ],
    });
    const actions: Action[] = [
      { id: 0, type: 'boot', vm: 'small', to: 'n1', start: 0, end: 1 },
      { id: 1, type: 'boot', vm: 'big', to: 'n2', start: 0, end: 1 },
    ];
    const vs = verifyPlan(i, mkPlan(i, actions, targetFrom(i, { small: ['running', 'n1'], big: ['running', 'n2'] }))).violations;
    expect(vs).toEqual([
      { code: 'capacity', message: 'node n2 at t=0: cpu load 5 exceeds capacity 4, brought by action 1 (boot big on n2)', nodes: ['n2'], vms: ['big'], action: 1, time: 0 },
    ]);
  });
});

/** Nodes n1..n3 (8 cpu, 8192 MiB) online, n4 offline; the given VMs and constraints. */
function small(vms: Parameters<typeof makeInstance>[0]['vms'], constraints: Parameters<typeof makeInstance>[0]['constraints'] = [], limits?: Limits) {
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 8, memory: 8192 } },
      { id: 'n2', capacity: { cpu: 8, memory: 8192 } },
      { id: 'n3', capacity: { cpu: 8, memory: 8192 } },
      { id: 'n4', capacity: { cpu: 8, memory: 8192 }, state: 'offline' },
    ],
    vms,
    ...(constraints ? { constraints } : {}),
    ...(limits ? { limits } : {}),
  });
}
const R1 = { cpu: 1, memory: 1024 };

describe('verifyPlan continuous spread: occupancy, tolerance of the source, the action named', () => {
  it('watches a member that never moves, and names the action at the second instant', () => {
    // vm a stays on n1; b arrives at t=1 (the second instant, after an unrelated boot's end).
    const i = small(
      [
        { id: 'a', demand: R1, state: 'running', host: 'n1' },
        { id: 'b', demand: R1, state: 'running', host: 'n2' },
        { id: 'c', demand: R1, state: 'waiting' },
      ],
      [{ type: 'spread', vms: ['a', 'b'] }],
    );
    const actions: Action[] = [
      { id: 7, type: 'boot', vm: 'c', to: 'n3', start: 0, end: 1 },
      { id: 8, type: 'migrate', vm: 'b', from: 'n2', to: 'n1', start: 1, end: 2 },
    ];
    const vs = verifyPlan(i, mkPlan(i, actions, targetFrom(i, { b: ['running', 'n1'], c: ['running', 'n3'] }))).violations;
    expect(vs.filter((x) => x.time !== undefined)).toEqual([
      { code: 'constraint:spread', constraint: 0, message: expect.any(String), vms: ['a', 'b'], nodes: ['n1'], time: 1, action: 8 },
    ]);
  });

  it('does not count a sleeping or terminated member as occupying its node', () => {
    const i = small(
      [
        { id: 'a', demand: R1, state: 'running', host: 'n1' },
        { id: 'b', demand: R1, state: 'running', host: 'n2' },
        { id: 'z', demand: R1, state: 'sleeping', host: 'n3' },
      ],
      [{ type: 'spread', vms: ['a', 'b', 'z'] }],
    );
    const actions: Action[] = [
      { id: 0, type: 'suspend', vm: 'b', from: 'n2', start: 0, end: 1 },
      { id: 1, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 1, end: 2 },
      { id: 2, type: 'migrate', vm: 'a', from: 'n2', to: 'n3', start: 2, end: 3 },
    ];
    expect(verifyPlan(i, mkPlan(i, actions, targetFrom(i, { a: ['running', 'n3'], b: ['sleeping', 'n2'] }))).violations).toEqual([]);
  });

  it('names the member that changed last at the instant, wherever it is in the list', () => {
    const build = (vms: string[]) => {
      const i = small(
        [
          { id: 'a', demand: R1, state: 'running', host: 'n1' },
          { id: 'b', demand: R1, state: 'running', host: 'n2' },
        ],
        [{ type: 'spread', vms }],
      );
      // Both start at t=0: b's migration (id 0) first, then a's (id 1).
      const actions: Action[] = [
        { id: 0, type: 'migrate', vm: 'b', from: 'n2', to: 'n3', start: 0, end: 2 },
        { id: 1, type: 'migrate', vm: 'a', from: 'n1', to: 'n3', start: 0, end: 2 },
      ];
      return verifyPlan(i, mkPlan(i, actions, targetFrom(i, { a: ['running', 'n3'], b: ['running', 'n3'] }))).violations.filter((x) => x.time !== undefined);
    };
    expect(build(['a', 'b'])).toEqual([{ code: 'constraint:spread', constraint: 0, message: expect.any(String), vms: ['a', 'b'], nodes: ['n3'], time: 0, action: 1 }]);
    expect(build(['b', 'a'])).toEqual([{ code: 'constraint:spread', constraint: 0, message: expect.any(String), vms: ['b', 'a'], nodes: ['n3'], time: 0, action: 1 }]);
  });

  it('reports each constraint, each node and each new member of a violation once, tolerating only the source violation', () => {
    // a and b share n1 at the start (tolerated, and so is any part of it); c joining a there, and
    // a joining b on n2, are new; two identical spread constraints over d and e both report.
    const i = small(
      [
        { id: 'a', demand: R1, state: 'running', host: 'n1' },
        { id: 'b', demand: R1, state: 'running', host: 'n1' },
        { id: 'c', demand: R1, state: 'running', host: 'n3' },
        { id: 'd', demand: R1, state: 'running', host: 'n2' },
        { id: 'e', demand: R1, state: 'running', host: 'n3' },
      ],
      [
        { type: 'spread', vms: ['a', 'b', 'c'] },
        { type: 'spread', vms: ['d', 'e'] },
        { type: 'spread', vms: ['d', 'e'] },
      ],
    );
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'b', from: 'n1', to: 'n2', start: 0, end: 1 },
      { id: 1, type: 'migrate', vm: 'c', from: 'n3', to: 'n1', start: 2, end: 3 },
      { id: 2, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 4, end: 5 },
      { id: 3, type: 'migrate', vm: 'e', from: 'n3', to: 'n1', start: 6, end: 7 },
      { id: 4, type: 'migrate', vm: 'd', from: 'n2', to: 'n1', start: 8, end: 9 },
    ];
    const target = targetFrom(i, { a: ['running', 'n2'], b: ['running', 'n2'], c: ['running', 'n1'], d: ['running', 'n1'], e: ['running', 'n1'] });
    const vs = verifyPlan(i, mkPlan(i, actions, target)).violations.filter((x) => x.time !== undefined);
    expect(vs.map((x) => [x.constraint, x.vms, x.nodes, x.time, x.action])).toEqual([
      [0, ['a', 'c'], ['n1'], 2, 1],
      [0, ['a', 'b'], ['n2'], 4, 2],
      [1, ['d', 'e'], ['n1'], 8, 4],
      [2, ['d', 'e'], ['n1'], 8, 4],
    ]);
  });
});

describe('verifyPlan node actions, occupants and the state each action leaves', () => {
  const i = cluster({ maxMigrationsPerNode: 1, maxParallelMigrations: 5 });
  const only = (actions: readonly Action[], target: PlanTarget) => run(actions, target, i).filter((x) => x.code !== 'lost-vm');

  it('says why a node is offline only when its bootNode is in flight', () => {
    expect(only([{ id: 0, type: 'boot', vm: 'vm3', to: 'n4', start: 0, end: 1 }], targetFrom(i, { vm3: ['running', 'n4'] }))[0]).toEqual(
      ill(0, 'action 0 (boot vm3 on n4) at t=0: vm3 cannot arrive: node n4 is offline', ['vm3'], ['n4'], 0),
    );
    // A local resume on an offline node: the image is on the node it arrives on, so only the arrival is named.
    expect(only([{ id: 0, type: 'resume', vm: 'vm6', from: 'n4', to: 'n4', start: 0, end: 1 }], targetFrom(i, { vm6: ['running', 'n4'] })).filter((x) => x.code === 'illegal-action')).toEqual([
      ill(0, 'action 0 (resume vm6 n4→n4) at t=0: vm6 cannot arrive: node n4 is offline', ['vm6'], ['n4'], 0),
    ]);
  });

  it('names a node busy with the action at position 0, and does not apply a node action refused', () => {
    expect(only([{ id: 0, type: 'bootNode', node: 'n4', start: 0, end: 2 }, { id: 1, type: 'shutdownNode', node: 'n4', start: 1, end: 2 }], targetFrom(i, {}, { n4: 'online' }))).toEqual([
      ill(1, 'action 1 (shutdownNode n4) at t=1: node n4 is busy with action 0', undefined, ['n4'], 1),
      ill(1, 'action 1 (shutdownNode n4) at t=1: node n4 is not online', undefined, ['n4'], 1),
    ]);
    // The bootNode refused while n3 shuts down leaves n3 offline; the shutdownNode refused on an
    // offline node does not make it busy.
    const n3 = targetFrom(i, {}, { n3: 'offline' });
    expect(only([{ id: 0, type: 'shutdownNode', node: 'n3', start: 0, end: 2 }, { id: 1, type: 'bootNode', node: 'n3', start: 1, end: 3 }], n3)).toEqual([
      ill(1, 'action 1 (bootNode n3) at t=1: node n3 is busy with action 0', undefined, ['n3'], 1),
    ]);
    expect(only([{ id: 0, type: 'shutdownNode', node: 'n4', start: 0, end: 2 }, { id: 1, type: 'bootNode', node: 'n4', start: 1, end: 3 }], targetFrom(i, {}, { n4: 'online' }))).toEqual([
      ill(0, 'action 0 (shutdownNode n4) at t=0: node n4 is not online', undefined, ['n4'], 0),
    ]);
    // A shutdownNode that has ended leaves its node free: it may boot again.
    expect(only([{ id: 0, type: 'shutdownNode', node: 'n3', start: 0, end: 1 }, { id: 1, type: 'bootNode', node: 'n3', start: 2, end: 3 }], targetFrom(i))).toEqual([]);
  });

  it('names the VMs still on a node: arriving, running, and those whose image it holds', () => {
    expect(only([{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 2 }, { id: 1, type: 'shutdownNode', node: 'n3', start: 1, end: 1 }], targetFrom(i, { vm1: ['running', 'n3'] }))).toEqual([
      ill(1, 'action 1 (shutdownNode n3) at t=1: node n3 still hosts vm1', undefined, ['n3'], 1),
    ]);
    const actions: Action[] = [
      { id: 0, type: 'resume', vm: 'vm4', from: 'n3', to: 'n1', start: 0, end: 2 },
      { id: 1, type: 'shutdownNode', node: 'n3', start: 1, end: 1 },
      { id: 2, type: 'shutdownNode', node: 'n1', start: 1, end: 1 },
    ];
    expect(only(actions, targetFrom(i, { vm4: ['running', 'n1'] }))).toEqual([
      ill(1, 'action 1 (shutdownNode n3) at t=1: node n3 still hosts vm4', undefined, ['n3'], 1),
      ill(2, 'action 2 (shutdownNode n1) at t=1: node n1 still hosts vm1, vm4', undefined, ['n1'], 1),
    ]);
    // A local resume keeps its VM on the node; once suspended again the node is empty.
    const local = (after: Action[]) => only([{ id: 0, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: 0, end: 1 }, ...after], targetFrom(i, {}, { n3: 'offline' }));
    expect(local([{ id: 1, type: 'shutdownNode', node: 'n3', start: 1, end: 2 }])).toEqual([
      ill(1, 'action 1 (shutdownNode n3) at t=1: node n3 still hosts vm4', undefined, ['n3'], 1),
      { code: 'target-mismatch', message: 'vm4 ends running on n3 but the target says sleeping on n3', vms: ['vm4'], nodes: ['n3', 'n3'] },
      { code: 'target-mismatch', message: 'node n3 ends online but the target says offline', nodes: ['n3'] },
    ]);
    expect(local([
      { id: 1, type: 'suspend', vm: 'vm4', from: 'n3', start: 1, end: 2 },
      { id: 2, type: 'shutdownNode', node: 'n3', start: 2, end: 3 },
    ])).toEqual([]);
  });

  it('refuses a migration to the node the VM is on without counting it twice, and counts migrations out of a node', () => {
    expect(only([{ id: 0, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n2', start: 0, end: 1 }], targetFrom(i))).toEqual([
      ill(0, 'action 0 (migrate vm2 n2→n2) at t=0: vm2 migrates to the node it is on', ['vm2'], ['n2'], 0),
    ]);
    const two = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 8 } },
        { id: 'n2', capacity: { cpu: 8 } },
        { id: 'n3', capacity: { cpu: 8 } },
      ],
      vms: [
        { id: 'a', demand: { cpu: 1 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 1 }, state: 'running', host: 'n1' },
      ],
      limits: { maxMigrationsPerNode: 1, maxParallelMigrations: 5 },
    });
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 2 },
      { id: 1, type: 'migrate', vm: 'b', from: 'n1', to: 'n3', start: 1, end: 3 },
    ];
    expect(verifyPlan(two, mkPlan(two, actions, targetFrom(two, { a: ['running', 'n2'], b: ['running', 'n3'] }))).violations).toEqual([
      { code: 'limit', message: 'node n1 at t=1: 2 migrations in flight (actions 0, 1), more than maxMigrationsPerNode 1', nodes: ['n1'], vms: ['a', 'b'], action: 1, time: 1 },
    ]);
  });

  it('leaves a shut-down VM on no node', () => {
    const actions: Action[] = [
      { id: 0, type: 'shutdown', vm: 'vm1', from: 'n1', start: 0, end: 1 },
      { id: 1, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 1, end: 2 },
    ];
    expect(only(actions, targetFrom(i, { vm1: ['terminated'] }))).toEqual([
      ill(1, 'action 1 (migrate vm1 n1→n3) at t=1: vm1 is terminated, not running', ['vm1'], ['n1', 'n3'], 1),
    ]);
  });

  it('reports the first global limit episode of a plan, at its first instant', () => {
    const g = cluster({ maxMigrationsPerNode: 5, maxParallelMigrations: 1 }, 16);
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 1 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n3', start: 0, end: 1 },
    ];
    expect(run(actions, targetFrom(g, { vm1: ['running', 'n3'], vm2: ['running', 'n3'] }), g)).toEqual([
      { code: 'limit', message: 'at t=0: 2 migrations in flight (actions 0, 1), more than maxParallelMigrations 1', vms: ['vm1', 'vm2'], action: 1, time: 0 },
    ]);
  });
});

describe('verifyPlan capacity: the action named, and the end-state check after a mid-plan report', () => {
  /** n1..n3 of 4 cpu / 100 MiB. */
  const nodes = [
    { id: 'n1', capacity: { cpu: 4, memory: 100 } },
    { id: 'n2', capacity: { cpu: 4, memory: 100 } },
    { id: 'n3', capacity: { cpu: 4, memory: 100 } },
  ];

  it('names the arrival that raised the resource, not a later one with no demand of it, nor a departure', () => {
    const i = makeInstance({
      nodes,
      vms: [
        { id: 'p', demand: { cpu: 3, memory: 0 }, state: 'running', host: 'n1' },
        { id: 'm', demand: { cpu: 1, memory: 10 }, state: 'running', host: 'n1' },
        { id: 'q', demand: { cpu: 3, memory: 10 }, state: 'waiting' },
        { id: 'z', demand: { cpu: 0, memory: 10 }, state: 'waiting' },
      ],
    });
    const actions: Action[] = [
      { id: 0, type: 'boot', vm: 'q', to: 'n1', start: 0, end: 1 },
      { id: 1, type: 'boot', vm: 'z', to: 'n1', start: 0, end: 1 },
      { id: 2, type: 'migrate', vm: 'm', from: 'n1', to: 'n2', start: 0, end: 0 },
    ];
    const vs = verifyPlan(i, mkPlan(i, actions, targetFrom(i, { q: ['running', 'n1'], z: ['running', 'n1'], m: ['running', 'n2'] }))).violations;
    expect(vs[0]).toEqual({
      code: 'capacity',
      message: 'node n1 at t=0: cpu load 6 exceeds capacity 4, brought by action 0 (boot q on n1)',
      nodes: ['n1'],
      vms: ['q'],
      action: 0,
      time: 0,
    });
  });

  it('does not repeat at the end an overload reported mid-plan, unless another resource of the node was over from the start', () => {
    const i = makeInstance({
      nodes,
      vms: [
        { id: 'p', demand: { cpu: 3, memory: 10 }, state: 'running', host: 'n1' },
        { id: 'q', demand: { cpu: 3, memory: 10 }, state: 'waiting' },
        { id: 'r', demand: { cpu: 5, memory: 10 }, state: 'running', host: 'n2' },
        { id: 's', demand: { cpu: 1, memory: 200 }, state: 'running', host: 'n3' },
        { id: 't', demand: { cpu: 5, memory: 0 }, state: 'waiting' },
      ],
    });
    const actions: Action[] = [
      { id: 0, type: 'boot', vm: 'q', to: 'n1', start: 0, end: 1 },
      { id: 1, type: 'boot', vm: 't', to: 'n3', start: 0, end: 1 },
    ];
    expect(verifyPlan(i, mkPlan(i, actions, targetFrom(i, { q: ['running', 'n1'], t: ['running', 'n3'] }))).violations).toEqual([
      { code: 'capacity', message: 'node n1 at t=0: cpu load 6 exceeds capacity 4, brought by action 0 (boot q on n1)', nodes: ['n1'], vms: ['q'], action: 0, time: 0 },
      { code: 'capacity', message: 'node n3 at t=0: cpu load 6 exceeds capacity 4, brought by action 1 (boot t on n3)', nodes: ['n3'], vms: ['t'], action: 1, time: 0 },
      { code: 'capacity', message: 'n2: cpu load 5 exceeds capacity 4 (r)', vms: ['r'], nodes: ['n2'] },
      { code: 'capacity', message: 'n3: cpu load 6 exceeds capacity 4 (s and t)', vms: ['s', 't'], nodes: ['n3'] },
      { code: 'capacity', message: 'n3: memory load 200 exceeds capacity 100 (s and t)', vms: ['s', 't'], nodes: ['n3'] },
    ]);
  });
});

describe('verifyPlan target and stats of the wrong shape', () => {
  const plan = mkPlan(inst, [], targetFrom(inst));

  it('names a target or stats that are null or not objects', () => {
    for (const target of [null, 'none']) {
      expect(verifyPlan(inst, { ...plan, target } as unknown as FeasiblePlan).violations).toEqual([
        { code: 'target-mismatch', message: 'the plan has no target' },
      ]);
    }
    for (const stats of [null, 5]) {
      expect(verifyPlan(inst, { ...plan, stats } as unknown as FeasiblePlan).violations).toEqual([{ code: 'stats', message: 'the plan has no stats' }]);
    }
  });

  it('names a target entry that is not a placement, a wrong host and a host missing', () => {
    const target = targetFrom(inst, { vm2: ['running', 'n3'], vm1: ['running', 'n1'] }) as { vms: Record<string, unknown>; nodes: Record<string, string> };
    target.vms['vm1'] = null;
    target.vms['vm3'] = undefined;
    const t2 = { ...target, vms: { ...target.vms, vm4: { state: 'running', host: 'n3' } } } as unknown as PlanTarget;
    const vs = verifyPlan(inst, { ...mkPlan(inst, [], targetFrom(inst)), target: t2 }).violations.filter((x) => x.code === 'target-mismatch');
    expect(vs).toEqual([
      { code: 'target-mismatch', message: "the target's entry for VM vm1 is not a placement", vms: ['vm1'] },
      { code: 'target-mismatch', message: 'vm2 ends running on n2 but the target says running on n3', vms: ['vm2'], nodes: ['n2', 'n3'] },
      { code: 'target-mismatch', message: "the target's entry for VM vm3 is not a placement", vms: ['vm3'] },
      { code: 'target-mismatch', message: 'vm4 ends sleeping on n3 but the target says running on n3', vms: ['vm4'], nodes: ['n3', 'n3'] },
    ]);
    const t3 = targetFrom(inst, { vm3: ['running', 'n3'] });
    expect(verifyPlan(inst, mkPlan(inst, [], t3)).violations.filter((x) => x.code === 'target-mismatch')).toEqual([
      { code: 'target-mismatch', message: 'vm3 ends waiting but the target says running on n3', vms: ['vm3'], nodes: ['n3'] },
    ]);
  });

  it('does not check the makespan of a plan with a time that is not finite, and an infeasible plan with a violation is not ok', () => {
    const actions = [{ id: 0, type: 'boot', vm: 'vm3', to: 'n3', start: 0, end: Number.NaN }] as Action[];
    expect(verifyPlan(inst, { ...mkPlan(inst, [], targetFrom(inst)), actions }).violations.filter((x) => x.code === 'stats')).toEqual([]);
    expect(verifyPlan(inst, { version: 1, status: 'infeasible', actions: [], reasons: [] } as unknown as FeasiblePlan).ok).toBe(false);
  });
});

describe('verifyPlan tolerates only parts of the source violations', () => {
  it('reports a VM banned at the start moving to another banned node, for each ban', () => {
    const i = small(
      [
        { id: 'a', demand: R1, state: 'running', host: 'n1' },
        { id: 'b', demand: R1, state: 'running', host: 'n2' },
      ],
      [
        { type: 'ban', vms: ['a', 'b'], nodes: ['n1', 'n2'], continuous: true },
        { type: 'ban', vms: ['b'], nodes: ['n1'], continuous: true },
      ],
    );
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'b', from: 'n2', to: 'n1', start: 0, end: 1 }];
    const vs = verifyPlan(i, mkPlan(i, actions, targetFrom(i, { b: ['running', 'n1'] }))).violations.filter((x) => x.time !== undefined);
    // b on n2 at the start breaks the first ban (tolerated); b on n1 is new for both bans.
    expect(vs.map((x) => [x.code, x.constraint, x.vms, x.nodes, x.time, x.action])).toEqual([
      ['constraint:ban', 0, ['b'], ['n1'], 0, 0],
      ['constraint:ban', 1, ['b'], ['n1'], 0, 0],
    ]);
  });
});

describe('verifyPlan node actions in flight', () => {
  const i = cluster();

  it('keeps a node busy only with a node action it applied, and names a shutdownNode in flight as no bootNode', () => {
    // bootNode of an online node is refused: it does not make n3 busy for the shutdownNode.
    expect(run([{ id: 0, type: 'bootNode', node: 'n3', start: 0, end: 2 }, { id: 1, type: 'shutdownNode', node: 'n3', start: 1, end: 2 }], targetFrom(i, {}, { n3: 'offline' }))).toEqual([
      ill(0, 'action 0 (bootNode n3) at t=0: node n3 is already online', undefined, ['n3'], 0),
    ]);
    const actions: Action[] = [
      { id: 0, type: 'shutdownNode', node: 'n3', start: 0, end: 2 },
      { id: 1, type: 'boot', vm: 'vm3', to: 'n3', start: 1, end: 2 },
    ];
    expect(run(actions, targetFrom(i, {}, { n3: 'offline' })).filter((x) => x.code === 'illegal-action')).toEqual([
      ill(1, 'action 1 (boot vm3 on n3) at t=1: vm3 cannot arrive: node n3 is offline', ['vm3'], ['n3'], 1),
    ]);
  });

  it('counts a booting VM on its node, and names only the VMs on the node', () => {
    const actions: Action[] = [
      { id: 0, type: 'boot', vm: 'vm3', to: 'n3', start: 0, end: 2 },
      { id: 1, type: 'suspend', vm: 'vm2', from: 'n2', start: 0, end: 2 },
      { id: 2, type: 'shutdownNode', node: 'n3', start: 1, end: 1 },
    ];
    expect(run(actions, targetFrom(i, { vm3: ['running', 'n3'], vm2: ['sleeping', 'n2'] }))).toEqual([
      ill(2, 'action 2 (shutdownNode n3) at t=1: node n3 still hosts vm3', undefined, ['n3'], 1),
    ]);
    // A VM resuming elsewhere is not on the node.
    const resuming: Action[] = [
      { id: 0, type: 'resume', vm: 'vm4', from: 'n3', to: 'n1', start: 0, end: 2 },
      { id: 1, type: 'shutdownNode', node: 'n2', start: 1, end: 1 },
    ];
    expect(run(resuming, targetFrom(i, { vm4: ['running', 'n1'] }))).toEqual([
      ill(1, 'action 1 (shutdownNode n2) at t=1: node n2 still hosts vm2', undefined, ['n2'], 1),
    ]);
  });
});

describe('verifyPlan tolerates a source violation only on its own nodes', () => {
  it('reports a continuous among already broken at the start when it spreads to another node', () => {
    const i = small(
      [
        { id: 'a', demand: R1, state: 'running', host: 'n1' },
        { id: 'b', demand: R1, state: 'running', host: 'n2' },
      ],
      [{ type: 'among', vms: ['a', 'b'], groups: [['n1'], ['n2'], ['n3']], continuous: true }],
    );
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'b', from: 'n2', to: 'n3', start: 0, end: 1 }];
    const vs = verifyPlan(i, mkPlan(i, actions, targetFrom(i, { b: ['running', 'n3'] }))).violations.filter((x) => x.time !== undefined);
    // a on n1 and b on n2 is the source violation (tolerated); b passing through n3 and ending there is not.
    expect(vs.map((x) => [x.code, x.vms, x.nodes, x.time, x.action])).toEqual([
      ['constraint:among', ['a', 'b'], ['n1', 'n2', 'n3'], 0, 0],
      ['constraint:among', ['a', 'b'], ['n1', 'n3'], 1, 0],
    ]);
  });
});
