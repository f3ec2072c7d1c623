/**
 * The exact violations of every constraint checker on one small hand-made cluster: the wording
 * users read (the CLI prints these messages), the VMs and nodes named, and which constraints
 * are continuous. The property tests (discrete.test.ts, continuous.test.ts) pin *whether* a
 * checker reports; these pin *what* it reports.
 */
import { describe, expect, it } from 'vitest';
import { checkAction, checkCapacity, checkConstraint, checkInstant, checkStates, continuousConstraints } from '../../src/constraints/check.js';
import type { Violation } from '../../src/constraints/spec.js';
import type { Constraint } from '../../src/model/constraints.js';
import { placement, type Configuration } from '../../src/model/configuration.js';
import { makeInstance, sourceConfiguration } from '../../src/model/instance.js';
import { applyAction } from '../../src/plan/replay.js';

/**
 * n1 (4 cpu) hosts a, b (vjob j) and e; n2 hosts c and d; s sleeps on n3; w waits; t is
 * terminated; n4 is offline.
 */
const CONSTRAINTS: Constraint[] = [
  /* 0 */ { type: 'ban', vms: ['a', 'c'], nodes: ['n1'], continuous: true },
  /* 1 */ { type: 'fence', vms: ['a', 'c'], nodes: ['n1'], continuous: true },
  /* 2 */ { type: 'fence', vms: ['a'], nodes: [] },
  /* 3 */ { type: 'spread', vms: ['a', 'b'] },
  /* 4 */ { type: 'spread', vms: ['a', 'b', 'e', 'a'] },
  /* 5 */ { type: 'gather', vms: ['a', 'c'] },
  /* 6 */ { type: 'among', vms: ['a', 'c'], groups: [['n1'], ['n2']], continuous: true },
  /* 7 */ { type: 'split', groups: [['a'], ['b', 'c']] },
  /* 8 */ { type: 'lonely', vms: ['a'] },
  /* 9 */ { type: 'root', vms: ['a', 's'] },
  /* 10 */ { type: 'quarantine', nodes: ['n1'] },
  /* 11 */ { type: 'quarantine', nodes: ['n2'] },
  /* 12 */ { type: 'overbook', nodes: ['n1', 'n2'], resource: 'cpu', ratio: 1 },
  /* 13 */ { type: 'resourceCapacity', nodes: ['n1', 'n2', 'n1'], resource: 'cpu', amount: 6 },
  /* 14 */ { type: 'runningCapacity', nodes: ['n2'], amount: 1 },
  /* 15 */ { type: 'maxOnline', nodes: ['n1', 'n2', 'n4'], amount: 1 },
  /* 16 */ { type: 'online', nodes: ['n4', 'n1'] },
  /* 17 */ { type: 'offline', nodes: ['n2', 'n4', 'n3'] },
  /* 18 */ { type: 'reserved', nodes: ['n1'], vjob: 'j' },
  /* 19 */ { type: 'running', vms: ['s', 'a'] },
  /* 20 */ { type: 'sleeping', vms: ['w', 's'] },
  /* 21 */ { type: 'terminated', vms: ['a', 't'] },
  /* 22 */ { type: 'ban', vms: ['a'], nodes: ['n2'] },
  /* 23 */ { type: 'among', vms: ['a', 'b'], groups: [['n2'], ['n1', 'n3']] },
  /* 24 */ { type: 'gather', vms: ['a', 'b', 'w'] },
  /* 25 */ { type: 'runningCapacity', nodes: ['n1', 'n2'], amount: 5 },
  /* 26 */ { type: 'resourceCapacity', nodes: ['n2'], resource: 'cpu', amount: 2 },
  /* 27 */ { type: 'maxOnline', nodes: ['n1', 'n2'], amount: 2 },
];

const instance = makeInstance({
  nodes: [
    { id: 'n1', capacity: { cpu: 4, memory: 100 } },
    { id: 'n2', capacity: { cpu: 8, memory: 100 } },
    { id: 'n3', capacity: { cpu: 8, memory: 100 } },
    { id: 'n4', capacity: { cpu: 8, memory: 100 }, state: 'offline' },
  ],
  vms: [
    { id: 'a', demand: { cpu: 2, memory: 1 }, state: 'running', host: 'n1', vjob: 'j' },
    { id: 'b', demand: { cpu: 2, memory: 1 }, state: 'running', host: 'n1', vjob: 'j' },
    { id: 'e', demand: { cpu: 1, memory: 1 }, state: 'running', host: 'n1' },
    { id: 'c', demand: { cpu: 1, memory: 1 }, state: 'running', host: 'n2' },
    { id: 'd', demand: { cpu: 1, memory: 1 }, state: 'running', host: 'n2' },
    { id: 's', demand: { cpu: 1, memory: 1 }, state: 'sleeping', host: 'n3' },
    { id: 'w', demand: { cpu: 1, memory: 1 }, state: 'waiting' },
    { id: 't', demand: { cpu: 1, memory: 1 }, state: 'terminated' },
  ],
  constraints: CONSTRAINTS,
});
const source = sourceConfiguration(instance);

