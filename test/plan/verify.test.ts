import { describe, expect, it } from 'vitest';
import type { Violation } from '../../src/constraints/spec.js';
import type { Constraint } from '../../src/model/constraints.js';
import { makeInstance, sourceConfiguration, type InstanceInit } from '../../src/model/instance.js';
import type { Limits } from '../../src/model/objective.js';
import { applyActions } from '../../src/plan/replay.js';
import type { FeasiblePlan, Plan } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { mkPlan, targetFrom } from './verify-support.js';

const G = 1024;

/** Three nodes of 4 cpu / 4 GiB; vm1 fills n1, vm2 fills n2, n3 is empty. */
function fullPair(extra: Partial<InstanceInit> = {}) {
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 4, memory: 4 * G } },
      { id: 'n2', capacity: { cpu: 4, memory: 4 * G } },
      { id: 'n3', capacity: { cpu: 4, memory: 4 * G } },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 4, memory: 4 * G }, state: 'running', host: 'n1' },
      { id: 'vm2', demand: { cpu: 4, memory: 4 * G }, state: 'running', host: 'n2' },
    ],
    ...extra,
  });
}

/** Four roomy nodes (8 cpu / 8 GiB, n4 offline) and small VMs in every state. */
function roomy(constraints: Constraint[] = [], limits?: Limits) {
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 8, memory: 8 * G } },
      { id: 'n2', capacity: { cpu: 8, memory: 8 * G } },
      { id: 'n3', capacity: { cpu: 8, memory: 8 * G } },
      { id: 'n4', capacity: { cpu: 8, memory: 8 * G }, state: 'offline' },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 2, memory: 2 * G }, state: 'running', host: 'n1' },
      { id: 'vm2', demand: { cpu: 2, memory: 2 * G }, state: 'running', host: 'n2' },
      { id: 'vm3', demand: { cpu: 1, memory: G }, state: 'waiting' },
      { id: 'vm4', demand: { cpu: 1, memory: G }, state: 'sleeping', host: 'n3' },
    ],
    constraints,
    ...(limits ? { limits } : {}),
  });
}

const codes = (vs: readonly Violation[]): string[] => [...new Set(vs.map((v) => v.code))].sort();
const withCode = (vs: readonly Violation[], code: string): Violation[] => vs.filter((v) => v.code === code);

describe('verifyPlan: valid hand-written plans', () => {
  it('accepts a swap of two VMs on full nodes through a pivot node', () => {
    const inst = fullPair();
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n1', start: 4, end: 8, after: [0] },
      { id: 2, type: 'migrate', vm: 'vm1', from: 'n3', to: 'n2', start: 8, end: 12, after: [1] },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'], vm2: ['running', 'n1'] }));
    const v = verifyPlan(inst, plan);
    expect(v.violations).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.final?.hostOf('vm1')).toBe('n2');
    expect(v.final?.hostOf('vm2')).toBe('n1');
  });

  it('accepts a consolidation that shuts the emptied node down after the migration', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n1', start: 0, end: 2 },
      { id: 1, type: 'shutdownNode', node: 'n2', start: 2, end: 32, after: [0] },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm2: ['running', 'n1'] }, { n2: 'offline' }));
    expect(verifyPlan(inst, plan).violations).toEqual([]);
  });

  it('accepts a boot on a node once its bootNode has ended', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 7, type: 'bootNode', node: 'n4', start: 0, end: 120 },
      { id: 3, type: 'boot', vm: 'vm3', to: 'n4', start: 120, end: 130, after: [7] },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm3: ['running', 'n4'] }, { n4: 'online' }));
    expect(verifyPlan(inst, plan).violations).toEqual([]);
  });

  it('accepts a suspend followed by a remote resume', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 0, type: 'suspend', vm: 'vm1', from: 'n1', start: 0, end: 5 },
      { id: 1, type: 'resume', vm: 'vm1', from: 'n1', to: 'n2', start: 5, end: 15, after: [0] },
      { id: 2, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: 0, end: 3 },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'], vm4: ['running', 'n3'] }));
    const v = verifyPlan(inst, plan);
    expect(v.violations).toEqual([]);
    expect(v.final?.equals(applyActions(sourceConfiguration(inst), actions))).toBe(true);
  });

  it('accepts the empty plan whose target is the source', () => {
    const inst = roomy();
    expect(verifyPlan(inst, mkPlan(inst, [], targetFrom(inst))).ok).toBe(true);
  });

  it('orders zero-length actions at one instant by after, whatever their ids', () => {
    const inst = fullPair();
    // vm1 leaves n1 instantly (id 9), then vm2 arrives (id 1) at the same instant.
    const actions: Action[] = [
      { id: 9, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 0 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n1', start: 0, end: 3, after: [9] },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n3'], vm2: ['running', 'n1'] }));
    expect(verifyPlan(inst, plan).violations).toEqual([]);
  });

  it('accepts an action starting exactly when the one it follows ends (half-open intervals, 1e-9 slack)', () => {
    const inst = fullPair();
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 0.1 + 0.2 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n1', start: 0.3, end: 1, after: [0] },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n3'], vm2: ['running', 'n1'] }));
    expect(verifyPlan(inst, plan).violations).toEqual([]);
  });

  it('accepts an infeasible plan with reasons and no actions', () => {
    const inst = roomy();
    const plan: Plan = { version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'cpu: not enough' }] };
    const v = verifyPlan(inst, plan);
    expect(v.ok).toBe(true);
    expect(v.final).toBeUndefined();
  });
});

