/**
 * `among` with `groupBy` (FORMAT.md, Constraints): the groups are the nodes sharing each value
 * of a node label. The document reads as the same model as one listing those groups, plans
 * alike, is checked by the schema, and is written back with `groupBy`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInstance, parseInstance, serializeInstance, validateInstance } from '../../src/io/instance.js';
import { planInstance } from '../../src/pipeline.js';
import { heuristicSolver } from '../../src/place/place.js';
import { formatPlan } from '../../src/io/plan.js';

function doc(racks: readonly (string | undefined)[], among: Record<string, unknown>): Record<string, unknown> {
  return {
    version: 1,
    nodes: racks.map((r, i) => ({ id: `n${i}`, capacity: { cpu: 4 }, ...(r === undefined ? {} : { labels: { rack: r } }) })),
    vms: [
      { id: 'a', demand: { cpu: 1 }, state: 'running', host: 'n0' },
      { id: 'b', demand: { cpu: 1 }, state: 'running', host: `n${racks.length - 1}` },
    ],
    constraints: [{ type: 'among', vms: ['a', 'b'], ...among }],
  };
}

describe('among groupBy', () => {
  it('gives the groups of each label value, in order of first appearance, nodes without the label in none', () => {
    const r = validateInstance(doc(['r2', 'r1', undefined, 'r2', 'r1'], { groupBy: 'rack' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.value.constraints.get(0)!;
    expect(c.type === 'among' && c.groups).toEqual([['n0', 'n3'], ['n1', 'n4']]);
    expect(c.type === 'among' && c.groupBy).toBe('rack');
  });

  it('plans like the same groups listed, and is written back with groupBy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.constantFrom('r1', 'r2', 'r3'), { nil: undefined }), { minLength: 2, maxLength: 7 }), async (racks) => {
        if (!racks.some((r) => r !== undefined)) racks = [...racks, 'r1'];
        const byLabel = validateInstance(doc(racks, { groupBy: 'rack' }));
        expect(byLabel.ok).toBe(true);
        if (!byLabel.ok) return;
        const c = byLabel.value.constraints.get(0)!;
        const listed = validateInstance(doc(racks, { groups: c.type === 'among' ? c.groups : [] }));
        expect(listed.ok).toBe(true);
        if (!listed.ok) return;
        const opts = { seed: 1, timeLimitMs: 2000, solver: heuristicSolver };
        const [p1, p2] = [await planInstance(byLabel.value, opts), await planInstance(listed.value, opts)];
        const strip = (t: string): string => t.replace(/"(solveMs|planMs|decide|place|plan|verify)": \d+/g, '');
        expect(strip(formatPlan(p1))).toBe(strip(formatPlan(p2)));
        const back = serializeInstance(byLabel.value).constraints![0] as unknown as Record<string, unknown>;
        expect(back).toEqual({ type: 'among', vms: ['a', 'b'], groupBy: 'rack' });
        const again = parseInstance(formatInstance(byLabel.value));
        expect(again.ok && again.value.constraints.get(0)).toEqual(c);
      }),
      { numRuns: 20 },
    );
  });

  it('names the fault: both groups and groupBy, a label no node has, an empty label', () => {
    const paths = (d: unknown): string[] => {
      const r = validateInstance(d);
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(paths(doc(['r1', 'r1'], { groupBy: 'rack', groups: [['n0', 'n1']] }))).toEqual([
      'constraints[0].groupBy: constraint 0 (among): give either "groups" or "groupBy", not both',
    ]);
    expect(paths(doc(['r1', 'r1'], { groupBy: 'pod' }))).toEqual(['constraints[0].groupBy: constraint 0 (among): no node has the label "pod"']);
    expect(paths(doc(['r1', 'r1'], { groupBy: '' }))[0]).toMatch(/^constraints\[0\]\.groupBy: .*non-empty string/);
    expect(paths(doc(['r1', 'r1'], {}))[0]).toMatch(/^constraints\[0\]\.groups: .*missing/);
  });
});
