import { parseArgs } from 'node:util';
import { SwitchyardError } from '../errors.js';
import { DEFAULT_SEED, DEFAULT_TIME_LIMIT_MS } from '../model/defaults.js';
import { formatPlan } from '../io/plan.js';
import type { Instance } from '../model/instance.js';
import { planInstance } from '../pipeline.js';
import { defaultSolver } from '../place/default.js';
import type { Plan, PlanPhases } from '../plan/types.js';
import { defaultRunner } from '../solvers/pool.js';
import { summarizePlan } from '../plan/summary.js';
import { verifyPlan } from '../plan/verify.js';
import { VERSION } from '../version.js';
import { cmdLab, LAB_HELP } from './lab.js';
import { APPLY_HELP, cmdApply } from './apply.js';
import { cmdRender, RENDER_HELP } from './render.js';
import { cmdGenerate, GENERATE_HELP } from './generate.js';
import { cmdSimulate, SIMULATE_HELP } from './simulate.js';
import { cmdRun, controllerPlayer, RUN_HELP } from './play.js';
import { UsageError } from './usage.js';
import { cmdExport, EXPORT_HELP } from './export.js';
import { cmdImport, IMPORT_HELP } from './import.js';
import { planProgressDisplay } from './progress.js';
import { loadInstance, loadPlan } from './files.js';

/** What the CLI needs from the outside world, injected so that it can be tested in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a file (`-` is standard input); rejects with a Node error when it cannot. */
  readonly readFile: (path: string) => Promise<string>;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  /** Milliseconds, for time limits and the solveMs/planMs figures. */
  readonly now: () => number;
  /** Reads a file's bytes (for gzip input); without it, `readFile`'s text is used. */
  readonly readBytes?: (path: string) => Promise<Uint8Array>;
  /** Whether standard error is a terminal (progress is then redrawn in place). */
  readonly stderrIsTTY?: boolean;
}

