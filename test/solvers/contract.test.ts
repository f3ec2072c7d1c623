/**
 * One contract suite run against every MIP backend: the same tiny instances (at most 6 nodes),
 * the same optimal answers, proved by brute-force enumeration checked with the core checkers.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { Objective } from '../../src/model/objective.js';
import type { PlacementResult } from '../../src/place/types.js';
import { loadBackend } from '../../src/solvers/backends.js';
import { mipSolver } from '../../src/place/mip.js';
import { inThreadRunner } from '../../src/solvers/pool.js';
import { BACKEND_NAMES, type BackendName } from '../../src/solvers/types.js';
import { arbWorld } from '../support/arbitraries.js';
import { bruteForce, CONSTRAINT_KINDS, migrated, peak, randomConstraints, usedNodes } from './support.js';

const runner = inThreadRunner();
afterAll(() => runner.close());

function solve(backend: BackendName, instance: Instance, formulation: 'auto' | 'per-vm'): Promise<PlacementResult> {
  let t = 0;
  return mipSolver({ backend, runner, formulation }).solve(instance, { seed: 1, timeLimitMs: 20_000, now: () => t++ });
}

const node = (id: string, cpu: number, memory: number, extra: object = {}) => ({ id, capacity: { cpu, memory }, ...extra });
const vm = (id: string, cpu: number, memory: number, host?: string, extra: object = {}) =>
  host === undefined
    ? { id, demand: { cpu, memory }, state: 'waiting' as const, ...extra }
    : { id, demand: { cpu, memory }, state: 'running' as const, host, ...extra };

interface Scenario {
  readonly name: string;
  readonly instance: Instance;
}

const scenarios: Scenario[] = [
  {
    name: 'consolidate four half-empty nodes',
    instance: makeInstance({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192), node('n4', 8, 8192)],
      vms: [vm('a', 4, 4096, 'n1'), vm('b', 2, 1024, 'n2'), vm('c', 2, 2048, 'n3'), vm('d', 4, 3072, 'n4'), vm('e', 2, 2048, 'n2')],
      objective: { type: 'consolidate' },
    }),
  },
  {
    name: 'consolidate under spread, ban and overbook',
    instance: makeInstance({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 4, 8192), node('n4', 8, 16384)],
      vms: [vm('a', 4, 4096, 'n1'), vm('b', 4, 2048, 'n2'), vm('c', 2, 2048, 'n3'), vm('d', 4, 4096, 'n4'), vm('e', 2, 2048, 'n4')],
      constraints: [
        { type: 'spread', vms: ['a', 'b'] },
        { type: 'ban', vms: ['d'], nodes: ['n1'] },
        { type: 'overbook', nodes: ['n3'], resource: 'cpu', ratio: 2 },
      ],
      objective: { type: 'consolidate', powerOff: true },
    }),
  },
  {
    name: 'repair an overloaded node under fence and root',
    instance: makeInstance({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
      vms: [vm('a', 6, 2048, 'n1'), vm('b', 4, 4096, 'n1'), vm('c', 2, 1024, 'n1'), vm('d', 4, 2048, 'n2'), vm('e', 2, 512, 'n3')],
      constraints: [
        { type: 'fence', vms: ['b'], nodes: ['n1', 'n2'] },
        { type: 'root', vms: ['a'] },
      ],
      objective: { type: 'minMigrations' },
    }),
  },
  {
    name: 'balance cpu with gather and among',
    instance: makeInstance({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 16, 8192), node('n4', 8, 8192)],
      vms: [vm('a', 4, 1024, 'n1'), vm('b', 2, 1024, 'n1'), vm('c', 4, 1024, 'n1'), vm('d', 2, 1024, 'n2'), vm('e', 2, 1024, 'n2')],
      constraints: [
        { type: 'gather', vms: ['a', 'b'] },
        { type: 'among', vms: ['d', 'e'], groups: [['n1', 'n2'], ['n3', 'n4']] },
      ],
      objective: { type: 'balance', resource: 'cpu' },
    }),
  },
  {
    name: 'consolidate under split, lonely, quarantine and capacity bounds',
    instance: makeInstance({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192), node('n4', 8, 8192)],
      vms: [vm('a', 2, 1024, 'n1'), vm('b', 2, 1024, 'n2'), vm('c', 2, 1024, 'n3'), vm('d', 2, 1024, 'n4'), vm('e', 2, 2048, 'n4'), vm('f', 1, 512)],
      constraints: [
        { type: 'split', groups: [['a'], ['b']] },
        { type: 'lonely', vms: ['c'] },
        { type: 'quarantine', nodes: ['n4'] },
        { type: 'runningCapacity', nodes: ['n1', 'n2'], amount: 3 },
        { type: 'resourceCapacity', nodes: ['n1'], resource: 'memory', amount: 2048 },
        { type: 'running', vms: ['f'] },
      ],
      objective: { type: 'consolidate' },
    }),
  },
  {
    name: 'powerOff with maxOnline, offline and online',
    instance: makeInstance({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192), node('n4', 8, 8192, { state: 'offline' }), node('n5', 16, 16384, { state: 'offline' })],
      vms: [vm('a', 4, 2048, 'n1'), vm('b', 4, 2048, 'n2'), vm('c', 4, 4096, 'n3'), vm('d', 2, 1024, 'n3')],
      constraints: [
        { type: 'offline', nodes: ['n1'] },
        { type: 'online', nodes: ['n4'] },
        { type: 'maxOnline', nodes: ['n2', 'n3', 'n5'], amount: 1 },
      ],
      objective: { type: 'consolidate', powerOff: true },
    }),
  },
];

function expectMatchesOracle(instance: Instance, r: PlacementResult): void {
  const oracle = bruteForce(instance);
  if (!oracle.feasible) {
    expect(r.status).toBe('infeasible');
    return;
  }
  expect(r.status).toBe('optimal');
  if (r.status === 'infeasible') return;
  expect(checkConfiguration(instance, r.target)).toEqual([]);
  const obj = instance.objective?.type ?? 'minMigrations';
  expect(r.migratedMemory).toBe(migrated(instance, r.target));
  expect(r.nodesUsed).toBe(usedNodes(r.target));
  if (obj === 'consolidate') {
    expect(r.nodesUsed).toBe(oracle.nodesUsed);
    expect(r.lowerBound).toBe(oracle.nodesUsed);
  }
  if (obj === 'balance') {
    const res = (instance.objective as Extract<Objective, { type: 'balance' }>).resource ?? 'cpu';
    expect(peak(instance, r.target, res)).toBeCloseTo(oracle.peakRatio, 6);
  }
  expect(r.migratedMemory).toBe(oracle.migratedMemory);
  expect(r.migrationLowerBound ?? r.migratedMemory).toBeLessThanOrEqual(r.migratedMemory);
  expect(r.migrationLowerBound).toBeCloseTo(oracle.migratedMemory, 3);
}

const infeasible = makeInstance({
  nodes: [node('n1', 8, 8192), node('n2', 8, 8192)],
  // Every VM must run (else the decide stage would suspend one of them).
  vms: [vm('a', 1, 512, 'n1', { wants: 'running' }), vm('b', 1, 512, 'n1', { wants: 'running' }), vm('c', 1, 512, 'n2', { wants: 'running' })],
  constraints: [{ type: 'spread', vms: ['a', 'b', 'c'] }],
  objective: { type: 'consolidate' },
});

for (const [backend, formulation] of BACKEND_NAMES.flatMap((b) => [[b, 'auto'], [b, 'per-vm']] as const)) {
  describe(`MIP backend ${backend} (${formulation} formulation)`, async () => {
    const available = (await loadBackend(backend)).ok;
    it.skipIf(!available)('loads', () => expect(available).toBe(true));
    for (const s of scenarios) {
      it.skipIf(!available)(`finds the proved optimum: ${s.name}`, async () => {
        expectMatchesOracle(s.instance, await solve(backend, s.instance, formulation));
      });
    }
    it.skipIf(!available)('proves an over-constrained instance infeasible', async () => {
      const r = await solve(backend, infeasible, formulation);
      expect(r.status).toBe('infeasible');
      if (r.status === 'infeasible') expect(r.reasons.length).toBeGreaterThan(0);
    });
    it.skipIf(!available)('matches brute force on random tiny worlds', async () => {
      const objectives: Objective[] = [{ type: 'consolidate' }, { type: 'minMigrations' }, { type: 'balance' }, { type: 'consolidate', powerOff: true }];
      await fc.assert(
        fc.asyncProperty(
          arbWorld({ maxNodes: 4, maxVms: 5, sites: 1 }),
          fc.constantFrom(...objectives),
          fc.array(fc.tuple(fc.constantFrom(...CONSTRAINT_KINDS), fc.nat(), fc.nat()), { maxLength: 3 }),
          async ({ instance: base }, objective, raw) => {
            const constraints = randomConstraints(base, raw);
            const instance = base.set('objective', objective).set('constraints', base.constraints.concat(constraints));
            const r = await solve(backend, instance, formulation);
            const oracle = bruteForce(instance);
            if (!oracle.feasible) {
              expect(r.status).toBe('infeasible');
              return;
            }
            expectMatchesOracle(instance, r);
          },
        ),
        { numRuns: backend === 'lpsolver' ? 12 : 20, seed: 7 },
      );
    });
  });
}
