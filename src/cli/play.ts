/**
 * `switchyard run WORKLOAD`: plays a workload over time through the controller on an executor
 * (simulated, QEMU guests, libvirt session daemons), time compressed by `--speed`, with a live
 * view of the controller's events, then checks every guest against where the controller says it
 * is and prints the report in the fields of `switchyard simulate`.
 *
 * The pure parts (argument parsing, the live view, the JSON report, the guest check) are
 * exported for tests; {@link cmdRun} does the I/O.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControllerEvent, ControllerReport } from '../execute/controller/types.js';
import type { Clock } from '../execute/clock.js';
import { builtinPolicy, SIM_POLICIES } from '../execute/simulate/policies.js';
import type { SimStep } from '../execute/simulate/types.js';
import { createController } from '../execute/controller/controller.js';
import { playWorkload } from '../execute/controller/feed.js';
import { VirtualClock } from '../execute/clock.js';
import { simulatedExecutor } from '../execute/simulated.js';
import type { Executor, StepContext, StepOutcome } from '../execute/types.js';
import { QemuExecutor } from '../execute/qemu/executor.js';
import { counterBootSector } from '../execute/qemu/guest.js';
import { libvirtExecutor, sessionDaemonsUnavailable, startSessionDaemons, tinyDomainXml, type LibvirtExecutor, type LibvirtVmRecord, type SessionDaemons } from '../execute/libvirt/index.js';
import { Configuration, placement } from '../model/configuration.js';
import type { NodeId, VjobId, VmId } from '../model/ids.js';
import { sourceConfiguration, vjobOf, type Instance } from '../model/instance.js';
import { DEFAULT_LEAD, DEFAULT_TOLERANCE, type Workload } from '../model/workload.js';
import type { Action } from '../model/action.js';
import { applyAction } from '../plan/replay.js';
import { parseWorkload } from '../io/workload.js';
import { printIssues, readInput } from './files.js';
import type { CliIo } from './run.js';
import { metricsJson, metricsTable } from './simulate.js';

/** Help text of `switchyard run`. */
export const RUN_HELP = `Usage: switchyard run WORKLOAD [--executor simulated|qemu|libvirt] [--speed X]
                     [--policy static|kill|switch] [--seed S] [--journal FILE] [--json]

Plays WORKLOAD (docs/format.md, "Workload over time"; '-' reads standard input) over time
through the controller: vjobs are submitted, reservations claimed, nodes fail and come back as
the workload says; at every event the policy plans and the controller carries the plan out on
the executor, re-planning when the world changes mid-switch. A live view shows what happens (a
block redrawn in place on a terminal, one line per event otherwise). At the end every guest is
checked against where the controller says it is, and the report has the figures of
"switchyard simulate" (lost compute, completion times, utilization, moves, node-hours, ...).

Executors:
  simulated (default)  the simulated executor; without --speed on a virtual clock (as fast as
                       possible, deterministic: the same report as "switchyard simulate" for
                       the same seed and policy), with --speed on the wall clock
  qemu                 a real qemu-system-x86_64 guest (TCG, a counting boot sector) per VM,
                       nodes simulated on this machine; a failure pulls the node's plug
  libvirt              one private libvirtd session daemon per node, domains defined with
                       virsh (run as root it needs a "switchyard" user, see .ci/run)

Options:
  -e, --executor E   simulated, qemu or libvirt (default simulated)
      --speed X      workload seconds per wall second (X > 0; default: virtual time for
                     simulated, 1 for qemu and libvirt)
  -p, --policy P     ${SIM_POLICIES.join(', ')} (default switch)
  -s, --seed S       seed of the decisions (default 1)
      --journal FILE the controller's crash-safe journal: a run started on a journal that
                     holds records takes over where the last one stopped
      --json         the last line of standard output is one JSON object: {"policies":
                     {"<name>": {...}}} as "switchyard simulate --json", plus executor, speed,
                     verified, guests, wallSeconds

Exit codes: 0 the workload was played and every guest is where the controller says, 4 a guest
is not where the controller says (the report is still printed), 1 unreadable or invalid
workload (naming the field) or the executor could not be set up, 2 usage error, 130
interrupted (every guest is stopped and its files removed).
`;

/** Exit code of a run whose guests are not where the controller says. */
export const EXIT_MISPLACED = 4;
/** Exit code of an interrupted run. */
export const EXIT_INTERRUPTED = 130;

/** The executors `switchyard run` knows. */
export const RUN_EXECUTORS = ['simulated', 'qemu', 'libvirt'] as const;
/** One of {@link RUN_EXECUTORS}. */
export type RunExecutorKind = (typeof RUN_EXECUTORS)[number];

