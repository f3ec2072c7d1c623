import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../src/errors.js';
import { formatInstance, parseInstance, serializeInstance, validateInstance } from '../../src/io/instance.js';
import { objectiveOf } from '../../src/model/instance.js';

type Doc = Record<string, unknown>;

/** A small valid instance; tests break one thing in a fresh copy. */
function base(): Doc {
  return {
    version: 1,
    nodes: [
      { id: 'n1', capacity: { cpu: 32, memory: 131072 }, state: 'online', site: 'rennes', labels: { rack: 'r1' } },
      { id: 'n2', capacity: { cpu: 16, memory: 65536 } },
      { id: 'n3', capacity: { cpu: 16, memory: 65536 }, state: 'offline' },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 4, memory: 8192 }, state: 'running', host: 'n1', vjob: 'job1' },
      { id: 'vm2', demand: { cpu: 2, memory: 4096 }, state: 'sleeping', host: 'n3' },
      { id: 'vm3', demand: { cpu: 1 }, state: 'waiting', wants: 'running' },
      { id: 'vm4', demand: { memory: 1024 }, state: 'running', host: 'n2' },
    ],
    vjobs: [{ id: 'job1', priority: 2, submitted: 10, bestEffort: true }],
    constraints: [{ type: 'spread', vms: ['vm1', 'vm4'] }],
  };
}

/** `base()` with `edit` applied. */
function doc(edit: (d: any) => void): Doc {
  const d = base();
  edit(d);
  return d;
}

function issuesOf(input: unknown): readonly Issue[] {
  const r = validateInstance(input);
  if (r.ok) throw new Error('expected the document to be rejected');
  return r.issues;
}

/** The one issue at `path`; fails unless there is exactly one there. */
function issueAt(input: unknown, path: string): Issue {
  const found = issuesOf(input).filter((i) => i.path === path);
  expect(found.map((i) => i.path), JSON.stringify(issuesOf(input))).toEqual([path]);
  return found[0]!;
}

