/**
 * The libvirt executor: carries out plan actions with `virsh`, one libvirt URI per node
 * (`qemu:///system`, `qemu+ssh://root@host/system`, a session daemon's socket, `test:///default`).
 *
 * | action | virsh |
 * |---|---|
 * | migrate | `-c FROM migrate --live --domain VM --desturi TO [--migrateuri U]` |
 * | boot | `-c TO start --domain VM` (defined domain) or `-c TO create --file XML` |
 * | shutdown | `-c FROM shutdown --domain VM`, then `destroy` after a grace period |
 * | suspend | `-c FROM save --domain VM --file IMAGE` |
 * | resume | `-c TO restore --file IMAGE` |
 * | bootNode / shutdownNode | the caller's power hooks, or a logical switch (see {@link LibvirtExecutorOptions.power}) |
 * | observe | `-c URI list --all --name` and `list --name` on every online node |
 * | define (a submitted VM) | `-c HOME define --file XML` on the first online node, unless a node defines it |
 * | killNode (power loss) | `-c NODE destroy --domain VM` for every domain running there |
 * | repairNode | `-c NODE undefine --domain VM` for every domain left defined there (a fresh disk) |
 *
 * A VM defined on one node boots on another with `create --file` of that definition
 * (`dumpxml --inactive`), so it has the same UUID everywhere and may later migrate back onto the
 * node that defines it. Defined domains outlive this process: a new executor on the same daemons
 * sees them (waiting, or running where they run).
 *
 * With `stateFile`, the executor's own knowledge (the VMs the daemons cannot show: waiting,
 * sleeping, shut down; lost VMs, dead nodes, what it defined) outlives the process too: it is saved
 * atomically at every change, the record of a shutdown or suspend before the command (a running
 * domain always wins over a record, so a record written ahead never hides a VM). A fresh executor on
 * the same state file and daemons (a restarted controller) first waits for the virsh commands the
 * dead process left running (they carry the state file in their environment), then settles what a
 * migration cut short may leave (a VM active on two nodes, or only paused): the world it observes
 * is the real one.
 *
 * Every virsh call is an argument array (never a shell string); VM and node names are untrusted.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Map as IMap } from 'immutable';
import { SwitchyardError } from '../../errors.js';
import { Configuration, placement, type Placement } from '../../model/configuration.js';
import type { NodeId, VmId } from '../../model/ids.js';
import type { NodeState } from '../../model/node.js';
import type { Action, ActionType } from '../../model/action.js';
import { nodesOfAction } from '../actions.js';
import { COUNTER_ADDRESS } from '../qemu/guest.js';
import { STEP_OK, type Executor, type ExecutorErrorCode, type StepContext, type StepOutcome } from '../types.js';
import { execFileVirsh, type VirshFailure, type VirshResult, type VirshRunner } from './virsh.js';

/** One node as the libvirt executor sees it. */
export interface LibvirtNode {
  /** Its libvirt URI, e.g. `qemu+ssh://root@n1.example/system`. */
  readonly uri: string;
  /** Initial power state as the plan knows it (default `online`). */
  readonly state?: NodeState;
  /** Directory, as the node's daemon sees it, where suspend writes images (default the executor's `imageDir`). Must be shared with the nodes that resume them elsewhere. */
  readonly imageDir?: string;
  /** `--migrateuri` when this node is a migration destination (e.g. `tcp://10.0.0.2`, `tcp://127.0.0.1` for local daemons). */
  readonly migrateUri?: string;
}

/** A VM the daemons cannot show by themselves: not booted yet, suspended to an image, or shut down. */
export type LibvirtVmRecord =
  | { readonly state: 'waiting' }
  | { readonly state: 'terminated' }
  | { readonly state: 'sleeping'; readonly host: NodeId; readonly image: string };

/** Node power hooks for real clusters (IPMI, Wake-on-LAN, ...). */
export interface LibvirtPowerHooks {
  /**
   * Powers a node on and resolves when its libvirt daemon answers (never rejects).
   * @param node - the node to power on
   * @param signal - aborted at the action's timeout or when the run is cancelled
   * @returns the outcome of the `bootNode` action
   */
  bootNode(node: NodeId, signal: AbortSignal): Promise<StepOutcome>;
  /**
   * Powers an empty node off and resolves when it is off (never rejects).
   * @param node - the node to power off
   * @param signal - aborted at the action's timeout or when the run is cancelled
   * @returns the outcome of the `shutdownNode` action
   */
  shutdownNode(node: NodeId, signal: AbortSignal): Promise<StepOutcome>;
}

