/**
 * The execution engine: walks a plan's `after` graph and carries each action out through an
 * {@link Executor}. An action starts when every action it names in `after` has *ended*
 * successfully and the migration limits allow, not at its planned time (real durations differ
 * from the model). Each attempt has a timeout derived from the duration model; steps that fail
 * with a retryable error are tried again after a back-off. A failure launches nothing that
 * depends on the failed action; running actions finish; then the engine observes the real
 * configuration and reports every action (`succeeded | failed | cancelled | skipped`), the VMs
 * lost and the VMs recovered from checkpoints. With `replan`, it plans again from what it
 * observed and carries on, up to a bound.
 */
import { SwitchyardError, type Issue } from '../errors.js';
import type { Configuration } from '../model/configuration.js';
import type { NodeId, VmId } from '../model/ids.js';
import { durationsOf, limitsOf, sourceConfiguration, vjobOf, type Instance } from '../model/instance.js';
import type { Limits } from '../model/objective.js';
import type { Vm } from '../model/vm.js';
import { planInstance, type PlanInstanceOptions } from '../pipeline.js';
import { defaultDurationModel, type DurationModel } from '../plan/durations.js';
import { afterOf, applyAction } from '../plan/replay.js';
import type { Plan, PlanTarget, TargetVm } from '../plan/types.js';
import type { Action } from '../model/action.js';
import { describeAction, durationRequestOf, nodesOfAction } from './actions.js';
import { systemClock, type Clock } from './clock.js';
import { stepFailed, type Executor, type ExecutorError, type StepOutcome } from './types.js';

/** How an action of a plan ended. */
export type ActionStatus = 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** The fate of one action. */
export interface ActionReport {
  readonly id: number;
  readonly action: Action;
  readonly status: ActionStatus;
  /** Why it failed or was cancelled (the last attempt's error); for a skipped action, code `precheck`. */
  readonly error?: ExecutorError;
  /** For a skipped action: the ids of its `after` dependencies that did not succeed. */
  readonly blockedBy?: readonly number[];
  /** Attempts made (0 for a skipped action). */
  readonly attempts: number;
  /** Clock seconds when the first attempt started, and when the action ended. */
  readonly startedAt?: number;
  readonly endedAt?: number;
}

/** Actions per status. */
export interface StatusCounts {
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly skipped: number;
}

/** One pass over one plan (the given plan is round 1; each re-plan adds a round). */
export interface RoundReport {
  readonly round: number;
  readonly plan: Plan;
  readonly actions: readonly ActionReport[];
  readonly counts: StatusCounts;
  /** What `observe()` returned after the round. */
  readonly observed: Configuration;
  /** Whether the observed configuration is the plan's target (VM states and hosts, node states). */
  readonly reachedTarget: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Set when `observe()` kept failing: `observed` is then what the engine expected. */
  readonly observeError?: string;
}

/** A VM whose node was lost, found sleeping on its last checkpoint image. */
export interface RecoveredVm {
  readonly vm: VmId;
  /** The node it ran on when that node was lost. */
  readonly lostNode: NodeId;
  /** The node holding the image it now sleeps on. */
  readonly image: NodeId;
  /** Clock seconds when that image was written. */
  readonly checkpointAt: number;
}

/** What {@link executePlan} returns: never thrown, always reported. */
export interface ExecutionReport {
  /** True when the last round carried out every action and reached its plan's target. */
  readonly complete: boolean;
  /** The given plan's actions (round 1), each with its status. */
  readonly actions: readonly ActionReport[];
  /** Counts of {@link ExecutionReport.actions}: they add up to the given plan's actions. */
  readonly counts: StatusCounts;
  /** Every round, the given plan first. */
  readonly rounds: readonly RoundReport[];
  /** The configuration observed at the end. */
  readonly observed: Configuration;
  /** {@link ExecutionReport.observed} in a plan's `target` shape (lost VMs left out). */
  readonly observedTarget: PlanTarget;
  /** VMs of the instance that exist nowhere any more (their node died without a checkpoint). */
  readonly lost: readonly VmId[];
  /** Nodes that went offline without a `shutdownNode` (dead). */
  readonly lostNodes: readonly NodeId[];
  /**
   * VMs of lost nodes found sleeping on their last checkpoint image after the round in which the
   * node was lost (a later round may have resumed them since).
   */
  readonly recovered: readonly RecoveredVm[];
  /** Checkpoints written. */
  readonly checkpoints: number;
  /** Why re-planning stopped, when `replan` was on and the last round did not complete. */
  readonly replanStopped?: string;
  /** Clock seconds from start to end. */
  readonly seconds: number;
}

