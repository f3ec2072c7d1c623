/**
 * Equal `groups` lists repeated across constraints are recognised exactly and shared by the
 * parser (one copy in memory, compiled once), and never merged when they differ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/io/instance.js';
import { groupsInterner, groupsKey, sameGroups } from '../../src/util/groups.js';

const arbGroups = fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }), { maxLength: 3 });

describe('groups lists', () => {
  it('sameGroups is equality of contents, and equal lists share a key', () => {
    fc.assert(
      fc.property(arbGroups, arbGroups, (a, b) => {
        const equal = JSON.stringify(a) === JSON.stringify(b);
        expect(sameGroups(a, b)).toBe(equal);
        // A copy is always the same list.
        expect(sameGroups(a, a.map((g) => [...g]))).toBe(true);
        if (equal) expect(groupsKey(a)).toBe(groupsKey(b));
      }),
      { numRuns: 500 },
    );
  });

  it('the interner answers the first equal list met, and keeps different ones apart', () => {
    fc.assert(
      fc.property(fc.array(arbGroups, { maxLength: 12 }), (lists) => {
        const intern = groupsInterner();
        const out = lists.map((l) => intern(l));
        out.forEach((o, i) => {
          expect(sameGroups(o, lists[i]!)).toBe(true);
          const first = lists.findIndex((l) => sameGroups(l, lists[i]!));
          expect(o).toBe(lists[first]);
        });
      }),
    );
  });

  it('parsing shares equal among groups between constraints', () => {
    const r = parseInstance(
      JSON.stringify({
        version: 1,
        nodes: ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, capacity: { cpu: 8, memory: 8192 } })),
        vms: ['a', 'b', 'c'].map((id) => ({ id, demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n1' })),
        constraints: [
          { type: 'among', vms: ['a'], groups: [['n1', 'n2'], ['n3', 'n4']] },
          { type: 'among', vms: ['b'], groups: [['n1', 'n2'], ['n3', 'n4']] },
          { type: 'among', vms: ['c'], groups: [['n1', 'n2'], ['n4', 'n3']] },
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [x, y, z] = r.value.constraints.toArray() as unknown as { groups: string[][] }[];
    expect(x!.groups).toBe(y!.groups);
    expect(z!.groups).not.toBe(x!.groups);
    expect(z!.groups).toEqual([['n1', 'n2'], ['n4', 'n3']]);
  });
});
