/**
 * Seeded workload generators over time (docs/format.md, "Workload over time"), one per family:
 * - `cluster`: a heterogeneous consolidation cluster ({@link heterogeneousCluster}), services only;
 * - `tdsc`: 3-tier applications with `spread` and `among` after a load spike
 *   ({@link repairWorkload}), then node failures and repairs;
 * - `queue`: vjobs of 1–64 VMs with work durations, priorities and arrival times;
 * - `besteffort`: a best-effort grid shaped on Grid'5000 (VMdeploy, INRIA RR-6764): best-effort
 *   vjobs fill idle nodes while advance reservations of whole nodes arrive with notice, and a
 *   few nodes fail and come back.
 * Same options, same workload.
 */
import { makeInstance } from '../model/instance.js';
import type { NodeInit } from '../model/node.js';
import type { ReservationEvent, Workload, WorkloadEvent, WorkloadJob } from '../model/workload.js';
import { createRandom, type Random } from '../util/random.js';
import { between, FLAVOURS, heterogeneousCluster, NODE_TYPES, pickOne } from './cluster.js';
import { repairWorkload } from './repair.js';

/** The generator families. */
export const WORKLOAD_FAMILIES = ['cluster', 'tdsc', 'queue', 'besteffort'] as const;
/** A generator family name. */
export type WorkloadFamily = (typeof WORKLOAD_FAMILIES)[number];

/** Options shared by every generator. */
export interface WorkloadOptions {
  /** Number of nodes (at least 1). */
  readonly nodes: number;
  /** Number of VMs (besteffort: of best-effort VMs; reservation VMs come on top). */
  readonly vms: number;
  readonly seed: number;
  /** Simulated seconds covered by the events (default: 4 h for cluster/tdsc, 24 h otherwise); the cluster and tdsc workloads (services) stop there. */
  readonly horizon?: number;
}

const GiB = 1024;
const HOUR = 3600;

/** An exponential draw of mean `mean`. */
function exponential(rnd: Random, mean: number): number {
  return -Math.log(1 - rnd.next()) * mean;
}

/** A log-uniform draw in [lo, hi]. */
function logUniform(rnd: Random, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + rnd.next() * (Math.log(hi) - Math.log(lo)));
}

/** Rounds to a whole second (workload files stay readable). */
const sec = (t: number): number => Math.round(t);

/**
 * Failure and repair events: `count` distinct nodes fail at uniform times in [from, to) and
 * come back after 30–90 minutes.
 */
function failures(rnd: Random, nodes: readonly string[], count: number, from: number, to: number): WorkloadEvent[] {
  const picked = rnd.shuffle([...nodes]).slice(0, Math.min(count, nodes.length));
  const out: WorkloadEvent[] = [];
  for (const node of picked) {
    const t = sec(from + rnd.next() * (to - from));
    out.push({ type: 'failure', time: t, node }, { type: 'repair', time: t + sec(logUniform(rnd, 0.5 * HOUR, 1.5 * HOUR)), node });
  }
  return out;
}

/** Events sorted by time, ties in generation order. */
function byTime(events: WorkloadEvent[]): WorkloadEvent[] {
  return events.map((e, i) => [e, i] as const).sort((a, b) => a[0].time - b[0].time || a[1] - b[1]).map(([e]) => e);
}

/**
 * A consolidation cluster as a workload: the bench's heterogeneous cluster (every VM running,
 * about 45% load), services only, no events.
 * @param o - size and seed
 * @returns the workload
 * @example
 * ```ts
 * const w = clusterWorkload({ nodes: 20, vms: 80, seed: 1 });
 * ```
 */
export function clusterWorkload(o: WorkloadOptions): Workload {
  const instance = heterogeneousCluster({ nodes: o.nodes, vms: o.vms, seed: o.seed });
  return { version: 1, family: 'cluster', seed: o.seed, instance, work: {}, events: [], horizon: o.horizon ?? 4 * HOUR };
}

/**
 * 3-tier applications (web, application, database tiers; `spread` on every tier, `among` node
 * groups for the database tier) just after a load spike raised the cpu demand of a tenth of them
 * (so some nodes start overloaded), then node failures (one per 16 nodes, at least one) that
 * come back after 30–90 minutes. Applications are services (no work to finish); the objective
 * is `consolidate`.
 * @param o - size and seed
 * @returns the workload
 * @example
 * ```ts
 * const w = tdscWorkload({ nodes: 32, vms: 120, seed: 1 });
 * ```
 */
