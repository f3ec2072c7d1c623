/** Frozen copy of src/plan/replay.ts before the speed work (issue 18), for test/plan/legacy-verify.ts. */
import { Configuration, placement } from '../../src/model/configuration.js';
import type { Action } from '../../src/model/action.js';
import { IntHeap } from '../../src/plan/heap.js';

/** Two times closer than this (relative to their size, at least 1e-9 s) are the same instant. */
export const TIME_TOLERANCE = 1e-9;

/**
 * The slack allowed when comparing two times `a` and `b`: {@link TIME_TOLERANCE} scaled by their size.
 * @param t - a time of the comparison
 * @returns the largest gap still read as "the same time"
 */
export function timeSlack(t: number): number {
  return TIME_TOLERANCE * Math.max(1, Math.abs(t));
}

/** One step of a replay: action number `action` (an index into the plan's actions) starts or ends. */
export interface PlanEvent {
  readonly kind: 'start' | 'end';
  /** Index of the action in the list given to {@link timeline}. */
  readonly action: number;
  /**
   * The instant, snapped: times within {@link timeSlack} of each other share one value, so that
   * events with equal `time` happen at the same instant.
   */
  readonly time: number;
}

/** The replay order of a list of actions. */
export interface Timeline {
  /**
   * Every event in replay order. At one instant: the ends of actions that started earlier
   * (by id), then the starts in topological order of `after` (ties by id, then by position),
   * each zero-length action's end right after its start.
   */
  readonly events: readonly PlanEvent[];
  /** Indices of actions left out because their `start` or `end` is not a finite number. */
  readonly skipped: readonly number[];
}

/**
 * Where each action id occurs in a list of actions (several positions when ids are duplicated).
 * @param actions - the actions
 * @returns id → indices, in list order
 */
export function positionsById(actions: readonly Action[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  actions.forEach((a, i) => {
    const list = out.get(a.id);
    if (list) list.push(i);
    else out.set(a.id, [i]);
  });
  return out;
}

/**
 * The ids an action names in `after` (none when the field is absent or not a list).
 * @param action - the action
 * @returns the ids
 */
export function afterOf(action: Action): readonly number[] {
  return Array.isArray(action.after) ? action.after : [];
}

/**
 * Snaps times: sorted distinct values are grouped into clusters no wider than {@link timeSlack}
 * of their first value, and every time maps to its cluster's first value.
 */
function snapper(times: number[]): (t: number) => number {
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  const snap = new Map<number, number>();
  let anchor = Number.NaN;
  for (const t of sorted) {
    if (!(t - anchor <= timeSlack(anchor))) anchor = t;
    snap.set(t, anchor);
  }
  return (t) => snap.get(t) ?? t;
}

/**
 * Orders the starts and ends of a plan's actions for replay (half-open intervals: an action
 * occupies [start, end)). Never throws: actions with non-finite times are listed in `skipped`,
 * an action whose end precedes its start is treated as ending at its start, and cycles in
 * `after` only fall back to id order.
 *
 * @param actions - the actions of a plan
 * @returns the events in replay order
 * @example
 * ```ts
 * const { events } = timeline(plan.actions);
 * for (const e of events) console.log(e.time, e.kind, plan.actions[e.action]!.id);
 * ```
 */
export function timeline(actions: readonly Action[]): Timeline {
  const skipped: number[] = [];
  const valid: number[] = [];
  const times: number[] = [];
  actions.forEach((a, i) => {
    if (Number.isFinite(a.start) && Number.isFinite(a.end)) {
      valid.push(i);
      times.push(a.start, Math.max(a.start, a.end));
    } else skipped.push(i);
  });
  const snap = snapper(times);
  const start = new Float64Array(actions.length);
  const end = new Float64Array(actions.length);
  for (const i of valid) {
    const a = actions[i]!;
    start[i] = snap(a.start);
    end[i] = snap(Math.max(a.start, a.end));
  }
  const byIdThenPos = (i: number, j: number): number => actions[i]!.id - actions[j]!.id || i - j;
  const starts = [...valid].sort((i, j) => start[i]! - start[j]! || byIdThenPos(i, j));
  const ends = valid.filter((i) => end[i]! > start[i]!).sort((i, j) => end[i]! - end[j]! || byIdThenPos(i, j));

  const ids = positionsById(actions);
  const stamp = new Int32Array(actions.length).fill(-1);
  const rank = new Int32Array(actions.length);
  const indeg = new Int32Array(actions.length);
  const events: PlanEvent[] = [];
  let si = 0;
  let ei = 0;
  let group = 0;
  while (si < starts.length || ei < ends.length) {
    const ts = si < starts.length ? start[starts[si]!]! : Infinity;
    const te = ei < ends.length ? end[ends[ei]!]! : Infinity;
    const t = Math.min(ts, te);
    while (ei < ends.length && end[ends[ei]!]! === t) events.push({ kind: 'end', action: ends[ei++]!, time: t });
    const g: number[] = [];
    while (si < starts.length && start[starts[si]!]! === t) g.push(starts[si++]!);
    if (g.length === 0) continue;
    // Topological order of `after` inside the group (an action it names may only share its
    // start instant when that predecessor takes no time), ties by id then position.
    group++;
    g.forEach((i, k) => {
      stamp[i] = group;
      rank[i] = k;
      indeg[i] = 0;
    });
    const succ = new Map<number, number[]>();
    for (const i of g) {
      for (const p of afterOf(actions[i]!)) {
        for (const j of ids.get(p) ?? []) {
          if (stamp[j] !== group || j === i) continue;
          indeg[i]!++;
          const s = succ.get(j);
          if (s) s.push(i);
          else succ.set(j, [i]);
        }
      }
    }
    const heap = new IntHeap((a, b) => rank[a]! < rank[b]!);
    for (const i of g) if (indeg[i] === 0) heap.push(i);
    const done = new Uint8Array(g.length);
    const emit = (i: number): void => {
      done[rank[i]!] = 1;
      events.push({ kind: 'start', action: i, time: t });
      if (end[i] === start[i]) events.push({ kind: 'end', action: i, time: t });
    };
    let emitted = 0;
    while (emitted < g.length) {
      if (heap.size === 0) {
        // A cycle: release the first action (by id) not yet started.
        const k = done.indexOf(0);
        indeg[g[k]!] = 0;
        heap.push(g[k]!);
      }
      const i = heap.pop();
      if (done[rank[i]!]) continue;
      emit(i);
      emitted++;
      for (const j of succ.get(i) ?? []) if (--indeg[j]! === 0 && !done[rank[j]!]) heap.push(j);
    }
  }
  return { events, skipped };
}

/**
 * The cycles of the `after` relation: its strongly connected components with more than one
 * action, and actions that name their own id.
 * @param actions - the actions of a plan
 * @returns each cycle as action indices, in increasing order
 */
export function afterCycles(actions: readonly Action[]): number[][] {
  const n = actions.length;
  const ids = positionsById(actions);
  // Edges from an action to the actions it names (direction is irrelevant for components).
  const adj: number[][] = actions.map((a) => afterOf(a).flatMap((p) => ids.get(p) ?? []));
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  // Iterative Tarjan: a frame is (node, next edge position).
  const frames: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    frames.push(root, 0);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length > 0) {
      const v = frames[frames.length - 2]!;
      const k = frames[frames.length - 1]!;
      const edges = adj[v]!;
      if (k < edges.length) {
        frames[frames.length - 1] = k + 1;
        const w = edges[k]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          frames.push(w, 0);
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      frames.length -= 2;
      if (frames.length > 0) {
        const parent = frames[frames.length - 2]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || edges.includes(v)) out.push(comp.sort((a, b) => a - b));
      }
    }
  }
  return out.sort((a, b) => a[0]! - b[0]!);
}

