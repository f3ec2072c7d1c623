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
 *
 * With `stateFile`, the world outlives the process: it is saved (atomically) after every change,
 * with the actions in flight and their expected ends, and a new executor on the same file goes on
 * from it. An action whose expected end has passed on the clock by then had its effect; one that
 * has not is rolled back (its VM stays at its source). So a test can SIGKILL a controller and
 * restart it on a world that did not die with it, as libvirt domains do not.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Map as IMap } from 'immutable';
import { SwitchyardError } from '../errors.js';
import { Configuration, placement, type Placement } from '../model/configuration.js';
import type { NodeId, VmId } from '../model/ids.js';
import { sourceConfiguration, type Instance } from '../model/instance.js';
import type { NodeState } from '../model/node.js';
import { makeVm, VM_STATES, type VmState } from '../model/vm.js';
import { defaultDurationModel, type DurationModel } from '../plan/durations.js';
import { applyAction } from '../plan/replay.js';
import type { Action } from '../model/action.js';
import { createRandom } from '../util/random.js';
import { describeAction, durationRequestOf, nodesOfAction } from './actions.js';
import { VirtualClock, type Clock } from './clock.js';
import { STEP_OK, stepFailed, type CheckpointOutcome, type Executor, type StepContext, type StepOutcome, type VmDefinition } from './types.js';

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
export interface SimulatedExecutorOptions<C extends Clock = VirtualClock> {
  /**
   * The clock (default: a new {@link VirtualClock} at 0, or at the saved time when a `stateFile`
   * is loaded). Any {@link Clock} will do, e.g. a `wallClock` for a world that goes on in real
   * time while its controller is down.
   */
  readonly clock?: C;
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
  /**
   * A file holding the world: loaded when it exists (else the world starts as the instance), saved
   * atomically (temporary file, fsync, rename) after every change. The same `instance` must be
   * given on every load: the file holds the world, the VMs defined later and the faults that fired,
   * not the instance. Without it the executor does no I/O.
   */
  readonly stateFile?: string;
}

/** One line of the simulation's log. */
export type SimulatedEvent =
  | { readonly type: 'start'; readonly time: number; readonly action: Action; readonly attempt: number }
  | { readonly type: 'end'; readonly time: number; readonly action: Action; readonly attempt: number; readonly outcome: StepOutcome }
  | { readonly type: 'nodeDied'; readonly time: number; readonly node: NodeId; readonly lost: readonly VmId[]; readonly recovered: readonly VmId[] }
  | { readonly type: 'checkpoint'; readonly time: number; readonly vm: VmId; readonly image: NodeId }
  | { readonly type: 'defined'; readonly time: number; readonly vm: VmId }
  | { readonly type: 'nodeRepaired'; readonly time: number; readonly node: NodeId };

/** What a {@link SimulatedExecutor} loaded from its `stateFile` did with the actions in flight there. */
export interface SimulatedRestore {
  /** The saved time (the clock's when the file was last written). */
  readonly savedAt: number;
  /** Actions whose expected end had passed: they had their effect. */
  readonly applied: readonly Action[];
  /** Actions still under way (or that were to fail or hang): rolled back, their VM at its source. */
  readonly rolledBack: readonly Action[];
}

/** Fault decided for one attempt. */
type Fate = { readonly kind: 'ok' } | { readonly kind: 'fail'; readonly retryable: boolean; readonly fraction: number } | { readonly kind: 'hang' };

