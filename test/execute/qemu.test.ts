/**
 * The QEMU executor against real `qemu-system-x86_64` guests (TCG, the counting boot sector).
 * Under CI=true every test runs (a missing QEMU fails them); without CI they skip, saying so,
 * when QEMU is not installed. The tests of this file run one after the other (vitest runs the
 * tests of one file sequentially), so at most a handful of guests share the two cores.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { QemuExecutor, type QemuExecutorOptions } from '../../src/execute/qemu/executor.js';
import { counterBootSector, parseCounterLog } from '../../src/execute/qemu/guest.js';
import { findSwitchyardQemu, qemuCommand } from '../../src/execute/qemu/process.js';
import type { StepContext } from '../../src/execute/types.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { VmInit } from '../../src/model/vm.js';
import type { Action } from '../../src/plan/types.js';
import { describeExecutorContract, plainConfiguration } from './contract.js';

const CI = process.env.CI === 'true';
const haveQemu =
  spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const SKIP = !haveQemu && !CI ? 'qemu-system-x86_64 or setpriv not installed (CI=true requires them)' : false;
const d = SKIP ? describe.skip : describe;
if (SKIP) console.warn(`QEMU executor tests skipped: ${SKIP}`);

/** Every executor directory made by this file: no QEMU process may mention one after the suite. */
const directories: string[] = [];

async function executor(instance: Instance, options: QemuExecutorOptions = {}): Promise<QemuExecutor> {
  const ex = await QemuExecutor.create(options);
  directories.push(ex.directory);
  await ex.provision(instance);
  return ex;
}

const RES = { cpu: 1, memory: 16 };
function world(vms: readonly VmInit[], nodes = ['n1', 'n2', 'n3']): Instance {
  return makeInstance({ nodes: nodes.map((id) => ({ id, capacity: { cpu: 8, memory: 1024 } })), vms });
}

let ids = 1000;
function act(a: Record<string, unknown>): Action {
  return { id: ids++, start: 0, end: 1, ...a } as unknown as Action;
}
function ctx(ms = 20_000): StepContext {
  return { signal: AbortSignal.timeout(ms), attempt: 1, expectedSeconds: 1 };
}

async function waitCounter(ex: QemuExecutor, vm: string, atLeast: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const c = await ex.counter(vm);
    if (c !== undefined && c >= atLeast) return c;
    if (Date.now() > deadline) throw new Error(`vm ${vm} never counted to ${atLeast} (at ${c})`);
    await sleep(20);
  }
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

describe('the guest and the command line (no QEMU needed)', () => {
  it('the boot sector is 512 bytes with the 0x55AA signature and the counter slot zeroed', () => {
    const b = counterBootSector();
    expect(b.length).toBe(512);
    expect([b[510], b[511]]).toEqual([0x55, 0xaa]);
    expect([...b.slice(0x4b, 0x4f)]).toEqual([0, 0, 0, 0]);
  });

  it('parseCounterLog tells a counter that kept going from one that restarted', () => {
    expect(parseCounterLog('1\n2\n3\n4')).toMatchObject({ values: [1, 2, 3], last: 3, continuous: true });
    expect(parseCounterLog('1\n2\n1\n2\n')).toMatchObject({ last: 2, breaks: 1, continuous: false });
    expect(parseCounterLog('SeaBIOS\n5\n6\n').continuous).toBe(false); // does not start at 1
  });

  it('a hostile VM name stays one argument: no shell, commas doubled for QEMU, setpriv first', () => {
    const cmd = qemuCommand({ vm: 'a;rm -rf x,$(id)', bootImage: '/tmp/sy-x/boot.bin', consoleLog: '/tmp/sy-x/c.log', qmpSocket: '/tmp/sy-x/q.qmp', memoryMiB: 16, incoming: true });
    expect(cmd.slice(0, 4)).toEqual(['setpriv', '--pdeathsig', 'KILL', '--']);
    expect(cmd).toContain('guest=switchyard-a;rm -rf x,,$(id)');
    expect(cmd.slice(-2)).toEqual(['-incoming', 'defer']);
    expect(cmd).toContain('tcg');
    expect(() => qemuCommand({ vm: 'a', bootImage: '/tmp/x y/boot.bin', consoleLog: '/tmp/c.log', qmpSocket: '/tmp/q.qmp', memoryMiB: 16, incoming: false })).toThrow(/unsafe path/);
    expect(() => qemuCommand({ vm: 'a', bootImage: '/tmp/b', consoleLog: '/tmp/c', qmpSocket: `/tmp/${'x'.repeat(120)}`, memoryMiB: 16, incoming: false })).toThrow(/too long/);
  });
});