/** The arguments of `switchyard run`, checked. */
export interface RunArguments {
  readonly file: string;
  readonly executor: RunExecutorKind;
  /** Workload seconds per wall second; undefined: virtual time (simulated) or 1 (real executors). */
  readonly speed: number | undefined;
  readonly policy: string;
  readonly seed: number;
  readonly journal: string | undefined;
  readonly json: boolean;
}

/**
 * Parses and checks the arguments of `switchyard run` (after `run`). Never throws.
 * @param args - the arguments
 * @returns the arguments, or the usage error's message
 * @example
 * ```ts
 * parseRunArguments(['w.json', '--executor', 'qemu', '--speed', '200']);
 * // { ok: true, value: { file: 'w.json', executor: 'qemu', speed: 200, policy: 'switch', seed: 1, journal: undefined, json: false } }
 * parseRunArguments(['w.json', '--speed', '0']); // { ok: false, message: '--speed must be a number > 0, got "0"' }
 * ```
 */
export function parseRunArguments(args: readonly string[]): { readonly ok: true; readonly value: RunArguments } | { readonly ok: false; readonly message: string } {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        executor: { type: 'string', short: 'e' },
        speed: { type: 'string' },
        policy: { type: 'string', short: 'p' },
        seed: { type: 'string', short: 's' },
        journal: { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  if (positionals.length !== 1) return { ok: false, message: `switchyard run takes 1 file argument (WORKLOAD), got ${positionals.length}` };
  const executor = values.executor ?? 'simulated';
  if (!(RUN_EXECUTORS as readonly string[]).includes(executor)) return { ok: false, message: `--executor must be simulated, qemu or libvirt, got "${executor}"` };
  let speed: number | undefined;
  if (values.speed !== undefined) {
    speed = Number(values.speed);
    if (values.speed.trim() === '' || !Number.isFinite(speed) || speed <= 0) return { ok: false, message: `--speed must be a number > 0, got "${values.speed}"` };
  }
  const policy = values.policy ?? 'switch';
  if (!(SIM_POLICIES as readonly string[]).includes(policy)) return { ok: false, message: `--policy must be one of ${SIM_POLICIES.join(', ')}, got "${policy}"` };
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (values.seed?.trim() === '' || !Number.isSafeInteger(seed)) return { ok: false, message: `--seed must be an integer, got "${values.seed}"` };
  if (values.journal !== undefined && values.journal.trim() === '') return { ok: false, message: '--journal needs a file name' };
  return { ok: true, value: { file: positionals[0]!, executor: executor as RunExecutorKind, speed, policy, seed, journal: values.journal, json: values.json === true } };
}

// ---------------------------------------------------------------------------------------------
// The live view: a pure reduction of the controller's events, drawn as lines.

/** What the live view shows, reduced from the controller's events by {@link updateRunView}. */
export interface RunView {
  /** Controller seconds of the last event. */
  readonly time: number;
  readonly submitted: number;
  readonly finished: number;
  readonly cancelled: number;
  readonly aborted: number;
  readonly decisions: number;
  readonly replans: number;
  readonly actionsSucceeded: number;
  readonly actionsFailed: number;
  /** Actions cancelled or skipped (not launched after a re-plan, or their dependencies failed). */
  readonly actionsNotLaunched: number;
  /** Actions under way: `decision/action id` → label. */
  readonly inFlight: ReadonlyMap<string, string>;
  /** Nodes failed and not repaired yet. */
  readonly failedNodes: readonly NodeId[];
  /** The line of the last event. */
  readonly last: string;
  readonly idle: boolean;
}

/** The view before any event. */
export const EMPTY_RUN_VIEW: RunView = {
  time: 0,
  submitted: 0,
  finished: 0,
  cancelled: 0,
  aborted: 0,
  decisions: 0,
  replans: 0,
  actionsSucceeded: 0,
  actionsFailed: 0,
  actionsNotLaunched: 0,
  inFlight: new Map(),
  failedNodes: [],
  last: '',
  idle: false,
};

/**
 * A short label of an action, e.g. `migrate b0v1 n1→n2`.
 * @param a - the action
 * @returns the label
 * @example
 * ```ts
 * actionLabel({ id: 0, start: 0, end: 1, type: 'boot', vm: 'a', to: 'n1' }); // 'boot a →n1'
 * ```
 */
export function actionLabel(a: Action): string {
  switch (a.type) {
    case 'migrate':
    case 'resume':
      return `${a.type} ${a.vm} ${a.from}→${a.to}`;
    case 'boot':
      return `boot ${a.vm} →${a.to}`;
    case 'shutdown':
    case 'suspend':
      return `${a.type} ${a.vm} on ${a.from}`;
    case 'bootNode':
    case 'shutdownNode':
      return `${a.type} ${a.node}`;
  }
}

/**
 * One log line for a controller event (what `switchyard run` prints per event when standard
 * output is not a terminal), without its newline.
 * @param e - the event
 * @returns e.g. `t=1200.0 s  finished   b3`
 * @example
 * ```ts
 * runEventLine({ type: 'submitted', time: 0, vjob: 'b0' }); // 't=0.0 s  submitted  b0'
 * ```
 */
export function runEventLine(e: ControllerEvent): string {
  const head = `t=${e.time.toFixed(1)} s  ${e.type.padEnd(10)}`;
  switch (e.type) {
    case 'submitted':
    case 'cancelled':
    case 'finished':
      return `${head} ${e.vjob}`;
    case 'aborted':
      return `${head} ${e.vjob} (${e.discarded.toFixed(0)} s of work discarded)`;
    case 'drained':
    case 'nodeRepaired':
      return `${head} ${e.node}`;
    case 'nodeFailed':
      return `${head} ${e.node}${e.lostVjobs.length > 0 ? `: lost ${e.lostVjobs.join(', ')}` : ''}`;
    case 'rehomed':
      return `${head} ${e.vjob} ${e.from}→${e.to}`;
    case 'decision': {
      const p = e.plan;
      return `${head} #${e.decision}: ${p.status === 'infeasible' ? 'infeasible, nothing to do' : `${p.actions.length} action${p.actions.length === 1 ? '' : 's'}`}`;
    }
    case 'actionStarted':
      return `${head} #${e.decision} ${actionLabel(e.action)}`;
    case 'actionEnded':
      return `${head} #${e.decision} ${actionLabel(e.action)}: ${e.status}${e.error ? ` (${e.error.message})` : ''}`;
    case 'replan':
      return `${head} #${e.decision}: ${e.reason}`;
    case 'recovered':
      return `${head} ${e.records} journal record${e.records === 1 ? '' : 's'} replayed${e.inDoubt.length > 0 ? `, ${e.inDoubt.length} action${e.inDoubt.length === 1 ? '' : 's'} in doubt` : ''}`;
    case 'idle':
      return `${head} nothing left to do`;
  }
}

/**
 * The view after one more event (a new object; the old one is unchanged).
 * @param v - the view so far
 * @param e - the event
 * @returns the new view
 * @example
 * ```ts
 * const v = updateRunView(EMPTY_RUN_VIEW, { type: 'submitted', time: 3, vjob: 'b0' }); // v.submitted === 1
 * ```
 */
export function updateRunView(v: RunView, e: ControllerEvent): RunView {
  const next = { ...v, time: Math.max(v.time, e.time), last: runEventLine(e), idle: e.type === 'idle' };
  switch (e.type) {
    case 'submitted':
      return { ...next, submitted: v.submitted + 1 };
    case 'finished':
      return { ...next, finished: v.finished + 1 };
    case 'cancelled':
      return { ...next, cancelled: v.cancelled + 1 };
    case 'aborted':
      return { ...next, aborted: v.aborted + 1 };
    case 'decision':
      return { ...next, decisions: v.decisions + 1 };
    case 'replan':
      return { ...next, replans: v.replans + 1 };
    case 'nodeFailed':
      return { ...next, failedNodes: v.failedNodes.includes(e.node) ? v.failedNodes : [...v.failedNodes, e.node] };
    case 'nodeRepaired':
      return { ...next, failedNodes: v.failedNodes.filter((n) => n !== e.node) };
    case 'actionStarted': {
      const inFlight = new Map(v.inFlight);
      inFlight.set(`${e.decision}/${e.action.id}`, actionLabel(e.action));
      return { ...next, inFlight };
    }
    case 'actionEnded': {
      const inFlight = new Map(v.inFlight);
      inFlight.delete(`${e.decision}/${e.action.id}`);
      if (e.status === 'succeeded') return { ...next, inFlight, actionsSucceeded: v.actionsSucceeded + 1 };
      if (e.status === 'failed') return { ...next, inFlight, actionsFailed: v.actionsFailed + 1 };
      return { ...next, inFlight, actionsNotLaunched: v.actionsNotLaunched + 1 };
    }
    default:
      return next;
  }
}

/**
 * The live view as lines (what a terminal shows, redrawn in place), without newlines.
 * @param v - the view
 * @param title - the first line (workload, executor, speed)
 * @param wallSeconds - wall seconds since the start
 * @param width - at most this many characters per line (default 100)
 * @returns the lines
 * @example
 * ```ts
 * runViewLines(EMPTY_RUN_VIEW, 'run: w.json on qemu ×200', 0.5).length; // 5
 * ```
 */
export function runViewLines(v: RunView, title: string, wallSeconds: number, width = 100): string[] {
  const cut = (s: string): string => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  const flying = [...v.inFlight.values()];
  const shown = flying.slice(0, 4).join(', ') + (flying.length > 4 ? `, +${flying.length - 4}` : '');
  return [
    `${title}  t=${v.time.toFixed(0)} s, wall ${wallSeconds.toFixed(1)} s${v.idle ? ' (idle)' : ''}`,
    `  vjobs    ${v.submitted} submitted, ${v.finished} finished, ${v.cancelled} cancelled, ${v.aborted} aborted`,
    `  actions  ${v.actionsSucceeded} done, ${v.actionsFailed} failed, ${v.actionsNotLaunched} not launched, ${flying.length} under way${flying.length > 0 ? `: ${shown}` : ''}`,
    `  plans    ${v.decisions} decisions, ${v.replans} re-plans${v.failedNodes.length > 0 ? `; down: ${v.failedNodes.join(', ')}` : ''}`,
    `  last     ${v.last}`,
  ].map(cut);
}

// ---------------------------------------------------------------------------------------------
// Where the controller says each guest is, and the check against the executor.

/**
 * Where the controller says each VM is: at each decision, the configuration the controller
 * showed its policy ({@link ExpectedWorld.decided}, its own reconciled view); between decisions,
 * followed from its events: the workload's VMs appear waiting when their vjob is submitted, each
 * succeeded action moves its VM, a node failure or an abort sends the vjob's VMs back to waiting.
 */
export class ExpectedWorld {
  private config: Configuration;
  private readonly vmsOf = new Map<VjobId, VmId[]>();

  /** @param workload - the workload played (its instance and the VMs of every vjob it submits) */
  constructor(workload: Workload) {
    this.config = sourceConfiguration(workload.instance);
    for (const v of workload.instance.vms.values()) this.vmsOf.set(vjobOf(v), [...(this.vmsOf.get(vjobOf(v)) ?? []), v.id]);
    for (const e of workload.events) if (e.type === 'arrival' || e.type === 'reservation') this.vmsOf.set(e.job.id, e.job.vms.map((v) => v.id));
  }

  /** The configuration the controller's events lead to so far. */
  get configuration(): Configuration {
    return this.config;
  }

  /**
   * A decision: the controller showed its policy this instance (its view of the world now).
   * VMs the view leaves out (of vjobs long finished) keep their last known place.
   * @param view - the instance of the decision
   */
  decided(view: Instance): void {
    const seen = sourceConfiguration(view);
    this.config = new Configuration({ vms: this.config.vms.merge(seen.vms), nodes: this.config.nodes.merge(seen.nodes) });
  }

  /**
   * Follows one controller event.
   * @param e - the event
   */
  apply(e: ControllerEvent): void {
    const wait = (vjob: VjobId): void => {
      for (const vm of this.vmsOf.get(vjob) ?? []) this.config = this.config.setIn(['vms', vm], placement('waiting'));
    };
    switch (e.type) {
      case 'submitted':
        for (const vm of this.vmsOf.get(e.vjob) ?? []) if (!this.config.vms.has(vm)) this.config = this.config.setIn(['vms', vm], placement('waiting'));
        return;
      case 'actionEnded':
        if (e.status === 'succeeded') this.config = applyAction(this.config, e.action);
        return;
      case 'nodeFailed':
        this.config = this.config.setIn(['nodes', e.node], 'offline');
        for (const j of e.lostVjobs) wait(j);
        return;
      case 'nodeRepaired':
        this.config = this.config.setIn(['nodes', e.node], 'online');
        return;
      case 'aborted':
        wait(e.vjob);
        return;
      default:
        return;
    }
  }
}

/** One guest whose observed place differs from the controller's. */
export interface Misplaced {
  readonly vm: VmId;
  readonly expected: string;
  readonly observed: string;
}

function where(c: Configuration, vm: VmId): string {
  const p = c.vms.get(vm);
  if (!p) return 'absent';
  return p.host === undefined ? p.state : `${p.state}@${p.host}`;
}

/**
 * The guests not where the controller says: a VM the controller says runs or sleeps must run or
 * sleep there; a VM it says waits or is terminated must not run or sleep anywhere (the
 * executor may show it waiting, terminated, or not at all); no other VM may run.
 * @param expected - where the controller says every VM is
 * @param observed - what the executor observes
 * @returns the misplaced guests, sorted by VM id
 * @example
 * ```ts
 * misplacedGuests(expected.configuration, await executor.observe()); // [] when all is well
 * ```
 */
export function misplacedGuests(expected: Configuration, observed: Configuration): Misplaced[] {
  const out: Misplaced[] = [];
  const live = (s: string | undefined): boolean => s === 'running' || s === 'sleeping';
  for (const [vm, p] of expected.vms) {
    const o = observed.vms.get(vm);
    const ok = live(p.state) ? o !== undefined && o.state === p.state && o.host === p.host : !live(o?.state);
    if (!ok) out.push({ vm, expected: where(expected, vm), observed: where(observed, vm) });
  }
  for (const [vm, o] of observed.vms) if (!expected.vms.has(vm) && live(o.state)) out.push({ vm, expected: 'absent', observed: where(observed, vm) });
  return out.sort((a, b) => (a.vm < b.vm ? -1 : a.vm > b.vm ? 1 : 0));
}

/**
 * The JSON report of `switchyard run --json`: `{"policies": {"<name>": {...}}}` with the
 * fields of `switchyard simulate --json`, then what the run adds.
 * @param report - the controller's report
 * @param extra - executor, speed, verified, guests, wall seconds, ...
 * @returns the object to print
 * @example
 * ```ts
 * io.stdout(`${JSON.stringify(runReportJson(controller.report(), { executor: 'qemu', verified: true }))}\n`);
 * ```
 */
export function runReportJson(report: ControllerReport, extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { policies: { [report.policy]: metricsJson(report.metrics) }, ...extra };
}

// ---------------------------------------------------------------------------------------------
// The real worlds: QEMU guests or libvirt session daemons for a workload's instance.

/** An executor that can play a workload: it defines submitted VMs, fails and repairs nodes. */
export interface WorkloadExecutor extends Executor {
  define(vm: { readonly id: VmId }): Promise<StepOutcome>;
  killNode(node: NodeId): Promise<void>;
  repairNode(node: NodeId): Promise<void>;
}

/** A real world set up for a run. */
export interface RealWorld {
  readonly executor: WorkloadExecutor;
  /** Stops every guest and removes every file (and daemon). Idempotent. */
  readonly cleanup: () => Promise<void>;
}

function setupContext(): StepContext {
  return { signal: AbortSignal.timeout(60_000), attempt: 1, expectedSeconds: 1 };
}

/**
 * QEMU guests for an instance: a directory per node, a guest per running VM, an image per
 * sleeping VM (see `QemuExecutor.provision`).
 * @param instance - the workload's instance
 * @returns the world
 * @example
 * ```ts
 * const world = await qemuWorld(workload.instance);
 * try { ... } finally { await world.cleanup(); }
 * ```
 */
export async function qemuWorld(instance: Instance): Promise<RealWorld> {
  const q = await QemuExecutor.create();
  try {
    await q.provision(instance);
  } catch (e) {
    await q.cleanup();
    throw e;
  }
  return { executor: q, cleanup: () => q.cleanup() };
}

/**
 * libvirt session daemons for an instance: one private daemon per node, the counting guest as
 * a tiny domain; the instance's running VMs booted and its sleeping ones saved through the
 * executor, the waiting ones defined.
 * @param instance - the workload's instance
 * @returns the world (its cleanup destroys every domain and stops the daemons)
 * @example
 * ```ts
 * const world = await libvirtWorld(workload.instance);
 * ```
 */
export async function libvirtWorld(instance: Instance): Promise<RealWorld> {
  const missing = await sessionDaemonsUnavailable();
  if (missing) throw new Error(`libvirt session daemons need: ${missing}`);
  const started = await startSessionDaemons({ nodes: [...instance.nodes.keys()] });
  if (!started.ok) throw new Error(started.reason);
  const daemons: SessionDaemons = started.value;
  let ex: LibvirtExecutor | undefined;
  const cleanup = async (): Promise<void> => {
    await ex?.cleanup();
    await daemons.stop();
  };
  try {
    const boot = join(daemons.shareDir, 'boot.bin');
    await writeFile(boot, counterBootSector());
    await chmod(boot, 0o644);
    const nodes = Object.fromEntries(Object.entries(daemons.nodes).map(([id, n]) => [id, { ...n, state: instance.nodes.get(id)?.state ?? 'online' }]));
    const records: Record<VmId, LibvirtVmRecord> = {};
    for (const v of instance.vms.values()) records[v.id] = v.state === 'terminated' ? { state: 'terminated' } : { state: 'waiting' };
    const executor = libvirtExecutor({ nodes, vms: records, domainXml: (vm) => tinyDomainXml({ name: vm, bootImage: boot, memoryMiB: 16 }), imageDir: daemons.shareDir, owned: [...instance.vms.keys()], shutdownGraceMs: 500 });
    ex = executor;
    let id = 0;
    for (const v of instance.vms.values()) {
      if (v.state === 'waiting') await executor.define({ id: v.id });
      if (v.state !== 'running' && v.state !== 'sleeping') continue;
      const booted = await executor.execute({ id: id++, start: 0, end: 1, type: 'boot', vm: v.id, to: v.host! }, setupContext());
      if (!booted.ok) throw new Error(booted.error.message);
      if (v.state !== 'sleeping') continue;
      const saved = await executor.execute({ id: id++, start: 0, end: 1, type: 'suspend', vm: v.id, from: v.host! }, setupContext());
      if (!saved.ok) throw new Error(saved.error.message);
    }
    return { executor, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The longest delay `setTimeout` keeps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A wall clock whose seconds are `speed` times shorter: `now()` is wall seconds × speed since it
 * was made, `sleep(s)` waits s / speed wall seconds.
 * @param speed - workload seconds per wall second (> 0)
 * @returns the clock
 * @example
 * ```ts
 * const clock = compressedClock(100);
 * await clock.sleep(50); // half a wall second
 * ```
 */
export function compressedClock(speed: number): Clock {
  const t0 = performance.now();
  return {
    now: () => ((performance.now() - t0) / 1000) * speed,
    sleep: (seconds, signal) =>
      new Promise<boolean>((resolve) => {
        if (signal?.aborted) return resolve(false);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve(false);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        // Forever (or longer than setTimeout keeps): only the signal, or a step at a time.
        const until = performance.now() + (seconds * 1000) / speed;
        const step = (): void => {
          const left = until - performance.now();
          if (left <= 0) {
            signal?.removeEventListener('abort', onAbort);
            resolve(true);
            return;
          }
          timer = setTimeout(step, Math.min(left, MAX_TIMEOUT_MS));
        };
        if (until === Infinity) return;
        step();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The command.

/** Where a run plays: the simulated executor (built by the player), or a real world's executor. */
export type RunWorld = { readonly kind: 'simulated' } | { readonly kind: 'real'; readonly executor: WorkloadExecutor };

/** What a {@link RunPlayer} is given. */
export interface RunSetup {
  readonly workload: Workload;
  readonly world: RunWorld;
  readonly policy: string;
  readonly seed: number;
  /** Workload seconds per wall second; undefined: a virtual clock (simulated only). */
  readonly speed: number | undefined;
  readonly journal: string | undefined;
  /** Called on every controller event. */
  readonly onEvent: (e: ControllerEvent) => void;
  /** Called at every decision with the instance the controller showed its policy. */
  readonly onDecision: (view: Instance) => void;
  /** Aborted on SIGINT / SIGTERM: the player stops and resolves with the report so far. */
  readonly signal: AbortSignal;
}

/** What a {@link RunPlayer} answers. */
export interface RunOutcome {
  readonly report: ControllerReport;
  /** The executor it played on (for the guest check), when it built one itself. */
  readonly executor?: Executor;
}

/** Plays a workload through the controller (the default is the controller's own driver). */
export type RunPlayer = (setup: RunSetup) => Promise<RunOutcome>;

/** What `switchyard run` needs of the outside world beyond {@link CliIo}. */
export interface RunEnvironment {
  /** Whether the view's stream (standard output, or standard error with --json) is a terminal. */
  readonly tty: boolean;
  /** Plays the workload (tests inject a fake one). */
  readonly player: RunPlayer;
  /** Sets up a real world (default {@link qemuWorld} / {@link libvirtWorld}). */
  readonly realWorld?: (kind: 'qemu' | 'libvirt', instance: Instance) => Promise<RealWorld>;
  /** Subscribes to SIGINT and SIGTERM (default: the process's); returns the unsubscribe. */
  readonly onInterrupt?: (handler: (signal: string) => void) => () => void;
}

function processInterrupts(handler: (signal: string) => void): () => void {
  const on = (sig: NodeJS.Signals): void => handler(sig);
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.removeListener('SIGINT', on);
    process.removeListener('SIGTERM', on);
  };
}

/** Draws the live view: redrawn in place on a terminal (at most every 100 ms), one line per event otherwise. */
function liveView(say: (t: string) => void, tty: boolean, title: string): { readonly event: (v: RunView, e: ControllerEvent) => void; readonly finish: (v: RunView) => void } {
  const t0 = performance.now();
  let drawn = 0;
  let lastDraw = -Infinity;
  const draw = (v: RunView): void => {
    const lines = runViewLines(v, title, (performance.now() - t0) / 1000, Math.max(40, (process.stdout.columns ?? 100) - 1));
    say(`${drawn > 0 ? `\x1b[${drawn}F` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    drawn = lines.length;
    lastDraw = performance.now();
  };
  return {
    event: (v, e) => {
      if (!tty) return say(`${runEventLine(e)}\n`);
      // failures stay on screen above the block
      if ((e.type === 'actionEnded' && e.status !== 'succeeded' && e.status !== 'skipped') || e.type === 'nodeFailed' || e.type === 'replan') {
        say(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${runEventLine(e)}\n`);
        drawn = 0;
      }
      if (performance.now() - lastDraw >= 100 || e.type === 'idle') draw(v);
    },
    finish: (v) => {
      if (tty) draw(v);
    },
  };
}

/**
 * Runs `switchyard run` (see {@link RUN_HELP}).
 * @param io - the outside world
 * @param args - the arguments after `run`
 * @param env - terminal or not, the player, the real worlds, the interrupt signals
 * @returns the exit code: 0 played and verified, 4 a guest misplaced, 1 bad workload or setup, 2 usage, 130 interrupted
 * @example
 * ```ts
 * const code = await cmdRun(io, ['w.json', '--executor', 'qemu', '--speed', '500', '--json'], { tty: false, player: controllerPlayer });
 * ```
 */
export async function cmdRun(io: CliIo, args: readonly string[], env: RunEnvironment): Promise<number> {
  const parsed = parseRunArguments(args);
  if (!parsed.ok) {
    io.stderr(`switchyard: ${parsed.message}\nRun "switchyard run --help" for usage.\n`);
    return 2;
  }
  const a = parsed.value;
  const text = await readInput(io, a.file);
  if (text === undefined) return 1;
  const w = parseWorkload(text);
  if (!w.ok) {
    printIssues(io, a.file, w.issues);
    io.stderr(`${a.file}: ${w.issues.length} problem${w.issues.length === 1 ? '' : 's'}: not a valid workload\n`);
    return 1;
  }
  const workload = w.value;
  const say = a.json ? io.stderr : io.stdout;
  const speed = a.executor === 'simulated' ? a.speed : (a.speed ?? 1);
  const t0 = performance.now();

  const interrupt = new AbortController();
  let real: RealWorld | undefined;
  const unsubscribe = (env.onInterrupt ?? processInterrupts)((sig) => {
    if (interrupt.signal.aborted) return;
    io.stderr(`\nswitchyard run: ${sig}: stopping every guest\n`);
    interrupt.abort();
    void real?.cleanup().catch(() => undefined);
  });
  try {
    if (a.executor !== 'simulated') {
      say(`run: setting up ${workload.instance.nodes.size} nodes on ${a.executor}\n`);
      try {
        real = await (env.realWorld ?? ((k, i) => (k === 'qemu' ? qemuWorld(i) : libvirtWorld(i))))(a.executor, workload.instance);
      } catch (e) {
        if (interrupt.signal.aborted) return EXIT_INTERRUPTED;
        const m = (e as Error)?.message ?? String(e);
        const hint = /ENOENT|No such file/.test(m) ? ' (are qemu-system-x86_64 and setpriv installed? Debian: apt-get install qemu-system-x86 util-linux)' : '';
        io.stderr(`switchyard run: cannot set up the ${a.executor} executor: ${m}${hint}\n`);
        return 1;
      }
      if (interrupt.signal.aborted) return EXIT_INTERRUPTED;
    }
    const title = `run: ${workload.family ?? a.file} on ${a.executor}, ${a.policy}${speed === undefined ? ', virtual time' : `, ×${speed}`}`;
    const expected = new ExpectedWorld(workload);
    let view = EMPTY_RUN_VIEW;
    const live = liveView(say, env.tty, title);
    const world: RunWorld = real ? { kind: 'real', executor: real.executor } : { kind: 'simulated' };
    let outcome: RunOutcome;
    try {
      outcome = await env.player({
        workload,
        world,
        policy: a.policy,
        seed: a.seed,
        speed,
        journal: a.journal,
        signal: interrupt.signal,
        onDecision: (view) => expected.decided(view),
        onEvent: (e) => {
          expected.apply(e);
          view = updateRunView(view, e);
          live.event(view, e);
        },
      });
    } catch (e) {
      if (!(e instanceof RunRefused)) throw e;
      io.stderr(`switchyard: ${e.message}\nRun "switchyard run --help" for usage.\n`);
      return 2;
    }
    live.finish(view);
    if (interrupt.signal.aborted) return EXIT_INTERRUPTED;
    const executor = real?.executor ?? outcome.executor;
    const misplaced = executor ? misplacedGuests(expected.configuration, await executor.observe()) : [];
    const checked = expected.configuration.vms.size;
    for (const m of misplaced.slice(0, 20)) say(`  ✗ ${m.vm}: the controller says ${m.expected}, the ${a.executor} executor shows ${m.observed}\n`);
    if (misplaced.length > 20) say(`  ✗ ... and ${misplaced.length - 20} more\n`);
    const report = outcome.report;
    io.stdout(metricsTable([[report.policy, report.metrics]]));
    const wallSeconds = (performance.now() - t0) / 1000;
    say(`${executor ? `${checked - misplaced.length}/${checked} guests where the controller says` : 'guests not checked'}; ${view.decisions} decisions, ${view.actionsSucceeded} actions carried out, ${view.actionsFailed} failed, ${view.actionsNotLaunched} not launched; wall ${wallSeconds.toFixed(2)} s\n`);
    if (a.json) {
      const extra = {
        executor: a.executor,
        speed: speed ?? null,
        verified: executor !== undefined && misplaced.length === 0,
        guests: {
          checked: executor ? checked : 0,
          running: executor ? expected.configuration.vms.filter((p) => p.state === 'running').size : 0,
          sleeping: executor ? expected.configuration.vms.filter((p) => p.state === 'sleeping').size : 0,
          misplaced,
        },
        wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      };
      io.stdout(`${JSON.stringify(runReportJson(report, extra))}\n`);
    }
    return misplaced.length > 0 ? EXIT_MISPLACED : 0;
  } finally {
    unsubscribe();
    await real?.cleanup();
  }
}

/** Pending world operations (a node's plug pulled, a node repaired): every executor call waits for them. */
class WorldOps {
  private readonly pending = new Set<Promise<unknown>>();
  add(p: Promise<unknown>): void {
    const q = p.catch(() => undefined);
    this.pending.add(q);
    void q.then(() => this.pending.delete(q));
  }
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** The executor, each call after the pending world operations have settled. */
function settling(ex: WorkloadExecutor, ops: WorldOps): Executor {
  const out: Executor = {
    name: ex.name,
    execute: async (a, c) => (await ops.settle(), ex.execute(a, c)),
    observe: async () => (await ops.settle(), ex.observe()),
    define: async (vm) => (await ops.settle(), ex.define(vm)),
    ...(ex.check ? { check: async (a: Action, c: StepContext) => (await ops.settle(), ex.check!(a, c)) } : {}),
    ...(ex.checkpoint ? { checkpoint: async (vm: VmId, c: StepContext) => (await ops.settle(), ex.checkpoint!(vm, c)) } : {}),
  };
  return out;
}

/** Wall seconds a real action may take beyond its modelled duration before it times out. */
const REAL_ACTION_SLACK_WALL_SECONDS = 60;

/**
 * The player of `switchyard run`: the controller ({@link createController}) fed by the
 * workload ({@link playWorkload}). `--executor simulated` without `--speed` builds exactly what
 * `simulateWorkload` builds (the simulated executor on a virtual clock, the same seeds), so its
 * report is that of `switchyard simulate`. On a real world the clock is the wall clock
 * compressed by the speed, a failure event pulls the node's plug and a repair brings it back
 * (every executor call waits until that is done), and an action gets its modelled time plus a
 * minute of wall time before it times out.
 * @param setup - the run
 * @returns the controller's report and the executor it played on
 * @example
 * ```ts
 * await cmdRun(io, ['w.json', '--executor', 'qemu', '--speed', '40'], { tty: false, player: controllerPlayer });
 * ```
 */
export async function controllerPlayer(setup: RunSetup): Promise<RunOutcome> {
  const policy = builtinPolicy(setup.policy);
  if (!policy) throw new Error(`unknown policy ${JSON.stringify(setup.policy)}`);
  const w = setup.workload;
  const common = {
    instance: w.instance,
    policy,
    seed: setup.seed,
    lead: w.lead ?? DEFAULT_LEAD,
    tolerance: w.tolerance ?? DEFAULT_TOLERANCE,
    work: w.work,
    ...(w.horizon !== undefined ? { horizon: w.horizon } : {}),
    onEvent: setup.onEvent,
    onStep: (step: SimStep) => setup.onDecision(step.view),
  };
  if (setup.world.kind === 'simulated') {
    if (setup.speed !== undefined) throw new RunRefused('--speed with --executor simulated needs the wall-clock simulated executor, not in this build: leave --speed out (virtual time)');
    if (setup.journal !== undefined) throw new RunRefused('--journal is not in this build yet');
    // What simulateWorkload builds: the same clock, the same seeds, the same report.
    const clock = new VirtualClock();
    const sim = simulatedExecutor(w.instance, { clock, seed: Math.imul(setup.seed, 0x9e3779b1) | 0 });
    const controller = createController({ ...common, executor: sim, clock });
    playWorkload(controller, w, { failNode: (n) => sim.killNode(n), repairNode: (n) => sim.repairNode(n) });
    try {
      return { report: await controller.run({ untilIdle: true, signal: setup.signal }), executor: sim };
    } finally {
      await sim.cleanup();
    }
  }
  if (setup.journal !== undefined) throw new RunRefused('--journal is not in this build yet');
  const real = setup.world.executor;
  const speed = setup.speed ?? 1;
  const ops = new WorldOps();
  const controller = createController({
    ...common,
    executor: settling(real, ops),
    clock: compressedClock(speed),
    execution: { timeout: (_a, expected) => expected * 3 + 10 + REAL_ACTION_SLACK_WALL_SECONDS * speed },
  });
  playWorkload(controller, w, { failNode: (n) => ops.add(real.killNode(n)), repairNode: (n) => ops.add(real.repairNode(n)) });
  const report = await controller.run({ untilIdle: true, signal: setup.signal });
  await ops.settle();
  return { report, executor: real };
}

/** A run this build cannot do (a usage error: exit 2). */
export class RunRefused extends Error {}
