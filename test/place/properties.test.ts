import fc from 'fast-check';
import { is } from 'immutable';
import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { placeInstance } from '../../src/place/place.js';
import type { PlacementResult } from '../../src/place/types.js';
import { arbConstrainedWorld, unreachable } from './worlds.js';

const opts = (seed = 1) => ({ seed, timeLimitMs: 20_000, now: () => performance.now() });

function describeResult(r: PlacementResult): string {
  return r.status === 'infeasible' ? JSON.stringify(r.reasons) : JSON.stringify(r.target.toJS());
}

describe('placement on feasible-by-construction instances', () => {
  it('the generator builds instances its witness satisfies', () => {
    fc.assert(
      fc.property(arbConstrainedWorld(), ({ instance, witness }) => {
        expect(checkConfiguration(instance, witness)).toEqual([]);
        expect(unreachable(instance, witness)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('always answers a reachable configuration that satisfies every constraint and capacity, never infeasible', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ maxConstraints: 8 }), async ({ instance }) => {
        const r = await placeInstance(instance, opts());
        expect(r.status, describeResult(r)).not.toBe('infeasible');
        if (r.status === 'infeasible') return;
        expect(checkConfiguration(instance, r.target)).toEqual([]);
        expect(unreachable(instance, r.target)).toEqual([]);
        expect(r.lowerBound).toBeLessThanOrEqual(r.nodesUsed);
        let used = 0;
        for (const n of instance.nodes.keys()) if (r.target.runningOn(n).length > 0) used++;
        expect(r.nodesUsed).toBe(used);
      }),
      { numRuns: 250 },
    );
  });

  it('is deterministic: same instance and seed, same answer', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld(), fc.integer(), async ({ instance }, seed) => {
        const a = await placeInstance(instance, opts(seed));
        const b = await placeInstance(instance, opts(seed));
        expect(a.status).toBe(b.status);
        if (a.status !== 'infeasible' && b.status !== 'infeasible') {
          expect(is(a.target, b.target)).toBe(true);
          expect(a.nodesUsed).toBe(b.nodesUsed);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('also holds with the heuristic alone and on larger worlds', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld({ minNodes: 4, maxNodes: 10, maxVms: 24, maxConstraints: 10 }), async ({ instance }) => {
        const r = await placeInstance(instance, { ...opts(), method: 'heuristic' });
        expect(r.status, describeResult(r)).not.toBe('infeasible');
        if (r.status !== 'infeasible') {
          expect(checkConfiguration(instance, r.target)).toEqual([]);
          expect(unreachable(instance, r.target)).toEqual([]);
        }
      }),
      { numRuns: 80 },
    );
  });
});
