/**
 * The simulated executor: a world of nodes and VMs on a {@link VirtualClock}, where each action
 * takes the time the duration model gives it (with optional seeded noise), and faults are
 * injected on demand: an action fails part-way, an action hangs past its timeout, a node dies
 * with its VMs at a given time. Deterministic for a seed: the same plan, options and engine give
 * the same run, event for event.
 *
 * An action has its effect at its end, all at once; until then the world is as before it (a
 * migrating VM is still on its source), so a failure, a cancellation or a dead node always leaves
 * every VM in one known place.
 */
import { Configuration, placement } from '../model/configuration.js';
import type { NodeId, VmId } from '../model/ids.js';
import { sourceConfiguration, type Instance } from '../model/instance.js';
import { defaultDurationModel, type DurationModel } from '../plan/durations.js';
import { applyAction } from '../plan/replay.js';
import type { Action } from '../model/action.js';
import { makeVm, type VmDurations } from '../model/vm.js';
import { createRandom } from '../util/random.js';
import { describeAction, durationRequestOf, nodesOfAction } from './actions.js';
import { VirtualClock } from './clock.js';
import { STEP_OK, stepFailed, type CheckpointOutcome, type Executor, type StepContext, type StepOutcome } from './types.js';

/** Which action a fault applies to: an action id, or a test on the action. */
export type ActionMatcher = number | ((action: Action) => boolean);

/** A fault to inject into a simulated run. */
export type SimulatedFault =
  /** The matched action fails part-way (at `fraction` of its duration, default 0.5), changing nothing. */
  | { readonly kind: 'fail'; readonly action: ActionMatcher; readonly attempts?: number; readonly retryable?: boolean; readonly fraction?: number }
  /** The matched action never ends by itself: only its signal (a timeout, a cancel) stops it. */
  | { readonly kind: 'hang'; readonly action: ActionMatcher; readonly attempts?: number }
  /** `node` dies at virtual time `at`: it goes offline, its VMs and images with it. */
  | { readonly kind: 'killNode'; readonly node: NodeId; readonly at: number };

/** Options of {@link simulatedExecutor}; all optional. */
export interface SimulatedExecutorOptions {
  /** The clock (default: a new {@link VirtualClock} at 0). */
  readonly clock?: VirtualClock;
  /** How long each action takes (default: the instance's {@link defaultDurationModel}). */
  readonly durationModel?: DurationModel;
  /** Relative noise on durations: each takes model × (1 + noise × u), u uniform in [−1, 1] (default 0). */
  readonly noise?: number;
  /** Seed of the noise and of the random faults (default 1). */
  readonly seed?: number;
  /** Probability that an attempt of an action fails part-way, not retryable (default 0). */
  readonly failureRate?: number;
  /** Probability that an attempt fails part-way with a retryable (transient) error (default 0). */
  readonly transientRate?: number;
  /** Probability that an attempt hangs (default 0). */
  readonly hangRate?: number;
  /** Faults on given actions or nodes. */
  readonly faults?: readonly SimulatedFault[];
  /**
   * Where checkpoints are written: a node that stands for the image store. Default: the first
   * live online node other than the VM's host, in instance order.
   */
  readonly imageStore?: NodeId;
}

/** One line of the simulation's log. */
export type SimulatedEvent =
  | { readonly type: 'start'; readonly time: number; readonly action: Action; readonly attempt: number }
  | { readonly type: 'end'; readonly time: number; readonly action: Action; readonly attempt: number; readonly outcome: StepOutcome }
  | { readonly type: 'nodeDied'; readonly time: number; readonly node: NodeId; readonly lost: readonly VmId[]; readonly recovered: readonly VmId[] }
  | { readonly type: 'checkpoint'; readonly time: number; readonly vm: VmId; readonly image: NodeId };

/** Fault decided for one attempt. */
type Fate = { readonly kind: 'ok' } | { readonly kind: 'fail'; readonly retryable: boolean; readonly fraction: number } | { readonly kind: 'hang' };

