/**
 * `switchyard apply INSTANCE PLAN`: carries a plan out through an executor (simulated, QEMU or
 * libvirt) with the execution engine, draws its progress, and reports what happened.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { executePlan, type ExecutionReport } from '../execute/engine.js';
import { LibvirtExecutor, libvirtExecutor, type LibvirtNode, type LibvirtVmRecord } from '../execute/libvirt/index.js';
import { QemuExecutor } from '../execute/qemu/executor.js';
import { simulatedExecutor, type SimulatedFault } from '../execute/simulated.js';
import type { Executor } from '../execute/types.js';
import type { NodeId, VmId } from '../model/ids.js';
import type { Instance } from '../model/instance.js';
import { verifyPlan } from '../plan/verify.js';
import { progressDisplay } from './execution-progress.js';
import { loadInstance, loadPlan } from './files.js';
import type { CliIo } from './run.js';

/** Help text of `switchyard apply`. */
export const APPLY_HELP = `Usage: switchyard apply INSTANCE PLAN [--executor simulated|qemu|libvirt] [--json]
                        [--fault-rate P] [--seed S] [--kill-node NODE@SECONDS]... [--noise R]
                        [--checkpoint-every S] [--replan N] [--uri NODE=URI]...

Carries PLAN out on INSTANCE's machines through an executor: each action starts when the
actions it waits for (its "after") have ended and the migration limits allow; a failed action
stops what depends on it, the rest goes on; then the real configuration is observed and
reported. The plan is verified against the instance first: an invalid plan is not applied.

Executors:
  simulated (default)   a simulation on a virtual clock (durations from the instance's model)
  qemu                  a real qemu-system-x86_64 guest per VM on this machine (nodes simulated)
  libvirt               virsh against one libvirt URI per node: --uri NODE=URI, or x.libvirtUri
                        on the node; a sleeping VM names its image in x.libvirtImage

Options:
      --json                 the last line of standard output is one JSON object: succeeded,
                             failed, cancelled, skipped (counts of PLAN's actions), actions (per
                             id: status, error), observed (target shape), lost, complete, ...
      --fault-rate P         simulated: each attempt of an action fails with probability P
      --seed S               simulated: seed of the faults and noise (default 1)
      --kill-node NODE@SECONDS  NODE dies with its VMs SECONDS into the run (repeatable;
                             simulated, or qemu: its guest processes are killed, its images gone)
      --noise R              simulated: durations vary by up to ±R (relative, default 0)
      --checkpoint-every S   snapshot best-effort VMs every S seconds; VMs of a node that dies
                             are then reported sleeping on their last image
      --replan N             plan again from the observed configuration up to N times (default 0)
      --uri NODE=URI         libvirt: the node's libvirt URI (repeatable)

Progress goes to standard output (standard error with --json): a bar on a terminal, one line
per event otherwise.
Exit codes: 0 every action succeeded, 4 the plan was only partly carried out (the report is
still written), 3 the plan is infeasible (nothing to apply), 1 invalid input or executor setup
failed, 2 usage error. With --replan, 0 means the last round carried out its whole plan and
reached its target (the counts still describe PLAN's own actions).
`;

/** Exit code of a plan only partly carried out. */
export const EXIT_PARTIAL = 4;

class ApplyUsage extends Error {}


function parseKill(spec: string): { node: NodeId; at: number } {
  const k = spec.lastIndexOf('@');
  const at = Number(spec.slice(k + 1));
  if (k <= 0 || spec.slice(k + 1).trim() === '' || !Number.isFinite(at) || at < 0) {
    throw new ApplyUsage(`--kill-node must be NODE@SECONDS (seconds ≥ 0), got "${spec}"`);
  }
  return { node: spec.slice(0, k), at };
}

function numberOption(value: string | undefined, name: string, check: (x: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !check(x)) throw new ApplyUsage(`--${name} must be ${what}, got "${value}"`);
  return x;
}

interface Built {
  readonly executor: Executor;
  readonly simulated: boolean;
  readonly cleanup: () => Promise<void>;
  /** Kills a node now (real executors that can: QEMU). */
  readonly killNode?: (node: NodeId) => Promise<void>;
}

