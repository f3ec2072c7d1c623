/**
 * Policy comparison over time (issue 12): the best-effort grid with advance reservations
 * (`besteffortWorkload`) at two sizes, several seeds each, under the `static`, `kill` and
 * `switch` policies in the same run. Per size and policy: the median over seeds (and min–max) of
 * the lost compute, completion times, migrations, suspends, node-hours and late reservations;
 * the kill/switch ratio of lost compute per seed; a completion-time CDF of best-effort vjobs per
 * policy as SVG (median over seeds of each quantile, min–max band). Plans are carried out by the
 * execution engine on the simulated executor (virtual clock, duration model): `engineCarrier`.
 *
 * Run after `npm run build`: `node dist/bench/run.js --only simulate [--quick]`.
 */
import { performance } from 'node:perf_hooks';
import { builtinPolicy, SIM_POLICIES } from '../src/execute/simulate/policies.js';
import { simulateWorkload } from '../src/execute/simulate/simulator.js';
import type { SimMetrics } from '../src/execute/simulate/types.js';
import { besteffortWorkload } from '../src/workload/families.js';
import { lineChart, median, type ChartSeries } from './charts.js';

/** One policy on one seeded workload. */
export interface SimulateBenchRow {
  readonly size: string;
  readonly nodes: number;
  readonly vms: number;
  readonly seed: number;
  readonly policy: string;
  readonly metrics: SimMetrics;
  /** Completion times (s) of the best-effort vjobs that finished, sorted. */
  readonly completionsBestEffort: readonly number[];
  readonly wallMs: number;
}

/** The sizes and seeds of the comparison. */
export function simulateSizes(quick: boolean): { sizes: readonly { nodes: number; vms: number }[]; seeds: readonly number[] } {
  return quick
    ? { sizes: [{ nodes: 16, vms: 120 }, { nodes: 32, vms: 240 }], seeds: [1, 2, 3] }
    : { sizes: [{ nodes: 32, vms: 320 }, { nodes: 64, vms: 640 }], seeds: [1, 2, 3, 4, 5] };
}

/**
 * Runs the comparison.
 * @param o - quick mode, progress log
 * @returns one row per size, seed and policy
 */
export async function runSimulateBench(o: { quick: boolean; log: (line: string) => void }): Promise<SimulateBenchRow[]> {
  const { sizes, seeds } = simulateSizes(o.quick);
  const rows: SimulateBenchRow[] = [];
  for (const s of sizes) {
    for (const seed of seeds) {
      const w = besteffortWorkload({ nodes: s.nodes, vms: s.vms, seed });
      for (const name of SIM_POLICIES) {
        const t0 = performance.now();
        const r = await simulateWorkload(w, builtinPolicy(name)!, { seed });
        const wallMs = performance.now() - t0;
        const completionsBestEffort = r.jobs.filter((j) => j.bestEffort && j.finished !== undefined).map((j) => j.finished! - j.arrival).sort((a, b) => a - b);
        rows.push({ size: `${s.nodes} x ${s.vms}`, nodes: s.nodes, vms: s.vms, seed, policy: name, metrics: r.metrics, completionsBestEffort, wallMs });
        o.log(`simulate ${s.nodes}x${s.vms} seed ${seed} ${name}: lost ${r.metrics.lostComputeSeconds.toFixed(0)} VM-s, ${r.metrics.x.decisions} decisions, ${(wallMs / 1000).toFixed(1)} s`);
      }
    }
  }
  return rows;
}

const med = (xs: readonly number[]): string => {
  if (xs.length === 0) return '-';
  const m = median(xs);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const f = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  return lo === hi ? f(m) : `${f(m)} (${f(lo)}–${f(hi)})`;
};

/**
 * The markdown table: per size and policy, medians over seeds with min–max; then the kill/switch
 * ratio of lost compute (per seed, same run).
 * @param rows - the bench rows
 * @returns the markdown text
 */
