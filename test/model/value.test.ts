/**
 * The model's per-VM and per-node values (`ValueRecord`): frozen objects with value equality
 * that `Immutable.is` and the collections honour, and copies on `set` / `merge` / `remove`; and
 * the interner that shares equal demand and capacity maps.
 */
import fc from 'fast-check';
import { is, Map as IMap, OrderedMap, Set as ISet } from 'immutable';
import { describe, expect, it } from 'vitest';
import { mapInterner } from '../../src/model/interner.js';
import { makeInstance } from '../../src/model/instance.js';
import { makeVm, Vm } from '../../src/model/vm.js';
import { placement, Placement } from '../../src/model/configuration.js';

const vmInit = fc.record({
  id: fc.constantFrom('a', 'b', '__proto__'),
  demand: fc.dictionary(fc.constantFrom('cpu', 'memory', 'gpu'), fc.integer({ min: 0, max: 4 })),
  state: fc.constantFrom('running' as const, 'waiting' as const),
  host: fc.constantFrom('n1', 'n2'),
});

describe('ValueRecord values', () => {
  it('are equal (equals, Immutable.is, same hash) exactly when their fields are', () => {
    fc.assert(
      fc.property(vmInit, vmInit, (a, b) => {
        const va = makeVm(a);
        const vb = makeVm(b);
        const same = a.id === b.id && a.state === b.state && a.host === b.host && is(IMap(Object.entries(a.demand)), IMap(Object.entries(b.demand)));
        expect(va.equals(vb)).toBe(same);
        expect(is(va, vb)).toBe(same);
        if (same) expect(va.hashCode()).toBe(vb.hashCode());
        // as members of immutable collections
        expect(ISet([va]).has(vb)).toBe(same);
        expect(is(OrderedMap({ k: va }), OrderedMap({ k: vb }))).toBe(same);
      }),
    );
  });

  it('are frozen; set, merge and remove give new values of the same class, defaults for undefined', () => {
    const v = makeVm({ id: 'v', demand: { cpu: 1 }, state: 'running', host: 'n1', wants: 'running' });
    expect(Object.isFrozen(v)).toBe(true);
    expect(() => {
      (v as unknown as { host: string }).host = 'n2';
    }).toThrow(TypeError);
    const moved = v.set('host', 'n2');
    expect(moved).toBeInstanceOf(Vm);
    expect(moved.host).toBe('n2');
    expect(v.host).toBe('n1');
    const m = v.merge({ state: 'terminated', host: undefined, wants: undefined });
    expect([m.state, m.host, m.wants]).toEqual(['terminated', undefined, undefined]);
    expect(v.remove('wants').wants).toBeUndefined();
    expect(v.update('demand', (d) => d.set('cpu', 3)).demand.get('cpu')).toBe(3);
    expect(v.get('id')).toBe('v');
    expect(v.toObject()).toMatchObject({ id: 'v', state: 'running', host: 'n1' });
    expect(JSON.parse(JSON.stringify(v))).toMatchObject({ id: 'v', demand: { cpu: 1 } });
    expect(v.toJS()).toMatchObject({ demand: { cpu: 1 } });
    // one kind of value is never equal to another with the same fields
    expect(placement('running', 'n1').equals(v)).toBe(false);
    expect(placement('running', 'n1')).toBeInstanceOf(Placement);
    expect(is(placement('running', 'n1'), placement('running', 'n1'))).toBe(true);
    expect(is(placement('waiting', 'n1'), placement('waiting'))).toBe(true);
  });
});

describe('mapInterner', () => {
  it('shares equal maps (same entries, same order) and only those', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom('cpu', 'memory', 'a:b', '1'), fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('3', 'x'))), { maxLength: 8 }), (objs) => {
        const maps = mapInterner();
        const built = objs.map((o) => maps(o));
        objs.forEach((o, i) => {
          expect(built[i]!.toJS()).toEqual(o);
          objs.forEach((p, j) => {
            const sameEntries = JSON.stringify(Object.entries(o)) === JSON.stringify(Object.entries(p));
            expect(built[i] === built[j]).toBe(sameEntries);
          });
        });
      }),
    );
  });

  it('makeInstance shares the demand maps of VMs of one flavour', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 8 } }, { id: 'n2', capacity: { cpu: 8 } }],
      vms: [
        { id: 'a', demand: { cpu: 2, memory: 1 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 2, memory: 1 }, state: 'running', host: 'n2' },
        { id: 'c', demand: { cpu: 2, memory: 2 }, state: 'running', host: 'n2' },
      ],
    });
    expect(inst.vms.get('a')!.demand).toBe(inst.vms.get('b')!.demand);
    expect(inst.vms.get('a')!.demand).not.toBe(inst.vms.get('c')!.demand);
    expect(inst.nodes.get('n1')!.capacity).toBe(inst.nodes.get('n2')!.capacity);
  });
});