export function tdscWorkload(o: WorkloadOptions): Workload {
  const horizon = o.horizon ?? 4 * HOUR;
  const rw = repairWorkload({ nodes: o.nodes, vms: o.vms, seed: o.seed, groupSize: Math.max(4, Math.ceil(o.nodes / 4)), load: 0.5 });
  const instance = rw.instance.set('objective', { type: 'consolidate' });
  const rnd = createRandom(o.seed ^ 0x7d5c);
  const events = failures(rnd, [...instance.nodes.keys()], Math.max(1, Math.floor(o.nodes / 16)), 0.1 * horizon, 0.7 * horizon);
  return { version: 1, family: 'tdsc', seed: o.seed, instance, work: {}, events: byTime(events), horizon };
}

/** Vjob sizes of the queue family and their weights (small vjobs are common, 64-VM ones rare). */
const QUEUE_SIZES = [1, 2, 4, 8, 16, 32, 64] as const;
const QUEUE_WEIGHTS = [30, 20, 16, 12, 10, 7, 5] as const;

function weighted(rnd: Random, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rnd.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/**
 * A batch queue: vjobs of 1–64 VMs (small ones common; never more VMs than the cluster holds at
 * once), VM flavours of 1–8 vCPU, work of 10 minutes to 4 hours (log-uniform), priorities 0–3,
 * a quarter of them best-effort, arriving as a Poisson process over the first 60% of the horizon
 * at a rate that offers about 90% of the cluster's cpu. Heterogeneous nodes, empty at time 0.
 * @param o - size, seed, horizon
 * @returns the workload
 * @example
 * ```ts
 * const w = queueWorkload({ nodes: 16, vms: 200, seed: 3 });
 * ```
 */
export function queueWorkload(o: WorkloadOptions): Workload {
  const rnd = createRandom(o.seed);
  const horizon = o.horizon ?? 24 * HOUR;
  const types = Array.from({ length: o.nodes }, () => pickOne(rnd, NODE_TYPES));
  const nodes: NodeInit[] = types.map((t, i) => ({ id: `n${i}`, capacity: { cpu: t.cpu, memory: t.memory } }));
  const cpuTotal = types.reduce((a, t) => a + t.cpu, 0);
  const memTotal = types.reduce((a, t) => a + t.memory, 0);
  const jobs: WorkloadJob[] = [];
  let left = o.vms;
  let volume = 0; // cpu-seconds offered
  while (left > 0) {
    let size: number = QUEUE_SIZES[weighted(rnd, QUEUE_WEIGHTS)]!;
    // Several vjobs even for a few VMs: none larger than a quarter of them.
    size = Math.min(size, left, Math.max(1, Math.ceil(o.vms / 4)));
    const f = FLAVOURS[rnd.int(FLAVOURS.length)]!;
    // A vjob that could never run whole is made of the smallest flavour and no larger than the cluster.
    const fl = size * f.cpu > cpuTotal / 2 || size * f.memory > memTotal / 2 ? FLAVOURS[0]! : f;
    const work = sec(logUniform(rnd, 600, 4 * HOUR));
    const id = `j${jobs.length}`;
    jobs.push({
      id,
      vms: Array.from({ length: size }, (_, k) => ({ id: `${id}v${k}`, demand: { cpu: fl.cpu, memory: fl.memory } })),
      work,
      priority: rnd.int(4),
      bestEffort: rnd.next() < 0.25,
    });
    volume += size * fl.cpu * work;
    left -= size;
  }
  const span = 0.6 * horizon;
  // Mean gap so that the work offered over the arrival span is ~90% of the cpu available then.
  const gap = Math.max(1, (span * volume) / (0.9 * cpuTotal * span) / Math.max(1, jobs.length));
  let t = 0;
  const events: WorkloadEvent[] = jobs.map((job) => {
    const e: WorkloadEvent = { type: 'arrival', time: sec(t), job };
    t += exponential(rnd, gap);
    return e;
  });
  const instance = makeInstance({ nodes, vms: [], objective: { type: 'consolidate' } });
  return { version: 1, family: 'queue', seed: o.seed, instance, work: {}, events };
}

/** The node of the best-effort grid: 16 cores, 64 GiB (one Grid'5000-like cluster, homogeneous). */
export const GRID_NODE = { cpu: 16, memory: 64 * GiB } as const;

/**
 * A best-effort grid shaped on Grid'5000 (VMdeploy, INRIA RR-6764: a quarter of the jobs
 * best-effort, many of them killed when reservations claimed their nodes). Homogeneous nodes
 * ({@link GRID_NODE}), empty at time 0.
 * - Best-effort vjobs of 1–8 VMs (quarter-node or half-node VMs), work of 30 minutes to 6 hours
 *   (log-uniform), arriving as a Poisson process over a span in which they alone would keep
 *   every node busy (`horizon` when given, else their node-time over the node count, at least
 *   4 hours): with the reservations on top, a backlog that fills every idle node.
 * - Advance reservations: about one per 8 nodes over that span, each of 1/8 to 1/2 of the
 *   nodes (a contiguous block) for 1–3 hours, announced 30 minutes to 4 hours ahead; never two
 *   on one node at once. A reservation's vjob has one VM per node filling the node, priority 10.
 * - One node per 32 fails (at least one) and comes back after 30–90 minutes.
 * - Claims `lead` = 120 s ahead of a reservation's start; on time within `tolerance` = 120 s
 *   (about one long action in flight: a remote resume of a half-node VM takes ~100 s).
 * @param o - size (`vms`: best-effort VMs), seed, horizon
 * @returns the workload
 * @example
 * ```ts
 * const w = besteffortWorkload({ nodes: 32, vms: 160, seed: 1 });
 * w.events.filter((e) => e.type === 'reservation').length; // about 4 reservations
 * ```
 */
export function besteffortWorkload(o: WorkloadOptions): Workload {
  const rnd = createRandom(o.seed);
  const N = o.nodes;
  const nodeIds = Array.from({ length: N }, (_, i) => `n${i}`);
  const nodes: NodeInit[] = nodeIds.map((id) => ({ id, capacity: { cpu: GRID_NODE.cpu, memory: GRID_NODE.memory } }));
  const events: WorkloadEvent[] = [];
  const lead = 120;

  // Best-effort vjobs: quarter- or half-node VMs, 1–8 per vjob.
  const jobs: WorkloadJob[] = [];
  let left = o.vms;
  let volume = 0; // node-seconds offered
  while (left > 0) {
    const size = Math.min(left, between(rnd, 1, 8));
    const half = rnd.next() < 0.4;
    const demand = half ? { cpu: 8, memory: 32 * GiB } : { cpu: 4, memory: 16 * GiB };
    const work = sec(logUniform(rnd, 0.5 * HOUR, 6 * HOUR));
    const id = `b${jobs.length}`;
    jobs.push({ id, bestEffort: true, work, vms: Array.from({ length: size }, (_, v) => ({ id: `${id}v${v}`, demand })) });
    volume += size * (half ? 0.5 : 0.25) * work;
    left -= size;
  }
  // The span over which they arrive: the whole grid busy (plus reservations) for that long.
  const span = o.horizon ?? Math.max(4 * HOUR, volume / N);
  const gap = span / Math.max(1, jobs.length);
  let t = 0;
  for (const job of jobs) {
    events.push({ type: 'arrival', time: sec(t), job });
    t += exponential(rnd, gap);
  }

  // Advance reservations within the span.
  const reservations: ReservationEvent[] = [];
  const count = Math.max(1, Math.round(N / 8));
  for (let r = 0, tries = 0; r < count && tries < count * 20; tries++) {
    const k = between(rnd, Math.max(1, Math.floor(N / 8)), Math.max(1, Math.floor(N / 2)));
    const first = rnd.int(N - k + 1);
    const start = sec(0.5 * HOUR + rnd.next() * span);
    const end = start + sec(logUniform(rnd, 1 * HOUR, 3 * HOUR));
    const block = nodeIds.slice(first, first + k);
    const clash = reservations.some(
      (q) => q.start - lead < end + lead && start - lead < q.end + lead && q.nodes.some((n) => block.includes(n)),
    );
    if (clash) continue;
    const id = `r${r}`;
    const time = Math.max(0, start - sec(logUniform(rnd, 0.5 * HOUR, 4 * HOUR)));
    reservations.push({
      type: 'reservation',
      time,
      start,
      end,
      nodes: block,
      job: { id, priority: 10, work: end - start, vms: block.map((_, i) => ({ id: `${id}v${i}`, demand: { cpu: GRID_NODE.cpu, memory: GRID_NODE.memory } })) },
    });
    r++;
  }
  events.push(...reservations);
  events.push(...failures(rnd, nodeIds, Math.max(1, Math.floor(N / 32)), 0.1 * span, 0.9 * span));
  const instance = makeInstance({ nodes, vms: [], objective: { type: 'consolidate' } });
  return { version: 1, family: 'besteffort', seed: o.seed, instance, work: {}, events: byTime(events), lead, tolerance: 120 };
}

/**
 * The generator of a family.
 * @param family - `cluster`, `tdsc`, `queue` or `besteffort`
 * @param o - size and seed
 * @returns the workload
 * @example
 * ```ts
 * const w = generateWorkload('besteffort', { nodes: 32, vms: 160, seed: 1 });
 * ```
 */
export function generateWorkload(family: WorkloadFamily, o: WorkloadOptions): Workload {
  switch (family) {
    case 'cluster':
      return clusterWorkload(o);
    case 'tdsc':
      return tdscWorkload(o);
    case 'queue':
      return queueWorkload(o);
    case 'besteffort':
      return besteffortWorkload(o);
  }
}