const pick = (v: Violation) => ({ message: v.message, vms: v.vms, nodes: v.nodes });
const on = (index: number, conf: Configuration = source) => checkConstraint(instance, index, conf).map(pick);

describe('constraint checkers: exact violations on the source', () => {
  it.each([
    [0, [{ message: 'ban #0: a runs on banned node n1', vms: ['a'], nodes: ['n1'] }]],
    [1, [{ message: 'fence #1: c runs on n2, outside n1', vms: ['c'], nodes: ['n2'] }]],
    [2, [{ message: 'fence #2: a runs on n1, outside the (empty) fence', vms: ['a'], nodes: ['n1'] }]],
    [3, [{ message: 'spread #3: a and b both run on n1', vms: ['a', 'b'], nodes: ['n1'] }]],
    [4, [{ message: 'spread #4: a, b and e all run on n1', vms: ['a', 'b', 'e'], nodes: ['n1'] }]],
    [5, [{ message: 'gather #5: a and c must share one node but run on n1 (a), n2 (c)', vms: ['a', 'c'], nodes: ['n1', 'n2'] }]],
    [6, [{ message: 'among #6: a (n1) and c (n2) do not run inside one group', vms: ['a', 'c'], nodes: ['n1', 'n2'] }]],
    [7, [{ message: 'split #7: n1 hosts a (group 0) and b (group 1)', vms: ['a', 'b'], nodes: ['n1'] }]],
    [8, [{ message: 'lonely #8: n1 hosts a together with b and e, outside the set', vms: ['a', 'b', 'e'], nodes: ['n1'] }]],
    [9, []],
    [10, []],
    [12, [{ message: 'overbook #12: cpu load 5 on n1 exceeds 4 (capacity 4 × 1; a, b and e)', vms: ['a', 'b', 'e'], nodes: ['n1'] }]],
    [
      13,
      [{ message: 'resourceCapacity #13: cpu demand 7 on n1 and n2 exceeds 6 (a, b, e, c and d)', vms: ['a', 'b', 'e', 'c', 'd'], nodes: ['n1', 'n2'] }],
    ],
    [14, [{ message: 'runningCapacity #14: 2 VMs run on n2 (c and d), more than 1', vms: ['c', 'd'], nodes: ['n2'] }]],
    [15, [{ message: 'maxOnline #15: 2 nodes online (n1 and n2), more than 1', vms: [], nodes: ['n1', 'n2'] }]],
    [16, [{ message: 'online #16: n4 is offline', vms: [], nodes: ['n4'] }]],
    [
      17,
      [
        { message: 'offline #17: n2 is online; n2 still hosts c and d', vms: ['c', 'd'], nodes: ['n2'] },
        { message: 'offline #17: n3 is online', vms: [], nodes: ['n3'] },
      ],
    ],
    [18, [{ message: 'reserved #18: e (vjob e) runs on n1, reserved for j', vms: ['e'], nodes: ['n1'] }]],
    [19, [{ message: 'running #19: s is sleeping on n3, not running', vms: ['s'], nodes: ['n3'] }]],
    [20, [{ message: 'sleeping #20: w is waiting, not sleeping', vms: ['w'], nodes: [] }]],
    [21, [{ message: 'terminated #21: a is running on n1, not terminated', vms: ['a'], nodes: ['n1'] }]],
    [22, []],
    [23, []],
    [24, []],
    [25, []],
    [26, []],
    [27, []],
  ] as const)('constraint #%i', (index, expected) => {
    expect(on(index)).toEqual(expected);
  });

  it('every violation carries its code and index', () => {
    for (let i = 0; i < CONSTRAINTS.length; i++) {
      for (const v of checkConstraint(instance, i, source)) {
        expect(v.code).toBe(`constraint:${CONSTRAINTS[i]!.type}`);
        expect(v.constraint).toBe(i);
        expect(v.time).toBeUndefined();
        expect(v.action).toBeUndefined();
      }
    }
  });
});

