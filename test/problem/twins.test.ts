import { describe, expect, it } from 'vitest';
import { validateInstance } from '../../src/io/instance.js';
import type { Constraint, ConstraintType } from '../../src/model/constraints.js';
import { CONSTRAINT_TYPES } from '../../src/model/constraints.js';
import { indexInstance } from '../../src/model/indexed.js';
import type { Instance } from '../../src/model/instance.js';
import { compileProblem, defaultTargetStates, type DenseProblem } from '../../src/problem/dense.js';
import { TWINS, type CompiledForm, type TwinRegistry } from '../../src/problem/twins.js';

/** Three nodes, four VMs (two running, one sleeping, one waiting), two vjobs. */
function instanceWith(constraints: readonly Constraint[]): Instance {
  const r = validateInstance({
    version: 1,
    nodes: [
      { id: 'n1', capacity: { cpu: 8, memory: 8192 } },
      { id: 'n2', capacity: { cpu: 8, memory: 8192 } },
      { id: 'n3', capacity: { cpu: 8, memory: 8192 }, state: 'offline' },
    ],
    vms: [
      { id: 'a', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1', vjob: 'j1' },
      { id: 'b', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n2', vjob: 'j1' },
      { id: 's', demand: { cpu: 1, memory: 1024 }, state: 'sleeping', host: 'n2', vjob: 'j2' },
      { id: 'w', demand: { cpu: 1, memory: 1024 }, state: 'waiting', vjob: 'j2' },
    ],
    vjobs: [{ id: 'j1' }, { id: 'j2' }],
    constraints,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

/** One constraint of each type that changes what it compiles into. */
const SAMPLES: { readonly [K in ConstraintType]: Extract<Constraint, { type: K }> } = {
  ban: { type: 'ban', vms: ['a'], nodes: ['n2'] },
  fence: { type: 'fence', vms: ['a'], nodes: ['n1'] },
  spread: { type: 'spread', vms: ['a', 'b'] },
  gather: { type: 'gather', vms: ['a', 'b'] },
  among: { type: 'among', vms: ['a', 'b'], groups: [['n1'], ['n2']] },
  split: { type: 'split', groups: [['a'], ['b']] },
  lonely: { type: 'lonely', vms: ['a'] },
  root: { type: 'root', vms: ['a'] },
  quarantine: { type: 'quarantine', nodes: ['n2'] },
  overbook: { type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio: 2 },
  resourceCapacity: { type: 'resourceCapacity', nodes: ['n1', 'n2'], resource: 'cpu', amount: 10 },
  runningCapacity: { type: 'runningCapacity', nodes: ['n1', 'n2'], amount: 3 },
  maxOnline: { type: 'maxOnline', nodes: ['n1', 'n2'], amount: 2 },
  online: { type: 'online', nodes: ['n3'] },
  offline: { type: 'offline', nodes: ['n2'] },
  reserved: { type: 'reserved', nodes: ['n2'], vjob: 'j2' },
  running: { type: 'running', vms: ['w'] },
  sleeping: { type: 'sleeping', vms: ['b'] },
  terminated: { type: 'terminated', vms: ['a'] },
};

/** Which compiled forms differ between two compilations of the same instance shape. */
function formsChanged(base: DenseProblem, p: DenseProblem, baseStates: Uint8Array, states: Uint8Array): Set<CompiledForm> {
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((x, i) => x === b[i]);
  const out = new Set<CompiledForm>();
  if (!same(base.nodeMode, p.nodeMode)) out.add('nodeModes');
  if (!same(base.domain, p.domain) || !same(base.pinned, p.pinned) || !same(base.reservedFor, p.reservedFor) || !same(base.quarantined, p.quarantined)) {
    out.add('domains');
  }
  if (p.spreads.length + p.gathers.length + p.amongs.length + p.splits.length + p.lonelies.length > 0) out.add('vmSets');
  if (p.resourceBounds.length + p.runningBounds.length + p.onlineBounds.length > 0) out.add('nodeBounds');
  if (!same(base.capacity, p.capacity)) out.add('capacities');
  if (!same(baseStates, states)) out.add('targetStates');
  return out;
}

describe('solver twins', () => {
  it('has one twin per constraint type (tsc checks the @ts-expect-error lines)', () => {
    const { ban: _omitted, ...missingBan } = TWINS;
    // @ts-expect-error a registry without `ban` is not a TwinRegistry: a constraint without its twin does not compile
    const incomplete: TwinRegistry = missingBan;
    // @ts-expect-error a registry pairing `ban` with another type's twin is not one either
    const mismatched: TwinRegistry = { ...TWINS, ban: TWINS.spread };
    expect(Object.keys(incomplete)).not.toContain('ban');
    expect(mismatched.ban.forms).toEqual(['vmSets']);
    expect(Object.keys(TWINS).sort()).toEqual([...CONSTRAINT_TYPES].sort());
  });

  it.each(CONSTRAINT_TYPES)('%s compiles into exactly the forms its twin names', (type) => {
    const plain = instanceWith([]);
    const constrained = instanceWith([SAMPLES[type]]);
    const baseStates = defaultTargetStates(plain, indexInstance(plain));
    // Both compiled with the constrained instance's target states, so only the twin differs.
    const states = defaultTargetStates(constrained, indexInstance(constrained));
    const base = compileProblem(plain, { states }).problem;
    const p = compileProblem(constrained, { states }).problem;
    expect([...formsChanged(base, p, baseStates, states)].sort()).toEqual([...TWINS[type].forms].sort());
  });

  it('compiles only the constraints the filter keeps', () => {
    const inst = instanceWith([SAMPLES.spread, SAMPLES.online, SAMPLES.ban]);
    const all = compileProblem(inst).problem;
    const some = compileProblem(inst, { include: (_ci, c) => c.type !== 'spread' }).problem;
    expect(all.spreads).toHaveLength(1);
    expect(some.spreads).toHaveLength(0);
    expect(some.nodeMode).toEqual(all.nodeMode);
    expect(some.domain).toEqual(all.domain);
  });

  it('names the nodes and constraints of a node that must be both online and offline', () => {
    const inst = instanceWith([{ type: 'online', nodes: ['n2'] }, { type: 'offline', nodes: ['n2'] }]);
    const { reasons } = compileProblem(inst);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]!.nodes).toEqual(['n2']);
    expect(reasons[0]!.constraints).toEqual([0, 1]);
  });
});
