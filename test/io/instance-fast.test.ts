/**
 * The instance reader's VM fast path (well-formed VMs without own durations or `x` read without
 * positions, labels or entry lists) and its lazy entity names, held to the frozen copy of the
 * reader before them (test/io/legacy-instance.ts): the same instance, or the same issues in the
 * same order, on valid documents, their mutations and wrong values in VM fields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInstance, validateInstance } from '../../src/io/instance.js';
import { arbInstanceJson, type JsonDoc } from './arbitraries.js';
import * as legacy from './legacy-instance.js';
import { apply, instanceMutations } from './mutations.js';

function same(doc: unknown): void {
  const want = legacy.validateInstance(doc);
  const got = validateInstance(doc);
  expect(got.ok).toBe(want.ok);
  if (!got.ok || !want.ok) {
    expect(got.ok ? [] : got.issues).toEqual(want.ok ? [] : want.issues);
    return;
  }
  expect(formatInstance(got.value)).toBe(formatInstance(want.value));
  expect([...got.value.vms.keys()]).toEqual([...want.value.vms.keys()]);
}

/** Wrong values the fast path must hand to the general reader. */
const ODD: readonly unknown[] = [undefined, null, -1, 0, 1.5, '', 'x', 'n0', 'running', 'waiting', 'terminated', [], {}, { cpu: -1 }, { zz: 1 }, Number.NaN, true];
const FIELDS = ['id', 'demand', 'state', 'host', 'vjob', 'wants', 'zz'] as const;

describe('instance reader fast path = the reader before it', () => {
  it('valid documents and their mutations', () => {
    fc.assert(
      fc.property(arbInstanceJson, (d) => {
        same(d);
        for (const m of instanceMutations(d)) same(apply(d, m));
      }),
      { numRuns: 120 },
    );
  });

  it('odd values in VM fields, duplicate ids', () => {
    fc.assert(
      fc.property(arbInstanceJson, fc.nat(), fc.constantFrom(...ODD), fc.constantFrom(...FIELDS), (d, pick, odd, field) => {
        const vms = d['vms'] as JsonDoc[];
        if (vms.length === 0) return;
        const a = structuredClone(d);
        const vm = (a['vms'] as Record<string, unknown>[])[pick % vms.length]!;
        vm[field] = odd;
        same(a);
        const b = structuredClone(d);
        const list = b['vms'] as Record<string, unknown>[];
        list.push({ ...list[pick % list.length]! });
        same(b);
      }),
      { numRuns: 400 },
    );
  });
});
