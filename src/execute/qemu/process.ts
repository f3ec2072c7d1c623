/**
 * QEMU processes of the QEMU executor: how one is started (argument arrays only, never a shell
 * string; `setpriv --pdeathsig KILL` so that it dies with its parent), watched and killed, and a
 * `/proc` scan that finds any left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { QmpClient } from './qmp.js';

/** Longest unix socket path the kernel accepts (`sun_path` is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;

/** What to start: one guest process. */
export interface QemuSpec {
  /** The VM's id; the process is named `switchyard-<vm>`. */
  readonly vm: string;
  /** The boot sector image (read-only floppy). */
  readonly bootImage: string;
  /** The serial log every process of this VM appends to. */
  readonly consoleLog: string;
  /** QMP unix socket path (under {@link MAX_SOCKET_PATH} bytes). */
  readonly qmpSocket: string;
  /** Guest memory in MiB. */
  readonly memoryMiB: number;
  /** Start with `-incoming defer` (a migration or resume destination). */
  readonly incoming: boolean;
  /** The emulator binary (default `qemu-system-x86_64`). */
  readonly binary?: string;
  /** Wrap in `setpriv --pdeathsig KILL` (default true). */
  readonly pdeathsig?: boolean;
}

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Escapes a value for QEMU's option syntax, where a comma separates options: a literal comma
 * is written twice.
 * @param value - any string
 * @returns the value with every comma doubled
 * @example
 * ```ts
 * qemuOptionValue('a,b'); // 'a,,b'
 * ```
 */
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/**
 * Checks that a path we generated is safe to hand to QEMU in an option string and to the
 * `/bin/sh -c` that QEMU's `exec:` migration URI runs: only letters, digits, `/`, `.`, `_`, `-`.
 * @param path - a path under the executor's own directory
 * @returns the path
 * @throws Error when the path holds any other character
 */
export function safePath(path: string): string {
  if (!/^[A-Za-z0-9/._-]+$/.test(path)) throw new Error(`unsafe path for QEMU: ${JSON.stringify(path)}`);
  return path;
}

/**
 * The command line of one guest process (program and arguments), for `spawn` without a shell.
 * @param spec - what to start
 * @returns `[program, ...args]`
 * @example
 * ```ts
 * const [cmd, ...args] = qemuCommand({ vm: 'vm1', bootImage: '/tmp/sy-a/boot.bin', consoleLog: '/tmp/sy-a/c/v0.log',
 *   qmpSocket: '/tmp/sy-a/n0/v0g1.qmp', memoryMiB: 16, incoming: false });
 * ```
 */
export function qemuCommand(spec: QemuSpec): string[] {
  if (Buffer.byteLength(spec.qmpSocket) > MAX_SOCKET_PATH) throw new Error(`QMP socket path too long (${spec.qmpSocket.length} bytes): ${spec.qmpSocket}`);
  const qemu = [
    spec.binary ?? 'qemu-system-x86_64',
    '-name', `guest=${qemuOptionValue(`switchyard-${spec.vm}`)}`,
    '-accel', 'tcg',
    '-machine', 'pc',
    '-smp', '1',
    '-m', String(spec.memoryMiB),
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-drive', `file=${safePath(spec.bootImage)},format=raw,if=floppy,readonly=on`,
    '-chardev', `file,id=serial0,path=${safePath(spec.consoleLog)},append=on`,
    '-serial', 'chardev:serial0',
    '-qmp', `unix:${safePath(spec.qmpSocket)},server=on,wait=off`,
    ...(spec.incoming ? ['-incoming', 'defer'] : []),
  ];
  return spec.pdeathsig === false ? qemu : ['setpriv', '--pdeathsig', 'KILL', '--', ...qemu];
}

/**
 * One running QEMU process and its QMP session.
 */
export class QemuProcess {
  /** The OS process id. */
  readonly pid: number;
  /** The QMP session (commands and events). */
  readonly qmp: QmpClient;
  /** Resolves when the process has ended. */
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private exit: ProcessExit | undefined;
  private readonly stderrTail: { text: string };

