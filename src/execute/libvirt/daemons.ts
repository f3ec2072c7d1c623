/**
 * Private libvirt session daemons on this machine, one per simulated node: each `libvirtd` runs
 * unprivileged (as the current user, or as a dedicated user when we are root) with its own
 * configuration, socket, state directories and `host_uuid`, so that libvirt sees distinct hosts
 * and migrates between them. Used by the tests and by `switchyard lab --executor libvirt`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants, readdirSync, readFileSync, rmSync } from 'node:fs';
import { access, chmod, chown, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeId } from '../../model/ids.js';
import type { LibvirtNode } from './executor.js';
import { execFileVirsh } from './virsh.js';

/** Options of {@link startSessionDaemons}. */
export interface SessionDaemonsOptions {
  /** One daemon per node, in this order. */
  readonly nodes: readonly NodeId[];
  /**
   * The user the daemons run as. Default: the current user, or when that is root (libvirtd run by
   * root is always the privileged system daemon) `$SWITCHYARD_LIBVIRT_USER` or `switchyard`,
   * which must exist (`.ci/run` creates it).
   */
  readonly user?: string;
  /** Parent of the daemons' directory (default `/tmp`; keep it short: unix socket paths must stay under 107 bytes). */
  readonly parentDir?: string;
  /** Milliseconds to wait for every daemon to answer (default 20,000). */
  readonly startTimeoutMs?: number;
}

/** Running session daemons. */
export interface SessionDaemons {
  /** The directory holding every daemon's files (and the images directory). */
  readonly dir: string;
  /** Node id → URI (`qemu+unix:///session?socket=...`), `migrateUri` `tcp://127.0.0.1`, shared `imageDir`. */
  readonly nodes: Readonly<Record<NodeId, LibvirtNode>>;
  /** A directory every daemon can read and write (images, boot sectors). */
  readonly shareDir: string;
  /** The `host_uuid` of each node's daemon. */
  readonly hostUuids: Readonly<Record<NodeId, string>>;
  /** Process ids of the daemons. */
  readonly pids: readonly number[];
  /** Destroys every domain, stops the daemons, kills any process still using {@link dir}, removes it. Idempotent. */
  stop(): Promise<void>;
}

/** Why session daemons cannot start here, or undefined when they can. */
export type LibvirtUnavailable = string | undefined;

