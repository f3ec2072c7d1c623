/**
 * The rotating first fit (`chooseNode(..., 'first')`, what the admission uses at scale) visits
 * only the group an `among` confines a VM to, and large clusters keep spread counts in maps:
 * both must change nothing but the cost. Held to the full scan as it was (a frozen copy below)
 * over a state with array counts, step by step, on random instances with spreads (small and
 * counted ones), amongs over unsorted and overlapping groups, capacities and closed nodes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeStates } from '../../src/decide/states.js';
import type { Constraint } from '../../src/model/constraints.js';
import { indexInstance } from '../../src/model/indexed.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import { hasBit } from '../../src/problem/bitset.js';
import { compileView, type PlacementProblem } from '../../src/problem/view.js';
import { chooseNode, heuristicContext, type HeuristicContext } from '../../src/solvers/search/heuristic.js';
import { PlacementState } from '../../src/solvers/search/state.js';
import { createRandom } from '../../src/util/random.js';

function problemOf(inst: Instance): PlacementProblem {
  const ix = indexInstance(inst);
  const st = analyzeStates(inst, ix);
  const cands = st.groups.filter((g) => !g.forbidden).flatMap((g) => [...g.vms]).sort((a, b) => a - b);
  return compileView(inst, ix, cands).problem;
}

/** The `first` choice before the among shortcut (src/solvers/search/heuristic.ts, frozen). */
function legacyFirst(ctx: HeuristicContext, s: PlacementState, k: number, exclude: number, usedOnly: boolean): number {
  const p = ctx.p;
  const N = p.N;
  const home = p.source[k]! >= 0 ? p.source[k]! : p.image[k]!;
  const dom = p.domain[k]!;
  if (p.pinned[k]! >= 0) {
    const n = p.pinned[k]!;
    return n !== exclude && s.canPlace(k, n) ? n : -1;
  }
  if (home >= 0 && home !== exclude && (!usedOnly || s.count[home]! > 0) && s.canPlace(k, home)) return home;
  const start = ctx.cursor.next % Math.max(1, N);
  for (let i = 0; i < N; i++) {
    const n = (start + i) % N;
    if (n === exclude || (usedOnly && s.count[n] === 0) || !hasBit(dom, n) || !s.fits(k, n)) continue;
    ctx.cursor.next = n;
    return n;
  }
  return -1;
}

interface Case {
  readonly inst: Instance;
  readonly steps: readonly { readonly k: number; readonly op: 'place' | 'unplace' | 'jump'; readonly at: number; readonly exclude: number; readonly usedOnly: boolean }[];
  readonly closed: readonly number[];
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    nodes: fc.integer({ min: 2, max: 12 }),
    vms: fc.integer({ min: 1, max: 24 }),
    seed: fc.integer(),
  })
  .map(({ nodes, vms, seed }): Case => {
    const rng = createRandom(seed);
    const pick = (n: number): number => Math.floor(rng.next() * n);
    const nodeIds = Array.from({ length: nodes }, (_, i) => `n${i}`);
    const vmIds = Array.from({ length: vms }, (_, i) => `v${i}`);
    const constraints: Constraint[] = [];
    const subset = (ids: readonly string[], p: number): string[] => ids.filter(() => rng.next() < p);
    for (let c = 0; c < 3; c++) {
      const members = subset(vmIds, rng.next() < 0.5 ? 0.9 : 0.3);
      if (members.length > 1) constraints.push({ type: 'spread', vms: members });
    }
    for (let c = 0; c < 2; c++) {
      const members = subset(vmIds, 0.5);
      const groups = Array.from({ length: 1 + pick(4) }, () => subset(nodeIds, 0.4).reverse()).filter((g) => g.length > 0);
      if (members.length > 0 && groups.length > 0) constraints.push({ type: 'among', vms: members, groups });
    }
    const inst = makeInstance({
      nodes: nodeIds.map((id) => ({ id, capacity: { cpu: 4 + pick(12), memory: 65536 } })),
      vms: vmIds.map((id) =>
        rng.next() < 0.5
          ? { id, demand: { cpu: 1 + pick(4), memory: 512 }, state: 'waiting' as const }
          : { id, demand: { cpu: 1 + pick(4), memory: 512 }, state: 'running' as const, host: nodeIds[pick(nodes)]! },
      ),
      constraints,
      objective: { type: 'minMigrations' },
    });
    const steps = Array.from({ length: 3 * vms }, () => {
      const r = rng.next();
      return {
        k: pick(vms),
        op: r < 0.7 ? ('place' as const) : r < 0.9 ? ('unplace' as const) : ('jump' as const),
        at: pick(nodes),
        exclude: rng.next() < 0.2 ? pick(nodes) : -1,
        usedOnly: rng.next() < 0.2,
      };
    });
    return { inst, steps, closed: rng.next() < 0.3 ? [pick(nodes)] : [] };
  });

