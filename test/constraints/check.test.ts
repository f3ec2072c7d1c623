import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkCapacity,
  checkConfiguration,
  checkConstraint,
  checkConstraints,
  checkStates,
} from '../../src/constraints/check.js';
import { Configuration, Placement, placement } from '../../src/model/configuration.js';
import { effectiveCapacity, makeInstance, sourceConfiguration } from '../../src/model/instance.js';
import { arbWorld } from '../support/arbitraries.js';
import { arbCase } from './gen.js';

const SEED = 4242;

describe('checkCapacity', () => {
  it('agrees with a brute-force load count (overbook applied, offline and unknown hosts reported)', () => {
    let over = 0;
    let fine = 0;
    fc.assert(
      fc.property(arbCase('overbook'), ({ instance, configuration }) => {
        const expected: string[] = [];
        for (const n of instance.nodes.keys()) {
          if (configuration.nodes.get(n) !== 'online') continue;
          for (const r of ['cpu', 'memory']) {
            let load = 0;
            for (const [vm, p] of configuration.vms) if (p.state === 'running' && p.host === n) load += instance.vms.get(vm)?.demand.get(r) ?? 0;
            if (load > effectiveCapacity(instance, n, r)) expected.push(`${n} ${r}`);
          }
        }
        const homeless = new Set<string>();
        for (const p of configuration.vms.values()) {
          if (p.state === 'running' && p.host !== undefined && !(instance.nodes.has(p.host) && configuration.nodes.get(p.host) === 'online')) homeless.add(p.host);
        }
        const v = checkCapacity(instance, configuration);
        const got = v.filter((x) => x.code === 'capacity').map((x) => `${x.nodes![0]!} ${x.message.includes(' cpu ') ? 'cpu' : 'memory'}`);
        expect(got.sort()).toEqual(expected.sort());
        expect(new Set(v.filter((x) => x.code === 'offline-host').flatMap((x) => x.nodes ?? []))).toEqual(homeless);
        expect(v.every((x) => x.code === 'capacity' || x.code === 'offline-host')).toBe(true);
        if (v.length > 0) over++;
        else fine++;
      }),
      { numRuns: 300, seed: SEED },
    );
    expect(over).toBeGreaterThan(20);
    expect(fine).toBeGreaterThan(20);
  });

  it('accepts the source and hidden configurations of arbWorld, and flags a VM moved onto an offline node', () => {
    fc.assert(
      fc.property(arbWorld(), ({ instance, hidden }) => {
        expect(checkCapacity(instance, sourceConfiguration(instance))).toEqual([]);
        expect(checkCapacity(instance, hidden)).toEqual([]);
        expect(checkStates(instance, hidden)).toEqual([]);
        const off = [...hidden.nodes].find(([, s]) => s === 'offline')?.[0];
        const vm = hidden.vms.keySeq().first();
        if (off === undefined || vm === undefined) return;
        const bad = hidden.setIn(['vms', vm], placement('running', off));
        const v = checkCapacity(instance, bad);
        expect(v).toContainEqual(expect.objectContaining({ code: 'offline-host', vms: [vm], nodes: [off] }));
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('names node, resource, load and capacity', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: { cpu: 4, memory: 100 } }],
      vms: [
        { id: 'vm1', demand: { cpu: 3, memory: 10 }, state: 'running', host: 'n1' },
        { id: 'vm2', demand: { cpu: 3, memory: 10 }, state: 'running', host: 'n1' },
      ],
      constraints: [{ type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio: 1.25 }],
    });
    const v = checkCapacity(inst, sourceConfiguration(inst));
    expect(v).toEqual([{ code: 'capacity', message: 'n1: cpu load 6 exceeds capacity 5 (vm1 and vm2)', vms: ['vm1', 'vm2'], nodes: ['n1'] }]);
    // The overbook constraint reports under its own index too.
    expect(checkConstraints(inst, sourceConfiguration(inst))).toMatchObject([{ code: 'constraint:overbook', constraint: 0 }]);
  });
});

