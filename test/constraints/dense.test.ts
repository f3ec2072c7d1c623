/**
 * The dense checkers (`checkCapacity`, `checkStates`, `checkConfiguration` on the instance's
 * index) against the frozen copy of the map-based checkers they replace: the same violations, in
 * the same order, with the same messages, on random configurations (absent VMs, unknown hosts,
 * offline and absent nodes, vjobs, wants, fractional demands, overbooking), with or without an
 * index handed in, and with an index built over another configuration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCapacity, checkConfiguration, checkStates } from '../../src/constraints/check.js';
import type { Constraint, ConstraintType } from '../../src/model/constraints.js';
import { CONSTRAINT_TYPES } from '../../src/model/constraints.js';
import { indexInstance } from '../../src/model/indexed.js';
import { makeInstance, sourceConfiguration } from '../../src/model/instance.js';
import * as legacy from './legacy-check.js';
import { arbConstraint, arbSetup, type Setup } from './gen.js';

const SEED = 1818;

/** A setup with a few random constraints of any type, and sometimes fractional demands. */
const arbChecked: fc.Arbitrary<Setup> = fc.noBias(arbSetup(4, 8)).chain((s) =>
  fc
    .record({
      types: fc.array(fc.constantFrom<ConstraintType>(...CONSTRAINT_TYPES), { maxLength: 4 }),
      fractional: fc.boolean(),
    })
    .chain(({ types, fractional }) =>
      fc.tuple(...types.map((t) => arbConstraint(t, s) as fc.Arbitrary<Constraint>)).map((cs) => {
        let instance = s.instance.set('constraints', s.instance.constraints.clear().push(...cs));
        if (fractional) {
          // Demands such as 0.1 + 0.2: sums whose rounding depends on the order of addition.
          instance = instance.set('vms', instance.vms.map((v, id) => v.set('demand', v.demand.map((d) => d / 10 + (id.length % 3) * 0.1))));
        }
        return { ...s, instance };
      }),
    ),
);

describe('dense checkers agree with the map-based ones', () => {
  it('checkCapacity, checkStates and checkConfiguration: same violations, same order, with and without an index', () => {
    let violated = 0;
    fc.assert(
      fc.property(arbChecked, ({ instance, configuration }) => {
        const ix = indexInstance(instance);
        const other = indexInstance(instance, configuration); // built over another configuration
        const cap = legacy.checkCapacity(instance, configuration);
        const st = legacy.checkStates(instance, configuration);
        const all = legacy.checkConfiguration(instance, configuration);
        for (const index of [undefined, ix, other]) {
          expect(checkCapacity(instance, configuration, index)).toEqual(cap);
          expect(checkStates(instance, configuration, index)).toEqual(st);
          expect(checkConfiguration(instance, configuration, index)).toEqual(all);
        }
        if (all.length > 0) violated++;
      }),
      { numRuns: 400, seed: SEED },
    );
    expect(violated).toBeGreaterThan(100);
  });

  it('ignores an index of another instance (rebuilds its own)', () => {
    const a = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 4 } }],
      vms: [
        { id: 'vm1', demand: { cpu: 3 }, state: 'running', host: 'n1' },
        { id: 'vm2', demand: { cpu: 3 }, state: 'running', host: 'n1' },
      ],
    });
    const b = makeInstance({ nodes: [{ id: 'm1', capacity: { cpu: 1 } }, { id: 'm2', capacity: { cpu: 1 } }], vms: [] });
    const conf = sourceConfiguration(a);
    expect(checkConfiguration(a, conf, indexInstance(b))).toEqual(legacy.checkConfiguration(a, conf));
    expect(checkCapacity(a, conf, indexInstance(b))).toMatchObject([{ code: 'capacity', vms: ['vm1', 'vm2'] }]);
  });
});
