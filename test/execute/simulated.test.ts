/**
 * The simulated executor and its virtual clock: the contract, then the clock's rules, durations
 * with seeded noise, injected faults and node deaths (with and without checkpoint images).
 */
import { describe, expect, it } from 'vitest';
import { systemClock, VirtualClock } from '../../src/execute/clock.js';
import { simulatedExecutor } from '../../src/execute/simulated.js';
import type { StepContext } from '../../src/execute/types.js';
import { makeInstance } from '../../src/model/instance.js';
import type { Action } from '../../src/model/action.js';
import { describeExecutorContract } from './contract.js';

describeExecutorContract('simulated', (instance) => simulatedExecutor(instance));

const ctx = (signal = new AbortController().signal, attempt = 1): StepContext => ({ signal, attempt, expectedSeconds: 1 });

describe('VirtualClock', () => {
  it('jumps to the next timer once nothing else can happen, in timer order, ties in setting order', async () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.at(5, () => seen.push(`at5@${c.now()}`));
    c.at(2, () => seen.push(`at2@${c.now()}`));
    c.at(2, () => seen.push(`at2b@${c.now()}`));
    const t = performance.now();
    expect(await c.sleep(10)).toBe(true);
    expect(performance.now() - t).toBeLessThan(1000); // 10 virtual seconds, no real wait
    expect(c.now()).toBe(10);
    expect(seen).toEqual(['at2@2', 'at2b@2', 'at5@5']);
  });

  it('stands still while nobody sleeps: a callback in the future does not make time pass', async () => {
    const c = new VirtualClock(3);
    let fired = false;
    c.at(100, () => (fired = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(c.now()).toBe(3);
    expect(fired).toBe(false);
    const cancel = c.at(4, () => (fired = true));
    cancel();
    await c.sleep(50);
    expect(fired).toBe(false);
    await c.sleep(60);
    expect(fired).toBe(true);
  });

  it('an aborted sleep resolves false at once; a sleep of Infinity ends only with its signal', async () => {
    const c = new VirtualClock();
    const ctl = new AbortController();
    const forever = c.sleep(Infinity, ctl.signal);
    const short = c.sleep(1);
    expect(await short).toBe(true);
    ctl.abort();
    expect(await forever).toBe(false);
    expect(await c.sleep(1, ctl.signal)).toBe(false);
    expect(c.now()).toBe(1);
  });

  it('the system clock measures real time and aborts too', async () => {
    const c = systemClock();
    expect(await c.sleep(0.01)).toBe(true);
    expect(c.now()).toBeGreaterThanOrEqual(0.009);
    const ctl = new AbortController();
    const p = c.sleep(60, ctl.signal);
    ctl.abort();
    expect(await p).toBe(false);
  });
});

const inst = makeInstance({
  nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, capacity: { cpu: 8, memory: 16384 } })),
  vms: [
    { id: 'a', demand: { cpu: 1, memory: 2000 }, state: 'running', host: 'n1' },
    { id: 'b', demand: { cpu: 1, memory: 1000 }, state: 'running', host: 'n1' },
    { id: 's', demand: { cpu: 1, memory: 1000 }, state: 'sleeping', host: 'n1' },
  ],
  durations: { bandwidth: 1000, diskRate: 1000 },
});
const mig: Action = { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 2 };

