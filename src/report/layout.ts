/**
 * The picture of a plan as data: one lane per node that has actions, each action as one bar (a
 * migration, and a resume that moves its image, as two: one on each node), sub-rows so that bars
 * of one lane never overlap, the load of each lane's node before and after the plan, the cluster's
 * load, and the headline figures. Pure: the SVG and HTML writers only draw what this computes.
 */
import type { Instance } from '../model/instance.js';
import { resourcesOf } from '../model/instance.js';
import type { NodeId, ResourceName } from '../model/ids.js';
import type { NodeState } from '../model/node.js';
import { type Plan } from '../plan/types.js';
import { ACTION_TYPES, type Action, type ActionType } from '../model/action.js';

/** Which part of an action a bar shows. */
export type BarRole =
  /** The only bar of the action (every action but a migration or a remote resume). */
  | 'main'
  /** A migration's (or remote resume's) bar on the node it leaves. */
  | 'source'
  /** A migration's (or remote resume's) bar on the node it arrives on. */
  | 'destination';

/** One bar of the chart. */
export interface ChartBar {
  /** Index of the action in `plan.actions`. */
  readonly action: number;
  /** The action's id (what `data-action` carries). */
  readonly id: number;
  readonly type: ActionType;
  readonly role: BarRole;
  /** Sub-row in its lane, from 0: bars in one sub-row never overlap in time. */
  readonly row: number;
  readonly start: number;
  readonly end: number;
  /** Text on the bar: the VM (or node) and, for a migration, where it goes or comes from. */
  readonly label: string;
}

/** The load of one resource on one node (or on the whole cluster). */
export interface ResourceLoad {
  readonly resource: ResourceName;
  /** Demand of the running VMs before the plan. */
  readonly before: number;
  /** Demand of the running VMs in the plan's target (equal to `before` without a target). */
  readonly after: number;
  /** Usable capacity (capacity × the strictest `overbook` ratio); online nodes only for the cluster. */
  readonly capacity: number;
  /** Usable capacity after the plan (the cluster's changes when nodes go on or off). */
  readonly capacityAfter: number;
}

/** One lane: a node with at least one bar. */
export interface ChartLane {
  readonly node: NodeId;
  /** Whether the instance declares this node (a plan may name unknown nodes: drawn, flagged). */
  readonly known: boolean;
  readonly stateBefore: NodeState;
  readonly stateAfter: NodeState;
  /** Number of sub-rows (at least 1). */
  readonly rows: number;
  /** Indices into {@link PlanChart.bars}, in start order. */
  readonly bars: readonly number[];
  readonly load: readonly ResourceLoad[];
}

/** One headline figure. */
export interface ChartStat {
  readonly label: string;
  readonly value: string;
}

/** Everything the chart shows. */
export interface PlanChart {
  readonly status: Plan['status'];
  readonly resources: readonly ResourceName[];
  readonly lanes: readonly ChartLane[];
  readonly bars: readonly ChartBar[];
  /** Seconds: the end of the last action (at least a tiny positive span, for drawing). */
  readonly span: number;
  /** Nice tick times along the time axis, from 0 to at most `span`. */
  readonly ticks: readonly number[];
  readonly stats: readonly ChartStat[];
  /** Number of actions per type (every type, zero included), in {@link ACTION_TYPES} order. */
  readonly counts: Readonly<Record<ActionType, number>>;
  /** The cluster's load before and after, per resource. */
  readonly cluster: readonly ResourceLoad[];
  readonly onlineBefore: number;
  readonly onlineAfter: number;
  /** For an infeasible plan: its reasons. */
  readonly reasons: readonly string[];
  /** For each action (by index): the indices of the actions it waits for (`after`, resolved). */
  readonly after: readonly (readonly number[])[];
}

/**
 * Seconds as a short text: `0`, `4.2`, `1 min 5 s`, `2 h 3 min`.
 * @param t - seconds
 * @returns the text
 * @example
 * ```ts
 * formatSeconds(65); // '1 min 5 s'
 * ```
 */