interface InFlight {
  readonly action: Action;
  readonly nodes: readonly NodeId[];
  readonly lost: AbortController;
  /** Clock seconds when it started, and when it is expected to end (Infinity: it hangs). */
  readonly start: number;
  readonly end: number;
  /** Whether it has its effect at its end (false: it is to fail there). */
  readonly applies: boolean;
  /** For a checkpoint: the VM, its host and the node the image goes to. */
  readonly checkpoint?: { readonly vm: VmId; readonly host: NodeId; readonly store: NodeId };
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
export class SimulatedExecutor<C extends Clock = VirtualClock> implements Executor {
  /** `simulated`. */
  readonly name = 'simulated';
  /** The clock every action takes its time on (a {@link VirtualClock} unless the options gave another). */
  readonly clock: C;
  /** What was done with the actions in flight in the loaded `stateFile`, if one was loaded. */
  readonly restored: SimulatedRestore | undefined;
  private world: Configuration;
  /** The instance and the VMs defined since: what durations and memory are read from. */
  private known: Instance;
  /** VMs made known by {@link SimulatedExecutor.define}, in order (saved with the world). */
  private readonly defined = new Map<VmId, VmDefinition>();
  /** Node deaths of `killNode` faults that fired (so that a reload does not kill a repaired node again). */
  private readonly fired = new Set<string>();
  /** Boots that succeeded, per VM (saved with the world). */
  private readonly boots = new Map<VmId, number>();
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
    private readonly instance: Instance,
    private readonly options: SimulatedExecutorOptions<C> = {},
  ) {
    const saved = options.stateFile === undefined ? undefined : readState(options.stateFile);
    // Without a clock of the caller's, C is VirtualClock (the default type argument).
    this.clock = options.clock ?? (new VirtualClock(saved?.time ?? 0) as Clock as C);
    this.world = sourceConfiguration(instance);
    this.known = instance;
    this.model = options.durationModel ?? defaultDurationModel(instance);
    this.restored = saved === undefined ? undefined : this.load(saved);
    this.faults = [];
    for (const f of options.faults ?? []) this.addFault(f);
    this.save(); // with a state file: the world as loaded (flights settled), or as it starts
  }

  /**
   * Adds a fault to the run from now on (a node death in the past happens at once, unless it
   * already happened before the state file was saved).
   * @param fault - the fault
   */
  addFault(fault: SimulatedFault): void {
    this.faults.push(fault);
    if (fault.kind !== 'killNode') return;
    const key = `${fault.node}\u0000${fault.at}`;
    if (this.fired.has(key)) return;
    this.cancels.push(
      this.at(fault.at, () => {
        this.fired.add(key);
        this.killNode(fault.node);
        this.save();
      }),
    );
  }

  /** Calls `fn` at clock time `time` (a virtual clock's timer; else a sleep that cleanup cancels). */
  private at(time: number, fn: () => void): () => void {
    const clock: Clock = this.clock;
    if (clock instanceof VirtualClock) return clock.at(time, fn);
    const stop = new AbortController();
    void clock.sleep(time - clock.now(), stop.signal).then((passed) => {
      if (passed) fn();
    });
    return () => stop.abort();
  }

  /**
   * Makes a VM known, `waiting`: a new VM (with its demand and own durations, which its actions'
   * durations and checkpoints then use), or one that was lost with its node, shut down, or sleeps
   * on an image that is given up (its checkpoint image too). Idempotent: a VM that waits already
   * stays as it is; a VM known already keeps the demand it was first known with.
   * @param vm - id, demand, own durations
   * @returns ok; `precheck` for a VM that runs (or is busy with an action); `failed` for a demand that is not finite numbers ≥ 0
   * @example
   * ```ts
   * await sim.define({ id: 'vm9', demand: { cpu: 2, memory: 2048 }, durations: { boot: 4 } });
   * await sim.execute({ id: 0, type: 'boot', vm: 'vm9', to: 'n1', start: 0, end: 4 }, context);
   * ```
   */
  define(vm: VmDefinition): Promise<StepOutcome> {
    const what = `define ${JSON.stringify(vm.id)}`;
    const bad = Object.entries(vm.demand).find(([, v]) => typeof v !== 'number' || !Number.isFinite(v) || v < 0);
    if (bad !== undefined) return Promise.resolve(stepFailed('failed', `${what}: demand ${JSON.stringify(bad[0])} is ${String(bad[1])}, not a finite number ≥ 0`));
    const p = this.world.vms.get(vm.id);
    if (p?.state === 'running') return Promise.resolve(stepFailed('precheck', `${what}: the VM is running on ${p.host ?? '?'}`));
    if (this.busy.has(`vm:${vm.id}`)) return Promise.resolve(stepFailed('precheck', `${what}: the VM is busy with another action`));
    if (p?.state === 'waiting') return Promise.resolve(STEP_OK);
    this.remember(vm);
    this.images.delete(vm.id);
    this.world = this.world.set('vms', this.world.vms.set(vm.id, placement('waiting')));
    this.events.push({ type: 'defined', time: this.clock.now(), vm: vm.id });
    this.save();
    return Promise.resolve(STEP_OK);
  }

