/**
 * BtrPlace workloads benchmark (issue 11): every BtrPlace file found in `../shared/btrplace/`
 * (the TDSC 2013 workloads `li-*` and `nr-*`, and `min-migrations.json`), and any path given
 * after `--only btrplace`, run end to end in a child process (read, import, place, plan, verify)
 * at `--time-limit 10`: wall time, peak resident memory, migrations and the migration bound.
 * The target: every li/nr file valid within 15 s wall and 1 GiB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file's measurement. */
export interface BtrPlaceBenchRow {
  readonly file: string;
  readonly status: string;
  readonly valid?: boolean;
  readonly vms?: number;
  readonly toBoot?: number;
  readonly constraints?: number;
  /** Wall time of the whole child process, ms. */
  readonly wallMs: number;
  readonly readMs?: number;
  readonly solveMs?: number;
  readonly planMs?: number;
  readonly verifyMs?: number;
  readonly migrations?: number;
  readonly migratedMemory?: number;
  readonly migrationLowerBound?: number;
  readonly boots?: number;
  readonly maxRssMB?: number;
  /** CPU seconds of the child (all threads). */
  readonly cpuS?: number;
  readonly note?: string;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The default directory of BtrPlace files: `../shared/btrplace/` beside the repository. */
export const BTRPLACE_DIR = resolve(root, '..', 'shared', 'btrplace');

/**
 * The BtrPlace files to run: those of `dir` (`*.json`, `*.json.gz`, `*.gz`, README excluded),
 * then the extra paths (files or directories).
 * @param dir - the default directory
 * @param extra - more paths
 * @returns the files, and a message for each path that does not exist
 */
export function btrPlaceFiles(dir: string, extra: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const scan = (d: string): void => {
    for (const f of readdirSync(d).sort()) if (/\.(json|json\.gz|gz)$/.test(f)) files.push(join(d, f));
  };
  if (existsSync(dir)) scan(dir);
  else missing.push(`${dir} does not exist: no BtrPlace workloads to run (copy BtrPlace's wkld-tdsc files there, or give paths after --only btrplace)`);
  for (const p of extra) {
    if (!existsSync(p)) missing.push(`${p} does not exist`);
    else if (statSync(p).isDirectory()) scan(p);
    else files.push(p);
  }
  return { files, missing };
}

/**
 * Runs the benchmark on the files.
 * @param files - BtrPlace files
 * @param options - time limit (s), repeats, progress lines
 * @returns one row per file and run
 */
export function runBtrPlaceBench(files: readonly string[], options: { timeLimitS?: number; repeat?: number; log?: (l: string) => void } = {}): BtrPlaceBenchRow[] {
  const limit = options.timeLimitS ?? 10;
  const rows: BtrPlaceBenchRow[] = [];
  const child = join(root, 'dist', 'bench', 'btrplace-run.js');
  for (const file of files) {
    for (let k = 0; k < (options.repeat ?? 1); k++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [child, file, String(limit)], { cwd: root, encoding: 'utf8', timeout: 180_000, maxBuffer: 1 << 24 });
      const wallMs = Math.round(performance.now() - t0);
      const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
      let row: BtrPlaceBenchRow;
      try {
        row = { file: basename(file), wallMs, ...(JSON.parse(line) as Omit<BtrPlaceBenchRow, 'file' | 'wallMs'>) };
      } catch {
        const why = r.signal === 'SIGTERM' ? 'killed after 180 s' : (r.stderr ?? '').trim().split('\n').slice(0, 2).join(' ');
        row = { file: basename(file), status: 'error', wallMs, note: why };
      }
      options.log?.(`${row.file}: ${row.status}${row.valid === false ? ' (INVALID)' : ''}, ${(wallMs / 1000).toFixed(1)} s wall, ${row.cpuS ?? '?'} s CPU, ${row.maxRssMB ?? '?'} MiB`);
      rows.push(row);
    }
  }
  return rows;
}

const n = (v: number | undefined): string => (v === undefined ? '' : v.toLocaleString('en-US'));

/**
 * The markdown table of the rows.
 * @param rows - the rows
 * @param limitS - the time limit used
 * @returns the table
 */
export function formatBtrPlaceMarkdown(rows: readonly BtrPlaceBenchRow[], limitS = 10): string {
  const head = `| file (\`--time-limit ${limitS}\`) | VMs | to boot | constraints | status | wall s | CPU s | read s | solve s | plan s | peak MiB | migrations | migrated | bound | within 15 s / 1 GiB |`;
  const sep = '|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|';
  const body = rows.map((r) => {
    const tdsc = /^(li|nr)-/.test(r.file);
    const within = r.valid === true && r.wallMs <= 15_000 && (r.maxRssMB ?? Infinity) <= 1024;
    const status = r.status === 'error' ? `error: ${r.note ?? ''}` : `${r.status}${r.valid === false ? ' INVALID' : ''}`;
    const s = (ms: number | undefined): string => (ms === undefined ? '' : (ms / 1000).toFixed(1));
    return `| ${r.file} | ${n(r.vms)} | ${n(r.toBoot)} | ${n(r.constraints)} | ${status} | ${s(r.wallMs)} | ${r.cpuS ?? ''} | ${s(r.readMs)} | ${s(r.solveMs)} | ${s(r.planMs)} | ${n(r.maxRssMB)} | ${n(r.migrations)} | ${n(r.migratedMemory)} | ${n(r.migrationLowerBound)} | ${tdsc ? (within ? 'yes' : '**no**') : ''} |`;
  });
  return [head, sep, ...body].join('\n');
}
