/**
 * The replay order of a plan (src/plan/replay.ts) against brute-force references: the timeline
 * (ends first, then starts in topological order of `after` with ties by id and position, a
 * zero-length action's end right after its start), the `after` cycles (strongly connected
 * components by reachability), time snapping and the effect of actions on a configuration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeInstance, sourceConfiguration } from '../../src/model/instance.js';
import { afterCycles, afterOf, applyAction, applyActions, positionsById, timeline, timeSlack, TIME_TOLERANCE } from '../../src/plan/replay.js';
import type { Action } from '../../src/model/action.js';

const SEED = 20261201;

const node = (id: number, start: number, end: number, after?: number[]): Action => ({
  id,
  type: 'bootNode',
  node: `n${id}`,
  start,
  end,
  ...(after ? { after } : {}),
});

type Ev = readonly [kind: 'start' | 'end', action: number, time: number];

/**
 * The replay order written the slow, obvious way (times are integers here: no snapping). At each
 * instant: ends of actions that started earlier, by (id, position); then, repeatedly, the
 * smallest (id, position) start whose predecessors in the group have all started, or, when none
 * is ready (a cycle), the smallest one not started; a zero-length action ends right after it starts.
 */
function referenceTimeline(actions: readonly Action[]): Ev[] {
  const ok = actions.map((a) => Number.isFinite(a.start) && Number.isFinite(a.end));
  const end = (i: number) => Math.max(actions[i]!.start, actions[i]!.end);
  const key = (i: number, j: number) => actions[i]!.id - actions[j]!.id || i - j;
  const times = [...new Set(actions.flatMap((a, i) => (ok[i] ? [a.start, end(i)] : [])))].sort((x, y) => x - y);
  const out: Ev[] = [];
  for (const t of times) {
    const ends = actions.map((_, i) => i).filter((i) => ok[i] && end(i) === t && actions[i]!.start < t);
    for (const i of ends.sort(key)) out.push(['end', i, t]);
    const group = actions.map((_, i) => i).filter((i) => ok[i] && actions[i]!.start === t);
    const inGroup = new Set(group);
    const preds = (i: number) =>
      (Array.isArray(actions[i]!.after) ? actions[i]!.after! : []).flatMap((p) =>
        actions.map((a, j) => (a.id === p && j !== i && inGroup.has(j) ? j : -1)).filter((j) => j >= 0),
      );
    const started = new Set<number>();
    const released = new Set<number>();
    while (started.size < group.length) {
      const left = group.filter((i) => !started.has(i)).sort(key);
      const ready = left.filter((i) => released.has(i) || preds(i).every((j) => started.has(j)));
      const next = ready[0] ?? left[0]!;
      if (ready.length === 0) released.add(next);
      started.add(next);
      out.push(['start', next, t]);
      if (end(next) === t) out.push(['end', next, t]);
    }
  }
  return out;
}

/** Cycles of `after` by brute force: strongly connected components by reachability. */
function referenceCycles(actions: readonly Action[]): number[][] {
  const n = actions.length;
  const reach = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  actions.forEach((a, i) => {
    for (const p of afterOf(a)) actions.forEach((b, j) => b.id === p && (reach[i]![j] = true));
  });
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (reach[i]![k] && reach[k]![j]) reach[i]![j] = true;
  const seen = new Set<number>();
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (seen.has(i)) continue;
    const comp = [i, ...Array.from({ length: n }, (_, j) => j).filter((j) => j !== i && reach[i]![j] && reach[j]![i])];
    comp.forEach((j) => seen.add(j));
    if (comp.length > 1 || reach[i]![i]) out.push(comp.sort((x, y) => x - y));
  }
  return out.sort((x, y) => x[0]! - y[0]!);
}

/** Random actions: few ids (duplicates happen), integer times, `after` naming known and unknown ids. */
const arbActions = fc
  .array(
    fc.record({
      id: fc.integer({ min: 0, max: 12 }),
      start: fc.integer({ min: 0, max: 3 }),
      length: fc.integer({ min: -1, max: 2 }),
      after: fc.option(fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 4 }), { nil: undefined }),
    }),
    { maxLength: 16 },
  )
  .map((rs) => rs.map((r) => node(r.id, r.start, r.start + r.length, r.after)));