async function libvirtFor(instance: Instance, uris: readonly string[]): Promise<Built> {
  const given = new Map<NodeId, string>();
  for (const u of uris) {
    const k = u.indexOf('=');
    if (k <= 0 || k === u.length - 1) throw new ApplyUsage(`--uri must be NODE=URI, got "${u}"`);
    const node = u.slice(0, k);
    if (!instance.nodes.has(node)) throw new ApplyUsage(`--uri names node ${JSON.stringify(node)}, which the instance does not have`);
    given.set(node, u.slice(k + 1));
  }
  const nodes: Record<NodeId, LibvirtNode> = {};
  const missing: NodeId[] = [];
  for (const n of instance.nodes.values()) {
    const fromX = n.x?.['libvirtUri'];
    const uri = given.get(n.id) ?? (typeof fromX === 'string' ? fromX : undefined);
    if (uri === undefined) missing.push(n.id);
    else nodes[n.id] = { uri, state: n.state };
  }
  if (missing.length > 0) throw new ApplyUsage(`--executor libvirt needs a libvirt URI for every node: none for ${missing.map((m) => JSON.stringify(m)).join(', ')} (give --uri NODE=URI or x.libvirtUri)`);
  const vms: Record<VmId, LibvirtVmRecord> = {};
  for (const v of instance.vms.values()) {
    if (v.state === 'waiting' || v.state === 'terminated') vms[v.id] = { state: v.state };
    else if (v.state === 'sleeping') {
      const image = v.x?.['libvirtImage'];
      if (typeof image !== 'string' || v.host === undefined) throw new ApplyUsage(`--executor libvirt: sleeping VM ${JSON.stringify(v.id)} needs its image path in x.libvirtImage`);
      vms[v.id] = { state: 'sleeping', host: v.host, image };
    }
  }
  const ex: LibvirtExecutor = libvirtExecutor({ nodes, vms });
  return { executor: ex satisfies Executor, simulated: false, cleanup: () => ex.cleanup() };
}

/**
 * Runs `switchyard apply` (see {@link APPLY_HELP}).
 * @param io - the outside world
 * @param args - the arguments after `apply`
 * @param tty - whether standard output and standard error are terminals
 * @returns the exit code: 0 all succeeded, 4 partly carried out, 3 infeasible plan, 1 invalid input, 2 usage
 * @example
 * ```ts
 * const code = await cmdApply(io, ['cluster.json', 'plan.json', '--fault-rate', '0.1', '--json'], { stdout: false, stderr: false });
 * ```
 */