/**
 * The effect of one completed action on a configuration, without any legality check: the VM
 * (or node) simply takes the state the action leads to (migrate/boot/resume: running on `to`;
 * shutdown: terminated; suspend: sleeping on `from`; bootNode: online; shutdownNode: offline).
 * @param configuration - the configuration before the action
 * @param action - the action
 * @returns the configuration after it
 * @example
 * ```ts
 * applyAction(src, { id: 0, type: 'migrate', vm: 'vm1', from: 'n1', to: 'n2', start: 0, end: 8 })
 *   .hostOf('vm1'); // 'n2'
 * ```
 */
export function applyAction(configuration: Configuration, action: Action): Configuration {
  switch (action.type) {
    case 'migrate':
    case 'boot':
    case 'resume':
      return configuration.setIn(['vms', action.vm], placement('running', action.to));
    case 'shutdown':
      return configuration.setIn(['vms', action.vm], placement('terminated'));
    case 'suspend':
      return configuration.setIn(['vms', action.vm], placement('sleeping', action.from));
    case 'bootNode':
      return configuration.setIn(['nodes', action.node], 'online');
    case 'shutdownNode':
      return configuration.setIn(['nodes', action.node], 'offline');
    default:
      return configuration;
  }
}

/**
 * The configuration a list of actions leads to, applying each in `timeline` order
 * (actions with non-finite times are ignored). For a valid plan this is the plan's end state;
 * use `verifyPlan` to learn whether the plan is valid.
 * @param configuration - the starting configuration (usually `sourceConfiguration(instance)`)
 * @param actions - the actions
 * @returns the end configuration
 */
export function applyActions(configuration: Configuration, actions: readonly Action[]): Configuration {
  const events = timeline(actions).events;
  let out = configuration;
  for (const e of events) if (e.kind === 'start') out = applyAction(out, actions[e.action]!);
  return out;
}
