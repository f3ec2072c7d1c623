import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../src/errors.js';
import { validateInstance } from '../../src/io/instance.js';
import { checkPlanReferences, formatPlan, parsePlan, serializePlan, validatePlan } from '../../src/io/plan.js';
import type { Plan } from '../../src/plan/types.js';

type Doc = Record<string, any>;

const exampleText = readFileSync(new URL('./fixtures/format-plan.json', import.meta.url), 'utf8');

function base(): Doc {
  return {
    version: 1,
    status: 'feasible',
    actions: [
      { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 8 },
      { id: 1, type: 'boot', vm: 'vm2', to: 'n1', start: 8, end: 18, after: [0] },
      { id: 2, type: 'shutdownNode', node: 'n3', start: 0, end: 30 },
    ],
    target: {
      vms: { vm1: { state: 'running', host: 'n2' }, vm2: { state: 'running', host: 'n1' }, vm3: { state: 'terminated' } },
      nodes: { n1: 'online', n2: 'online', n3: 'offline' },
    },
    stats: { nodesUsed: 2, lowerBound: 1, migrations: 1, migratedMemory: 1024, makespan: 30, solveMs: 4, planMs: 1 },
  };
}

function infeasible(): Doc {
  return {
    version: 1,
    status: 'infeasible',
    actions: [],
    reasons: [{ message: 'not enough memory', resource: 'memory', vms: ['vm1'], nodes: ['n1'], constraints: [0] }],
  };
}

function doc(edit: (d: Doc) => void, from: () => Doc = base): Doc {
  const d = from();
  edit(d);
  return d;
}

function issuesOf(input: unknown): readonly Issue[] {
  const r = validatePlan(input);
  if (r.ok) throw new Error('expected the plan to be rejected');
  return r.issues;
}

function issueAt(input: unknown, path: string): Issue {
  const found = issuesOf(input).filter((i) => i.path === path);
  expect(found.map((i) => i.path), JSON.stringify(issuesOf(input))).toEqual([path]);
  return found[0]!;
}

describe('validatePlan: valid plans', () => {
  it('reads the FORMAT.md example plan', () => {
    const r = parsePlan(exampleText);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.status === 'infeasible') return;
    expect(r.value.actions.map((a) => a.type)).toEqual(['migrate', 'shutdownNode']);
    expect(r.value.actions[1]!.after).toEqual([0]);
    expect(r.value.target.nodes['n1']).toBe('offline');
    expect(r.value.stats.makespan).toBe(38.2);
  });

  it('reads the base plan and an infeasible answer (stats optional and partial there)', () => {
    expect(validatePlan(base()).ok).toBe(true);
    expect(validatePlan(infeasible()).ok).toBe(true);
    const r = validatePlan(doc((d) => { d.stats = { solveMs: 3 }; }, infeasible));
    expect(r.ok && r.value.status === 'infeasible' && r.value.stats).toEqual({ solveMs: 3 });
  });

  it('accepts target entries and ids named "x" (maps keyed by id carry no extension data)', () => {
    const r = validatePlan(doc((d) => { d.target.vms.x = { state: 'waiting' }; d.target.nodes.x = 'online'; }));
    expect(r.ok).toBe(true);
  });
});

describe('validatePlan: document level', () => {
  it('reports text that is not JSON at $', () => {
    const r = parsePlan('[1,');
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(['$']);
  });

  it('checks version and status', () => {
    expect(issueAt(doc((d) => { d.version = 2; }), 'version').message).toContain('only version 1');
    expect(issueAt(doc((d) => delete d.version), 'version').message).toContain('missing');
    expect(issueAt(doc((d) => { d.status = 'done'; }), 'status').message).toBe(
      'plan: unknown plan status "done" (known: optimal, feasible, infeasible)',
    );
  });

  it('rejects unknown fields outside x', () => {
    expect(issueAt(doc((d) => { d.warnings = []; }), 'warnings').message).toContain('unknown field');
    expect(issueAt(doc((d) => { d.stats.cost = 3; }), 'stats.cost').message).toContain('unknown field "cost"');
    expect(issueAt(doc((d) => { d.target.extra = {}; }), 'target.extra').message).toContain('unknown field');
    expect(validatePlan(doc((d) => { d.x = { cost: 3 }; d.stats.x = { cost: 3 }; d.target.x = {}; d.actions[0].x = { by: 'me' }; })).ok).toBe(true);
  });
});