/** Options of {@link libvirtExecutor}. */
export interface LibvirtExecutorOptions {
  /** Every node: id → URI and settings. */
  readonly nodes: Readonly<Record<NodeId, LibvirtNode>>;
  /** VMs that are waiting, sleeping (with their image) or terminated at the start. Running VMs need no record: the daemons list them. */
  readonly vms?: Readonly<Record<VmId, LibvirtVmRecord>>;
  /** The domain XML to `create` when booting a VM that no node defines; without it, boot needs a defined domain. */
  readonly domainXml?: (vm: VmId, node: NodeId) => string;
  /** Runs virsh (default {@link execFileVirsh}); the executor closes it in `cleanup`. */
  readonly virsh?: VirshRunner;
  /** Default image directory (default a fresh directory under the OS temp dir; must be writable by the daemons). */
  readonly imageDir?: string;
  /** Extra `migrate` arguments, e.g. `['--p2p', '--tunnelled']` or `['--persistent', '--undefinesource']`. */
  readonly migrateArgs?: readonly string[];
  /** Milliseconds between `shutdown` (ACPI) and `destroy` (default 5,000). */
  readonly shutdownGraceMs?: number;
  /** Milliseconds a short command (list, start, destroy, ...) may take (default 30,000). */
  readonly commandTimeoutMs?: number;
  /** Milliseconds a long command (migrate, save, restore) may take at least; it also gets 4× the expected duration (default 60,000). */
  readonly longCommandTimeoutMs?: number;
  /**
   * Node power: hooks that really power nodes, or (default) a logical switch: `bootNode` marks an
   * offline node online once its daemon answers, `shutdownNode` marks an empty node offline
   * (its daemon is then no longer asked). Say which in reports: the logical switch powers nothing.
   */
  readonly power?: LibvirtPowerHooks;
  /** Action types carried out (default all); the others answer `unsupported` (e.g. leave out `resume` without shared image storage). */
  readonly actions?: readonly ActionType[];
  /** VMs whose domains `cleanup` destroys and whose images it removes (e.g. a lab's guests); booted VMs are added. Default none: cleanup then only closes virsh. */
  readonly owned?: readonly VmId[];
  /**
   * A file where the executor keeps what the daemons cannot show (records, lost VMs, dead nodes,
   * node power, owned and defined VMs), saved atomically at every change; when it exists, it is
   * loaded (over `vms`) and the first observation waits for the virsh commands a previous process
   * left running, then settles half-done migrations (see the module comment). For a controller that
   * must survive its own crash. The default runner then marks its virsh processes with it
   * (environment `SWITCHYARD_LIBVIRT_STATE`).
   */
  readonly stateFile?: string;
  /** Milliseconds a restored executor waits for the virsh commands of a previous process (default 120,000). */
  readonly orphanWaitMs?: number;
}

/** The environment variable that marks the virsh processes of an executor with a state file. */
export const LIBVIRT_STATE_ENV = 'SWITCHYARD_LIBVIRT_STATE';

/** What a state file holds (arrays of pairs: VM and node ids are untrusted, never object keys). */
interface SavedState {
  readonly version: 1;
  readonly records: readonly (readonly [VmId, LibvirtVmRecord])[];
  readonly nodeStates: readonly (readonly [NodeId, NodeState])[];
  readonly dead: readonly NodeId[];
  readonly lost: readonly VmId[];
  readonly owned: readonly VmId[];
  readonly defined: readonly VmId[];
}

function isRecord(x: unknown): x is LibvirtVmRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as { state?: unknown; host?: unknown; image?: unknown };
  return r.state === 'waiting' || r.state === 'terminated' || (r.state === 'sleeping' && typeof r.host === 'string' && typeof r.image === 'string');
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
}

function pairs<T>(x: unknown, ok: (v: unknown) => v is T): [string, T][] {
  if (!Array.isArray(x)) return [];
  return x.flatMap((p: unknown) => (Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && ok(p[1]) ? [[p[0], p[1]] as [string, T]] : []));
}

function isNodeState(x: unknown): x is NodeState {
  return x === 'online' || x === 'offline';
}

/**
 * Reads a state file; undefined when it does not exist.
 * @throws SwitchyardError `invalid-options` (path `stateFile`) when it cannot be read or is not one
 */
function readState(file: string): SavedState | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SwitchyardError('invalid-options', [{ path: 'stateFile', message: `cannot read ${file}: ${(e as Error).message}` }]);
  }
  if (typeof raw !== 'object' || raw === null || (raw as { version?: unknown }).version !== 1) throw new SwitchyardError('invalid-options', [{ path: 'stateFile', message: `${file} is not a libvirt executor state file` }]);
  const o = raw as Record<string, unknown>;
  return {
    version: 1,
    records: pairs(o['records'], isRecord),
    nodeStates: pairs(o['nodeStates'], isNodeState),
    dead: strings(o['dead']),
    lost: strings(o['lost']),
    owned: strings(o['owned']),
    defined: strings(o['defined']),
  };
}

/** Writes `data` to `file` atomically and durably (temporary file, fsync, rename). */
function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Pids of the processes (other than ours) whose environment holds `name=value`. */
async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const needle = `${name}=${value}\0`;
  const out: number[] = [];
  for (const e of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const env = await readFile(`/proc/${e}/environ`, 'utf8').catch(() => '');
    if (`\0${env}`.includes(`\0${needle}`)) out.push(Number(e));
  }
  return out;
}

/** What one online node lists. */
interface NodeListing {
  readonly all: readonly string[];
  readonly active: readonly string[];
}

