import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAction, checkConstraint, checkInstant, continuousConstraints } from '../../src/constraints/check.js';
import type { InstantView } from '../../src/constraints/spec.js';
import type { Constraint, ConstraintOf } from '../../src/model/constraints.js';
import { Configuration, placement } from '../../src/model/configuration.js';
import { makeInstance, sourceConfiguration, type Instance } from '../../src/model/instance.js';
import type { Action } from '../../src/model/action.js';
import { arbCase, type ConstraintCase } from './gen.js';
import { ALLOWS, HOLDS_AT } from './reference.js';

const SEED = 77;

/** A random instant: each VM (and an unknown one) absent, on one node, or migrating between two. */
function arbView(k: ConstraintCase<'ban' | 'fence' | 'spread' | 'among'>): fc.Arbitrary<InstantView> {
  const nodes = [...k.nodeIds, 'nx'];
  const one = fc.constantFrom(...nodes).map((n) => [n]);
  const two = fc.uniqueArray(fc.constantFrom(...nodes), { minLength: 2, maxLength: 2 });
  const occ = fc.oneof(fc.constant<string[]>([]), one, one, two);
  return fc.noBias(
    fc.record({ time: fc.integer({ min: 0, max: 100 }), occ: fc.array(occ, { minLength: k.vmIds.length + 1, maxLength: k.vmIds.length + 1 }) }),
  ).map(({ time, occ: o }) => ({
    time,
    occupancy: new Map([...k.vmIds, 'ghost'].flatMap((vm, i) => (o[i]!.length === 0 ? [] : [[vm, o[i]!] as const]))),
  }));
}

function withContinuous<K extends 'ban' | 'fence' | 'spread' | 'among'>(k: ConstraintCase<K>): ConstraintCase<K> {
  const c0: Constraint = k.constraint;
  if (c0.type === 'spread') return k;
  const c = { ...k.constraint, continuous: true } as ConstraintOf<K>;
  return { ...k, constraint: c, instance: k.instance.set('constraints', k.instance.constraints.set(k.index, c)) };
}

describe.each(['spread', 'ban', 'fence', 'among'] as const)('%s: continuous meaning at an instant', (type) => {
  const holdsAt = HOLDS_AT[type] as (c: Constraint, v: InstantView) => boolean;

  it('agrees with the brute-force reference (migrating VMs occupy both nodes)', () => {
    let violated = 0;
    let held = 0;
    fc.assert(
      fc.property(arbCase(type).map(withContinuous).chain((k) => arbView(k).map((view) => ({ k, view }))), ({ k, view }) => {
        expect(continuousConstraints(k.instance)).toEqual([k.index]);
        const v = checkInstant(k.instance, view);
        const ok = holdsAt(k.constraint, view);
        expect(v.length === 0).toBe(ok);
        if (ok) held++;
        else violated++;
        for (const x of v) {
          expect(x).toMatchObject({ code: `constraint:${type}`, constraint: k.index, time: view.time });
          expect(x.message.startsWith(`${type} #${k.index} at t=${view.time}: `)).toBe(true);
          expect(x.nodes?.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300, seed: SEED },
    );
    // Teeth: both outcomes are drawn often.
    expect(held).toBeGreaterThan(15);
    expect(violated).toBeGreaterThan(15);
  });
});

describe('continuous flag', () => {
  it('ban, fence and among without `continuous` are not checked at instants', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: {} }, { id: 'n2', capacity: {} }],
      vms: [{ id: 'vm1', demand: {}, state: 'running', host: 'n1' }],
      constraints: [
        { type: 'ban', vms: ['vm1'], nodes: ['n1'] },
        { type: 'fence', vms: ['vm1'], nodes: ['n2'] },
        { type: 'among', vms: ['vm1'], groups: [['n2']] },
        { type: 'ban', vms: ['vm1'], nodes: ['n1'], continuous: true },
      ],
    });
    const view = { time: 1, occupancy: new Map([['vm1', ['n1']]]) };
    expect(continuousConstraints(inst)).toEqual([3]);
    expect(checkInstant(inst, view).map((v) => v.constraint)).toEqual([3]);
    // Explicit indices of non-continuous constraints are skipped too.
    expect(checkInstant(inst, view, [0, 1, 2])).toEqual([]);
    expect(() => checkInstant(inst, view, [9])).toThrow(/no constraint #9/);
  });
});

