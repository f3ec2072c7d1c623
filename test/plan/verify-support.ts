/**
 * Test helpers for the plan verifier: hand-written plans with their stats filled in, and a simple
 * random plan builder (batches of actions that keep every node within capacity) for property tests.
 */
import type { World } from '../support/arbitraries.js';
import type { Instance } from '../../src/model/instance.js';
import type { NodeState } from '../../src/model/node.js';
import type { FeasiblePlan, PlanTarget, TargetVm } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';

type Spec = readonly [state: TargetVm['state'], host?: string];

/**
 * A target written by hand: the instance's source, with the given VMs and nodes changed.
 * @param vms - VM id → [state, host]
 * @param nodes - node id → state
 */
export function targetFrom(instance: Instance, vms: Record<string, Spec> = {}, nodes: Record<string, NodeState> = {}): PlanTarget {
  const tv: Record<string, TargetVm> = {};
  for (const v of instance.vms.values()) {
    const [state, host] = vms[v.id] ?? [v.state, v.host];
    tv[v.id] = state === 'running' || state === 'sleeping' ? { state, host: host! } : { state };
  }
  const tn: Record<string, NodeState> = {};
  for (const n of instance.nodes.values()) tn[n.id] = nodes[n.id] ?? n.state;
  return { vms: tv, nodes: tn };
}

/**
 * A feasible plan with stats computed here (independently of the verifier).
 * @param instance - the instance (memory of migrated VMs)
 * @param actions - the actions
 * @param target - the target
 */
export function mkPlan(instance: Instance, actions: readonly Action[], target: PlanTarget): FeasiblePlan {
  const migrations = actions.filter((a) => a.type === 'migrate');
  const memory = migrations.reduce((s, a) => s + (instance.vms.get(a.vm)?.demand.get('memory') ?? 0), 0);
  const makespan = actions.length === 0 ? 0 : Math.max(...actions.map((a) => a.end)) - Math.min(...actions.map((a) => a.start));
  const used = new Set<string>();
  for (const t of Object.values(target.vms)) if (t.state === 'running' && t.host && target.nodes[t.host] === 'online') used.add(t.host);
  return {
    version: 1,
    status: 'feasible',
    actions,
    target,
    stats: { nodesUsed: used.size, lowerBound: 0, migrations: migrations.length, migratedMemory: memory, makespan, solveMs: 0, planMs: 0 },
  };
}

/** A plan built for a world, with what the builder knows about it. */
export interface Built {
  readonly plan: FeasiblePlan;
  /** Per action index: the batch it belongs to. */
  readonly batchOf: readonly number[];
  /**
   * Per batch: load per node and resource in force once the batch has started (its arrivals
   * counted, its zero-length departures gone, its other departures still there).
   */
  readonly batchLoad: readonly Record<string, Record<string, number>>[];
  /** Per batch: its start time. */
  readonly batchStart: readonly number[];
}

/**
 * Builds a valid plan from the world's source to its hidden configuration: node boots first, then
 * VM actions in batches (all actions of a batch start together; a batch is admitted only when
 * every arrival fits beside what is already there, departures counted until the batch ends), then
 * node shutdowns. `after` chains each batch to the previous one. Returns undefined when the
 * greedy batching gets stuck (a cycle of full nodes).
 * @param world - the world
 * @param durations - a source of durations (e.g. drawn by fast-check), 0 allowed
 * @param batchSize - the largest batch
 * @param boots - offline nodes to boot (they end online)
 * @param offs - nodes to shut down at the end when they end empty
 */
