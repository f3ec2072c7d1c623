/**
 * Lower bounds from the "keep set" relaxation: which nodes stay in use. Any placement using a set
 * S of nodes has S cover the total demand of every resource, and every VM whose source host is
 * outside S must move. Choosing S alone (one binary per node, one row per resource) is a tiny
 * multi-dimensional covering knapsack that HiGHS solves in milliseconds even for thousands of
 * nodes, and it bounds both the node count and, at a given count, the migrated memory.
 *
 * Worker-side and pure: the models and the chain of solves over a given `solve` function. The
 * main thread submits it as a `keepSet` task through the client (`keepSetBounds` in `client.ts`).
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { aggregateModel, canPack } from './aggregate.js';
import { ModelBuilder, type MipModel } from './model.js';
import { NodeMode, type DenseProblem } from '../problem/dense.js';
import type { MipOutcome } from './types.js';

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
    for (let n = 0; n < p.nNodes; n++) if (p.nodeMode[n] !== NodeMode.Off) caps.push(p.capacity[n * p.R + r]!);
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
    if (p.nodeMode[n] === NodeMode.Off) continue;
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

/** Bounds of a consolidation from the keep-set models, and a packing into the kept nodes. */
export interface KeepSetBounds {
  readonly nodes: number;
  /** Keep-set migration bound at `nodes` used nodes, when computed. */
  readonly migration?: number;
  /** Nodes kept by the keep-set migration model. */
  readonly keep?: Uint8Array;
  /** A placement of every running VM on the kept nodes alone (`nodes` used nodes), when one was asked for and found. */
  readonly assign?: Int32Array;
}

/** Options of {@link solveKeepSet}. */
export interface KeepSetOptions {
  /** Budget of the whole (the bounds take at most half of it). */
  readonly timeLimitMs: number;
  readonly now: () => number;
  /** Also pack the VMs into the kept nodes (problems {@link canPack} accepts; spreads are honoured by the decoding where it can). */
  readonly pack?: boolean;
  /** Polled between and during solves. */
  readonly shouldStop?: () => boolean;
}

/**
 * The keep-set bounds, and on request the packing that reaches them: the node-count bound (at
 * least the volume bound), then at that count the migration bound and the nodes it keeps, then
 * the aggregated model restricted to the kept nodes with no objective, the fastest exact way to
 * a placement at the bound (the kept nodes have almost no spare room, so greedy packings miss it).
 * Runs inside a worker (see the `keepSet` task) with a loaded backend.
 *
 * @param p - the problem
 * @param solve - solves one model within a time limit
 * @param options - budget, packing
 * @returns the bounds, the kept nodes and the packing when found
 */
export function solveKeepSet(p: DenseProblem, solve: (model: MipModel, timeLimitMs: number) => MipOutcome, options: KeepSetOptions): KeepSetBounds {
  const t0 = options.now();
  const left = (): number => Math.max(1, options.timeLimitMs - (options.now() - t0));
  const share = options.pack ? 0.25 : 0.5;
  let nodes = volumeNodeBound(p);
  if (!Number.isFinite(nodes)) return { nodes };
  const c = solve(keepSetModel(p, { kind: 'count' }).model, Math.max(50, options.timeLimitMs * share));
  if (c.status === 'optimal') nodes = Math.max(nodes, Math.round(c.objective));
  else if ((c.status === 'feasible' || c.status === 'timeout') && c.bound !== undefined) nodes = Math.max(nodes, Math.ceil(c.bound - 1e-6));
  if (options.shouldStop?.()) return { nodes };
  const mig = keepSetModel(p, { kind: 'migration', maxUsed: nodes });
  const m = solve(mig.model, Math.max(50, options.timeLimitMs * share));
  if (m.status !== 'optimal' && m.status !== 'feasible') return { nodes };
  const keep = new Uint8Array(p.nNodes);
  for (let n = 0; n < p.nNodes; n++) if (mig.yCol[n]! >= 0 && m.x[mig.yCol[n]!]! > 0.5) keep[n] = 1;
  const bounds = { nodes, keep, ...(m.bound === undefined ? {} : { migration: Math.max(0, m.bound) }) };
  if (!options.pack || !canPack(p) || options.shouldStop?.()) return bounds;
  const mode = Uint8Array.from(p.nodeMode);
  for (let n = 0; n < p.nNodes; n++) if (!keep[n]) mode[n] = NodeMode.Off;
  const built = aggregateModel({ ...p, nodeMode: mode }, { kind: 'feasible' });
  if ('conflicts' in built) return bounds;
  const o = solve(built.model, left());
  if (o.status !== 'optimal' && o.status !== 'feasible') return bounds;
  return { ...bounds, assign: built.decode(o.x) };
}