/** Exit codes of the `switchyard` command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, infeasible: 3 } as const;

const MAIN_HELP = `switchyard ${VERSION}: cluster-wide context switch for virtual machines

Usage:
  switchyard plan INSTANCE [-o PLAN] [--time-limit S] [--seed N] [--cycles MODE] [--quiet]
  switchyard verify INSTANCE PLAN
  switchyard validate INSTANCE
  switchyard lab [--nodes N] [--vms M] [--executor qemu|libvirt] [--json]
  switchyard apply INSTANCE PLAN [--executor simulated|qemu|libvirt] [--json] [--fault-rate P --seed S] [--kill-node NODE@SECONDS]
  switchyard render PLAN --instance INSTANCE [-o OUT.html|OUT.svg]
  switchyard generate --family F --nodes N --vms M [--seed S] [-o FILE]
  switchyard simulate WORKLOAD [--policy P ...] [--json]
  switchyard run WORKLOAD [--executor simulated|qemu|libvirt] [--speed X] [--journal FILE] [--json]
  switchyard import btrplace IN.json[.gz] [-o OUT.json] [--strict]
  switchyard export btrplace PLAN --instance INSTANCE [-o OUT.json]
  switchyard --version
  switchyard COMMAND --help

INSTANCE and PLAN are JSON files in the exchange format v1 (docs/schema/); '-' reads standard input.
Exit codes: 0 success, 1 invalid input or internal error, 2 usage error, 3 infeasible instance,
4 plan only partly carried out (apply, lab) or a guest not where the controller says (run),
130 interrupted (lab, run); docs/cli.md has them per command.
Add --debug to any command to see stack traces of internal errors.
`;

const HELP: Record<string, string> = {
  plan: `Usage: switchyard plan INSTANCE [-o PLAN] [--time-limit S] [--seed N] [--cycles MODE] [--quiet]

Computes a target configuration for INSTANCE and the timed plan of actions that reaches it.
Writes the plan JSON to PLAN (or to standard output without -o) and a table of the actions
(to standard output with -o, else to standard error) unless --quiet.

Options:
  -o, --output PLAN     where to write the plan JSON
  -t, --time-limit S    seconds the whole command may take, read to verified plan (default 10)
  -s, --seed N          seed of every random choice (default 1): same seed, same plan
      --cycles MODE     how to break cycles of VMs trading places on full nodes:
                        minimal (default: fewest extra actions, one per cycle) or
                        parallel (one per waiting node: more actions, far shorter makespan)
  -q, --quiet           no summary table and no progress (phase, best answer and bound, time
                        left: redrawn on a terminal, plain lines otherwise, on standard error)
      --debug           show stack traces of internal errors

Which vjobs run (the context switch, the same under every objective): a vjob runs whole or not
at all. Vjobs whose VMs must run ("wants", "running") run; vjobs with a VM that must sleep do
not. The others are admitted one by one, non-best-effort before best-effort, then by higher
priority, then by earlier submission, each when all its VMs fit beside those admitted before
(a smaller vjob may pass a larger one that does not fit). A running vjob that no longer fits
is suspended; a sleeping or waiting one that fits is resumed or started. "reserved" nodes only
host their vjob.

Exit codes: 0 plan found, 3 infeasible (the plan with status "infeasible" and its reasons is
still written), 1 invalid input or internal error, 2 usage error.
`,
  verify: `Usage: switchyard verify INSTANCE PLAN

Replays PLAN against INSTANCE and reports every violation: illegal actions, any instant over
capacity, broken dependencies, constraints broken at the end or during the plan, an end state
different from the plan's target, lost VMs. Exit 0 when the plan is valid, 1 otherwise.
`,
  validate: `Usage: switchyard validate INSTANCE

Checks INSTANCE against the exchange format v1 and reports every problem with its JSON path.
Exit 0 when valid, 1 otherwise.
`,
  lab: LAB_HELP,
  apply: APPLY_HELP,
  render: RENDER_HELP,
  generate: GENERATE_HELP,
  simulate: SIMULATE_HELP,
  run: RUN_HELP,
  import: IMPORT_HELP,
  export: EXPORT_HELP,
};

export { UsageError };
export { loadInstance, printIssues, readInput } from './files.js';

function positionals(args: readonly string[], n: number, command: string): string[] {
  if (args.length !== n) {
    throw new UsageError(`switchyard ${command} takes ${n} file argument${n === 1 ? '' : 's'}, got ${args.length}`);
  }
  return [...args];
}

async function cmdValidate(io: CliIo, args: readonly string[]): Promise<number> {
  const [file] = positionals(args, 1, 'validate') as [string];
  const inst = await loadInstance(io, file);
  if (!inst) return EXIT.invalid;
  io.stdout(`${file}: valid instance: ${inst.nodes.size} nodes, ${inst.vms.size} VMs, ${inst.vjobs.size} vjobs, ${inst.constraints.size} constraints\n`);
  return EXIT.ok;
}

async function cmdVerify(io: CliIo, args: readonly string[]): Promise<number> {
  const [instFile, planFile] = positionals(args, 2, 'verify') as [string, string];
  const inst = await loadInstance(io, instFile);
  if (!inst) return EXIT.invalid;
  const plan = await loadPlan(io, inst, planFile);
  if (!plan) return EXIT.invalid;
  const v = verifyPlan(inst, plan);
  if (!v.ok) {
    for (const x of v.violations) io.stderr(`${planFile}: ${x.code}: ${x.message}\n`);
    io.stderr(`${planFile}: invalid plan: ${v.violations.length} violation${v.violations.length === 1 ? '' : 's'}\n`);
    return EXIT.invalid;
  }
  const p = plan;
  io.stdout(
    p.status === 'infeasible'
      ? `${planFile}: valid infeasible answer (${p.reasons.length} reason${p.reasons.length === 1 ? '' : 's'})\n`
      : `${planFile}: valid plan: ${p.actions.length} actions, makespan ${p.stats.makespan} s\n`,
  );
  return EXIT.ok;
}

/**
 * The plan summary with, on its first line, why the placement returned (`stats.stop`:
 * proved, stalled, time-limit, exhausted) and after how long.
 */
function withStopReason(summary: string, plan: Plan): string {
  const stop = plan.stats?.stop;
  const at = summary.indexOf('\n');
  if (typeof stop !== 'string' || at < 0) return summary;
  return `${summary.slice(0, at)}; placement: ${stop} after ${((plan.stats?.solveMs ?? 0) / 1000).toFixed(1)} s${summary.slice(at)}`;
}

