import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rehomeClaims, sameCapacity, type RehomeInput, type RehomeNode, type RehomeReservation } from '../../src/execute/simulate/rehome.js';

const BIG = new Map([
  ['cpu', 16],
  ['memory', 65536],
]);
const SMALL = new Map([
  ['cpu', 8],
  ['memory', 32768],
]);
const node = (id: string, o: Partial<RehomeNode> = {}): RehomeNode => ({ id, capacity: BIG, online: true, load: 0, ...o });
const nodes = (n: number, o: (i: number) => Partial<RehomeNode> = () => ({})): RehomeNode[] => Array.from({ length: n }, (_, i) => node(`n${i}`, o(i)));
const claim = (vjob: string, list: string[], from = 0, to = 1000, original?: string[]): RehomeReservation => ({ vjob, nodes: list, from, to, ...(original ? { original } : {}) });

describe('rehomeClaims', () => {
  it('substitutes a failed node by the spare with the least load, ties by node order', () => {
    const r = rehomeClaims({ claims: [claim('r0', ['n0', 'n1'])], nodes: nodes(5, (i) => ({ load: i === 2 ? 10 : i === 3 ? 5 : 5 })), failed: new Set(['n1']) });
    expect(r.nodes.get('r0')).toEqual(['n0', 'n3']);
    expect(r.substitutions).toEqual([{ vjob: 'r0', from: 'n1', to: 'n3' }]);
    expect(r.unresolved).toEqual([]);
  });

  it('keeps the same array when nothing has to change', () => {
    const list = ['n0', 'n1'];
    const r = rehomeClaims({ claims: [claim('r0', list)], nodes: nodes(3), failed: new Set(['n2']) });
    expect(r.nodes.get('r0')).toBe(list);
    expect(r.substitutions).toEqual([]);
  });

  it('only takes a node of identical capacity, online and not failed', () => {
    const ns = [node('n0'), node('n1'), node('n2', { capacity: SMALL }), node('n3', { online: false }), node('n4'), node('n5', { load: 1 })];
    const r = rehomeClaims({ claims: [claim('r0', ['n0', 'n1'])], nodes: ns, failed: new Set(['n1', 'n4']) });
    expect(r.substitutions).toEqual([{ vjob: 'r0', from: 'n1', to: 'n5' }]);
  });

  it('without a spare, the failed node stays and is reported', () => {
    const r = rehomeClaims({ claims: [claim('r0', ['n0', 'n1'])], nodes: [node('n0'), node('n1'), node('n2', { capacity: SMALL })], failed: new Set(['n1']) });
    expect(r.nodes.get('r0')).toEqual(['n0', 'n1']);
    expect(r.substitutions).toEqual([]);
    expect(r.unresolved).toEqual([{ vjob: 'r0', node: 'n1' }]);
  });

  it('skips a node another reservation holds in an overlapping window, not one it holds later', () => {
    const input: RehomeInput = {
      claims: [claim('r0', ['n0'], 0, 1000)],
      others: [claim('r1', ['n1'], 900, 2000), claim('r2', ['n2'], 1000, 2000)],
      nodes: nodes(3),
      failed: new Set(['n0']),
    };
    expect(rehomeClaims(input).substitutions).toEqual([{ vjob: 'r0', from: 'n0', to: 'n2' }]);
  });

  it('gives two claims two different spares; the earlier window is served first', () => {
    const r = rehomeClaims({
      claims: [claim('late', ['n1'], 100, 900), claim('early', ['n0'], 0, 1000)],
      nodes: nodes(4, (i) => ({ load: i === 3 ? 0 : 1 })),
      failed: new Set(['n0', 'n1']),
    });
    expect(r.substitutions).toEqual([
      { vjob: 'early', from: 'n0', to: 'n3' },
      { vjob: 'late', from: 'n1', to: 'n2' },
    ]);
  });

  it("re-homes a later claim off a node an earlier one holds as its spare, not off a node both were given", () => {
    // r0 got n2 as a spare for n0; r1, announced later, lists n2 in an overlapping window.
    const r = rehomeClaims({
      claims: [claim('r0', ['n2'], 0, 1000, ['n0']), claim('r1', ['n2'], 500, 1500)],
      nodes: nodes(4),
      failed: new Set(['n0']),
    });
    expect(r.nodes.get('r0')).toEqual(['n2']);
    expect(r.substitutions).toEqual([{ vjob: 'r1', from: 'n2', to: 'n1' }]);
    // Two reservations the workload itself gave the same node: the earlier keeps it, nothing moves.
    const s = rehomeClaims({ claims: [claim('r0', ['n2'], 0, 1000), claim('r1', ['n2'], 500, 1500)], nodes: nodes(4), failed: new Set() });
    expect(s.substitutions).toEqual([]);
  });

  it('sameCapacity treats an absent resource as 0', () => {
    expect(sameCapacity(new Map([['cpu', 16]]), new Map([['cpu', 16], ['gpu', 0]]))).toBe(true);
    expect(sameCapacity(BIG, SMALL)).toBe(false);
  });
});

