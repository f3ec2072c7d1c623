import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCandidates, type VjobCandidate } from '../../src/decide/policy.js';
import { analyzeStates } from '../../src/decide/states.js';
import { indexInstance } from '../../src/model/indexed.js';
import { objectiveOf } from '../../src/model/instance.js';
import { placeInstance } from '../../src/place/place.js';
import { feasible, figuresOf, optimum } from './brute.js';
import { arbConstrainedWorld, arbRandomWorld } from './worlds.js';
import { checkConfiguration } from '../../src/constraints/check.js';

const opts = { seed: 3, timeLimitMs: 20_000, now: () => performance.now() };
const tiny = { maxNodes: 4, maxVms: 5, maxConstraints: 6 };

describe('against brute force on tiny instances', () => {
  it('admits exactly the vjobs the priority policy admits (gang admission, checked by enumeration)', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld(tiny), async ({ instance }) => {
        const ix = indexInstance(instance);
        const groups = analyzeStates(instance, ix).groups.filter((g) => !g.forbidden);
        const ids = (g: (typeof groups)[number]) => [...g.vms].map((v) => ix.vmIds[v]!);
        let run = groups.filter((g) => g.mandatory).flatMap(ids);
        const r = await placeInstance(instance, opts);
        if (!feasible(instance, run)) {
          expect(r.status).toBe('infeasible');
          return;
        }
        const cands: (VjobCandidate & { vmIds: string[] })[] = groups
          .filter((g) => !g.mandatory)
          .map((g) => ({ id: g.id, vms: ids(g), vmIds: ids(g), priority: g.priority, submitted: g.submitted, bestEffort: g.bestEffort, current: g.current, order: g.index }));
        for (const c of cands.sort(compareCandidates)) if (feasible(instance, [...run, ...c.vmIds])) run = [...run, ...c.vmIds];
        expect(r.status).not.toBe('infeasible');
        if (r.status === 'infeasible') return;
        const running = [...r.target.vms].filter(([, p]) => p.state === 'running').map(([v]) => v).sort();
        expect(running).toEqual([...run].sort());
      }),
      { numRuns: 600 },
    );
  });

  it('finds the fewest nodes (consolidate), and the full optimum whenever it claims "optimal"', async () => {
    await fc.assert(
      fc.asyncProperty(arbConstrainedWorld(tiny), async ({ instance }) => {
        const r = await placeInstance(instance, opts);
        if (r.status === 'infeasible') return;
        const running = [...r.target.vms].filter(([, p]) => p.state === 'running').map(([v]) => v);
        const best = optimum(instance, running);
        expect(best).toBeDefined();
        if (!best) return;
        const f = figuresOf(instance, r.target);
        const o = objectiveOf(instance);
        expect(r.lowerBound).toBeLessThanOrEqual(best.nodes);
        if (o.type === 'consolidate') expect(r.nodesUsed).toBe(best.nodes);
        if (r.status === 'optimal') {
          const v = o.type === 'consolidate' ? [f.nodesUsed, f.migrated] : o.type === 'balance' ? [f.peak, f.migrated] : [f.migrated, 0];
          expect(v[0]).toBeCloseTo(best.best[0], 9);
          expect(v[1]).toBeCloseTo(best.best[1], 9);
        }
      }),
      { numRuns: 600 },
    );
  });
});

describe('random instances (often infeasible), tiny', () => {
  it('answers infeasible, with reasons, exactly when the VMs that must run have no valid placement', async () => {
    await fc.assert(
      fc.asyncProperty(arbRandomWorld(tiny), async (instance) => {
        const ix = indexInstance(instance);
        const st = analyzeStates(instance, ix);
        const r = await placeInstance(instance, opts);
        const mandatory = st.groups.filter((g) => g.mandatory && !g.forbidden).flatMap((g) => [...g.vms].map((v) => ix.vmIds[v]!));
        const possible = st.reasons.length === 0 && feasible(instance, mandatory);
        if (possible) {
          expect(r.status, r.status === 'infeasible' ? JSON.stringify(r.reasons) : '').not.toBe('infeasible');
          if (r.status !== 'infeasible') expect(checkConfiguration(instance, r.target)).toEqual([]);
        } else {
          expect(r.status).toBe('infeasible');
          if (r.status === 'infeasible') {
            expect(r.reasons.length).toBeGreaterThan(0);
            for (const reason of r.reasons) expect(reason.message.length).toBeGreaterThan(10);
          }
        }
      }),
      { numRuns: 600 },
    );
  });
});
