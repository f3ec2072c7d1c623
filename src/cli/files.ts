/**
 * Reading the command line's input files: one place that says why a file cannot be read and
 * prints every issue of an instance or a plan with its file and JSON path.
 */
import type { Issue } from '../errors.js';
import { parseInstance } from '../io/instance.js';
import { checkPlanReferences, parsePlan } from '../io/plan.js';
import type { Instance } from '../model/instance.js';
import type { Plan } from '../plan/types.js';
import type { CliIo } from './run.js';

/**
 * Why a file could not be read, in a few words.
 * @param e - the error of the read
 * @returns e.g. `no such file`
 */
export function cannotRead(e: unknown): string {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((e as Error).message ?? e);
}

/**
 * Prints each issue as `file: path: message`.
 * @param io - the CLI's outside world
 * @param file - the file the issues are about
 * @param issues - the issues
 */
export function printIssues(io: CliIo, file: string, issues: readonly Issue[]): void {
  for (const i of issues) io.stderr(`${file}: ${i.path}: ${i.message}\n`);
}

/**
 * Reads a file, or reports why it cannot and returns undefined.
 * @param io - the CLI's outside world
 * @param path - the file (`-` is standard input)
 * @returns its text, or undefined after a message on standard error
 */
export async function readInput(io: CliIo, path: string): Promise<string | undefined> {
  try {
    return await io.readFile(path);
  } catch (e) {
    io.stderr(`${path}: cannot read: ${cannotRead(e)}\n`);
    return undefined;
  }
}

/**
 * Reads and parses an instance, or reports every issue and returns undefined.
 * @param io - the CLI's outside world
 * @param path - the instance file
 * @returns the instance, or undefined after the issues on standard error
 */
export async function loadInstance(io: CliIo, path: string): Promise<Instance | undefined> {
  const text = await readInput(io, path);
  if (text === undefined) return undefined;
  const r = parseInstance(text);
  if (!r.ok) {
    printIssues(io, path, r.issues);
    io.stderr(`${path}: ${r.issues.length} problem${r.issues.length === 1 ? '' : 's'}: not a valid instance\n`);
    return undefined;
  }
  return r.value;
}

/**
 * Reads and parses a plan for `instance` (its VM and node ids checked against the instance), or
 * reports every issue and returns undefined.
 * @param io - the CLI's outside world
 * @param instance - the instance the plan is for
 * @param path - the plan file
 * @returns the plan, or undefined after the issues on standard error
 */
export async function loadPlan(io: CliIo, instance: Instance, path: string): Promise<Plan | undefined> {
  const text = await readInput(io, path);
  if (text === undefined) return undefined;
  const parsed = parsePlan(text);
  const issues = parsed.ok ? checkPlanReferences(instance, parsed.value) : parsed.issues;
  if (!parsed.ok || issues.length > 0) {
    printIssues(io, path, issues);
    return undefined;
  }
  return parsed.value;
}