  private remember(vm: VmDefinition): void {
    if (this.known.vms.has(vm.id)) return;
    const copy: VmDefinition = { id: vm.id, demand: { ...vm.demand }, ...(vm.durations !== undefined ? { durations: { ...vm.durations } } : {}) };
    this.defined.set(vm.id, copy);
    const made = makeVm({ id: copy.id, demand: copy.demand, state: 'waiting', ...(copy.durations !== undefined ? { durations: copy.durations } : {}) });
    this.known = this.known.set('vms', this.known.vms.set(vm.id, made));
  }

  /**
   * Brings a dead node back: online, empty (its VMs and images were lost when it died), no longer
   * dead. An offline node that is not dead just comes online; an unknown or online one is left alone.
   * @param node - the node
   * @example
   * ```ts
   * sim.killNode('n2');
   * sim.repairNode('n2'); // n2 is online and empty
   * ```
   */
  repairNode(node: NodeId): void {
    if (!this.world.nodes.has(node) || (!this.dead.has(node) && this.world.nodes.get(node) === 'online')) return;
    this.dead.delete(node);
    this.world = this.world.set('nodes', this.world.nodes.set(node, 'online'));
    this.events.push({ type: 'nodeRepaired', time: this.clock.now(), node });
    this.save();
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
    this.save();
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
    const base = this.model(durationRequestOf(this.known, action), this.known);
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
    const t0 = this.clock.now();
    const wait = fate.kind === 'hang' ? Infinity : fate.kind === 'fail' ? duration * fate.fraction : duration;
    const flight: InFlight = { action, nodes: nodesOfAction(action), lost: new AbortController(), start: t0, end: t0 + wait, applies: fate.kind === 'ok' };
    this.flying.add(flight);
    this.busy.add(key);
    this.events.push({ type: 'start', time: t0, action, attempt: context.attempt });
    this.save();
    const stop = AbortSignal.any([context.signal, flight.lost.signal]);
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
      this.apply(action);
      out = STEP_OK;
    }
    this.events.push({ type: 'end', time: this.clock.now(), action, attempt: context.attempt, outcome: out });
    this.save();
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
    const mem = this.known.vms.get(vm)?.demand.get('memory') ?? 0;
    const rate = this.instance.durations?.diskRate ?? 500;
    const t0 = this.clock.now();
    const flight: InFlight = {
      action: { id: -1, type: 'suspend', vm, from: host, start: 0, end: 0 },
      nodes: [host, store],
      lost: new AbortController(),
      start: t0,
      end: t0 + mem / rate,
      applies: true,
      checkpoint: { vm, host, store },
    };
    this.flying.add(flight);
    this.save();
    const done = await this.clock.sleep(mem / rate, AbortSignal.any([context.signal, flight.lost.signal]));
    this.flying.delete(flight);
    const out = this.checkpointEnded(flight, done);
    this.save();
    return out;
  }

  private checkpointEnded(flight: InFlight, done: boolean): CheckpointOutcome {
    const { vm, store } = flight.checkpoint!;
    if (!done) return { ok: false, error: { code: flight.lost.signal.aborted ? 'node-lost' : 'cancelled', message: `checkpoint ${vm}: interrupted`, retryable: false } };
    const now = this.world.vms.get(vm);
    if (now?.state !== 'running') return { ok: false, error: { code: 'failed', message: `checkpoint ${vm}: the VM stopped running meanwhile`, retryable: false } };
    this.images.set(vm, { node: store, at: this.clock.now() });
    this.events.push({ type: 'checkpoint', time: this.clock.now(), vm, image: store });
    return { ok: true, image: store };
  }

  private apply(action: Action): void {
    this.world = applyAction(this.world, action);
    if (action.type === 'boot') this.boots.set(action.vm, (this.boots.get(action.vm) ?? 0) + 1);
  }

  /**
   * How many times `vm` was booted (successful boots, over every reload of the state file): a
   * crash-safe controller boots each VM once unless it was lost or shut down and submitted anew.
   * @param vm - the VM
   * @returns the count
   */
  bootsOf(vm: VmId): number {
    return this.boots.get(vm) ?? 0;
  }

  /** The last checkpoint of `vm`, if any: the node holding it and when it was taken. */
  imageOf(vm: VmId): { readonly node: NodeId; readonly at: number } | undefined {
    return this.images.get(vm);
  }

  /** @returns the world now: every VM that exists (lost ones are absent), every node (dead: offline) */
  observe(): Promise<Configuration> {
    return Promise.resolve(this.world);
  }

  /** Cancels the scheduled node deaths that have not happened, and stops saving the state file. Idempotent. */
  cleanup(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const c of this.cancels) c();
    }
    return Promise.resolve();
  }

  /** Writes the whole state to the state file, if there is one (and the executor is not cleaned up). */
  private save(): void {
    const file = this.options.stateFile;
    if (file === undefined || this.closed) return;
    const state: SavedState = {
      version: 1,
      time: this.clock.now(),
      vms: [...this.world.vms].map(([vm, p]) => [vm, p.state, p.host ?? null]),
      nodes: [...this.world.nodes],
      dead: [...this.dead],
      images: [...this.images].map(([vm, i]) => [vm, i.node, i.at]),
      defined: [...this.defined.values()],
      fired: [...this.fired],
      boots: [...this.boots],
      flights: [...this.flying].map((f) =>
        f.checkpoint !== undefined
          ? { kind: 'checkpoint', vm: f.checkpoint.vm, host: f.checkpoint.host, store: f.checkpoint.store, start: f.start, end: finiteOrNull(f.end) }
          : { kind: 'action', action: f.action, start: f.start, end: finiteOrNull(f.end), applies: f.applies },
      ),
    };
    writeAtomically(file, JSON.stringify(state));
  }

  /** Takes the world from a saved state and settles its flights against the clock. */
  private load(saved: SavedState): SimulatedRestore {
    for (const d of saved.defined) this.remember(d);
    this.world = new Configuration({
      vms: IMap<VmId, Placement>(saved.vms.map(([vm, state, host]) => [vm, placement(state, host ?? undefined)])),
      nodes: IMap<NodeId, NodeState>(saved.nodes),
    });
    for (const n of saved.dead) this.dead.add(n);
    for (const [vm, node, at] of saved.images) this.images.set(vm, { node, at });
    for (const k of saved.fired) this.fired.add(k);
    for (const [vm, k] of saved.boots ?? []) this.boots.set(vm, k);
    const now = this.clock.now();
    const applied: Action[] = [];
    const rolledBack: Action[] = [];
    const ends = (f: SavedFlight): number => f.end ?? Infinity;
    for (const f of [...saved.flights].sort((a, b) => ends(a) - ends(b))) {
      const over = ends(f) <= now;
      if (f.kind === 'checkpoint') {
        if (over && this.world.vms.get(f.vm)?.state === 'running' && !this.dead.has(f.store)) this.images.set(f.vm, { node: f.store, at: ends(f) });
        continue;
      }
      if (over && f.applies && this.legality(f.action).ok) {
        this.apply(f.action);
        applied.push(f.action);
      } else rolledBack.push(f.action);
    }
    return { savedAt: saved.time, applied, rolledBack };
  }
}

