/**
 * Running `virsh`: one command against one libvirt URI, with a time limit and an abort signal.
 *
 * Two runners share one interface ({@link VirshRunner}):
 * - {@link execFileVirsh} starts one `virsh -c URI ARGS...` process per command through
 *   `execFile` with an argument array, so no shell ever reads a VM or node name;
 * - {@link virshShell} keeps one interactive `virsh -c URI` process per URI and writes each
 *   command on its stdin, every argument single-quoted for virsh's own parser
 *   ({@link quoteForVirsh}). It is needed where state lives in one connection (the
 *   `test:///default` driver) and saves a handshake per command on `qemu+ssh://` URIs.
 *
 * Failures never throw: they come back as a {@link VirshFailure} naming the command.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/**
 * Why a virsh command did not succeed:
 * - `exit`: virsh ran and reported an error (non-zero exit, or an `error:` line in a shell);
 * - `unreachable`: virsh could not connect to the URI (daemon down, ssh refused);
 * - `timeout`: the command did not end within its time limit (virsh was killed);
 * - `aborted`: the caller's signal aborted it (virsh was killed);
 * - `spawn`: virsh could not be started (not installed);
 * - `invalid-argument`: an argument cannot be passed safely (a newline or NUL in a shell command).
 */
export type VirshFailureKind = 'exit' | 'unreachable' | 'timeout' | 'aborted' | 'spawn' | 'invalid-argument';

/** A failed virsh command. */
export interface VirshFailure {
  readonly kind: VirshFailureKind;
  /** The command as a readable line (arguments JSON-quoted), e.g. `virsh -c "test:///default" start --domain "a;b"`. */
  readonly command: string;
  /** What virsh printed on stderr (trimmed), or why it could not run. */
  readonly detail: string;
  readonly exitCode?: number;
}

/** The result of one virsh command: its stdout, or why it failed. */
export type VirshResult = { readonly ok: true; readonly stdout: string } | { readonly ok: false; readonly failure: VirshFailure };

/** One virsh command. */
export interface VirshCall {
  /** The libvirt URI (`-c`), e.g. `qemu+ssh://root@host/system`. */
  readonly uri: string;
  /** The command and its arguments, e.g. `['start', '--domain', name]`; never a shell string. */
  readonly args: readonly string[];
  /** Milliseconds before virsh is killed and the call answers `timeout`. */
  readonly timeoutMs: number;
  /** Aborting it kills virsh (SIGINT first, so that virsh aborts a running migration job, then SIGKILL). */
  readonly signal?: AbortSignal;
}

/** Runs virsh commands. */
export interface VirshRunner {
  /** Runs one command; never rejects. */
  run(call: VirshCall): Promise<VirshResult>;
  /** Kills every virsh process still running. Idempotent. */
  close(): Promise<void>;
}

/** Options of both runners. */
export interface VirshRunnerOptions {
  /** The virsh binary (default `virsh`, looked up in PATH). */
  readonly binary?: string;
  /** Environment of the virsh processes (default the current one). */
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds between SIGINT and SIGKILL when a command is aborted or times out (default 2,000). */
  readonly killGraceMs?: number;
  /** Working directory of the virsh processes (default the current one). */
  readonly cwd?: string;
}

const CONNECT_FAILURE = /failed to connect to the hypervisor|Failed to connect socket|Cannot recv data|End of file while reading data|no connection driver available/i;

/**
 * The command as one readable line, for error messages (every argument JSON-quoted).
 * @param uri - the libvirt URI
 * @param args - the command and its arguments
 * @returns e.g. `virsh -c "test:///default" start --domain "a;b"`
 * @example
 * ```ts
 * describeVirsh('test:///default', ['start', '--domain', 'x']); // 'virsh -c "test:///default" start --domain "x"'
 * ```
 */
export function describeVirsh(uri: string, args: readonly string[]): string {
  const show = (a: string, i: number): string => ((i === 0 ? /^[a-z][a-z-]*$/ : /^--?[a-z][a-z-]*$/).test(a) ? a : JSON.stringify(a));
  return ['virsh', '-c', JSON.stringify(uri), ...args.map(show)].join(' ');
}

