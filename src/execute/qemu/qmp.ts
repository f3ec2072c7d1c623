/**
 * A small QMP (QEMU Machine Protocol) client over a unix socket, with `node:net` only: reads the
 * greeting, negotiates `qmp_capabilities`, sends commands with ids and matches their replies,
 * and hands asynchronous events to listeners.
 *
 * Wire format (QEMU docs, "QEMU Machine Protocol Specification"): one JSON object per line;
 * the server greets with `{"QMP": {...}}`; a command is `{"execute", "arguments", "id"}`; its
 * reply is `{"return", "id"}` or `{"error": {"class", "desc"}, "id"}`; events are
 * `{"event", "data", "timestamp"}`.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A QMP event as QEMU sends it. */
export interface QmpEvent {
  readonly event: string;
  readonly data?: Record<string, unknown>;
  readonly timestamp?: { readonly seconds: number; readonly microseconds: number };
}

/** Why a QMP exchange failed: QEMU's error class (`GenericError`, ...), `closed`, `timeout` or `protocol`. */
export class QmpError extends Error {
  /** QEMU's error class, or `closed` / `timeout` / `protocol` / `aborted` for failures of the channel. */
  readonly errorClass: string;
  /**
   * @param errorClass - QEMU's error class or a channel failure
   * @param message - QEMU's description or ours
   */
  constructor(errorClass: string, message: string) {
    super(message);
    this.name = 'QmpError';
    this.errorClass = errorClass;
  }
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: QmpError) => void;
  readonly command: string;
}

/**
 * One QMP session with one QEMU process.
 *
 * @example
 * ```ts
 * const qmp = await QmpClient.connect('/tmp/sy-x/v0.qmp', { timeoutMs: 5000 });
 * const status = await qmp.execute<{ status: string }>('query-status');
 * qmp.close();
 * ```
 */
export class QmpClient {
  private readonly socket: Socket;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: QmpEvent) => void>();
  private closedWith: QmpError | undefined;
  private greeted: ((ok: QmpError | undefined) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new QmpError('closed', `QMP socket error: ${e.message}`)));
    socket.on('close', () => this.fail(new QmpError('closed', 'QMP connection closed')));
  }

  /**
   * Connects to a QMP unix socket, retrying while QEMU has not created it yet, then reads the
   * greeting and negotiates capabilities.
   * @param path - the socket path (under 107 bytes)
   * @param options - `timeoutMs` for the whole handshake (default 10,000), `signal` to give up,
   *   `alive` polled between retries (stop retrying when the process is gone)
   * @returns a client in command mode
   * @throws QmpError when the socket never answers within the time or the process died
   */
  static async connect(
    path: string,
    options: { readonly timeoutMs?: number; readonly signal?: AbortSignal; readonly alive?: () => boolean } = {},
  ): Promise<QmpClient> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let last = 'no attempt';
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      if (options.signal?.aborted) throw new QmpError('aborted', `QMP connect to ${path} aborted`);
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.handshake(Math.max(100, deadline - Date.now()));
        return client;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
        if (e instanceof QmpError && e.errorClass !== 'closed') throw e;
      }
      if (options.alive && !options.alive()) throw new QmpError('closed', `QEMU exited before its QMP socket ${path} answered (${last})`);
      if (Date.now() >= deadline) throw new QmpError('timeout', `no QMP answer on ${path} (${last})`);
      await sleep(delay);
    }
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const greeting = new Promise<QmpError | undefined>((resolve) => {
      this.greeted = resolve;
    });
    const timer = setTimeout(() => this.greeted?.(new QmpError('timeout', 'no QMP greeting')), timeoutMs);
    const err = await greeting;
    clearTimeout(timer);
    if (err) {
      this.socket.destroy();
      throw err;
    }
    await this.execute('qmp_capabilities');
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new QmpError('protocol', `QMP sent a line that is not JSON: ${line.slice(0, 80)}`));
        return;
      }
      this.onMessage(msg);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      const g = this.greeted;
      this.greeted = undefined;
      g?.(undefined);
      return;
    }
    if (typeof msg.event === 'string') {
      for (const l of [...this.listeners]) l(msg as unknown as QmpEvent);
      return;
    }
    const id = msg.id;
    if (typeof id !== 'number') return; // a reply to a command without id: none are sent
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const e = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(e.class ?? 'GenericError', `${p.command}: ${e.desc ?? 'error'}`));
    } else p.resolve(msg.return);
  }

  private fail(error: QmpError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.greeted?.(error);
    this.greeted = undefined;
    for (const p of this.pending.values()) p.reject(new QmpError(error.errorClass, `${p.command}: ${error.message}`));
    this.pending.clear();
    this.socket.destroy();
  }

  /** True once the connection is closed (QEMU quit or died, or {@link close} was called). */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Sends a command and waits for its reply.
   * @param command - the QMP command name
   * @param args - its arguments
   * @returns the `return` value
   * @throws QmpError with QEMU's error class, or `closed` when the connection ends first
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedWith) return Promise.reject(new QmpError(this.closedWith.errorClass, `${command}: ${this.closedWith.message}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.socket.write(`${JSON.stringify(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id })}\n`);
    });
  }

  /**
   * Listens to every event.
   * @param listener - called with each event
   * @returns a function that removes the listener
   */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes the connection (QEMU keeps running). Idempotent. */
  close(): void {
    this.fail(new QmpError('closed', 'QMP connection closed by the client'));
  }
}
