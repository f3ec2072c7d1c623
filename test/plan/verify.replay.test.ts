import { describe, expect, it } from 'vitest';
import { makeInstance, sourceConfiguration } from '../../src/model/instance.js';
import { afterCycles, applyAction, applyActions, timeline } from '../../src/plan/replay.js';
import type { Action } from '../../src/model/action.js';
import { verifyPlan } from '../../src/plan/verify.js';
import { mkPlan } from './verify-support.js';

const node = (id: number, start: number, end: number, after?: number[]): Action => ({
  id,
  type: 'bootNode',
  node: `n${id}`,
  start,
  end,
  ...(after ? { after } : {}),
});
const show = (actions: Action[]): string[] =>
  timeline(actions).events.map((e) => `${e.time}:${e.kind === 'start' ? '+' : '-'}${actions[e.action]!.id}`);

describe('timeline', () => {
  it('puts the ends of earlier actions before the starts at one instant', () => {
    expect(show([node(1, 2, 4), node(0, 0, 2)])).toEqual(['0:+0', '2:-0', '2:+1', '4:-1']);
  });

  it('ends a zero-length action right after its start, and orders starts by after, then by id', () => {
    const actions = [node(5, 1, 1), node(2, 1, 3, [5]), node(3, 1, 1), node(1, 1, 2, [3])];
    expect(show(actions)).toEqual(['1:+3', '1:-3', '1:+1', '1:+5', '1:-5', '1:+2', '2:-1', '3:-2']);
  });

  it('snaps times within 1e-9 of each other to one instant', () => {
    const actions = [node(0, 0, 0.1 + 0.2), node(1, 0.3, 1, [0])];
    const ev = timeline(actions).events;
    expect(ev.map((e) => e.time)).toEqual([0, 0.3, 0.3, 1]);
    expect(ev.map((e) => e.kind)).toEqual(['start', 'end', 'start', 'end']);
  });

  it('falls back to id order on cycles, skips non-finite times, and reads end < start as zero-length', () => {
    const actions = [node(2, 0, 0, [1]), node(1, 0, 0, [2]), node(3, Number.NaN, 1), node(4, 5, 2)];
    const t = timeline(actions);
    expect(t.skipped).toEqual([2]);
    expect(show(actions)).toEqual(['0:+1', '0:-1', '0:+2', '0:-2', '5:+4', '5:-4']);
  });
});

describe('afterCycles', () => {
  it('finds cycles and self-references but not shared predecessors', () => {
    const actions = [node(0, 0, 1, [1]), node(1, 0, 1, [2]), node(2, 0, 1, [0]), node(3, 0, 1, [3]), node(4, 0, 1, [0, 3]), node(5, 0, 1, [4])];
    expect(afterCycles(actions)).toEqual([[0, 1, 2], [3]]);
  });

  it('handles a chain of 50,000 actions without deep recursion', () => {
    const actions = Array.from({ length: 50_000 }, (_, i) => node(i, i, i + 1, i > 0 ? [i - 1] : undefined));
    expect(afterCycles(actions)).toEqual([]);
    actions[0] = node(0, 0, 1, [49_999]);
    expect(afterCycles(actions)[0]).toHaveLength(50_000);
  });
});

