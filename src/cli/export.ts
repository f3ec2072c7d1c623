/**
 * `switchyard export btrplace PLAN --instance INSTANCE [-o OUT]`: a plan as a BtrPlace
 * reconfiguration plan (origin model and timed actions).
 */
import { parseArgs } from 'node:util';
import { exportBtrPlacePlan } from '../io/btrplace/export.js';
import { loadInstance, loadPlan, printIssues } from './files.js';
import type { CliIo } from './run.js';
import { UsageError } from './usage.js';

/** Help text of `switchyard export`. */
export const EXPORT_HELP = `Usage: switchyard export btrplace PLAN --instance INSTANCE [-o OUT.json]

Writes PLAN (exchange format v1, for INSTANCE) as a BtrPlace reconfiguration plan: "origin" (the
source model in BtrPlace's JSON) and "actions" (migrateVM, bootVM, shutdownVM, suspendVM,
resumeVM, bootNode, shutdownNode) with start and end in whole seconds. VM "vm7" is BtrPlace VM 7,
node "n3" node 3; other ids are numbered in order.

Options:
  -i, --instance INSTANCE   the instance the plan is for (required)
  -o, --output OUT          where to write the BtrPlace JSON (default: standard output)

Exit codes: 0 written, 1 invalid input, 2 usage error.
`;

/**
 * Runs `switchyard export`.
 * @param io - the outside world
 * @param args - the arguments after `export`
 * @returns the exit code
 */
export async function cmdExport(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { instance: { type: 'string', short: 'i' }, output: { type: 'string', short: 'o' } },
  });
  const [format, planFile, ...extra] = positionals;
  if (format !== 'btrplace') throw new UsageError(`switchyard export takes a target format first: "btrplace" (got ${format === undefined ? 'nothing' : `"${format}"`})`);
  if (planFile === undefined || extra.length > 0) throw new UsageError('switchyard export btrplace takes 1 plan file argument');
  if (values.instance === undefined) throw new UsageError('switchyard export btrplace needs --instance INSTANCE');
  const instance = await loadInstance(io, values.instance);
  if (!instance) return 1;
  const plan = await loadPlan(io, instance, planFile);
  if (!plan) return 1;
  const r = exportBtrPlacePlan(instance, plan);
  if (!r.ok) {
    printIssues(io, planFile, r.issues);
    return 1;
  }
  const json = `${JSON.stringify(r.value)}\n`;
  if (values.output === undefined) io.stdout(json);
  else await io.writeFile(values.output, json);
  return 0;
}