/** A progress event, for progress bars and logs. `fraction` is the share of the round's actions that ended. */
export type ProgressEvent =
  | { readonly type: 'round'; readonly round: number; readonly actions: number; readonly time: number }
  | { readonly type: 'started'; readonly round: number; readonly action: Action; readonly attempt: number; readonly time: number; readonly done: number; readonly total: number; readonly fraction: number }
  | { readonly type: 'retrying'; readonly round: number; readonly action: Action; readonly attempt: number; readonly error: ExecutorError; readonly delay: number; readonly time: number }
  | {
      readonly type: 'ended';
      readonly round: number;
      readonly action: Action;
      readonly status: ActionStatus;
      readonly error?: ExecutorError;
      readonly time: number;
      readonly done: number;
      readonly total: number;
      readonly fraction: number;
    }
  | { readonly type: 'checkpoint'; readonly vm: VmId; readonly ok: boolean; readonly image?: NodeId; readonly error?: ExecutorError; readonly time: number };

/** The periodic snapshot policy (VMdeploy): which VMs, how often. */
export interface CheckpointPolicy {
  /** Seconds between two rounds of checkpoints. */
  readonly every: number;
  /** Which VMs (default: the running VMs of best-effort vjobs). */
  readonly select?: (vm: Vm, instance: Instance) => boolean;
  /** Also checkpoint once at the start of each round (default true). */
  readonly atStart?: boolean;
}

/** Options of {@link executePlan}; all optional, validated and defaulted in one place. */
export interface ExecuteOptions {
  /** The clock of timeouts and back-off (default: the executor's own clock, else the system clock). */
  readonly clock?: Clock;
  /** Expected duration of each action (default: the instance's duration model). */
  readonly durationModel?: DurationModel;
  /** Timeout of an attempt: expected × `timeoutFactor` + `timeoutSlack` seconds (defaults 3 and 10). */
  readonly timeoutFactor?: number;
  readonly timeoutSlack?: number;
  /** Overrides the timeout of an attempt, in seconds. */
  readonly timeout?: (action: Action, expectedSeconds: number) => number;
  /** Attempts of a step whose error is retryable (default 3). */
  readonly maxAttempts?: number;
  /** Back-off before retry k: `initial × factor^(k−1)` seconds, at most `max` (defaults 1, 2, 30). */
  readonly backoff?: { readonly initial?: number; readonly factor?: number; readonly max?: number };
  /** Also retry attempts that timed out (default false: a hang tends to recur). */
  readonly retryTimeouts?: boolean;
  /** Seconds to wait for an aborted step to stop before giving up on it (default 30). */
  readonly graceSeconds?: number;
  /** Call `executor.check` before each attempt (default true). */
  readonly precheck?: boolean;
  /** Migration limits replacing the instance's, field by field. */
  readonly limits?: Limits;
  /** Cancels the run: nothing new starts, running steps are aborted. */
  readonly signal?: AbortSignal;
  /**
   * Stops launching: nothing new starts (the actions not started end `cancelled`), the running
   * steps run to their end. A controller uses it when the world changes mid-switch.
   */
  readonly stop?: AbortSignal;
  /** Called on every progress event (must not throw; errors are ignored). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Periodic checkpoints of best-effort VMs (needs `executor.checkpoint`). */
  readonly checkpoints?: CheckpointPolicy;
  /**
   * Plan again from the observed configuration when a round does not complete, and carry on:
   * `true` for at most 3 re-plans, or a bound and the planner's options (or a planner of your own).
   */
  readonly replan?:
    | boolean
    | {
        /** Re-plans at most this many times (default 3). */
        readonly maxRounds?: number;
        /** Options of {@link planInstance} for each re-plan (seed, time limit, solver, policy). */
        readonly planOptions?: PlanInstanceOptions;
        /** Plans the observed instance instead of {@link planInstance} (then `planOptions` is not used). */
        readonly planner?: (instance: Instance) => Promise<Plan>;
      };
}

interface Resolved {
  readonly clock: Clock;
  readonly timeoutOf: (a: Action, expected: number) => number;
  readonly maxAttempts: number;
  readonly backoff: (attempt: number) => number;
  readonly retryTimeouts: boolean;
  readonly grace: number;
  readonly precheck: boolean;
  readonly limits: Limits | undefined;
  readonly signal: AbortSignal | undefined;
  readonly stop: AbortSignal | undefined;
  readonly emit: (e: ProgressEvent) => void;
  readonly checkpoints: Required<CheckpointPolicy> | undefined;
  readonly maxReplans: number;
  readonly planner: (instance: Instance) => Promise<Plan>;
}