describe('timeline against the reference', () => {
  it('orders every event as the brute-force replay does (ties, duplicate ids, cycles, end < start)', () => {
    fc.assert(
      fc.property(arbActions, (actions) => {
        const got = timeline(actions).events.map((e) => [e.kind, e.action, e.time] as const);
        expect(got).toEqual(referenceTimeline(actions));
      }),
      { numRuns: 400, seed: SEED },
    );
  });

  it('starts a large group at one instant in id order when no after links them (the heap)', () => {
    const ids = [17, 3, 25, 8, 1, 30, 12, 5, 22, 9, 14, 2, 27, 6, 19, 11, 0, 24, 4, 15];
    const actions = ids.map((id) => node(id, 0, 1));
    const starts = timeline(actions).events.filter((e) => e.kind === 'start').map((e) => actions[e.action]!.id);
    expect(starts).toEqual([...ids].sort((a, b) => a - b));
    const ends = timeline(actions).events.filter((e) => e.kind === 'end').map((e) => actions[e.action]!.id);
    expect(ends).toEqual([...ids].sort((a, b) => a - b));
  });

  it('starts a chain at one instant against id order, and on a cycle releases the smallest id not started', () => {
    // 9 → 8 → ... → 0 (each after the next larger id), all zero-length at t=0.
    const chain = Array.from({ length: 10 }, (_, i) => node(i, 0, 0, i < 9 ? [i + 1] : undefined));
    expect(timeline(chain).events.filter((e) => e.kind === 'start').map((e) => chain[e.action]!.id)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // 4 → 5 → 6 → 4 is a cycle and 1 waits for 4: nothing is ready, so 1 (the smallest id) is
    // released first, then 4, which frees 5, then 6.
    const cycle = [node(4, 0, 1, [6]), node(6, 0, 1, [5]), node(5, 0, 1, [4]), node(1, 0, 1, [4])];
    expect(timeline(cycle).events.filter((e) => e.kind === 'start').map((e) => cycle[e.action]!.id)).toEqual([1, 4, 5, 6]);
  });

  it('lists actions with non-finite times as skipped, in order, and replays the others', () => {
    const actions = [node(0, Infinity, 1), node(1, 0, 1), node(2, 0, Number.NaN), node(3, -Infinity, 0)];
    const t = timeline(actions);
    expect(t.skipped).toEqual([0, 2, 3]);
    expect(t.events).toEqual([
      { kind: 'start', action: 1, time: 0 },
      { kind: 'end', action: 1, time: 1 },
    ]);
    expect(timeline([])).toEqual({ events: [], skipped: [] });
  });
});

describe('time snapping', () => {
  const times = (actions: Action[]) => timeline(actions).events.map((e) => e.time);

  it('has a slack of 1e-9 s, relative to the size of the time', () => {
    expect(TIME_TOLERANCE).toBe(1e-9);
    expect(timeSlack(0)).toBe(1e-9);
    expect(timeSlack(0.5)).toBe(1e-9);
    expect(timeSlack(1)).toBe(1e-9);
    expect(timeSlack(10)).toBe(1e-8);
    expect(timeSlack(-10)).toBe(1e-8);
  });

  it('merges times within the slack of the first time of a cluster, and only those', () => {
    expect(times([node(0, 0, 0.5e-9), node(1, 1e-9, 2)])).toEqual([0, 0, 0, 2]);
    // 1.5e-9 is within 1e-9 of 0.9e-9 but not of the cluster's first time 0: a new instant.
    expect(times([node(0, 0, 0.9e-9), node(1, 1.5e-9, 2)])).toEqual([0, 0, 1.5e-9, 2]);
    // Large times: the slack grows with them (1e9 s: 1 s).
    expect(times([node(0, 1e9, 1e9 + 0.5), node(1, 1e9 + 0.75, 1e9 + 3)])).toEqual([1e9, 1e9, 1e9, 1e9 + 3]);
    expect(times([node(0, 1e9, 1e9 + 1.5)])).toEqual([1e9, 1e9 + 1.5]);
  });

  it('snaps the end of an action that ends before it starts to its start', () => {
    const ev = timeline([node(0, 5, 4.9), node(1, 5 + 1e-12, 6)]).events;
    expect(ev.map((e) => [e.kind, e.action, e.time])).toEqual([
      ['start', 0, 5],
      ['end', 0, 5],
      ['start', 1, 5],
      ['end', 1, 6],
    ]);
  });
});

describe('after: positions, names and cycles', () => {
  it('maps each id to its positions, in list order', () => {
    const m = positionsById([node(3, 0, 1), node(1, 0, 1), node(3, 0, 1), node(3, 0, 1)]);
    expect([...m]).toEqual([
      [3, [0, 2, 3]],
      [1, [1]],
    ]);
  });

  it('reads after only when it is a list', () => {
    expect(afterOf(node(0, 0, 1, [4, 2]))).toEqual([4, 2]);
    expect(afterOf(node(0, 0, 1))).toEqual([]);
    expect(afterOf({ ...node(0, 0, 1), after: 3 as unknown as number[] })).toEqual([]);
  });

  it('finds exactly the strongly connected components with a cycle (brute-force reference)', () => {
    fc.assert(
      fc.property(arbActions, (actions) => {
        expect(afterCycles(actions)).toEqual(referenceCycles(actions));
      }),
      { numRuns: 400, seed: SEED },
    );
  });

  it('finds nested and separate cycles, a cycle through a duplicated id, and no cycle in a diamond', () => {
    // 0 → 1 → 2 → 0 and 2 → 3 → 2 form one component; 4 ↔ 5 another; 6 is on its own.
    const actions = [
      node(0, 0, 1, [1]),
      node(1, 0, 1, [2]),
      node(2, 0, 1, [0, 3]),
      node(3, 0, 1, [2]),
      node(4, 0, 1, [5]),
      node(5, 0, 1, [4]),
      node(6, 0, 1, [0]),
    ];
    expect(afterCycles(actions)).toEqual([[0, 1, 2, 3], [4, 5]]);
    // Two actions share id 7; one names 8 and 8 names 7 (both positions): the first 7 and 8 form
    // a cycle, the other 7, which names nothing, is only reached.
    expect(afterCycles([node(7, 0, 1, [8]), node(8, 0, 1, [7]), node(7, 0, 1)])).toEqual([[0, 1]]);
    expect(afterCycles([node(0, 0, 1), node(1, 0, 1, [0]), node(2, 0, 1, [0]), node(3, 0, 1, [1, 2])])).toEqual([]);
  });
});

describe('applyAction and applyActions', () => {
  const inst = makeInstance({
    nodes: [
      { id: 'n1', capacity: { cpu: 4 } },
      { id: 'n2', capacity: { cpu: 4 } },
    ],
    vms: [
      { id: 'a', demand: { cpu: 1 }, state: 'running', host: 'n1' },
      { id: 'w', demand: { cpu: 1 }, state: 'waiting' },
      { id: 's', demand: { cpu: 1 }, state: 'sleeping', host: 'n1' },
    ],
  });
  const src = sourceConfiguration(inst);
  const placed = (c: ReturnType<typeof sourceConfiguration>, vm: string) => c.vms.get(vm)?.toJS();

  it('runs a VM on `to` after a migrate, a boot or a resume', () => {
    expect(placed(applyAction(src, { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 1 }), 'a')).toEqual({ state: 'running', host: 'n2' });
    expect(placed(applyAction(src, { id: 0, type: 'boot', vm: 'w', to: 'n2', start: 0, end: 1 }), 'w')).toEqual({ state: 'running', host: 'n2' });
    expect(placed(applyAction(src, { id: 0, type: 'resume', vm: 's', from: 'n1', to: 'n2', start: 0, end: 1 }), 's')).toEqual({ state: 'running', host: 'n2' });
  });

  it('turns a node online after bootNode and offline after shutdownNode', () => {
    const off = applyAction(src, { id: 0, type: 'shutdownNode', node: 'n2', start: 0, end: 1 });
    expect(off.nodes.get('n2')).toBe('offline');
    expect(applyAction(off, { id: 1, type: 'bootNode', node: 'n2', start: 1, end: 2 }).nodes.get('n2')).toBe('online');
  });

  it('leaves the configuration as it is for an unknown action type', () => {
    const odd = { id: 0, type: 'teleport', vm: 'a', start: 0, end: 1 } as unknown as Action;
    expect(applyAction(src, odd)).toBe(src);
  });

  it('applies actions in timeline order, not list order, and ignores those with non-finite times', () => {
    const actions: Action[] = [
      { id: 1, type: 'migrate', vm: 'a', from: 'n2', to: 'n1', start: 5, end: 6 },
      { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 5 },
      { id: 2, type: 'boot', vm: 'w', to: 'n2', start: Number.NaN, end: 1 },
    ];
    const end = applyActions(src, actions);
    expect(end.hostOf('a')).toBe('n1');
    expect(end.stateOf('w')).toBe('waiting');
    expect(applyActions(src, [])).toBe(src);
  });
});