function names(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function safeFileName(vm: VmId): string {
  return `${Buffer.from(vm, 'utf8').toString('base64url') || '_'}.img`;
}

/**
 * The libvirt executor (see the module comment for the virsh command of each action).
 *
 * @example
 * ```ts
 * const ex = libvirtExecutor({ nodes: { n1: { uri: 'qemu+ssh://root@n1/system' }, n2: { uri: 'qemu+ssh://root@n2/system' } } });
 * const out = await ex.execute({ id: 0, start: 0, end: 5, type: 'migrate', vm: 'web1', from: 'n1', to: 'n2' }, ctx);
 * await ex.cleanup();
 * ```
 */
export class LibvirtExecutor {
  /** Name in reports. */
  readonly name = 'libvirt';
  private readonly options: LibvirtExecutorOptions;
  private readonly virsh: VirshRunner;
  private readonly nodeStates = new Map<NodeId, NodeState>();
  private readonly records = new Map<VmId, LibvirtVmRecord>();
  private readonly owned = new Set<VmId>();
  private tmp: Promise<string> | undefined;
  private closed = false;
  /** Nodes killed by {@link killNode} and not repaired yet. */
  private readonly dead = new Set<NodeId>();
  /** VMs lost with a node: absent from observe until they run again or are defined again. */
  private readonly lost = new Set<VmId>();
  /** VMs whose domain this executor defined (or found defined) in {@link define}: cleanup undefines them. */
  private readonly definedVms = new Set<VmId>();
  /** Serializes {@link define} calls (each lists every node). */
  private defining: Promise<void> = Promise.resolve();
  /** With a loaded state file: the settling of what the previous process left, before the first observation. */
  private recovering: Promise<void> | undefined;

  /** @param options - nodes, VM records, runner, timeouts */
  constructor(options: LibvirtExecutorOptions) {
    this.options = options;
    this.virsh = options.virsh ?? execFileVirsh(options.stateFile !== undefined ? { env: { ...process.env, [LIBVIRT_STATE_ENV]: options.stateFile } } : {});
    for (const [id, n] of Object.entries(options.nodes)) this.nodeStates.set(id, n.state ?? 'online');
    for (const [id, r] of Object.entries(options.vms ?? {})) this.records.set(id, r);
    for (const vm of options.owned ?? []) this.owned.add(vm);
    const saved = options.stateFile !== undefined ? readState(options.stateFile) : undefined;
    if (saved) {
      for (const [id, st] of saved.nodeStates) if (this.nodeStates.has(id)) this.nodeStates.set(id, st);
      for (const [vm, r] of saved.records) this.records.set(vm, r);
      for (const n of saved.dead) if (this.nodeStates.has(n)) this.dead.add(n);
      for (const vm of saved.lost) this.lost.add(vm);
      for (const vm of saved.owned) this.owned.add(vm);
      for (const vm of saved.defined) this.definedVms.add(vm);
      this.recovering = this.recover();
    }
  }

  /** Saves the state file (when there is one). */
  private save(): void {
    const file = this.options.stateFile;
    if (file === undefined || this.closed) return;
    const state: SavedState = {
      version: 1,
      records: [...this.records],
      nodeStates: [...this.nodeStates],
      dead: [...this.dead],
      lost: [...this.lost],
      owned: [...this.owned],
      defined: [...this.definedVms],
    };
    writeAtomic(file, JSON.stringify(state));
  }

  /**
   * After a restart on a state file: waits until no virsh command of the previous process runs
   * (their effect is then done on the daemons), then leaves every VM active on one node only:
   * running there (a migration cut short may leave a paused source, a paused or running copy on
   * the destination).
   */
  private async recover(): Promise<void> {
    const file = this.options.stateFile!;
    const until = Date.now() + (this.options.orphanWaitMs ?? 120_000);
    while (Date.now() < until && (await processesWithEnv(LIBVIRT_STATE_ENV, file)).length > 0) await new Promise((r) => setTimeout(r, 50));
    const t = this.shortTimeout();
    const online = Object.keys(this.options.nodes).filter((n) => this.nodeStates.get(n) === 'online');
    const lists = await Promise.all(
      online.map(async (n) => {
        const [running, paused] = await Promise.all([this.run(n, ['list', '--state-running', '--name'], t), this.run(n, ['list', '--state-paused', '--name'], t)]);
        return { node: n, running: running.ok ? names(running.stdout) : [], paused: paused.ok ? names(paused.stdout) : [] };
      }),
    );
    const vms = new Set(lists.flatMap((l) => [...l.running, ...l.paused]));
    for (const vm of vms) {
      const running = lists.filter((l) => l.running.includes(vm)).map((l) => l.node);
      const paused = lists.filter((l) => l.paused.includes(vm)).map((l) => l.node);
      if (running.length + paused.length <= 1 && paused.length === 0) continue;
      // keep one copy: a running one if any (the migration switched over), else the first paused one, resumed
      const keep = running[0] ?? paused[0]!;
      for (const n of [...running, ...paused]) if (n !== keep) await this.run(n, ['destroy', '--domain', vm], t);
      if (running.length === 0) await this.run(keep, ['resume', '--domain', vm], t);
    }
    // A define cut short (recorded, not yet defined): define it now, so that its domain outlives a shutdown.
    const xml = this.options.domainXml;
    const home = online[0];
    if (!xml || home === undefined) return;
    const all = await Promise.all(online.map((n) => this.run(n, ['list', '--all', '--name'], t)));
    if (all.some((r) => !r.ok)) return;
    const known = new Set(all.flatMap((r) => (r.ok ? names(r.stdout) : [])));
    for (const vm of this.definedVms) {
      if (known.has(vm) || this.lost.has(vm) || this.records.get(vm)?.state !== 'waiting') continue;
      const file = join(await this.tmpDir(), `${randomUUID()}.xml`);
      await writeFile(file, xml(vm, home), { mode: 0o644 });
      await this.run(home, ['define', '--file', file], t);
      await rm(file, { force: true });
    }
  }

  private uri(node: NodeId): string | undefined {
    return Object.hasOwn(this.options.nodes, node) ? this.options.nodes[node]!.uri : undefined;
  }

  private shortTimeout(): number {
    return this.options.commandTimeoutMs ?? 30_000;
  }

  private longTimeout(ctx: StepContext): number {
    return Math.max(this.options.longCommandTimeoutMs ?? 60_000, 4000 * ctx.expectedSeconds);
  }

  private run(node: NodeId, args: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<VirshResult> {
    const uri = this.uri(node)!;
    return this.virsh.run({ uri, args, timeoutMs, ...(signal ? { signal } : {}) });
  }

  /** Lists one node's domains, or the failure. */
  private async listing(node: NodeId, signal?: AbortSignal): Promise<NodeListing | VirshFailure> {
    const t = this.shortTimeout();
    const [all, active] = await Promise.all([this.run(node, ['list', '--all', '--name'], t, signal), this.run(node, ['list', '--name'], t, signal)]);
    if (!all.ok) return all.failure;
    if (!active.ok) return active.failure;
    return { all: names(all.stdout), active: names(active.stdout) };
  }

  /** Observes every node; also returns the listings for the actions' own checks. */
  private async snapshot(signal?: AbortSignal): Promise<{ config: Configuration; listings: Map<NodeId, NodeListing> }> {
    if (this.recovering) await this.recovering;
    const ids = Object.keys(this.options.nodes);
    const listed = await Promise.all(ids.map((n) => (this.nodeStates.get(n) === 'online' ? this.listing(n, signal) : Promise.resolve(undefined))));
    const listings = new Map<NodeId, NodeListing>();
    let nodes = IMap<NodeId, NodeState>();
    ids.forEach((n, i) => {
      const l = listed[i];
      const up = l !== undefined && !('kind' in l);
      if (up) listings.set(n, l);
      nodes = nodes.set(n, up ? 'online' : 'offline');
    });
    const vms = new Map<VmId, Placement>();
    for (const [n, l] of listings) for (const d of l.active) if (!vms.has(d)) vms.set(d, placement('running', n));
    for (const [vm, r] of this.records) {
      if (vms.has(vm) || this.lost.has(vm)) continue;
      vms.set(vm, r.state === 'sleeping' ? placement('sleeping', r.host) : placement(r.state));
    }
    for (const l of listings.values()) for (const d of l.all) if (!vms.has(d) && !this.lost.has(d)) vms.set(d, placement('waiting'));
    return { config: new Configuration({ vms: IMap(vms), nodes }), listings };
  }

  /**
   * The actual configuration: running VMs as the daemons list them, the recorded waiting,
   * sleeping and terminated VMs, and defined-but-stopped domains as waiting. An online node
   * whose daemon does not answer is reported offline (its VMs are then absent: lost).
   * @returns the configuration
   */
  async observe(): Promise<Configuration> {
    return (await this.snapshot()).config;
  }

  private fail(code: ExecutorErrorCode, message: string, retryable = false): StepOutcome {
    return { ok: false, error: { code, message, retryable } };
  }

  private fromVirsh(what: string, f: VirshFailure, retryableExit = false): StepOutcome {
    const code: ExecutorErrorCode = f.kind === 'timeout' ? 'timeout' : f.kind === 'aborted' ? 'cancelled' : f.kind === 'unreachable' ? 'node-lost' : 'failed';
    return this.fail(code, `${what}: \`${f.command}\` ${f.kind === 'exit' ? `failed${f.exitCode !== undefined ? ` (exit ${f.exitCode})` : ''}` : f.kind}: ${f.detail}`, retryableExit && f.kind === 'exit');
  }

  /** The reason `action` contradicts `c`, or undefined when it is legal there. */
  private contradiction(c: Configuration, action: Action): string | undefined {
    const known = (n: NodeId): string | undefined => (this.uri(n) === undefined ? `node ${JSON.stringify(n)} has no libvirt URI` : undefined);
    const online = (n: NodeId): string | undefined => known(n) ?? (c.isOnline(n) ? undefined : `node ${JSON.stringify(n)} is offline`);
    const vmIs = (vm: VmId, state: string, host?: NodeId): string | undefined => {
      const p = c.vms.get(vm);
      if (!p) return `vm ${JSON.stringify(vm)} is nowhere to be found`;
      if (p.state !== state || (host !== undefined && p.host !== host)) {
        return `vm ${JSON.stringify(vm)} is ${p.state}${p.host !== undefined ? ` on ${JSON.stringify(p.host)}` : ''}, not ${state}${host !== undefined ? ` on ${JSON.stringify(host)}` : ''}`;
      }
      return undefined;
    };
    switch (action.type) {
      case 'migrate':
        if (action.from === action.to) return `migrate of vm ${JSON.stringify(action.vm)} has the same source and destination ${JSON.stringify(action.to)}`;
        return known(action.from) ?? vmIs(action.vm, 'running', action.from) ?? online(action.to);
      case 'boot':
        return vmIs(action.vm, 'waiting') ?? online(action.to);
      case 'shutdown':
      case 'suspend':
        return known(action.from) ?? vmIs(action.vm, 'running', action.from);
      case 'resume':
        return known(action.from) ?? vmIs(action.vm, 'sleeping', action.from) ?? online(action.to);
      case 'bootNode':
        if (this.dead.has(action.node)) return `node ${JSON.stringify(action.node)} is dead (killed, not repaired)`;
        return known(action.node) ?? (c.isOnline(action.node) ? `node ${JSON.stringify(action.node)} is already online` : undefined);
      case 'shutdownNode': {
        const why = online(action.node);
        if (why) return why;
        const vms = c.runningOn(action.node);
        return vms.length > 0 ? `node ${JSON.stringify(action.node)} still runs ${vms.map((v) => JSON.stringify(v)).join(', ')}` : undefined;
      }
    }
  }

  /**
   * Pre-check: is the VM where the plan thinks, are the nodes known and online? Runs only
   * `list` commands.
   * @param action - the action
   * @param context - signal and budget
   * @returns ok, or a `precheck` error naming the VM and node
   */
  async check(action: Action, context: StepContext): Promise<StepOutcome> {
    if (context.signal.aborted) return this.fail('cancelled', `${describe(action)}: cancelled before the pre-check`);
    const { config } = await this.snapshot(context.signal);
    if (context.signal.aborted) return this.fail('cancelled', `${describe(action)}: cancelled during the pre-check`);
    const why = this.contradiction(config, action);
    return why ? this.fail('precheck', `${describe(action)}: ${why}`) : STEP_OK;
  }

  /**
   * Carries out one action through virsh (pre-checked first; a contradicted action does nothing).
   * @param action - the action
   * @param context - signal (aborting kills virsh), attempt, expected duration
   * @returns ok, or a typed error naming the VM, node and virsh command
   */
  async execute(action: Action, context: StepContext): Promise<StepOutcome> {
    if (this.closed) return this.fail('failed', `${describe(action)}: the executor was cleaned up`);
    if (this.options.actions && !this.options.actions.includes(action.type)) return this.fail('unsupported', `${describe(action)}: this libvirt executor was set up without ${action.type}`);
    const pre = await this.check(action, context);
    if (!pre.ok) return pre;
    const out = await this.carryOut(action, context);
    const dead = nodesOfAction(action).filter((n) => this.dead.has(n));
    if (dead.length === 0) return out;
    // A node of the action died meanwhile: nothing of the VM may survive there.
    if ('vm' in action && 'to' in action && this.dead.has(action.to)) {
      await this.run(action.to, ['destroy', '--domain', action.vm], this.shortTimeout());
      this.lost.add(action.vm);
      this.records.delete(action.vm);
      this.save();
    }
    return this.fail('node-lost', `${describe(action)}: node ${dead.map((n) => JSON.stringify(n)).join(', ')} died during the action`);
  }

  private carryOut(action: Action, context: StepContext): Promise<StepOutcome> {
    const what = describe(action);
    const s = context.signal;
    switch (action.type) {
      case 'migrate':
        return this.migrate(action.vm, action.from, action.to, context, what);
      case 'boot':
        return this.boot(action.vm, action.to, context, what);
      case 'shutdown':
        return this.shutdown(action.vm, action.from, s, what);
      case 'suspend':
        return this.suspend(action.vm, action.from, context, what);
      case 'resume':
        return this.resume(action.vm, action.to, context, what);
      case 'bootNode':
      case 'shutdownNode':
        return this.power(action.type, action.node, s, what);
    }
  }

  private async migrate(vm: VmId, from: NodeId, to: NodeId, ctx: StepContext, what: string): Promise<StepOutcome> {
    const dest = this.options.nodes[to]!;
    const args = ['migrate', '--live', '--domain', vm, '--desturi', dest.uri, ...(dest.migrateUri ? ['--migrateuri', dest.migrateUri] : []), ...(this.options.migrateArgs ?? [])];
    const r = await this.run(from, args, this.longTimeout(ctx), ctx.signal);
    if (r.ok) return STEP_OK;
    await this.settleMigration(vm, from, to);
    return this.fromVirsh(what, r.failure);
  }

  /**
   * After a failed or aborted migration, leaves the VM in one place: running on the destination
   * if the switch-over happened, else running on the source (a paused source is resumed, a
   * paused leftover on the destination destroyed).
   */
  private async settleMigration(vm: VmId, from: NodeId, to: NodeId): Promise<void> {
    const t = this.shortTimeout();
    const state = async (n: NodeId): Promise<string | undefined> => {
      const r = await this.run(n, ['domstate', '--domain', vm], t);
      return r.ok ? r.stdout.trim().split('\n')[0]?.trim() : undefined;
    };
    // Let the daemons finish their side of the aborted job first.
    for (let i = 0; i < 20; i++) {
      const [src, dst] = await Promise.all([state(from), state(to)]);
      if (dst === 'running' && src !== 'running') {
        if (src !== undefined && src !== 'shut off') await this.run(from, ['destroy', '--domain', vm], t);
        return;
      }
      if (src === 'running' || src === 'paused') {
        if (dst !== undefined && dst !== 'shut off') await this.run(to, ['destroy', '--domain', vm], t);
        if (src === 'paused') await this.run(from, ['resume', '--domain', vm], t);
        if ((await state(from)) === 'running') return;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  private async boot(vm: VmId, to: NodeId, ctx: StepContext, what: string): Promise<StepOutcome> {
    const l = await this.listing(to, ctx.signal);
    if ('kind' in l) return this.fromVirsh(what, l);
    this.owned.add(vm);
    this.save();
    let r: VirshResult;
    if (l.all.includes(vm)) r = await this.run(to, ['start', '--domain', vm], this.longTimeout(ctx), ctx.signal);
    else {
      const defined = await this.definitionElsewhere(vm, to, ctx.signal);
      if (defined === undefined && !this.options.domainXml) return this.fail('failed', `${what}: node ${JSON.stringify(to)} defines no domain ${JSON.stringify(vm)} and the executor has no domainXml to create it`);
      const file = join(await this.tmpDir(), `${randomUUID()}.xml`);
      await writeFile(file, defined ?? this.options.domainXml!(vm, to), { mode: 0o644 });
      r = await this.run(to, ['create', '--file', file], this.longTimeout(ctx), ctx.signal);
      await rm(file, { force: true });
    }
    if (!r.ok) return this.fromVirsh(what, r.failure);
    this.records.delete(vm);
    this.lost.delete(vm);
    this.save();
    return STEP_OK;
  }

  /** The XML of `vm` as another online node defines it (with its UUID), or undefined. */
  private async definitionElsewhere(vm: VmId, to: NodeId, signal: AbortSignal): Promise<string | undefined> {
    const t = this.shortTimeout();
    const others = Object.keys(this.options.nodes).filter((n) => n !== to && this.nodeStates.get(n) === 'online');
    const lists = await Promise.all(others.map((n) => this.run(n, ['list', '--all', '--name'], t, signal)));
    for (const [i, n] of others.entries()) {
      const all = lists[i]!;
      if (!all.ok || !names(all.stdout).includes(vm)) continue;
      const xml = await this.run(n, ['dumpxml', '--inactive', '--domain', vm], t, signal);
      if (xml.ok && xml.stdout.includes('<domain')) return xml.stdout;
    }
    return undefined;
  }

  /**
   * Makes a submitted VM known, waiting: `virsh define` of its domain XML on the first online
   * node, unless some online node already defines it (the definition outlives this process; a
   * later `boot` starts it, on that node or from that definition elsewhere). A VM shut down or
   * lost with its node becomes waiting again; a VM that runs or sleeps is left as it is.
   * Never rejects: when `virsh define` fails the VM is still recorded waiting, and `boot`
   * creates its domain from the XML.
   * @param vm - the VM (its id is untrusted: it reaches virsh only as one argument, the XML escaped)
   * @returns ok, or why not (cleaned up; no domainXml and no node defines it)
   * @example
   * ```ts
   * await ex.define({ id: 'b0v0', demand: { cpu: 4, memory: 16384 } });
   * await ex.execute({ id: 0, start: 0, end: 1, type: 'boot', vm: 'b0v0', to: 'n2' }, ctx);
   * ```
   */
  define(vm: { readonly id: VmId }): Promise<StepOutcome> {
    const next = this.defining.then(() => this.defineNow(vm.id));
    this.defining = next.then(
      () => undefined,
      () => undefined,
    );
    return next.catch((e: unknown) => this.fail('failed', `define vm ${JSON.stringify(vm.id)}: ${(e as Error)?.message ?? String(e)}`));
  }

  private async defineNow(vm: VmId): Promise<StepOutcome> {
    if (this.closed) return this.fail('failed', `define vm ${JSON.stringify(vm)}: the executor was cleaned up`);
    const { listings } = await this.snapshot();
    if ([...listings.values()].some((l) => l.active.includes(vm))) return STEP_OK;
    const rec = this.records.get(vm);
    if (rec?.state === 'sleeping' && !this.lost.has(vm)) return STEP_OK;
    const definedSomewhere = [...listings.values()].some((l) => l.all.includes(vm));
    if (!this.options.domainXml && !definedSomewhere) return this.fail('failed', `define vm ${JSON.stringify(vm)}: no node defines it and the executor has no domainXml`);
    this.lost.delete(vm);
    this.owned.add(vm);
    this.records.set(vm, { state: 'waiting' });
    this.definedVms.add(vm);
    this.save();
    const home = Object.keys(this.options.nodes).find((n) => listings.has(n));
    if (definedSomewhere || home === undefined || !this.options.domainXml) return STEP_OK;
    const file = join(await this.tmpDir(), `${randomUUID()}.xml`);
    await writeFile(file, this.options.domainXml(vm, home), { mode: 0o644 });
    await this.run(home, ['define', '--file', file], this.shortTimeout()); // on failure boot creates it from the XML
    await rm(file, { force: true });
    return STEP_OK;
  }

  /**
   * Pulls a node's plug: it goes offline until {@link repairNode} (its daemon is no longer asked,
   * `bootNode` refuses it), every domain running there is destroyed, and the VMs that ran there
   * or slept on an image of its disk are lost (absent from `observe` until defined again).
   * Actions in flight on it end with `node-lost`.
   * @param node - the node
   * @example
   * ```ts
   * await ex.killNode('n3');
   * ```
   */
  async killNode(node: NodeId): Promise<void> {
    if (this.uri(node) === undefined || this.dead.has(node)) return;
    // At once (before any await): the node is offline, the images on its disk are gone.
    this.dead.add(node);
    this.nodeStates.set(node, 'offline');
    const images: string[] = [];
    for (const [vm, r] of [...this.records]) {
      if (r.state !== 'sleeping' || r.host !== node) continue;
      this.records.delete(vm);
      this.lost.add(vm);
      images.push(r.image);
    }
    this.save();
    const l = await this.listing(node);
    if (!('kind' in l)) {
      for (const d of l.active) this.lost.add(d);
      this.save();
      await Promise.all(l.active.map((d) => this.run(node, ['destroy', '--domain', d], this.shortTimeout())));
    }
    await Promise.all(images.map((i) => rm(i, { force: true }).catch(() => undefined)));
  }

  /**
   * Brings a node killed by {@link killNode} back, online and empty: every domain still defined
   * on it is undefined (a fresh disk). Does nothing for a node that is not dead.
   * @param node - the node
   * @example
   * ```ts
   * await ex.repairNode('n3');
   * ```
   */
  async repairNode(node: NodeId): Promise<void> {
    if (!this.dead.has(node)) return;
    const l = await this.listing(node);
    if (!('kind' in l)) {
      const t = this.shortTimeout();
      await Promise.all(l.active.map((d) => this.run(node, ['destroy', '--domain', d], t)));
      await Promise.all(l.all.map((d) => this.run(node, ['undefine', '--domain', d], t)));
    }
    this.dead.delete(node);
    this.nodeStates.set(node, 'online');
    this.save();
  }

  private async shutdown(vm: VmId, from: NodeId, signal: AbortSignal, what: string): Promise<StepOutcome> {
    const t = this.shortTimeout();
    // Written ahead: while the domain runs, observe shows it running; once it is off, shut down.
    this.records.set(vm, { state: 'terminated' });
    this.save();
    const r = await this.run(from, ['shutdown', '--domain', vm], t, signal);
    if (!r.ok && r.failure.kind !== 'exit') return this.fromVirsh(what, r.failure);
    const deadline = Date.now() + (this.options.shutdownGraceMs ?? 5000);
    for (;;) {
      const st = await this.run(from, ['domstate', '--domain', vm], t, signal);
      if (!st.ok && st.failure.kind !== 'exit') return this.fromVirsh(what, st.failure);
      const state = st.ok ? st.stdout.trim().split('\n')[0]?.trim() : 'gone';
      if (state === 'shut off' || state === 'gone') break;
      if (Date.now() >= deadline) {
        const d = await this.run(from, ['destroy', '--domain', vm], t, signal);
        if (!d.ok) {
          const again = await this.run(from, ['domstate', '--domain', vm], t);
          if (!again.ok && again.failure.kind === 'exit') break; // gone meanwhile
          if (again.ok && again.stdout.trim().startsWith('shut off')) break;
          return this.fromVirsh(what, d.failure, true);
        }
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    this.records.set(vm, { state: 'terminated' });
    this.save();
    return STEP_OK;
  }

  private async suspend(vm: VmId, from: NodeId, ctx: StepContext, what: string): Promise<StepOutcome> {
    const dir = this.options.nodes[from]!.imageDir ?? this.options.imageDir ?? (await this.tmpDir());
    const image = join(dir, safeFileName(vm));
    const before = this.records.get(vm);
    // Written ahead, as for shutdown: a running domain wins over it.
    this.records.set(vm, { state: 'sleeping', host: from, image });
    this.save();
    const r = await this.run(from, ['save', '--domain', vm, '--file', image], this.longTimeout(ctx), ctx.signal);
    if (!r.ok) {
      // A failed or aborted save leaves the domain running (libvirt cancels the job) or saved: find which.
      const st = await this.run(from, ['domstate', '--domain', vm], this.shortTimeout());
      const state = st.ok ? st.stdout.trim() : '';
      if (state.startsWith('paused')) await this.run(from, ['resume', '--domain', vm], this.shortTimeout());
      if (state.startsWith('running') || state.startsWith('paused') || (!st.ok && st.failure.kind !== 'exit')) {
        if (before) this.records.set(vm, before);
        else this.records.delete(vm);
        this.save();
        return this.fromVirsh(what, r.failure);
      }
    }
    this.records.set(vm, { state: 'sleeping', host: from, image });
    this.save();
    return r.ok ? STEP_OK : this.fromVirsh(what, r.failure);
  }

  private async resume(vm: VmId, to: NodeId, ctx: StepContext, what: string): Promise<StepOutcome> {
    const rec = this.records.get(vm);
    if (rec?.state !== 'sleeping') return this.fail('precheck', `${what}: vm ${JSON.stringify(vm)} has no image`);
    const r = await this.run(to, ['restore', '--file', rec.image], this.longTimeout(ctx), ctx.signal);
    if (!r.ok) {
      const st = await this.run(to, ['domstate', '--domain', vm], this.shortTimeout());
      if (!(st.ok && st.stdout.trim().startsWith('running'))) return this.fromVirsh(what, r.failure);
    }
    this.records.delete(vm);
    this.owned.add(vm);
    this.save();
    await rm(rec.image, { force: true }).catch(() => undefined);
    return r.ok ? STEP_OK : this.fromVirsh(what, r.failure);
  }

  private async power(type: 'bootNode' | 'shutdownNode', node: NodeId, signal: AbortSignal, what: string): Promise<StepOutcome> {
    const hooks = this.options.power;
    if (hooks) {
      const out = await (type === 'bootNode' ? hooks.bootNode(node, signal) : hooks.shutdownNode(node, signal));
      if (!out.ok) return out;
    } else if (type === 'bootNode') {
      const r = await this.run(node, ['uri'], this.shortTimeout(), signal);
      if (!r.ok) return this.fromVirsh(`${what} (its daemon must answer)`, r.failure, true);
    }
    this.nodeStates.set(node, type === 'bootNode' ? 'online' : 'offline');
    this.save();
    return STEP_OK;
  }

  /**
   * Reads one 32-bit word of a running guest's memory through the QEMU monitor
   * (`qemu-monitor-command --hmp 'xp /1wu ADDRESS'`): with the counting boot sector, its counter.
   * @param vm - the VM (it must be running on some online node)
   * @param address - guest-physical address (default the counter of `counterBootSector()`)
   * @returns the value, or undefined when the VM runs nowhere or the monitor refused
   * @example
   * ```ts
   * const before = await ex.guestWord('vm1'); // ... migrate ... (await ex.guestWord('vm1')) > before
   * ```
   */
  async guestWord(vm: VmId, address: number = COUNTER_ADDRESS): Promise<number | undefined> {
    const { config } = await this.snapshot();
    const p = config.vms.get(vm);
    if (p?.state !== 'running' || p.host === undefined) return undefined;
    const r = await this.run(p.host, ['qemu-monitor-command', '--hmp', '--domain', vm, '--cmd', `xp /1wu 0x${address.toString(16)}`], this.shortTimeout());
    const m = r.ok ? /:\s*(\d+)/.exec(r.stdout) : null;
    return m ? Number(m[1]) : undefined;
  }

  private tmpDir(): Promise<string> {
    // one directory per executor, also when several boots ask at once
    this.tmp ??= mkdtemp(join(tmpdir(), 'sy-virsh-')).then(async (dir) => {
      await chmod(dir, 0o1777); // the daemons (maybe another user) read the XML and write images here
      return dir;
    });
    return this.tmp;
  }

  /**
   * Destroys the domains of owned VMs on every node (when `owned` was given or VMs were booted),
   * undefines the domains {@link define} defined,
   * removes the images of owned sleeping VMs when they are local files, closes virsh, removes its
   * scratch directory (unless it holds the image of a sleeping VM it does not own).
   * Idempotent.
   */
  async cleanup(): Promise<void> {
    if (!this.closed && this.owned.size > 0) {
      const t = this.shortTimeout();
      await Promise.all(
        Object.keys(this.options.nodes).map(async (n) => {
          const l = await this.listing(n);
          if ('kind' in l) return;
          for (const d of l.active) if (this.owned.has(d)) await this.run(n, ['destroy', '--domain', d], t);
          for (const d of l.all) if (this.definedVms.has(d)) await this.run(n, ['undefine', '--domain', d], t);
        }),
      );
      for (const [vm, r] of this.records) if (r.state === 'sleeping' && this.owned.has(vm)) await rm(r.image, { force: true }).catch(() => undefined);
    }
    this.closed = true;
    await this.virsh.close();
    const tmp = this.tmp;
    this.tmp = undefined;
    if (tmp) {
      const dir = await tmp;
      // keep images of sleeping VMs this executor does not own: they are VMs, not scratch files
      const keep = [...this.records].some(([vm, r]) => r.state === 'sleeping' && !this.owned.has(vm) && r.image.startsWith(`${dir}/`));
      if (!keep) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function describe(a: Action): string {
  switch (a.type) {
    case 'migrate':
      return `migrate vm ${JSON.stringify(a.vm)} from ${JSON.stringify(a.from)} to ${JSON.stringify(a.to)}`;
    case 'boot':
      return `boot vm ${JSON.stringify(a.vm)} on ${JSON.stringify(a.to)}`;
    case 'shutdown':
      return `shutdown vm ${JSON.stringify(a.vm)} on ${JSON.stringify(a.from)}`;
    case 'suspend':
      return `suspend vm ${JSON.stringify(a.vm)} on ${JSON.stringify(a.from)}`;
    case 'resume':
      return `resume vm ${JSON.stringify(a.vm)} from ${JSON.stringify(a.from)} on ${JSON.stringify(a.to)}`;
    case 'bootNode':
      return `bootNode ${JSON.stringify(a.node)}`;
    case 'shutdownNode':
      return `shutdownNode ${JSON.stringify(a.node)}`;
  }
}

/**
 * Builds a {@link LibvirtExecutor}, checked against the executor contract at compile time.
 * @param options - nodes (id → URI), VM records, domain XML, runner, timeouts
 * @returns the executor
 * @example
 * ```ts
 * const ex = libvirtExecutor({
 *   nodes: { n1: { uri: 'qemu+ssh://root@n1/system' }, n2: { uri: 'qemu+ssh://root@n2/system' } },
 *   vms: { batch7: { state: 'sleeping', host: 'n1', image: '/shared/images/batch7.img' } },
 * });
 * ```
 */
export function libvirtExecutor(options: LibvirtExecutorOptions): LibvirtExecutor {
  return new LibvirtExecutor(options) satisfies Executor;
}
