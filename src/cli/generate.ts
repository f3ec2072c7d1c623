/**
 * `switchyard generate`: writes a seeded workload over time (docs/format.md, "Workload over time").
 */
import { parseArgs } from 'node:util';
import { formatWorkload } from '../io/workload.js';
import { generateWorkload, WORKLOAD_FAMILIES, type WorkloadFamily } from '../workload/families.js';
import type { CliIo } from './run.js';
import { UsageError } from './usage.js';

/** Help text of `switchyard generate`. */
export const GENERATE_HELP = `Usage: switchyard generate --family F --nodes N --vms M [--seed S] [--horizon SECONDS] [-o FILE]

Writes a seeded workload over time (an instance plus timed events; docs/format.md, "Workload
over time") to FILE, or to standard output. Same options, same file. Families:
  cluster     heterogeneous consolidation cluster (every VM running; services, no events)
  tdsc        3-tier applications with spread/among after a load spike, then node failures
  queue       vjobs of 1-64 VMs with work durations, priorities and arrival times
  besteffort  best-effort vjobs filling idle nodes while advance reservations arrive with
              notice (Grid'5000-shaped); M counts best-effort VMs

Options:
  -f, --family F        one of ${WORKLOAD_FAMILIES.join(', ')}
  -n, --nodes N         number of nodes (a positive integer)
  -m, --vms M           number of VMs (a non-negative integer)
  -s, --seed S          seed (default 1)
      --horizon S       simulated seconds the events cover (family default otherwise)
  -o, --output FILE     where to write the workload JSON

Exit codes: 0 written, 1 the file cannot be written, 2 usage error.
`;

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/**
 * Runs `switchyard generate`.
 * @param io - the outside world
 * @param args - the arguments after `generate`
 * @returns the exit code
 * @example
 * ```ts
 * await cmdGenerate(io, ['--family', 'besteffort', '--nodes', '32', '--vms', '160', '-o', 'w.json']);
 * ```
 */
export async function cmdGenerate(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      family: { type: 'string', short: 'f' },
      nodes: { type: 'string', short: 'n' },
      vms: { type: 'string', short: 'm' },
      seed: { type: 'string', short: 's' },
      horizon: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`switchyard generate takes no file argument, got "${positionals[0]}"`);
  const family = values.family;
  if (family === undefined) throw new UsageError(`--family is required (one of ${WORKLOAD_FAMILIES.join(', ')})`);
  if (!(WORKLOAD_FAMILIES as readonly string[]).includes(family)) throw new UsageError(`--family must be one of ${WORKLOAD_FAMILIES.join(', ')}, got "${family}"`);
  const nodes = integer(values.nodes, '--nodes', 1);
  const vms = integer(values.vms, '--vms', 0);
  if (nodes === undefined) throw new UsageError('--nodes is required');
  if (vms === undefined) throw new UsageError('--vms is required');
  const seed = integer(values.seed, '--seed', Number.MIN_SAFE_INTEGER) ?? 1;
  const horizon = integer(values.horizon, '--horizon', 1);
  const w = generateWorkload(family as WorkloadFamily, { nodes, vms, seed, ...(horizon !== undefined ? { horizon } : {}) });
  const text = formatWorkload(w);
  if (values.output === undefined) io.stdout(text);
  else {
    await io.writeFile(values.output, text);
    io.stdout(`${values.output}: ${family} workload, ${w.instance.nodes.size} nodes, ${w.events.length} events\n`);
  }
  return 0;
}
