/**
 * `switchyard export btrplace PLAN --instance INSTANCE [-o OUT]`: a plan as a BtrPlace
 * reconfiguration plan (origin model and timed actions).
 */
import { parseArgs } from 'node:util';
import { exportBtrPlacePlan } from '../io/btrplace/export.js';
import { parseInstance } from '../io/instance.js';
import { checkPlanReferences, parsePlan } from '../io/plan.js';
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
  const read = async (p: string): Promise<string | undefined> => {
    try {
      return await io.readFile(p);
    } catch (e) {
      const code = (e as { code?: string }).code;
      io.stderr(`${p}: cannot read: ${code === 'ENOENT' ? 'no such file' : String((e as Error).message ?? e)}\n`);
      return undefined;
    }
  };
  const instText = await read(values.instance);
  if (instText === undefined) return 1;
  const inst = parseInstance(instText);
  if (!inst.ok) {
    for (const i of inst.issues) io.stderr(`${values.instance}: ${i.path}: ${i.message}\n`);
    return 1;
  }
  const planText = await read(planFile);
  if (planText === undefined) return 1;
  const plan = parsePlan(planText);
  const issues = plan.ok ? checkPlanReferences(inst.value, plan.value) : plan.issues;
  if (!plan.ok || issues.length > 0) {
    for (const i of issues) io.stderr(`${planFile}: ${i.path}: ${i.message}\n`);
    return 1;
  }
  const r = exportBtrPlacePlan(inst.value, plan.value);
  if (!r.ok) {
    for (const i of r.issues) io.stderr(`${planFile}: ${i.path}: ${i.message}\n`);
    return 1;
  }
  const json = `${JSON.stringify(r.value)}\n`;
  if (values.output === undefined) io.stdout(json);
  else await io.writeFile(values.output, json);
  return 0;
}
