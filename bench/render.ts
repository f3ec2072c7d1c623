/**
 * Render benchmark: time to draw consolidation plans of about 100, 1,000 and 10,000 actions as
 * the HTML report and as the SVG image (best of several runs), and the size of each document.
 * The browser side (page ready, DOM size, scroll redraw) is measured by
 * test/report/render.browser.test.ts, which prints its figures.
 *
 * Run from the repository root after `npm run build`: `node dist/bench/render.js [--quick]`.
 * Prints a table, writes `bench/results/render.json` and the 1,000-action report as
 * `bench/results/render-1000.html`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan, assemblePlan } from '../src/plan/planner.js';
import { renderPlan } from '../src/report/render.js';
import { heterogeneousCluster } from '../src/workload/cluster.js';
import { consolidationTarget } from './plan.js';

/** One measured plan. */
export interface RenderBenchRow {
  readonly workload: string;
  readonly actions: number;
  readonly lanes: number;
  readonly htmlMs: number;
  readonly htmlMB: number;
  readonly svgMs: number;
  readonly svgMB: number;
}

function best(runs: number, f: () => string): { ms: number; text: string } {
  let ms = Infinity;
  let text = '';
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    text = f();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, text };
}

/**
 * Runs the benchmark.
 * @param quick - smaller plans and fewer runs
 * @returns the rows
 */
export function runRenderBench(quick = false): RenderBenchRow[] {
  const sizes: [string, number, number][] = quick
    ? [['consolidate ~100 actions', 60, 300]]
    : [
        ['consolidate ~100 actions', 60, 300],
        ['consolidate ~1,000 actions', 600, 3000],
        ['consolidate ~10,000 actions', 7000, 35000],
      ];
  const rows: RenderBenchRow[] = [];
  for (const [workload, nodes, vms] of sizes) {
    const instance = heterogeneousCluster({ nodes, vms, seed: 5 }).set('limits', { maxMigrationsPerNode: 2 });
    const planned = buildPlan(instance, consolidationTarget(instance, { powerOff: true }));
    if (planned.status !== 'planned') throw new Error(`${workload}: unplannable`);
    const plan = assemblePlan(planned, { status: 'feasible', lowerBound: 0, solveMs: 0, planMs: 0 });
    const runs = quick ? 2 : 5;
    const html = best(runs, () => renderPlan(instance, plan));
    const svg = best(runs, () => renderPlan(instance, plan, { format: 'svg' }));
    const lanes = Number(/data-lanes="(\d+)"/.exec(html.text)?.[1] ?? 0);
    rows.push({
      workload,
      actions: plan.actions.length,
      lanes,
      htmlMs: Math.round(html.ms),
      htmlMB: Math.round(html.text.length / 1e4) / 100,
      svgMs: Math.round(svg.ms),
      svgMB: Math.round(svg.text.length / 1e4) / 100,
    });
    if (nodes === 600) writeFileSync(join(process.cwd(), 'bench', 'results', 'render-1000.html'), html.text);
  }
  return rows;
}

/**
 * The rows as a fixed-width table.
 * @param rows - the rows
 * @returns the table
 */
export function formatRenderTable(rows: readonly RenderBenchRow[]): string {
  const head = ['workload', 'actions', 'lanes', 'html ms', 'html MB', 'svg ms', 'svg MB'];
  const body = rows.map((r) => [r.workload, String(r.actions), String(r.lanes), String(r.htmlMs), String(r.htmlMB), String(r.svgMs), String(r.svgMB)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
}

if (process.argv[1]?.endsWith('render.js')) {
  const quick = process.argv.includes('--quick');
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
  const rows = runRenderBench(quick);
  process.stdout.write(`Render\n${formatRenderTable(rows)}\n`);
  writeFileSync(join(process.cwd(), 'bench', 'results', quick ? 'render-quick.json' : 'render.json'), `${JSON.stringify({ node: process.version, quick, rows }, null, 2)}\n`);
}
