/**
 * The QEMU executor: every VM is a real `qemu-system-x86_64` process (software emulation,
 * `-accel tcg`) running the tiny counting guest of `guest.ts`, driven over QMP. Nodes are
 * simulated: a node is a directory of the executor (its QMP sockets and its VMs' suspend
 * images) and a power state; the processes of all nodes run on this machine.
 *
 * - `migrate`: a destination process with `-incoming defer` on the target node,
 *   `migrate-incoming unix:…` there, `migrate unix:…` on the source, wait for `completed`, check
 *   the destination runs, `quit` the source. On a failure the source keeps (or resumes) the guest.
 * - `suspend`: `stop`, `migrate exec:cat > IMAGE` (QEMU 7.2 has no `file:` URI), `quit`.
 * - `resume`: the image is moved to the target node when it lies elsewhere, a process with
 *   `-incoming defer`, `migrate-incoming exec:cat IMAGE`, `cont`.
 * - `boot`: a fresh process; `shutdown`: `quit`.
 * - `bootNode` / `shutdownNode`: the node's power state; a node shuts down only when no
 *   process runs on it.
 * - Workloads over time: {@link QemuExecutor.define} makes a submitted VM known (waiting, no
 *   process), {@link QemuExecutor.killNode} pulls a node's plug, {@link QemuExecutor.repairNode}
 *   brings it back empty.
 *
 * Processes are named `switchyard-<vm>` and started under `setpriv --pdeathsig KILL`, so they die
 * with this process; {@link QemuExecutor.cleanup} kills every one and removes the directory.
 */
import { rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Map as IMap } from 'immutable';
import { Configuration, placement } from '../../model/configuration.js';
import type { NodeId, VmId } from '../../model/ids.js';
import type { Instance } from '../../model/instance.js';
import type { NodeState } from '../../model/node.js';
import type { VmState } from '../../model/vm.js';
import type { Action, BootAction, MigrateAction, ResumeAction, ShutdownAction } from '../../model/action.js';
import { nodesOfAction } from '../actions.js';
import { STEP_OK, stepFailed, type CheckpointOutcome, type Executor, type StepContext, type StepOutcome } from '../types.js';
import { COUNTER_ADDRESS, counterBootSector, parseCounterLog, type CounterLog } from './guest.js';
import { MAX_SOCKET_PATH, QemuProcess, safePath } from './process.js';

/** Options of {@link QemuExecutor.create}. */
export interface QemuExecutorOptions {
  /** Guest memory in MiB (default 16). */
  readonly memoryMiB?: number;
  /** Parent of the executor's directory (default the OS temp dir when short enough, else `/tmp`). */
  readonly parentDir?: string;
  /** The emulator binary (default `qemu-system-x86_64`). */
  readonly binary?: string;
  /** Cap on migration bandwidth in bytes/s (QMP `max-bandwidth`); default QEMU's own. */
  readonly maxBandwidth?: number;
  /** At most this many guests started at once while provisioning (default 4). */
  readonly startConcurrency?: number;
  /**
   * Called once a migration is under way (source `migrate` issued), with both process ids:
   * tests use it to kill a destination mid-migration.
   */
  readonly onMigrationStarted?: (info: { readonly vm: VmId; readonly sourcePid: number; readonly destinationPid: number }) => void;
}

/** Figures of one completed live migration. */
export interface MigrationRecord {
  readonly vm: VmId;
  readonly from: NodeId;
  readonly to: NodeId;
  /** Wall milliseconds of the whole action (destination start to source quit). */
  readonly wallMs: number;
  /** Milliseconds from the source's `migrate` to its `completed` event (the stream, measured here). */
  readonly streamMs: number;
  /** QEMU's own `setup-time` + `total-time`, in ms. */
  readonly qemuTotalMs: number;
  /** QEMU's `downtime`: how long the guest was paused at the switch-over, in ms. */
  readonly downtimeMs: number;
}

interface NodeRec {
  readonly id: NodeId;
  readonly dir: string;
  state: NodeState;
  /** Killed by {@link QemuExecutor.killNode}: offline for good, its disk gone. */
  dead: boolean;
}

interface VmRec {
  readonly id: VmId;
  readonly index: number;
  state: VmState;
  host: NodeId | undefined;
  process: QemuProcess | undefined;
  image: string | undefined;
  /** The last checkpoint: an image of the running guest on another node. */
  checkpoint: { readonly node: NodeId; readonly path: string } | undefined;
  /** Gone with its node (no checkpoint): absent from observe. */
  lost: boolean;
  busy: boolean;
  generation: number;
}

class StepError extends Error {
  constructor(
    readonly outcome: StepOutcome & { ok: false },
  ) {
    super(outcome.error.message);
  }
}

function fail(code: Parameters<typeof stepFailed>[0], message: string, retryable = false): never {
  throw new StepError(stepFailed(code, message, retryable) as StepOutcome & { ok: false });
}

const q = (s: string): string => JSON.stringify(s);