describe('named scenarios', () => {
  const inst = makeInstance({
    nodes: ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, capacity: { cpu: 8 } })),
    vms: ['vm1', 'vm2', 'vm3'].map((id, i) => ({ id, demand: { cpu: 1 }, state: 'running' as const, host: `n${i + 1}` })),
    constraints: [
      { type: 'gather', vms: [] },
      { type: 'gather', vms: [] },
      { type: 'spread', vms: ['vm1', 'vm3'] },
      { type: 'among', vms: ['vm1', 'vm2'], groups: [['n1', 'n2'], ['n3', 'n4']], continuous: true },
    ],
  });

  it('spread: two VMs of the set on one node, and a migration onto the node another VM still occupies', () => {
    const conf = sourceConfiguration(inst).setIn(['vms', 'vm3'], placement('running', 'n4')).setIn(['vms', 'vm1'], placement('running', 'n4'));
    const [v] = checkConstraint(inst, 2, conf);
    expect(v?.message).toBe('spread #2: vm1 and vm3 both run on n4');
    expect(v?.vms).toEqual(['vm1', 'vm3']);
    expect(v?.nodes).toEqual(['n4']);
    // vm3 migrates n3 -> n4 while vm1 migrates n1 -> n3: both occupy n3 at t=2.
    const view = { time: 2, occupancy: new Map([['vm1', ['n1', 'n3']], ['vm3', ['n3', 'n4']], ['vm2', ['n2']]]) };
    const iv = checkInstant(inst, view);
    expect(iv.map((x) => [x.constraint, x.nodes])).toContainEqual([2, ['n3']]);
    expect(checkInstant(inst, { time: 3, occupancy: new Map([['vm1', ['n1', 'n2']], ['vm3', ['n3', 'n4']]]) }, [2])).toEqual([]);
  });

  it('among (continuous): a migration between groups breaks it while in flight, even if it lands in one group', () => {
    // vm1 and vm2 move from group {n1,n2} to {n3,n4}: the end state is fine, each migration is not.
    const view = { time: 5, occupancy: new Map([['vm1', ['n1', 'n3']], ['vm2', ['n4']]]) };
    expect(checkInstant(inst, view, [3])).toHaveLength(1);
    expect(checkInstant(inst, { time: 6, occupancy: new Map([['vm1', ['n3']], ['vm2', ['n4']]]) }, [3])).toEqual([]);
  });
});

/** A random action over the ids of a case (legal or not: the continuous meaning only looks at its kind and nodes). */
function arbAction(k: ConstraintCase<'root' | 'quarantine'>): fc.Arbitrary<Action> {
  const vm = fc.constantFrom(...k.vmIds, 'ghost');
  const node = fc.constantFrom(...k.nodeIds, 'nx');
  const base = { id: fc.nat(20), start: fc.integer({ min: 0, max: 50 }), end: fc.constant(60) };
  return fc.noBias(
    fc.oneof(
      fc.record({ ...base, type: fc.constant('migrate' as const), vm, from: node, to: node }),
      fc.record({ ...base, type: fc.constant('resume' as const), vm, from: node, to: node }),
      fc.record({ ...base, type: fc.constant('boot' as const), vm, to: node }),
      fc.record({ ...base, type: fc.constant('suspend' as const), vm, from: node }),
      fc.record({ ...base, type: fc.constant('shutdown' as const), vm, from: node }),
      fc.record({ ...base, type: fc.constant('bootNode' as const), node }),
      fc.record({ ...base, type: fc.constant('shutdownNode' as const), node }),
    ),
  );
}

