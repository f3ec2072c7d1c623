/**
 * The backend-neutral model: the builder merges repeated columns, the LP-format export reads back
 * into HiGHS with the same optimum, and the checks of a solution agree with the definitions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadBackend } from '../../src/solvers/backends.js';
import { maxViolation, ModelBuilder, objectiveValue, toLpFormat, type MipModel } from '../../src/solvers/model.js';

/** A random small MIP: binaries and a few integer columns, rows of every kind. */
const arbModel = fc
  .record({
    cols: fc.array(fc.record({ cost: fc.integer({ min: -9, max: 9 }), hi: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 8 }),
    rows: fc.array(
      fc.record({
        terms: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -4, max: 5 })), { minLength: 1, maxLength: 5 }),
        kind: fc.constantFrom('le', 'ge', 'eq', 'range'),
        rhs: fc.integer({ min: 0, max: 8 }),
      }),
      { maxLength: 6 },
    ),
  })
  .map(({ cols, rows }): MipModel => {
    const b = new ModelBuilder();
    const ids = cols.map((c, j) => b.addColumn(c.cost, 0, c.hi, true, `v${j}`));
    for (const r of rows) {
      const idx = r.terms.map(([i]) => ids[i % ids.length]!);
      const val = r.terms.map(([, a]) => a);
      if (r.kind === 'le') b.addRow(idx, val, -Infinity, r.rhs);
      else if (r.kind === 'ge') b.addRow(idx, val, r.rhs - 4, Infinity);
      else if (r.kind === 'eq') b.addRow(idx, val, r.rhs % 3, r.rhs % 3);
      else b.addRow(idx, val, -2, r.rhs);
    }
    return b.build();
  });

describe('MIP model', () => {
  it('merges repeated columns of a row and drops cancelled ones', () => {
    const b = new ModelBuilder();
    const x = b.addBinary(1);
    const y = b.addBinary(1);
    b.addRow([x, y, x, y], [2, 1, 3, -1], -Infinity, 4);
    const m = b.build();
    expect(Array.from(m.rowIndex)).toEqual([x]);
    expect(Array.from(m.rowValue)).toEqual([5]);
    expect(maxViolation(m, [1, 0])).toBe(1);
    expect(objectiveValue(m, [1, 1])).toBe(2);
  });

  it('round-trips through the LP format: HiGHS finds the same optimum from the text', async () => {
    const load = await loadBackend('highs');
    if (!load.ok) throw new Error(load.reason);
    const mod = (await import('highs')) as unknown as { default: () => Promise<import('highs').Highs> };
    const highs = await mod.default();
    await fc.assert(
      fc.asyncProperty(arbModel, async (model) => {
        const direct = load.backend.solve(model, { timeLimitMs: 5000 });
        const lp = highs.createModel({ format: 'lp', data: toLpFormat(model) });
        try {
          lp.options.set({ output_flag: false });
          const run = lp.run();
          if (direct.status === 'optimal') {
            expect(run.modelStatus).toBe(7);
            expect(lp.getObjectiveValue()).toBeCloseTo(direct.objective, 6);
            expect(maxViolation(model, direct.x)).toBeLessThanOrEqual(1e-6);
          } else {
            expect(direct.status).toBe('infeasible');
            expect(run.modelStatus).not.toBe(7);
          }
        } finally {
          lp.dispose();
        }
      }),
      { numRuns: 60, seed: 41 },
    );
  });
});