/**
 * Quotes one argument for virsh's own command parser (interactive mode and `virsh "cmd; cmd"`):
 * the whole argument between single quotes, each single quote written as `'\''`. virsh's parser
 * reads nothing inside single quotes (no `;`, `$`, backslash or space is special there), and it is
 * not a shell: nothing is ever expanded.
 * @param arg - the argument (must not contain a newline, carriage return or NUL)
 * @returns the quoted argument, or undefined when it cannot be passed on one line
 * @example
 * ```ts
 * quoteForVirsh("it's;$(id)"); // "'it'\\''s;$(id)'"
 * ```
 */
export function quoteForVirsh(arg: string): string | undefined {
  if (/[\n\r\0]/.test(arg)) return undefined;
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

function classify(stderr: string): VirshFailureKind {
  return CONNECT_FAILURE.test(stderr) ? 'unreachable' : 'exit';
}

/** Kills a child: SIGINT now, SIGKILL after `graceMs` unless it exited. */
function stop(child: ChildProcess, graceMs: number): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const t = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  t.unref();
  child.once('exit', () => clearTimeout(t));
}

/**
 * A runner that starts one `virsh -q -c URI ARGS...` process per command (`execFile`, argument
 * array, no shell).
 * @param options - binary, environment, kill grace
 * @returns the runner
 * @example
 * ```ts
 * const virsh = execFileVirsh();
 * const r = await virsh.run({ uri: 'test:///default', args: ['list', '--all', '--name'], timeoutMs: 10_000 });
 * if (r.ok) console.log(r.stdout);
 * await virsh.close();
 * ```
 */