function resolveOptions(executor: Executor, o: ExecuteOptions): Resolved {
  const issues: Issue[] = [];
  const positive = (path: string, v: number | undefined, orZero = false): void => {
    if (v !== undefined && !(Number.isFinite(v) && (orZero ? v >= 0 : v > 0))) issues.push({ path, message: `must be a ${orZero ? 'non-negative' : 'positive'} finite number, got ${v}` });
  };
  positive('timeoutFactor', o.timeoutFactor);
  positive('timeoutSlack', o.timeoutSlack, true);
  positive('graceSeconds', o.graceSeconds, true);
  positive('backoff.initial', o.backoff?.initial, true);
  positive('backoff.factor', o.backoff?.factor);
  positive('backoff.max', o.backoff?.max, true);
  positive('checkpoints.every', o.checkpoints?.every);
  for (const k of ['maxParallelMigrations', 'maxMigrationsPerNode'] as const) {
    const v = o.limits?.[k];
    if (v !== undefined && !(v >= 1)) issues.push({ path: `limits.${k}`, message: `must be at least 1 (or Infinity), got ${v}` });
  }
  if (o.maxAttempts !== undefined && !(Number.isSafeInteger(o.maxAttempts) && o.maxAttempts >= 1)) issues.push({ path: 'maxAttempts', message: `must be an integer ≥ 1, got ${o.maxAttempts}` });
  const r = typeof o.replan === 'object' ? o.replan : undefined;
  if (r?.maxRounds !== undefined && !(Number.isSafeInteger(r.maxRounds) && r.maxRounds >= 0)) issues.push({ path: 'replan.maxRounds', message: `must be an integer ≥ 0, got ${r.maxRounds}` });
  if (issues.length > 0) throw new SwitchyardError('invalid-options', issues);
  const factor = o.timeoutFactor ?? 3;
  const slack = o.timeoutSlack ?? 10;
  const b = { initial: o.backoff?.initial ?? 1, factor: o.backoff?.factor ?? 2, max: o.backoff?.max ?? 30 };
  const onProgress = o.onProgress;
  const planOptions = r?.planOptions ?? {};
  return {
    clock: o.clock ?? executor.clock ?? systemClock(),
    timeoutOf: o.timeout ?? ((_a, e) => e * factor + slack),
    maxAttempts: o.maxAttempts ?? 3,
    backoff: (k) => Math.min(b.max, b.initial * b.factor ** (k - 1)),
    retryTimeouts: o.retryTimeouts ?? false,
    grace: o.graceSeconds ?? 30,
    precheck: o.precheck ?? true,
    limits: o.limits,
    signal: o.signal,
    stop: o.stop,
    emit: (e) => {
      try {
        onProgress?.(e);
      } catch {
        // A progress callback must not break a run.
      }
    },
    checkpoints: o.checkpoints
      ? { every: o.checkpoints.every, select: o.checkpoints.select ?? ((vm, inst) => inst.vjobs.get(vjobOf(vm))?.bestEffort === true), atStart: o.checkpoints.atStart ?? true }
      : undefined,
    maxReplans: o.replan === true ? 3 : r ? (r.maxRounds ?? 3) : 0,
    planner: r?.planner ?? ((inst) => planInstance(inst, planOptions)),
  };
}

/** Checks the plan's ids and references; an unusable plan is a misuse of the API. */
function checkPlanShape(plan: Plan): void {
  const issues: Issue[] = [];
  const ids = new Set<number>();
  plan.actions.forEach((a, i) => {
    if (ids.has(a.id)) issues.push({ path: `actions[${i}].id`, message: `duplicate action id ${a.id}` });
    ids.add(a.id);
  });
  plan.actions.forEach((a, i) => {
    for (const d of afterOf(a)) if (!ids.has(d)) issues.push({ path: `actions[${i}].after`, message: `action ${a.id} waits for unknown action ${d}` });
  });
  if (issues.length > 0) throw new SwitchyardError('invalid-argument', issues);
}

/** Calls an executor method and turns a rejection (a contract breach) into a failed outcome. */
async function safely<T extends { ok: boolean }>(what: string, f: () => Promise<T>): Promise<T | StepOutcome> {
  try {
    return await f();
  } catch (e) {
    return stepFailed('failed', `${what}: the executor threw: ${String((e as Error)?.message ?? e)}`);
  }
}

