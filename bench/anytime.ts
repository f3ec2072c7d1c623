/**
 * Anytime profile of consolidation (issue 11): on each cluster shape of the shaped generator
 * (cpu-, memory-bound and balanced mixes, uniform and heterogeneous node types, 2–8 flavours,
 * random initial placement), one run of the default solver (`consolidate`) at the full time
 * limit, its LNS progress (`onImprove`) read at 1, 3, 5 and 10 s, beside the migration-aware
 * best-fit ({@link keepBestFit}). The answer at time t is the best one reported by then; the
 * bounds and the gap are those of the final answer.
 *
 * Run: `npm run bench -- --only anytime [--quick]`.
 */
import { defaultSolver } from '../src/place/default.js';
import { defaultRunner, type TaskRunner } from '../src/solvers/pool.js';
import { heterogeneousCluster, type ClusterMix } from '../src/workload/cluster.js';
import { keepBestFit } from './baselines.js';

/** A cluster shape of the profile. */
export interface AnytimeShape {
  readonly name: string;
  readonly mix: ClusterMix;
  readonly nodeTypes: number;
  readonly flavours: number;
}

/** The shapes measured. */
export const ANYTIME_SHAPES: readonly AnytimeShape[] = [
  { name: 'cpu, 4 types, 7 flavours', mix: 'cpu', nodeTypes: 4, flavours: 7 },
  { name: 'memory, 4 types, 6 flavours', mix: 'memory', nodeTypes: 4, flavours: 6 },
  { name: 'balanced, 6 types, 8 flavours', mix: 'balanced', nodeTypes: 6, flavours: 8 },
  { name: 'cpu, uniform, 2 flavours', mix: 'cpu', nodeTypes: 1, flavours: 2 },
  { name: 'memory, uniform, 3 flavours', mix: 'memory', nodeTypes: 1, flavours: 3 },
];

/** The answer of the default solver at one time. */
export interface AnytimePoint {
  readonly atS: number;
  /** Nodes used, absent when no answer was reported by then. */
  readonly nodes?: number;
  /** MiB. */
  readonly migratedMemory?: number;
  /** Whether it uses more nodes than the best-fit, or as many and more migrated memory. */
  readonly worse: boolean;
}

/** One shape and size. */
export interface AnytimeRow {
  readonly shape: string;
  readonly nodes: number;
  readonly vms: number;
  readonly load: number;
  readonly bestFit: { readonly nodes: number; readonly migratedMemory: number; readonly timeMs: number } | undefined;
  readonly points: readonly AnytimePoint[];
  /** When the first answer was reported (ms since the solve started). */
  readonly firstMs?: number;
  readonly wallMs: number;
  readonly nodeBound?: number;
  readonly migrationBound?: number;
  /** Final nodes − node bound. */
  readonly nodeGap?: number;
  /** (final migrated − migration bound) / bound, %, when at the node bound. */
  readonly migrationGapPct?: number;
}

/** Options of {@link runAnytimeBench}. */
export interface AnytimeBenchOptions {
  readonly quick?: boolean;
  readonly seed?: number;
  readonly load?: number;
  readonly runner?: TaskRunner;
  /** Only these sizes (nodes × VMs), every shape. */
  readonly sizes?: readonly (readonly [number, number])[];
  /** Larger sizes run on the first shape only (the issue's cpu-bound, 4 types, 7 flavours); default 10,000 × 50,000 (none in quick mode). */
  readonly bigSizes?: readonly (readonly [number, number])[];
  readonly log?: (line: string) => void;
}

/**
 * Runs the profile.
 * @param options - quick mode (50 × 250, 1 and 3 s), seed, load (default 0.5), sizes
 * @returns one row per shape and size
 */
