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
import { executePlan, type ProgressEvent } from '../../src/execute/engine.js';
import { verifyPlan } from '../../src/plan/verify.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { VmInit } from '../../src/model/vm.js';
import type { Action } from '../../src/model/action.js';
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

  it('a plan of parallel migrations runs through the engine: dependencies respected, limits kept, every guest kept counting', async () => {
    // n2 is full (b, c); a and d may move onto it only once b and c have left for n3.
    const cap = { cpu: 2, memory: 64 };
    const instance = makeInstance({
      nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, capacity: cap })),
      vms: [
        { id: 'a', demand: RES, state: 'running', host: 'n1' },
        { id: 'd', demand: RES, state: 'running', host: 'n1' },
        { id: 'b', demand: RES, state: 'running', host: 'n2' },
        { id: 'c', demand: RES, state: 'running', host: 'n2' },
      ],
      durations: { bandwidth: 100, shutdownNode: 1 },
      limits: { maxParallelMigrations: 2 },
    });
    const m = (id: number, vm: string, from: string, to: string, start: number, after?: number[]): Action =>
      ({ id, type: 'migrate', vm, from, to, start, end: start + 0.16, ...(after ? { after } : {}) }) as Action;
    const plan: FeasiblePlan = {
      version: 1,
      status: 'feasible',
      actions: [
        m(0, 'b', 'n2', 'n3', 0),
        m(1, 'c', 'n2', 'n3', 0),
        m(2, 'a', 'n1', 'n2', 0.16, [0]),
        m(3, 'd', 'n1', 'n2', 0.16, [1]),
        { id: 4, type: 'shutdownNode', node: 'n1', start: 0.32, end: 1.32, after: [2, 3] },
      ],
      target: {
        vms: { a: { state: 'running', host: 'n2' }, d: { state: 'running', host: 'n2' }, b: { state: 'running', host: 'n3' }, c: { state: 'running', host: 'n3' } },
        nodes: { n1: 'offline', n2: 'online', n3: 'online' },
      },
      stats: { nodesUsed: 2, lowerBound: 2, migrations: 4, migratedMemory: 64, makespan: 1.32, solveMs: 0, planMs: 0 },
    };
    expect(verifyPlan(instance, plan).ok).toBe(true);
    const ex = await executor(instance);
    try {
      const before = new Map<string, number>();
      for (const vm of ['a', 'b', 'c', 'd']) before.set(vm, await waitCounter(ex, vm, 2));
      const events: ProgressEvent[] = [];
      const report = await executePlan(instance, plan, ex, { onProgress: (e) => events.push(e) });
      expect(report.counts).toEqual({ succeeded: 5, failed: 0, cancelled: 0, skipped: 0 });
      expect(report.complete).toBe(true);
      expect(plainConfiguration(report.observed)).toEqual({
        vms: { a: 'running@n2', b: 'running@n3', c: 'running@n3', d: 'running@n2' },
        nodes: { n1: 'offline', n2: 'online', n3: 'online' },
      });
      // order of events: each action starts only after every action it depends on has ended
      const pos = (type: 'started' | 'ended', id: number): number => events.findIndex((e) => e.type === type && e.action.id === id);
      for (const a of plan.actions) for (const dep of a.after ?? []) expect(pos('started', a.id), `${a.id} after ${dep}`).toBeGreaterThan(pos('ended', dep));
      // 0 and 1 ran side by side; never more than 2 migrations at once
      expect(pos('started', 1)).toBeLessThan(pos('ended', 0));
      let inFlight = 0;
      let peak = 0;
      for (const e of events) {
        if (e.type === 'started' && e.action.type === 'migrate') peak = Math.max(peak, ++inFlight);
        if (e.type === 'ended' && e.action.type === 'migrate') inFlight--;
      }
      expect(peak).toBe(2);
      for (const vm of ['a', 'b', 'c', 'd']) {
        expect(await waitCounter(ex, vm, before.get(vm)! + 2)).toBeGreaterThan(before.get(vm)!);
        expect((await ex.consoleLog(vm)).continuous, `${vm} never restarted`).toBe(true);
      }
      expect(ex.migrations()).toHaveLength(4);
    } finally {
      await ex.cleanup();
    }
  });

  it('the engine reports a destination killed mid-migration: the VM stays on its source, its dependents are skipped', async () => {
    const killed: number[] = [];
    const instance = world([
      { id: 'a', demand: RES, state: 'running', host: 'n1' },
      { id: 'b', demand: RES, state: 'running', host: 'n3' },
    ]);
    const ex = await executor(instance, {
      onMigrationStarted: ({ vm, destinationPid }) => {
        if (vm !== 'a') return;
        process.kill(destinationPid, 'SIGKILL'); // on every attempt
        killed.push(destinationPid);
      },
    });
    const plan: FeasiblePlan = {
      version: 1,
      status: 'feasible',
      actions: [
        { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 0.1 },
        { id: 1, type: 'migrate', vm: 'b', from: 'n3', to: 'n2', start: 0, end: 0.1 },
        { id: 2, type: 'shutdownNode', node: 'n1', start: 0.1, end: 5.1, after: [0] },
      ],
      target: { vms: { a: { state: 'running', host: 'n2' }, b: { state: 'running', host: 'n2' } }, nodes: { n1: 'offline', n2: 'online', n3: 'online' } },
      stats: { nodesUsed: 1, lowerBound: 1, migrations: 2, migratedMemory: 32, makespan: 5.1, solveMs: 0, planMs: 0 },
    };
    try {
      const before = await waitCounter(ex, 'a', 2);
      const report = await executePlan(instance, plan, ex, { maxAttempts: 2, backoff: { initial: 0.05 } });
      const byId = new Map(report.actions.map((r) => [r.id, r]));
      expect(byId.get(0)!.status).toBe('failed');
      expect(byId.get(0)!.error?.message).toMatch(/still runs on "n1"/);
      expect(byId.get(0)!.attempts).toBe(2);
      expect(killed).toHaveLength(2);
      expect(byId.get(1)!.status).toBe('succeeded');
      expect(byId.get(2)!.status).toBe('skipped');
      expect(byId.get(2)!.blockedBy).toEqual([0]);
      expect(report.complete).toBe(false);
      expect(report.lost).toEqual([]);
      expect(plainConfiguration(report.observed)).toEqual({ vms: { a: 'running@n1', b: 'running@n2' }, nodes: { n1: 'online', n2: 'online', n3: 'online' } });
      expect(await waitCounter(ex, 'a', before + 2)).toBeGreaterThan(before);
      expect((await ex.consoleLog('a')).continuous).toBe(true);
    } finally {
      await ex.cleanup();
    }
  });

  it('checkpoints (VMdeploy): a node dies mid-plan, the engine reports its best-effort VM sleeping on its last image, which resumes from there', async () => {
    const instance = makeInstance({
      nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, capacity: { cpu: 8, memory: 1024 } })),
      vms: [
        { id: 'be', demand: RES, state: 'running', host: 'n1', vjob: 'batch' },
        { id: 'ok', demand: RES, state: 'running', host: 'n1' },
        { id: 'mover', demand: RES, state: 'running', host: 'n2' },
      ],
      vjobs: [{ id: 'batch', bestEffort: true }],
    });
    // mover's migration is slow (a throttled stream): n1 dies while it runs
    const ex = await executor(instance, { maxBandwidth: 150 * 1024 });
    const plan: FeasiblePlan = {
      version: 1,
      status: 'feasible',
      actions: [{ id: 0, type: 'migrate', vm: 'mover', from: 'n2', to: 'n3', start: 0, end: 0.1 }],
      target: {
        vms: { be: { state: 'running', host: 'n1' }, ok: { state: 'running', host: 'n1' }, mover: { state: 'running', host: 'n3' } },
        nodes: { n1: 'online', n2: 'online', n3: 'online' },
      },
      stats: { nodesUsed: 2, lowerBound: 1, migrations: 1, migratedMemory: 16, makespan: 0.1, solveMs: 0, planMs: 0 },
    };
    try {
      await waitCounter(ex, 'be', 3);
      const events: ProgressEvent[] = [];
      const run = executePlan(instance, plan, ex, { checkpoints: { every: 0.3 }, onProgress: (e) => events.push(e) });
      // let a checkpoint or two happen, then pull n1's plug
      for (let i = 0; i < 200 && !events.some((e) => e.type === 'checkpoint' && e.ok); i++) await sleep(20);
      await sleep(150);
      const atDeath = (await ex.counter('be'))!;
      await ex.killNode('n1');
      const report = await run;
      expect(events.some((e) => e.type === 'checkpoint' && e.ok && e.vm === 'be')).toBe(true);
      expect(report.actions[0]!.status).toBe('succeeded');
      expect(report.lostNodes).toEqual(['n1']);
      expect(report.recovered.map((r) => [r.vm, r.lostNode])).toEqual([['be', 'n1']]);
      expect(report.lost).toEqual(['ok']); // not best-effort: no checkpoint, gone with its node
      const seen = plainConfiguration(report.observed);
      expect(seen.vms.be).toMatch(/^sleeping@n[23]$/);
      expect(seen.vms.mover).toBe('running@n3');
      expect(seen.nodes.n1).toBe('offline');
      // resume from the checkpoint: the counter goes on from the image, behind where it died
      const image = report.recovered[0]!.image;
      expect(await ex.execute(act({ type: 'resume', vm: 'be', from: image, to: 'n3' }), ctx())).toEqual({ ok: true });
      const resumed = await waitCounter(ex, 'be', 1);
      expect(resumed).toBeGreaterThan(2);
      expect(resumed).toBeLessThanOrEqual(atDeath + 3);
      // the bootNode of a dead node is refused
      const again = await ex.execute(act({ type: 'bootNode', node: 'n1' }), ctx());
      expect(again.ok).toBe(false);
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