/**
 * Calls `observe()`, trying again (1, 2, 4 s apart) when it rejects; after four failures the
 * engine goes on with what it expects (`fallback`) and says so.
 */
async function observeSafely(executor: Executor, o: Resolved, fallback: Configuration): Promise<{ config: Configuration; error?: string }> {
  let last = '';
  for (let k = 0; k < 4; k++) {
    try {
      return { config: await executor.observe() };
    } catch (e) {
      last = String((e as Error)?.message ?? e);
      if (k < 3) await o.clock.sleep(2 ** k);
    }
  }
  return { config: fallback, error: `observe() failed 4 times (${last}): the configuration shown is what the engine expects, not what it saw` };
}

function errorOf(o: StepOutcome): ExecutorError | undefined {
  return o.ok ? undefined : o.error;
}

interface Checkpointer {
  readonly images: Map<VmId, { node: NodeId; at: number }>;
  count: number;
  readonly busy: Set<VmId>;
}

/**
 * Whether `observed` places every VM and node as `target` says (a VM already lost when the round
 * started, which its re-plan marks terminated, may be absent).
 */
function reaches(observed: Configuration, target: PlanTarget, start: Configuration): boolean {
  for (const [vm, t] of Object.entries(target.vms)) {
    const p = observed.vms.get(vm);
    if (p === undefined && t.state === 'terminated' && !start.vms.has(vm)) continue;
    if (p === undefined || p.state !== t.state || (p.host ?? undefined) !== (t.state === 'running' || t.state === 'sleeping' ? t.host : undefined)) return false;
  }
  for (const [n, s] of Object.entries(target.nodes)) if (observed.nodes.get(n) !== s) return false;
  return true;
}

/**
 * A configuration in a plan's `target` shape: the VMs it lists (instance order first), every node.
 * @param instance - the instance (the order)
 * @param c - the configuration
 * @returns the target-shaped record
 * @example
 * ```ts
 * JSON.stringify(observedTarget(instance, await executor.observe())); // { "vms": {...}, "nodes": {...} }
 * ```
 */
export function observedTarget(instance: Instance, c: Configuration): PlanTarget {
  const vms: Record<VmId, TargetVm> = {};
  const put = (id: VmId): void => {
    const p = c.vms.get(id);
    if (p === undefined || id in vms) return;
    vms[id] = (p.state === 'running' || p.state === 'sleeping') && p.host !== undefined ? { state: p.state, host: p.host } : { state: p.state };
  };
  for (const id of instance.vms.keys()) put(id);
  for (const id of c.vms.keys()) put(id);
  const nodes: Record<NodeId, 'online' | 'offline'> = {};
  for (const id of instance.nodes.keys()) nodes[id] = c.nodes.get(id) ?? 'offline';
  for (const [id, s] of c.nodes) nodes[id] ??= s;
  return { vms, nodes };
}

/**
 * The instance to re-plan from: the given one with every VM and node as observed; lost VMs
 * become `terminated` (and want nothing), lost nodes get an `offline` constraint so that no plan
 * boots them again.
 * @param instance - the instance of the last round
 * @param observed - what the executor reports now
 * @param lostNodes - nodes that died
 * @returns the instance
 * @example
 * ```ts
 * const next = await planInstance(instanceFromObserved(instance, report.observed, report.lostNodes));
 * ```
 */
export function instanceFromObserved(instance: Instance, observed: Configuration, lostNodes: readonly NodeId[]): Instance {
  const vms = instance.vms.map((v) => {
    const p = observed.vms.get(v.id);
    if (p === undefined) return v.merge({ state: 'terminated', host: undefined, wants: undefined });
    return v.merge({ state: p.state, host: p.host });
  });
  const nodes = instance.nodes.map((n) => n.set('state', observed.nodes.get(n.id) ?? n.state));
  const fresh = lostNodes.filter((n) => !instance.constraints.some((c) => c.type === 'offline' && c.nodes.includes(n)));
  const constraints = fresh.length > 0 ? instance.constraints.push({ type: 'offline', nodes: fresh }) : instance.constraints;
  return instance.merge({ vms, nodes, constraints });
}

const ZERO: StatusCounts = { succeeded: 0, failed: 0, cancelled: 0, skipped: 0 };

function countOf(reports: readonly ActionReport[]): StatusCounts {
  const c = { ...ZERO };
  for (const r of reports) c[r.status]++;
  return c;
}

