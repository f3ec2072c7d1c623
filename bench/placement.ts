/**
 * Placement benchmark (issue 4): side by side on seeded heterogeneous clusters (node types of
 * 32–64 cores / 64–256 GiB, VM flavours of 1–8 vCPU / 2–32 GiB, random initial placement at
 * ~45% load, objective `consolidate`), each method under the same time limit: plain FFD and
 * BFD, the migration-aware heuristic, HiGHS alone on the plain per-VM model, the exact MIP
 * (aggregated formulation), LNS, and on large instances the partitioned solver.
 *
 * For each method: wall time, used nodes, the node lower bound, migrated memory, and the gap to
 * the best migration lower bound any method proved at that node count.
 *
 * Run after `npm run build`: `node dist/bench/placement.js [--quick]` (or `node dist/bench/run.js`).
 */
import { pathToFileURL } from 'node:url';
import type { Instance } from '../src/model/instance.js';
import { defaultSolver } from '../src/place/default.js';
import { lnsSolver } from '../src/place/lns.js';
import { partitionedSolver } from '../src/place/partition.js';
import { heuristicSolver } from '../src/place/place.js';
import type { PlacementSolver } from '../src/place/types.js';
import { mipSolver } from '../src/place/mip.js';
import { defaultRunner, type TaskRunner } from '../src/solvers/pool.js';
import { heterogeneousCluster } from '../src/workload/cluster.js';
import { plainPacking } from './baselines.js';

/** One method on one instance. */
export interface PlacementBenchRow {
  readonly workload: string;
  readonly nodes: number;
  readonly vms: number;
  readonly method: string;
  /** `optimal`, `feasible`, `infeasible` (no answer), or `skipped`. */
  readonly status: string;
  readonly timeMs: number;
  readonly nodesUsed?: number;
  /** Node lower bound reported by the method. */
  readonly lowerBound?: number;
  /** MiB. */
  readonly migratedMemory?: number;
  /** Migration lower bound reported by the method (MiB). */
  readonly migrationLowerBound?: number;
  /** (migrated − best bound) / best bound, in %, when the method reaches the best node bound. */
  readonly gapPct?: number;
  /** The best node lower bound any method proved on this workload. */
  readonly bestNodeBound?: number;
  /** LNS: seconds until its first answer at its final node count. */
  readonly firstAtNodesS?: number;
  readonly note?: string;
}

interface Method {
  readonly name: string;
  readonly solver: PlacementSolver;
  /** Whether it runs on an instance of this size. */
  readonly applies: (nodes: number, vms: number) => boolean | string;
}