async function which(bin: string): Promise<boolean> {
  for (const d of (process.env['PATH'] ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (await access(join(d, bin), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

async function userIds(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

function defaultUser(): string | undefined {
  return process.getuid?.() === 0 ? (process.env['SWITCHYARD_LIBVIRT_USER'] ?? 'switchyard') : undefined;
}

/**
 * Whether {@link startSessionDaemons} can work here: `virsh`, `libvirtd`, `setpriv` and
 * `qemu-system-x86_64` installed, and (as root) the daemon user exists.
 * @param user - the user the daemons would run as (default as {@link SessionDaemonsOptions.user})
 * @returns undefined when everything is there, else what is missing
 * @example
 * ```ts
 * const missing = await sessionDaemonsUnavailable();
 * if (missing) console.log(`libvirt tests need: ${missing}`);
 * ```
 */
export async function sessionDaemonsUnavailable(user = defaultUser()): Promise<LibvirtUnavailable> {
  const missing: string[] = [];
  for (const b of ['virsh', 'libvirtd', 'setpriv', 'qemu-system-x86_64']) if (!(await which(b))) missing.push(b);
  if (user !== undefined && !(await userIds(user))) missing.push(`user ${JSON.stringify(user)} (create it: useradd --system ${user})`);
  return missing.length > 0 ? missing.join(', ') : undefined;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Process ids of every process (other than ours) whose command line or environment mentions
 * `dir`: leftover daemons, QEMU guests and log daemons of {@link startSessionDaemons}.
 * @param dir - the daemons' directory
 * @returns the pids (empty when nothing is left)
 * @example
 * ```ts
 * expect(await processesUsing(daemons.dir)).toEqual([]);
 * ```
 */
export async function processesUsing(dir: string): Promise<number[]> {
  const out: number[] = [];
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const [cmd, env] = await Promise.all([
      readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${e}/environ`, 'utf8').catch(() => ''),
    ]);
    if (cmd.includes(dir) || env.includes(`=${dir}/`)) out.push(Number(e));
  }
  return out;
}

/** Synchronous last resort when this process exits without `stop()`: kill what uses `dir`, remove it. */
function killSync(dir: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cmd = '';
    let env = '';
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      env = readFileSync(`/proc/${e}/environ`, 'utf8');
    } catch {
      /* ended, or not ours to read */
    }
    if (cmd.includes(dir) || env.includes(`=${dir}/`)) {
      try {
        process.kill(Number(e), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

/**
 * Starts one unprivileged libvirt session daemon per node, each with its own socket, state and
 * `host_uuid`, guests under software emulation (`<domain type='qemu'>`, no `/dev/kvm`). The
 * daemons die with this process (`setpriv --pdeathsig KILL`) and stop idle after ten minutes;
 * if this process exits without `stop()`, an exit hook kills every process still using the
 * daemons' directory (their QEMU guests outlive a killed libvirtd otherwise).
 * @param options - nodes, user, parent directory, start timeout
 * @returns the daemons, or why they could not start (the command and its error)
 * @example
 * ```ts
 * const d = await startSessionDaemons({ nodes: ['n1', 'n2'] });
 * if (!d.ok) throw new Error(d.reason);
 * const ex = libvirtExecutor({ nodes: d.value.nodes, imageDir: d.value.shareDir });
 * // ...
 * await ex.cleanup();
 * await d.value.stop();
 * ```
 */
export async function startSessionDaemons(options: SessionDaemonsOptions): Promise<{ ok: true; value: SessionDaemons } | { ok: false; reason: string }> {
  const user = options.user ?? defaultUser();
  const missing = await sessionDaemonsUnavailable(user);
  if (missing) return { ok: false, reason: `cannot start libvirt session daemons: missing ${missing}` };
  const ids = user !== undefined ? await userIds(user) : undefined;
  const dir = await mkdtemp(join(options.parentDir ?? '/tmp', 'sylv-'));
  await chmod(dir, 0o755);
  const shareDir = join(dir, 'share');
  await mkdir(shareDir, { mode: 0o1777 });
  await chmod(shareDir, 0o1777);
  const children: ChildProcess[] = [];
  const nodes: Record<NodeId, LibvirtNode> = {};
  const hostUuids: Record<NodeId, string> = {};
  let stopped = false;

  const onExit = (): void => killSync(dir);
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    const virsh = execFileVirsh();
    await Promise.all(
      Object.values(nodes).map(async (n) => {
        const l = await virsh.run({ uri: n.uri, args: ['list', '--name'], timeoutMs: 5000 });
        if (!l.ok) return;
        for (const name of l.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
          await virsh.run({ uri: n.uri, args: ['destroy', '--domain', name], timeoutMs: 5000 });
        }
      }),
    );
    await virsh.close();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((res) => {
            if (!alive(c)) return res();
            const t = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(t);
              res();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    for (let i = 0; i < 50; i++) {
      const left = await processesUsing(dir);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };

  const fail = async (reason: string): Promise<{ ok: false; reason: string }> => {
    await stop();
    return { ok: false, reason };
  };

  for (const [i, node] of options.nodes.entries()) {
    const home = join(dir, String(i));
    const sub = ['cfg/libvirt', 'run', 'cache', 'data'];
    for (const s of sub) await mkdir(join(home, s), { recursive: true });
    const uuid = randomUUID();
    hostUuids[node] = uuid;
    await writeFile(join(home, 'cfg/libvirt/libvirtd.conf'), `host_uuid = "${uuid}"\n`);
    // No virtlogd: QEMU writes its log file directly; keep guests small and quiet.
    await writeFile(join(home, 'cfg/libvirt/qemu.conf'), `stdio_handler = "file"\n`);
    if (ids) for (const p of [home, ...sub.map((s) => join(home, s)), join(home, 'cfg'), join(home, 'cfg/libvirt/libvirtd.conf'), join(home, 'cfg/libvirt/qemu.conf')]) await chown(p, ids.uid, ids.gid);
    await chmod(join(home, 'run'), 0o700);
    const log = await open(join(dir, `libvirtd-${i}.log`), 'w');
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'cfg'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_DATA_HOME: join(home, 'data'),
      LANG: 'C',
    };
    const who = user !== undefined ? ['--reuid', user, '--regid', user, '--init-groups'] : [];
    const child = spawn('setpriv', [...who, '--pdeathsig', 'KILL', '--', 'libvirtd', '--timeout', '600'], { env, stdio: ['ignore', log.fd, log.fd], detached: false });
    const started = new Promise<string | undefined>((res) => {
      child.once('spawn', () => res(undefined));
      child.once('error', (e) => res(e.message));
    });
    children.push(child);
    await log.close();
    const spawned = await started;
    if (spawned) return fail(`setpriv ... libvirtd for node ${JSON.stringify(node)}: ${spawned}`);
    nodes[node] = { uri: `qemu+unix:///session?socket=${join(home, 'run/libvirt/libvirt-sock')}`, migrateUri: 'tcp://127.0.0.1', imageDir: shareDir };
  }

  const virsh = execFileVirsh();
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  try {
    for (const [i, node] of options.nodes.entries()) {
      for (;;) {
        const c = children[i]!;
        if (!alive(c)) {
          const log = await readFile(join(dir, `libvirtd-${i}.log`), 'utf8').catch(() => '');
          return await fail(`libvirtd for node ${JSON.stringify(node)} exited (${c.signalCode ?? c.exitCode}): ${log.trim().split('\n').slice(-3).join(' | ')}`);
        }
        const r = await virsh.run({ uri: nodes[node]!.uri, args: ['uri'], timeoutMs: 5000 });
        if (r.ok) break;
        if (Date.now() > deadline) return await fail(`libvirtd for node ${JSON.stringify(node)} did not answer within ${options.startTimeoutMs ?? 20_000} ms: ${r.failure.command}: ${r.failure.detail}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  } finally {
    await virsh.close();
  }
  return { ok: true, value: { dir, nodes, shareDir, hostUuids, pids: children.map((c) => c.pid ?? -1), stop } };
}
