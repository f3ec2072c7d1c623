/**
 * Test support for the solver folders: the compiled worker script and a brute-force oracle
 * that enumerates every placement of a tiny instance and keeps the best one the core checkers
 * accept.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkConfiguration } from '../../src/constraints/check.js';
import { decide } from '../../src/decide/decide.js';
import type { Configuration } from '../../src/model/configuration.js';
import { VM_STATE_CODE } from '../../src/model/indexed.js';
import { effectiveCapacity, objectiveOf, type Instance } from '../../src/model/instance.js';
import type { Constraint } from '../../src/model/constraints.js';
import { compileProblem, toConfiguration } from '../../src/problem/dense.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The compiled worker script. `npm test` builds `dist/` before running vitest (the CLI tests
 * need the binary too), so the worker the library ships is the one the tests start.
 */
export function compiledWorker(): URL {
  const url = new URL('dist/src/solvers/worker.js', pathToFileURL(root));
  if (!existsSync(url)) throw new Error(`${fileURLToPath(url)} is missing: run npm run build first`);
  return url;
}

/** The best placement found by enumeration, with its figures. */
export interface OracleAnswer {
  readonly feasible: boolean;
  readonly nodesUsed: number;
  readonly migratedMemory: number;
  readonly peakRatio: number;
  readonly target?: Configuration;
}

/** Nodes used (online and hosting a running VM) of a configuration. */
export function usedNodes(c: Configuration): number {
  const hosts = new Set<string>();
  for (const p of c.vms.values()) if (p.state === 'running' && p.host !== undefined) hosts.add(p.host);
  return hosts.size;
}

/** Memory of the VMs that run both in the source and in `c`, on different nodes. */
export function migrated(instance: Instance, c: Configuration): number {
  let m = 0;
  for (const v of instance.vms.values()) {
    const p = c.vms.get(v.id);
    if (v.state === 'running' && p?.state === 'running' && p.host !== v.host) m += v.demand.get('memory') ?? 0;
  }
  return m;
}

/** Largest load ratio of `resource` over online nodes with capacity. */
export function peak(instance: Instance, c: Configuration, resource: string): number {
  let worst = 0;
  for (const n of instance.nodes.keys()) {
    if (!c.isOnline(n)) continue;
    const cap = effectiveCapacity(instance, n, resource);
    let load = 0;
    for (const vm of c.runningOn(n)) load += instance.vms.get(vm)!.demand.get(resource) ?? 0;
    if (cap > 0) worst = Math.max(worst, load / cap);
  }
  return worst;
}

/**
 * Enumerates every host for every VM that runs in the target (states as the solvers choose them
 * by default) and returns the lexicographic optimum the checkers accept: (nodes used, migrated
 * memory) for `consolidate`, migrated memory for `minMigrations`, (peak ratio, migrated memory)
 * for `balance`. Only for tiny instances (nodes^VMs placements).
 */
export function bruteForce(instance: Instance): OracleAnswer {
  // The target states are the decide stage's (on tiny worlds its fit tests are exhaustive); when
  // the VMs that must run cannot, only they run (and no placement exists).
  const d = decide(instance);
  const states = d.status === 'decided' ? d.states : d.retry?.states;
  if (states === undefined) return { feasible: false, nodesUsed: Infinity, migratedMemory: Infinity, peakRatio: Infinity };
  const { problem, ix } = compileProblem(instance, { states });
  const runs: number[] = [];
  for (let v = 0; v < problem.nVms; v++) if (problem.target[v] === VM_STATE_CODE.running) runs.push(v);
  const N = problem.nNodes;
  const objective = objectiveOf(instance);
  const resource = objective.type === 'balance' ? (objective.resource ?? 'cpu') : 'cpu';
  const assign = new Int32Array(problem.nVms).fill(-1);
  let best: OracleAnswer = { feasible: false, nodesUsed: Infinity, migratedMemory: Infinity, peakRatio: Infinity };
  const key = (a: OracleAnswer): number[] =>
    objective.type === 'consolidate'
      ? [a.nodesUsed, a.migratedMemory]
      : objective.type === 'balance'
        ? [a.peakRatio, a.migratedMemory]
        : [a.migratedMemory];
  const better = (a: OracleAnswer, b: OracleAnswer): boolean => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i]! < kb[i]! - 1e-9) return true;
      if (ka[i]! > kb[i]! + 1e-9) return false;
    }
    return false;
  };
  const total = N ** runs.length;
  if (total > 20_000) throw new Error(`instance too large for brute force: ${total} placements`);
  for (let code = 0; code < total; code++) {
    let c = code;
    for (const v of runs) {
      assign[v] = c % N;
      c = Math.floor(c / N);
    }
    const conf = toConfiguration(ix, problem, assign);
    if (checkConfiguration(instance, conf).length > 0) continue;
    const cand: OracleAnswer = {
      feasible: true,
      nodesUsed: usedNodes(conf),
      migratedMemory: migrated(instance, conf),
      peakRatio: peak(instance, conf, resource),
      target: conf,
    };
    if (!best.feasible || better(cand, best)) best = cand;
  }
  return best;
}

/** Constraint kinds drawn by {@link randomConstraints}. */
export const CONSTRAINT_KINDS = [
  'spread', 'ban', 'gather', 'fence', 'among', 'split', 'lonely', 'root', 'quarantine',
  'runningCapacity', 'resourceCapacity', 'maxOnline', 'offline', 'online', 'overbook',
] as const;

/** Constraints drawn from (kind, a, b) triples over the instance's VMs and nodes. */
export function randomConstraints(base: Instance, raw: readonly (readonly [(typeof CONSTRAINT_KINDS)[number], number, number])[]): Constraint[] {
  const vms = [...base.vms.keys()];
  const nodes = [...base.nodes.keys()];
  return raw.flatMap(([type, a, b]): Constraint[] => {
    const n = [nodes[b % nodes.length]!];
    if (vms.length < 2) {
      if (type === 'offline' || type === 'online') return [{ type, nodes: n }];
      return [];
    }
    const pair = [vms[a % vms.length]!, vms[(a + 1 + (b % (vms.length - 1))) % vms.length]!];
    const half = Math.max(1, Math.floor(nodes.length / 2));
    switch (type) {
      case 'spread':
      case 'gather':
        return [{ type, vms: pair }];
      case 'ban':
      case 'fence':
        return [{ type, vms: pair.slice(0, 1), nodes: n }];
      case 'among':
        return [{ type, vms: pair, groups: [nodes.slice(0, half), nodes.slice(half)].filter((g) => g.length > 0) }];
      case 'split':
        return [{ type, groups: [[pair[0]!], [pair[1]!]] }];
      case 'lonely':
      case 'root':
        return [{ type, vms: pair.slice(0, 1) }];
      case 'quarantine':
      case 'offline':
      case 'online':
        return [{ type, nodes: n }];
      case 'runningCapacity':
        return [{ type, nodes: n, amount: a % 3 }];
      case 'resourceCapacity':
        return [{ type, nodes: n, resource: 'cpu', amount: a % 8 }];
      case 'maxOnline':
        return [{ type, nodes, amount: 1 + (a % nodes.length) }];
      case 'overbook':
        return [{ type, nodes: n, resource: 'cpu', ratio: 1 + (a % 3) / 2 }];
    }
  });
}