export async function runAnytimeBench(options: AnytimeBenchOptions = {}): Promise<AnytimeRow[]> {
  const quick = options.quick ?? false;
  const seed = options.seed ?? 1;
  const load = options.load ?? 0.5;
  const times = quick ? [1, 3] : [1, 3, 5, 10];
  const limitMs = times[times.length - 1]! * 1000;
  const sizes = options.sizes ?? (quick ? [[50, 250]] : [[500, 2500], [1000, 5000]]);
  const runner = options.runner ?? defaultRunner(2);
  const progress: { atMs: number; value: readonly number[] }[] = [];
  const solver = defaultSolver({ lns: { runner, onImprove: (q) => progress.push(q) } });
  const rows: AnytimeRow[] = [];
  const bigSizes = options.bigSizes ?? (quick || options.sizes !== undefined ? [] : [[10_000, 50_000]]);
  const cases: [number, number, AnytimeShape][] = [];
  for (const [nodes, vms] of sizes) for (const s of ANYTIME_SHAPES) cases.push([nodes, vms, s]);
  for (const [nodes, vms] of bigSizes) cases.push([nodes, vms, ANYTIME_SHAPES[0]!]);
  {
    for (const [nodes, vms, s] of cases) {
      const instance = heterogeneousCluster({ nodes, vms, seed, load, mix: s.mix, nodeTypes: s.nodeTypes, flavours: s.flavours });
      const now = (): number => performance.now();
      const b0 = now();
      const bf = await keepBestFit().solve(instance, { seed, timeLimitMs: limitMs, now });
      const bestFit = bf.status === 'infeasible' ? undefined : { nodes: bf.nodesUsed, migratedMemory: bf.migratedMemory, timeMs: Math.round(now() - b0) };
      progress.length = 0;
      const t0 = now();
      const r = await solver.solve(instance, { seed, timeLimitMs: limitMs, now });
      const wallMs = Math.round(now() - t0);
      const points: AnytimePoint[] = times.map((atS) => {
        const seen = progress.filter((q) => q.atMs <= atS * 1000);
        let at = seen[seen.length - 1]?.value;
        // The final answer stands at the last time point (it may come from the start solver's
        // own answer, kept by the default solver without an improvement report).
        if (atS === times[times.length - 1] && r.status !== 'infeasible') at = [r.nodesUsed, r.migratedMemory];
        if (at === undefined) return { atS, worse: true };
        const n = at[0]!;
        const m = at[1]!;
        const worse = bestFit !== undefined && (n > bestFit.nodes || (n === bestFit.nodes && m > bestFit.migratedMemory));
        return { atS, nodes: n, migratedMemory: m, worse };
      });
      const row: AnytimeRow = {
        shape: s.name,
        nodes,
        vms,
        load,
        bestFit,
        points,
        ...(progress[0] === undefined ? {} : { firstMs: Math.round(progress[0].atMs) }),
        wallMs,
        ...(r.status === 'infeasible'
          ? {}
          : {
              nodeBound: r.lowerBound,
              nodeGap: r.nodesUsed - r.lowerBound,
              ...(r.migrationLowerBound === undefined ? {} : { migrationBound: r.migrationLowerBound }),
              ...(r.migrationLowerBound !== undefined && r.migrationLowerBound > 0 && r.nodesUsed === r.lowerBound
                ? { migrationGapPct: ((r.migratedMemory - r.migrationLowerBound) / r.migrationLowerBound) * 100 }
                : {}),
            }),
      };
      rows.push(row);
      options.log?.(`anytime ${nodes}x${vms} ${s.name}: best-fit ${bestFit?.nodes}/${bestFit?.migratedMemory}; ${points.map((p) => `${p.atS}s ${p.nodes ?? '-'}/${p.migratedMemory ?? '-'}${p.worse ? ' WORSE' : ''}`).join(', ')}; first ${row.firstMs ?? '-'} ms; wall ${wallMs} ms`);
    }
  }
  if (options.runner === undefined) await runner.close();
  return rows;
}

const gib = (mib: number | undefined): string => (mib === undefined ? '-' : (mib / 1024).toFixed(0));

/**
 * Formats rows as a markdown table: nodes / migrated GiB at each time, a `**worse**` mark where
 * the answer is worse than the best-fit's (more nodes, or as many and more migrated memory).
 * @param rows - the rows
 * @returns the markdown
 */
export function formatAnytimeMarkdown(rows: readonly AnytimeRow[]): string {
  const times = rows[0]?.points.map((p) => p.atS) ?? [];
  const head = `| cluster | best-fit nodes / GiB (s) | first answer s | ${times.map((t) => `${t} s nodes / GiB`).join(' | ')} | node LB | migr. LB GiB | gap at ${times[times.length - 1] ?? '?'} s | wall s |`;
  const rule = `|---|--:|--:|${times.map(() => '--:|').join('')}--:|--:|--:|--:|`;
  const body = rows.map((r) => {
    const bf = r.bestFit === undefined ? '-' : `${r.bestFit.nodes} / ${gib(r.bestFit.migratedMemory)} (${(r.bestFit.timeMs / 1000).toFixed(2)})`;
    const pts = r.points.map((p) => `${p.nodes === undefined ? 'none' : `${p.nodes} / ${gib(p.migratedMemory)}`}${p.worse ? ' **worse**' : ''}`);
    const gap = r.nodeGap === undefined ? '-' : r.nodeGap > 0 ? `+${r.nodeGap} nodes` : r.migrationGapPct === undefined ? '0 nodes' : `${r.migrationGapPct.toFixed(2)} %`;
    return `| ${r.nodes} × ${r.vms} ${r.shape} | ${bf} | ${r.firstMs === undefined ? '-' : (r.firstMs / 1000).toFixed(2)} | ${pts.join(' | ')} | ${r.nodeBound ?? '-'} | ${gib(r.migrationBound)} | ${gap} | ${(r.wallMs / 1000).toFixed(1)} |`;
  });
  return [head, rule, ...body].join('\n');
}
