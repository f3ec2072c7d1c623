/**
 * The one command that runs every benchmark: the planner benchmark (`plan.ts`), the placement
 * benchmark (`placement.ts`) and the BtrPlace-shaped repair benchmark (`repair.ts`). Prints the
 * tables and writes `bench/results/*.json`, markdown tables and an SVG chart of the placement
 * results.
 *
 * `npm run bench` (= `npm run build --silent && node dist/bench/run.js`); add `-- --quick` for a
 * smoke run (smaller instances, shorter limits). `--only placement|balance|repair|plan|simulate|figures`
 * runs one part. The figures (placement time and gap, planning time) are drawn from the JSON of
 * this run, or from the committed `bench/results/*.json` when this run did not produce it.
 * `--only anytime` (not in the default run) prints the anytime profile of consolidation.
 * `--only btrplace [PATH...]` (not in the default run) runs the BtrPlace files of
 * `../shared/btrplace/` and the paths given (`--repeat N`).
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatAnytimeMarkdown, runAnytimeBench } from './anytime.js';
import { formatBalanceMarkdown, runBalanceBench } from './balance.js';
import { BTRPLACE_DIR, btrPlaceFiles, formatBtrPlaceMarkdown, runBtrPlaceBench } from './btrplace.js';
import { formatPlacementMarkdown, formatPlacementTable, runPlacementBench, type PlacementBenchRow } from './placement.js';
import { formatPlanMarkdown, formatPlanTable, runPlanBench } from './plan.js';
import { formatRepairMarkdown, runRepairBench } from './repair.js';
import { placementGapChart, placementTimeChart, planTimeChart } from './figures.js';
import { completionCdfChart, formatSimulateMarkdown, runSimulateBench } from './simulate.js';

const COLORS = ['#8c8c8c', '#b5b5b5', '#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];

/**
 * An SVG bar chart of the placement results: per workload, each method's migrated memory over
 * the best migration lower bound (1.00 = at the bound); methods above the node bound are marked.
 * @param rows - placement rows
 * @returns the SVG text
 */
