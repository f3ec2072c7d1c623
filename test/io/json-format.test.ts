/**
 * The linear pretty-printer against the frozen copy of the quadratic one it replaces: the same
 * text, byte for byte, on random JSON values (nesting, long and short arrays and objects, values
 * straddling the 100-column limit, `undefined` entries dropped) and on whole plans.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/io/json.js';
import type { JsonValue } from '../../src/model/ids.js';
import { formatJson as legacyFormat } from './legacy-json.js';

/** Values whose one-line texts often land near 100 columns. */
const arbJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.string({ maxLength: 30 }), fc.constant(undefined)),
    fc.array(tie('value'), { maxLength: 12 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 8 }),
  ),
})).value;

describe('formatJson', () => {
  it('writes exactly what the quadratic printer wrote', () => {
    fc.assert(
      fc.property(arbJson, (v) => {
        expect(formatJson(v as JsonValue)).toBe(legacyFormat(v as JsonValue));
      }),
      { numRuns: 3000, seed: 18 },
    );
  });

  it('on wide flat structures near the line limit', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ minLength: 0, maxLength: 9 }), { maxLength: 14 }), { maxLength: 6 }), fc.nat(40), (rows, pad) => {
        const v = { ['k'.repeat(pad)]: rows, rows: rows.map((r) => ({ id: r.join(''), r })) };
        expect(formatJson(v)).toBe(legacyFormat(v));
      }),
      { numRuns: 1000, seed: 19 },
    );
  });
});