/** A random cluster (two capacities), failures, claims and other reservations. */
const arbWorld = fc
  .record({
    nodes: fc.array(fc.record({ big: fc.boolean(), online: fc.boolean(), load: fc.nat(4), failed: fc.boolean() }), { minLength: 1, maxLength: 10 }),
    claims: fc.array(fc.record({ picks: fc.array(fc.nat(9), { minLength: 1, maxLength: 4 }), from: fc.nat(20), len: fc.integer({ min: 1, max: 20 }) }), { maxLength: 4 }),
    others: fc.array(fc.record({ picks: fc.array(fc.nat(9), { minLength: 1, maxLength: 4 }), from: fc.nat(20), len: fc.integer({ min: 1, max: 20 }) }), { maxLength: 3 }),
  })
  .map(({ nodes: ns, claims, others }): RehomeInput => {
    const ids = ns.map((_, i) => `n${i}`);
    const res = (prefix: string) => (c: { picks: number[]; from: number; len: number }, i: number): RehomeReservation => ({
      vjob: `${prefix}${i}`,
      nodes: [...new Set(c.picks.map((p) => ids[p % ids.length]!))],
      from: c.from,
      to: c.from + c.len,
    });
    return {
      nodes: ns.map((n, i) => ({ id: ids[i]!, capacity: n.big ? BIG : SMALL, online: n.online, load: n.load })),
      failed: new Set(ns.flatMap((n, i) => (n.failed ? [ids[i]!] : []))),
      claims: claims.map(res('c')),
      others: others.map(res('o')),
    };
  });

const overlap = (a: RehomeReservation, b: RehomeReservation): boolean => a.from < b.to && b.from < a.to;
/** The reservations after the answer: the claims with their new lists, the others as they were. */
const after = (input: RehomeInput, nodesOf: ReadonlyMap<string, readonly string[]>): RehomeReservation[] => [
  ...input.claims.map((c) => ({ ...c, nodes: nodesOf.get(c.vjob)! })),
  ...(input.others ?? []),
];
/** Pairs (reservation, reservation, node) that share a node in overlapping windows. */
const sharing = (rs: readonly RehomeReservation[]): Set<string> => {
  const out = new Set<string>();
  for (let i = 0; i < rs.length; i++)
    for (let k = i + 1; k < rs.length; k++)
      if (overlap(rs[i]!, rs[k]!)) for (const n of rs[i]!.nodes) if (rs[k]!.nodes.includes(n)) out.add(`${rs[i]!.vjob}/${rs[k]!.vjob}/${n}`);
  return out;
};

describe('rehomeClaims properties', () => {
  it('a substitution takes an online, non-failed node of identical capacity, held by no overlapping reservation', () => {
    fc.assert(
      fc.property(arbWorld, (input) => {
        const r = rehomeClaims(input);
        const byId = new Map(input.nodes.map((n) => [n.id, n] as const));
        const rs = after(input, r.nodes);
        for (const s of r.substitutions) {
          const to = byId.get(s.to)!;
          expect(to.online).toBe(true);
          expect(input.failed.has(s.to)).toBe(false);
          expect(sameCapacity(to.capacity, byId.get(s.from)!.capacity)).toBe(true);
          const mine = rs.find((x) => x.vjob === s.vjob)!;
          for (const o of rs) if (o !== mine && overlap(o, mine)) expect(o.nodes, `${o.vjob} also holds ${s.to}`).not.toContain(s.to);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never puts two reservations on one node: the sharing after is a subset of the sharing before', () => {
    fc.assert(
      fc.property(arbWorld, (input) => {
        const before = sharing(after(input, new Map(input.claims.map((c) => [c.vjob, c.nodes] as const))));
        const r = rehomeClaims(input);
        for (const s of sharing(after(input, r.nodes))) expect(before.has(s), s).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a claim keeps a failed node only when no spare was left for it', () => {
    fc.assert(
      fc.property(arbWorld, (input) => {
        const r = rehomeClaims(input);
        const rs = after(input, r.nodes);
        const byId = new Map(input.nodes.map((n) => [n.id, n] as const));
        for (const c of input.claims) {
          const list = r.nodes.get(c.vjob)!;
          const mine = rs.find((x) => x.vjob === c.vjob)!;
          expect(list.length).toBe(c.nodes.length);
          expect(new Set(list).size).toBe(list.length);
          for (const n of list) {
            if (!input.failed.has(n)) continue;
            expect(r.unresolved).toContainEqual({ vjob: c.vjob, node: n });
            const spare = input.nodes.find(
              (s) =>
                s.online &&
                !input.failed.has(s.id) &&
                !list.includes(s.id) &&
                sameCapacity(s.capacity, byId.get(n)!.capacity) &&
                !rs.some((o) => o !== mine && overlap(o, mine) && o.nodes.includes(s.id)),
            );
            expect(spare, `${c.vjob} keeps failed ${n} though ${spare?.id} was free`).toBeUndefined();
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic and idempotent: applied to its own answer it substitutes nothing', () => {
    fc.assert(
      fc.property(arbWorld, (input) => {
        const r = rehomeClaims(input);
        expect(rehomeClaims(input)).toEqual(r);
        const again = rehomeClaims({ ...input, claims: input.claims.map((c) => ({ ...c, nodes: r.nodes.get(c.vjob)!, original: c.nodes })) });
        expect(again.substitutions).toEqual([]);
        for (const c of input.claims) expect(again.nodes.get(c.vjob)).toEqual(r.nodes.get(c.vjob));
      }),
      { numRuns: 500 },
    );
  });
});
