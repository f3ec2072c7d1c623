/**
 * The simulated executor's world beyond one plan: VMs defined on the fly (`define`), dead nodes
 * repaired (`repairNode`), and the world saved to a state file after every change, so that a new
 * executor on the file goes on from it (actions in flight applied when their end has passed on the
 * clock, rolled back when it has not). The contract suite runs on both file-backed variants.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock, wallClock } from '../../src/execute/clock.js';
import { simulatedExecutor } from '../../src/execute/simulated.js';
import type { StepContext } from '../../src/execute/types.js';
import { makeInstance } from '../../src/model/instance.js';
import type { Action } from '../../src/model/action.js';
import { SwitchyardError } from '../../src/errors.js';
import { describeExecutorContract, plainConfiguration } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-simworld-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `world${n++}.json`);

const ctx = (signal = new AbortController().signal, attempt = 1): StepContext => ({ signal, attempt, expectedSeconds: 1 });

// 1000 MiB VMs at 1000 MiB/s: a migration takes 1 s, a checkpoint 2 s (disk 500 MiB/s), a boot 10 s.
const cap = { cpu: 8, memory: 8192 };
const instance = makeInstance({
  nodes: [{ id: 'n1', capacity: cap }, { id: 'n2', capacity: cap }, { id: 'n3', capacity: cap }],
  vms: [
    { id: 'a', demand: { cpu: 1, memory: 1000 }, state: 'running', host: 'n1' },
    { id: 'b', demand: { cpu: 1, memory: 1000 }, state: 'running', host: 'n2' },
  ],
  durations: { bandwidth: 1000, diskRate: 500, bootVm: 10 },
});
const migrate = (vm: string, from: string, to: string, id = 0): Action => ({ id, type: 'migrate', vm, from, to, start: 0, end: 1 });
const boot = (vm: string, to: string, id = 0): Action => ({ id, type: 'boot', vm, to, start: 0, end: 1 });

describeExecutorContract('simulated, saving to a state file', (inst) => simulatedExecutor(inst, { stateFile: fresh() }));
describeExecutorContract('simulated, reloaded from its state file', async (inst) => {
  const file = fresh();
  await simulatedExecutor(inst, { stateFile: file }).cleanup();
  return simulatedExecutor(inst, { stateFile: file });
});

describe('define', () => {
  it('makes a new VM known, waiting, with its own demand and durations; a boot of an unknown VM stays a precheck error', async () => {
    const sim = simulatedExecutor(instance);
    const unknown = await sim.execute(boot('v', 'n1'), ctx());
    expect(!unknown.ok && unknown.error.code).toBe('precheck');
    expect(await sim.define({ id: 'v', demand: { cpu: 2, memory: 3000 }, durations: { boot: 7 } })).toEqual({ ok: true });
    expect((await sim.observe()).vms.get('v')?.state).toBe('waiting');
    expect(sim.log.at(-1)).toMatchObject({ type: 'defined', vm: 'v' });
    const t0 = sim.clock.now();
    expect((await sim.execute(boot('v', 'n1'), ctx())).ok).toBe(true);
    expect(sim.clock.now() - t0).toBe(7); // its own boot time, not the instance's 10 s
    const t1 = sim.clock.now();
    expect((await sim.execute(migrate('v', 'n1', 'n2'), ctx())).ok).toBe(true);
    expect(sim.clock.now() - t1).toBe(3); // its memory: 3000 MiB at 1000 MiB/s
    expect(sim.durationOf(migrate('v', 'n2', 'n3'))).toBe(3);
    const t2 = sim.clock.now();
    expect(await sim.checkpoint('v', ctx())).toEqual({ ok: true, image: 'n1' });
    expect(sim.clock.now() - t2).toBe(6); // 3000 MiB to disk at 500 MiB/s
    expect(plainConfiguration(await sim.observe()).vms['v']).toBe('running@n2');
  });

  it('is idempotent for a waiting VM; refuses a running one; makes a shut-down or sleeping one wait again (image given up)', async () => {
    const sim = simulatedExecutor(instance);
    const v = { id: 'v', demand: { cpu: 1, memory: 500 } };
    await sim.define(v);
    const events = sim.log.length;
    expect(await sim.define(v)).toEqual({ ok: true });
    expect(sim.log.length).toBe(events); // nothing changed
    await sim.execute(boot('v', 'n3'), ctx());
    const running = await sim.define(v);
    expect(!running.ok && running.error).toMatchObject({ code: 'precheck', message: expect.stringMatching(/running on n3/) });
    expect(plainConfiguration(await sim.observe()).vms['v']).toBe('running@n3');
    // busy: a migration of a under way
    const moving = sim.execute(migrate('a', 'n1', 'n2'), ctx());
    expect((await sim.define({ id: 'a', demand: { cpu: 1, memory: 1000 } })).ok).toBe(false);
    await moving;
    // shut down, then defined again: waiting, bootable
    await sim.execute({ id: 1, type: 'shutdown', vm: 'v', from: 'n3', start: 0, end: 1 }, ctx());
    expect((await sim.observe()).vms.get('v')?.state).toBe('terminated');
    expect(await sim.define(v)).toEqual({ ok: true });
    expect((await sim.observe()).vms.get('v')?.state).toBe('waiting');
    // sleeping with a checkpoint image: defined again, it waits and the image is given up
    expect((await sim.checkpoint('a', ctx())).ok).toBe(true);
    await sim.execute({ id: 2, type: 'suspend', vm: 'a', from: 'n2', start: 0, end: 1 }, ctx());
    expect(sim.imageOf('a')).toBeDefined();
    expect(await sim.define({ id: 'a', demand: { cpu: 1, memory: 1000 } })).toEqual({ ok: true });
    expect((await sim.observe()).vms.get('a')?.state).toBe('waiting');
    expect(sim.imageOf('a')).toBeUndefined();
    // a bad demand
    const bad = await sim.define({ id: 'w', demand: { cpu: -1 } });
    expect(!bad.ok && bad.error.code).toBe('failed');
    expect(!bad.ok && bad.error.message).toMatch(/"cpu" is -1/);
    expect((await sim.observe()).vms.has('w')).toBe(false);
  });

  it('a VM lost with its node is waiting again once defined anew (to be booted elsewhere)', async () => {
    const sim = simulatedExecutor(instance);
    sim.killNode('n1');
    expect((await sim.observe()).vms.has('a')).toBe(false);
    expect(await sim.define({ id: 'a', demand: { cpu: 1, memory: 1000 } })).toEqual({ ok: true });
    expect((await sim.observe()).vms.get('a')?.state).toBe('waiting');
    expect((await sim.execute(boot('a', 'n2'), ctx())).ok).toBe(true);
    sim.killNode('n2');
    expect(await sim.define({ id: 'a', demand: { cpu: 1, memory: 9000 } })).toEqual({ ok: true });
    expect(sim.durationOf(migrate('a', 'n1', 'n3'))).toBe(1); // it keeps the demand it was first known with
  });
});

describe('repairNode', () => {
  it('brings a dead node back online and empty; its lost VMs stay lost; a live node is left alone', async () => {
    const sim = simulatedExecutor(instance);
    sim.killNode('n1');
    expect(sim.deadNodes.has('n1')).toBe(true);
    expect((await sim.execute(migrate('b', 'n2', 'n1'), ctx())).ok).toBe(false);
    sim.repairNode('n1');
    expect(sim.deadNodes.has('n1')).toBe(false);
    const c = await sim.observe();
    expect(c.nodes.get('n1')).toBe('online');
    expect(c.runningOn('n1')).toEqual([]);
    expect(c.vms.has('a')).toBe(false);
    expect(sim.log.at(-1)).toMatchObject({ type: 'nodeRepaired', node: 'n1' });
    expect((await sim.execute(migrate('b', 'n2', 'n1'), ctx())).ok).toBe(true);
    const events = sim.log.length;
    sim.repairNode('n2');
    sim.repairNode('nowhere');
    expect(sim.log.length).toBe(events);
    expect((await sim.observe()).nodes.get('n2')).toBe('online');
    expect((await sim.observe()).nodes.has('nowhere')).toBe(false);
  });

  it('an offline node that is not dead comes online', async () => {
    const off = makeInstance({ nodes: [{ id: 'n1', capacity: cap }, { id: 'n9', capacity: cap, state: 'offline' }], vms: [] });
    const sim = simulatedExecutor(off);
    sim.repairNode('n9');
    expect((await sim.observe()).nodes.get('n9')).toBe('online');
  });
});

describe('stateFile', () => {
  it('starts from the instance when the file does not exist, and writes it at once', () => {
    const file = fresh();
    const sim = simulatedExecutor(instance, { stateFile: file });
    expect(sim.restored).toBeUndefined();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { version: number; vms: unknown[] };
    expect(saved.version).toBe(1);
    expect(saved.vms).toHaveLength(2);
  });

  it('a new executor on the file has the whole world: placements, defined VMs, dead nodes, images, the time', async () => {
    const file = fresh();
    const sim = simulatedExecutor(instance, { stateFile: file });
    await sim.define({ id: 'v', demand: { cpu: 1, memory: 4000 }, durations: { boot: 2 } });
    await sim.execute(boot('v', 'n2'), ctx());
    await sim.execute(migrate('a', 'n1', 'n3'), ctx());
    expect((await sim.checkpoint('a', ctx())).ok).toBe(true);
    sim.killNode('n2');
    const before = plainConfiguration(await sim.observe());
    const time = sim.clock.now();
    await sim.cleanup();

    const again = simulatedExecutor(instance, { stateFile: file });
    expect(again.restored).toEqual({ savedAt: time, applied: [], rolledBack: [] });
    expect(again.clock.now()).toBe(time);
    expect(plainConfiguration(await again.observe())).toEqual(before);
    expect(again.deadNodes.has('n2')).toBe(true);
    expect(again.imageOf('a')).toEqual(sim.imageOf('a'));
    expect(again.durationOf(migrate('v', 'n1', 'n3'))).toBe(4); // the defined VM's memory is known after the reload
    sim.killNode('n1'); // the old one, cleaned up, writes nothing more
    expect(plainConfiguration(await simulatedExecutor(instance, { stateFile: file }).observe())).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an action in flight is applied on reload when its expected end has passed on the clock, rolled back when not', async () => {
    const file = fresh();
    const sim = simulatedExecutor(instance, { stateFile: file, clock: new VirtualClock(10) });
    const pending = sim.execute(migrate('a', 'n1', 'n2'), ctx()); // 10 → 11
    const early = fresh();
    const late = fresh();
    copyFileSync(file, early);
    copyFileSync(file, late);
    await sim.cleanup(); // "killed": it writes nothing more
    await pending;

    const rolled = simulatedExecutor(instance, { stateFile: early, clock: new VirtualClock(10.5) });
    expect(rolled.restored?.rolledBack).toEqual([migrate('a', 'n1', 'n2')]);
    expect(rolled.restored?.applied).toEqual([]);
    expect(plainConfiguration(await rolled.observe()).vms['a']).toBe('running@n1');
    expect((await rolled.execute(migrate('a', 'n1', 'n3'), ctx())).ok).toBe(true); // not busy any more

    const applied = simulatedExecutor(instance, { stateFile: late, clock: new VirtualClock(11) });
    expect(applied.restored?.applied).toEqual([migrate('a', 'n1', 'n2')]);
    expect(plainConfiguration(await applied.observe()).vms['a']).toBe('running@n2');
    // the settled world is saved: a third reload finds no flight
    expect(simulatedExecutor(instance, { stateFile: late, clock: new VirtualClock(12) }).restored).toMatchObject({ applied: [], rolledBack: [] });
  });

  it('an action that was to fail or to hang is rolled back whatever the time; a default clock resumes at the saved time', async () => {
    const file = fresh();
    const sim = simulatedExecutor(instance, { stateFile: file, faults: [{ kind: 'fail', action: 0 }, { kind: 'hang', action: 1 }] });
    void sim.execute(migrate('a', 'n1', 'n2', 0), ctx());
    void sim.execute(migrate('b', 'n2', 'n3', 1), ctx());
    await sim.cleanup();
    const at = JSON.parse(readFileSync(file, 'utf8')) as { time: number; flights: { end: number | null }[] };
    expect(at.flights.map((f) => f.end)).toEqual([0.5, null]);
    const again = simulatedExecutor(instance, { stateFile: file, clock: new VirtualClock(1000) });
    expect(again.restored?.rolledBack.map((a) => a.id).sort()).toEqual([0, 1]);
    expect(plainConfiguration(await again.observe()).vms).toEqual({ a: 'running@n1', b: 'running@n2' });
    const resumed = simulatedExecutor(instance, { stateFile: file });
    expect(resumed.clock.now()).toBe(1000);
  });

  it('a checkpoint in flight leaves its image when its end has passed', async () => {
    const file = fresh();
    const sim = simulatedExecutor(instance, { stateFile: file, imageStore: 'n3' });
    void sim.checkpoint('a', ctx()); // 0 → 2
    const copy = fresh();
    copyFileSync(file, copy);
    await sim.cleanup();
    expect(simulatedExecutor(instance, { stateFile: file, clock: new VirtualClock(1) }).imageOf('a')).toBeUndefined();
    expect(simulatedExecutor(instance, { stateFile: copy, clock: new VirtualClock(3) }).imageOf('a')).toEqual({ node: 'n3', at: 2 });
  });

  it('a node death that fired before the save does not fire again on reload (a repaired node stays up)', async () => {
    const file = fresh();
    const faults = [{ kind: 'killNode' as const, node: 'n2', at: 1 }];
    const sim = simulatedExecutor(instance, { stateFile: file, faults });
    await sim.clock.sleep(2);
    expect(sim.deadNodes.has('n2')).toBe(true);
    sim.repairNode('n2');
    await sim.cleanup();
    const again = simulatedExecutor(instance, { stateFile: file, faults });
    await again.clock.sleep(1);
    expect(again.deadNodes.has('n2')).toBe(false);
    expect((await again.observe()).nodes.get('n2')).toBe('online');
    // one that had not fired before the save does fire after the reload
    const f2 = fresh();
    const kill3 = [{ kind: 'killNode' as const, node: 'n3', at: 5 }];
    await simulatedExecutor(instance, { stateFile: f2, faults: kill3 }).cleanup();
    const later = simulatedExecutor(instance, { stateFile: f2, faults: kill3 });
    await later.clock.sleep(6);
    expect(later.deadNodes.has('n3')).toBe(true);
  });

  it('counts the boots of each VM across reloads, a boot applied on reload included', async () => {
    const file = fresh();
    const sim = simulatedExecutor(instance, { stateFile: file });
    await sim.define({ id: 'v', demand: { cpu: 1 } });
    await sim.define({ id: 'w', demand: { cpu: 1 } });
    expect((await sim.execute(boot('v', 'n1'), ctx())).ok).toBe(true);
    expect(sim.bootsOf('v')).toBe(1);
    void sim.execute(boot('w', 'n2'), ctx()); // 10 s, in flight when "killed"
    await sim.cleanup();
    const again = simulatedExecutor(instance, { stateFile: file, clock: new VirtualClock(sim.clock.now() + 20) });
    expect([again.bootsOf('v'), again.bootsOf('w'), again.bootsOf('a')]).toEqual([1, 1, 0]);
  });

  it('refuses a file that is not a saved world', () => {
    const file = fresh();
    writeFileSync(file, '{"version":1,"time":0,"vms":[["a","flying",null]]}');
    expect(() => simulatedExecutor(instance, { stateFile: file })).toThrow(SwitchyardError);
    writeFileSync(file, '{');
    expect(() => simulatedExecutor(instance, { stateFile: file })).toThrow(/not a simulated world/);
  });
});

describe('on a wall clock', () => {
  it('actions take real time ÷ speed, and node deaths fire on it (until cleanup)', async () => {
    const clock = wallClock({ speed: 100 });
    const sim = simulatedExecutor(instance, { clock, faults: [{ kind: 'killNode', node: 'n3', at: clock.now() + 3 }, { kind: 'killNode', node: 'n2', at: clock.now() + 1000 }] });
    const t = performance.now();
    expect((await sim.execute(migrate('a', 'n1', 'n2'), ctx())).ok).toBe(true); // 1 s: 10 ms real
    expect(performance.now() - t).toBeGreaterThanOrEqual(8);
    await clock.sleep(5); // 50 ms real
    expect(sim.deadNodes.has('n3')).toBe(true);
    await sim.cleanup(); // cancels n2's death (else a real 10 s timer would keep the process up)
    expect(sim.deadNodes.has('n2')).toBe(false);
  });

  it('a world saved on a wall clock goes on with the time it was down: an action that ended meanwhile is applied', async () => {
    const file = fresh();
    const first = wallClock({ speed: 10 });
    const sim = simulatedExecutor(instance, { clock: first, stateFile: file });
    void sim.execute(migrate('a', 'n1', 'n2'), ctx()); // ends 1 clock s (100 ms real) later
    await sim.cleanup();
    const copy = fresh();
    copyFileSync(file, copy);
    const soon = simulatedExecutor(instance, { clock: wallClock({ speed: 10, origin: first.origin }), stateFile: file });
    expect(soon.restored?.rolledBack).toHaveLength(1);
    expect(plainConfiguration(await soon.observe()).vms['a']).toBe('running@n1');
    await new Promise((r) => setTimeout(r, 150));
    const later = simulatedExecutor(instance, { clock: wallClock({ speed: 10, origin: first.origin }), stateFile: copy });
    expect(later.restored?.applied).toHaveLength(1);
    expect(plainConfiguration(await later.observe()).vms['a']).toBe('running@n2');
  });
});