describe('constraint checkers: exact violations after moves (root, quarantine, state constraints)', () => {
  // a migrates n1 → n2, w boots on n2, s resumes on n1, b is suspended, e is shut down.
  const moved = [
    { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 1 },
    { id: 1, type: 'boot', vm: 'w', to: 'n2', start: 0, end: 1 },
    { id: 2, type: 'resume', vm: 's', from: 'n3', to: 'n1', start: 0, end: 1 },
    { id: 3, type: 'suspend', vm: 'b', from: 'n1', start: 0, end: 1 },
    { id: 4, type: 'shutdown', vm: 'e', from: 'n1', start: 0, end: 1 },
  ] as const;
  const conf = moved.reduce<Configuration>((c, a) => applyAction(c, a), source);

  it.each([
    [
      9,
      [
        { message: 'root #9: a moves from n1 to n2', vms: ['a'], nodes: ['n1', 'n2'] },
        { message: 'root #9: s moves from n3 to n1', vms: ['s'], nodes: ['n3', 'n1'] },
      ],
    ],
    [
      10,
      [
        { message: 'quarantine #10: a moves from n1 to n2, leaving quarantined node n1', vms: ['a'], nodes: ['n1', 'n2'] },
        { message: 'quarantine #10: s moves from n3 to n1, a quarantined node', vms: ['s'], nodes: ['n3', 'n1'] },
      ],
    ],
    [
      11,
      [
        { message: 'quarantine #11: a moves from n1 to n2, a quarantined node', vms: ['a'], nodes: ['n1', 'n2'] },
        { message: 'quarantine #11: w arrives on quarantined node n2', vms: ['w'], nodes: ['n2'] },
      ],
    ],
    [19, []],
    [20, [{ message: 'sleeping #20: w is running on n2, not sleeping', vms: ['w'], nodes: ['n2'] }, { message: 'sleeping #20: s is running on n1, not sleeping', vms: ['s'], nodes: ['n1'] }]],
    [21, [{ message: 'terminated #21: a is running on n2, not terminated', vms: ['a'], nodes: ['n2'] }]],
    [22, [{ message: 'ban #22: a runs on banned node n2', vms: ['a'], nodes: ['n2'] }]],
    [23, []],
    [24, []],
    [25, []],
    [26, [{ message: 'resourceCapacity #26: cpu demand 5 on n2 exceeds 2 (a, c, d and w)', vms: ['a', 'c', 'd', 'w'], nodes: ['n2'] }]],
    [27, []],
  ] as const)('constraint #%i', (index, expected) => {
    const got = on(index, conf);
    expect([...got].sort((x, y) => x.message.localeCompare(y.message))).toEqual([...expected].sort((x, y) => x.message.localeCompare(y.message)));
  });

  it('a VM the configuration does not list is absent: state constraints say so', () => {
    const without = conf.deleteIn(['vms', 't']) as Configuration;
    expect(on(21, without)).toEqual([
      { message: 'terminated #21: a is running on n2, not terminated', vms: ['a'], nodes: ['n2'] },
      { message: 'terminated #21: t is absent, not terminated', vms: ['t'], nodes: [] },
    ]);
    const noNode = source.deleteIn(['nodes', 'n4']) as Configuration;
    expect(on(16, noNode)).toEqual([{ message: 'online #16: n4 is absent (offline)', vms: [], nodes: ['n4'] }]);
  });
});