/**
 * Carries a plan out through an executor (see the module comment): the dependency-driven walk,
 * timeouts, retries, containment of failures, checkpoints, observation, and re-planning.
 *
 * @param instance - the instance the plan was made for
 * @param plan - the plan (an infeasible plan has no actions: nothing is done)
 * @param executor - who carries the actions out
 * @param options - clock, timeouts, retries, limits, signal, progress, checkpoints, replan
 * @returns the report: every action's status and error, what was observed, the VMs lost
 * @throws SwitchyardError `invalid-options` for bad options, `invalid-argument` for a plan with
 *   duplicate ids or `after` naming unknown actions (never for what happens during the run)
 * @example
 * ```ts
 * const sim = simulatedExecutor(instance, { seed: 1, failureRate: 0.05 });
 * const report = await executePlan(instance, plan, sim, { replan: true });
 * console.log(report.counts, report.lost);
 * ```
 */
export async function executePlan(instance: Instance, plan: Plan, executor: Executor, options: ExecuteOptions = {}): Promise<ExecutionReport> {
  const o = resolveOptions(executor, options);
  checkPlanShape(plan);
  const t0 = o.clock.now();
  const cp: Checkpointer = { images: new Map(), count: 0, busy: new Set() };
  const rounds: RoundReport[] = [];
  const lostNodes = new Set<NodeId>();
  const recovered: RecoveredVm[] = [];
  let roundInstance = instance;
  let roundPlan = plan;
  let replanStopped: string | undefined;
  const durationModel = options.durationModel;
  for (let round = 1; ; round++) {
    const before = await observeSafely(executor, o, rounds.length > 0 ? rounds[rounds.length - 1]!.observed : sourceConfiguration(roundInstance));
    const start = before.config;
    const report = await runRound(roundInstance, roundPlan, round, executor, o, durationModel ?? defaultDurationModel(roundInstance), cp, start);
    rounds.push(report.round);
    // Nodes that went offline without a shutdownNode of this round are lost.
    const shutDown = new Set(report.round.actions.filter((a) => a.status === 'succeeded' && a.action.type === 'shutdownNode').map((a) => (a.action as { node: NodeId }).node));
    const newlyLost: NodeId[] = [];
    // (Online in the instance or at the round's start: a node may die before the first observe.)
    const wasOnline = (n: NodeId): boolean => start.nodes.get(n) === 'online' || roundInstance.nodes.get(n)?.state === 'online';
    for (const n of new Set([...roundInstance.nodes.keys(), ...start.nodes.keys()])) {
      if (wasOnline(n) && report.round.observed.nodes.get(n) !== 'online' && !shutDown.has(n) && !lostNodes.has(n)) newlyLost.push(n);
    }
    for (const n of newlyLost) lostNodes.add(n);
    // VMs expected on a lost node and found sleeping on their checkpoint image.
    for (const [vm, p] of report.expected.vms) {
      if (p.host === undefined || !newlyLost.includes(p.host) || p.state !== 'running') continue;
      const now = report.round.observed.vms.get(vm);
      const img = cp.images.get(vm);
      if (now?.state === 'sleeping' && img !== undefined && now.host === img.node) recovered.push({ vm, lostNode: p.host, image: img.node, checkpointAt: img.at });
    }
    if (report.round.reachedTarget && report.round.counts.succeeded === report.round.actions.length) break;
    if (o.signal?.aborted || o.stop?.aborted) {
      if (o.maxReplans > 0) replanStopped = o.signal?.aborted ? 'cancelled' : 'stopped';
      break;
    }
    if (round > o.maxReplans) {
      if (o.maxReplans > 0) replanStopped = `bound reached: ${o.maxReplans} re-plan${o.maxReplans === 1 ? '' : 's'}`;
      break;
    }
    roundInstance = instanceFromObserved(roundInstance, report.round.observed, [...lostNodes]);
    let next: Plan;
    try {
      next = await o.planner(roundInstance);
    } catch (e) {
      replanStopped = `re-planning failed: ${String((e as Error)?.message ?? e)}`;
      break;
    }
    if (next.status === 'infeasible') {
      replanStopped = `re-planning found no plan: ${next.reasons.map((r) => r.message).join('; ')}`;
      break;
    }
    roundPlan = next;
  }
  const last = rounds[rounds.length - 1]!;
  const observed = last.observed;
  const lost = [...instance.vms.values()].filter((v) => !observed.vms.has(v.id)).map((v) => v.id);
  const first = rounds[0]!;
  return {
    complete: last.reachedTarget && last.counts.succeeded === last.actions.length,
    actions: first.actions,
    counts: first.counts,
    rounds,
    observed,
    observedTarget: observedTarget(instance, observed),
    lost,
    lostNodes: [...lostNodes],
    recovered,
    checkpoints: cp.count,
    ...(replanStopped === undefined ? {} : { replanStopped }),
    seconds: o.clock.now() - t0,
  };
}