/** Options of {@link runPlacementBench}. */
export interface PlacementBenchOptions {
  readonly quick?: boolean;
  /** Time limit per method and instance (default 10 s; quick: 3 s). */
  readonly timeLimitMs?: number;
  readonly runner?: TaskRunner;
  readonly seed?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** The workloads: nodes × VMs. */
export function placementCases(quick: boolean): [number, number][] {
  return quick
    ? [
        [20, 80],
        [50, 200],
        [100, 500],
      ]
    : [
        [50, 200],
        [100, 500],
        [200, 1000],
        [500, 2500],
        [1000, 5000],
      ];
}

/**
 * Runs every method on every workload.
 * @param options - quick mode, time limit, worker pool
 * @returns the rows, grouped by workload
 */
export async function runPlacementBench(options: PlacementBenchOptions = {}): Promise<PlacementBenchRow[]> {
  const quick = options.quick ?? false;
  const timeLimitMs = options.timeLimitMs ?? (quick ? 3000 : 10_000);
  const runner = options.runner ?? defaultRunner(2);
  const seed = options.seed ?? 1;
  const perVmLimit = 250_000;
  const progress: { atMs: number; value: readonly number[] }[] = [];
  const methods: Method[] = [
    { name: 'ffd', solver: plainPacking('first'), applies: () => true },
    { name: 'bfd', solver: plainPacking('best'), applies: () => true },
    { name: 'heuristic', solver: heuristicSolver, applies: () => true },
    {
      name: 'highs (per-VM MIP)',
      solver: mipSolver({ runner, formulation: 'per-vm', name: 'highs' }),
      applies: (n, v) => n * v <= perVmLimit || `per-VM model: ${(n * v).toLocaleString('en')} binaries`,
    },
    { name: 'mip (aggregated)', solver: mipSolver({ runner, name: 'mip' }), applies: () => true },
    { name: 'lns', solver: lnsSolver({ runner, startSolver: heuristicSolver, onImprove: (pr) => progress.push(pr) }), applies: () => true },
    { name: 'default', solver: defaultSolver({ lns: { runner, onImprove: (pr) => progress.push(pr) } }), applies: () => true },
    {
      name: 'partitioned',
      solver: partitionedSolver({ runner, mode: 'improve', startSolver: heuristicSolver, partition: { size: 250 } }),
      applies: (n) => n >= 500 || 'small instance: one partition',
    },
  ];
  const rows: PlacementBenchRow[] = [];
  for (const [nodes, vms] of placementCases(quick)) {
    const workload = `${nodes} x ${vms}`;
    const instance: Instance = heterogeneousCluster({ nodes, vms, seed });
    const group: PlacementBenchRow[] = [];
    for (const m of methods) {
      const ok = m.applies(nodes, vms);
      if (ok !== true) {
        group.push({ workload, nodes, vms, method: m.name, status: 'skipped', timeMs: 0, note: typeof ok === 'string' ? ok : 'n/a' });
        continue;
      }
      progress.length = 0;
      const t0 = performance.now();
      let r;
      try {
        r = await m.solver.solve(instance, { seed, timeLimitMs, now: () => performance.now() });
      } catch (e) {
        group.push({ workload, nodes, vms, method: m.name, status: 'error', timeMs: Math.round(performance.now() - t0), note: (e as Error).message.slice(0, 80) });
        continue;
      }
      const timeMs = Math.round(performance.now() - t0);
      if (r.status === 'infeasible') {
        group.push({ workload, nodes, vms, method: m.name, status: 'no answer', timeMs, note: r.reasons[0]?.message.slice(0, 80) ?? '' });
      } else {
        group.push({
          workload,
          nodes,
          vms,
          method: m.name,
          status: r.status,
          timeMs,
          nodesUsed: r.nodesUsed,
          lowerBound: r.lowerBound,
          migratedMemory: r.migratedMemory,
          ...(r.migrationLowerBound === undefined ? {} : { migrationLowerBound: r.migrationLowerBound }),
          ...(progress.length > 0 ? { firstAtNodesS: (progress.find((x) => x.value[0] === r.nodesUsed)?.atMs ?? NaN) / 1000 } : {}),
        });
      }
      options.log?.(`${workload}  ${m.name}: ${r.status}${r.status === 'infeasible' ? '' : ` nodes ${r.nodesUsed}/${r.lowerBound} migrated ${r.migratedMemory}`} in ${timeMs} ms`);
    }
    // Gaps against the best bounds any method proved.
    const nodeBound = Math.max(0, ...group.map((g) => g.lowerBound ?? 0));
    const migBound = Math.max(0, ...group.filter((g) => g.nodesUsed === nodeBound).map((g) => g.migrationLowerBound ?? 0));
    for (const g of group) {
      const withBound = { ...g, bestNodeBound: nodeBound };
      if (g.migratedMemory === undefined || g.nodesUsed !== nodeBound || migBound <= 0) rows.push(withBound);
      else rows.push({ ...withBound, gapPct: ((g.migratedMemory - migBound) / migBound) * 100 });
    }
  }
  if (options.runner === undefined) await runner.close();
  return rows;
}

const gib = (mib: number): string => (mib / 1024).toFixed(0);

/**
 * Formats rows as a fixed-width table.
 * @param rows - the rows
 * @returns the table
 */
export function formatPlacementTable(rows: readonly PlacementBenchRow[]): string {
  const head = ['workload', 'method', 'status', 'time s', 'nodes', 'node LB', 'migrated GiB', 'migr. LB GiB', 'gap %', 'note'];
  const body = rows.map((r) => [
    r.workload,
    r.method,
    r.status,
    (r.timeMs / 1000).toFixed(2),
    r.nodesUsed === undefined ? '-' : String(r.nodesUsed),
    r.lowerBound === undefined ? '-' : String(r.lowerBound),
    r.migratedMemory === undefined ? '-' : gib(r.migratedMemory),
    r.migrationLowerBound === undefined ? '-' : gib(r.migrationLowerBound),
    r.gapPct === undefined ? (r.nodesUsed !== undefined && r.bestNodeBound !== undefined && r.nodesUsed > r.bestNodeBound ? `+${r.nodesUsed - r.bestNodeBound} nodes` : '-') : r.gapPct.toFixed(2),
    [r.firstAtNodesS === undefined ? '' : `nodes reached at ${r.firstAtNodesS.toFixed(2)} s`, r.note ?? ''].filter(Boolean).join('; '),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i <= 2 || i === 9 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/**
 * Formats rows as a markdown table.
 * @param rows - the rows
 * @returns the markdown
 */
export function formatPlacementMarkdown(rows: readonly PlacementBenchRow[]): string {
  const head = '| workload | method | status | time (s) | nodes | node LB | migrated (GiB) | migration LB (GiB) | gap | note |';
  const rule = '|---|---|---|--:|--:|--:|--:|--:|--:|---|';
  const body = rows.map((r) => {
    const gap =
      r.gapPct !== undefined
        ? `${r.gapPct.toFixed(2)} %`
        : r.nodesUsed !== undefined && r.bestNodeBound !== undefined && r.nodesUsed > r.bestNodeBound
          ? `+${r.nodesUsed - r.bestNodeBound} nodes`
          : '-';
    return `| ${r.workload} | ${r.method} | ${r.status} | ${(r.timeMs / 1000).toFixed(2)} | ${r.nodesUsed ?? '-'} | ${r.lowerBound ?? '-'} | ${r.migratedMemory === undefined ? '-' : gib(r.migratedMemory)} | ${r.migrationLowerBound === undefined ? '-' : gib(r.migrationLowerBound)} | ${gap} | ${[r.firstAtNodesS === undefined ? '' : `node count reached at ${r.firstAtNodesS.toFixed(2)} s`, r.note ?? ''].filter(Boolean).join('; ')} |`;
  });
  return [head, rule, ...body].join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rows = await runPlacementBench({ quick, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${formatPlacementTable(rows)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