export function placementChart(rows: readonly PlacementBenchRow[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const ratio = (r: PlacementBenchRow): number | undefined => (r.gapPct === undefined ? undefined : 1 + r.gapPct / 100);
  const max = Math.max(2, ...rows.map((r) => ratio(r) ?? 0));
  const W = 160 * workloads.length + 220;
  const H = 360;
  const top = 40;
  const bottom = 300;
  const y = (v: number): number => bottom - ((bottom - top) * v) / max;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="20" font-size="13">Migrated memory / best migration lower bound (lower is better; 1 = proved optimal at the node bound)</text>`,
  ];
  for (let t = 0; t <= max; t += 0.5) {
    parts.push(`<line x1="50" x2="${W - 200}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="20" y="${y(t) + 4}">${t.toFixed(1)}</text>`);
  }
  workloads.forEach((w, wi) => {
    const x0 = 60 + wi * 160;
    const group = rows.filter((r) => r.workload === w);
    const bw = 140 / methods.length;
    methods.forEach((m, mi) => {
      const r = group.find((g) => g.method === m);
      const x = x0 + mi * bw;
      const v = r === undefined ? undefined : ratio(r);
      if (v !== undefined) {
        parts.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(bottom - y(v)).toFixed(1)}" fill="${COLORS[mi % COLORS.length]}"><title>${m}: ${v.toFixed(3)}</title></rect>`);
      } else if (r?.nodesUsed !== undefined && r.bestNodeBound !== undefined && r.nodesUsed > r.bestNodeBound) {
        parts.push(`<text x="${x.toFixed(1)}" y="${bottom - 4}" font-size="9" transform="rotate(-90 ${x + 8} ${bottom - 4})">+${r.nodesUsed - r.bestNodeBound} nodes</text>`);
      }
    });
    parts.push(`<text x="${x0}" y="${bottom + 18}">${w}</text>`);
  });
  methods.forEach((m, mi) => {
    parts.push(`<rect x="${W - 190}" y="${top + mi * 18}" width="12" height="12" fill="${COLORS[mi % COLORS.length]}"/><text x="${W - 172}" y="${top + mi * 18 + 10}">${m}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const dir = quick ? join(process.cwd(), 'bench', 'results', 'quick') : join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', memoryGiB: Math.round(totalmem() / 2 ** 30), date: new Date().toISOString(), quick };
  const log = (l: string): void => {
    process.stderr.write(`${l}\n`);
  };
  process.stdout.write(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}${quick ? ' (quick)' : ''}\n\n`);

  if (only === undefined || only === 'plan') {
    const rows = runPlanBench(quick);
    process.stdout.write(`Planner\n${formatPlanTable(rows)}\n\n`);
    writeFileSync(join(dir, 'plan.json'), `${JSON.stringify({ ...machine, rows }, null, 2)}\n`);
    writeFileSync(join(dir, 'plan.md'), `${formatPlanMarkdown(rows)}\n`);
  }
  if (only === undefined || only === 'placement') {
    const rows = await runPlacementBench({ quick, log });
    process.stdout.write(`Placement (consolidate, ${quick ? 3 : 10} s per method)\n${formatPlacementTable(rows)}\n\n`);
    writeFileSync(join(dir, 'placement.json'), `${JSON.stringify({ ...machine, rows }, null, 2)}\n`);
    writeFileSync(join(dir, 'placement.md'), `${formatPlacementMarkdown(rows)}\n`);
    writeFileSync(join(dir, 'placement.svg'), `${placementChart(rows)}\n`);
  }
  if (only === undefined || only === 'balance') {
    const rows = await runBalanceBench({ quick, log });
    const md = formatBalanceMarkdown(rows);
    process.stdout.write(`Balance (${quick ? 3 : 10} s per method)\n${md}\n\n`);
    writeFileSync(join(dir, 'balance.json'), `${JSON.stringify({ ...machine, rows }, null, 2)}\n`);
    writeFileSync(join(dir, 'balance.md'), `${md}\n`);
  }
  if (only === undefined || only === 'repair') {
    const rows = runRepairBench(quick, log);
    const md = formatRepairMarkdown(rows);
    process.stdout.write(`Repair (BtrPlace-shaped, end to end)\n${md}\n`);
    writeFileSync(join(dir, 'repair.json'), `${JSON.stringify({ ...machine, rows }, null, 2)}\n`);
    writeFileSync(join(dir, 'repair.md'), `${md}\n`);
  }
  if (only === undefined || only === 'simulate') {
    const rows = await runSimulateBench({ quick, log });
    const md = formatSimulateMarkdown(rows);
    process.stdout.write(`Simulation: best-effort grid with advance reservations (medians over seeds, min–max)\n${md}\n\n`);
    writeFileSync(join(dir, 'simulate.json'), `${JSON.stringify({ ...machine, rows }, null, 2)}\n`);
    writeFileSync(join(dir, 'simulate.md'), `${md}\n`);
    for (const size of [...new Set(rows.map((r) => r.size))]) {
      writeFileSync(join(dir, `simulate-cdf-${size.replace(/ x /, 'x')}.svg`), completionCdfChart(rows, size));
    }
    // The README's simulation table is regenerated by a full run.
    const readme = join(process.cwd(), 'bench', 'README.md');
    if (!quick && existsSync(readme)) {
      const text = readFileSync(readme, 'utf8');
      const begin = '<!-- simulate:begin -->';
      const end = '<!-- simulate:end -->';
      if (text.includes(begin) && text.includes(end)) {
        writeFileSync(readme, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${md}\n${text.slice(text.indexOf(end))}`);
      }
    }
  }
  if (only === undefined || only === 'figures' || only === 'placement' || only === 'plan') {
    const pick = (name: string): string | undefined => [join(dir, name), join(process.cwd(), 'bench', 'results', name)].find((f) => existsSync(f));
    const placementJson = pick('placement.json');
    if (placementJson) {
      const rows = (JSON.parse(readFileSync(placementJson, 'utf8')) as { rows: PlacementBenchRow[] }).rows;
      writeFileSync(join(dir, 'placement-time.svg'), placementTimeChart(rows));
      writeFileSync(join(dir, 'placement-gap.svg'), placementGapChart(rows));
    }
    const planJson = pick('plan.json');
    if (planJson) writeFileSync(join(dir, 'plan-time.svg'), planTimeChart((JSON.parse(readFileSync(planJson, 'utf8')) as { rows: Parameters<typeof planTimeChart>[0] }).rows));
  }
  if (only === 'anytime') {
    // Not part of the default run (about 10 s per shape and size). `--busy`: another process
    // keeps one core busy the whole time (results in anytime-busy.*).
    const busy = process.argv.includes('--busy') ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : undefined;
    try {
      const rows = await runAnytimeBench({ quick, log });
      const md = formatAnytimeMarkdown(rows);
      const base = busy ? 'anytime-busy' : 'anytime';
      process.stdout.write(`Anytime profile (consolidate, default solver vs migration-aware best-fit${busy ? ', one core kept busy' : ''})\n${md}\n`);
      writeFileSync(join(dir, `${base}.json`), `${JSON.stringify({ ...machine, busy: busy !== undefined, rows }, null, 2)}\n`);
      writeFileSync(join(dir, `${base}.md`), `${md}\n`);
    } finally {
      busy?.kill();
    }
  }
  if (only === 'btrplace') {
    // Not part of the default run: it needs ../shared/btrplace/ (or paths given after the flag).
    const after = process.argv.slice(process.argv.indexOf('--only') + 2);
    const extra = after.filter((a, i) => !a.startsWith('--') && after[i - 1] !== '--repeat');
    const repeat = process.argv.includes('--repeat') ? Number(process.argv[process.argv.indexOf('--repeat') + 1]) : 1;
    const { files, missing } = btrPlaceFiles(BTRPLACE_DIR, extra);
    for (const m of missing) process.stdout.write(`btrplace: ${m}\n`);
    if (files.length > 0) {
      const rows = runBtrPlaceBench(files, { timeLimitS: 10, repeat, log });
      const md = formatBtrPlaceMarkdown(rows, 10);
      process.stdout.write(`BtrPlace workloads (import + plan + verify, one child process each)\n${md}\n`);
      writeFileSync(join(dir, 'btrplace.json'), `${JSON.stringify({ ...machine, rows }, null, 2)}\n`);
      writeFileSync(join(dir, 'btrplace.md'), `${md}\n`);
    }
  }
  process.stdout.write(`\nresults written to ${join('bench', 'results')}/\n`);
  process.exit(0);
}

void main();