function describe(a: Action): string {
  switch (a.type) {
    case 'migrate':
      return `migrate ${q(a.vm)} ${q(a.from)}→${q(a.to)}`;
    case 'boot':
      return `boot ${q(a.vm)} on ${q(a.to)}`;
    case 'shutdown':
      return `shutdown ${q(a.vm)} on ${q(a.from)}`;
    case 'suspend':
      return `suspend ${q(a.vm)} on ${q(a.from)}`;
    case 'resume':
      return `resume ${q(a.vm)} ${q(a.from)}→${q(a.to)}`;
    case 'bootNode':
      return `bootNode ${q(a.node)}`;
    case 'shutdownNode':
      return `shutdownNode ${q(a.node)}`;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits `ms` unless the signal aborts first (then rejects with a `cancelled` step error). */
async function pause(ms: number, signal: AbortSignal, what: string): Promise<void> {
  if (signal.aborted) fail('cancelled', `${what}: aborted`);
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    fail('cancelled', `${what}: aborted`);
  }
}

interface MigrateStatus {
  readonly status?: string;
  readonly 'total-time'?: number;
  readonly 'setup-time'?: number;
  readonly downtime?: number;
  readonly 'error-desc'?: string;
}

/**
 * Carries out plan actions on real QEMU guests (see the module comment). Build one with
 * {@link QemuExecutor.create}, give it its world with {@link QemuExecutor.provision}, and always
 * call {@link QemuExecutor.cleanup} (idempotent) when done.
 *
 * @example
 * ```ts
 * const qemu = await QemuExecutor.create();
 * try {
 *   await qemu.provision(instance);            // starts the running VMs, writes the sleeping ones' images
 *   const out = await qemu.execute(plan.actions[0]!, { signal: AbortSignal.timeout(10_000), attempt: 1, expectedSeconds: 1 });
 *   console.log(out.ok, (await qemu.observe()).hostOf('vm1'));
 * } finally {
 *   await qemu.cleanup();
 * }
 * ```
 */
export class QemuExecutor implements Executor {
  /** `qemu`. */
  readonly name = 'qemu';
  /** The executor's own directory: node directories, sockets, images, serial logs. */
  readonly directory: string;
  private readonly options: QemuExecutorOptions;
  private readonly nodes = new Map<NodeId, NodeRec>();
  private readonly vms = new Map<VmId, VmRec>();
  private readonly bootImage: string;
  private readonly migrationLog: MigrationRecord[] = [];
  private cleaned = false;
  private readonly onExit = (): void => {
    for (const v of this.vms.values()) v.process?.killNow();
    for (const p of this.strays.keys()) p.killNow();
    rmSync(this.directory, { recursive: true, force: true });
  };
  private readonly strays = new Map<QemuProcess, NodeId>();

  private constructor(directory: string, options: QemuExecutorOptions) {
    this.directory = directory;
    this.options = options;
    this.bootImage = join(directory, 'boot.bin');
    process.on('exit', this.onExit);
  }

  /**
   * Makes an executor with its own short directory (socket paths stay under 107 bytes) and the
   * guest's boot sector in it. It knows no node or VM until {@link provision}.
   * @param options - memory, directory, binary, bandwidth cap, hooks
   * @returns the executor
   * @example
   * ```ts
   * const qemu = await QemuExecutor.create({ memoryMiB: 16 });
   * ```
   */
  static async create(options: QemuExecutorOptions = {}): Promise<QemuExecutor> {
    const parent = options.parentDir ?? (tmpdir().length <= 40 && /^[A-Za-z0-9/._-]+$/.test(tmpdir()) ? tmpdir() : '/tmp');
    const dir = safePath(await mkdtemp(join(parent, 'sy-')));
    const ex = new QemuExecutor(dir, options);
    await writeFile(ex.bootImage, counterBootSector());
    await mkdir(join(dir, 'console'));
    return ex;
  }

  /**
   * Builds the world of an instance: a directory per node, a guest process for each running VM
   * on its host, a real suspend image (a guest booted, then suspended) for each sleeping VM on
   * its host; waiting and terminated VMs are only recorded.
   * @param instance - the nodes and VMs (their ids may be any strings: they never reach a shell or a path)
   * @throws Error when a guest cannot be started (after killing whatever was started)
   */
  async provision(instance: Instance): Promise<void> {
    for (const n of instance.nodes.values()) {
      if (this.nodes.has(n.id)) continue;
      const dir = join(this.directory, `n${this.nodes.size}`);
      await mkdir(dir);
      this.nodes.set(n.id, { id: n.id, dir, state: n.state, dead: false });
    }
    const toStart: VmRec[] = [];
    for (const v of instance.vms.values()) {
      if (this.vms.has(v.id)) continue;
      const rec: VmRec = { id: v.id, index: this.vms.size, state: v.state, host: v.host, process: undefined, image: undefined, checkpoint: undefined, lost: false, busy: false, generation: 0 };
      this.vms.set(v.id, rec);
      if (v.state === 'running' || v.state === 'sleeping') toStart.push(rec);
    }
    const width = Math.max(1, this.options.startConcurrency ?? 4);
    const queue = [...toStart];
    const errors: string[] = [];
    const worker = async (): Promise<void> => {
      for (let rec = queue.shift(); rec; rec = queue.shift()) {
        try {
          const node = this.nodeOf(rec.host!, rec.id);
          const proc = await this.startProcess(rec, node, false);
          rec.process = proc;
          if (rec.state === 'sleeping') {
            rec.state = 'running';
            await this.waitCounter(rec, 2, AbortSignal.timeout(20_000));
            await this.suspendOn(rec, node, AbortSignal.timeout(20_000), `provision sleeping ${q(rec.id)}`);
          }
        } catch (e) {
          errors.push(e instanceof StepError ? e.outcome.error.message : (e as Error).message);
          queue.length = 0; // start nothing more
        }
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
    if (errors.length > 0) {
      await this.cleanup();
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      throw new Error(`QEMU executor: provisioning failed: ${errors[0]}${more}`);
    }
  }

  private nodeOf(id: NodeId, vm: VmId): NodeRec {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`vm ${q(vm)}: unknown node ${q(id)}`);
    return n;
  }

  private async startProcess(rec: VmRec, node: NodeRec, incoming: boolean, signal?: AbortSignal): Promise<QemuProcess> {
    rec.generation++;
    const qmpSocket = join(node.dir, `v${rec.index}g${rec.generation}.qmp`);
    if (Buffer.byteLength(qmpSocket) > MAX_SOCKET_PATH) throw new Error(`socket path too long: ${qmpSocket}`);
    const proc = await QemuProcess.start(
      {
        vm: rec.id,
        bootImage: this.bootImage,
        consoleLog: this.consolePath(rec),
        qmpSocket,
        memoryMiB: this.options.memoryMiB ?? 16,
        incoming,
        ...(this.options.binary ? { binary: this.options.binary } : {}),
      },
      signal ? { signal } : {},
    );
    this.strays.set(proc, node.id);
    void proc.exited.then(() => this.strays.delete(proc));
    if (this.cleaned || node.dead) {
      await proc.kill();
      throw new Error(this.cleaned ? 'QEMU executor already cleaned up' : `node ${q(node.id)} died`);
    }
    return proc;
  }

  private consolePath(rec: VmRec): string {
    return join(this.directory, 'console', `v${rec.index}.log`);
  }

  private migrationSocket(rec: VmRec, node: NodeRec): string {
    return join(node.dir, `v${rec.index}g${rec.generation}.mig`);
  }

  /**
   * Listens for the end of the outgoing migration of `proc` (QMP `MIGRATION` events, enabled by
   * the `events` capability). Events, not `query-migrate` polls: on a process that was itself a
   * migration destination, `query-migrate` answers the old incoming `completed` until the new
   * outgoing stream has connected.
   */
  private async armMigration(proc: QemuProcess): Promise<{ readonly ended: Promise<string>; readonly dispose: () => void }> {
    let dispose = (): void => undefined;
    const ended = new Promise<string>((resolve) => {
      const off = proc.qmp.onEvent((e) => {
        const status = e.data?.['status'];
        if (e.event === 'MIGRATION' && (status === 'completed' || status === 'failed' || status === 'cancelled')) resolve(status);
      });
      void proc.exited.then(() => resolve('process-exited'));
      dispose = off;
    });
    await proc.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    return { ended, dispose };
  }

  /** Waits for the armed migration to end (or the signal: then `migrate_cancel`); returns QEMU's figures. */
  private async waitMigration(proc: QemuProcess, armed: { readonly ended: Promise<string>; readonly dispose: () => void }, signal: AbortSignal, what: string): Promise<MigrateStatus> {
    try {
      const aborted = new Promise<'aborted'>((resolve) => {
        if (signal.aborted) resolve('aborted');
        signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      });
      let end = await Promise.race([armed.ended, aborted]);
      if (end === 'aborted') {
        await proc.qmp.execute('migrate_cancel').catch(() => undefined);
        // wait for the cancel to land, so the source runs again before we report
        end = await Promise.race([armed.ended, sleep(5000).then(() => 'stuck')]);
        if (end !== 'completed') {
          fail(signal.reason instanceof Error && signal.reason.name === 'TimeoutError' ? 'timeout' : 'cancelled', `${what}: aborted during the migration`);
        }
      }
      if (end === 'process-exited') fail('failed', `${what}: the source QEMU died during the migration${proc.stderr ? `: ${proc.stderr}` : ''}`);
      const st = await proc.qmp.execute<MigrateStatus>('query-migrate').catch(() => ({}) as MigrateStatus);
      return { ...st, status: end };
    } finally {
      armed.dispose();
    }
  }

  private async status(proc: QemuProcess): Promise<string> {
    const s = await proc.qmp.execute<{ status: string }>('query-status');
    return s.status;
  }

  private async waitStatus(proc: QemuProcess, accept: (status: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
      let s: string;
      try {
        s = await this.status(proc);
      } catch (e) {
        fail('failed', `${what}: QEMU stopped answering (${(e as Error).message})${proc.stderr ? `: ${proc.stderr}` : ''}`);
      }
      if (accept(s)) return s;
      if (Date.now() > deadline) fail('failed', `${what}: QEMU still "${s}" after ${timeoutMs} ms`);
      await sleep(delay);
    }
  }

  /** Waits until the guest's counter (read over QMP) reaches `value`. */
  private async waitCounter(rec: VmRec, value: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      const c = await this.counter(rec.id);
      if (c !== undefined && c >= value) return;
      await pause(20, signal, `waiting for ${q(rec.id)} to count`);
    }
  }

  private async suspendOn(rec: VmRec, node: NodeRec, signal: AbortSignal, what: string): Promise<void> {
    const proc = rec.process!;
    const image = safePath(join(node.dir, `v${rec.index}.img`));
    let armed: Awaited<ReturnType<QemuExecutor['armMigration']>>;
    try {
      armed = await this.armMigration(proc);
      await proc.qmp.execute('stop');
      await proc.qmp.execute('migrate', { uri: `exec:cat > ${image}` });
    } catch (e) {
      await proc.qmp.execute('cont').catch(() => undefined);
      fail('failed', `${what}: QEMU refused (${(e as Error).message})`, true);
    }
    let st: MigrateStatus;
    try {
      st = await this.waitMigration(proc, armed, signal, what);
    } catch (e) {
      await proc.qmp.execute('cont').catch(() => undefined);
      await unlink(image).catch(() => undefined);
      throw e;
    }
    if (st.status !== 'completed') {
      await proc.qmp.execute('cont').catch(() => undefined);
      await unlink(image).catch(() => undefined);
      fail('failed', `${what}: writing the image ended "${st.status}"${st['error-desc'] ? `: ${st['error-desc']}` : ''}`, true);
    }
    await proc.quit();
    rec.process = undefined;
    rec.state = 'sleeping';
    rec.host = node.id;
    rec.image = image;
  }

  /**
   * Whether `action` can run now: the VM is where the action says, its nodes are online, no
   * other action holds it. Does nothing.
   * @param action - a plan action
   * @param context - the step context (only its signal is read)
   * @returns ok, or a `precheck` / `unsupported` / `cancelled` error
   */
  async check(action: Action, context: StepContext): Promise<StepOutcome> {
    try {
      if (context.signal.aborted) fail('cancelled', `${describe(action)}: aborted before it started`);
      this.precheck(action);
      return STEP_OK;
    } catch (e) {
      if (e instanceof StepError) return e.outcome;
      return stepFailed('failed', `${describe(action)}: ${(e as Error).message}`);
    }
  }

  private online(id: NodeId, what: string): NodeRec {
    const n = this.nodes.get(id);
    if (!n) fail('precheck', `${what}: unknown node ${q(id)}`);
    if (n.state !== 'online') fail('precheck', `${what}: node ${q(id)} is offline`);
    return n;
  }

  private vmRec(id: VmId, what: string): VmRec {
    const v = this.vms.get(id);
    if (!v) fail('precheck', `${what}: unknown vm ${q(id)}`);
    if (v.lost) fail('precheck', `${what}: vm ${q(id)} was lost with its node`);
    if (v.busy) fail('precheck', `${what}: another action is under way on vm ${q(id)}`, true);
    return v;
  }

  private runningOn(v: VmRec, node: NodeId, what: string): QemuProcess {
    if (v.state !== 'running') fail('precheck', `${what}: vm ${q(v.id)} is ${v.state}, not running`);
    if (v.host !== node) fail('precheck', `${what}: vm ${q(v.id)} runs on ${q(v.host ?? '?')}, not on ${q(node)}`);
    if (!v.process?.alive) fail('precheck', `${what}: the QEMU process of vm ${q(v.id)} is gone`);
    return v.process;
  }

  private precheck(a: Action): void {
    const what = describe(a);
    switch (a.type) {
      case 'migrate': {
        const v = this.vmRec(a.vm, what);
        this.runningOn(v, a.from, what);
        if (a.from === a.to) fail('precheck', `${what}: source and destination are the same node`);
        this.online(a.to, what);
        return;
      }
      case 'boot': {
        const v = this.vmRec(a.vm, what);
        if (v.state !== 'waiting') fail('precheck', `${what}: vm ${q(v.id)} is ${v.state}, not waiting`);
        this.online(a.to, what);
        return;
      }
      case 'shutdown':
      case 'suspend': {
        const v = this.vmRec(a.vm, what);
        this.runningOn(v, a.from, what);
        return;
      }
      case 'resume': {
        const v = this.vmRec(a.vm, what);
        if (v.state !== 'sleeping') fail('precheck', `${what}: vm ${q(v.id)} is ${v.state}, not sleeping`);
        if (v.host !== a.from) fail('precheck', `${what}: the image of vm ${q(v.id)} is on ${q(v.host ?? '?')}, not on ${q(a.from)}`);
        if (!this.nodes.has(a.from)) fail('precheck', `${what}: unknown node ${q(a.from)}`);
        this.online(a.to, what);
        return;
      }
      case 'bootNode': {
        const n = this.nodes.get(a.node);
        if (!n) fail('precheck', `${what}: unknown node ${q(a.node)}`);
        if (n.dead) fail('precheck', `${what}: node ${q(a.node)} is dead`);
        if (n.state !== 'offline') fail('precheck', `${what}: node ${q(a.node)} is already online`);
        return;
      }
      case 'shutdownNode': {
        const n = this.online(a.node, what);
        const here = [...this.vms.values()].filter((v) => v.host === n.id && !v.lost && (v.state === 'running' || v.busy)).map((v) => v.id);
        if (here.length > 0) fail('precheck', `${what}: node ${q(a.node)} still runs ${here.map(q).join(', ')}`);
        return;
      }
    }
  }

  /**
   * Carries out one action on the guests (see the module comment). Never rejects.
   * @param action - a plan action
   * @param context - the abort signal (timeout or cancel), attempt number, expected seconds
   * @returns ok once the action has had its full effect, or the typed error; on a failure the
   *   VM is where {@link observe} says (its source, unless the switch-over happened)
   */
  async execute(action: Action, context: StepContext): Promise<StepOutcome> {
    const what = describe(action);
    let rec: VmRec | undefined;
    try {
      if (this.cleaned) fail('failed', `${what}: the QEMU executor was cleaned up`);
      if (context.signal.aborted) fail('cancelled', `${what}: aborted before it started`);
      this.precheck(action);
      if ('vm' in action) {
        rec = this.vms.get(action.vm)!;
        rec.busy = true;
      }
      switch (action.type) {
        case 'migrate':
          await this.migrate(rec!, action, context.signal);
          break;
        case 'boot':
          await this.boot(rec!, action, context.signal);
          break;
        case 'shutdown':
          await this.shutdown(rec!, action);
          break;
        case 'suspend':
          await this.suspendOn(rec!, this.nodes.get(action.from)!, context.signal, what);
          break;
        case 'resume':
          await this.resume(rec!, action, context.signal);
          break;
        case 'bootNode':
          this.nodes.get(action.node)!.state = 'online';
          break;
        case 'shutdownNode':
          this.nodes.get(action.node)!.state = 'offline';
          break;
      }
      return STEP_OK;
    } catch (e) {
      const dead = nodesOfAction(action).filter((n) => this.nodes.get(n)?.dead);
      if (dead.length > 0 && !(e instanceof StepError && e.outcome.error.code === 'precheck')) {
        return stepFailed('node-lost', `${what}: node ${dead.map(q).join(', ')} died during the action`);
      }
      if (e instanceof StepError) return e.outcome;
      return stepFailed('failed', `${what}: ${(e as Error)?.message ?? String(e)}`);
    } finally {
      if (rec) rec.busy = false;
    }
  }

  /**
   * Snapshots a running guest while it keeps running (VMdeploy): a live `migrate exec:cat > IMAGE`
   * to the directory of another live online node, then `cont` (the stream's end pauses the
   * guest for a few milliseconds). When the VM's node dies later ({@link killNode}), the VM is
   * sleeping on that image.
   * @param vm - a running VM
   * @param context - the abort signal
   * @returns the node holding the image, or why none was written
   */
  async checkpoint(vm: VmId, context: StepContext): Promise<CheckpointOutcome> {
    const what = `checkpoint ${q(vm)}`;
    let rec: VmRec | undefined;
    try {
      if (context.signal.aborted) fail('cancelled', `${what}: aborted before it started`);
      rec = this.vmRec(vm, what);
      if (rec.state !== 'running' || !rec.process?.alive || rec.host === undefined) fail('precheck', `${what}: vm ${q(vm)} is not running`);
      const host = rec.host;
      const store = [...this.nodes.values()].find((n) => n.id !== host && n.state === 'online' && !n.dead);
      if (!store) fail('failed', `${what}: no other online node to hold the image`, true);
      rec.busy = true;
      const proc = rec.process;
      const tmp = safePath(join(store.dir, `v${rec.index}.ckpt.tmp`));
      const armed = await this.armMigration(proc);
      try {
        await proc.qmp.execute('migrate', { uri: `exec:cat > ${tmp}` });
      } catch (e) {
        armed.dispose();
        fail('failed', `${what}: QEMU refused (${(e as Error).message})`, true);
      }
      let st: MigrateStatus;
      try {
        st = await this.waitMigration(proc, armed, context.signal, what);
      } finally {
        if (proc.alive && (await this.status(proc).catch(() => 'gone')) !== 'running') await proc.qmp.execute('cont').catch(() => undefined);
      }
      if (st.status !== 'completed' || store.dead || !proc.alive) {
        await unlink(tmp).catch(() => undefined);
        fail('failed', `${what}: writing the image ended "${st.status}"`, true);
      }
      const path = safePath(join(store.dir, `v${rec.index}.ckpt`));
      await rename(tmp, path);
      const old = rec.checkpoint;
      if (old && old.path !== path) await unlink(old.path).catch(() => undefined);
      rec.checkpoint = { node: store.id, path };
      return { ok: true, image: store.id };
    } catch (e) {
      if (e instanceof StepError) return e.outcome as CheckpointOutcome;
      return { ok: false, error: { code: 'failed', message: `${what}: ${(e as Error).message}`, retryable: false } };
    } finally {
      if (rec) rec.busy = false;
    }
  }

  /**
   * Kills a node now, as a power loss would: it goes offline until {@link repairNode}, every QEMU process on it
   * is killed (SIGKILL), the images on its disk are gone. A running VM with a checkpoint on a
   * live node is then sleeping there; the other VMs of the node are lost (absent from
   * {@link observe}). Actions in flight on the node end with `node-lost`.
   * @param node - the node
   */
  async killNode(node: NodeId): Promise<void> {
    const n = this.nodes.get(node);
    if (!n || n.dead) return;
    n.dead = true;
    n.state = 'offline';
    const kills: Promise<unknown>[] = [];
    for (const [p, on] of this.strays) if (on === node) kills.push(p.kill());
    for (const v of this.vms.values()) {
      if (v.checkpoint?.node === node) v.checkpoint = undefined;
      if (v.host !== node || v.lost) continue;
      if (v.state === 'running') {
        if (v.process) kills.push(v.process.kill());
        v.process = undefined;
        const c = v.checkpoint;
        if (c && !this.nodes.get(c.node)?.dead) {
          v.state = 'sleeping';
          v.host = c.node;
          v.image = c.path;
          v.checkpoint = undefined;
        } else v.lost = true;
      } else if (v.state === 'sleeping') v.lost = true;
    }
    await Promise.all(kills);
    // Its disk is gone: the images on it (sockets stay until cleanup; nothing listens on them).
    const files = await readdir(n.dir).catch(() => [] as string[]);
    await Promise.all(files.filter((f) => /\.(img|ckpt)(\.tmp)?$/.test(f)).map((f) => unlink(join(n.dir, f)).catch(() => undefined)));
  }

  /**
   * Makes a submitted VM known, waiting: no process yet (a later `boot` starts its guest). A VM
   * that was shut down or lost with its node becomes waiting again (its vjob runs again from its
   * last checkpoint); a VM that runs or sleeps, or already waits, is left as it is (idempotent).
   * @param vm - the VM (its id may be any string: it never reaches a shell or a path)
   * @returns ok, or why not (the executor was cleaned up; an action holds the VM: retryable)
   * @example
   * ```ts
   * await qemu.define({ id: 'b0v0', demand: { cpu: 4, memory: 16384 } });
   * await qemu.execute({ id: 0, start: 0, end: 1, type: 'boot', vm: 'b0v0', to: 'n1' }, ctx);
   * ```
   */
  define(vm: { readonly id: VmId }): Promise<StepOutcome> {
    const id = vm.id;
    if (this.cleaned) return Promise.resolve(stepFailed('failed', `define ${q(id)}: the QEMU executor was cleaned up`));
    const rec = this.vms.get(id);
    if (!rec) {
      this.vms.set(id, { id, index: this.vms.size, state: 'waiting', host: undefined, process: undefined, image: undefined, checkpoint: undefined, lost: false, busy: false, generation: 0 });
    } else if (rec.busy) {
      return Promise.resolve(stepFailed('precheck', `define ${q(id)}: another action is under way on vm ${q(id)}`, true));
    } else if (rec.lost || rec.state === 'terminated') {
      rec.lost = false;
      rec.state = 'waiting';
      rec.host = undefined;
      rec.process = undefined;
      rec.image = undefined;
      rec.checkpoint = undefined;
    }
    return Promise.resolve(STEP_OK);
  }

  /**
   * Brings a node killed by {@link killNode} back, online and empty (a repaired machine with a
   * fresh disk). Does nothing for a node that is alive or unknown.
   * @param node - the node
   * @example
   * ```ts
   * await qemu.killNode('n2'); // its guests are gone
   * await qemu.repairNode('n2'); // online, empty: plans may boot or migrate guests onto it again
   * ```
   */
  repairNode(node: NodeId): Promise<void> {
    const n = this.nodes.get(node);
    if (n?.dead) {
      n.dead = false;
      n.state = 'online';
    }
    return Promise.resolve();
  }

  private async migrate(rec: VmRec, a: MigrateAction, signal: AbortSignal): Promise<void> {
    const what = describe(a);
    const t0 = performance.now();
    const source = rec.process!;
    const to = this.nodes.get(a.to)!;
    let dest: QemuProcess;
    try {
      dest = await this.startProcess(rec, to, true, signal);
    } catch (e) {
      if (signal.aborted) fail('cancelled', `${what}: aborted while starting the destination`);
      fail('failed', `${what}: ${(e as Error).message}`, true);
    }
    const sock = safePath(this.migrationSocket(rec, to));
    const giveUp = async (code: 'failed' | 'cancelled' | 'timeout', why: string, retryable: boolean): Promise<never> => {
      await dest.kill();
      await unlink(sock).catch(() => undefined);
      // the source keeps the guest: make sure it runs (a failed switch-over leaves it paused)
      if (source.alive) {
        const s = await this.status(source).catch(() => 'unknown');
        if (s !== 'running') await source.qmp.execute('cont').catch(() => undefined);
      }
      fail(code, `${what}: ${why}; vm ${q(rec.id)} still runs on ${q(a.from)}`, retryable);
    };
    let armed: Awaited<ReturnType<QemuExecutor['armMigration']>> | undefined;
    let tStream = 0;
    try {
      await dest.qmp.execute('migrate-incoming', { uri: `unix:${sock}` });
      armed = await this.armMigration(source);
      if (this.options.maxBandwidth !== undefined) {
        await source.qmp.execute('migrate-set-parameters', { 'max-bandwidth': Math.max(1, Math.round(this.options.maxBandwidth)) });
      }
      if (signal.aborted) {
        armed.dispose();
        return await giveUp('cancelled', 'aborted before the migration started', true);
      }
      tStream = performance.now();
      await source.qmp.execute('migrate', { uri: `unix:${sock}` });
    } catch (e) {
      armed?.dispose();
      if (e instanceof StepError) throw e;
      return await giveUp('failed', `QEMU refused to start the migration (${(e as Error).message})`, true);
    }
    this.options.onMigrationStarted?.({ vm: rec.id, sourcePid: source.pid, destinationPid: dest.pid });
    let st: MigrateStatus;
    let streamMs = NaN;
    try {
      st = await this.waitMigration(source, armed, signal, what);
      streamMs = performance.now() - tStream;
    } catch (e) {
      if (e instanceof StepError) return await giveUp(e.outcome.error.code === 'timeout' ? 'timeout' : e.outcome.error.code === 'cancelled' ? 'cancelled' : 'failed', e.outcome.error.message.replace(`${what}: `, ''), e.outcome.error.code !== 'failed');
      throw e;
    }
    if (st.status !== 'completed') {
      const why = dest.alive ? st['error-desc'] ?? st.status ?? 'unknown' : `the destination process died (${st['error-desc'] ?? st.status})`;
      return await giveUp('failed', `migration ${st.status}: ${why}`, true);
    }
    // The stream completed: the destination must now run the guest; if it does not, the paused
    // source still holds the whole state and takes it back.
    try {
      await this.waitStatus(dest, (s) => s === 'running', 10_000, `${what} (destination)`);
    } catch (e) {
      return await giveUp('failed', `the destination did not start the guest (${(e as Error).message})`, false);
    }
    if (to.dead) return await giveUp('failed', `node ${q(a.to)} died during the migration`, false);
    await source.quit();
    await unlink(sock).catch(() => undefined);
    if (!dest.alive) fail('failed', `${what}: the destination died right after the switch-over; vm ${q(rec.id)} is lost`);
    // The guest runs on the destination (even if its source node died meanwhile).
    rec.process = dest;
    rec.state = 'running';
    rec.host = a.to;
    rec.lost = false;
    rec.image = undefined;
    this.migrationLog.push({ vm: rec.id, from: a.from, to: a.to, wallMs: performance.now() - t0, streamMs, qemuTotalMs: (st['setup-time'] ?? 0) + (st['total-time'] ?? NaN), downtimeMs: st.downtime ?? NaN });
  }

  private async boot(rec: VmRec, a: BootAction, signal: AbortSignal): Promise<void> {
    const to = this.nodes.get(a.to)!;
    let proc: QemuProcess;
    try {
      proc = await this.startProcess(rec, to, false, signal);
    } catch (e) {
      if (signal.aborted) fail('cancelled', `${describe(a)}: aborted while starting`);
      fail('failed', `${describe(a)}: ${(e as Error).message}`, true);
    }
    try {
      await this.waitStatus(proc, (s) => s === 'running', 10_000, describe(a));
    } catch (e) {
      await proc.kill();
      throw e;
    }
    if (signal.aborted || to.dead) {
      await proc.kill();
      if (to.dead) fail('node-lost', `${describe(a)}: node ${q(a.to)} died`);
      fail('cancelled', `${describe(a)}: aborted; the guest was stopped again`);
    }
    rec.process = proc;
    rec.state = 'running';
    rec.host = a.to;
  }

  private async shutdown(rec: VmRec, a: ShutdownAction): Promise<void> {
    await rec.process!.quit();
    rec.process = undefined;
    rec.state = 'terminated';
    rec.host = undefined;
  }

  private async resume(rec: VmRec, a: ResumeAction, signal: AbortSignal): Promise<void> {
    const what = describe(a);
    const to = this.nodes.get(a.to)!;
    const source = rec.image;
    if (source === undefined || !(await exists(source))) fail('failed', `${what}: the image of vm ${q(rec.id)} is missing`);
    let image = source;
    if (a.to !== a.from) {
      image = safePath(join(to.dir, `v${rec.index}.img`));
      try {
        await copyFile(source, image);
      } catch (e) {
        fail('failed', `${what}: cannot move the image to ${q(a.to)} (${(e as Error).message})`, true);
      }
    }
    const dropCopy = async (): Promise<void> => {
      if (image !== source) await unlink(image).catch(() => undefined);
    };
    let proc: QemuProcess;
    try {
      proc = await this.startProcess(rec, to, true, signal);
    } catch (e) {
      await dropCopy();
      if (signal.aborted) fail('cancelled', `${what}: aborted while starting`);
      fail('failed', `${what}: ${(e as Error).message}`, true);
    }
    try {
      await proc.qmp.execute('migrate-incoming', { uri: `exec:cat ${image}` });
      await this.waitStatus(proc, (s) => s !== 'inmigrate', 20_000, `${what} (loading the image)`);
      if (signal.aborted) fail('cancelled', `${what}: aborted; the image is kept`);
      const s = await this.status(proc);
      if (s !== 'running') await proc.qmp.execute('cont');
      await this.waitStatus(proc, (x) => x === 'running', 5_000, what);
      if (to.dead) fail('node-lost', `${what}: node ${q(a.to)} died`);
    } catch (e) {
      await proc.kill();
      await dropCopy();
      if (e instanceof StepError) throw new StepError(stepFailed(e.outcome.error.code, `${e.outcome.error.message}; vm ${q(rec.id)} stays sleeping on ${q(a.from)}`, e.outcome.error.code !== 'failed') as StepOutcome & { ok: false });
      fail('failed', `${what}: ${(e as Error).message}${proc.stderr ? `: ${proc.stderr}` : ''}; vm ${q(rec.id)} stays sleeping on ${q(a.from)}`, true);
    }
    rec.process = proc;
    rec.state = 'running';
    rec.host = a.to;
    rec.image = undefined;
    await unlink(source).catch(() => undefined);
    if (image !== source) await unlink(image).catch(() => undefined);
  }

  /**
   * The configuration as it is: a VM whose process answers QMP `query-status` runs on its
   * process's node; a VM whose image file exists sleeps on that node; waiting and terminated VMs
   * as recorded; a VM whose process died (or whose image vanished) is absent: lost.
   * @returns every VM found and every node with its power state
   */
  async observe(): Promise<Configuration> {
    const vms: [VmId, ReturnType<typeof placement>][] = [];
    for (const v of this.vms.values()) {
      if (v.lost) continue;
      if (v.state === 'running') {
        const p = v.process;
        if (!p?.alive) continue;
        const s = await this.status(p).catch(() => undefined);
        if (s === undefined) continue;
        vms.push([v.id, placement('running', v.host)]);
      } else if (v.state === 'sleeping') {
        if (v.image !== undefined && (await exists(v.image))) vms.push([v.id, placement('sleeping', v.host)]);
      } else vms.push([v.id, placement(v.state)]);
    }
    return new Configuration({ vms: IMap(vms), nodes: IMap([...this.nodes.values()].map((n) => [n.id, n.state] as const)) });
  }

  /**
   * The guest's counter, read from its memory over QMP (`human-monitor-command xp`).
   * @param vm - a VM id
   * @returns the counter, or undefined when the VM has no live process
   */
  async counter(vm: VmId): Promise<number | undefined> {
    const p = this.vms.get(vm)?.process;
    if (!p?.alive) return undefined;
    try {
      const out = await p.qmp.execute<string>('human-monitor-command', { 'command-line': `xp /1wu 0x${COUNTER_ADDRESS.toString(16)}` });
      const m = /:\s*([0-9]+)/.exec(out);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The guest's serial log: every counter line every process of this VM printed.
   * @param vm - a VM id
   * @returns the parsed log (empty when the VM never ran)
   */
  async consoleLog(vm: VmId): Promise<CounterLog> {
    const rec = this.vms.get(vm);
    if (!rec) return parseCounterLog('');
    try {
      return parseCounterLog(await readFile(this.consolePath(rec), 'utf8'));
    } catch {
      return parseCounterLog('');
    }
  }

  /**
   * The live QEMU process of each running VM.
   * @returns VM id, node and process id
   */
  processes(): { readonly vm: VmId; readonly node: NodeId; readonly pid: number }[] {
    const out = [];
    for (const v of this.vms.values()) if (v.process?.alive && v.host !== undefined) out.push({ vm: v.id, node: v.host, pid: v.process.pid });
    return out;
  }

  /**
   * Figures of every completed live migration so far.
   * @returns one record per migration, in completion order
   */
  migrations(): readonly MigrationRecord[] {
    return [...this.migrationLog];
  }

  /**
   * Kills every QEMU process of this executor and removes its directory. Idempotent; the
   * executor carries out nothing afterwards.
   */
  async cleanup(): Promise<void> {
    this.cleaned = true;
    const procs = new Set<QemuProcess>(this.strays.keys());
    for (const v of this.vms.values()) {
      if (v.process) procs.add(v.process);
    }
    await Promise.all([...procs].map((p) => p.kill()));
    for (const v of this.vms.values()) {
      if (v.process) {
        v.process = undefined;
      }
    }
    await rm(this.directory, { recursive: true, force: true });
    process.removeListener('exit', this.onExit);
  }
}