d('QEMU executor on real guests', () => {
  afterAll(async () => {
    // Nothing this file started may survive it.
    for (const dir of directories) {
      expect(await findSwitchyardQemu(dir), `QEMU processes left behind for ${dir}`).toEqual([]);
      expect(existsSync(dir), `${dir} removed`).toBe(false);
    }
  });

  it('a live migration keeps the guest state: the counter continues on the new process', async () => {
    const ex = await executor(world([{ id: 'a', demand: RES, state: 'running', host: 'n1' }]));
    try {
      const before = await waitCounter(ex, 'a', 5);
      const [p0] = ex.processes();
      expect(p0).toMatchObject({ vm: 'a', node: 'n1' });
      const out = await ex.execute(act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }), ctx());
      expect(out).toEqual({ ok: true });
      expect(plainConfiguration(await ex.observe()).vms).toEqual({ a: 'running@n2' });
      const [p1] = ex.processes();
      expect(p1!.node).toBe('n2');
      expect(p1!.pid).not.toBe(p0!.pid);
      expect(alive(p0!.pid), 'the source process has quit').toBe(false);
      const after = await waitCounter(ex, 'a', before + 3);
      expect(after).toBeGreaterThan(before);
      const log = await ex.consoleLog('a');
      expect(log.continuous, `serial log ran on without a restart: ${log.values.join(',')}`).toBe(true);
      expect(log.last).toBeGreaterThanOrEqual(before + 2);
      const [m] = ex.migrations();
      expect(m).toMatchObject({ vm: 'a', from: 'n1', to: 'n2' });
      expect(m!.downtimeMs).toBeGreaterThanOrEqual(0);
      console.log(`live migration: ${m!.wallMs.toFixed(0)} ms wall (destination start to source quit), stream ${m!.streamMs.toFixed(1)} ms (QEMU: ${m!.qemuTotalMs} ms), downtime ${m!.downtimeMs} ms`);
    } finally {
      await ex.cleanup();
    }
  });

  it('suspend then resume on another node round-trips: the guest sleeps, then counts on from where it stopped', async () => {
    const ex = await executor(world([{ id: 'a', demand: RES, state: 'running', host: 'n1' }]));
    try {
      await waitCounter(ex, 'a', 3);
      expect(await ex.execute(act({ type: 'suspend', vm: 'a', from: 'n1' }), ctx())).toEqual({ ok: true });
      expect(plainConfiguration(await ex.observe()).vms).toEqual({ a: 'sleeping@n1' });
      expect(ex.processes()).toEqual([]);
      const asleep = (await ex.consoleLog('a')).last;
      await sleep(400); // about 7 ticks: a guest that still ran would print them
      expect((await ex.consoleLog('a')).last).toBe(asleep);
      expect(await ex.execute(act({ type: 'resume', vm: 'a', from: 'n1', to: 'n2' }), ctx())).toEqual({ ok: true });
      expect(plainConfiguration(await ex.observe()).vms).toEqual({ a: 'running@n2' });
      const now = await waitCounter(ex, 'a', asleep + 2);
      expect(now).toBeLessThan(asleep + 40); // it went on from its image, not from a clock
      const log = await ex.consoleLog('a');
      expect(log.continuous, `serial log: ${log.values.join(',')}`).toBe(true);
    } finally {
      await ex.cleanup();
    }
  });

  it('a destination killed mid-migration leaves the VM running on its source, still counting', async () => {
    let kill = false;
    const killed: number[] = [];
    const ex = await executor(world([{ id: 'a', demand: RES, state: 'running', host: 'n1' }]), {
      maxBandwidth: 256 * 1024, // a slow stream, so the kill lands mid-migration
      onMigrationStarted: ({ destinationPid }) => {
        if (!kill) return;
        process.kill(destinationPid, 'SIGKILL');
        killed.push(destinationPid);
      },
    });
    try {
      const before = await waitCounter(ex, 'a', 2);
      const [src] = ex.processes();
      kill = true;
      const out = await ex.execute(act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }), ctx());
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.error.code).toBe('failed');
        expect(out.error.message).toMatch(/still runs on "n1"/);
      }
      expect(killed).toHaveLength(1);
      expect(alive(killed[0]!)).toBe(false);
      expect(plainConfiguration(await ex.observe()).vms).toEqual({ a: 'running@n1' });
      expect(ex.processes()).toEqual([{ vm: 'a', node: 'n1', pid: src!.pid }]);
      const after = await waitCounter(ex, 'a', before + 3);
      expect(after).toBeGreaterThan(before);
      expect((await ex.consoleLog('a')).continuous).toBe(true);
      // and the same migration, retried without the fault, goes through
      kill = false;
      expect(await ex.execute(act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }), ctx())).toEqual({ ok: true });
      expect(plainConfiguration(await ex.observe()).vms).toEqual({ a: 'running@n2' });
    } finally {
      await ex.cleanup();
    }
  });

  it('hostile VM names reach QEMU as plain strings: boot, migrate, observe', async () => {
    const names = ['a;rm -rf x', '$(id)', 'b,c=d'];
    const ex = await executor(world(names.map((id) => ({ id, demand: RES, state: 'waiting' }))));
    try {
      for (const vm of names) expect(await ex.execute(act({ type: 'boot', vm, to: 'n1' }), ctx()), vm).toEqual({ ok: true });
      expect(await ex.execute(act({ type: 'migrate', vm: names[0], from: 'n1', to: 'n2' }), ctx())).toEqual({ ok: true });
      expect(plainConfiguration(await ex.observe()).vms).toEqual({ 'a;rm -rf x': 'running@n2', '$(id)': 'running@n1', 'b,c=d': 'running@n1' });
      const found = await findSwitchyardQemu(ex.directory);
      expect(found.map((p) => p.argv.find((a) => a.startsWith('guest='))).sort()).toEqual(['guest=switchyard-$(id)', 'guest=switchyard-a;rm -rf x', 'guest=switchyard-b,,c=d']);
      expect(existsSync('x')).toBe(false);
    } finally {
      await ex.cleanup();
      await ex.cleanup(); // idempotent
    }
    expect(await findSwitchyardQemu(ex.directory)).toEqual([]);
  });
});

// The one contract every executor meets, on real guests. `arrangeFailure` kills the destination
// process of the next migration as soon as its stream starts.
describeExecutorContract(
  'qemu',
  async (instance) => {
    let armed = false;
    const ex = await executor(instance, {
      onMigrationStarted: ({ destinationPid }) => {
        if (!armed) return;
        armed = false;
        process.kill(destinationPid, 'SIGKILL');
      },
    });
    return { executor: ex, arrangeFailure: () => void (armed = true) };
  },
  { ...(SKIP ? { skip: SKIP } : {}), timeoutMs: 60_000 },
);