describe('rotating first fit: among shortcut and sparse spread counts change nothing', () => {
  it('same node at every step, same fits everywhere', () => {
    fc.assert(
      fc.property(arbCase, ({ inst, steps, closed }) => {
        const p = problemOf(inst);
        const oldCtx = heuristicContext(p, createRandom(1));
        const newCtx = heuristicContext(p, createRandom(1));
        const oldS = new PlacementState(p, { sparseSpreads: false });
        const newS = new PlacementState(p, { sparseSpreads: true });
        for (const n of closed) oldS.closed[n] = newS.closed[n] = 1;
        for (const st of steps) {
          const k = st.k % p.K;
          if (p.K === 0) break;
          if (st.op === 'jump') {
            oldCtx.cursor.next = newCtx.cursor.next = st.at;
          } else if (st.op === 'unplace') {
            oldS.unplace(k);
            newS.unplace(k);
          } else if (oldS.assign[k]! < 0) {
            const want = legacyFirst(oldCtx, oldS, k, st.exclude, st.usedOnly);
            const got = chooseNode(newCtx, newS, k, 'first', { exclude: st.exclude, usedOnly: st.usedOnly });
            expect(got).toBe(want);
            expect(newCtx.cursor.next).toBe(oldCtx.cursor.next);
            if (want >= 0) {
              oldS.place(k, want);
              newS.place(k, got);
            }
          }
          let want = '';
          let got = '';
          for (let v = 0; v < p.K; v++) {
            if (oldS.assign[v]! >= 0) continue;
            for (let n = 0; n < p.N; n++) {
              want += oldS.fits(v, n) ? '1' : '0';
              got += newS.fits(v, n) ? '1' : '0';
            }
          }
          expect(got).toBe(want);
        }
        expect([...newS.assign]).toEqual([...oldS.assign]);
        expect([...newS.clone().assign]).toEqual([...oldS.assign]);
        expect(newS.clone().sparseSpreads).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('large clusters default to sparse spread counts', () => {
    const nodes = Array.from({ length: 2100 }, (_, i) => ({ id: `n${i}`, capacity: { cpu: 8 } }));
    const vms = Array.from({ length: 10 }, (_, i) => ({ id: `v${i}`, demand: { cpu: 1 }, state: 'waiting' as const }));
    const big = problemOf(makeInstance({ nodes, vms, constraints: [{ type: 'spread', vms: vms.map((v) => v.id) }] }));
    const s = new PlacementState(big);
    expect(s.sparseSpreads).toBe(true);
    expect(s.spreadCount[0]).toBeNull();
    s.place(0, 5);
    expect(s.fits(1, 5)).toBe(false);
    expect(s.fits(1, 6)).toBe(true);
    s.unplace(0);
    expect(s.fits(1, 5)).toBe(true);
    expect(new PlacementState(problemOf(makeInstance({ nodes: nodes.slice(0, 10), vms }))).sparseSpreads).toBe(false);
  });
});