describe('verifyPlan: each violation class', () => {
  it('reports a node overloaded mid-plan (a swap without pivot), naming node, resource, time and action', () => {
    const inst = fullPair();
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n1', start: 0, end: 4 },
    ];
    const plan = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'], vm2: ['running', 'n1'] }));
    const v = verifyPlan(inst, plan);
    expect(v.ok).toBe(false);
    expect(codes(v.violations)).toEqual(['capacity']);
    const cap = withCode(v.violations, 'capacity');
    // One per node and resource (cpu and memory on n1 and n2).
    expect(cap).toHaveLength(4);
    const onN2 = cap.filter((x) => x.nodes?.[0] === 'n2');
    expect(onN2.map((x) => x.action)).toEqual([0, 0]);
    expect(onN2.every((x) => x.time === 0 && x.vms?.[0] === 'vm1')).toBe(true);
    expect(onN2.map((x) => x.message).join(' ')).toMatch(/cpu load 8 exceeds capacity 4/);
    expect(onN2.map((x) => x.message).join(' ')).toMatch(/memory/);
  });

  it('reports a migration to an offline node', () => {
    const inst = roomy();
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n4', start: 0, end: 2 }];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n4'] })));
    const ill = withCode(v.violations, 'illegal-action');
    expect(ill).toHaveLength(1);
    expect(ill[0]).toMatchObject({ action: 0, vms: ['vm1'], time: 0 });
    expect(ill[0]!.message).toMatch(/n4 is offline/);
  });

  it('reports a VM arriving on a node whose bootNode has not ended', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 0, type: 'bootNode', node: 'n4', start: 0, end: 120 },
      { id: 1, type: 'boot', vm: 'vm3', to: 'n4', start: 100, end: 110 },
    ];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm3: ['running', 'n4'] }, { n4: 'online' })));
    expect(codes(v.violations)).toEqual(['illegal-action']);
    expect(v.violations[0]!.message).toMatch(/bootNode, action 0, has not ended/);
  });

  it('reports an action on a VM in the wrong state or on the wrong node', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 0, type: 'suspend', vm: 'vm3', from: 'n1', start: 0, end: 2 },
      { id: 1, type: 'shutdown', vm: 'vm2', from: 'n1', start: 0, end: 2 },
      { id: 2, type: 'resume', vm: 'vm4', from: 'n2', to: 'n2', start: 0, end: 2 },
      { id: 3, type: 'boot', vm: 'vm1', to: 'n2', start: 0, end: 2 },
      { id: 4, type: 'bootNode', node: 'n1', start: 0, end: 2 },
    ];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst)));
    const ill = withCode(v.violations, 'illegal-action');
    expect(ill.map((x) => x.action).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(ill.find((x) => x.action === 0)!.message).toMatch(/vm3 is waiting, not running/);
    expect(ill.find((x) => x.action === 1)!.message).toMatch(/on n2, not on n1/);
    expect(ill.find((x) => x.action === 4)!.message).toMatch(/already online/);
    // Illegal actions change nothing, so the source is still the end state.
    expect(withCode(v.violations, 'target-mismatch')).toEqual([]);
  });

  it('reports a remote resume whose image lies on an offline node', () => {
    const inst = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 4, memory: 4 * G } },
        { id: 'n2', capacity: { cpu: 4, memory: 4 * G }, state: 'offline' },
      ],
      vms: [{ id: 'vm1', demand: { cpu: 1, memory: G }, state: 'sleeping', host: 'n2' }],
    });
    const actions: Action[] = [{ id: 0, type: 'resume', vm: 'vm1', from: 'n2', to: 'n1', start: 0, end: 2 }];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n1'] })));
    expect(codes(v.violations)).toEqual(['illegal-action']);
    expect(v.violations[0]!.message).toMatch(/image of vm1 cannot be read: node n2 is offline/);
  });

  it('reports overlapping actions on one VM and on one node', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 4 },
      { id: 1, type: 'suspend', vm: 'vm1', from: 'n1', start: 1, end: 3 },
      { id: 2, type: 'bootNode', node: 'n4', start: 0, end: 100 },
      { id: 3, type: 'shutdownNode', node: 'n4', start: 50, end: 60 },
    ];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'] }, { n4: 'online' })));
    expect(codes(v.violations)).toEqual(['illegal-action']);
    expect(v.violations.find((x) => x.action === 1)!.message).toMatch(/vm1 is busy with action 0/);
    expect(v.violations.find((x) => x.action === 3)!.message).toMatch(/n4 is busy with action 2/);
  });

  it('reports the shutdown of a node that still hosts a VM, or a migration in flight', () => {
    const inst = roomy();
    const hosting: Action[] = [{ id: 0, type: 'shutdownNode', node: 'n1', start: 0, end: 30 }];
    const v1 = verifyPlan(inst, mkPlan(inst, hosting, targetFrom(inst, {}, { n1: 'offline' })));
    expect(withCode(v1.violations, 'illegal-action')[0]!.message).toMatch(/n1 still hosts vm1/);
    const inFlight: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'shutdownNode', node: 'n1', start: 2, end: 30 },
    ];
    const v2 = verifyPlan(inst, mkPlan(inst, inFlight, targetFrom(inst, { vm1: ['running', 'n3'] }, { n1: 'offline' })));
    expect(withCode(v2.violations, 'illegal-action').map((x) => x.action)).toEqual([1]);
    // Once the migration has ended, the same shutdown is fine.
    const after: Action[] = [inFlight[0]!, { id: 1, type: 'shutdownNode', node: 'n1', start: 4, end: 30, after: [0] }];
    expect(verifyPlan(inst, mkPlan(inst, after, targetFrom(inst, { vm1: ['running', 'n3'] }, { n1: 'offline' }))).ok).toBe(true);
    // A remote resume reads its image from the source node until it ends.
    const reading: Action[] = [
      { id: 0, type: 'resume', vm: 'vm4', from: 'n3', to: 'n1', start: 0, end: 10 },
      { id: 1, type: 'shutdownNode', node: 'n3', start: 5, end: 35 },
    ];
    const v3 = verifyPlan(inst, mkPlan(inst, reading, targetFrom(inst, { vm4: ['running', 'n1'] }, { n3: 'offline' })));
    expect(withCode(v3.violations, 'illegal-action')[0]!.message).toMatch(/n3 still hosts vm4/);
    const afterRead: Action[] = [reading[0]!, { ...reading[1]!, start: 10, end: 40 }];
    expect(verifyPlan(inst, mkPlan(inst, afterRead, targetFrom(inst, { vm4: ['running', 'n1'] }, { n3: 'offline' }))).ok).toBe(true);
  });

  it('reports an after that is not respected, one naming an unknown action, and a cycle', () => {
    const inst = roomy();
    const early: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n3', start: 3, end: 6, after: [0, 42] },
    ];
    const v = verifyPlan(inst, mkPlan(inst, early, targetFrom(inst, { vm1: ['running', 'n3'], vm2: ['running', 'n3'] })));
    expect(codes(v.violations)).toEqual(['after']);
    expect(v.violations.map((x) => x.message).join('\n')).toMatch(/unknown action 42/);
    expect(v.violations.map((x) => x.message).join('\n')).toMatch(/before action 0/);

    const cyclic: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 0, after: [2] },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n3', start: 0, end: 0, after: [0] },
      { id: 2, type: 'boot', vm: 'vm3', to: 'n1', start: 0, end: 0, after: [1] },
      { id: 3, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: 0, end: 0, after: [3] },
    ];
    const target = targetFrom(inst, { vm1: ['running', 'n3'], vm2: ['running', 'n3'], vm3: ['running', 'n1'], vm4: ['running', 'n3'] });
    const c = verifyPlan(inst, mkPlan(inst, cyclic, target));
    expect(codes(c.violations)).toEqual(['after']);
    const msgs = c.violations.map((x) => x.message);
    expect(msgs.some((m) => /cycle through actions 0, 1, 2/.test(m))).toBe(true);
    expect(msgs.some((m) => /action 3 .*names the action itself/.test(m))).toBe(true);
  });

  it('reports an end state that differs from the target, and a target that omits or invents VMs and nodes', () => {
    const inst = roomy();
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 2 }];
    const wrong = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n3'] })));
    expect(codes(wrong.violations)).toEqual(['target-mismatch']);
    expect(wrong.violations[0]).toMatchObject({ vms: ['vm1'], nodes: ['n2', 'n3'] });

    const t = targetFrom(inst, { vm1: ['running', 'n2'] });
    const { vm3: _dropped, ...rest } = t.vms;
    const missing = verifyPlan(inst, mkPlan(inst, actions, { vms: { ...rest, ghost: { state: 'waiting' } }, nodes: { ...t.nodes, n9: 'online' } }));
    expect(codes(missing.violations)).toEqual(['target-mismatch']);
    const msgs = missing.violations.map((x) => x.message).join('\n');
    expect(msgs).toMatch(/omits VM vm3/);
    expect(msgs).toMatch(/unknown VM ghost/);
    expect(msgs).toMatch(/unknown node n9/);

    const nodeState = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'] }, { n4: 'online' })));
    expect(nodeState.violations.map((x) => x.message)).toEqual(['node n4 ends offline but the target says online']);
  });

  it('reports a constraint broken in the end state', () => {
    const inst = roomy([{ type: 'ban', vms: ['vm1'], nodes: ['n2'] }]);
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 2 }];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'] })));
    expect(codes(v.violations)).toEqual(['constraint:ban']);
    expect(v.violations[0]).toMatchObject({ constraint: 0, vms: ['vm1'], nodes: ['n2'] });
  });

  it('reports a state rule broken in the end state (a vjob split)', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 8 * G } }],
      vms: [
        { id: 'a', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'b', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1', vjob: 'j' },
      ],
      vjobs: [{ id: 'j' }],
    });
    const actions: Action[] = [{ id: 0, type: 'suspend', vm: 'a', from: 'n1', start: 0, end: 2 }];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { a: ['sleeping', 'n1'] })));
    expect(codes(v.violations)).toEqual(['vjob-split']);
  });

  it('reports a spread broken mid-plan by migrations that co-locate two VMs for a while', () => {
    const inst = roomy([{ type: 'spread', vms: ['vm1', 'vm2'] }]);
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n1', start: 2, end: 6 },
    ];
    const target = targetFrom(inst, { vm1: ['running', 'n3'], vm2: ['running', 'n1'] });
    const v = verifyPlan(inst, mkPlan(inst, actions, target));
    expect(codes(v.violations)).toEqual(['constraint:spread']);
    expect(v.violations).toHaveLength(1);
    expect(v.violations[0]).toMatchObject({ time: 2, nodes: ['n1'], constraint: 0 });
    // Sequenced, the same moves are fine.
    const seq: Action[] = [actions[0]!, { ...actions[1]!, start: 4, end: 8, after: [0] }];
    expect(verifyPlan(inst, mkPlan(inst, seq, target)).violations).toEqual([]);
  });

  it('tolerates a continuous violation already present in the source while the plan repairs it', () => {
    const inst = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 8, memory: 8 * G } },
        { id: 'n2', capacity: { cpu: 8, memory: 8 * G } },
      ],
      vms: [
        { id: 'vm1', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1' },
        { id: 'vm2', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1' },
      ],
      constraints: [{ type: 'spread', vms: ['vm1', 'vm2'] }],
    });
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm2', from: 'n1', to: 'n2', start: 0, end: 3 }];
    expect(verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm2: ['running', 'n2'] }))).violations).toEqual([]);
    // Doing nothing leaves it broken at the end.
    expect(codes(verifyPlan(inst, mkPlan(inst, [], targetFrom(inst))).violations)).toEqual(['constraint:spread']);
  });

  it('tolerates a source violation while it shrinks, not one that spreads to other nodes', () => {
    const inst = makeInstance({
      nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, capacity: { cpu: 8, memory: 8 * G } })),
      vms: ['vm1', 'vm2', 'vm3'].map((id) => ({ id, demand: { cpu: 1, memory: G }, state: 'running' as const, host: 'n1' })),
      constraints: [{ type: 'spread', vms: ['vm1', 'vm2', 'vm3'] }],
    });
    // vm3 leaves first: vm1 and vm2 still share n1 (part of the source's violation) until vm2 leaves.
    const apart: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm3', from: 'n1', to: 'n3', start: 0, end: 2 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n1', to: 'n2', start: 2, end: 4, after: [0] },
    ];
    const target = targetFrom(inst, { vm2: ['running', 'n2'], vm3: ['running', 'n3'] });
    expect(verifyPlan(inst, mkPlan(inst, apart, target)).violations).toEqual([]);
    // Both moving to n3 at once: vm2 and vm3 meet on n3, a node the source's violation never named.
    const together: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm3', from: 'n1', to: 'n3', start: 0, end: 2 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n1', to: 'n3', start: 2, end: 4, after: [0] },
      { id: 2, type: 'migrate', vm: 'vm2', from: 'n3', to: 'n2', start: 4, end: 6, after: [1] },
    ];
    const v = verifyPlan(inst, mkPlan(inst, together, target));
    expect(codes(v.violations)).toEqual(['constraint:spread']);
    expect(v.violations[0]!.nodes).toContain('n3');
  });

  it('reports a continuous ban broken while a VM passes through a banned node', () => {
    const inst = roomy([{ type: 'ban', vms: ['vm1'], nodes: ['n3'], continuous: true }]);
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 2 },
      { id: 1, type: 'migrate', vm: 'vm1', from: 'n3', to: 'n2', start: 2, end: 4, after: [0] },
    ];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n2'] })));
    expect(codes(v.violations)).toEqual(['constraint:ban']);
    expect(v.violations[0]).toMatchObject({ time: 0, vms: ['vm1'], nodes: ['n3'] });
  });

  it('reports a root VM being migrated and a VM arriving on a quarantined node', () => {
    const inst = roomy([
      { type: 'root', vms: ['vm1'] },
      { type: 'quarantine', nodes: ['n2'] },
    ]);
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 2 },
      { id: 1, type: 'migrate', vm: 'vm1', from: 'n3', to: 'n1', start: 2, end: 4, after: [0] },
      { id: 2, type: 'boot', vm: 'vm3', to: 'n2', start: 1, end: 5 },
    ];
    const target = targetFrom(inst, { vm3: ['running', 'n2'] });
    const v = verifyPlan(inst, mkPlan(inst, actions, target));
    const root = withCode(v.violations, 'constraint:root');
    expect(root.map((x) => x.action)).toEqual([0, 1]);
    expect(root.map((x) => x.time)).toEqual([0, 2]);
    const q = withCode(v.violations, 'constraint:quarantine');
    expect(q.some((x) => x.action === 2 && x.time === 1 && x.nodes?.includes('n2'))).toBe(true);
  });

  it('reports a VM shut down although nothing asks for it (lost), but not one that must end terminated', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 8 * G } }],
      vms: [
        { id: 'a', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1', wants: 'terminated' },
        { id: 'c', demand: { cpu: 1, memory: G }, state: 'running', host: 'n1' },
      ],
      constraints: [{ type: 'terminated', vms: ['c'] }],
    });
    const actions: Action[] = ['a', 'b', 'c'].map((vm, id) => ({ id, type: 'shutdown', vm, from: 'n1', start: 0, end: 5 }));
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { a: ['terminated'], b: ['terminated'], c: ['terminated'] })));
    expect(codes(v.violations)).toEqual(['lost-vm']);
    expect(v.violations[0]).toMatchObject({ vms: ['a'], action: 0 });
  });

  it('reports too many migrations in flight, in total and per node, once per episode', () => {
    const inst = roomy([], { maxParallelMigrations: 1, maxMigrationsPerNode: 1 });
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 0, end: 4 },
      { id: 1, type: 'migrate', vm: 'vm2', from: 'n2', to: 'n3', start: 1, end: 3 },
    ];
    const target = targetFrom(inst, { vm1: ['running', 'n3'], vm2: ['running', 'n3'] });
    const v = verifyPlan(inst, mkPlan(inst, actions, target));
    expect(codes(v.violations)).toEqual(['limit']);
    expect(v.violations).toHaveLength(2);
    expect(v.violations.find((x) => x.nodes?.[0] === 'n3')).toMatchObject({ time: 1, action: 1 });
    expect(v.violations.find((x) => x.nodes === undefined)!.message).toMatch(/2 migrations in flight .* maxParallelMigrations 1/);
    // In sequence they respect both limits.
    const seq: Action[] = [actions[0]!, { ...actions[1]!, start: 4, end: 6 }];
    expect(verifyPlan(inst, mkPlan(inst, seq, target)).violations).toEqual([]);
  });

  it('lets an initially overloaded node shed load, but not gain any above what it has shed to', () => {
    const inst = makeInstance({
      nodes: [
        { id: 'n1', capacity: { cpu: 4, memory: 8 * G } },
        { id: 'n2', capacity: { cpu: 8, memory: 8 * G } },
      ],
      vms: [
        { id: 'a', demand: { cpu: 3, memory: G }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 3, memory: G }, state: 'running', host: 'n1' },
        { id: 'small', demand: { cpu: 1, memory: G }, state: 'waiting' },
        { id: 'big', demand: { cpu: 2, memory: G }, state: 'waiting' },
      ],
    });
    const shed: Action = { id: 0, type: 'migrate', vm: 'b', from: 'n1', to: 'n2', start: 0, end: 4 };
    const ok = verifyPlan(inst, mkPlan(inst, [shed], targetFrom(inst, { b: ['running', 'n2'] })));
    expect(ok.violations).toEqual([]);

    // Gaining load before shedding: 7 > 6 (the initial load) at t=0.
    const gain: Action[] = [{ id: 0, type: 'boot', vm: 'small', to: 'n1', start: 0, end: 1 }];
    const g = verifyPlan(inst, mkPlan(inst, gain, targetFrom(inst, { small: ['running', 'n1'] })));
    const cap = withCode(g.violations, 'capacity');
    expect(cap[0]).toMatchObject({ nodes: ['n1'], action: 0, time: 0 });
    expect(cap[0]!.message).toMatch(/cpu load 7 exceeds capacity 4 \(allowed 6/);

    // Shed to 3, then back up to 4 (fits) is fine; to 5 (below the initial 6) is not.
    const fits: Action[] = [shed, { id: 1, type: 'boot', vm: 'small', to: 'n1', start: 4, end: 5, after: [0] }];
    expect(verifyPlan(inst, mkPlan(inst, fits, targetFrom(inst, { b: ['running', 'n2'], small: ['running', 'n1'] }))).violations).toEqual([]);
    const bigTarget = targetFrom(inst, { b: ['running', 'n2'], big: ['running', 'n1'] });
    const regain: Action[] = [shed, { id: 1, type: 'boot', vm: 'big', to: 'n1', start: 5, end: 6, after: [0] }];
    const r = verifyPlan(inst, mkPlan(inst, regain, bigTarget));
    const rc = withCode(r.violations, 'capacity');
    expect(rc).toHaveLength(1); // the mid-plan episode; the final check does not repeat it
    expect(rc[0]).toMatchObject({ nodes: ['n1'], action: 1, time: 5 });
    // Starting as the migration ends, the state in force goes from 6 straight to 5: still
    // shedding mid-plan, but the end state is over capacity.
    const atOnce: Action[] = [shed, { id: 1, type: 'boot', vm: 'big', to: 'n1', start: 4, end: 5, after: [0] }];
    const a = withCode(verifyPlan(inst, mkPlan(inst, atOnce, bigTarget)).violations, 'capacity');
    expect(a).toHaveLength(1);
    expect(a[0]!.time).toBeUndefined();
  });

  it('reports an initially overloaded node that never sheds, at the end', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 4, memory: 8 * G } }],
      vms: [
        { id: 'a', demand: { cpu: 3, memory: G }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 3, memory: G }, state: 'running', host: 'n1' },
      ],
    });
    const v = verifyPlan(inst, mkPlan(inst, [], targetFrom(inst)));
    expect(codes(v.violations)).toEqual(['capacity']);
    expect(v.violations[0]!.time).toBeUndefined();
  });

  it('reports stats that disagree with the plan', () => {
    const inst = roomy();
    const actions: Action[] = [{ id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n3', start: 1, end: 3 }];
    const good = mkPlan(inst, actions, targetFrom(inst, { vm1: ['running', 'n3'] }));
    expect(verifyPlan(inst, good).ok).toBe(true);
    expect(good.stats).toMatchObject({ migrations: 1, migratedMemory: 2 * G, makespan: 2, nodesUsed: 2 });
    const bad: FeasiblePlan = { ...good, stats: { ...good.stats, migrations: 2, migratedMemory: 1, makespan: 3, nodesUsed: 3, lowerBound: 4 } };
    const v = verifyPlan(inst, bad);
    expect(codes(v.violations)).toEqual(['stats']);
    const msgs = v.violations.map((x) => x.message).join('\n');
    for (const f of ['migrations', 'migratedMemory', 'makespan', 'nodesUsed', 'lowerBound']) expect(msgs).toContain(`stats.${f}`);
  });

  it('reports an infeasible plan with actions or without reasons', () => {
    const inst = roomy();
    const withActions = {
      version: 1,
      status: 'infeasible',
      actions: [{ id: 0, type: 'bootNode', node: 'n4', start: 0, end: 1 }],
      reasons: [],
    } as unknown as Plan;
    const v = verifyPlan(inst, withActions);
    expect(v.violations.map((x) => x.code)).toEqual(['infeasible', 'infeasible']);
  });

  it('reports malformed actions: duplicate ids, unknown VMs and nodes, bad times', () => {
    const inst = roomy();
    const actions: Action[] = [
      { id: 0, type: 'migrate', vm: 'ghost', from: 'n1', to: 'n2', start: 0, end: 1 },
      { id: 0, type: 'boot', vm: 'vm3', to: 'n9', start: 0, end: 1 },
      { id: 1, type: 'bootNode', node: 'n4', start: Number.NaN, end: 1 },
      { id: 2, type: 'resume', vm: 'vm4', from: 'n3', to: 'n3', start: -1, end: -3 },
      { id: 3, type: 'shutdownNode', node: 'n3', start: Infinity, end: Infinity },
    ];
    const v = verifyPlan(inst, mkPlan(inst, actions, targetFrom(inst, { vm4: ['running', 'n3'] })));
    const msgs = withCode(v.violations, 'illegal-action').map((x) => x.message).join('\n');
    expect(msgs).toMatch(/action id 0 is used by 2 actions/);
    expect(msgs).toMatch(/unknown VM ghost/);
    expect(msgs).toMatch(/unknown node n9/);
    expect(msgs).toMatch(/action 1 .*must be finite/);
    expect(msgs).toMatch(/action 2 .*starts before 0/);
    expect(msgs).toMatch(/action 2 .*ends \(t=-3\) before it starts/);
    expect(msgs).toMatch(/action 3 .*must be finite/);
  });
});