describe('applyAction', () => {
  const inst = makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 4 } },
      { id: 'n2', capacity: { cpu: 4 }, state: 'offline' },
    ],
    vms: [
      { id: 'a', demand: { cpu: 1 }, state: 'running', host: 'n1' },
      { id: 'b', demand: { cpu: 1 }, state: 'waiting' },
    ],
  });
  const src = sourceConfiguration(inst);

  it('gives each action its end state', () => {
    expect(applyAction(src, { id: 0, type: 'suspend', vm: 'a', from: 'n1', start: 0, end: 1 }).vms.get('a')?.toJS()).toEqual({ state: 'sleeping', host: 'n1' });
    expect(applyAction(src, { id: 0, type: 'shutdown', vm: 'a', from: 'n1', start: 0, end: 1 }).vms.get('a')?.toJS()).toEqual({ state: 'terminated', host: undefined });
    expect(applyAction(src, { id: 0, type: 'bootNode', node: 'n2', start: 0, end: 1 }).isOnline('n2')).toBe(true);
    expect(applyAction(src, { id: 0, type: 'shutdownNode', node: 'n1', start: 0, end: 1 }).isOnline('n1')).toBe(false);
  });

  it('applies a plan in timeline order', () => {
    const actions: Action[] = [
      { id: 1, type: 'migrate', vm: 'a', from: 'n2', to: 'n1', start: 10, end: 12, after: [0] },
      { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 2, end: 10 },
      { id: 2, type: 'boot', vm: 'b', to: 'n2', start: 0, end: 1 },
    ];
    const end = applyActions(src, actions);
    expect(end.hostOf('a')).toBe('n1');
    expect(end.hostOf('b')).toBe('n2');
  });
});

describe('verifyPlan at scale', () => {
  it('replays 30,000 migrations between 6,000 nodes in well under the test budget', () => {
    const nodes = Array.from({ length: 6000 }, (_, i) => ({ id: `n${i}`, capacity: { cpu: 48, memory: 48 * 1024 } }));
    const vms = Array.from({ length: 30_000 }, (_, i) => ({
      id: `vm${i}`,
      demand: { cpu: 4, memory: 4096 },
      state: 'running' as const,
      host: `n${Math.floor(i / 10)}`,
    }));
    const pinned = { id: 'pinned', demand: { cpu: 1, memory: 1024 }, state: 'running' as const, host: 'n0' };
    const inst = makeInstance({
      nodes,
      vms: [...vms, pinned],
      constraints: [
        { type: 'spread', vms: vms.filter((_, i) => i % 10 === 0).map((v) => v.id) },
        { type: 'root', vms: ['pinned'] },
      ],
      limits: { maxParallelMigrations: 100, maxMigrationsPerNode: 2 },
    });
    // VM slot s of node k moves to node k + 3000; waves of 100 parallel migrations, each from
    // a different node, each wave after the previous one.
    const actions: Action[] = [];
    for (let s = 0; s < 10; s++) {
      for (let k = 0; k < 3000; k++) {
        const id = actions.length;
        const wave = Math.floor(id / 100);
        actions.push({
          id,
          type: 'migrate',
          vm: `vm${k * 10 + s}`,
          from: `n${k}`,
          to: `n${k + 3000}`,
          start: wave * 4,
          end: wave * 4 + 4,
          ...(wave > 0 ? { after: [id - 100] } : {}),
        });
      }
    }
    const target: { vms: Record<string, { state: 'running'; host: string }>; nodes: Record<string, 'online'> } = { vms: {}, nodes: {} };
    for (const n of nodes) target.nodes[n.id] = 'online';
    vms.forEach((v, i) => (target.vms[v.id] = { state: 'running', host: `n${Math.floor(i / 10) + 3000}` }));
    target.vms.pinned = { state: 'running', host: 'n0' };
    const plan = mkPlan(inst, actions, target);
    const t0 = performance.now();
    const v = verifyPlan(inst, plan);
    const ms = performance.now() - t0;
    expect(v.violations).toEqual([]);
    expect(ms).toBeLessThan(20_000);
    console.log(`verifyPlan: ${actions.length} actions, ${vms.length + 1} VMs, ${nodes.length} nodes in ${ms.toFixed(0)} ms`);

    // The same plan with one wave squeezed into the previous one breaks the parallel limit once.
    const squeezed = actions.map((a) => (a.id >= 200 && a.id < 300 ? { ...a, start: 4, end: 8, after: [] } : a));
    const w = verifyPlan(inst, { ...plan, actions: squeezed });
    expect(w.violations.map((x) => x.code)).toEqual(['limit']);
    expect(w.violations[0]).toMatchObject({ time: 4 });
  });
});