export function formatSeconds(t: number): string {
  if (!Number.isFinite(t)) return String(t);
  if (Math.abs(t) < 60) return `${Math.round(t * 10) / 10} s`;
  const part = (n: number, unit: string): string => (n === 0 ? '' : ` ${n} ${unit}`);
  if (Math.abs(t) < 3600) {
    const m = Math.floor(t / 60);
    return `${m} min${part(Math.round(t - 60 * m), 's')}`;
  }
  const h = Math.floor(t / 3600);
  return `${h} h${part(Math.round((t - 3600 * h) / 60), 'min')}`;
}

/** Steps of the time axis past a minute: round minutes and hours. */
const CLOCK_STEPS = [60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A tick step giving at most about `count` intervals over `span`: 1, 2 or 5 × 10^k seconds, or round minutes and hours. */
function tickStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (raw > 30) {
    const clock = CLOCK_STEPS.find((s) => s >= raw);
    if (clock !== undefined) return clock;
  }
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function subjectOf(a: Action): string {
  return a.type === 'bootNode' || a.type === 'shutdownNode' ? a.node : a.vm;
}

/** The bars of one action: (node, role, label). */
function barsOf(a: Action): [NodeId, BarRole, string][] {
  switch (a.type) {
    case 'migrate':
      return [
        [a.from, 'source', `${a.vm} → ${a.to}`],
        [a.to, 'destination', `${a.vm} ← ${a.from}`],
      ];
    case 'resume':
      return a.from === a.to
        ? [[a.to, 'main', `${a.vm}`]]
        : [
            [a.from, 'source', `${a.vm} image → ${a.to}`],
            [a.to, 'destination', `${a.vm} ← ${a.from}`],
          ];
    case 'boot':
      return [[a.to, 'main', a.vm]];
    case 'shutdown':
    case 'suspend':
      return [[a.from, 'main', a.vm]];
    case 'bootNode':
    case 'shutdownNode':
      return [[a.node, 'main', a.node]];
  }
}

/** Strictest overbook ratio per node and resource (1 when none applies). */
function overbookRatios(instance: Instance): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of instance.constraints) {
    if (c.type !== 'overbook') continue;
    for (const n of c.nodes) {
      const k = `${n}\u0000${c.resource}`;
      const prev = out.get(k);
      out.set(k, prev === undefined ? c.ratio : Math.min(prev, c.ratio));
    }
  }
  return out;
}

/**
 * Interval partitioning: a sub-row per bar so that bars of one row never overlap. Bars in start
 * order each take the row that freed first, when it is free by then, else a new row: the fewest
 * rows possible, in O(n log n) (a node receiving hundreds of arrivals at once stays cheap).
 */
function assignRows(bars: { start: number; end: number }[], minWidth: number): { rows: number[]; count: number } {
  const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.start - bars[b]!.start || a - b);
  const rows = new Array<number>(bars.length).fill(0);
  // Min-heap of rows by the time they free (ties: lower row first).
  const heapEnd: number[] = [];
  const heapRow: number[] = [];
  const less = (i: number, j: number): boolean => heapEnd[i]! < heapEnd[j]! || (heapEnd[i] === heapEnd[j] && heapRow[i]! < heapRow[j]!);
  const swap = (i: number, j: number): void => {
    [heapEnd[i], heapEnd[j]] = [heapEnd[j]!, heapEnd[i]!];
    [heapRow[i], heapRow[j]] = [heapRow[j]!, heapRow[i]!];
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heapEnd.length && less(l, m)) m = l;
      if (r < heapEnd.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const up = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(i, p)) return;
      swap(i, p);
      i = p;
    }
  };
  let count = 0;
  for (const i of order) {
    const b = bars[i]!;
    const end = Math.max(b.end, b.start + minWidth);
    if (heapEnd.length > 0 && heapEnd[0]! <= b.start) {
      rows[i] = heapRow[0]!;
      heapEnd[0] = end;
      down(0);
    } else {
      rows[i] = count;
      heapEnd.push(end);
      heapRow.push(count++);
      up(heapEnd.length - 1);
    }
  }
  return { rows, count: Math.max(1, count) };
}

