/**
 * The plan reader's fast path (well-formed actions and target entries read without positions;
 * parsePlan keeping the decoded objects) and its dense reference checks, held to the frozen copy
 * of the reader before them (test/io/legacy-plan.ts): the same plan, with its fields in the same
 * order and frozen, or the same issues in the same order, on valid documents, their mutations,
 * shuffled field orders and wrong values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateInstance } from '../../src/io/instance.js';
import { checkPlanReferences, parsePlan, validatePlan } from '../../src/io/plan.js';
import type { Result } from '../../src/errors.js';
import type { Plan } from '../../src/plan/types.js';
import { arbPlanJson, type JsonDoc } from './arbitraries.js';
import * as legacy from './legacy-plan.js';
import { apply, planMutations } from './mutations.js';

/** JSON text with keys in insertion order: equal texts mean equal values with fields in the same order. */
function text(r: Result<Plan>): string {
  return JSON.stringify(r);
}

/** Every object and array of a value is frozen. */
function deepFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (!Object.isFrozen(v)) return false;
  return Object.values(v).every(deepFrozen);
}

function same(doc: unknown): void {
  const want = legacy.validatePlan(doc);
  const got = validatePlan(doc);
  expect(text(got)).toBe(text(want));
  expect(got).toEqual(want);
  const parsedWant = legacy.parsePlan(JSON.stringify(doc) ?? 'null');
  const parsed = parsePlan(JSON.stringify(doc) ?? 'null');
  expect(text(parsed)).toBe(text(parsedWant));
  if (parsed.ok) expect(deepFrozen(parsed.value)).toBe(true);
  if (got.ok) expect(deepFrozen(got.value)).toBe(true);
}

/** The document with the fields of every action and target VM in reverse order. */
function reversed(doc: JsonDoc): JsonDoc {
  const rev = (o: unknown): unknown =>
    typeof o === 'object' && o !== null && !Array.isArray(o) ? Object.fromEntries(Object.entries(o).reverse()) : o;
  const d = structuredClone(doc) as { actions?: unknown[]; target?: { vms?: Record<string, unknown> } };
  if (Array.isArray(d.actions)) d.actions = d.actions.map(rev);
  if (d.target?.vms) d.target.vms = Object.fromEntries(Object.entries(d.target.vms).map(([k, v]) => [k, rev(v)]));
  return d as JsonDoc;
}

/** Wrong values the fast path must hand to the general reader. */
const ODD: readonly unknown[] = [undefined, null, -1, 1.5, '', 'x', [], {}, [1, -2], Number.NaN, true];

describe('plan reader fast path = the reader before it', () => {
  it('valid documents, their mutations and reversed field orders', () => {
    fc.assert(
      fc.property(arbPlanJson, (d) => {
        same(d);
        same(reversed(d));
        for (const m of planMutations(d)) same(apply(d, m));
      }),
      { numRuns: 150 },
    );
  });

  it('odd values in action fields and target entries', () => {
    fc.assert(
      fc.property(arbPlanJson, fc.nat(), fc.constantFrom(...ODD), (d, pick, odd) => {
        const actions = d['actions'] as JsonDoc[];
        if (actions.length > 0) {
          const a = structuredClone(d);
          const act = (a['actions'] as Record<string, unknown>[])[pick % actions.length]!;
          const keys = [...Object.keys(act), 'after', 'vm', 'node', 'from', 'to'];
          act[keys[pick % keys.length]!] = odd;
          same(a);
        }
        const target = d['target'] as { vms: Record<string, Record<string, unknown>>; nodes: Record<string, unknown> } | undefined;
        if (target) {
          const t = structuredClone(d);
          const tt = t['target'] as unknown as typeof target;
          const ids = Object.keys(tt.vms);
          if (ids.length > 0) tt.vms[ids[pick % ids.length]!]![pick % 2 === 0 ? 'host' : 'state'] = odd;
          const nodes = Object.keys(tt.nodes);
          if (nodes.length > 0) tt.nodes[nodes[pick % nodes.length]!] = odd;
          same(t);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('__proto__ as a target id stays data', () => {
    const d = JSON.parse(
      '{"version":1,"status":"feasible","actions":[],"target":{"vms":{"__proto__":{"state":"waiting"}},"nodes":{"__proto__":"online"}},' +
        '"stats":{"nodesUsed":0,"lowerBound":0,"migrations":0,"migratedMemory":0,"makespan":0,"solveMs":0,"planMs":0}}',
    ) as JsonDoc;
    same(d);
    const r = parsePlan(JSON.stringify(d));
    expect(r.ok && r.value.status !== 'infeasible' && Object.keys(r.value.target.vms)).toEqual(['__proto__']);
  });
});

describe('checkPlanReferences on the dense index = the checks before it', () => {
  const inst = validateInstance({
    version: 1,
    nodes: [
      { id: 'n1', capacity: { cpu: 8 } },
      { id: 'x', capacity: { cpu: 8 } },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 1 }, state: 'running', host: 'n1' },
      { id: 'a', demand: { cpu: 1 }, state: 'waiting' },
    ],
    constraints: [{ type: 'spread', vms: ['vm1', 'a'] }],
  });
  if (!inst.ok) throw new Error('fixture instance invalid');
  it('same issues, same order', () => {
    fc.assert(
      fc.property(arbPlanJson, (d) => {
        const plan = validatePlan(d);
        if (!plan.ok) return;
        expect(checkPlanReferences(inst.value, plan.value)).toEqual(legacy.checkPlanReferences(inst.value, plan.value));
      }),
      { numRuns: 300 },
    );
  });
});