// ----- the state file -----------------------------------------------------------------------------

type SavedFlight =
  | { readonly kind: 'action'; readonly action: Action; readonly start: number; readonly end: number | null; readonly applies: boolean }
  | { readonly kind: 'checkpoint'; readonly vm: VmId; readonly host: NodeId; readonly store: NodeId; readonly start: number; readonly end: number | null };

/** The whole world of a {@link SimulatedExecutor}, as its state file holds it (JSON). */
interface SavedState {
  readonly version: 1;
  /** The clock when it was written. */
  readonly time: number;
  readonly vms: readonly (readonly [VmId, VmState, NodeId | null])[];
  readonly nodes: readonly (readonly [NodeId, NodeState])[];
  readonly dead: readonly NodeId[];
  readonly images: readonly (readonly [VmId, NodeId, number])[];
  readonly defined: readonly VmDefinition[];
  readonly fired: readonly string[];
  /** Successful boots per VM (absent in files of an older build: none counted). */
  readonly boots?: readonly (readonly [VmId, number])[];
  readonly flights: readonly SavedFlight[];
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Writes `text` to `file` so that a crash leaves the old content or the new, never a mix. */
function writeAtomically(file: string, text: string): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const buf = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isRec = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const arrayOf = (v: unknown, each: (x: unknown) => boolean): boolean => Array.isArray(v) && (v as unknown[]).every(each);
const tuple = (v: unknown, ...each: ((x: unknown) => boolean)[]): boolean => Array.isArray(v) && v.length === each.length && each.every((f, i) => f((v as unknown[])[i]));
const NODE_STATES: readonly unknown[] = ['online', 'offline'];

function isSavedFlight(f: unknown): boolean {
  if (!isRec(f) || !isNum(f['start']) || !(f['end'] === null || isNum(f['end']))) return false;
  if (f['kind'] === 'checkpoint') return isStr(f['vm']) && isStr(f['host']) && isStr(f['store']);
  return f['kind'] === 'action' && typeof f['applies'] === 'boolean' && isRec(f['action']) && isStr(f['action']['type']) && isNum(f['action']['id']);
}

/**
 * Reads a state file: undefined when there is none.
 * @throws SwitchyardError `invalid-options` (path `stateFile`) when it cannot be read or is not a saved state
 */
function readState(file: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new SwitchyardError('invalid-options', [{ path: 'stateFile', message: `cannot read ${file}: ${(e as Error).message}` }]);
  }
  const bad = (why: string): SwitchyardError => new SwitchyardError('invalid-options', [{ path: 'stateFile', message: `${file} is not a simulated world: ${why}` }]);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(`invalid JSON (${(e as Error).message})`);
  }
  if (!isRec(v) || v['version'] !== 1) throw bad('no version 1');
  const checks: [string, boolean][] = [
    ['time', isNum(v['time'])],
    ['vms', arrayOf(v['vms'], (x) => tuple(x, isStr, (s) => VM_STATES.includes(s as VmState), (h) => h === null || isStr(h)))],
    ['nodes', arrayOf(v['nodes'], (x) => tuple(x, isStr, (s) => NODE_STATES.includes(s)))],
    ['dead', arrayOf(v['dead'], isStr)],
    ['images', arrayOf(v['images'], (x) => tuple(x, isStr, isStr, isNum))],
    ['defined', arrayOf(v['defined'], (d) => isRec(d) && isStr(d['id']) && isRec(d['demand']) && Object.values(d['demand']).every(isNum))],
    ['fired', arrayOf(v['fired'], isStr)],
    ['boots', v['boots'] === undefined || arrayOf(v['boots'], (x) => tuple(x, isStr, isNum))],
    ['flights', arrayOf(v['flights'], isSavedFlight)],
  ];
  const wrong = checks.filter(([, good]) => !good).map(([k]) => k);
  if (wrong.length > 0) throw bad(`bad ${wrong.join(', ')}`);
  // Checked field by field above; written by save() from a SavedState.
  return v as unknown as SavedState;
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
export function simulatedExecutor<C extends Clock = VirtualClock>(instance: Instance, options: SimulatedExecutorOptions<C> = {}): SimulatedExecutor<C> {
  return new SimulatedExecutor<C>(instance, options) satisfies Executor;
}
