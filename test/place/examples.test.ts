import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import type { Constraint } from '../../src/model/constraints.js';
import { makeInstance, type Instance, type InstanceInit } from '../../src/model/instance.js';
import type { Objective } from '../../src/model/objective.js';
import { placeInstance, type PlaceOptions } from '../../src/place/place.js';
import type { PlacementFound, PlacementResult } from '../../src/place/types.js';
import { unreachable } from './worlds.js';

const options: PlaceOptions = { seed: 1, timeLimitMs: 10_000, now: () => performance.now() };

function node(id: string, cpu: number, memory: number, state: 'online' | 'offline' = 'online') {
  return { id, capacity: { cpu, memory }, state };
}

async function solve(init: InstanceInit, extra: Partial<PlaceOptions> = {}): Promise<{ inst: Instance; r: PlacementResult }> {
  const inst = makeInstance(init);
  const r = await placeInstance(inst, { ...options, ...extra });
  if (r.status !== 'infeasible') {
    expect(checkConfiguration(inst, r.target)).toEqual([]);
    expect(unreachable(inst, r.target)).toEqual([]);
  }
  return { inst, r };
}

function found(r: PlacementResult): PlacementFound {
  if (r.status === 'infeasible') throw new Error(`infeasible: ${r.reasons.map((x) => x.message).join('; ')}`);
  return r;
}

