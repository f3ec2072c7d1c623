/**
 * Balance benchmark: the same seeded heterogeneous clusters as the placement benchmark, objective
 * `balance` (lowest peak cpu ratio, then least migrated memory), the migration-aware heuristic
 * against the default method (`switchyard plan`'s), under the same time limit. For each: wall
 * time, peak ratio, the volume bound on the peak (total demand over total capacity), migrated
 * memory.
 *
 * Run after `npm run build`: `node dist/bench/run.js --only balance [--quick]`.
 */
import type { Instance } from '../src/model/instance.js';
import { defaultSolver } from '../src/place/default.js';
import { heuristicSolver } from '../src/place/place.js';
import type { PlacementSolver } from '../src/place/types.js';
import { defaultRunner, type TaskRunner } from '../src/solvers/pool.js';
import { heterogeneousCluster } from '../src/workload/cluster.js';
import type { Configuration } from '../src/model/configuration.js';

/** One method on one workload. */
export interface BalanceBenchRow {
  readonly workload: string;
  readonly method: string;
  readonly status: string;
  readonly timeMs: number;
  readonly peak?: number;
  readonly peakBound: number;
  /** MiB. */
  readonly migratedMemory?: number;
}

/** The peak cpu ratio over the nodes of a configuration. */
function peakOf(instance: Instance, target: Configuration): number {
  const load = new Map<string, number>();
  for (const [id, p] of target.vms) {
    if (p.state !== 'running' || p.host === undefined) continue;
    load.set(p.host, (load.get(p.host) ?? 0) + (instance.vms.get(id)?.demand.get('cpu') ?? 0));
  }
  let peak = 0;
  for (const [n, l] of load) peak = Math.max(peak, l / (instance.nodes.get(n)?.capacity.get('cpu') ?? 1));
  return peak;
}

/**
 * Runs the balance benchmark.
 * @param options - quick mode, worker pool, progress lines
 * @returns the rows
 */
export async function runBalanceBench(options: { readonly quick?: boolean; readonly runner?: TaskRunner; readonly log?: (line: string) => void } = {}): Promise<BalanceBenchRow[]> {
  const quick = options.quick ?? false;
  const timeLimitMs = quick ? 3000 : 10_000;
  const runner = options.runner ?? defaultRunner(2);
  const cases: [number, number][] = quick ? [[50, 200]] : [[50, 200], [200, 1000], [1000, 5000]];
  const methods: [string, PlacementSolver][] = [
    ['heuristic', heuristicSolver],
    ['default', defaultSolver({ lns: { runner } })],
  ];
  const rows: BalanceBenchRow[] = [];
  for (const [nodes, vms] of cases) {
    const instance = heterogeneousCluster({ nodes, vms, seed: 1, objective: { type: 'balance' } });
    let demand = 0;
    let capacity = 0;
    for (const v of instance.vms.values()) demand += v.demand.get('cpu') ?? 0;
    for (const n of instance.nodes.values()) capacity += n.capacity.get('cpu') ?? 0;
    const workload = `${nodes} x ${vms}`;
    for (const [method, solver] of methods) {
      const t0 = performance.now();
      const r = await solver.solve(instance, { seed: 1, timeLimitMs, now: () => performance.now() });
      const timeMs = Math.round(performance.now() - t0);
      const row: BalanceBenchRow =
        r.status === 'infeasible'
          ? { workload, method, status: 'no answer', timeMs, peakBound: demand / capacity }
          : { workload, method, status: r.status, timeMs, peak: peakOf(instance, r.target), peakBound: demand / capacity, migratedMemory: r.migratedMemory };
      rows.push(row);
      options.log?.(`${workload}  balance ${method}: ${row.status} peak ${row.peak?.toFixed(4) ?? '-'} migrated ${row.migratedMemory ?? '-'} in ${timeMs} ms`);
    }
  }
  return rows;
}

/**
 * Formats rows as a markdown table.
 * @param rows - the rows
 * @returns the table
 */
export function formatBalanceMarkdown(rows: readonly BalanceBenchRow[]): string {
  const gib = (mib: number): string => (mib / 1024).toFixed(0);
  return [
    '| workload | method | status | time (s) | peak cpu ratio | peak bound | migrated (GiB) |',
    '|---|---|---|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.method} | ${r.status} | ${(r.timeMs / 1000).toFixed(2)} | ${r.peak?.toFixed(4) ?? '-'} | ${r.peakBound.toFixed(4)} | ${r.migratedMemory === undefined ? '-' : gib(r.migratedMemory)} |`,
    ),
  ].join('\n');
}
