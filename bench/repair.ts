/**
 * BtrPlace-shaped repair benchmark (issue 4): 5,000 nodes, 30,000 VMs in 3-tier applications
 * (6–30 VMs each) with `spread` per tier and `among` 250-node groups for one tier, then 10% of
 * the applications raising their cpu demand so that some nodes overload; objective
 * `minMigrations`. Measured end to end in a child process (read the instance file, place, plan,
 * verify, write the plan): wall time and peak resident memory, with the partitioned repair, and
 * through the `switchyard plan` command as currently wired.
 *
 * Run after `npm run build`: `node dist/bench/repair.js [--quick]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatInstance } from '../src/io/instance.js';
import { repairWorkload } from '../src/workload/repair.js';

/** One end-to-end measurement. */
export interface RepairBenchRow {
  readonly workload: string;
  readonly method: string;
  readonly status: string;
  /** Wall time of the whole process (start, read, place, plan, verify, write), ms. */
  readonly wallMs: number;
  readonly solveMs?: number;
  readonly planMs?: number;
  readonly migrations?: number;
  readonly migratedMemory?: number;
  readonly migrationLowerBound?: number;
  readonly maxRssMB?: number;
  /** Milliseconds per phase (`stats.phases` of the plan, and `write` from the CLI's phases line). */
  readonly phases?: Readonly<Record<string, number>>;
  readonly note?: string;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

function timed(cmd: string, args: readonly string[], timeoutMs: number): { ms: number; stdout: string; stderr: string; code: number | null; rssMB?: number } {
  const useTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'RSSKB=%M', cmd, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  const m = /RSSKB=(\d+)/.exec(r.stderr ?? '');
  return { ms, stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.status, ...(m ? { rssMB: Math.round(Number(m[1]) / 1024) } : {}) };
}

/**
 * Runs the repair benchmark.
 * @param quick - a 1,000-node / 6,000-VM instance instead of 5,000 / 30,000
 * @param log - progress lines
 * @returns the rows
 */
export function runRepairBench(quick = false, log: (line: string) => void = () => undefined): RepairBenchRow[] {
  const sizes: [number, number][] = quick ? [[1000, 6000]] : [[5000, 30000], [10000, 60000], [20000, 120000]];
  return sizes.flatMap(([nodes, vms], i) => runRepairSize(nodes, vms, i === 0, log));
}

function runRepairSize(nodes: number, vms: number, withPartitioned: boolean, log: (line: string) => void): RepairBenchRow[] {
  const workload = `${nodes} nodes x ${vms} VMs`;
  const w = repairWorkload({ nodes, vms, seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const file = join(dir, 'instance.json');
  writeFileSync(file, formatInstance(w.instance));
  log(`${workload}: ${w.apps} applications, ${w.overloaded} overloaded nodes, instance file ${(statSync(file).size / 1e6).toFixed(1)} MB`);
  const rows: RepairBenchRow[] = [];
  try {
    const e2e = join(root, 'dist', 'bench', 'e2e.js');
    if (withPartitioned) {
    const run = timed(process.execPath, [e2e, file, join(dir, 'plan-partitioned.json'), '5', 'partitioned'], 120_000);
    const line = run.stdout.trim().split('\n').pop() ?? '';
    let parsed: Partial<RepairBenchRow> & { status?: string } = {};
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      parsed = { status: 'error' };
    }
    rows.push({
      workload,
      method: 'partitioned repair + planner (planInstance)',
      status: parsed.status ?? 'error',
      wallMs: Math.round(run.ms),
      ...(parsed.solveMs === undefined ? {} : { solveMs: parsed.solveMs }),
      ...(parsed.planMs === undefined ? {} : { planMs: parsed.planMs }),
      ...(parsed.migrations === undefined ? {} : { migrations: parsed.migrations }),
      ...(parsed.migratedMemory === undefined ? {} : { migratedMemory: parsed.migratedMemory }),
      ...(parsed.migrationLowerBound === undefined ? {} : { migrationLowerBound: parsed.migrationLowerBound }),
      ...(run.rssMB === undefined ? (parsed.maxRssMB === undefined ? {} : { maxRssMB: parsed.maxRssMB }) : { maxRssMB: run.rssMB }),
      ...(run.code === 0 ? {} : { note: run.stderr.split('\n').filter((l) => !l.startsWith('RSSKB')).slice(-2).join(' ').slice(0, 120) }),
    });
    log(`partitioned: ${JSON.stringify(rows[rows.length - 1])}`);
    }
    const cli = join(root, 'dist', 'src', 'cli', 'main.js');
    const out = join(dir, 'plan-cli.json');
    // Not quiet: the phases line gives the write time.
    const c = timed(process.execPath, [cli, 'plan', file, '-o', out, '--time-limit', '5'], 180_000);
    let stats: { solveMs?: number; planMs?: number; migrations?: number; migratedMemory?: number; phases?: Record<string, number>; x?: { migrationLowerBound?: number } } = {};
    let status = c.code === 0 ? 'plan written' : c.code === null ? 'killed (timeout 180 s)' : `exit ${c.code}`;
    if (c.code === 0 && existsSync(out)) {
      const plan = JSON.parse(readFileSync(out, 'utf8')) as { status: string; stats?: typeof stats };
      status = plan.status;
      stats = plan.stats ?? {};
    }
    rows.push({
      workload,
      method: '`switchyard plan` (default placement)',
      status,
      wallMs: Math.round(c.ms),
      ...(stats.solveMs === undefined ? {} : { solveMs: stats.solveMs }),
      ...(stats.planMs === undefined ? {} : { planMs: stats.planMs }),
      ...(stats.migrations === undefined ? {} : { migrations: stats.migrations }),
      ...(stats.migratedMemory === undefined ? {} : { migratedMemory: stats.migratedMemory }),
      ...(stats.x?.migrationLowerBound === undefined ? {} : { migrationLowerBound: stats.x.migrationLowerBound }),
      ...(c.rssMB === undefined ? {} : { maxRssMB: c.rssMB }),
      ...(stats.phases === undefined ? {} : { phases: { ...stats.phases, ...writeOf(c.stdout) } }),
    });
    log(`cli: ${JSON.stringify(rows[rows.length - 1])}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The `write` seconds of the CLI's phases line, in milliseconds. */
function writeOf(stdout: string): { write?: number } {
  const m = /^phases: .*write (\d+\.\d+) s/m.exec(stdout);
  return m === null ? {} : { write: Math.round(Number(m[1]) * 1000) };
}

/**
 * Formats rows as a markdown table.
 * @param rows - the rows
 * @returns the markdown
 */
export function formatRepairMarkdown(rows: readonly RepairBenchRow[]): string {
  const head = '| workload | method | status | wall (s) | place (s) | plan (s) | migrations | migrated (GiB) | migration LB (GiB) | peak RSS (MiB) | phases: read / decide / place / plan / verify / write (s) |';
  const rule = '|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|';
  const ph = (p: Readonly<Record<string, number>> | undefined): string =>
    p === undefined ? '-' : ['read', 'decide', 'place', 'plan', 'verify', 'write'].map((k) => (p[k] === undefined ? '-' : (p[k]! / 1000).toFixed(2))).join(' / ');
  const f = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
  const g = (mib: number | undefined): string => (mib === undefined ? '-' : (mib / 1024).toFixed(0));
  return [
    head,
    rule,
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.method} | ${r.status} | ${f(r.wallMs)} | ${f(r.solveMs)} | ${f(r.planMs)} | ${r.migrations ?? '-'} | ${g(r.migratedMemory)} | ${g(r.migrationLowerBound)} | ${r.maxRssMB ?? '-'} | ${ph(r.phases)} |`,
    ),
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = runRepairBench(process.argv.includes('--quick'), (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${formatRepairMarkdown(rows)}\n`);
}
