/**
 * Charts drawn from the bench JSON (`bench/results/placement.json`, `plan.json`): placement time
 * and gap against instance size per method, planning time against plan size. Rows of several
 * seeds of one point are drawn as their median with a min–max whisker.
 */
import type { PlacementBenchRow } from './placement.js';
import type { PlanBenchRow } from './plan.js';
import { lineChart, spread, type ChartSeries } from './charts.js';

function seriesOf<R>(rows: readonly R[], group: (r: R) => string | undefined, x: (r: R) => number, y: (r: R) => number | undefined): ChartSeries[] {
  const names = [...new Set(rows.map(group).filter((g): g is string => g !== undefined))];
  return names.map((name) => {
    const pts: [number, number][] = [];
    for (const r of rows) {
      const v = y(r);
      if (group(r) === name && v !== undefined && Number.isFinite(v)) pts.push([x(r), v]);
    }
    const s = spread(pts);
    return { name, points: [...s].sort((a, b) => a[0] - b[0]).map(([px, p]) => ({ x: px, y: p.y, ...(p.n > 1 ? { lo: p.lo, hi: p.hi } : {}) })) };
  });
}

const answered = (r: PlacementBenchRow): boolean => r.status !== 'skipped' && r.status !== 'infeasible' && r.nodesUsed !== undefined;

/**
 * Placement time against size (VMs), one line per method (log–log).
 * @param rows - placement bench rows
 * @returns the SVG text
 */
export function placementTimeChart(rows: readonly PlacementBenchRow[]): string {
  return lineChart(
    seriesOf(rows, (r) => (answered(r) ? r.method : undefined), (r) => r.vms, (r) => Math.max(1, r.timeMs) / 1000),
    { title: 'Placement (consolidate): wall time against size (median over seeds, whisker min–max)', xLabel: 'VMs (nodes = VMs / 5)', yLabel: 'seconds', logX: true, logY: true },
  );
}

/**
 * Placement gap against size: migrated memory over the best migration lower bound, minus one, in
 * %, for the methods that reached the best node bound; methods above it are left out at that size.
 * @param rows - placement bench rows
 * @returns the SVG text
 */
export function placementGapChart(rows: readonly PlacementBenchRow[]): string {
  return lineChart(
    seriesOf(rows, (r) => (answered(r) && r.gapPct !== undefined ? r.method : undefined), (r) => r.vms, (r) => r.gapPct),
    { title: 'Placement (consolidate): migration gap to the best lower bound, at the best node count', xLabel: 'VMs (nodes = VMs / 5)', yLabel: 'gap (%)', logX: true },
  );
}

/**
 * Planning time against plan size (actions), one series per kind of workload (log–log markers).
 * @param rows - planner bench rows
 * @returns the SVG text
 */
export function planTimeChart(rows: readonly PlanBenchRow[]): string {
  const kind = (r: PlanBenchRow): string =>
    r.workload.trim().startsWith('same, parallel') ? 'full shuffle, parallel breaks' : r.workload.startsWith('full shuffle') ? 'full shuffle, minimal breaks' : r.workload.includes('power off') ? 'consolidate + power off' : 'consolidate';
  return lineChart(seriesOf(rows, kind, (r) => r.actions, (r) => Math.max(0.1, r.planMs)), {
    title: 'Planning: time to schedule a plan against its size (median over runs)',
    xLabel: 'actions in the plan',
    yLabel: 'milliseconds (buildPlan)',
    logX: true,
    logY: true,
    markers: true,
  });
}