describe('context switch', () => {
  it('a high-priority vjob preempts a low-priority one that fills the cluster (suspended whole)', async () => {
    const { r } = await solve({
      nodes: [node('n1', 8, 8192)],
      vms: [
        { id: 'l1', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'low' },
        { id: 'l2', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'low' },
        { id: 'h1', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'high' },
      ],
      vjobs: [{ id: 'low', priority: 0 }, { id: 'high', priority: 5 }],
    });
    const t = found(r).target;
    expect(t.vms.get('h1')?.state).toBe('running');
    expect(t.vms.get('l1')?.state).toBe('sleeping');
    expect(t.vms.get('l1')?.host).toBe('n1');
    expect(t.vms.get('l2')?.state).toBe('sleeping');
  });

  it('a low-priority vjob keeps running when the high-priority one fits elsewhere', async () => {
    const { r } = await solve({
      nodes: [node('n1', 8, 8192), node('n2', 4, 4096)],
      vms: [
        { id: 'l1', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'low' },
        { id: 'l2', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'low' },
        { id: 'h1', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'high' },
      ],
      vjobs: [{ id: 'low', priority: 0 }, { id: 'high', priority: 5 }],
    });
    const f = found(r);
    expect(f.target.vms.get('h1')).toMatchObject({ state: 'running', host: 'n2' });
    expect(f.target.vms.get('l1')).toMatchObject({ state: 'running', host: 'n1' });
    expect(f.migratedMemory).toBe(0);
  });

  it('a sleeping vjob resumes when room appears, and stays asleep when there is none', async () => {
    const init = (cap: number): InstanceInit => ({
      nodes: [node('n1', 8, 8192), node('n2', cap, cap * 1024)],
      vms: [
        { id: 'a', demand: { cpu: 8, memory: 8192 }, state: 'running', host: 'n1' },
        { id: 's1', demand: { cpu: 2, memory: 2048 }, state: 'sleeping', host: 'n1', vjob: 'sleepy' },
        { id: 's2', demand: { cpu: 2, memory: 2048 }, state: 'sleeping', host: 'n1', vjob: 'sleepy' },
      ],
      vjobs: [{ id: 'sleepy' }],
    });
    const room = found((await solve(init(4))).r).target;
    expect(room.vms.get('s1')).toMatchObject({ state: 'running', host: 'n2' });
    expect(room.vms.get('s2')).toMatchObject({ state: 'running', host: 'n2' });
    const none = found((await solve(init(2))).r).target;
    // Only one of the two fits on n2: the gang stays asleep, images where they were.
    expect(none.vms.get('s1')).toMatchObject({ state: 'sleeping', host: 'n1' });
    expect(none.vms.get('s2')).toMatchObject({ state: 'sleeping', host: 'n1' });
  });

  it('a reservation evicts best-effort VMs: moved when there is room, suspended when not', async () => {
    const init = (spare: number): InstanceInit => ({
      nodes: [node('n1', 8, 8192), node('n2', spare, spare * 1024)],
      vms: [
        { id: 'be1', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'be' },
        { id: 'r1', demand: { cpu: 8, memory: 8192 }, state: 'waiting', vjob: 'res' },
      ],
      vjobs: [{ id: 'be', priority: 9, bestEffort: true }, { id: 'res' }],
      constraints: [{ type: 'reserved', nodes: ['n1'], vjob: 'res' }],
      objective: { type: 'minMigrations' },
    });
    const moved = found((await solve(init(4))).r).target;
    expect(moved.vms.get('r1')).toMatchObject({ state: 'running', host: 'n1' });
    expect(moved.vms.get('be1')).toMatchObject({ state: 'running', host: 'n2' });
    const suspended = found((await solve(init(2))).r).target;
    expect(suspended.vms.get('r1')).toMatchObject({ state: 'running', host: 'n1' });
    expect(suspended.vms.get('be1')).toMatchObject({ state: 'sleeping', host: 'n1' });
  });

  it('best-effort vjobs give way first, whatever their priority', async () => {
    const { r } = await solve({
      nodes: [node('n1', 4, 4096)],
      vms: [
        { id: 'b', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'be' },
        { id: 'w', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'normal' },
      ],
      vjobs: [{ id: 'be', priority: 10, bestEffort: true }, { id: 'normal', priority: 0 }],
    });
    const t = found(r).target;
    expect(t.vms.get('w')?.state).toBe('running');
    expect(t.vms.get('b')).toMatchObject({ state: 'sleeping', host: 'n1' });
  });

  it('equal priorities: the earlier submission runs; a smaller vjob later in the queue backfills', async () => {
    const { r } = await solve({
      nodes: [node('n1', 6, 6144)],
      vms: [
        { id: 'x', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'late' },
        { id: 'y', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'early' },
        { id: 'z', demand: { cpu: 2, memory: 2048 }, state: 'waiting', vjob: 'latest' },
      ],
      vjobs: [{ id: 'late', submitted: 5 }, { id: 'early', submitted: 1 }, { id: 'latest', submitted: 9 }],
    });
    const t = found(r).target;
    expect(t.vms.get('y')?.state).toBe('running');
    expect(t.vms.get('x')?.state).toBe('waiting');
    expect(t.vms.get('z')?.state).toBe('running');
  });

  it('takes a user admission policy (strict first-come-first-served: no backfilling)', async () => {
    const init: InstanceInit = {
      nodes: [node('n1', 6, 6144)],
      vms: [
        { id: 'y', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'early' },
        { id: 'x', demand: { cpu: 4, memory: 4096 }, state: 'waiting', vjob: 'late' },
        { id: 'z', demand: { cpu: 2, memory: 2048 }, state: 'waiting', vjob: 'latest' },
      ],
      vjobs: [{ id: 'early', submitted: 1 }, { id: 'late', submitted: 5 }, { id: 'latest', submitted: 9 }],
    };
    const seen: string[] = [];
    const { r } = await solve(init, {
      policy: (ctx) => {
        const queue = [...ctx.candidates].sort((a, b) => a.submitted - b.submitted);
        for (const j of queue) {
          seen.push(j.id);
          if (!ctx.tryRun(j.id)) break;
        }
      },
    });
    const t = found(r).target;
    expect(seen).toEqual(['early', 'late']);
    expect(t.vms.get('y')?.state).toBe('running');
    expect(t.vms.get('x')?.state).toBe('waiting');
    expect(t.vms.get('z')?.state).toBe('waiting');
  });

  it('wants and state constraints are obeyed absolutely, above priorities', async () => {
    const { r } = await solve({
      nodes: [node('n1', 4, 4096)],
      vms: [
        { id: 'hi', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1', vjob: 'top' },
        { id: 'lo', demand: { cpu: 4, memory: 4096 }, state: 'waiting', wants: 'running' },
        { id: 'gone', demand: { cpu: 1, memory: 512 }, state: 'sleeping', host: 'n1' },
      ],
      vjobs: [{ id: 'top', priority: 100 }],
      constraints: [{ type: 'sleeping', vms: ['gone'] }],
    });
    const t = found(r).target;
    expect(t.vms.get('lo')).toMatchObject({ state: 'running', host: 'n1' });
    expect(t.vms.get('hi')).toMatchObject({ state: 'sleeping', host: 'n1' });
    expect(t.vms.get('gone')).toMatchObject({ state: 'sleeping', host: 'n1' });
  });

  it('a vjob that mixes waiting and started VMs can only run (it cannot end split)', async () => {
    const { r } = await solve({
      nodes: [node('n1', 8, 8192)],
      vms: [
        { id: 'a', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'b', demand: { cpu: 2, memory: 2048 }, state: 'waiting', vjob: 'j' },
      ],
      vjobs: [{ id: 'j' }],
    });
    expect(found(r).target.vms.get('b')?.state).toBe('running');
  });
});

describe('objectives', () => {
  const spreadOut = (objective: Objective, extra: Partial<InstanceInit> = {}): InstanceInit => ({
    nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
    vms: [
      { id: 'a', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n1' },
      { id: 'b', demand: { cpu: 2, memory: 4096 }, state: 'running', host: 'n2' },
      { id: 'c', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n3' },
    ],
    objective,
    ...extra,
  });

  it('consolidate: fewest nodes, then least memory migrated (the biggest VM stays)', async () => {
    const f = found((await solve(spreadOut({ type: 'consolidate' }))).r);
    expect(f.nodesUsed).toBe(1);
    expect(f.status).toBe('optimal');
    expect(f.target.runningOn('n2').sort()).toEqual(['a', 'b', 'c']);
    expect(f.migratedMemory).toBe(1024 + 2048);
    // Without powerOff, emptied nodes stay online.
    expect(f.target.nodes.get('n1')).toBe('online');
  });

  it('consolidate with powerOff: emptied nodes go offline; offline nodes boot only when needed', async () => {
    const f = found((await solve(spreadOut({ type: 'consolidate', powerOff: true }))).r);
    expect(f.target.nodes.toJS()).toEqual({ n1: 'offline', n2: 'online', n3: 'offline' });
    const boot = found(
      (
        await solve({
          nodes: [node('n1', 4, 4096), node('n2', 16, 16384, 'offline'), node('n3', 16, 16384, 'offline')],
          vms: [
            { id: 'a', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1' },
            { id: 'b', demand: { cpu: 6, memory: 6144 }, state: 'waiting' },
          ],
          objective: { type: 'consolidate', powerOff: true },
        })
      ).r,
    );
    expect(boot.nodesUsed).toBe(1);
    const online = [...boot.target.nodes].filter(([, s]) => s === 'online').map(([n]) => n);
    expect(online).toHaveLength(1);
    expect(boot.target.runningOn(online[0]!).sort()).toEqual(['a', 'b']);
    // Without powerOff, offline nodes are not booted: b cannot start.
    const noBoot = found((await solve({ ...spreadOut({ type: 'consolidate' }), nodes: [node('n1', 4, 4096), node('n2', 16, 16384, 'offline')], vms: [{ id: 'a', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n1' }, { id: 'b', demand: { cpu: 6, memory: 6144 }, state: 'waiting' }] })).r);
    expect(noBoot.target.vms.get('b')?.state).toBe('waiting');
    expect(noBoot.target.nodes.get('n2')).toBe('offline');
  });

  it('balance: smallest peak ratio, then least migrated', async () => {
    const f = found(
      (
        await solve({
          nodes: [node('n1', 8, 8192), node('n2', 8, 8192)],
          vms: [
            { id: 'a', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n1' },
            { id: 'b', demand: { cpu: 2, memory: 4096 }, state: 'running', host: 'n1' },
            { id: 'c', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1' },
            { id: 'd', demand: { cpu: 2, memory: 512 }, state: 'running', host: 'n1' },
          ],
          objective: { type: 'balance' },
        })
      ).r,
    );
    expect(f.target.runningOn('n1')).toHaveLength(2);
    expect(f.target.runningOn('n2')).toHaveLength(2);
    expect(f.migratedMemory).toBe(512 + 1024);
    expect(f.status).toBe('optimal');
  });

  it('balance on memory', async () => {
    const f = found(
      (
        await solve({
          nodes: [node('n1', 8, 8192), node('n2', 8, 4096)],
          vms: [
            { id: 'a', demand: { cpu: 1, memory: 4096 }, state: 'running', host: 'n1' },
            { id: 'b', demand: { cpu: 1, memory: 2048 }, state: 'running', host: 'n1' },
          ],
          objective: { type: 'balance', resource: 'memory' },
        })
      ).r,
    );
    // 4096/8192 and 2048/4096: both at 0.5.
    expect(f.target.vms.get('a')?.host).toBe('n1');
    expect(f.target.vms.get('b')?.host).toBe('n2');
  });

  it('minMigrations: repairs an overloaded node and a ban by moving the least memory, nothing else', async () => {
    const f = found(
      (
        await solve({
          nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
          vms: [
            { id: 'big', demand: { cpu: 6, memory: 6144 }, state: 'running', host: 'n1' },
            { id: 'small', demand: { cpu: 3, memory: 1024 }, state: 'running', host: 'n1' },
            { id: 'mid', demand: { cpu: 3, memory: 2048 }, state: 'running', host: 'n1' },
            { id: 'banned', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n2' },
            { id: 'calm', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n2' },
            { id: 'idle', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n3' },
          ],
          constraints: [{ type: 'ban', vms: ['banned'], nodes: ['n2'] }],
          objective: { type: 'minMigrations' },
        })
      ).r,
    );
    // n1 holds 12 cpu for 8: moving small and mid (3072 MiB) repairs it more cheaply than moving big (6144).
    expect(f.target.vms.get('big')?.host).toBe('n1');
    expect(f.target.vms.get('calm')?.host).toBe('n2');
    expect(f.target.vms.get('idle')?.host).toBe('n3');
    expect(f.target.vms.get('banned')?.host).not.toBe('n2');
    expect(f.migratedMemory).toBe(1024 + 2048 + 512);
    expect(f.status).toBe('optimal');
  });

  it('minMigrations on a valid configuration moves nothing and is optimal', async () => {
    const f = found((await solve(spreadOut({ type: 'minMigrations' }))).r);
    expect(f.migratedMemory).toBe(0);
    expect(f.nodesUsed).toBe(3);
    expect(f.status).toBe('optimal');
  });
});

describe('constraints that pin and power', () => {
  it('root VMs stay put and quarantined nodes receive nothing, even when consolidating', async () => {
    const f = found(
      (
        await solve({
          nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
          vms: [
            { id: 'r', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n1' },
            { id: 'q', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n2' },
            { id: 'x', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n3' },
            { id: 'w', demand: { cpu: 1, memory: 512 }, state: 'waiting' },
          ],
          constraints: [{ type: 'root', vms: ['r'] }, { type: 'quarantine', nodes: ['n2'] }],
          objective: { type: 'consolidate' },
        })
      ).r,
    );
    expect(f.target.vms.get('r')?.host).toBe('n1');
    expect(f.target.vms.get('q')?.host).toBe('n2');
    expect(f.target.runningOn('n2')).toEqual(['q']);
    expect(f.target.runningOn('n1').sort()).toEqual(['r', 'w', 'x']);
    expect(f.nodesUsed).toBe(2);
  });

  it('maxOnline without powerOff turns off an unused node only when it must', async () => {
    const f = found(
      (
        await solve({
          nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
          vms: [
            { id: 'a', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n1' },
            { id: 'b', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n2' },
            { id: 'c', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n3' },
          ],
          constraints: [{ type: 'maxOnline', nodes: ['n1', 'n2', 'n3'], amount: 2 }],
          objective: { type: 'minMigrations' },
        })
      ).r,
    );
    expect([...f.target.nodes.values()].filter((s) => s === 'online')).toHaveLength(2);
    expect(f.migratedMemory).toBe(1024);
  });

  it('offline nodes are evacuated, sleeping images may stay on them', async () => {
    const f = found(
      (
        await solve({
          nodes: [node('n1', 8, 8192), node('n2', 8, 8192)],
          vms: [
            { id: 'a', demand: { cpu: 2, memory: 1024 }, state: 'running', host: 'n2' },
            { id: 's', demand: { cpu: 2, memory: 1024 }, state: 'sleeping', host: 'n2', wants: 'sleeping' },
          ],
          constraints: [{ type: 'offline', nodes: ['n2'] }],
        })
      ).r,
    );
    expect(f.target.vms.get('a')).toMatchObject({ state: 'running', host: 'n1' });
    expect(f.target.vms.get('s')).toMatchObject({ state: 'sleeping', host: 'n2' });
    expect(f.target.nodes.get('n2')).toBe('offline');
  });
});

describe('infeasible instances name their reasons', () => {
  const reasonsOf = async (init: InstanceInit) => {
    const { r } = await solve(init);
    expect(r.status).toBe('infeasible');
    return r.status === 'infeasible' ? r.reasons : [];
  };

  it('memory wanted by VMs that must run exceeds capacity by X MiB', async () => {
    const reasons = await reasonsOf({
      nodes: [node('n1', 16, 4096), node('n2', 16, 4096)],
      vms: [
        { id: 'a', demand: { cpu: 1, memory: 3072 }, state: 'waiting', wants: 'running' },
        { id: 'b', demand: { cpu: 1, memory: 3072 }, state: 'waiting', wants: 'running' },
        { id: 'c', demand: { cpu: 1, memory: 3072 }, state: 'waiting', wants: 'running' },
      ],
    });
    const m = reasons.find((x) => x.resource === 'memory');
    expect(m?.message).toContain('by 1024 MiB');
    expect(m?.vms).toEqual(['a', 'b', 'c']);
  });

  it('spread over 5 VMs with only 4 allowed nodes', async () => {
    const vms = ['a', 'b', 'c', 'd', 'e'];
    const reasons = await reasonsOf({
      nodes: ['n1', 'n2', 'n3', 'n4'].map((n) => node(n, 16, 16384)),
      vms: vms.map((id) => ({ id, demand: { cpu: 1, memory: 512 }, state: 'waiting' as const })),
      constraints: [{ type: 'spread', vms }, { type: 'running', vms }],
    });
    const s = reasons.find((x) => x.constraints?.includes(0));
    expect(s?.message).toMatch(/spread.*5 VMs.*4 allowed node/);
  });

  it('gather set larger than any node', async () => {
    const reasons = await reasonsOf({
      nodes: [node('n1', 4, 4096), node('n2', 4, 4096)],
      vms: ['a', 'b', 'c'].map((id) => ({ id, demand: { cpu: 2, memory: 1024 }, state: 'waiting' as const, wants: 'running' as const })),
      constraints: [{ type: 'gather', vms: ['a', 'b', 'c'] }],
    });
    expect(reasons.some((x) => /gather \(#0\).*larger than any node/.test(x.message) && x.resource === 'cpu')).toBe(true);
  });

  it('impossible state changes and node states', async () => {
    const r1 = await reasonsOf({
      nodes: [node('n1', 4, 4096)],
      vms: [{ id: 'w', demand: { cpu: 1, memory: 512 }, state: 'waiting', wants: 'sleeping' }],
    });
    expect(r1[0]?.message).toMatch(/"w" is waiting and cannot become sleeping/);
    const r2 = await reasonsOf({
      nodes: [node('n1', 4, 4096)],
      vms: [{ id: 'v', demand: { cpu: 1, memory: 512 }, state: 'running', host: 'n1', wants: 'running' }],
      constraints: [{ type: 'sleeping', vms: ['v'] }],
    });
    expect(r2[0]?.constraints).toEqual([0]);
    const r3 = await reasonsOf({
      nodes: [node('n1', 4, 4096)],
      vms: [],
      constraints: [{ type: 'online', nodes: ['n1'] }, { type: 'offline', nodes: ['n1'] }],
    });
    expect(r3[0]?.nodes).toEqual(['n1']);
  });

  it('a VM that must run and has no node names what excludes it', async () => {
    const cs: Constraint[] = [{ type: 'ban', vms: ['v'], nodes: ['n1'] }, { type: 'fence', vms: ['v'], nodes: ['n1', 'n2'] }];
    const reasons = await reasonsOf({
      nodes: [node('n1', 4, 4096), node('n2', 1, 4096), node('n3', 8, 8192)],
      vms: [{ id: 'v', demand: { cpu: 2, memory: 512 }, state: 'waiting', wants: 'running' }],
      constraints: cs,
    });
    expect(reasons[0]?.message).toMatch(/"v" must run but no node can host it/);
    expect(reasons[0]?.constraints).toEqual([0, 1]);
    expect(reasons[0]?.nodes).toEqual(['n2']);
  });

  it('a vjob mixing waiting and started VMs that cannot run says why it must', async () => {
    const reasons = await reasonsOf({
      nodes: [node('n1', 4, 4096)],
      vms: [
        { id: 'a', demand: { cpu: 3, memory: 1024 }, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'b', demand: { cpu: 3, memory: 1024 }, state: 'waiting', vjob: 'j' },
      ],
      vjobs: [{ id: 'j' }],
    });
    expect(reasons[0]?.message).toContain('vjob "j" must run');
    expect(reasons.some((r) => r.resource === 'cpu' && r.message.includes('by 2'))).toBe(true);
  });

  it('a conflict only the search can see: the minimal set of constraints', async () => {
    // Two must-run VMs; split puts them apart, the fence keeps them on one node.
    const reasons = await reasonsOf({
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
      vms: ['a', 'b'].map((id) => ({ id, demand: { cpu: 1, memory: 512 }, state: 'waiting' as const, wants: 'running' as const })),
      constraints: [
        { type: 'split', groups: [['a'], ['b']] },
        { type: 'ban', vms: ['a'], nodes: ['n3'] },
        { type: 'fence', vms: ['a', 'b'], nodes: ['n1'] },
      ],
    });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]?.constraints).toEqual([0, 2]);
  });
});

describe('solver options', () => {
  it('improves on a given start and never answers worse than it', async () => {
    const init: InstanceInit = {
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192), node('n3', 8, 8192)],
      vms: [
        { id: 'a', demand: { cpu: 4, memory: 1024 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n2' },
        { id: 'c', demand: { cpu: 4, memory: 2048 }, state: 'running', host: 'n3' },
      ],
      objective: { type: 'consolidate' },
    };
    const first = found((await solve(init)).r);
    const again = found((await solve(init, { start: first.target, method: 'heuristic' })).r);
    expect(again.nodesUsed).toBeLessThanOrEqual(first.nodesUsed);
    expect(again.migratedMemory).toBeLessThanOrEqual(first.migratedMemory);
  });

  it('the heuristic solver answers alone, and with the same seed the same target', async () => {
    const init: InstanceInit = {
      nodes: [node('n1', 8, 8192), node('n2', 8, 8192)],
      vms: ['a', 'b', 'c'].map((id) => ({ id, demand: { cpu: 2, memory: 1024 }, state: 'waiting' as const })),
      objective: { type: 'balance' },
    };
    const a = found((await solve(init, { method: 'heuristic', seed: 9 })).r);
    const b = found((await solve(init, { method: 'heuristic', seed: 9 })).r);
    expect(a.target.equals(b.target)).toBe(true);
    expect(a.nodesUsed).toBe(2);
  });
});