export async function cmdApply(io: CliIo, args: readonly string[], tty: { readonly stdout: boolean; readonly stderr: boolean }): Promise<number> {
  const usage = (m: string): number => {
    io.stderr(`switchyard: ${m}\nRun "switchyard apply --help" for usage.\n`);
    return 2;
  };
  const OPTIONS = {
    executor: { type: 'string', short: 'e' },
    json: { type: 'boolean' },
    'fault-rate': { type: 'string' },
    seed: { type: 'string', short: 's' },
    'kill-node': { type: 'string', multiple: true },
    noise: { type: 'string' },
    'checkpoint-every': { type: 'string' },
    replan: { type: 'string' },
    uri: { type: 'string', multiple: true },
  } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
  let files: string[];
  let kills: { node: NodeId; at: number }[];
  let faultRate: number | undefined;
  let seed: number | undefined;
  let noise: number | undefined;
  let every: number | undefined;
  let replan: number | undefined;
  let kind: string;
  try {
    const parsed = parseArgs({ args: [...args], allowPositionals: true, options: OPTIONS });
    values = parsed.values;
    files = parsed.positionals;
    if (files.length !== 2) throw new ApplyUsage(`switchyard apply takes 2 file arguments (INSTANCE PLAN), got ${files.length}`);
    kind = values.executor ?? 'simulated';
    if (kind !== 'simulated' && kind !== 'qemu' && kind !== 'libvirt') throw new ApplyUsage(`--executor must be "simulated", "qemu" or "libvirt", got "${kind}"`);
    faultRate = numberOption(values['fault-rate'], 'fault-rate', (x) => x >= 0 && x <= 1, 'a probability from 0 to 1');
    seed = numberOption(values.seed, 'seed', (x) => Number.isSafeInteger(x), 'an integer');
    noise = numberOption(values.noise, 'noise', (x) => x >= 0 && x <= 1, 'a number from 0 to 1');
    every = numberOption(values['checkpoint-every'], 'checkpoint-every', (x) => x > 0, 'a positive number of seconds');
    replan = numberOption(values.replan, 'replan', (x) => Number.isSafeInteger(x) && x >= 0 && x <= 100, 'an integer from 0 to 100');
    kills = (values['kill-node'] ?? []).map(parseKill);
    if (kind === 'libvirt' && values['kill-node'] !== undefined) throw new ApplyUsage('--kill-node only applies to --executor simulated or qemu');
    if (kind !== 'simulated') {
      const v = values;
      const sim = (kind === 'qemu' ? (['fault-rate', 'noise', 'seed'] as const) : (['fault-rate', 'kill-node', 'noise', 'seed'] as const)).find((o) => v[o] !== undefined);
      if (sim !== undefined) throw new ApplyUsage(`--${sim} only applies to --executor simulated`);
    }
    if (kind !== 'libvirt' && values.uri !== undefined) throw new ApplyUsage('--uri only applies to --executor libvirt');
  } catch (e) {
    if (e instanceof ApplyUsage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage((e as Error).message);
    throw e;
  }
  const [instFile, planFile] = files as [string, string];
  const json = values.json === true;
  const say = json ? io.stderr : io.stdout;

  // Read and check both files: an invalid plan is never applied.
  const instance = await loadInstance(io, instFile);
  if (!instance) return 1;
  const plan = await loadPlan(io, instance, planFile);
  if (!plan) return 1;
  const v = verifyPlan(instance, plan);
  if (!v.ok) {
    for (const x of v.violations) io.stderr(`${planFile}: ${x.code}: ${x.message}\n`);
    io.stderr(`${planFile}: invalid plan for ${instFile}: not applied\n`);
    return 1;
  }
  if (plan.status === 'infeasible') {
    io.stderr(`${planFile}: the plan is infeasible: nothing to apply\n`);
    return 3;
  }
  for (const k of kills) if (!instance.nodes.has(k.node)) return usage(`--kill-node names node ${JSON.stringify(k.node)}, which the instance does not have`);

  let built: Built;
  try {
    if (kind === 'simulated') {
      const faults: SimulatedFault[] = kills.map((k) => ({ kind: 'killNode', node: k.node, at: k.at }));
      const sim = simulatedExecutor(instance, { seed: seed ?? 1, failureRate: faultRate ?? 0, noise: noise ?? 0, faults });
      built = { executor: sim, simulated: true, cleanup: () => sim.cleanup() };
    } else if (kind === 'qemu') {
      const q = await QemuExecutor.create();
      try {
        await q.provision(instance);
      } catch (e) {
        await q.cleanup();
        throw e;
      }
      built = { executor: q, simulated: false, cleanup: () => q.cleanup(), killNode: (node) => q.killNode(node) };
    } else {
      built = await libvirtFor(instance, values.uri ?? []);
    }
  } catch (e) {
    if (e instanceof ApplyUsage) return usage(e.message);
    io.stderr(`switchyard apply: cannot set up the ${kind} executor: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }

  const t0 = performance.now();
  let report: ExecutionReport;
  const progress = progressDisplay(say, json ? tty.stderr : tty.stdout, built.simulated ? 's (simulated)' : 's');
  say(`applying ${plan.actions.length} actions with the ${kind} executor\n`);
  // Node deaths on a real executor: timers in real seconds from now.
  const timers = built.simulated || built.killNode === undefined ? [] : kills.map((k) => setTimeout(() => {
    say(`killing node ${k.node} (--kill-node)\n`);
    void built.killNode!(k.node).catch(() => undefined);
  }, k.at * 1000));
  try {
    report = await executePlan(instance, plan, built.executor, {
      onProgress: progress.onProgress,
      ...(every === undefined ? {} : { checkpoints: { every } }),
      ...(replan ? { replan: { maxRounds: replan, planOptions: { seed: seed ?? 1, timeLimitMs: 5000 } } } : {}),
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    progress.finish();
    await built.cleanup();
  }
  const wallMs = performance.now() - t0;
  const c = report.counts;
  say(
    `${report.complete ? 'done' : 'partly carried out'}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped` +
      ` of ${plan.actions.length}; ${report.seconds.toFixed(2)} ${built.simulated ? 'simulated ' : ''}s` +
      `${report.rounds.length > 1 ? `; ${report.rounds.length - 1} re-plan${report.rounds.length === 2 ? '' : 's'}` : ''}` +
      `${report.lost.length > 0 ? `; LOST: ${report.lost.join(', ')}` : ''}` +
      `${report.recovered.length > 0 ? `; recovered from checkpoints: ${report.recovered.map((r) => `${r.vm} (on ${r.image})`).join(', ')}` : ''}\n`,
  );
  if (report.replanStopped) say(`re-planning stopped: ${report.replanStopped}\n`);
  for (const a of report.actions) if (a.status !== 'succeeded' && a.status !== 'skipped') say(`  action ${a.id} ${a.status}: ${a.error?.message ?? ''}\n`);
  if (json) {
    const actions: Record<string, { status: string; error: { code: string; message: string } | null; attempts: number }> = {};
    for (const a of report.actions) actions[String(a.id)] = { status: a.status, error: a.error ? { code: a.error.code, message: a.error.message } : null, attempts: a.attempts };
    const out = {
      executor: kind,
      complete: report.complete,
      succeeded: c.succeeded,
      failed: c.failed,
      cancelled: c.cancelled,
      skipped: c.skipped,
      actions,
      observed: report.observedTarget,
      lost: report.lost,
      lostNodes: report.lostNodes,
      recovered: report.recovered,
      checkpoints: report.checkpoints,
      rounds: report.rounds.map((r) => ({ round: r.round, actions: r.actions.length, ...r.counts, reachedTarget: r.reachedTarget })),
      ...(report.replanStopped ? { replanStopped: report.replanStopped } : {}),
      seconds: Math.round(report.seconds * 1000) / 1000,
      simulated: built.simulated,
      wallSeconds: Math.round(wallMs) / 1000,
    };
    io.stdout(`${JSON.stringify(out)}\n`);
  }
  return report.complete ? 0 : EXIT_PARTIAL;
}