describe('continuous checkers: exact violations at an instant and on actions', () => {
  it('lists exactly the continuous constraints: spread, root, quarantine always; ban, fence, among when continuous', () => {
    expect(continuousConstraints(instance)).toEqual([0, 1, 3, 4, 6, 9, 10, 11]);
  });

  it('reports instant violations with their time (a migrating VM occupies both nodes)', () => {
    const occupancy = new Map([
      ['a', ['n1', 'n2']],
      ['b', ['n1']],
      ['e', ['n3']],
      ['c', ['n2']],
    ]);
    const got = checkInstant(instance, { time: 4, occupancy }).map((v) => ({ ...pick(v), time: v.time, constraint: v.constraint }));
    expect(got).toEqual([
      { message: 'ban #0 at t=4: a occupies banned node n1', vms: ['a'], nodes: ['n1'], time: 4, constraint: 0 },
      { message: 'fence #1 at t=4: a occupies n2, outside n1', vms: ['a'], nodes: ['n2'], time: 4, constraint: 1 },
      { message: 'fence #1 at t=4: c occupies n2, outside n1', vms: ['c'], nodes: ['n2'], time: 4, constraint: 1 },
      { message: 'spread #3 at t=4: a and b both occupy n1', vms: ['a', 'b'], nodes: ['n1'], time: 4, constraint: 3 },
      { message: 'spread #4 at t=4: a and b both occupy n1', vms: ['a', 'b'], nodes: ['n1'], time: 4, constraint: 4 },
      {
        message: 'among #6 at t=4: a (n1, n2) and c (n2) do not occupy nodes inside one group',
        vms: ['a', 'c'],
        nodes: ['n1', 'n2'],
        time: 4,
        constraint: 6,
      },
    ]);
    const three = new Map([
      ['a', ['n1']],
      ['b', ['n1']],
      ['e', ['n2', 'n1']],
    ]);
    expect(checkInstant(instance, { time: 0, occupancy: three }, [4]).map((v) => v.message)).toEqual(['spread #4 at t=0: a, b and e all occupy n1']);
    // Only the indices asked for, and only continuous ones (2 is a fence without `continuous`).
    expect(checkInstant(instance, { time: 0, occupancy: new Map([['a', ['n4']]]) }, [2, 22, 1]).map((v) => v.message)).toEqual([
      'fence #1 at t=0: a occupies n4, outside n1',
    ]);
    const fenceEmpty = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 1 } }],
      vms: [{ id: 'a', demand: { cpu: 1 }, state: 'running', host: 'n1' }],
      constraints: [{ type: 'fence', vms: ['a'], nodes: [], continuous: true }],
    });
    expect(checkInstant(fenceEmpty, { time: 2, occupancy: new Map([['a', ['n1']]]) }).map((v) => v.message)).toEqual([
      'fence #0 at t=2: a occupies n1, outside the (empty) fence',
    ]);
  });

  it('counts only the VMs present at the instant (absent, or occupying no node)', () => {
    for (const occupancy of [new Map([['a', ['n1', 'n2']]]), new Map([['a', ['n1', 'n2']], ['c', []]])]) {
      expect(checkInstant(instance, { time: 1, occupancy }, [6]).map((v) => ({ message: v.message, vms: v.vms, nodes: v.nodes }))).toEqual([
        { message: 'among #6 at t=1: a (n1, n2) do not occupy nodes inside one group', vms: ['a'], nodes: ['n1', 'n2'] },
      ]);
    }
  });

  it('reports action violations with their time and action', () => {
    const at = (a: Parameters<typeof checkAction>[1]) =>
      checkAction(instance, a).map((v) => ({ ...pick(v), time: v.time, action: v.action, constraint: v.constraint }));
    expect(at({ id: 5, type: 'migrate', vm: 'a', from: 'n1', to: 'n3', start: 3, end: 4 })).toEqual([
      { message: 'root #9 at t=3 (action 5): a is moved from n1 to n3', vms: ['a'], nodes: ['n1', 'n3'], time: 3, action: 5, constraint: 9 },
      {
        message: 'quarantine #10 at t=3 (action 5): a is moved from n1 to n3 (quarantined: n1)',
        vms: ['a'],
        nodes: ['n1', 'n3'],
        time: 3,
        action: 5,
        constraint: 10,
      },
    ]);
    expect(at({ id: 6, type: 'boot', vm: 'w', to: 'n2', start: 1, end: 2 })).toEqual([
      { message: 'quarantine #11 at t=1 (action 6): w boots onto quarantined node n2', vms: ['w'], nodes: ['n2'], time: 1, action: 6, constraint: 11 },
    ]);
    expect(at({ id: 7, type: 'resume', vm: 's', from: 'n3', to: 'n2', start: 2, end: 3 }).map((v) => v.message)).toEqual([
      'root #9 at t=2 (action 7): s is moved from n3 to n2',
      'quarantine #11 at t=2 (action 7): s is moved from n3 to n2 (quarantined: n2)',
    ]);
    expect(at({ id: 8, type: 'migrate', vm: 'c', from: 'n2', to: 'n1', start: 0, end: 1 }).map((v) => v.message)).toEqual([
      'quarantine #10 at t=0 (action 8): c is moved from n2 to n1 (quarantined: n1)',
      'quarantine #11 at t=0 (action 8): c is moved from n2 to n1 (quarantined: n2)',
    ]);
    // Moving nothing between nodes: local resume, suspend, shutdown, node actions, a boot elsewhere.
    expect(at({ id: 9, type: 'resume', vm: 's', from: 'n3', to: 'n3', start: 0, end: 1 })).toEqual([]);
    expect(at({ id: 10, type: 'suspend', vm: 'a', from: 'n1', start: 0, end: 1 })).toEqual([]);
    expect(at({ id: 11, type: 'shutdown', vm: 'a', from: 'n1', start: 0, end: 1 })).toEqual([]);
    expect(at({ id: 12, type: 'bootNode', node: 'n1', start: 0, end: 1 })).toEqual([]);
    expect(at({ id: 13, type: 'boot', vm: 'w', to: 'n3', start: 0, end: 1 })).toEqual([]);
    // Only the indices asked for.
    expect(checkAction(instance, { id: 5, type: 'migrate', vm: 'a', from: 'n1', to: 'n3', start: 3, end: 4 }, [10, 0]).map((v) => v.constraint)).toEqual([10]);
  });

  it('rejects an index with no constraint, naming it', () => {
    expect(() => checkConstraint(instance, 99, source)).toThrow('constraints[99]: no constraint #99 (the instance has 28)');
    expect(() => checkConstraint(instance, -1, source)).toThrow(/no constraint #-1/);
    expect(() => checkConstraint(instance, 1.5, source)).toThrow(/no constraint #1.5/);
    expect(() => checkInstant(instance, { time: 0, occupancy: new Map() }, [28])).toThrow(/constraints\[28\]|no constraint #28/);
  });
});

describe('capacity and state rules: exact violations', () => {
  const small = makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 2, memory: 10 } },
      { id: 'n2', capacity: { cpu: 2, memory: 10 }, state: 'offline' },
    ],
    vms: [
      { id: 'a', demand: { cpu: 1, memory: 1 }, state: 'running', host: 'n1', vjob: 'j', wants: 'running' },
      { id: 'b', demand: { cpu: 1, memory: 1 }, state: 'running', host: 'n1', vjob: 'j' },
      { id: 'c', demand: { cpu: 1, memory: 1 }, state: 'waiting', wants: 'terminated' },
      { id: 'w', demand: { cpu: 1, memory: 1 }, state: 'waiting', vjob: 'k' },
      { id: 'x', demand: { cpu: 1, memory: 1 }, state: 'waiting', vjob: 'k' },
    ],
  });
  const src = sourceConfiguration(small);

  it('names VMs on offline and unknown nodes (run / runs), and loads over capacity per resource', () => {
    const conf = src
      .setIn(['vms', 'a'], placement('running', 'n2'))
      .setIn(['vms', 'b'], placement('running', 'n2'))
      .setIn(['vms', 'c'], placement('running', 'n7'))
      .setIn(['vms', 'w'], placement('running', 'n1'))
      .setIn(['vms', 'x'], placement('running', 'n1')) as Configuration;
    expect(checkCapacity(small, conf)).toEqual([
      { code: 'offline-host', message: 'a and b run on offline node n2', vms: ['a', 'b'], nodes: ['n2'] },
      { code: 'offline-host', message: 'c runs on unknown node n7', vms: ['c'], nodes: ['n7'] },
    ]);
    const over = src.setIn(['vms', 'w'], placement('running', 'n1')) as Configuration;
    expect(checkCapacity(small, over)).toEqual([{ code: 'capacity', message: 'n1: cpu load 3 exceeds capacity 2 (a, b and w)', vms: ['a', 'b', 'w'], nodes: ['n1'] }]);
    expect(checkCapacity(small, src)).toEqual([]);
  });

  it('names missing and unexpected hosts, wants not met and split vjobs', () => {
    const conf = src
      .setIn(['vms', 'a'], placement('sleeping'))
      .setIn(['vms', 'c'], src.vms.get('c')!.set('host', 'n1'))
      .setIn(['vms', 'w'], placement('running', 'n1')) as Configuration;
    expect(checkStates(small, conf)).toEqual([
      { code: 'missing-host', message: 'a is sleeping but has no host', vms: ['a'] },
      { code: 'unexpected-host', message: 'c is waiting but has host n1', vms: ['c'], nodes: ['n1'] },
      { code: 'wants', message: 'a must end running but is sleeping', vms: ['a'] },
      { code: 'wants', message: 'c must end terminated but is waiting', vms: ['c'] },
      { code: 'vjob-split', message: 'vjob j is split: a sleeping; b running', vms: ['a', 'b'] },
      { code: 'vjob-split', message: 'vjob k is split: w running; x waiting', vms: ['w', 'x'] },
    ]);
    const gone = src.deleteIn(['vms', 'a']) as Configuration;
    expect(checkStates(small, gone)).toEqual([
      { code: 'wants', message: 'a must end running but is absent', vms: ['a'] },
      { code: 'wants', message: 'c must end terminated but is waiting', vms: ['c'] },
    ]);
    // Terminated members do not split a vjob.
    const ended = src.setIn(['vms', 'x'], placement('terminated')).setIn(['vms', 'w'], placement('running', 'n1')) as Configuration;
    expect(checkStates(small, ended).map((v) => v.code)).toEqual(['wants']);
  });
});
