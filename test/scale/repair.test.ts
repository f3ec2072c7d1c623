/**
 * Repair mode: the misplaced set frees a VM of every broken rule and only such VMs, the overload bound
 * never exceeds the least migration of any valid repair, and repaired answers satisfy every
 * constraint and are never worse than the heuristic start.
 */
import { decide } from '../../src/decide/decide.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { VM_STATE_CODE } from '../../src/model/indexed.js';
import type { Instance } from '../../src/model/instance.js';
import { makeVm } from '../../src/model/vm.js';
import { partitionedSolver } from '../../src/place/partition.js';
import { heuristicSolver } from '../../src/place/place.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { compileProblem, mayRunOn, sourceAssignment } from '../../src/problem/dense.js';
import { misplacedVms, overloadBound } from '../../src/solvers/repair.js';
import { repairWorkload } from '../../src/workload/repair.js';
import { configurationOf } from '../place/brute.js';
import { arbWorld } from '../support/arbitraries.js';
import { bruteForce, CONSTRAINT_KINDS, migrated, randomConstraints } from '../solvers/support.js';

const runner = inThreadRunner();
/** Rules on VM and node states: the decide step's, not the placement's. */
const STATE_RULES = new Set(['constraint:running', 'constraint:sleeping', 'constraint:terminated', 'constraint:online', 'constraint:offline']);
afterAll(() => runner.close());

/** A world whose source overloads some node: one VM's cpu demand is raised. */
const arbOverloaded = fc
  .tuple(
    arbWorld({ maxNodes: 4, maxVms: 5, minVms: 1, states: false, offline: false }),
    fc.nat(),
    fc.integer({ min: 2, max: 6 }),
    fc.array(fc.tuple(fc.constantFrom(...CONSTRAINT_KINDS), fc.nat(), fc.nat()), { maxLength: 2 }),
  )
  .map(([{ instance }, pick, factor, raw]): Instance => {
    const ids = [...instance.vms.keys()];
    const id = ids[pick % ids.length]!;
    const vm = instance.vms.get(id)!;
    const surged = makeVm({
      id,
      demand: { cpu: (vm.demand.get('cpu') ?? 0) * factor, memory: vm.demand.get('memory') ?? 0 },
      state: vm.state,
      ...(vm.host === undefined ? {} : { host: vm.host }),
    });
    const base = instance.set('vms', instance.vms.set(id, surged)).set('objective', { type: 'minMigrations' });
    return base.set('constraints', base.constraints.concat(randomConstraints(base, raw)));
  });

describe('repair mode', () => {
  it('frees a VM of every rule broken by leaving the VMs in place, and only such VMs', () => {
    fc.assert(
      fc.property(arbOverloaded, (instance) => {
        const { problem: p, ix } = compileProblem(instance);
        const free = misplacedVms(p);
        const running: number[] = [];
        for (let v = 0; v < p.nVms; v++) if (p.target[v] === VM_STATE_CODE.running && p.srcRunning[v]) running.push(v);
        const stay = configurationOf(
          instance,
          running.map((v) => ix.vmIds[v]!),
          running.map((v) => ix.nodeIds[p.home[v]!]!),
        );
        const broken = checkConfiguration(instance, stay).filter((x) => x.code === 'capacity' || (x.code.startsWith('constraint:') && !STATE_RULES.has(x.code)));
        const freed = new Set(ix.vmIds.filter((_, v) => free[v] === 1));
        const onNodes = (nodes: readonly string[]): string[] => running.filter((v) => nodes.includes(ix.nodeIds[p.home[v]!]!)).map((v) => ix.vmIds[v]!);
        const pinned = new Set(ix.vmIds.filter((_, v) => p.pinned[v]! >= 0));
        // Coverage: each broken rule names (or hosts) a freed VM, unless only pinned VMs are involved.
        for (const x of broken) {
          const involved = [...(x.vms ?? []), ...onNodes(x.nodes ?? [])];
          if (involved.every((id) => pinned.has(id))) continue;
          expect(involved.some((id) => freed.has(id)), x.message).toBe(true);
        }
        // Precision: a freed VM is involved in a broken rule, or may not stay where it is.
        for (const id of freed) {
          const v = ix.vmIndex.get(id)!;
          const involved = broken.some((x) => (x.vms ?? []).includes(id) || (x.nodes ?? []).includes(ix.nodeIds[p.home[v]!]!));
          expect(involved || !mayRunOn(p, v, p.home[v]!), id).toBe(true);
        }
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('bounds migration from below: the overload bound never exceeds the best repair', () => {
    fc.assert(
      fc.property(arbOverloaded, (instance) => {
        // The bound of the decided target states, against the best repair of the same states.
        const d = decide(instance);
        if (d.status !== 'decided') return;
        const p = d.dense.problem;
        const bound = overloadBound(p, sourceAssignment(p));
        const best = bruteForce(instance);
        if (best.feasible) expect(bound).toBeLessThanOrEqual(best.migratedMemory + 1e-6);
      }),
      { numRuns: 120, seed: 12 },
    );
  });

  it('repairs tiny worlds validly, with the bound below the answer and never worse than the heuristic', async () => {
    await fc.assert(
      fc.asyncProperty(arbOverloaded, async (instance) => {
        let t = 0;
        const opts = { seed: 1, timeLimitMs: 400, now: () => (t += 1) };
        const r = await partitionedSolver({ runner, startSolver: heuristicSolver }).solve(instance, opts);
        const h = await heuristicSolver.solve(instance, opts);
        if (r.status === 'infeasible') {
          expect(h.status).toBe('infeasible');
          return;
        }
        expect(checkConfiguration(instance, r.target)).toEqual([]);
        expect(r.migratedMemory).toBe(migrated(instance, r.target));
        if (r.migrationLowerBound !== undefined) expect(r.migrationLowerBound).toBeLessThanOrEqual(r.migratedMemory);
        if (h.status !== 'infeasible') expect(r.migratedMemory).toBeLessThanOrEqual(h.migratedMemory);
        // With the default states (running VMs keep running), a proved answer is the optimum.
        const keepsStates = [...instance.vms.values()].every((v) => r.target.stateOf(v.id) === v.state);
        if (r.status === 'optimal' && keepsStates) {
          const best = bruteForce(instance);
          expect(r.migratedMemory).toBe(best.migratedMemory);
        }
      }),
      { numRuns: 40, seed: 13 },
    );
  });

  it('repairs a small BtrPlace-shaped cluster at the overload bound', async () => {
    for (const seed of [1, 2, 3]) {
      const { instance, overloaded } = repairWorkload({ nodes: 60, vms: 240, seed, groupSize: 30, load: 0.6 });
      expect(overloaded).toBeGreaterThan(0);
      const r = await partitionedSolver({ runner, partitionSize: 30 }).solve(instance, { seed, timeLimitMs: 3_000, now: () => performance.now() });
      expect(r.status).not.toBe('infeasible');
      if (r.status === 'infeasible') continue;
      expect(checkConfiguration(instance, r.target)).toEqual([]);
      expect(r.migrationLowerBound).toBeDefined();
      expect(r.migratedMemory).toBeGreaterThanOrEqual(r.migrationLowerBound!);
      // Every overloaded node sheds VMs: something moves.
      expect(r.migratedMemory).toBeGreaterThan(0);
    }
  });
});
