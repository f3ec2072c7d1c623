/**
 * Count neighbourhoods of the LNS (consolidation above the volume node bound: a node to empty and
 * the nodes with the most room in each resource): every answer stays valid and is never worse
 * than the start, and they bring a best-fit above the bound down to it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { indexInstance } from '../../src/model/indexed.js';
import { assignmentStats, compileProblem, toConfiguration } from '../../src/problem/dense.js';
import { loadBackend } from '../../src/solvers/backends.js';
import { volumeNodeBound } from '../../src/solvers/keep.js';
import { better, lnsImprove, valueKey } from '../../src/solvers/neighbourhood.js';
import { fitsEveryNode, keepBestFit } from '../../src/solvers/search/bestfit.js';
import type { MipBackend } from '../../src/solvers/types.js';
import { arbClusterShape, shapedClusterOf, type ClusterShape } from '../support/arbitraries.js';

let highs: MipBackend;
beforeAll(async () => {
  const load = await loadBackend('highs');
  if (!load.ok) throw new Error(load.reason);
  highs = load.backend;
});

const shape = arbClusterShape(8, 24);

function problemOf(s: ClusterShape) {
  const instance = shapedClusterOf(s);
  const ix = indexInstance(instance);
  const { problem } = compileProblem(instance, { index: ix });
  return { instance, ix, problem };
}

describe('count neighbourhoods', () => {
  it('keep every rule and never make the start worse', () => {
    fc.assert(
      fc.property(shape, fc.nat(), fc.integer({ min: 3, max: 8 }), (s, seed, nodes) => {
        const { instance, ix, problem } = problemOf(s);
        const start = keepBestFit(problem);
        fc.pre(start !== undefined);
        let t = 0;
        const out = lnsImprove(problem, start!, {
          seed,
          timeLimitMs: 1e9,
          now: () => t++,
          solveSub: (model, timeLimitMs) => highs.solve(model, { timeLimitMs }),
          maxIterations: 5,
          nodes,
          maxNodes: nodes,
          countShare: 1,
        });
        expect(fitsEveryNode(problem, out.assign)).toBe(true);
        expect(checkConfiguration(instance, toConfiguration(ix, problem, out.assign))).toEqual([]);
        expect(better(valueKey(problem, start!), valueKey(problem, out.assign))).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('bring best-fits above the volume bound down to it', () => {
    // Clusters where the best-fit stays above the volume bound; small neighbourhoods (a fifth of
    // the nodes), so that reaching the bound takes the right nodes together.
    let above = 0;
    let reached = 0;
    for (let seed = 1; seed <= 40 && above < 6; seed++) {
      const { problem } = problemOf({ seed, nodes: 40, perNode: 5, mix: 'cpu', nodeTypes: 4, flavours: 7, load: 0.55 });
      const start = keepBestFit(problem);
      const bound = volumeNodeBound(problem);
      if (start === undefined || assignmentStats(problem, start).nodesUsed <= bound) continue;
      above++;
      let t = 0;
      const out = lnsImprove(problem, start, {
        seed,
        timeLimitMs: 1e9,
        now: () => t++,
        solveSub: (model, timeLimitMs) => highs.solve(model, { timeLimitMs }),
        maxIterations: 40,
        nodes: 8,
        maxNodes: 8,
        countShare: 1,
      });
      expect(fitsEveryNode(problem, out.assign)).toBe(true);
      if (assignmentStats(problem, out.assign).nodesUsed === bound) reached++;
    }
    expect(above).toBeGreaterThan(0);
    expect(reached).toBe(above);
  });
});