type State = 'pending' | 'running' | ActionStatus;

/** Seconds the model expects `a` to take; the plan's own duration when the model throws or answers nonsense. */
function expectedOf(model: DurationModel, instance: Instance, a: Action): number {
  try {
    const s = model(durationRequestOf(instance, a), instance);
    if (typeof s === 'number' && Number.isFinite(s) && s >= 0) return s;
  } catch {
    // fall through
  }
  const planned = a.end - a.start;
  return Number.isFinite(planned) && planned >= 0 ? planned : 0;
}

async function runRound(
  instance: Instance,
  plan: Plan,
  round: number,
  executor: Executor,
  o: Resolved,
  model: DurationModel,
  cp: Checkpointer,
  start: Configuration,
): Promise<{ round: RoundReport; expected: Configuration }> {
  const t0 = o.clock.now();
  const actions = plan.actions;
  const n = actions.length;
  o.emit({ type: 'round', round, actions: n, time: t0 });
  const index = new Map<number, number>();
  actions.forEach((a, i) => index.set(a.id, i));
  const deps = actions.map((a) => afterOf(a).map((d) => index.get(d)!));
  const order = actions.map((_, i) => i).sort((i, j) => actions[i]!.start - actions[j]!.start || actions[i]!.id - actions[j]!.id);
  const state: State[] = actions.map(() => 'pending');
  const reports: (ActionReport | undefined)[] = actions.map(() => undefined);
  const base = limitsOf(instance);
  const limits = {
    maxParallelMigrations: o.limits?.maxParallelMigrations ?? base.maxParallelMigrations,
    maxMigrationsPerNode: o.limits?.maxMigrationsPerNode ?? base.maxMigrationsPerNode,
  };
  let migrations = 0;
  const perNode = new Map<NodeId, number>();
  const busyVms = new Set<VmId>();
  let done = 0;
  let expected = start;
  const completions: number[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onCancel = (): void => notify();
  o.signal?.addEventListener('abort', onCancel);
  o.stop?.addEventListener('abort', onCancel);

  const finish = (i: number, r: ActionReport): void => {
    state[i] = r.status;
    reports[i] = r;
    done++;
    if (r.status === 'succeeded') expected = applyAction(expected, r.action);
    o.emit({ type: 'ended', round, action: r.action, status: r.status, ...(r.error ? { error: r.error } : {}), time: o.clock.now(), done, total: n, fraction: n === 0 ? 1 : done / n });
  };

  // A VM may be checkpointed unless an action on it runs or could start now (a snapshot then
  // delays only an action still waiting for its dependencies, by at most the snapshot's time).
  const idle = (vm: VmId): boolean => {
    if (busyVms.has(vm)) return false;
    for (let i = 0; i < n; i++) {
      const a = actions[i]!;
      if (state[i] === 'pending' && 'vm' in a && a.vm === vm && deps[i]!.every((d) => state[d] === 'succeeded')) return false;
    }
    return true;
  };
  const stopCheckpoints = new AbortController();
  const checkpointLoop = o.checkpoints && executor.checkpoint ? runCheckpoints(instance, executor, o, cp, idle, stopCheckpoints.signal) : Promise.resolve();

  const fitsLimits = (a: Action): boolean => {
    if (a.type !== 'migrate') return true;
    if (migrations + 1 > limits.maxParallelMigrations) return false;
    return nodesOfAction(a).every((x) => (perNode.get(x) ?? 0) + 1 <= limits.maxMigrationsPerNode);
  };
  const take = (a: Action, sign: 1 | -1): void => {
    if ('vm' in a) {
      if (sign > 0) busyVms.add(a.vm);
      else busyVms.delete(a.vm);
    }
    if (a.type !== 'migrate') return;
    migrations += sign;
    for (const x of nodesOfAction(a)) perNode.set(x, (perNode.get(x) ?? 0) + sign);
  };

  let running = 0;
  for (;;) {
    // Skip what depends on an action that did not succeed (to a fixpoint: skips chain).
    for (let changed = true; changed; ) {
      changed = false;
      for (const i of order) {
        if (state[i] !== 'pending') continue;
        const blocked = deps[i]!.filter((d) => state[d] === 'failed' || state[d] === 'cancelled' || state[d] === 'skipped');
        if (blocked.length === 0) continue;
        const a = actions[i]!;
        const ids = blocked.map((d) => actions[d]!.id);
        finish(i, {
          id: a.id,
          action: a,
          status: 'skipped',
          error: { code: 'precheck', message: `${describeAction(a)}: not started: it waits for action${ids.length === 1 ? '' : 's'} ${ids.join(', ')}, which did not succeed`, retryable: false },
          blockedBy: ids,
          attempts: 0,
        });
        changed = true;
      }
    }
    if (o.signal?.aborted || o.stop?.aborted) {
      const why = o.signal?.aborted ? 'the run was cancelled' : 'the run was stopped';
      for (const i of order) {
        if (state[i] !== 'pending') continue;
        const a = actions[i]!;
        finish(i, { id: a.id, action: a, status: 'cancelled', error: { code: 'cancelled', message: `${describeAction(a)}: not started: ${why}`, retryable: false }, attempts: 0 });
      }
    } else {
      for (const i of order) {
        if (state[i] !== 'pending') continue;
        const a = actions[i]!;
        if (!deps[i]!.every((d) => state[d] === 'succeeded')) continue;
        if ('vm' in a && (busyVms.has(a.vm) || cp.busy.has(a.vm))) continue;
        if (!fitsLimits(a)) continue;
        state[i] = 'running';
        running++;
        take(a, 1);
        const expectedSeconds = expectedOf(model, instance, a);
        const guarded = runAction(a, round, expectedSeconds, executor, o, () => ({ done, total: n })).catch(
          (e: unknown): ActionReport => ({
            id: a.id,
            action: a,
            status: 'failed',
            error: { code: 'failed', message: `${describeAction(a)}: the engine's options threw: ${String((e as Error)?.message ?? e)}`, retryable: false },
            attempts: 1,
          }),
        );
        void guarded.then((r) => {
          take(a, -1);
          running--;
          finish(i, r);
          completions.push(i);
          notify();
        });
      }
    }
    if (running === 0) {
      // A VM blocked only by a checkpoint in progress: wait for it.
      const waiting = order.some((i) => state[i] === 'pending');
      if (!waiting) break;
      if (cp.busy.size === 0) {
        // Pending actions that can never start: a cycle in `after`.
        for (const i of order) {
          if (state[i] !== 'pending') continue;
          const a = actions[i]!;
          finish(i, { id: a.id, action: a, status: 'skipped', error: { code: 'precheck', message: `${describeAction(a)}: not started: its \`after\` dependencies form a cycle`, retryable: false }, attempts: 0 });
        }
        break;
      }
      await o.clock.sleep(0.001);
      continue;
    }
    if (completions.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    completions.length = 0;
  }
  o.signal?.removeEventListener('abort', onCancel);
  o.stop?.removeEventListener('abort', onCancel);
  stopCheckpoints.abort();
  await checkpointLoop;
  const seen = await observeSafely(executor, o, expected);
  const observed = seen.config;
  const final = reports.map((r) => r!);
  return {
    round: {
      round,
      plan,
      actions: final,
      counts: countOf(final),
      observed,
      reachedTarget: plan.status === 'infeasible' ? true : reaches(observed, plan.target, start),
      startedAt: t0,
      endedAt: o.clock.now(),
      ...(seen.error === undefined ? {} : { observeError: seen.error }),
    },
    expected,
  };
}

/** Runs one action with its attempts, timeouts and back-off; always resolves with its report. */
async function runAction(a: Action, round: number, expectedSeconds: number, executor: Executor, o: Resolved, progress: () => { done: number; total: number }): Promise<ActionReport> {
  const what = describeAction(a);
  const startedAt = o.clock.now();
  const cancelled = (attempts: number, message: string): ActionReport => ({
    id: a.id,
    action: a,
    status: 'cancelled',
    error: { code: 'cancelled', message, retryable: false },
    attempts,
    startedAt,
    endedAt: o.clock.now(),
  });
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) return cancelled(attempt - 1, `${what}: the run was cancelled`);
    const p = progress();
    o.emit({ type: 'started', round, action: a, attempt, time: o.clock.now(), done: p.done, total: p.total, fraction: p.total === 0 ? 1 : p.done / p.total });
    let outcome: StepOutcome;
    let timedOut = false;
    const timeout = o.timeoutOf(a, expectedSeconds);
    const step = new AbortController();
    const onCancel = (): void => step.abort(o.signal?.reason);
    o.signal?.addEventListener('abort', onCancel);
    const ended = new AbortController();
    try {
      const check = o.precheck && executor.check ? executor.check.bind(executor) : undefined;
      const pre = check ? await safely(`check(${what})`, () => check(a, { signal: step.signal, attempt, expectedSeconds })) : undefined;
      if (pre !== undefined && !pre.ok) {
        outcome = pre;
      } else {
        void o.clock.sleep(timeout, ended.signal).then((fired) => {
          if (!fired) return;
          timedOut = true;
          step.abort(new Error(`timeout after ${timeout} s`));
        });
        const run = safely(what, () => executor.execute(a, { signal: step.signal, attempt, expectedSeconds }));
        // An aborted step that does not stop within the grace period is given up on.
        const abandoned = new Promise<StepOutcome>((resolve) => {
          const giveUp = (): void =>
            void o.clock.sleep(o.grace, ended.signal).then((fired) => {
              if (fired) resolve(stepFailed(timedOut ? 'timeout' : 'cancelled', `${what}: did not stop within ${o.grace} s of being aborted; given up on`));
            });
          if (step.signal.aborted) giveUp();
          else step.signal.addEventListener('abort', giveUp, { once: true });
        });
        outcome = await Promise.race([run, abandoned]);
      }
    } finally {
      ended.abort();
      o.signal?.removeEventListener('abort', onCancel);
    }
    if (outcome.ok) return { id: a.id, action: a, status: 'succeeded', attempts: attempt, startedAt, endedAt: o.clock.now() };
    let error = errorOf(outcome)!;
    if (timedOut) {
      error = { code: 'timeout', message: `${what}: no end within ${round3(timeout)} s (expected ${round3(expectedSeconds)} s); aborted: ${error.message}`, retryable: o.retryTimeouts };
    } else if (o.signal?.aborted && (error.code === 'cancelled' || step.signal.aborted)) {
      return cancelled(attempt, error.message);
    }
    if (error.retryable && attempt < o.maxAttempts) {
      const delay = o.backoff(attempt);
      o.emit({ type: 'retrying', round, action: a, attempt, error, delay, time: o.clock.now() });
      await o.clock.sleep(delay, o.signal);
      continue;
    }
    return { id: a.id, action: a, status: error.code === 'cancelled' && o.signal?.aborted ? 'cancelled' : 'failed', error, attempts: attempt, startedAt, endedAt: o.clock.now() };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The checkpoint loop of one round: every `every` seconds, snapshot (all at once) the selected
 * running VMs that no action is running on or ready to start on.
 */
async function runCheckpoints(instance: Instance, executor: Executor, o: Resolved, cp: Checkpointer, idle: (vm: VmId) => boolean, stop: AbortSignal): Promise<void> {
  const policy = o.checkpoints!;
  const checkpoint = executor.checkpoint!.bind(executor);
  const diskRate = durationsOf(instance).diskRate;
  const one = async (v: Vm): Promise<void> => {
    cp.busy.add(v.id);
    const expectedSeconds = (v.demand.get('memory') ?? 0) / diskRate;
    const r = await safely(`checkpoint ${v.id}`, () => checkpoint(v.id, { signal: stop, attempt: 1, expectedSeconds }));
    cp.busy.delete(v.id);
    if (r.ok && 'image' in r) {
      cp.images.set(v.id, { node: r.image, at: o.clock.now() });
      cp.count++;
      o.emit({ type: 'checkpoint', vm: v.id, ok: true, image: r.image, time: o.clock.now() });
    } else if (!r.ok && !stop.aborted) o.emit({ type: 'checkpoint', vm: v.id, ok: false, error: r.error, time: o.clock.now() });
  };
  const tick = async (): Promise<void> => {
    let now: Configuration;
    try {
      now = await executor.observe();
    } catch {
      return; // no snapshot this time
    }
    const chosen = [...instance.vms.values()].filter((v) => now.vms.get(v.id)?.state === 'running' && !cp.busy.has(v.id) && idle(v.id) && policy.select(v, instance));
    await Promise.all(chosen.map(one));
  };
  if (policy.atStart) await tick();
  while (!stop.aborted && (await o.clock.sleep(policy.every, stop))) await tick();
}
