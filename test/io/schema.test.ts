import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONSTRAINT_TYPES } from '../../src/model/constraints.js';
import { CONSTRAINT_FIELDS } from '../../src/io/constraints.js';
import { serializeInstance, validateInstance } from '../../src/io/instance.js';
import { ACTION_FIELDS, serializePlan, validatePlan } from '../../src/io/plan.js';
import { ACTION_TYPES } from '../../src/model/action.js';
import { arbInstanceJson, arbPlanJson, pathString } from './arbitraries.js';
import { apply, instanceMutations, planMutations } from './mutations.js';

const load = (rel: string): Record<string, any> => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
const instanceSchema = load('../../docs/schema/instance.schema.json');
const planSchema = load('../../docs/schema/plan.schema.json');
const ajv = new Ajv2020({ allErrors: true, strictTypes: true, strictTuples: true });
const checkInstance = ajv.compile(instanceSchema);
const checkPlan = ajv.compile(planSchema);

const errors = (check: typeof checkInstance) => JSON.stringify(check.errors?.slice(0, 3));

describe('JSON Schemas', () => {
  it('accept the FORMAT.md examples', () => {
    expect(checkInstance(load('./fixtures/format-instance.json')), errors(checkInstance)).toBe(true);
    expect(checkPlan(load('./fixtures/format-plan.json')), errors(checkPlan)).toBe(true);
  });

  it('accept every serialized random instance', () => {
    fc.assert(
      fc.property(arbInstanceJson, (d) => {
        const r = validateInstance(d);
        if (!r.ok) throw new Error(JSON.stringify(r.issues));
        const json = serializeInstance(r.value);
        expect(checkInstance(json), errors(checkInstance)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('accept every serialized random plan', () => {
    fc.assert(
      fc.property(arbPlanJson, (d) => {
        const r = validatePlan(d);
        if (!r.ok) throw new Error(JSON.stringify(r.issues));
        expect(checkPlan(serializePlan(r.value)), errors(checkPlan)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('reject every shape mutation the validator rejects (deleted required field, unknown field, bad number)', () => {
    fc.assert(
      fc.property(arbInstanceJson, (d) => {
        for (const m of instanceMutations(d)) expect(checkInstance(apply(d, m)), `${m.kind} ${pathString(m.path)}`).toBe(false);
      }),
      { numRuns: 40 },
    );
    fc.assert(
      fc.property(arbPlanJson, (d) => {
        for (const m of planMutations(d)) expect(checkPlan(apply(d, m)), `${m.kind} ${pathString(m.path)}`).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  const instance = () => load('./fixtures/format-instance.json');
  it.each([
    ['no version', (d: any) => delete d.version],
    ['version 2', (d: any) => { d.version = 2; }],
    ['an unknown top-level field', (d: any) => { d.extra = 1; }],
    ['an unknown node field', (d: any) => { d.nodes[0].cpu = 1; }],
    ['a negative capacity', (d: any) => { d.nodes[0].capacity.cpu = -1; }],
    ['an unknown VM state', (d: any) => { d.vms[0].state = 'up'; }],
    ['a running VM without host', (d: any) => delete d.vms[0].host],
    ['a waiting VM with a host', (d: any) => { d.vms[0].state = 'waiting'; }],
    ['an unknown constraint type', (d: any) => { d.constraints[0].type = 'bann'; }],
    ['continuous on spread', (d: any) => { d.constraints[0].continuous = true; }],
    ['an empty VM list', (d: any) => { d.constraints[0].vms = []; }],
    ['a fractional runningCapacity', (d: any) => { d.constraints.push({ type: 'runningCapacity', nodes: ['n1'], amount: 1.5 }); }],
    ['a zero overbook ratio', (d: any) => { d.constraints.push({ type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio: 0 }); }],
    ['an unknown objective', (d: any) => { d.objective = { type: 'pack' }; }],
    ['a zero bandwidth', (d: any) => { d.durations.bandwidth = 0; }],
    ['a zero limit', (d: any) => { d.limits.maxParallelMigrations = 0; }],
    ['an x that is not an object', (d: any) => { d.x = [1]; }],
  ])('reject an instance with %s', (_, edit) => {
    const d = instance();
    edit(d);
    expect(checkInstance(d)).toBe(false);
  });

  const plan = () => load('./fixtures/format-plan.json');
  it.each([
    ['an unknown status', (d: any) => { d.status = 'done'; }],
    ['an action with a foreign field', (d: any) => { d.actions[1].vm = 'vm1'; }],
    ['an action without end', (d: any) => delete d.actions[0].end],
    ['a fractional action id', (d: any) => { d.actions[0].id = 0.5; }],
    ['a feasible plan without stats', (d: any) => delete d.stats],
    ['a stats figure missing', (d: any) => delete d.stats.planMs],
    ['a running target VM without host', (d: any) => delete d.target.vms.vm1.host],
    ['an infeasible plan with a target', (d: any) => { d.status = 'infeasible'; d.actions = []; d.reasons = [{ message: 'm' }]; }],
    ['an infeasible plan without reasons', (d: any) => { d.status = 'infeasible'; d.actions = []; delete d.target; }],
    ['reasons on a feasible plan', (d: any) => { d.reasons = [{ message: 'm' }]; }],
  ])('reject a plan with %s', (_, edit) => {
    const d = plan();
    edit(d);
    expect(checkPlan(d)).toBe(false);
  });

  it('list the same constraint types and required fields as the validator', () => {
    const defs = instanceSchema['$defs'] as Record<string, any>;
    for (const type of CONSTRAINT_TYPES) {
      const def = defs[`constraint.${type}`];
      const fields = Object.entries(CONSTRAINT_FIELDS[type]);
      expect(Object.keys(def.properties).sort(), type).toEqual(['type', 'x', ...fields.map(([f]) => f)].sort());
      // `among` takes `groups` or `groupBy` (a label), exactly one: the schema says so with a oneOf.
      const alternatives = type === 'among' ? ['groups', 'groupBy'] : [];
      expect([...def.required].sort(), type).toEqual(['type', ...fields.filter(([f, k]) => k !== 'flag' && !alternatives.includes(f)).map(([f]) => f)].sort());
      if (alternatives.length > 0) expect(def.oneOf.map((o: { required: string[] }) => o.required)).toEqual(alternatives.map((f) => [f]));
    }
    expect(defs['constraint'].oneOf).toHaveLength(CONSTRAINT_TYPES.length);
  });

  it('list the same action types and fields as the validator', () => {
    const defs = planSchema['$defs'] as Record<string, any>;
    for (const type of ACTION_TYPES) {
      const own = Object.keys(ACTION_FIELDS[type]);
      expect(Object.keys(defs[`action.${type}`].properties).sort(), type).toEqual(['id', 'type', ...own, 'start', 'end', 'after', 'x'].sort());
    }
  });
});