  private constructor(child: ChildProcess, qmp: QmpClient, exited: Promise<ProcessExit>, stderrTail: { text: string }, state: { exit: ProcessExit | undefined }) {
    this.child = child;
    this.pid = child.pid ?? -1;
    this.qmp = qmp;
    this.exited = exited.then((e) => {
      this.exit = e;
      return e;
    });
    this.stderrTail = stderrTail;
    this.exit = state.exit;
  }

  /**
   * Starts a guest process and connects to its QMP socket.
   * @param spec - what to start
   * @param options - `timeoutMs` for QMP to answer (default 20,000), `signal` to give up
   * @returns the process, QMP in command mode
   * @throws Error naming the VM when QEMU fails to start (with the end of its standard error)
   */
  static async start(spec: QemuSpec, options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<QemuProcess> {
    const [cmd, ...args] = qemuCommand(spec);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const tail = { text: '' };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      tail.text = (tail.text + d).slice(-2000);
    });
    const state: { exit: ProcessExit | undefined } = { exit: undefined };
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        state.exit = { code, signal };
        resolve({ code, signal });
      });
      child.once('error', (e) => {
        tail.text += `\n${e.message}`;
        state.exit = { code: -1, signal: null };
        resolve({ code: -1, signal: null });
      });
    });
    try {
      const qmp = await QmpClient.connect(spec.qmpSocket, {
        timeoutMs: options.timeoutMs ?? 20_000,
        ...(options.signal ? { signal: options.signal } : {}),
        alive: () => state.exit === undefined,
      });
      return new QemuProcess(child, qmp, exited, tail, state);
    } catch (e) {
      child.kill('SIGKILL');
      await exited;
      const why = tail.text.trim().split('\n').slice(-3).join(' / ');
      throw new Error(`QEMU for vm ${JSON.stringify(spec.vm)} did not start: ${(e as Error).message}${why ? `: ${why}` : ''}`);
    }
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** The last lines QEMU wrote on its standard error. */
  get stderr(): string {
    return this.stderrTail.text.trim();
  }

  /**
   * Kills the process (SIGKILL) and waits for it to end. Idempotent.
   * @returns how it ended
   */
  async kill(): Promise<ProcessExit> {
    this.qmp.close();
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Kills the process without waiting (for `process.on('exit')`). */
  killNow(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /**
   * Asks QEMU to `quit` over QMP and waits for the process to end; kills it when it does not
   * end within `graceMs`.
   * @param graceMs - how long to wait for a clean exit (default 3,000)
   * @returns how it ended
   */
  async quit(graceMs = 3000): Promise<ProcessExit> {
    if (!this.alive) return this.exited;
    await this.qmp.execute('quit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(timer);
    this.qmp.close();
    return e;
  }
}

/** A QEMU process found in `/proc`. */
export interface FoundProcess {
  readonly pid: number;
  /** Its argument vector. */
  readonly argv: readonly string[];
}

/**
 * Scans `/proc` for QEMU processes named `switchyard-*`, optionally only those whose command
 * line mentions `marker` (an executor's directory), to prove none was left behind.
 * @param marker - a substring one of the arguments must contain (e.g. the executor's directory)
 * @returns the processes found (none on a system without `/proc`)
 * @example
 * ```ts
 * expect(await findSwitchyardQemu(executor.directory)).toEqual([]);
 * ```
 */
export async function findSwitchyardQemu(marker?: string): Promise<FoundProcess[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: FoundProcess[] = [];
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    let raw: string;
    try {
      raw = await readFile(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const argv = raw.split('\0').filter((a) => a !== '');
    if (!argv.some((a) => /qemu-system/.test(a))) continue;
    if (!argv.some((a) => a.startsWith('guest=switchyard-'))) continue;
    if (marker !== undefined && !argv.some((a) => a.includes(marker))) continue;
    found.push({ pid: Number(e), argv });
  }
  return found;
}