/**
 * Lays out the picture of a plan: lanes, bars, loads, ticks and the headline figures.
 *
 * @param instance - the instance the plan is for (capacities, demands, the source configuration)
 * @param plan - the plan (any plan in the exchange format; an infeasible one gives no lanes)
 * @returns the chart data that {@link renderPlan}'s writers draw
 * @example
 * ```ts
 * const chart = layoutPlan(instance, plan);
 * console.log(chart.lanes.length, chart.bars.length);
 * ```
 */
export function layoutPlan(instance: Instance, plan: Plan): PlanChart {
  const resources = resourcesOf(instance);
  const ratios = overbookRatios(instance);
  const actions = plan.actions as readonly Action[];
  const counts = Object.fromEntries(ACTION_TYPES.map((t) => [t, 0])) as Record<ActionType, number>;
  let span = 0;
  for (const a of actions) {
    counts[a.type] += 1;
    if (Number.isFinite(a.end)) span = Math.max(span, a.end);
    if (Number.isFinite(a.start)) span = Math.max(span, a.start);
  }
  if (!(span > 0)) span = 1;
  const minWidth = span * 0.004;

  // Bars, grouped by node.
  const byNode = new Map<NodeId, { start: number; end: number; action: number; role: BarRole; label: string }[]>();
  actions.forEach((a, i) => {
    const start = Number.isFinite(a.start) ? a.start : 0;
    const end = Number.isFinite(a.end) ? Math.max(start, a.end) : start;
    for (const [node, role, label] of barsOf(a)) {
      let list = byNode.get(node);
      if (!list) byNode.set(node, (list = []));
      list.push({ start, end, action: i, role, label });
    }
  });

  // Demand of running VMs per node, before and after. The immutable model is read once into
  // plain maps: looking ids up in it per lane costs more than the whole layout at 10,000 actions.
  const R = resources.length;
  const demandOf = new Map<string, Float64Array>();
  const before = new Map<NodeId, Float64Array>();
  const after = new Map<NodeId, Float64Array>();
  const add = (m: Map<NodeId, Float64Array>, node: NodeId, demand: Float64Array): void => {
    let arr = m.get(node);
    if (!arr) m.set(node, (arr = new Float64Array(R)));
    for (let k = 0; k < R; k++) arr[k]! += demand[k]!;
  };
  for (const vm of instance.vms.values()) {
    const d = new Float64Array(R);
    for (const [r, q] of vm.demand) {
      const k = resources.indexOf(r);
      if (k >= 0) d[k] = q;
    }
    demandOf.set(vm.id, d);
    if (vm.state === 'running' && vm.host !== undefined) add(before, vm.host, d);
  }
  const target = plan.status === 'infeasible' ? undefined : plan.target;
  if (target) {
    for (const [id, t] of Object.entries(target.vms)) {
      const d = demandOf.get(id);
      if (d && t.state === 'running' && t.host !== undefined) add(after, t.host, d);
    }
  } else {
    for (const [n, arr] of before) after.set(n, arr);
  }
  const capacityOf = new Map<NodeId, Float64Array>();
  const stateOf = new Map<NodeId, NodeState>();
  for (const n of instance.nodes.values()) {
    capacityOf.set(n.id, Float64Array.from(resources, (r) => (n.capacity.get(r) ?? 0) * (ratios.get(`${n.id}\u0000${r}`) ?? 1)));
    stateOf.set(n.id, n.state);
  }
  const cap = (node: NodeId, k: number): number => capacityOf.get(node)?.[k] ?? 0;
  const stateBefore = (node: NodeId): NodeState => stateOf.get(node) ?? 'offline';
  const stateAfter = (node: NodeId): NodeState => {
    const s = target && Object.hasOwn(target.nodes, node) ? target.nodes[node] : undefined;
    return s === 'online' || s === 'offline' ? s : stateBefore(node);
  };
  const loadOf = (node: NodeId): ResourceLoad[] =>
    resources.map((r, k) => {
      const c = cap(node, k);
      return {
        resource: r,
        before: before.get(node)?.[k] ?? 0,
        after: after.get(node)?.[k] ?? 0,
        capacity: c,
        capacityAfter: c,
      };
    });

  // Lanes in the instance's node order, then nodes the instance does not know.
  const laneNodes: NodeId[] = [];
  for (const id of instance.nodes.keys()) if (byNode.has(id)) laneNodes.push(id);
  for (const id of byNode.keys()) if (!stateOf.has(id)) laneNodes.push(id);
  const bars: ChartBar[] = [];
  const lanes: ChartLane[] = laneNodes.map((node) => {
    const list = byNode.get(node)!;
    const { rows, count } = assignRows(list, minWidth);
    const order = list.map((_, i) => i).sort((a, b) => list[a]!.start - list[b]!.start || list[a]!.action - list[b]!.action);
    const idx: number[] = [];
    for (const i of order) {
      const b = list[i]!;
      const a = actions[b.action]!;
      idx.push(bars.length);
      bars.push({ action: b.action, id: a.id, type: a.type, role: b.role, row: rows[i]!, start: b.start, end: b.end, label: b.label });
    }
    return {
      node,
      known: stateOf.has(node),
      stateBefore: stateBefore(node),
      stateAfter: stateAfter(node),
      rows: count,
      bars: idx,
      load: loadOf(node),
    };
  });

  // The cluster: online capacity and running demand, before and after.
  let onlineBefore = 0;
  let onlineAfter = 0;
  const cluster = resources.map((r) => ({ resource: r, before: 0, after: 0, capacity: 0, capacityAfter: 0 }));
  for (const n of instance.nodes.values()) {
    const on0 = n.state === 'online';
    const on1 = stateAfter(n.id) === 'online';
    if (on0) onlineBefore++;
    if (on1) onlineAfter++;
    resources.forEach((_, k) => {
      const c = cap(n.id, k);
      const row = cluster[k]!;
      if (on0) row.capacity += c;
      if (on1) row.capacityAfter += c;
      row.before += before.get(n.id)?.[k] ?? 0;
      row.after += after.get(n.id)?.[k] ?? 0;
    });
  }

  // Dependencies by index.
  const indexOfId = new Map<number, number>();
  actions.forEach((a, i) => {
    if (!indexOfId.has(a.id)) indexOfId.set(a.id, i);
  });
  const afterIdx = actions.map((a) =>
    (Array.isArray(a.after) ? a.after : []).map((id) => indexOfId.get(id)).filter((i): i is number => i !== undefined),
  );

  const stats: ChartStat[] = [{ label: 'status', value: plan.status + (plan.x?.['unproved'] === true ? ' (not proved)' : '') }];
  stats.push({ label: 'actions', value: String(actions.length) });
  if (plan.status !== 'infeasible') {
    const st = plan.stats;
    const bound = st.x?.['makespanLowerBound'];
    stats.push({ label: 'makespan', value: formatSeconds(st.makespan) + (typeof bound === 'number' ? ` (bound ${formatSeconds(bound)})` : '') });
    stats.push({ label: 'nodes used', value: `${st.nodesUsed} (bound ${st.lowerBound})` });
    stats.push({ label: 'migrations', value: `${st.migrations} (${(st.migratedMemory / 1024).toFixed(1)} GiB)` });
    stats.push({ label: 'online nodes', value: `${onlineBefore} → ${onlineAfter}` });
    stats.push({ label: 'solve / plan', value: `${Math.round(st.solveMs)} ms / ${Math.round(st.planMs)} ms` });
  }
  const ticks: number[] = [];
  const step = tickStep(span, 8);
  for (let t = 0; t <= span + 1e-9 * span; t += step) ticks.push(Math.round(t / step) * step);

  return {
    status: plan.status,
    resources,
    lanes,
    bars,
    span,
    ticks,
    stats,
    counts,
    cluster,
    onlineBefore,
    onlineAfter,
    reasons: plan.status === 'infeasible' ? plan.reasons.map((r) => r.message) : [],
    after: afterIdx,
  };
}

/**
 * The subject of an action: its VM, or its node for `bootNode` / `shutdownNode`.
 * @param action - the action
 * @returns the VM or node id
 * @example
 * ```ts
 * actionSubject({ id: 0, type: 'bootNode', node: 'n1', start: 0, end: 60 }); // 'n1'
 * ```
 */
export function actionSubject(action: Action): string {
  return subjectOf(action);
}