describe('validateInstance: valid documents', () => {
  it('accepts the base document and builds the model it describes', () => {
    const r = validateInstance(base());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.value;
    expect([...m.nodes.keys()]).toEqual(['n1', 'n2', 'n3']);
    expect(m.nodes.get('n2')?.state).toBe('online');
    expect(m.nodes.get('n3')?.state).toBe('offline');
    expect(m.nodes.get('n1')?.labels.get('rack')).toBe('r1');
    expect(m.vms.get('vm2')?.host).toBe('n3');
    expect(m.vms.get('vm3')?.wants).toBe('running');
    expect(m.vjobs.get('job1')?.bestEffort).toBe(true);
    expect(m.constraints.toArray()).toEqual([{ type: 'spread', vms: ['vm1', 'vm4'] }]);
  });

  it('builds frozen constraints, down to their lists', () => {
    const r = validateInstance(doc((d) => d.constraints.push({ type: 'among', vms: ['vm1'], groups: [['n1'], ['n2']] })));
    if (!r.ok) throw new Error('invalid');
    const among = r.value.constraints.get(1);
    if (among?.type !== 'among') throw new Error('expected the among constraint');
    expect(Object.isFrozen(among)).toBe(true);
    expect(Object.isFrozen(among.groups)).toBe(true);
    expect(Object.isFrozen(among.groups[0])).toBe(true);
  });

  it('keeps absent optional sections undefined (objectiveOf applies the default)', () => {
    const r = validateInstance(doc((d) => { delete d.vjobs; delete d.constraints; delete d.vms[0].vjob; }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.objective).toBeUndefined();
    expect(r.value.durations).toBeUndefined();
    expect(r.value.limits).toBeUndefined();
    expect(r.value.x).toBeUndefined();
    expect(objectiveOf(r.value).type).toBe('minMigrations');
  });

  it('accepts a terminated VM carrying a host (even an unknown one) and drops the host', () => {
    const r = validateInstance(doc((d) => d.vms.push({ id: 'vm5', demand: {}, state: 'terminated', host: 'gone' })));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.vms.get('vm5')?.host).toBeUndefined();
  });

  it('lets nodes, VMs and vjobs share ids (separate namespaces)', () => {
    const r = validateInstance(doc((d) => { d.vjobs[0].id = 'vm1'; d.vms[0].vjob = 'vm1'; d.nodes[1].id = 'vm4'; d.vms[3].host = 'vm4'; }));
    expect(r.ok).toBe(true);
  });

  it('accepts x objects with any content everywhere a fixed-field object is', () => {
    const x = { anything: [1, { deep: null }], 'odd key': true };
    const r = validateInstance(
      doc((d) => {
        d.x = x; d.nodes[0].x = x; d.vms[0].x = x; d.vjobs[0].x = x; d.constraints[0].x = x;
        d.objective = { type: 'consolidate', x }; d.durations = { x }; d.limits = { x };
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.x).toEqual(x);
    expect(r.value.x).not.toBe(x);
    expect(Object.isFrozen(r.value.x)).toBe(true);
    expect(r.value.durations).toEqual({ x });
  });

  it('accepts the boundaries: zero capacity and demand, fixed times of 0, limits of 1, amount 0, continuous on ban/fence/among', () => {
    const r = validateInstance(
      doc((d) => {
        d.nodes[1].capacity.cpu = 0;
        d.vms[2].demand.cpu = 0;
        d.durations = { bootVm: 0, shutdownVm: 0, bootNode: 0, shutdownNode: 0, bandwidth: 0.5 };
        d.limits = { maxParallelMigrations: 1, maxMigrationsPerNode: 1 };
        d.constraints.push(
          { type: 'runningCapacity', nodes: ['n1'], amount: 0 },
          { type: 'resourceCapacity', nodes: ['n1'], resource: 'cpu', amount: 2.5 },
          { type: 'ban', vms: ['vm1'], nodes: ['n2'], continuous: true },
          { type: 'fence', vms: ['vm1'], nodes: ['n1'], continuous: false },
          { type: 'among', vms: ['vm1'], groups: [['n1'], ['n2', 'n3']], continuous: true },
        );
      }),
    );
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('reads the FORMAT.md example, whose only problem is the undeclared vm2 of its spread constraint', () => {
    const r = parseInstance(readFileSync(new URL('./fixtures/format-instance.json', import.meta.url), 'utf8'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]!.path).toBe('constraints[0].vms[1]');
      expect(r.issues[0]!.message).toContain('"vm2"');
    }
  });
});

describe('validateInstance: document level', () => {
  it('reports text that is not JSON at $ with the JSON parser message', () => {
    const text = '{"version": 1,';
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    const r = parseInstance(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toEqual([{ path: '$', message: expect.stringContaining(parserMessage) }]);
    }
  });

  it.each([[[]], [null], [5], ['{}']])('rejects a root that is not an object: %j', (root) => {
    expect(issuesOf(root).map((i) => i.path)).toEqual(['$']);
  });

  it('reports a missing version and still reports the other problems', () => {
    const issues = issuesOf(doc((d) => { delete d.version; d.nodes[0].capacity.cpu = -1; }));
    expect(issues.map((i) => i.path)).toEqual(['version', 'nodes[0].capacity.cpu']);
    expect(issues[0]!.message).toContain('missing');
  });

  it.each([[2], ['1'], [null], [1.5]])('rejects version %j alone (another version may mean anything)', (v) => {
    const issues = issuesOf(doc((d) => { d.version = v; d.nodes = 'junk'; }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('version');
    expect(issues[0]!.message).toContain('only version 1');
  });

  it('requires nodes and vms to be arrays', () => {
    expect(issueAt(doc((d) => delete d.nodes), 'nodes').message).toContain('missing');
    expect(issueAt(doc((d) => { d.vms = {}; }), 'vms').message).toContain('array');
  });

  it('rejects unknown top-level fields and non-object x', () => {
    expect(issueAt(doc((d) => { d.extra = 1; }), 'extra').message).toContain('unknown field "extra"');
    for (const x of [[], null, 'x', 3]) expect(issueAt(doc((d) => { d.x = x; }), 'x').message).toContain('object');
  });

  it('reports every problem of a document in one pass, sorted by section', () => {
    const issues = issuesOf(
      doc((d) => {
        d.limits = { maxParallelMigrations: 0 };
        d.vms[3].host = 'ghost';
        d.nodes[2].capacity.memory = 'lots';
        d.constraints.push({ type: 'gather', vms: ['nobody'] });
        d.objective = { type: 'pack' };
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'nodes[2].capacity.memory',
      'vms[3].host',
      'constraints[1].vms[0]',
      'objective.type',
      'limits.maxParallelMigrations',
    ]);
  });
});

describe('validateInstance: ids', () => {
  it.each([
    ['nodes', 'node', 'n1'],
    ['vms', 'VM', 'vm1'],
    ['vjobs', 'vjob', 'job1'],
  ] as const)('reports a duplicate %s id at the second occurrence', (list, kind, id) => {
    const d = base();
    const items = d[list] as Doc[];
    items.push({ ...items[0]! });
    const at = `${list}[${items.length - 1}].id`;
    const issue = issueAt(d, at);
    expect(issue.message).toContain(`${kind} "${id}"`);
    expect(issue.message).toContain(`${list}[0]`);
  });

  it.each([[''], [7], [null]])('rejects the id %j', (id) => {
    expect(issueAt(doc((d) => { d.nodes[1].id = id; }), 'nodes[1].id').message).toContain('node #1');
    expect(issueAt(doc((d) => { d.vms[2].id = id; }), 'vms[2].id').message).toContain('VM #2');
    expect(issueAt(doc((d) => { d.vjobs[0].id = id; }), 'vjobs[0].id').message).toContain('vjob #0');
  });

  it('reports a missing id', () => {
    expect(issueAt(doc((d) => delete d.vms[1].id), 'vms[1].id').message).toBe('VM #1: id is missing');
  });
});

describe('validateInstance: nodes', () => {
  it.each([[-1], [Number.NaN], [Infinity], [-Infinity], ['8'], [null]])('rejects the capacity %j', (v) => {
    const issue = issueAt(doc((d) => { d.nodes[1].capacity.cpu = v; }), 'nodes[1].capacity.cpu');
    expect(issue.message).toMatch(/^node "n2": capacity\.cpu must be a finite number ≥ 0, got /);
  });

  it('quotes resource names that are not identifiers in paths', () => {
    expect(issueAt(doc((d) => { d.nodes[1].capacity['disk io'] = -2; }), 'nodes[1].capacity["disk io"]').message).toContain('-2');
  });

  it('rejects a capacity that is not an object', () => {
    expect(issueAt(doc((d) => { d.nodes[0].capacity = [32]; }), 'nodes[0].capacity').message).toContain('node "n1"');
    expect(issueAt(doc((d) => delete d.nodes[0].capacity), 'nodes[0].capacity').message).toBe('node "n1": capacity is missing');
  });

  it('rejects an unknown node state, listing the known ones', () => {
    const issue = issueAt(doc((d) => { d.nodes[1].state = 'up'; }), 'nodes[1].state');
    expect(issue.message).toBe('node "n2": unknown node state "up" (known: online, offline)');
  });

  it('rejects labels that are not string to string, and a site that is not a string', () => {
    expect(issueAt(doc((d) => { d.nodes[0].labels.rack = 1; }), 'nodes[0].labels.rack').message).toContain('node "n1"');
    expect(issueAt(doc((d) => { d.nodes[0].labels = ['r1']; }), 'nodes[0].labels').message).toContain('object');
    expect(issueAt(doc((d) => { d.nodes[0].site = 3; }), 'nodes[0].site').message).toContain('node "n1": site must be a string');
  });

  it('rejects unknown node fields, naming the node', () => {
    expect(issueAt(doc((d) => { d.nodes[2].cpu = 4; }), 'nodes[2].cpu').message).toMatch(/^node "n3": unknown field "cpu"/);
  });
});

describe('validateInstance: VMs', () => {
  it('names the VM and the missing node (FORMAT example of the brief)', () => {
    const issue = issueAt(doc((d) => { d.vms[3].host = 'ghost'; }), 'vms[3].host');
    expect(issue.message).toBe('VM "vm4": node "ghost" does not exist');
  });

  it('reports a sleeping VM on an unknown node', () => {
    expect(issueAt(doc((d) => { d.vms[1].host = 'ghost'; }), 'vms[1].host').message).toBe('VM "vm2": node "ghost" does not exist');
  });

  it('guards against resource typos in demands', () => {
    const issue = issueAt(doc((d) => { d.vms[2].demand = { memroy: 512 }; }), 'vms[2].demand.memroy');
    expect(issue.message).toBe('VM "vm3": resource "memroy" is not a capacity of any node');
  });

  it.each([[-0.5], [Number.NaN], [Infinity], ['1'], [true]])('rejects the demand %j', (v) => {
    expect(issueAt(doc((d) => { d.vms[0].demand.cpu = v; }), 'vms[0].demand.cpu').message).toMatch(/^VM "vm1": demand\.cpu must be/);
  });

  it('rejects unknown and missing states, and unknown wants', () => {
    expect(issueAt(doc((d) => { d.vms[0].state = 'runing'; }), 'vms[0].state').message).toBe(
      'VM "vm1": unknown VM state "runing" (known: waiting, running, sleeping, terminated)',
    );
    expect(issueAt(doc((d) => delete d.vms[2].state), 'vms[2].state').message).toBe('VM "vm3": state is missing');
    expect(issueAt(doc((d) => { d.vms[2].wants = 'waiting'; }), 'vms[2].wants').message).toBe(
      'VM "vm3": unknown wanted state "waiting" (known: running, sleeping, terminated)',
    );
  });

  it('requires a host for running and sleeping VMs', () => {
    expect(issueAt(doc((d) => delete d.vms[0].host), 'vms[0].host').message).toBe('VM "vm1": a running VM needs a host');
    expect(issueAt(doc((d) => delete d.vms[1].host), 'vms[1].host').message).toBe('VM "vm2": a sleeping VM needs a host');
  });

  it('rejects a waiting VM with a host', () => {
    expect(issueAt(doc((d) => { d.vms[2].host = 'n1'; }), 'vms[2].host').message).toBe('VM "vm3": a waiting VM has no host (got "n1")');
  });

  it('rejects a running VM on an offline node (a sleeping one may lie there)', () => {
    expect(issueAt(doc((d) => { d.vms[0].host = 'n3'; }), 'vms[0].host').message).toBe(
      'VM "vm1": node "n3" is offline; a running VM needs an online host',
    );
  });

  it('requires a VM vjob to be declared', () => {
    expect(issueAt(doc((d) => { d.vms[3].vjob = 'job9'; }), 'vms[3].vjob').message).toBe('VM "vm4": vjob "job9" is not declared in vjobs');
    expect(issueAt(doc((d) => delete d.vjobs), 'vms[0].vjob').message).toContain('"job1"');
  });

  it('rejects unknown VM fields, naming the VM', () => {
    expect(issueAt(doc((d) => { d.vms[1].hots = 'n1'; }), 'vms[1].hots').message).toMatch(/^VM "vm2": unknown field "hots"/);
  });
});

describe('validateInstance: vjobs', () => {
  it.each([
    ['priority', Number.NaN],
    ['priority', 'high'],
    ['submitted', Infinity],
    ['bestEffort', 'yes'],
    ['bestEffort', 1],
  ])('rejects %s = %j', (field, v) => {
    expect(issueAt(doc((d) => { d.vjobs[0][field] = v; }), `vjobs[0].${field}`).message).toMatch(new RegExp(`^vjob "job1": ${field} must be`));
  });

  it('accepts negative priorities and fills defaults', () => {
    const r = validateInstance(doc((d) => { d.vjobs = [{ id: 'job1', priority: -3 }]; }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.vjobs.get('job1')?.toJS()).toMatchObject({ priority: -3, submitted: 0, bestEffort: false });
  });
});

describe('validateInstance: constraints', () => {
  const withConstraint = (c: unknown) => doc((d) => { d.constraints = [c]; });

  it('rejects an unknown or missing constraint type, listing the known ones', () => {
    const issue = issueAt(withConstraint({ type: 'bann', vms: ['vm1'] }), 'constraints[0].type');
    expect(issue.message).toContain('unknown constraint type "bann"');
    expect(issue.message).toContain('ban, fence, spread, gather, among, split, lonely, root, quarantine, overbook');
    expect(issueAt(withConstraint({ vms: ['vm1'] }), 'constraints[0].type').message).toContain('type is missing');
    expect(issueAt(withConstraint('spread'), 'constraints[0]').message).toContain('must be an object');
  });

  it('reports unknown VMs and nodes inside lists and groups, by position', () => {
    expect(issueAt(withConstraint({ type: 'ban', vms: ['vm1', 'ghost'], nodes: ['n1'] }), 'constraints[0].vms[1]').message).toBe(
      'constraint 0 (ban): VM "ghost" does not exist',
    );
    expect(issueAt(withConstraint({ type: 'fence', vms: ['vm1'], nodes: ['n1', 'n7'] }), 'constraints[0].nodes[1]').message).toBe(
      'constraint 0 (fence): node "n7" does not exist',
    );
    const split = doc((d) => d.constraints.push({ type: 'lonely', vms: ['vm1'] }, { type: 'split', groups: [['vm1', 'vm9'], ['vm2']] }));
    expect(issueAt(split, 'constraints[2].groups[0][1]').message).toBe('constraint 2 (split): VM "vm9" does not exist');
    expect(issueAt(withConstraint({ type: 'among', vms: ['vm1'], groups: [['n1'], ['n2', 'nX']] }), 'constraints[0].groups[1][1]').message).toBe(
      'constraint 0 (among): node "nX" does not exist',
    );
  });

  it('reports an id listed twice in one list', () => {
    expect(issueAt(withConstraint({ type: 'spread', vms: ['vm1', 'vm4', 'vm1'] }), 'constraints[0].vms[2]').message).toBe(
      'constraint 0 (spread): VM "vm1" is listed twice',
    );
  });

  it('requires reserved vjobs to be declared', () => {
    expect(issueAt(withConstraint({ type: 'reserved', nodes: ['n1'], vjob: 'job2' }), 'constraints[0].vjob').message).toBe(
      'constraint 0 (reserved): vjob "job2" is not declared in vjobs',
    );
  });

  it('reports missing fields, wrong types and empty lists', () => {
    expect(issueAt(withConstraint({ type: 'ban', vms: ['vm1'] }), 'constraints[0].nodes').message).toBe('constraint 0 (ban): nodes is missing');
    expect(issueAt(withConstraint({ type: 'gather', vms: 'vm1' }), 'constraints[0].vms').message).toContain('array');
    expect(issueAt(withConstraint({ type: 'online', nodes: [] }), 'constraints[0].nodes').message).toBe(
      'constraint 0 (online): nodes must not be empty',
    );
    expect(issueAt(withConstraint({ type: 'split', groups: [] }), 'constraints[0].groups').message).toContain('must not be empty');
    expect(issueAt(withConstraint({ type: 'among', vms: ['vm1'], groups: [['n1'], []] }), 'constraints[0].groups[1]').message).toContain(
      'must not be empty',
    );
    expect(issueAt(withConstraint({ type: 'root', vms: ['vm1', 3] }), 'constraints[0].vms[1]').message).toContain('non-empty string');
  });

  it.each([[0], [-1], [Number.NaN], ['2']])('rejects the overbook ratio %j', (ratio) => {
    const c = { type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio };
    expect(issueAt(withConstraint(c), 'constraints[0].ratio').message).toMatch(/^constraint 0 \(overbook\): ratio must be a finite number > 0/);
  });

  it('rejects negative amounts, and fractional ones for runningCapacity and maxOnline', () => {
    expect(issueAt(withConstraint({ type: 'resourceCapacity', nodes: ['n1'], resource: 'cpu', amount: -1 }), 'constraints[0].amount').message).toContain('≥ 0');
    expect(issueAt(withConstraint({ type: 'runningCapacity', nodes: ['n1'], amount: 1.5 }), 'constraints[0].amount').message).toContain('integer');
    expect(issueAt(withConstraint({ type: 'maxOnline', nodes: ['n1', 'n2'], amount: 0.5 }), 'constraints[0].amount').message).toContain('integer');
  });

  it('requires constraint resources to be a capacity of some node', () => {
    expect(issueAt(withConstraint({ type: 'overbook', nodes: ['n1'], resource: 'cpus', ratio: 2 }), 'constraints[0].resource').message).toBe(
      'constraint 0 (overbook): resource "cpus" is not a capacity of any node',
    );
  });

  it('allows continuous only on ban, fence and among, and only as a boolean', () => {
    expect(issueAt(withConstraint({ type: 'spread', vms: ['vm1'], continuous: true }), 'constraints[0].continuous').message).toBe(
      'constraint 0 (spread): "continuous" is only allowed on ban, fence, among',
    );
    expect(issueAt(withConstraint({ type: 'ban', vms: ['vm1'], nodes: ['n2'], continuous: 'yes' }), 'constraints[0].continuous').message).toContain(
      'true or false',
    );
  });

  it('rejects fields of another constraint type', () => {
    expect(issueAt(withConstraint({ type: 'gather', vms: ['vm1'], nodes: ['n1'] }), 'constraints[0].nodes').message).toMatch(
      /^constraint 0 \(gather\): unknown field "nodes"/,
    );
  });
});

describe('validateInstance: objective, durations, limits', () => {
  const withField = (key: string, v: unknown) => doc((d) => { d[key] = v; });

  it('rejects unknown objective types and fields', () => {
    expect(issueAt(withField('objective', { type: 'pack' }), 'objective.type').message).toBe(
      'objective: unknown objective type "pack" (known: consolidate, balance, minMigrations)',
    );
    expect(issueAt(withField('objective', {}), 'objective.type').message).toContain('missing');
    expect(issueAt(withField('objective', { type: 'balance', powerOff: true }), 'objective.powerOff').message).toContain('unknown field');
    expect(issueAt(withField('objective', 'consolidate'), 'objective').message).toContain('object');
  });

  it('checks powerOff and the balanced resource', () => {
    expect(issueAt(withField('objective', { type: 'consolidate', powerOff: 'yes' }), 'objective.powerOff').message).toContain('true or false');
    expect(issueAt(withField('objective', { type: 'balance', resource: 4 }), 'objective.resource').message).toContain('string');
    expect(issueAt(withField('objective', { type: 'balance', resource: 'gpu' }), 'objective.resource').message).toBe(
      'objective: resource "gpu" is not a capacity of any node',
    );
    const r = validateInstance(withField('objective', { type: 'balance', resource: 'memory' }));
    expect(r.ok && r.value.objective).toEqual({ type: 'balance', resource: 'memory' });
  });

  it.each([
    ['bandwidth', 0],
    ['wanBandwidth', -100],
    ['diskRate', Number.NaN],
    ['bootVm', -1],
    ['shutdownNode', Infinity],
    ['bootNode', '120'],
  ])('rejects durations.%s = %j', (field, v) => {
    expect(issueAt(withField('durations', { [field]: v }), `durations.${field}`).message).toMatch(new RegExp(`^durations: ${field} must be a finite number`));
  });

  it('rejects unknown duration fields', () => {
    expect(issueAt(withField('durations', { migrate: 3 }), 'durations.migrate').message).toContain('unknown field "migrate"');
  });

  it.each([[0], [-1], [1.5], [Number.NaN], ['8']])('rejects the limit %j', (v) => {
    expect(issueAt(withField('limits', { maxMigrationsPerNode: v }), 'limits.maxMigrationsPerNode').message).toMatch(
      /^limits: maxMigrationsPerNode must be an integer ≥ 1/,
    );
  });
});

describe('validateInstance: typed API input', () => {
  it('rejects values JSON cannot hold inside x', () => {
    expect(issueAt(doc((d) => { d.x = { a: [1, Number.NaN] }; }), 'x.a[1]').message).toContain('NaN');
    expect(issueAt(doc((d) => { d.vms[0].x = { f: () => 1 }; }), 'vms[0].x.f').message).toContain('VM "vm1"');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(issueAt(doc((d) => { d.x = cyclic; }), 'x.self').message).toContain('cycle');
  });

  it('rejects class instances where plain objects are expected', () => {
    expect(issueAt(doc((d) => { d.nodes[0].capacity = new Map([['cpu', 1]]); }), 'nodes[0].capacity').message).toContain('object');
  });

  it('treats fields set to undefined as absent', () => {
    const r = validateInstance(doc((d) => { d.vms[2].host = undefined; d.objective = undefined; }));
    expect(r.ok).toBe(true);
  });
});

describe('parseInstance: odd keys and ids', () => {
  it('keeps __proto__ and constructor as ordinary resource names, label keys and ids', () => {
    const text =
      '{"version":1,"nodes":[{"id":"constructor","capacity":{"__proto__":4,"cpu":2},"labels":{"__proto__":"p"}}],' +
      '"vms":[{"id":"__proto__","demand":{"__proto__":1},"state":"running","host":"constructor"}]}';
    const r = parseInstance(text);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.value.nodes.get('constructor')?.capacity.get('__proto__')).toBe(4);
    expect(r.value.nodes.get('constructor')?.labels.get('__proto__')).toBe('p');
    expect(r.value.vms.get('__proto__')?.demand.get('__proto__')).toBe(1);
    expect(JSON.parse(formatInstance(r.value))).toEqual(JSON.parse(text.replace('"labels"', '"state":"online","labels"')));
  });

  it('quotes ids in messages and non-identifier keys in paths', () => {
    const r = parseInstance('{"version":1,"nodes":[],"vms":[{"id":"a \\"b\\"","demand":{"mem ory":1},"state":"waiting"}]}');
    expect(!r.ok && r.issues).toEqual([
      { path: 'vms[0].demand["mem ory"]', message: 'VM "a \\"b\\"": resource "mem ory" is not a capacity of any node' },
    ]);
  });
});

describe('serializeInstance / formatInstance', () => {
  it('writes FORMAT.md key order, explicit node state and vjob fields, and keeps absent fields absent', () => {
    const r = validateInstance(doc((d) => { d.vjobs = [{ id: 'job1' }]; }));
    if (!r.ok) throw new Error('invalid');
    const json = serializeInstance(r.value);
    expect(Object.keys(json)).toEqual(['version', 'nodes', 'vms', 'vjobs', 'constraints']);
    expect(json.nodes[1]).toEqual({ id: 'n2', capacity: { cpu: 16, memory: 65536 }, state: 'online' });
    expect(Object.keys(json.nodes[0]!)).toEqual(['id', 'capacity', 'state', 'site', 'labels']);
    expect(Object.keys(json.vms[0]!)).toEqual(['id', 'demand', 'state', 'host', 'vjob']);
    expect(json.vjobs).toEqual([{ id: 'job1', priority: 0, submitted: 0, bestEffort: false }]);
    expect('objective' in json || 'durations' in json || 'limits' in json).toBe(false);
  });

  it('formats pretty JSON that parses back to the same document', () => {
    const r = validateInstance(doc((d) => { d.durations = { bandwidth: 1000, diskRate: 500 }; d.objective = { type: 'consolidate', powerOff: true }; }));
    if (!r.ok) throw new Error('invalid');
    const text = formatInstance(r.value);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').every((line) => line.length <= 100)).toBe(true);
    expect(JSON.parse(text)).toEqual(serializeInstance(r.value));
    const again = parseInstance(text);
    expect(again.ok && serializeInstance(again.value)).toEqual(serializeInstance(r.value));
  });

  it('hands out unshared objects', () => {
    const r = validateInstance(doc((d) => { d.x = { list: [1] }; }));
    if (!r.ok) throw new Error('invalid');
    const a = serializeInstance(r.value) as any;
    a.x.list.push(2);
    a.constraints[0].vms.push('vm9');
    expect(serializeInstance(r.value)).toMatchObject({ x: { list: [1] }, constraints: [{ vms: ['vm1', 'vm4'] }] });
  });
});