export function execFileVirsh(options: VirshRunnerOptions = {}): VirshRunner {
  const binary = options.binary ?? 'virsh';
  const grace = options.killGraceMs ?? 2000;
  const children = new Set<ChildProcess>();
  return {
    run(call) {
      const command = describeVirsh(call.uri, call.args);
      if (call.signal?.aborted) return Promise.resolve({ ok: false, failure: { kind: 'aborted', command, detail: 'aborted before it started' } });
      return new Promise<VirshResult>((resolve) => {
        let why: 'timeout' | 'aborted' | undefined;
        const child = execFile(
          binary,
          ['-q', '-c', call.uri, ...call.args],
          { env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
          (error, stdout, stderr) => {
            children.delete(child);
            clearTimeout(timer);
            call.signal?.removeEventListener('abort', onAbort);
            const detail = String(stderr).trim();
            if (why) resolve({ ok: false, failure: { kind: why, command, detail: why === 'timeout' ? `no answer within ${call.timeoutMs} ms${detail ? `: ${detail}` : ''}` : `aborted${detail ? `: ${detail}` : ''}` } });
            else if (!error) resolve({ ok: true, stdout: String(stdout) });
            else {
              const code = (error as NodeJS.ErrnoException).code;
              if (typeof code === 'string') resolve({ ok: false, failure: { kind: 'spawn', command, detail: `${binary}: ${error.message}` } });
              else {
                const exitCode = typeof code === 'number' ? code : (child.exitCode ?? -1);
                resolve({ ok: false, failure: { kind: classify(detail), command, detail: detail || error.message, exitCode } });
              }
            }
          },
        );
        children.add(child);
        const onAbort = (): void => {
          why ??= 'aborted';
          stop(child, grace);
        };
        const timer = setTimeout(() => {
          why ??= 'timeout';
          stop(child, grace);
        }, call.timeoutMs);
        call.signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      children.clear();
      return Promise.resolve();
    },
  };
}

interface Pending {
  readonly call: VirshCall;
  readonly command: string;
  /** The command line as virsh reads it. */
  readonly line: string;
  readonly marker: string;
  readonly resolve: (r: VirshResult) => void;
}

/** virsh's prompt: printed (without a newline) each time it waits for a line on stdin. */
const PROMPT = 'virsh # ';

/**
 * One interactive virsh process and its queue of commands. A command is written only when virsh
 * shows its prompt (commands that watch a job, such as `save` and `migrate`, read stdin while
 * they run, so nothing may wait in the pipe); it has ended when the prompt shows again. Then a
 * marker is echoed on stderr, so that every `error:` line of the command has arrived.
 */
class ShellSession {
  private child: ChildProcess | undefined;
  private out = '';
  private err = '';
  private stdout = '';
  private phase: 'prompt' | 'cmd' | 'mark' = 'prompt';
  private current: Pending | undefined;
  private readonly queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private onAbort: (() => void) | undefined;
  /** Why the current command is being killed. */
  private killing: 'timeout' | 'aborted' | undefined;

  constructor(
    private readonly uri: string,
    private readonly binary: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly grace: number,
    private readonly cwd: string | undefined,
  ) {}

  enqueue(p: Pending): void {
    this.queue.push(p);
    this.pump();
  }

  private spawnChild(): ChildProcess {
    const child = spawn(this.binary, ['-q', '-c', this.uri], { env: this.env, ...(this.cwd ? { cwd: this.cwd } : {}), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      if (this.child !== child) return;
      this.out += d;
      this.settle();
    });
    child.stderr!.on('data', (d: string) => {
      if (this.child !== child) return;
      this.err += d;
      this.settle();
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) => this.died(child, 'spawn', `${this.binary}: ${e.message}`));
    child.on('exit', (code, sig) => this.died(child, 'exit', `virsh exited (${sig ?? code})${this.err.trim() ? `: ${this.err.trim()}` : ''}`));
    this.child = child;
    this.out = '';
    this.err = '';
    this.phase = 'prompt';
    return child;
  }

  private pump(): void {
    if (this.current) return;
    const next = this.queue.shift();
    if (!next) return;
    if (next.call.signal?.aborted) {
      next.resolve({ ok: false, failure: { kind: 'aborted', command: next.command, detail: 'aborted before it started' } });
      this.pump();
      return;
    }
    if (!this.child) this.spawnChild();
    this.current = next;
    this.killing = undefined;
    this.timer = setTimeout(() => this.kill('timeout'), next.call.timeoutMs);
    this.onAbort = () => this.detach(next);
    next.call.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.settle();
  }

  /**
   * Abort: answer `aborted` now, but let virsh finish the command (its output is dropped): the
   * session, and the state it holds, stays; later commands queue behind it, so they see its effect.
   */
  private detach(p: Pending): void {
    if (this.current !== p || this.killing) return;
    p.resolve({ ok: false, failure: { kind: 'aborted', command: p.command, detail: 'aborted; the command was left to finish in its virsh session' } });
  }

  private kill(why: 'timeout' | 'aborted'): void {
    if (!this.current || !this.child) return;
    this.killing ??= why;
    stop(this.child, this.grace);
  }

  private finish(r: VirshResult): void {
    const p = this.current;
    if (!p) return;
    clearTimeout(this.timer);
    if (this.onAbort) p.call.signal?.removeEventListener('abort', this.onAbort);
    this.current = undefined;
    p.resolve(r);
    this.pump();
  }

  /** Moves the current command on as virsh's output arrives. */
  private settle(): void {
    const p = this.current;
    if (!p || !this.child || this.killing) return;
    if (this.phase === 'prompt') {
      if (!this.out.endsWith(PROMPT)) return;
      this.out = '';
      this.err = '';
      this.phase = 'cmd';
      this.child.stdin!.write(p.line + '\n');
      return;
    }
    if (this.phase === 'cmd') {
      if (!this.out.endsWith(PROMPT)) return;
      let stdout = this.out.slice(0, -PROMPT.length);
      if (stdout.startsWith(p.line + '\n')) stdout = stdout.slice(p.line.length + 1);
      // interactive virsh sometimes holds back a final newline: end non-empty output with exactly one
      stdout = stdout.replace(/\n+$/, '');
      this.stdout = stdout.length > 0 ? `${stdout}\n` : '';
      this.out = '';
      this.phase = 'mark';
      this.child.stdin!.write(`echo --err --xml '<${p.marker}>'\n`);
      return;
    }
    const mark = `error: &lt;${p.marker}&gt;`;
    const e = this.err.indexOf(mark);
    if (e < 0) return;
    const stderr = this.err.slice(0, e);
    this.err = this.err.slice(e + mark.length);
    this.phase = 'prompt';
    const detail = stderr.trim();
    if (/^error: /m.test(stderr)) this.finish({ ok: false, failure: { kind: classify(detail), command: p.command, detail } });
    else this.finish({ ok: true, stdout: this.stdout });
  }

  private died(child: ChildProcess, kind: 'spawn' | 'exit', detail: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    const why = this.killing;
    this.killing = undefined;
    const p = this.current;
    if (!p) return;
    if (why) this.finish({ ok: false, failure: { kind: why, command: p.command, detail: why === 'timeout' ? `no answer within ${p.call.timeoutMs} ms (the virsh session was killed)` : 'aborted (the virsh session was killed)' } });
    else this.finish({ ok: false, failure: { kind: kind === 'spawn' ? 'spawn' : classify(detail), command: p.command, detail } });
  }

  close(): void {
    const c = this.child;
    this.child = undefined;
    for (const p of this.queue.splice(0)) p.resolve({ ok: false, failure: { kind: 'aborted', command: p.command, detail: 'the virsh session was closed' } });
    if (this.current) this.finish({ ok: false, failure: { kind: 'aborted', command: this.current.command, detail: 'the virsh session was closed' } });
    if (c && c.exitCode === null && c.signalCode === null) {
      c.stdin?.end();
      c.kill('SIGKILL');
    }
  }
}

/**
 * A runner that keeps one interactive `virsh -q -c URI` per URI and feeds it commands on stdin,
 * one at a time per URI, each argument quoted by {@link quoteForVirsh}, each written when virsh
 * shows its prompt. After each command it asks virsh to echo a random marker on stderr; the
 * command failed when virsh printed an `error:` line before the marker. Aborting a command answers
 * `aborted` at once but lets virsh finish it (the session and its state stay; later commands see
 * its effect). A command that times out kills its session (the next command starts a fresh one;
 * with `test:///default` its state is then lost).
 *
 * Known virsh 9.0 limitation: a job-watched command that ends almost at once (`save` on the
 * `test:///` driver) sometimes never returns to the prompt (its job watcher misses the job's
 * end; it then polls an eventfd forever). It then times out and its session is killed. Real
 * daemons' jobs take long enough not to meet it.
 * @param options - binary, environment, kill grace
 * @returns the runner
 * @example
 * ```ts
 * const virsh = virshShell();
 * await virsh.run({ uri: 'test:///default', args: ['destroy', '--domain', 'test'], timeoutMs: 5000 });
 * const r = await virsh.run({ uri: 'test:///default', args: ['list', '--name'], timeoutMs: 5000 }); // same connection: 'test' is gone
 * await virsh.close();
 * ```
 */
export function virshShell(options: VirshRunnerOptions = {}): VirshRunner {
  const binary = options.binary ?? 'virsh';
  const env = options.env ?? process.env;
  const grace = options.killGraceMs ?? 2000;
  const sessions = new Map<string, ShellSession>();
  return {
    run(call) {
      const command = describeVirsh(call.uri, call.args);
      const quoted = call.args.map(quoteForVirsh);
      if (quoted.some((q) => q === undefined)) {
        return Promise.resolve({ ok: false, failure: { kind: 'invalid-argument', command, detail: 'an argument holds a newline, carriage return or NUL, which virsh cannot read in a command line' } });
      }
      const marker = `sy-${randomUUID()}`;
      const line = quoted.join(' ');
      return new Promise<VirshResult>((resolve) => {
        let s = sessions.get(call.uri);
        if (!s) sessions.set(call.uri, (s = new ShellSession(call.uri, binary, env, grace, options.cwd)));
        s.enqueue({ call, command, line, marker, resolve });
      });
    },
    close() {
      for (const s of sessions.values()) s.close();
      sessions.clear();
      return Promise.resolve();
    },
  };
}
