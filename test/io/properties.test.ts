import fc from 'fast-check';
import { is } from 'immutable';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../src/errors.js';
import { formatInstance, parseInstance, serializeInstance, validateInstance } from '../../src/io/instance.js';
import { formatPlan, parsePlan, serializePlan, validatePlan } from '../../src/io/plan.js';
import type { Instance } from '../../src/model/instance.js';
import { arbWorld } from '../support/arbitraries.js';
import { arbInstanceJson, arbPlanJson, FORMAT_CONSTRAINTS, pathString, type JsonDoc } from './arbitraries.js';
import { acceptablePaths, apply, get, instanceMutations, planMutations, type Mutation, type Path } from './mutations.js';

const RUNS = 150;

function mustValidate(json: unknown): Instance {
  const r = validateInstance(json);
  if (!r.ok) throw new Error(`rejected: ${JSON.stringify(r.issues)}`);
  return r.value;
}

/**
 * Model equality: Immutable `is` on every record, with the plain-object fields (`x`, a VM's or
 * node's own `durations`, constraints, objective, durations, limits) compared deeply.
 */
function expectSameInstance(a: Instance, b: Instance): void {
  type Rec = { x: unknown; durations?: unknown; remove(k: 'x' | 'durations'): Rec };
  const bare = (r: Rec): unknown => ('durations' in r ? r.remove('x').remove('durations') : r.remove('x'));
  for (const key of ['nodes', 'vms', 'vjobs'] as const) {
    expect([...b[key].keys()]).toEqual([...a[key].keys()]);
    for (const [id, ea] of a[key] as unknown as Iterable<[string, Rec]>) {
      const eb = (b[key] as unknown as Map<string, Rec>).get(id)!;
      expect(is(bare(ea), bare(eb))).toBe(true);
      expect(eb.x).toEqual(ea.x);
      expect(eb.durations).toEqual(ea.durations);
    }
  }
  expect(b.constraints.toArray()).toEqual(a.constraints.toArray());
  expect(b.objective).toEqual(a.objective);
  expect(b.durations).toEqual(a.durations);
  expect(b.limits).toEqual(a.limits);
  expect(b.x).toEqual(a.x);
}

describe('instance round trip', () => {
  it('generates documents with every constraint type (the generator covers the format)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbInstanceJson, (d) => {
        for (const c of (d['constraints'] as JsonDoc[] | undefined) ?? []) seen.add(c['type'] as string);
      }),
      { numRuns: 300, seed: 7 },
    );
    expect([...seen].sort()).toEqual(Object.keys(FORMAT_CONSTRAINTS).sort());
  });

  it('accepts every generated document, and serializes it back exactly (values and key order)', () => {
    fc.assert(
      fc.property(arbInstanceJson, (d) => {
        const m = mustValidate(d);
        expect(JSON.stringify(serializeInstance(m))).toBe(JSON.stringify(d));
      }),
      { numRuns: RUNS },
    );
  });

  it('validateInstance(serializeInstance(m)) equals m, and serialize∘parse∘format is stable', () => {
    fc.assert(
      fc.property(arbInstanceJson, (d) => {
        const m = mustValidate(d);
        const json = serializeInstance(m);
        expectSameInstance(m, mustValidate(json));
        const again = parseInstance(formatInstance(m));
        expect(again.ok && serializeInstance(again.value)).toEqual(json);
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips models built with makeInstance (shared worlds), equal by Immutable.is', () => {
    fc.assert(
      fc.property(arbWorld({ sites: 2 }), ({ instance }) => {
        expect(is(mustValidate(serializeInstance(instance)), instance)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('plan round trip', () => {
  it('accepts every generated plan, serializes it back exactly, and re-validates to an equal plan', () => {
    fc.assert(
      fc.property(arbPlanJson, (d) => {
        const r = validatePlan(d);
        if (!r.ok) throw new Error(JSON.stringify(r.issues));
        const json = serializePlan(r.value);
        expect(JSON.stringify(json)).toBe(JSON.stringify(d));
        const again = parsePlan(formatPlan(r.value));
        expect(again.ok && again.value).toEqual(r.value);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Every mutation of every generated document must be rejected, with an issue at the mutated place. */
function mutationProperty(
  arb: fc.Arbitrary<JsonDoc>,
  mutations: (d: JsonDoc) => Mutation[],
  validate: (v: unknown) => { ok: boolean; issues?: readonly Issue[] },
) {
  return fc.property(arb, (d) => {
    for (const m of mutations(d)) {
      const r = validate(apply(d, m));
      expect(r.ok, `${m.kind} at ${pathString(m.path)} was accepted`).toBe(false);
      const allowed = acceptablePaths(m);
      const paths = (r.issues ?? []).map((i) => i.path);
      expect(paths.some((p) => allowed.includes(p)), `${m.kind} ${pathString(m.path)}: ${paths.join(', ')}`).toBe(true);
    }
  });
}

describe('mutations of valid documents are rejected at the mutated place', () => {
  it('instances: deleted required fields, injected fields, numbers turned into strings, negatives or NaN', () => {
    fc.assert(mutationProperty(arbInstanceJson, instanceMutations, validateInstance), { numRuns: 120 });
  });

  it('plans: the same mutations', () => {
    fc.assert(mutationProperty(arbPlanJson, planMutations, validatePlan), { numRuns: 120 });
  });
});

describe('errors are results, never exceptions', () => {
  const returns = (v: unknown) => {
    const a = validateInstance(v);
    const b = validatePlan(v);
    expect(typeof a.ok).toBe('boolean');
    expect(typeof b.ok).toBe('boolean');
    if (!a.ok) expect(a.issues.length).toBeGreaterThan(0);
    if (!b.ok) expect(b.issues.length).toBeGreaterThan(0);
  };

  it('on any JSON value and any JS value', () => {
    fc.assert(fc.property(fc.jsonValue(), returns), { numRuns: 300 });
    fc.assert(fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true, withTypedArray: true, withDate: true }), returns), { numRuns: 300 });
  });

  it('on any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (t) => {
        expect(typeof parseInstance(t).ok).toBe('boolean');
        expect(typeof parsePlan(t).ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('on valid documents with one value replaced by anything', () => {
    const replaced = (arb: fc.Arbitrary<JsonDoc>) =>
      arb.chain((d) => {
        const paths: Path[] = [];
        const walk = (v: unknown, p: Path) => {
          if (p.length > 0) paths.push(p);
          if (Array.isArray(v)) v.forEach((c, i) => walk(c, [...p, i]));
          else if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
        };
        walk(d, []);
        return fc.tuple(fc.constant(d), fc.constantFrom(...paths), fc.anything({ withBigInt: true, withNullPrototype: true }));
      });
    fc.assert(
      fc.property(replaced(fc.oneof(arbInstanceJson, arbPlanJson)), ([d, path, value]) => {
        const copy = structuredClone(d);
        const parent = get(copy, path.slice(0, -1)) as Record<string | number, unknown>;
        parent[path[path.length - 1]!] = value;
        returns(copy);
      }),
      { numRuns: 300 },
    );
  });
});