export function buildPlan(
  world: World,
  durations: () => number,
  batchSize: number,
  boots: ReadonlySet<string> = new Set(),
  offs: ReadonlySet<string> = new Set(),
): Built | undefined {
  const { instance, hidden } = world;
  const resources = ['cpu', 'memory'];
  const cap = (n: string, r: string): number => instance.nodes.get(n)!.capacity.get(r) ?? 0;
  const dem = (v: string, r: string): number => instance.vms.get(v)!.demand.get(r) ?? 0;
  const load: Record<string, Record<string, number>> = {};
  for (const n of instance.nodes.keys()) load[n] = { cpu: 0, memory: 0 };
  for (const v of instance.vms.values()) if (v.state === 'running') for (const r of resources) load[v.host!]![r]! += dem(v.id, r);

  const actions: Action[] = [];
  const batchOf: number[] = [];
  const batchLoad: Record<string, Record<string, number>>[] = [];
  const batchStart: number[] = [];
  let t = 0;
  let prev: number[] = [];
  const runBatch = (items: ((id: number, start: number, end: number, after: number[]) => Action)[], arrivals: [string, string][], departures: [string, string][]): void => {
    const b = batchStart.length;
    batchStart.push(t);
    for (const [vm, n] of arrivals) for (const r of resources) load[n]![r]! += dem(vm, r);
    const inForce = JSON.parse(JSON.stringify(load)) as Record<string, Record<string, number>>;
    let end = t;
    const ids: number[] = [];
    const instant = new Set<string>();
    for (const make of items) {
      const id = actions.length;
      const d = durations();
      const a = make(id, t, t + d, prev);
      actions.push(a);
      if (d === 0 && a.type !== 'bootNode' && a.type !== 'shutdownNode') instant.add(a.vm);
      batchOf.push(b);
      ids.push(id);
      end = Math.max(end, t + d);
    }
    for (const [vm, n] of departures) {
      for (const r of resources) {
        load[n]![r]! -= dem(vm, r);
        if (instant.has(vm)) inForce[n]![r]! -= dem(vm, r);
      }
    }
    batchLoad.push(inForce);
    prev = ids;
    t = end;
  };

  const nodeState: Record<string, NodeState> = {};
  for (const n of instance.nodes.values()) nodeState[n.id] = n.state;
  // Remote resumes read the image from its node's disk: that node must be online.
  const needed = new Set(boots);
  for (const v of instance.vms.values()) if (v.state === 'sleeping' && hidden.vms.get(v.id)?.state === 'running') needed.add(v.host!);
  const bootList = [...instance.nodes.values()].filter((n) => n.state === 'offline' && needed.has(n.id)).map((n) => n.id);
  if (bootList.length > 0) {
    runBatch(bootList.map((node) => (id, start, end, after) => ({ id, type: 'bootNode', node, start, end, after })), [], []);
    for (const n of bootList) nodeState[n] = 'online';
  }

  // One pending move per VM whose hidden placement differs from its source.
  interface Move {
    vm: string;
    arrive?: string;
    leave?: string;
    make: (id: number, start: number, end: number, after: number[]) => Action;
  }
  const pending: Move[] = [];
  for (const v of instance.vms.values()) {
    const h = hidden.vms.get(v.id)!;
    const vm = v.id;
    if (v.state === 'running' && h.state === 'running' && h.host !== v.host) {
      const from = v.host!;
      const to = h.host!;
      pending.push({ vm, arrive: to, leave: from, make: (id, start, end, after) => ({ id, type: 'migrate', vm, from, to, start, end, after }) });
    } else if (v.state === 'running' && h.state === 'sleeping') {
      const from = v.host!;
      pending.push({ vm, leave: from, make: (id, start, end, after) => ({ id, type: 'suspend', vm, from, start, end, after }) });
    } else if (v.state === 'waiting' && h.state === 'running') {
      const to = h.host!;
      pending.push({ vm, arrive: to, make: (id, start, end, after) => ({ id, type: 'boot', vm, to, start, end, after }) });
    } else if (v.state === 'sleeping' && h.state === 'running') {
      const from = v.host!;
      const to = h.host!;
      pending.push({ vm, arrive: to, make: (id, start, end, after) => ({ id, type: 'resume', vm, from, to, start, end, after }) });
    }
  }
  while (pending.length > 0) {
    const batch: Move[] = [];
    const extra: Record<string, Record<string, number>> = {};
    for (const m of [...pending]) {
      if (batch.length >= batchSize) break;
      if (m.arrive !== undefined) {
        const n = m.arrive;
        const fits = resources.every((r) => load[n]![r]! + (extra[n]?.[r] ?? 0) + dem(m.vm, r) <= cap(n, r));
        if (!fits) continue;
        extra[n] ??= { cpu: 0, memory: 0 };
        for (const r of resources) extra[n][r]! += dem(m.vm, r);
      }
      batch.push(m);
      pending.splice(pending.indexOf(m), 1);
    }
    if (batch.length === 0) return undefined;
    runBatch(
      batch.map((m) => m.make),
      batch.filter((m) => m.arrive !== undefined).map((m) => [m.vm, m.arrive!]),
      batch.filter((m) => m.leave !== undefined).map((m) => [m.vm, m.leave!]),
    );
  }

  const hosting = new Set<string>();
  for (const p of hidden.vms.values()) if (p.state === 'running' && p.host !== undefined) hosting.add(p.host);
  const offList = [...instance.nodes.keys()].filter((n) => nodeState[n] === 'online' && offs.has(n) && !hosting.has(n));
  if (offList.length > 0) {
    runBatch(offList.map((node) => (id, start, end, after) => ({ id, type: 'shutdownNode', node, start, end, after })), [], []);
    for (const n of offList) nodeState[n] = 'offline';
  }

  const vms: Record<string, TargetVm> = {};
  for (const [id, p] of hidden.vms) vms[id] = p.host === undefined ? { state: p.state } : { state: p.state, host: p.host };
  return { plan: mkPlan(instance, actions, { vms, nodes: nodeState }), batchOf, batchLoad, batchStart };
}