describe('validatePlan: actions', () => {
  it('requires exactly the fields of each action type', () => {
    expect(issueAt(doc((d) => delete d.actions[0].to), 'actions[0].to').message).toBe('action 0 (migrate): to is missing');
    expect(issueAt(doc((d) => { d.actions[2].vm = 'vm1'; }), 'actions[2].vm').message).toMatch(/^action 2 \(shutdownNode\): unknown field "vm"/);
    expect(issueAt(doc((d) => { d.actions[1].from = 'n2'; }), 'actions[1].from').message).toMatch(/^action 1 \(boot\): unknown field "from"/);
    expect(issueAt(doc((d) => { d.actions[0].vm = ''; }), 'actions[0].vm').message).toContain('non-empty string');
  });

  it('rejects unknown action types', () => {
    expect(issueAt(doc((d) => { d.actions[0].type = 'teleport'; }), 'actions[0].type').message).toContain(
      'unknown action type "teleport" (known: migrate, boot, shutdown, suspend, resume, bootNode, shutdownNode)',
    );
  });

  it('requires unique non-negative integer ids', () => {
    expect(issueAt(doc((d) => { d.actions[2].id = 0; }), 'actions[2].id').message).toContain('duplicate action id 0 (already used by actions[0])');
    expect(issueAt(doc((d) => { d.actions[2].id = 1.5; }), 'actions[2].id').message).toContain('integer');
    expect(issueAt(doc((d) => { d.actions[2].id = '2'; }), 'actions[2].id').message).toContain('integer');
  });

  it('requires finite start and end', () => {
    expect(issueAt(doc((d) => { d.actions[0].start = Number.NaN; }), 'actions[0].start').message).toContain('NaN');
    expect(issueAt(doc((d) => { d.actions[0].end = Infinity; }), 'actions[0].end').message).toContain('Infinity');
    expect(issueAt(doc((d) => delete d.actions[1].start), 'actions[1].start').message).toBe('action 1 (boot): start is missing');
  });

  it('requires after to list existing action ids', () => {
    expect(issueAt(doc((d) => { d.actions[1].after = [0, 7]; }), 'actions[1].after[1]').message).toBe(
      'action 1 (boot): after names action 7, which does not exist',
    );
    expect(issueAt(doc((d) => { d.actions[1].after = 0; }), 'actions[1].after').message).toContain('array');
    expect(issueAt(doc((d) => { d.actions[1].after = [-1]; }), 'actions[1].after[0]').message).toContain('integer');
  });
});

describe('validatePlan: target and stats', () => {
  it('requires a target and every stat on feasible plans', () => {
    expect(issueAt(doc((d) => delete d.target), 'target').message).toBe('plan: target is missing');
    expect(issueAt(doc((d) => delete d.stats), 'stats').message).toBe('plan: stats is missing');
    expect(issueAt(doc((d) => delete d.stats.planMs), 'stats.planMs').message).toBe('stats: planMs is missing');
    expect(issueAt(doc((d) => { d.stats.makespan = -1; }), 'stats.makespan').message).toContain('≥ 0');
  });

  it('checks target VM states and hosts, and node states', () => {
    expect(issueAt(doc((d) => { d.target.vms.vm1.state = 'gone'; }), 'target.vms.vm1.state').message).toContain('target VM "vm1": unknown VM state "gone"');
    expect(issueAt(doc((d) => delete d.target.vms.vm1.host), 'target.vms.vm1.host').message).toBe('target VM "vm1": a running VM needs a host');
    expect(issueAt(doc((d) => { d.target.vms.vm3.host = 'n1'; }), 'target.vms.vm3.host').message).toBe('target VM "vm3": a terminated VM has no host');
    expect(issueAt(doc((d) => { d.target.nodes.n2 = 'up'; }), 'target.nodes.n2').message).toBe('target node "n2": unknown node state "up" (known: online, offline)');
    expect(issueAt(doc((d) => { d.target.vms['vm-9'] = 3; }), 'target.vms["vm-9"]').message).toContain('must be an object');
  });
});

describe('validatePlan: infeasible plans', () => {
  it('has no actions and no target', () => {
    expect(issueAt(doc((d) => { d.actions = base().actions; }, infeasible), 'actions').message).toBe('plan: an infeasible plan has no actions');
    expect(issueAt(doc((d) => { d.target = base().target; }, infeasible), 'target').message).toBe('plan: an infeasible plan has no target');
  });

  it('needs at least one well-formed reason', () => {
    expect(issueAt(doc((d) => delete d.reasons, infeasible), 'reasons').message).toContain('needs reasons');
    expect(issueAt(doc((d) => { d.reasons = []; }, infeasible), 'reasons').message).toContain('at least one reason');
    expect(issueAt(doc((d) => delete d.reasons[0].message, infeasible), 'reasons[0].message').message).toBe('reason #0: message is missing');
    expect(issueAt(doc((d) => { d.reasons[0].constraints = [0.5]; }, infeasible), 'reasons[0].constraints[0]').message).toContain('integer');
    expect(issueAt(doc((d) => { d.reasons[0].vms = 'vm1'; }, infeasible), 'reasons[0].vms').message).toContain('array');
    expect(issueAt(doc((d) => { d.reasons[0].why = '?'; }, infeasible), 'reasons[0].why').message).toContain('unknown field');
  });

  it('rejects reasons on a feasible plan', () => {
    expect(issueAt(doc((d) => { d.reasons = infeasible().reasons; }), 'reasons').message).toContain('only allowed on infeasible plans');
  });
});