describe.each(['root', 'quarantine'] as const)('%s: continuous meaning on actions', (type) => {
  const allows = ALLOWS[type] as (c: Constraint, a: Action) => boolean;

  it('agrees with the brute-force reference', () => {
    let allowed = 0;
    let refused = 0;
    fc.assert(
      fc.property(arbCase(type).chain((k) => arbAction(k).map((a) => ({ k, a }))), ({ k, a }) => {
        expect(continuousConstraints(k.instance)).toEqual([k.index]);
        const v = checkAction(k.instance, a);
        const ok = allows(k.constraint, a);
        expect(v.length === 0).toBe(ok);
        if (ok) allowed++;
        else refused++;
        for (const x of v) expect(x).toMatchObject({ code: `constraint:${type}`, constraint: k.index, action: a.id, time: a.start });
      }),
      { numRuns: 300, seed: SEED },
    );
    expect(allowed).toBeGreaterThan(15);
    expect(refused).toBeGreaterThan(15);
  });

  it('agrees with the discrete meaning on single actions from the source', () => {
    // One legal VM action applied to the source: the action breaks the continuous meaning
    // exactly when the configuration it leads to breaks the discrete meaning.
    fc.assert(
      fc.property(
        arbCase(type).chain((k) => fc.record({ vm: fc.constantFrom(...k.vmIds), to: fc.constantFrom(...k.nodeIds), kind: fc.nat(1) }).map((x) => ({ k, ...x }))),
        ({ k, vm, to, kind }) => {
          const src = sourceConfiguration(k.instance);
          const v = k.instance.vms.get(vm)!;
          const from = v.host ?? 'n0';
          const step = legalStep(v.state, vm, from, to, kind);
          if (step === undefined) return;
          const after: Configuration = src.setIn(['vms', vm], step.after);
          const discrete = checkConstraint(k.instance, k.index, after).length > 0;
          const continuous = checkAction(k.instance, step.action).length > 0;
          expect(continuous).toBe(discrete);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });
});

function legalStep(state: string, vm: string, from: string, to: string, kind: number) {
  const t = { id: 0, start: 0, end: 1 };
  switch (state) {
    case 'running':
      if (kind === 0 && from !== to) return { action: { ...t, type: 'migrate', vm, from, to } as Action, after: placement('running', to) };
      return { action: { ...t, type: 'suspend', vm, from } as Action, after: placement('sleeping', from) };
    case 'sleeping':
      return { action: { ...t, type: 'resume', vm, from, to } as Action, after: placement('running', to) };
    case 'waiting':
      return { action: { ...t, type: 'boot', vm, to } as Action, after: placement('running', to) };
    default:
      return undefined;
  }
}

describe('action-based examples', () => {
  const inst: Instance = makeInstance({
    nodes: [{ id: 'n1', capacity: {} }, { id: 'n2', capacity: {} }],
    vms: [
      { id: 'vm1', demand: {}, state: 'running', host: 'n1' },
      { id: 'vm2', demand: {}, state: 'sleeping', host: 'n2' },
    ],
    constraints: [{ type: 'root', vms: ['vm1', 'vm2'] }, { type: 'quarantine', nodes: ['n2'] }],
  });
  it('root refuses a migration and a remote resume, allows a local resume and a suspend', () => {
    const mig = checkAction(inst, { id: 4, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 3, end: 9 });
    expect(mig.map((v) => v.constraint)).toEqual([0, 1]);
    expect(mig[0]?.message).toBe('root #0 at t=3 (action 4): vm1 is moved from n1 to n2');
    expect(checkAction(inst, { id: 5, type: 'resume', vm: 'vm2', from: 'n2', to: 'n1', start: 0, end: 9 }).map((v) => v.constraint)).toEqual([0, 1]);
    expect(checkAction(inst, { id: 6, type: 'resume', vm: 'vm2', from: 'n2', to: 'n2', start: 0, end: 9 })).toEqual([]);
    expect(checkAction(inst, { id: 7, type: 'suspend', vm: 'vm1', from: 'n1', start: 0, end: 9 })).toEqual([]);
    expect(checkAction(inst, { id: 8, type: 'shutdownNode', node: 'n2', start: 0, end: 9 })).toEqual([]);
  });
  it('quarantine refuses a boot onto the node, only for the quarantined node', () => {
    expect(checkAction(inst, { id: 1, type: 'boot', vm: 'vm9', to: 'n2', start: 0, end: 9 })[0]?.message).toBe(
      'quarantine #1 at t=0 (action 1): vm9 boots onto quarantined node n2',
    );
    expect(checkAction(inst, { id: 1, type: 'boot', vm: 'vm9', to: 'n1', start: 0, end: 9 })).toEqual([]);
  });
});