interface InFlight {
  readonly action: Action;
  readonly nodes: readonly NodeId[];
  readonly lost: AbortController;
}

/** A hash of a few values into 32 bits (FNV-1a over their text). */
function hash(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const c of parts.join('\u0000')) {
    h ^= c.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function matches(m: ActionMatcher, a: Action): boolean {
  return typeof m === 'number' ? a.id === m : m(a);
}

/**
 * A simulated executor (see the module comment). Build one with {@link simulatedExecutor}.
 */
export class SimulatedExecutor implements Executor {
  /** `simulated`. */
  readonly name = 'simulated';
  /** The virtual clock every action takes its time on. */
  readonly clock: VirtualClock;
  private world: Configuration;
  private readonly dead = new Set<NodeId>();
  /** VM → node holding its last checkpoint image, and when it was taken. */
  private readonly images = new Map<VmId, { node: NodeId; at: number }>();
  private readonly flying = new Set<InFlight>();
  private readonly busy = new Set<string>();
  private readonly events: SimulatedEvent[] = [];
  private readonly model: DurationModel;
  private readonly cancels: (() => void)[] = [];
  private readonly faults: SimulatedFault[];
  private closed = false;

  /**
   * @param instance - the world at the start (its source configuration) and the duration model's input
   * @param options - clock, durations, noise, seed, faults
   */
  constructor(
    private instance: Instance,
    private readonly options: SimulatedExecutorOptions = {},
  ) {
    this.clock = options.clock ?? new VirtualClock();
    this.world = sourceConfiguration(instance);
    this.model = options.durationModel ?? defaultDurationModel(instance);
    this.faults = [];
    for (const f of options.faults ?? []) this.addFault(f);
  }

  /**
   * Adds a fault to the run from now on (a node death in the past happens at once).
   * @param fault - the fault
   */
  addFault(fault: SimulatedFault): void {
    this.faults.push(fault);
    if (fault.kind === 'killNode') this.cancels.push(this.clock.at(fault.at, () => this.killNode(fault.node)));
  }

  /** The simulation's log so far: action starts and ends, node deaths, checkpoints. */
  get log(): readonly SimulatedEvent[] {
    return this.events;
  }

  /** The world now, synchronously (what {@link SimulatedExecutor.observe} resolves with). */
  get configuration(): Configuration {
    return this.world;
  }

  /** Nodes that died. */
  get deadNodes(): ReadonlySet<NodeId> {
    return this.dead;
  }

  /**
   * Kills a node now: it goes offline for good; its running VMs with a checkpoint image on a live
   * node become sleeping there, the others are lost (absent from `observe`), as are the images on
   * its disk; actions in flight on it end with `node-lost`.
   * @param node - the node
   */
  killNode(node: NodeId): void {
    if (this.dead.has(node) || !this.world.nodes.has(node)) return;
    this.dead.add(node);
    const lost: VmId[] = [];
    const recovered: VmId[] = [];
    for (const [vm, img] of this.images) if (img.node === node) this.images.delete(vm);
    let vms = this.world.vms;
    for (const [vm, p] of this.world.vms) {
      if (p.host !== node) continue;
      const img = p.state === 'running' ? this.images.get(vm) : undefined;
      if (img !== undefined && !this.dead.has(img.node)) {
        vms = vms.set(vm, placement('sleeping', img.node));
        recovered.push(vm);
      } else {
        vms = vms.delete(vm);
        lost.push(vm);
      }
    }
    this.world = new Configuration({ vms, nodes: this.world.nodes.set(node, 'offline') });
    this.events.push({ type: 'nodeDied', time: this.clock.now(), node, lost, recovered });
    for (const f of this.flying) if (f.nodes.includes(node)) f.lost.abort();
  }

  /**
   * Makes a VM known, `waiting` (a new VM, or one that was lost, shut down, or sleeps on an image
   * that is discarded); idempotent for a VM that waits already. Its demand and own durations
   * feed the duration model.
   * @param vm - the VM's id, demand and own durations
   * @returns ok, or a `precheck` error when the VM runs
   */
  define(vm: { readonly id: VmId; readonly demand: Readonly<Record<string, number>>; readonly durations?: VmDurations }): Promise<StepOutcome> {
    const p = this.world.vms.get(vm.id);
    if (p !== undefined && p.state === 'running') {
      return Promise.resolve(stepFailed('precheck', `define ${vm.id}: the VM is ${p.state}${p.host === undefined ? '' : ` on ${p.host}`}`));
    }
    this.images.delete(vm.id);
    const known = this.instance.vms.get(vm.id);
    if (known === undefined) {
      this.instance = this.instance.set('vms', this.instance.vms.set(vm.id, makeVm({ id: vm.id, demand: vm.demand, state: 'waiting', ...(vm.durations !== undefined ? { durations: vm.durations } : {}) })));
    }
    this.world = new Configuration({ vms: this.world.vms.set(vm.id, placement('waiting')), nodes: this.world.nodes });
    return Promise.resolve(STEP_OK);
  }

  /**
   * Brings a dead node back, online and empty.
   * @param node - the node
   */
  repairNode(node: NodeId): void {
    if (!this.world.nodes.has(node)) return;
    this.dead.delete(node);
    this.world = new Configuration({ vms: this.world.vms, nodes: this.world.nodes.set(node, 'online') });
  }

  /**
   * Whether `action` is legal in the world now.
   * @param action - the action
   * @param context - the step context (only its signal is read)
   * @returns ok, or a `precheck` (`node-lost` for a dead node) error naming the VM or node
   */
  check(action: Action, context: StepContext): Promise<StepOutcome> {
    void context;
    return Promise.resolve(this.legality(action));
  }

  private legality(a: Action): StepOutcome {
    for (const n of nodesOfAction(a)) {
      if (!this.world.nodes.has(n)) return stepFailed('precheck', `${describeAction(a)}: unknown node ${JSON.stringify(n)}`);
      if (this.dead.has(n)) return stepFailed('node-lost', `${describeAction(a)}: node ${n} is dead`);
    }
    const online = (n: NodeId): boolean => this.world.nodes.get(n) === 'online';
    if (a.type === 'bootNode' || a.type === 'shutdownNode') {
      if (this.busy.has(`node:${a.node}`)) return stepFailed('precheck', `${describeAction(a)}: node ${a.node} is busy with another action`);
      if (a.type === 'bootNode') return online(a.node) ? stepFailed('precheck', `${describeAction(a)}: node ${a.node} is already online`) : STEP_OK;
      if (!online(a.node)) return stepFailed('precheck', `${describeAction(a)}: node ${a.node} is already offline`);
      const on = this.world.runningOn(a.node);
      return on.length > 0 ? stepFailed('precheck', `${describeAction(a)}: node ${a.node} still runs ${on.join(', ')}`) : STEP_OK;
    }
    const p = this.world.vms.get(a.vm);
    if (p === undefined) return stepFailed('precheck', `${describeAction(a)}: unknown VM ${JSON.stringify(a.vm)} (lost or never known)`);
    if (this.busy.has(`vm:${a.vm}`)) return stepFailed('precheck', `${describeAction(a)}: VM ${a.vm} is busy with another action`);
    const where = p.host === undefined ? p.state : `${p.state} on ${p.host}`;
    const needs = (state: string, host?: NodeId): StepOutcome | undefined =>
      p.state !== state || (host !== undefined && p.host !== host)
        ? stepFailed('precheck', `${describeAction(a)}: VM ${a.vm} is ${where}, not ${state}${host === undefined ? '' : ` on ${host}`}`)
        : undefined;
    const arrive = (n: NodeId): StepOutcome | undefined => (online(n) ? undefined : stepFailed('precheck', `${describeAction(a)}: node ${n} is offline`));
    switch (a.type) {
      case 'migrate':
        return needs('running', a.from) ?? (a.from === a.to ? stepFailed('precheck', `${describeAction(a)}: same node`) : undefined) ?? arrive(a.to) ?? STEP_OK;
      case 'boot':
        return needs('waiting') ?? arrive(a.to) ?? STEP_OK;
      case 'shutdown':
      case 'suspend':
        return needs('running', a.from) ?? STEP_OK;
      case 'resume':
        return needs('sleeping', a.from) ?? arrive(a.to) ?? (a.from !== a.to ? arrive(a.from) : undefined) ?? STEP_OK;
    }
  }

  private fate(a: Action, attempt: number): Fate {
    for (const f of this.faults) {
      if (f.kind === 'killNode' || !matches(f.action, a)) continue;
      if (attempt > (f.attempts ?? Infinity)) continue;
      if (f.kind === 'hang') return { kind: 'hang' };
      return { kind: 'fail', retryable: f.retryable ?? false, fraction: f.fraction ?? 0.5 };
    }
    const { failureRate = 0, transientRate = 0, hangRate = 0 } = this.options;
    if (failureRate + transientRate + hangRate <= 0) return { kind: 'ok' };
    const rng = createRandom(hash(this.options.seed ?? 1, 'fate', describeAction(a), a.id, attempt));
    const u = rng.next();
    const fraction = rng.next();
    if (u < failureRate) return { kind: 'fail', retryable: false, fraction };
    if (u < failureRate + transientRate) return { kind: 'fail', retryable: true, fraction };
    if (u < failureRate + transientRate + hangRate) return { kind: 'hang' };
    return { kind: 'ok' };
  }

  /**
   * How long `action` takes in this simulation (model × noise), before faults.
   * @param action - the action
   * @param attempt - the attempt (noise differs per attempt)
   * @returns seconds
   */
  durationOf(action: Action, attempt = 1): number {
    const base = this.model(durationRequestOf(this.instance, action), this.instance);
    const noise = this.options.noise ?? 0;
    if (noise <= 0) return base;
    const u = createRandom(hash(this.options.seed ?? 1, 'noise', describeAction(action), action.id, attempt)).next() * 2 - 1;
    return Math.max(0, base * (1 + noise * u));
  }

  /**
   * Carries out one action on the virtual clock.
   * @param action - the action
   * @param context - signal (abort = roll back, `cancelled`), attempt
   * @returns ok once the effect is applied; else the error, with the world as before the action
   */
  async execute(action: Action, context: StepContext): Promise<StepOutcome> {
    if (context.signal.aborted) return stepFailed('cancelled', `${describeAction(action)}: cancelled before it started`);
    const legal = this.legality(action);
    if (!legal.ok) return legal;
    const key = 'vm' in action ? `vm:${action.vm}` : `node:${action.node}`;
    const fate = this.fate(action, context.attempt);
    const duration = this.durationOf(action, context.attempt);
    const flight: InFlight = { action, nodes: nodesOfAction(action), lost: new AbortController() };
    this.flying.add(flight);
    this.busy.add(key);
    const t0 = this.clock.now();
    this.events.push({ type: 'start', time: t0, action, attempt: context.attempt });
    const stop = AbortSignal.any([context.signal, flight.lost.signal]);
    const wait = fate.kind === 'hang' ? Infinity : fate.kind === 'fail' ? duration * fate.fraction : duration;
    const done = await this.clock.sleep(wait, stop);
    this.flying.delete(flight);
    this.busy.delete(key);
    let out: StepOutcome;
    if (flight.lost.signal.aborted) {
      const n = flight.nodes.filter((x) => this.dead.has(x)).join(', ');
      out = stepFailed('node-lost', `${describeAction(action)}: node ${n} died during the action`);
    } else if (!done) out = stepFailed('cancelled', `${describeAction(action)}: aborted after ${(this.clock.now() - t0).toFixed(3)} s, rolled back`);
    else if (fate.kind === 'fail') out = stepFailed('failed', `${describeAction(action)}: injected ${fate.retryable ? 'transient ' : ''}failure`, fate.retryable);
    else {
      this.world = applyAction(this.world, action);
      out = STEP_OK;
    }
    this.events.push({ type: 'end', time: this.clock.now(), action, attempt: context.attempt, outcome: out });
    return out;
  }

  /**
   * Snapshots a running VM to the image store (or the first other live online node); takes its
   * memory ÷ the disk rate, the VM running meanwhile.
   * @param vm - the VM
   * @param context - signal (abort: no image written)
   * @returns the node holding the image, or why not
   */
  async checkpoint(vm: VmId, context: StepContext): Promise<CheckpointOutcome> {
    const p = this.world.vms.get(vm);
    if (p?.state !== 'running' || p.host === undefined) return { ok: false, error: { code: 'precheck', message: `checkpoint ${vm}: not running`, retryable: false } };
    const host = p.host;
    const store =
      this.options.imageStore !== undefined && !this.dead.has(this.options.imageStore) && this.options.imageStore !== host
        ? this.options.imageStore
        : [...this.instance.nodes.keys()].find((n) => n !== host && !this.dead.has(n) && this.world.nodes.get(n) === 'online');
    if (store === undefined) return { ok: false, error: { code: 'failed', message: `checkpoint ${vm}: no live node to hold the image`, retryable: true } };
    const mem = this.instance.vms.get(vm)?.demand.get('memory') ?? 0;
    const rate = this.instance.durations?.diskRate ?? 500;
    const flight: InFlight = { action: { id: -1, type: 'suspend', vm, from: host, start: 0, end: 0 }, nodes: [host, store], lost: new AbortController() };
    this.flying.add(flight);
    const done = await this.clock.sleep(mem / rate, AbortSignal.any([context.signal, flight.lost.signal]));
    this.flying.delete(flight);
    if (!done) return { ok: false, error: { code: flight.lost.signal.aborted ? 'node-lost' : 'cancelled', message: `checkpoint ${vm}: interrupted`, retryable: false } };
    const now = this.world.vms.get(vm);
    if (now?.state !== 'running') return { ok: false, error: { code: 'failed', message: `checkpoint ${vm}: the VM stopped running meanwhile`, retryable: false } };
    this.images.set(vm, { node: store, at: this.clock.now() });
    this.events.push({ type: 'checkpoint', time: this.clock.now(), vm, image: store });
    return { ok: true, image: store };
  }

  /** The last checkpoint of `vm`, if any: the node holding it and when it was taken. */
  imageOf(vm: VmId): { readonly node: NodeId; readonly at: number } | undefined {
    return this.images.get(vm);
  }

  /** @returns the world now: every VM that exists (lost ones are absent), every node (dead: offline) */
  observe(): Promise<Configuration> {
    return Promise.resolve(this.world);
  }

  /** Cancels the scheduled node deaths that have not happened. Idempotent. */
  cleanup(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const c of this.cancels) c();
    }
    return Promise.resolve();
  }
}

/**
 * Builds a {@link SimulatedExecutor} whose world starts as the instance's source configuration.
 * @param instance - the instance
 * @param options - clock, duration model, noise, seed, fault rates, faults, image store
 * @returns the executor
 * @example
 * ```ts
 * const sim = simulatedExecutor(instance, { seed: 7, failureRate: 0.1, faults: [{ kind: 'killNode', node: 'n3', at: 20 }] });
 * const report = await executePlan(instance, plan, sim);
 * ```
 */
export function simulatedExecutor(instance: Instance, options: SimulatedExecutorOptions = {}): SimulatedExecutor {
  return new SimulatedExecutor(instance, options) satisfies Executor;
}
