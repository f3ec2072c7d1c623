/**
 * `switchyard simulate`: plays a workload over time under one or more policies and prints their
 * figures side by side.
 */
import { parseArgs } from 'node:util';
import { parseWorkload } from '../io/workload.js';
import { builtinPolicy, SIM_POLICIES } from '../execute/simulate/policies.js';
import { simulateWorkload } from '../execute/simulate/simulator.js';
import type { SimMetrics } from '../execute/simulate/types.js';
import { printIssues, readInput } from './files.js';
import type { CliIo } from './run.js';
import { UsageError } from './usage.js';

/** Help text of `switchyard simulate`. */
export const SIMULATE_HELP = `Usage: switchyard simulate WORKLOAD [--policy P ...] [--seed S] [--noise X] [--json]

Plays WORKLOAD (docs/format.md, "Workload over time"; '-' reads standard input) in virtual
time under each policy: the controller of \`switchyard run\` on the simulated executor and a
virtual clock; at every event the policy gives a plan, carried out by the execution engine
with the duration model. Prints one row
per policy: lost compute (VM-seconds discarded by kills and node losses), mean and p95
completion time of the vjobs that are not best-effort, mean completion of best-effort vjobs,
utilization, migrations / suspends / resumes, node-hours online, late reservations.

Options:
  -p, --policy P   ${SIM_POLICIES.join(', ')} (repeatable; default: all three)
  -s, --seed S     seed of the decisions and of the noise (default 1)
      --noise X    relative noise on action durations, in [0, 1) (default 0)
      --json       also print, as the last line, {"policies": {"<name>": {...metrics}}}

Exit codes: 0 simulated, 1 unreadable or invalid workload, 2 usage error.
`;

const COLUMNS: readonly [string, (m: SimMetrics) => string][] = [
  ['lost VM-s', (m) => m.lostComputeSeconds.toFixed(0)],
  ['mean compl s', (m) => m.meanCompletion.toFixed(0)],
  ['p95 compl s', (m) => m.p95Completion.toFixed(0)],
  ['mean BE s', (m) => m.meanCompletionBestEffort.toFixed(0)],
  ['util', (m) => m.utilization.toFixed(3)],
  ['migr', (m) => String(m.migrations)],
  ['susp', (m) => String(m.suspends)],
  ['resume', (m) => String(m.resumes)],
  ['moved GiB', (m) => ((m.x.migratedMemory + m.x.suspendedMemory + m.x.resumedMemory) / 1024).toFixed(0)],
  ['kills', (m) => String(m.x.kills)],
  ['node-h', (m) => m.nodeHours.toFixed(1)],
  ['late resv', (m) => `${m.reservationsLate}/${m.x.reservations}`],
];

/**
 * A text table of metrics, one row per policy.
 * @param rows - policy name and metrics
 * @returns the table, final newline included
 * @example
 * ```ts
 * io.stdout(metricsTable([['switch', r.metrics]]));
 * ```
 */
export function metricsTable(rows: readonly (readonly [string, SimMetrics])[]): string {
  const head = ['policy', ...COLUMNS.map(([h]) => h)];
  const body = rows.map(([name, m]) => [name, ...COLUMNS.map(([, f]) => f(m))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

/**
 * The JSON object of one policy's figures in `switchyard simulate --json` (and `switchyard run
 * --json`), fields in a fixed order.
 * @param m - the metrics
 * @returns the object
 * @example
 * ```ts
 * JSON.stringify({ policies: { switch: metricsJson(result.metrics) } });
 * ```
 */
export function metricsJson(m: SimMetrics): Record<string, unknown> {
  return {
    lostComputeSeconds: m.lostComputeSeconds,
    meanCompletion: m.meanCompletion,
    p95Completion: m.p95Completion,
    meanCompletionBestEffort: m.meanCompletionBestEffort,
    utilization: m.utilization,
    migrations: m.migrations,
    suspends: m.suspends,
    resumes: m.resumes,
    nodeHours: m.nodeHours,
    reservationsLate: m.reservationsLate,
    x: m.x,
  };
}

/**
 * Runs `switchyard simulate`.
 * @param io - the outside world
 * @param args - the arguments after `simulate`
 * @returns the exit code (1 for an invalid workload file)
 * @example
 * ```ts
 * await cmdSimulate(io, ['grid.json', '--policy', 'kill', '--policy', 'switch', '--json']);
 * ```
 */
export async function cmdSimulate(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      policy: { type: 'string', short: 'p', multiple: true },
      seed: { type: 'string', short: 's' },
      noise: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`switchyard simulate takes 1 file argument, got ${positionals.length}`);
  const names = values.policy ?? [...SIM_POLICIES];
  const policies = names.map((n) => {
    const p = builtinPolicy(n);
    if (!p) throw new UsageError(`--policy must be one of ${SIM_POLICIES.join(', ')}, got "${n}"`);
    return p;
  });
  if (new Set(names).size !== names.length) throw new UsageError('each --policy may be given once');
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const noise = values.noise === undefined ? 0 : Number(values.noise);
  if (!(Number.isFinite(noise) && noise >= 0 && noise < 1)) throw new UsageError(`--noise must be a number in [0, 1), got "${values.noise}"`);
  const file = positionals[0]!;
  const text = await readInput(io, file);
  if (text === undefined) return 1;
  const parsed = parseWorkload(text);
  if (!parsed.ok) {
    printIssues(io, file, parsed.issues);
    io.stderr(`${file}: ${parsed.issues.length} problem${parsed.issues.length === 1 ? '' : 's'}: not a valid workload\n`);
    return 1;
  }
  const rows: [string, SimMetrics][] = [];
  for (const p of policies) {
    const r = await simulateWorkload(parsed.value, p, { seed, ...(noise > 0 ? { noise } : {}) });
    rows.push([p.name, r.metrics]);
  }
  io.stdout(metricsTable(rows));
  if (values.json) {
    const out: Record<string, unknown> = {};
    for (const [name, m] of rows) out[name] = metricsJson(m);
    io.stdout(`${JSON.stringify({ policies: out })}\n`);
  }
  return 0;
}