export function formatSimulateMarkdown(rows: readonly SimulateBenchRow[]): string {
  const out: string[] = [
    '| grid (nodes x best-effort VMs) | policy | lost compute (VM-h) | of which best-effort (VM-h) | mean completion BE (h) | p95 completion BE (h) | mean completion reservations (h) | utilization | migrations | suspends | resumes | moved (TiB) | kills | node-hours | late reservations |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const sizes = [...new Set(rows.map((r) => r.size))];
  for (const size of sizes) {
    for (const policy of SIM_POLICIES) {
      const rs = rows.filter((r) => r.size === size && r.policy === policy);
      if (rs.length === 0) continue;
      const m = (f: (x: SimMetrics) => number): string => med(rs.map((r) => f(r.metrics)));
      out.push(
        `| ${size} (${rs.length} seeds) | ${policy} | ${m((x) => x.lostComputeSeconds / 3600)} | ${m((x) => x.x.lostBestEffortSeconds / 3600)} | ${m((x) => x.meanCompletionBestEffort / 3600)} | ${m((x) => x.x.p95CompletionBestEffort / 3600)} | ${m((x) => x.meanCompletion / 3600)} | ${m((x) => x.utilization)} | ${m((x) => x.migrations)} | ${m((x) => x.suspends)} | ${m((x) => x.resumes)} | ${m((x) => (x.x.migratedMemory + x.x.suspendedMemory + x.x.resumedMemory) / 1024 / 1024)} | ${m((x) => x.x.kills)} | ${m((x) => x.nodeHours)} | ${m((x) => x.reservationsLate)} of ${m((x) => x.x.reservations)} (node down: ${m((x) => x.x.reservationsLateNodeDown)}) |`,
      );
    }
  }
  out.push('', '| grid | lost compute kill / switch (per seed, median (min–max)) | best-effort lost compute kill / switch | mean BE completion switch / kill | seeds where switch lost nothing |', '|---|--:|--:|--:|--:|');
  for (const size of sizes) {
    const seeds = [...new Set(rows.filter((r) => r.size === size).map((r) => r.seed))];
    const ratios: number[] = [];
    const beRatios: number[] = [];
    let beZero = 0;
    const compl: number[] = [];
    let zero = 0;
    for (const seed of seeds) {
      const k = rows.find((r) => r.size === size && r.seed === seed && r.policy === 'kill')?.metrics;
      const s = rows.find((r) => r.size === size && r.seed === seed && r.policy === 'switch')?.metrics;
      if (!k || !s) continue;
      if (s.lostComputeSeconds > 0) ratios.push(k.lostComputeSeconds / s.lostComputeSeconds);
      else zero++;
      if (s.x.lostBestEffortSeconds > 0) beRatios.push(k.x.lostBestEffortSeconds / s.x.lostBestEffortSeconds);
      else beZero++;
      if (k.meanCompletionBestEffort > 0) compl.push(s.meanCompletionBestEffort / k.meanCompletionBestEffort);
    }
    const ratioText = (rs: number[], zeros: number): string => (rs.length > 0 ? `${med(rs)}×${zeros > 0 ? ` (+${zeros} seeds: switch lost nothing)` : ''}` : '∞ (switch lost nothing)');
    out.push(`| ${size} | ${ratioText(ratios, zero)} | ${ratioText(beRatios, beZero)} | ${med(compl)} | ${zero} of ${seeds.length} |`);
  }
  return out.join('\n');
}

/**
 * The completion-time CDF of best-effort vjobs, one line per policy: for each quantile, the
 * median over seeds of the completion time at that quantile, with the min–max band.
 * @param rows - the bench rows of one size
 * @param size - its label
 * @returns the SVG text
 */
export function completionCdfChart(rows: readonly SimulateBenchRow[], size: string): string {
  const qs = Array.from({ length: 41 }, (_, i) => i / 40);
  const at = (c: readonly number[], q: number): number => c[Math.min(c.length - 1, Math.max(0, Math.ceil(q * c.length) - 1))]! / 3600;
  const series: ChartSeries[] = SIM_POLICIES.map((policy) => {
    const per = rows.filter((r) => r.size === size && r.policy === policy && r.completionsBestEffort.length > 0);
    const points = qs.map((q) => {
      const xs = per.map((r) => at(r.completionsBestEffort, q));
      return { y: q, x: median(xs), xlo: Math.min(...xs), xhi: Math.max(...xs) };
    });
    return { name: `${policy} (${per.length} seeds)`, points };
  });
  return lineChart(series, {
    title: `Best-effort grid ${size}: completion time of best-effort vjobs (CDF: median over seeds, band min–max)`,
    xLabel: 'completion time (hours, submission to finish)',
    yLabel: 'share of best-effort vjobs finished',
    step: true,
  });
}