describe('checkStates', () => {
  it('agrees with brute force on wants and vjob splits', () => {
    let some = 0;
    fc.assert(
      fc.property(arbCase('running'), ({ instance, configuration }) => {
        const vms = [...instance.vms.values()];
        const wants = vms.filter((v) => v.wants !== undefined && configuration.stateOf(v.id) !== v.wants).map((v) => v.id);
        const split = new Set<string>();
        for (const a of vms) {
          for (const b of vms) {
            const sa = configuration.stateOf(a.id);
            const sb = configuration.stateOf(b.id);
            if ((a.vjob ?? a.id) === (b.vjob ?? b.id) && sa !== undefined && sb !== undefined && sa !== 'terminated' && sb !== 'terminated' && sa !== sb) {
              split.add(a.vjob ?? a.id);
            }
          }
        }
        const v = checkStates(instance, configuration);
        expect(v.filter((x) => x.code === 'wants').flatMap((x) => x.vms)).toEqual(wants);
        const splits = v.filter((x) => x.code === 'vjob-split');
        expect(splits.length).toBe(split.size);
        for (const j of split) expect(splits.some((x) => x.message.includes(`vjob ${j} `))).toBe(true);
        if (v.length > 0) some++;
      }),
      { numRuns: 300, seed: SEED },
    );
    expect(some).toBeGreaterThan(20);
  });

  it('never splits an implicit single-VM vjob, ignores terminated members, and checks hosts', () => {
    const inst = makeInstance({
      nodes: [{ id: 'n1', capacity: {} }],
      vms: [
        { id: 'a', demand: {}, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'b', demand: {}, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'c', demand: {}, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'solo', demand: {}, state: 'waiting', wants: 'running' },
      ],
    });
    const conf = new Configuration({
      vms: sourceConfiguration(inst).vms.merge({
        a: placement('sleeping', 'n1'),
        b: placement('terminated'),
        solo: new Placement({ state: 'waiting', host: 'n1' }),
      }),
      nodes: sourceConfiguration(inst).nodes,
    });
    const v = checkStates(inst, conf);
    expect(v.map((x) => x.code).sort()).toEqual(['unexpected-host', 'vjob-split', 'wants']);
    expect(v.find((x) => x.code === 'vjob-split')?.vms).toEqual(['a', 'c']);
    const fixed = conf.setIn(['vms', 'a'], placement('running', 'n1')).setIn(['vms', 'solo'], new Placement({ state: 'running', host: undefined }));
    expect(checkStates(inst, fixed).map((x) => x.code)).toEqual(['missing-host']);
  });
});

describe('checkConfiguration and checkConstraint', () => {
  it('is the union of capacity, states and every constraint', () => {
    fc.assert(
      fc.property(arbCase('spread'), ({ instance, configuration }) => {
        const all = checkConfiguration(instance, configuration);
        expect(all).toEqual([
          ...checkCapacity(instance, configuration),
          ...checkStates(instance, configuration),
          ...checkConstraints(instance, configuration),
        ]);
        expect(checkConstraints(instance, configuration)).toEqual(
          instance.constraints.toArray().flatMap((_, i) => checkConstraint(instance, i, configuration)),
        );
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('refuses an index with no constraint', () => {
    const inst = makeInstance({ nodes: [], vms: [] });
    expect(() => checkConstraint(inst, 0, sourceConfiguration(inst))).toThrow(/no constraint #0/);
    const one = makeInstance({ nodes: [], vms: [], constraints: [{ type: 'online', nodes: ['n1'] }] });
    expect(checkConstraint(one, 0, sourceConfiguration(one))).toHaveLength(1);
    expect(() => checkConstraint(one, -1, sourceConfiguration(one))).toThrow(/no constraint #-1/);
    expect(() => checkConstraint(one, 0.5, sourceConfiguration(one))).toThrow();
  });
});
