import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConstraint } from '../../src/constraints/check.js';
import { CONSTRAINTS, specOf } from '../../src/constraints/registry.js';
import type { ConstraintRegistry, ConstraintSpec, Violation } from '../../src/constraints/spec.js';
import { CONSTRAINT_TYPES, type ConstraintType } from '../../src/model/constraints.js';
import { arbCase, type ConstraintCase } from './gen.js';
import { HOLDS } from './reference.js';

const RUNS = 250;
const SEED = 20240611;

/** The property: `check` finds no violation exactly when the brute-force reference says the constraint holds. */
function agrees<K extends ConstraintType>(type: K, check: (k: ConstraintCase<K>) => Violation[]): fc.IPropertyWithHooks<[ConstraintCase<K>]> {
  return fc.property(arbCase(type), (k) => {
    const v = check(k);
    const holds = (HOLDS[type] as (i: typeof k.instance, c: typeof k.constraint, conf: typeof k.configuration) => boolean)(
      k.instance,
      k.constraint,
      k.configuration,
    );
    return (v.length === 0) === holds;
  });
}

describe.each(CONSTRAINT_TYPES)('%s: discrete meaning', (type) => {
  it('agrees with the brute-force reference', () => {
    fc.assert(
      fc.property(arbCase(type), (k) => {
        const v = checkConstraint(k.instance, k.index, k.configuration);
        const holds = (HOLDS[type] as (...a: unknown[]) => boolean)(k.instance, k.constraint, k.configuration);
        expect(v.length === 0).toBe(holds);
        for (const x of v) {
          expect(x.code).toBe(`constraint:${type}`);
          expect(x.constraint).toBe(k.index);
          expect(x.message.startsWith(`${type} #${k.index}: `)).toBe(true);
          expect((x.vms?.length ?? 0) + (x.nodes?.length ?? 0)).toBeGreaterThan(0);
          for (const vm of x.vms ?? []) expect(x.message).toContain(vm);
          for (const n of x.nodes ?? []) expect(x.message).toContain(n);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('has teeth: the generator draws both satisfying and violating cases', () => {
    const sample = fc.sample(arbCase(type), { numRuns: 300, seed: SEED });
    const held = sample.filter((k) => (HOLDS[type] as (...a: unknown[]) => boolean)(k.instance, k.constraint, k.configuration)).length;
    expect(held).toBeGreaterThan(300 * 0.05);
    expect(held).toBeLessThan(300 * 0.95);
  });

  it('has teeth: a checker that never reports, or always reports, is caught', () => {
    const never: ConstraintSpec<typeof type> = { ...specOf(type), check: () => [] };
    const always: ConstraintSpec<typeof type> = {
      ...specOf(type),
      check: (_c, _conf, ctx) => [{ code: `constraint:${type}`, message: 'x', constraint: ctx.index }],
    };
    for (const spec of [never, always]) {
      const run = (k: ConstraintCase<typeof type>): Violation[] =>
        (spec.check as (...a: unknown[]) => Violation[])(k.constraint, k.configuration, { instance: k.instance, index: k.index });
      expect(fc.check(agrees(type, run), { numRuns: RUNS, seed: SEED }).failed).toBe(true);
    }
  });
});

describe('registry', () => {
  it('is complete at compile time (tsc checks the @ts-expect-error lines)', () => {
    const { ban: _omitted, ...missingBan } = CONSTRAINTS;
    // @ts-expect-error a registry without `ban` is not a ConstraintRegistry
    const incomplete: ConstraintRegistry = missingBan;
    // @ts-expect-error a registry pairing `ban` with another type's spec is not one either
    const mismatched: ConstraintRegistry = { ...CONSTRAINTS, ban: CONSTRAINTS.fence };
    expect(Object.keys(incomplete)).not.toContain('ban');
    expect(mismatched.ban.type).toBe('fence');
  });

  it('holds one spec per constraint type, in FORMAT.md order, each tagged with its key', () => {
    expect(Object.keys(CONSTRAINTS)).toEqual([...CONSTRAINT_TYPES]);
    for (const t of CONSTRAINT_TYPES) {
      expect(specOf(t).type).toBe(t);
      expect(CONSTRAINTS[t]).toBe(specOf(t));
    }
  });

  it('gives a continuous meaning exactly to the constraints FORMAT.md makes continuous', () => {
    for (const t of CONSTRAINT_TYPES) {
      const s = specOf(t) as ConstraintSpec<ConstraintType>;
      const always = ['spread', 'root', 'quarantine'].includes(t);
      const flagged = ['ban', 'fence', 'among'].includes(t);
      const base = { type: t, vms: [], nodes: [], groups: [] } as never;
      expect(s.isContinuous(base)).toBe(always);
      expect(s.isContinuous({ ...(base as object), continuous: true } as never)).toBe(always || flagged);
      if (always || flagged) expect(s.checkInstant !== undefined || s.checkAction !== undefined).toBe(true);
    }
  });
});

/** Plausible but wrong checkers (each a classic slip); the reference property must catch every one. */
const runningOn = (conf: ConstraintCase<ConstraintType>['configuration'], vm: string): string | undefined =>
  conf.vms.get(vm)?.state === 'running' ? conf.vms.get(vm)?.host : undefined;
const flag = (bad: boolean): Violation[] => (bad ? [{ code: 'x', message: 'x' }] : []);
const MUTANTS: { [K in ConstraintType]?: Record<string, (k: ConstraintCase<K>) => Violation[]> } = {
  ban: {
    'counts sleeping images': (k) =>
      flag(k.constraint.vms.some((v) => k.constraint.nodes.includes(k.configuration.vms.get(v)?.host ?? '?'))),
  },
  spread: {
    'compares neighbours in the list only': (k) =>
      flag(k.constraint.vms.some((v, i) => {
        const w = k.constraint.vms[i + 1];
        return w !== undefined && w !== v && runningOn(k.configuration, v) !== undefined && runningOn(k.configuration, v) === runningOn(k.configuration, w);
      })),
  },
  among: {
    'lets each VM pick its own group': (k) =>
      flag(!k.constraint.vms.every((v) => {
        const h = runningOn(k.configuration, v);
        return h === undefined || k.constraint.groups.some((g) => g.includes(h));
      })),
  },
  quarantine: {
    'checks departures only': (k) =>
      flag([...k.configuration.vms].some(([v, p]) => {
        const s = k.instance.vms.get(v);
        return s?.state === 'running' && s.host !== undefined && k.constraint.nodes.includes(s.host) && p.state === 'running' && p.host !== s.host;
      })),
  },
  root: {
    'ignores sleeping VMs': (k) =>
      flag(k.constraint.vms.some((v) => {
        const s = k.instance.vms.get(v);
        const t = k.configuration.vms.get(v);
        return s?.state === 'running' && t?.state === 'running' && s.host !== t.host;
      })),
  },
  offline: {
    'forgets evacuation': (k) => flag(k.constraint.nodes.some((n) => k.configuration.isOnline(n))),
  },
  reserved: {
    'counts sleeping VMs too': (k) =>
      flag([...k.configuration.vms].some(([v, p]) =>
        p.host !== undefined && p.state !== 'waiting' && k.constraint.nodes.includes(p.host) && (k.instance.vms.get(v)?.vjob ?? v) !== k.constraint.vjob)),
  },
  runningCapacity: {
    'counts the constraint\'s VMs by node list with repeats': (k) =>
      flag(k.constraint.nodes.reduce((s, n) => s + k.configuration.runningOn(n).length, 0) > k.constraint.amount),
  },
};

describe('reference property has teeth against plausible slips', () => {
  for (const [type, mutants] of Object.entries(MUTANTS) as [ConstraintType, Record<string, (k: never) => Violation[]>][]) {
    for (const [name, run] of Object.entries(mutants)) {
      it(`${type}: catches a checker that ${name}`, () => {
        expect(fc.check(agrees(type, run as (k: ConstraintCase<typeof type>) => Violation[]), { numRuns: 400, seed: SEED }).failed).toBe(true);
      });
    }
  }
});