describe('simulatedExecutor', () => {
  it('an action takes its model duration on the virtual clock, with seeded noise within ±noise', async () => {
    const sim = simulatedExecutor(inst);
    expect(await sim.execute(mig, ctx())).toEqual({ ok: true });
    expect(sim.clock.now()).toBe(2);
    const ds = Array.from({ length: 50 }, (_, i) => simulatedExecutor(inst, { noise: 0.5, seed: i }).durationOf(mig));
    for (const d of ds) expect(Math.abs(d - 2)).toBeLessThanOrEqual(1);
    expect(new Set(ds).size).toBeGreaterThan(40);
    expect(simulatedExecutor(inst, { noise: 0.5, seed: 3 }).durationOf(mig)).toBe(ds[3]);
  });

  it('fault rates: a failure changes nothing, is retryable only when transient; a hang waits for its signal', async () => {
    const fails = simulatedExecutor(inst, { failureRate: 1 });
    const out = await fails.execute(mig, ctx());
    expect(out).toMatchObject({ ok: false, error: { code: 'failed', retryable: false } });
    expect(fails.configuration.hostOf('a')).toBe('n1');
    expect(await simulatedExecutor(inst, { transientRate: 1 }).execute(mig, ctx())).toMatchObject({ ok: false, error: { retryable: true } });
    const hangs = simulatedExecutor(inst, { hangRate: 1 });
    const ctl = new AbortController();
    hangs.clock.at(0, () => undefined);
    const p = hangs.execute(mig, ctx(ctl.signal));
    await hangs.clock.sleep(1000);
    ctl.abort();
    expect(await p).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(hangs.configuration.hostOf('a')).toBe('n1');
    // About a fifth of 500 actions fail with failureRate 0.2, the same ones for a seed.
    const runs = await Promise.all(
      Array.from({ length: 500 }, (_, i) => simulatedExecutor(inst, { failureRate: 0.2, seed: 9 }).execute({ ...mig, id: i }, ctx())),
    );
    const failed = runs.filter((r) => !r.ok).length;
    expect(failed).toBeGreaterThan(70);
    expect(failed).toBeLessThan(130);
  });

  it('a node death: its VMs and images go, in-flight actions on it end node-lost, checkpointed VMs sleep on their image', async () => {
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'killNode', node: 'n1', at: 3 }] });
    expect(await sim.checkpoint('b', ctx())).toEqual({ ok: true, image: 'n2' }); // 1000 MiB at 1000 MiB/s: ends at 1
    const p = sim.execute(mig, ctx()); // 1 → 3: the source dies as it would end
    const q = sim.execute({ id: 1, type: 'migrate', vm: 'b', from: 'n1', to: 'n3', start: 0, end: 1 }, ctx());
    expect(await q).toEqual({ ok: true }); // b left n1 before it died (ends at 2)
    expect(await p).toMatchObject({ ok: false, error: { code: 'node-lost' } });
    const c = sim.configuration;
    expect(c.vms.has('a')).toBe(false); // lost: no image
    expect(c.vms.has('s')).toBe(false); // its image was on n1
    expect(c.hostOf('b')).toBe('n3');
    expect(c.nodes.get('n1')).toBe('offline');
    expect(sim.deadNodes.has('n1')).toBe(true);
    expect(await sim.execute({ id: 2, type: 'bootNode', node: 'n1', start: 0, end: 1 }, ctx())).toMatchObject({ ok: false, error: { code: 'node-lost' } });

    const sim2 = simulatedExecutor(inst, { faults: [{ kind: 'killNode', node: 'n1', at: 5 }], imageStore: 'n3' });
    expect(await sim2.checkpoint('a', ctx())).toEqual({ ok: true, image: 'n3' });
    await sim2.clock.sleep(10);
    expect(sim2.configuration.vms.get('a')?.toJS()).toEqual({ state: 'sleeping', host: 'n3' });
    expect(sim2.imageOf('a')).toEqual({ node: 'n3', at: 2 });
    expect(sim2.log.find((e) => e.type === 'nodeDied')).toMatchObject({ lost: ['b', 's'], recovered: ['a'] });
    // The recovered VM resumes elsewhere from its image.
    expect(await sim2.execute({ id: 3, type: 'resume', vm: 'a', from: 'n3', to: 'n2', start: 0, end: 1 }, ctx())).toEqual({ ok: true });
    expect(sim2.configuration.hostOf('a')).toBe('n2');
  });

  it('cleanup cancels node deaths still to come, and is idempotent', async () => {
    const sim = simulatedExecutor(inst, { faults: [{ kind: 'killNode', node: 'n1', at: 5 }] });
    await sim.cleanup();
    await sim.cleanup();
    await sim.clock.sleep(10);
    expect(sim.deadNodes.size).toBe(0);
  });
});
