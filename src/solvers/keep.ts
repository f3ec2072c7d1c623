/**
 * Lower bounds from the "keep set" relaxation: which nodes stay in use. Any placement using a set
 * S of nodes has S cover the total demand of every resource, and every VM whose source host is
 * outside S must move. Choosing S alone (one binary per node, one row per resource) is a tiny
 * multi-dimensional covering knapsack that HiGHS solves in milliseconds even for thousands of
 * nodes, and it bounds both the node count and, at a given count, the migrated memory.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { ModelBuilder, type MipModel } from './model.js';
import type { TaskRunner } from './pool.js';
import { NODE_OFF, type DenseProblem } from './problem.js';
import { solveMip } from './run.js';
import type { BackendName } from './types.js';

const RUNNING = VM_STATE_CODE.running;

/** Total demand per resource of the VMs that run in the target. */
export function totalDemand(p: DenseProblem): Float64Array {
  const out = new Float64Array(p.R);
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING) continue;
    for (let r = 0; r < p.R; r++) out[r]! += p.demand[v * p.R + r]!;
  }
  return out;
}

/**
 * The volume bound on used nodes: for each resource, the fewest usable nodes (largest first)
 * whose capacities add up to the total demand; the largest of these counts. Pinned VMs' nodes
 * count as used.
 *
 * @param p - the problem
 * @returns a lower bound on the number of used nodes (`Infinity` when even every node is too small)
 */
export function volumeNodeBound(p: DenseProblem): number {
  const demand = totalDemand(p);
  let any = false;
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING) any = true;
  if (!any) return 0;
  let bound = 1;
  for (let r = 0; r < p.R; r++) {
    const caps: number[] = [];
    for (let n = 0; n < p.nNodes; n++) if (p.nodeMode[n] !== NODE_OFF) caps.push(p.capacity[n * p.R + r]!);
    caps.sort((a, b) => b - a);
    let sum = 0;
    let k = 0;
    const need = demand[r]! * (1 - 1e-12);
    while (sum < need && k < caps.length) sum += caps[k++]!;
    if (sum < need) return Infinity;
    bound = Math.max(bound, k);
  }
  const pinnedNodes = new Set<number>();
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && p.pinned[v]! >= 0) pinnedNodes.add(p.pinned[v]!);
  return Math.max(bound, pinnedNodes.size);
}

/** The keep-set model and how to read it. */
export interface KeepSetModel {
  readonly model: MipModel;
  /** Column of `y[n]` per node (-1 for nodes that cannot be used). */
  readonly yCol: Int32Array;
}

/**
 * The keep-set MIP: binary `y[n]` per usable node, `Σ cap[n][r]·y[n] >= demand[r]` per resource,
 * `y[n] = 1` where a pinned VM runs.
 * - `count`: minimise `Σ y` (a node-count lower bound);
 * - `migration`: with `Σ y <= maxUsed`, minimise the memory of the VMs whose source host is not
 *   kept (a migrated-memory lower bound for every placement with at most `maxUsed` used nodes).
 *
 * @param p - the problem
 * @param phase - what to minimise
 * @param slack - share of extra capacity the kept nodes must offer beyond the demand (default 0;
 *   a little slack leaves room to pack, at the price of a weaker bound)
 * @returns the model
 */
export function keepSetModel(
  p: DenseProblem,
  phase: { readonly kind: 'count' } | { readonly kind: 'migration'; readonly maxUsed: number },
  slack = 0,
): KeepSetModel {
  const b = new ModelBuilder();
  const yCol = new Int32Array(p.nNodes).fill(-1);
  const homeMemory = new Float64Array(p.nNodes);
  const forced = new Uint8Array(p.nNodes);
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING) continue;
    if (p.srcRunning[v] && p.home[v]! >= 0) homeMemory[p.home[v]!]! += p.moveCost[v]!;
    if (p.pinned[v]! >= 0) forced[p.pinned[v]!] = 1;
  }
  for (let n = 0; n < p.nNodes; n++) {
    if (p.nodeMode[n] === NODE_OFF) continue;
    const cost = phase.kind === 'count' ? 1 : -homeMemory[n]!;
    yCol[n] = b.addColumn(cost, forced[n] ? 1 : 0, 1, true, `y_${n}`);
  }
  if (phase.kind === 'migration') {
    let total = 0;
    for (let n = 0; n < p.nNodes; n++) total += homeMemory[n]!;
    b.addOffset(total);
  }
  const demand = totalDemand(p);
  const cols: number[] = [];
  for (let n = 0; n < p.nNodes; n++) if (yCol[n]! >= 0) cols.push(yCol[n]!);
  for (let r = 0; r < p.R; r++) {
    if (demand[r]! <= 0) continue;
    const vals: number[] = [];
    for (let n = 0; n < p.nNodes; n++) if (yCol[n]! >= 0) vals.push(p.capacity[n * p.R + r]!);
    b.addRow(cols, vals, demand[r]! * (1 + slack), Infinity);
  }
  if (phase.kind === 'migration') b.addRow(cols, cols.map(() => 1), -Infinity, phase.maxUsed);
  return { model: b.build(), yCol };
}

/** Bounds of a consolidation from the keep-set models: node count and, at that count, migrated memory. */
export interface KeepSetBounds {
  readonly nodes: number;
  /** Keep-set migration bound at `nodes` used nodes, when computed. */
  readonly migration?: number;
  /** Nodes kept by the keep-set migration model. */
  readonly keep?: Uint8Array;
}

/**
 * Solves the keep-set models through a runner: the node-count bound (at least the volume bound),
 * then at that count the migration bound and the nodes it keeps.
 * @param p - the problem
 * @param runner - where the small MIPs run
 * @param backend - the MIP backend
 * @param timeLimitMs - budget for both
 * @returns the bounds
 */
export async function keepSetBounds(p: DenseProblem, runner: TaskRunner, backend: BackendName, timeLimitMs: number): Promise<KeepSetBounds> {
  let nodes = volumeNodeBound(p);
  const count = keepSetModel(p, { kind: 'count' });
  const c = await solveMip(runner, count.model, { backend, timeLimitMs: Math.max(50, timeLimitMs / 2) });
  if (c.status === 'optimal') nodes = Math.max(nodes, Math.round(c.objective));
  else if ((c.status === 'feasible' || c.status === 'timeout') && c.bound !== undefined) nodes = Math.max(nodes, Math.ceil(c.bound - 1e-6));
  const mig = keepSetModel(p, { kind: 'migration', maxUsed: nodes });
  const m = await solveMip(runner, mig.model, { backend, timeLimitMs: Math.max(50, timeLimitMs / 2) });
  if (m.status !== 'optimal' && m.status !== 'feasible') return { nodes };
  const keep = new Uint8Array(p.nNodes);
  for (let n = 0; n < p.nNodes; n++) if (mig.yCol[n]! >= 0 && m.x[mig.yCol[n]!]! > 0.5) keep[n] = 1;
  const bound = m.status === 'optimal' ? m.bound : m.bound;
  return { nodes, keep, ...(bound === undefined ? {} : { migration: Math.max(0, bound) }) };
}