describe('checkPlanReferences', () => {
  const inst = validateInstance({
    version: 1,
    nodes: [
      { id: 'n1', capacity: { cpu: 8, memory: 8192 } },
      { id: 'n2', capacity: { cpu: 8, memory: 8192 } },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1' },
      { id: 'vm2', demand: { cpu: 1, memory: 1024 }, state: 'waiting' },
    ],
    constraints: [{ type: 'spread', vms: ['vm1', 'vm2'] }],
  });
  if (!inst.ok) throw new Error('fixture instance invalid');
  const plan = (d: Doc): Plan => {
    const r = validatePlan(d);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.value;
  };
  const good = (): Doc =>
    doc((d) => {
      d.actions = [
        { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 1 },
        { id: 1, type: 'boot', vm: 'vm2', to: 'n1', start: 0, end: 1 },
      ];
      d.target = { vms: { vm1: { state: 'running', host: 'n2' }, vm2: { state: 'running', host: 'n1' } }, nodes: { n1: 'online', n2: 'online' } };
    });

  it('finds nothing wrong with a plan that names only the instance ids', () => {
    expect(checkPlanReferences(inst.value, plan(good()))).toEqual([]);
    expect(checkPlanReferences(inst.value, plan(infeasible()))).toEqual([]);
  });

  it('names actions on unknown VMs and nodes', () => {
    const issues = checkPlanReferences(
      inst.value,
      plan(doc((d) => { d.actions[0].vm = 'ghost'; d.actions[1].to = 'n9'; d.actions.push({ id: 2, type: 'bootNode', node: 'n7', start: 0, end: 1 }); }, good)),
    );
    expect(issues).toEqual([
      { path: 'actions[0].vm', message: 'action 0 (migrate): VM "ghost" does not exist' },
      { path: 'actions[1].to', message: 'action 1 (boot): node "n9" does not exist' },
      { path: 'actions[2].node', message: 'action 2 (bootNode): node "n7" does not exist' },
    ]);
  });

  it('names target entries missing or unknown', () => {
    const issues = checkPlanReferences(
      inst.value,
      plan(doc((d) => { delete d.target.vms.vm2; d.target.vms.vm5 = { state: 'waiting' }; delete d.target.nodes.n1; d.target.nodes.n3 = 'offline'; d.target.vms.vm1.host = 'nX'; }, good)),
    );
    expect(issues.map((i) => i.path)).toEqual(['target.vms', 'target.vms.vm1.host', 'target.vms.vm5', 'target.nodes', 'target.nodes.n3']);
    expect(issues[0]!.message).toContain('VM "vm2" is missing');
    expect(issues[1]!.message).toContain('node "nX"');
    expect(issues[2]!.message).toContain('VM "vm5"');
    expect(issues[3]!.message).toContain('node "n1" is missing');
    expect(issues[4]!.message).toContain('node "n3"');
  });

  it('names unknown VMs, nodes and constraint indices in reasons', () => {
    const issues = checkPlanReferences(
      inst.value,
      plan(doc((d) => { d.reasons[0] = { message: 'm', vms: ['vm1', 'vm8'], nodes: ['n4'], constraints: [0, 1] }; }, infeasible)),
    );
    expect(issues.map((i) => i.path)).toEqual(['reasons[0].vms[1]', 'reasons[0].nodes[0]', 'reasons[0].constraints[1]']);
  });
});

describe('serializePlan / formatPlan', () => {
  it('writes the FORMAT.md example back key for key', () => {
    const r = parsePlan(exampleText);
    if (!r.ok) throw new Error('invalid');
    expect(JSON.stringify(serializePlan(r.value))).toBe(JSON.stringify(JSON.parse(exampleText)));
  });

  it('formats text that parses back to an equal plan', () => {
    for (const d of [base(), infeasible()]) {
      const r = validatePlan(d);
      if (!r.ok) throw new Error('invalid');
      const text = formatPlan(r.value);
      expect(text.endsWith('\n')).toBe(true);
      expect(parsePlan(text)).toEqual(r);
    }
  });
});
