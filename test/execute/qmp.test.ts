/**
 * The QMP client against a scripted QMP server on a unix socket (no QEMU needed): greeting and
 * capabilities, replies matched by id (also out of order), errors, events, lines split across
 * packets, a server that dies mid-command, a socket that appears late, one that never does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError, type QmpEvent } from '../../src/execute/qemu/qmp.js';

let dir: string;
let servers: Server[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir().length < 60 ? tmpdir() : '/tmp', 'syqmp-'));
});
afterEach(async () => {
  for (const s of servers) s.close();
  servers = [];
  await rm(dir, { recursive: true, force: true });
});

type Handler = (msg: { execute: string; arguments?: unknown; id?: number }, sock: Socket) => void;

/** A QMP server: greets, answers qmp_capabilities, hands every other command to `handler`. */
function fakeQemu(path: string, handler: Handler): Promise<Server> {
  const server = createServer((sock) => {
    sock.write('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": ["oob"]}}\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, nl)) as { execute: string; id?: number };
        buf = buf.slice(nl + 1);
        if (msg.execute === 'qmp_capabilities') sock.write(`${JSON.stringify({ return: {}, id: msg.id })}\r\n`);
        else handler(msg, sock);
      }
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('QmpClient', () => {
  it('negotiates, matches replies to commands by id even out of order, and reports QEMU errors with their class', async () => {
    const path = join(dir, 'q.sock');
    const held: { id: number; sock: Socket }[] = [];
    await fakeQemu(path, (msg, sock) => {
      if (msg.execute === 'slow') held.push({ id: msg.id!, sock });
      else if (msg.execute === 'fast') {
        sock.write(`${JSON.stringify({ return: { which: 'fast' }, id: msg.id })}\r\n`);
        for (const h of held) h.sock.write(`${JSON.stringify({ return: { which: 'slow' }, id: h.id })}\r\n`);
      } else sock.write(`${JSON.stringify({ error: { class: 'CommandNotFound', desc: `The command ${msg.execute} has not been found` }, id: msg.id })}\r\n`);
    });
    const qmp = await QmpClient.connect(path, { timeoutMs: 2000 });
    const slow = qmp.execute<{ which: string }>('slow');
    const fast = qmp.execute<{ which: string }>('fast');
    expect(await fast).toEqual({ which: 'fast' });
    expect(await slow).toEqual({ which: 'slow' });
    const err = await qmp.execute('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect((err as QmpError).errorClass).toBe('CommandNotFound');
    expect((err as QmpError).message).toContain('nope');
    qmp.close();
    expect(qmp.closed).toBe(true);
    await expect(qmp.execute('fast')).rejects.toMatchObject({ errorClass: 'closed' });
  });

  it('delivers events, also when a line arrives in pieces', async () => {
    const path = join(dir, 'q.sock');
    await fakeQemu(path, (msg, sock) => {
      const ev = JSON.stringify({ event: 'MIGRATION', data: { status: 'completed' }, timestamp: { seconds: 1, microseconds: 2 } });
      sock.write(ev.slice(0, 10));
      setTimeout(() => {
        sock.write(`${ev.slice(10)}\r\n`);
        sock.write(`${JSON.stringify({ return: {}, id: msg.id })}\r\n`);
      }, 20);
    });
    const qmp = await QmpClient.connect(path, { timeoutMs: 2000 });
    const seen: QmpEvent[] = [];
    const off = qmp.onEvent((e) => seen.push(e));
    await qmp.execute('migrate', { uri: 'unix:/x' });
    expect(seen).toEqual([{ event: 'MIGRATION', data: { status: 'completed' }, timestamp: { seconds: 1, microseconds: 2 } }]);
    off();
    await qmp.execute('migrate', { uri: 'unix:/x' });
    expect(seen).toHaveLength(1);
    qmp.close();
  });

  it('a server that dies mid-command rejects the pending command as closed, never hangs', async () => {
    const path = join(dir, 'q.sock');
    await fakeQemu(path, (_msg, sock) => sock.destroy());
    const qmp = await QmpClient.connect(path, { timeoutMs: 2000 });
    await expect(qmp.execute('quit')).rejects.toMatchObject({ errorClass: 'closed' });
    expect(qmp.closed).toBe(true);
  });

  it('waits for a socket that appears late; gives up on one that never does, or when the process is gone', async () => {
    const path = join(dir, 'late.sock');
    setTimeout(() => void fakeQemu(path, (msg, sock) => sock.write(`${JSON.stringify({ return: { status: 'running' }, id: msg.id })}\n`)), 80);
    const qmp = await QmpClient.connect(path, { timeoutMs: 3000 });
    expect(await qmp.execute('query-status')).toEqual({ status: 'running' });
    qmp.close();
    const t0 = Date.now();
    await expect(QmpClient.connect(join(dir, 'never.sock'), { timeoutMs: 150 })).rejects.toMatchObject({ errorClass: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(QmpClient.connect(join(dir, 'never.sock'), { timeoutMs: 5000, alive: () => false })).rejects.toMatchObject({ errorClass: 'closed' });
    const c = new AbortController();
    c.abort();
    await expect(QmpClient.connect(join(dir, 'never.sock'), { signal: c.signal })).rejects.toMatchObject({ errorClass: 'aborted' });
  });

  it('a line that is not JSON closes the session with a protocol error', async () => {
    const path = join(dir, 'q.sock');
    await fakeQemu(path, (_msg, sock) => sock.write('garbage\r\n'));
    const qmp = await QmpClient.connect(path, { timeoutMs: 2000 });
    await expect(qmp.execute('query-status')).rejects.toMatchObject({ errorClass: 'protocol' });
  });
});