async function cmdPlan(io: CliIo, args: readonly string[]): Promise<number> {
  const { values, positionals: pos } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      'time-limit': { type: 'string', short: 't' },
      seed: { type: 'string', short: 's' },
      quiet: { type: 'boolean', short: 'q' },
      cycles: { type: 'string' },
      debug: { type: 'boolean' },
    },
  });
  const [file] = positionals(pos, 1, 'plan') as [string];
  const timeLimit = values['time-limit'] === undefined ? DEFAULT_TIME_LIMIT_MS / 1000 : Number(values['time-limit']);
  if (!Number.isFinite(timeLimit) || timeLimit <= 0) {
    throw new UsageError(`--time-limit must be a positive number of seconds, got "${values['time-limit']}"`);
  }
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);

  const cycles = values.cycles ?? 'minimal';
  if (cycles !== 'minimal' && cycles !== 'parallel') throw new UsageError(`--cycles must be "minimal" or "parallel", got "${cycles}"`);
  let inst: Instance;

  // The solver workers, closed when the plan is written. They start with the first solve, not
  // while the instance is read: warming them during the read of a large instance raised the peak
  // memory by 100–300 MiB (both heaps beside the JSON text and tree) and saved no time.
  const runner = defaultRunner(2);
  const progress = planProgressDisplay(io, values.quiet === true, timeLimit * 1000);
  let plan: Plan;
  const startedAt = io.now();
  try {
    progress.phase('read', file);
    const inst0 = await loadInstance({ ...io, stderr: (t) => (progress.clear(), io.stderr(t)) }, file);
    if (!inst0) return EXIT.invalid;
    inst = inst0;
    plan = await planInstance(inst, {
      seed,
      timeLimitMs: timeLimit * 1000,
      startedAt,
      now: io.now,
      solver: defaultSolver({ lns: { runner } }),
      planner: { cycleBreaking: cycles },
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
    await runner.close();
  }
  const tWrite = io.now();
  const json = formatPlan(plan);
  const out = values.output;
  if (out === undefined) io.stdout(json);
  else await io.writeFile(out, json);
  const tEnd = io.now();
  const say = out === undefined ? io.stderr : io.stdout;
  if (!values.quiet) say(withStopReason(summarizePlan(plan, inst), plan));
  if (!values.quiet) say(phasesLine(plan.stats?.phases, tEnd - tWrite, tEnd - startedAt, timeLimit * 1000));
  if (out !== undefined && !values.quiet) say(`plan written to ${out}\n`);
  if (plan.status === 'infeasible') {
    for (const r of plan.reasons) io.stderr(`infeasible: ${r.message}\n`);
    return EXIT.infeasible;
  }
  return EXIT.ok;
}

/**
 * The line of `switchyard plan` that gives the time of each phase, e.g.
 * `phases: read 0.41 s, decide 0.20 s, place 8.10 s, plan 0.30 s, verify 0.12 s, write 0.10 s; total 9.23 s (limit 10 s)`.
 * @param phases - the plan's `stats.phases`
 * @param writeMs - the time spent writing the plan
 * @param totalMs - the whole command, from the start of the read
 * @param limitMs - the time limit
 * @returns the line, with its newline
 */
export function phasesLine(phases: PlanPhases | undefined, writeMs: number, totalMs: number, limitMs: number): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const parts = Object.entries({ ...phases, write: writeMs }).map(([k, v]) => `${k} ${s(v)}`);
  return `phases: ${parts.join(', ')}; total ${s(totalMs)} (limit ${limitMs / 1000} s)\n`;
}

/**
 * Runs the `switchyard` command line and returns its exit code. Never throws: internal errors
 * are reported in one line (with a stack trace only under `--debug`).
 *
 * @param argv - the arguments after the program name
 * @param io - the outside world
 * @returns the exit code ({@link EXIT})
 * @example
 * ```ts
 * const code = await runCli(['validate', 'cluster.json'], nodeIo());
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      io.stdout(topic !== undefined && HELP[topic] ? HELP[topic] : MAIN_HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === '--version' || command === '-V' || command === 'version') {
      io.stdout(`${VERSION}\n`);
      return EXIT.ok;
    }
    if (!(command in HELP)) throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(HELP).join(", ")})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(HELP[command]!);
      return EXIT.ok;
    }
    if (command === 'validate' || command === 'verify') {
      const unknown = rest.find((a) => a.startsWith('-') && a !== '-');
      if (unknown !== undefined) throw new UsageError(`unknown option "${unknown}" for switchyard ${command}`);
    }
    switch (command) {
      case 'validate':
        return await cmdValidate(io, rest);
      case 'verify':
        return await cmdVerify(io, rest);
      case 'lab':
        return await cmdLab(io, rest, process.stdout.isTTY === true);
      case 'apply':
        return await cmdApply(io, rest, { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true });
      case 'render':
        return await cmdRender(io, rest);
      case 'generate':
        return await cmdGenerate(io, rest);
      case 'simulate':
        return await cmdSimulate(io, rest);
      case 'run':
        return await cmdRun(io, rest, { tty: (rest.includes('--json') ? process.stderr.isTTY : process.stdout.isTTY) === true, player: controllerPlayer });
      case 'import':
        return await cmdImport(io, rest);
      case 'export':
        return await cmdExport(io, rest);
      default:
        return await cmdPlan(io, rest);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`switchyard: ${(e as Error).message}\nRun "switchyard --help" for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof SwitchyardError) {
      for (const i of e.issues) io.stderr(`switchyard: ${e.code}: ${i.path}: ${i.message}\n`);
    } else {
      io.stderr(`switchyard: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    }
    if (debug && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    else io.stderr('(run with --debug for details)\n');
    return EXIT.invalid;
  }
}
