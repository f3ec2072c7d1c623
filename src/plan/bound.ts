/**
 * A lower bound on the makespan of any schedule of a given set of actions (internal): the
 * longest chain of waits (explicit precedences, and room that only departures can free), and the
 * migration link load of each node (and of the cluster) divided by the concurrency limits.
 */
import { runningLoad } from '../model/indexed.js';
import type { PlanProblem } from './build.js';
import { isArrival, isDeparture, MIGRATE } from './graph.js';

/** Passes over the actions at most (each pass propagates waits along chains in schedule order). */
const PASSES = 64;

/**
 * Earliest starts under a relaxation of the scheduling problem, iterated to a fixed point from
 * below (every iterate stays a lower bound on the start of the action in any valid schedule):
 * - an action starts after its explicit predecessors end;
 * - an arrival on a node starts once enough departures from that node could have ended to make
 *   room for it alone (other arrivals ignored), each departure ending no earlier than its own
 *   earliest finish.
 * @param p - the problem (its graph holds the final actions, breaks included)
 * @param order - the actions in an order close to topological (e.g. their scheduled start)
 * @returns per action, its earliest start
 */
export function earliestStarts(p: PlanProblem, order: readonly number[]): Float64Array {
  const g = p.graph;
  const n = g.size;
  const N = p.ix.nodeIds.length;
  const R = p.ix.resources.length;
  const cap = p.ix.effectiveCapacity;
  const dem = p.ix.demand;
  const init = runningLoad(p.ix);
  const arrivals: number[][] = Array.from({ length: N }, () => []);
  const departures: number[][] = Array.from({ length: N }, () => []);
  for (let a = 0; a < n; a++) {
    const k = g.kind[a]!;
    if (isArrival(k)) arrivals[g.to[a]!]!.push(a);
    if (isDeparture(k)) departures[g.from[a]!]!.push(a);
  }
  // Arrivals that may need room, per node: those that do not fit beside the initial load.
  const needy: number[][] = Array.from({ length: N }, () => []);
  for (let x = 0; x < N; x++) {
    for (const a of arrivals[x]!) {
      const v = g.vm[a]!;
      for (let r = 0; r < R; r++) {
        const d = dem[v * R + r]!;
        if (d > 0 && init[x * R + r]! + d > cap[x * R + r]! + 1e-9 * Math.max(1, cap[x * R + r]!)) {
          needy[x]!.push(a);
          break;
        }
      }
    }
  }

  const es = new Float64Array(n);
  const ef = (a: number): number => es[a]! + g.dur[a]!;
  const isNeedy = new Uint8Array(n);
  for (const list of needy) for (const a of list) isNeedy[a] = 1;
  // Per node: departures sorted by earliest finish and the prefix sums of what they free,
  // recomputed when a departure's earliest finish has changed.
  const dirty = new Uint8Array(N).fill(1);
  const sorted: number[][] = Array.from({ length: N }, () => []);
  const freed: Float64Array[] = Array.from({ length: N }, () => new Float64Array(0));
  const roomTime = (a: number): number => {
    const x = g.to[a]!;
    if (dirty[x]) {
      dirty[x] = 0;
      const deps = [...departures[x]!].sort((u, w) => ef(u) - ef(w) || u - w);
      const f = new Float64Array((deps.length + 1) * R);
      deps.forEach((d, k) => {
        const v = g.vm[d]!;
        for (let r = 0; r < R; r++) f[(k + 1) * R + r] = f[k * R + r]! + dem[v * R + r]!;
      });
      sorted[x] = deps;
      freed[x] = f;
    }
    const deps = sorted[x]!;
    const f = freed[x]!;
    const v = g.vm[a]!;
    let k = 0;
    for (let r = 0; r < R; r++) {
      const d = dem[v * R + r]!;
      if (d === 0) continue;
      const need = init[x * R + r]! + d - cap[x * R + r]! - 1e-9 * Math.max(1, cap[x * R + r]!);
      if (need <= 0) continue;
      if (f[deps.length * R + r]! < need) return 0; // cannot be explained by departures alone: no claim
      // Smallest prefix freeing `need` (prefix sums are non-decreasing).
      let lo = 1;
      let hi = deps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (f[mid * R + r]! >= need) hi = mid;
        else lo = mid + 1;
      }
      k = Math.max(k, lo);
    }
    return k === 0 ? 0 : ef(deps[k - 1]!);
  };
  for (let pass = 0; pass < PASSES; pass++) {
    let changed = false;
    for (const a of order) {
      let s = es[a]!;
      for (const q of g.preds[a]!) s = Math.max(s, ef(q));
      if (isNeedy[a]) s = Math.max(s, roomTime(a));
      if (s > es[a]!) {
        es[a] = s;
        changed = true;
        if (isDeparture(g.kind[a]!)) dirty[g.from[a]!] = 1;
      }
    }
    if (!changed) break;
  }
  return es;
}

/**
 * A lower bound on the makespan of the problem's actions: the largest of the latest earliest
 * finish ({@link earliestStarts}), and, for each node, the earliest start of a migration touching
 * it, plus the total duration of those migrations divided by `maxMigrationsPerNode` (or, when
 * larger, the sum of the L-th and (L+1)-th longest: two of the L + 1 longest share a slot; with
 * L = 2, the best split of those durations into two sequences), plus the
 * shortest chain of explicit successors (e.g. a node shutdown) one of them still needs after it
 * ends (likewise for the whole cluster with `maxParallelMigrations`).
 * @param p - the problem
 * @param order - the actions in an order close to topological
 * @returns the bound in seconds
 */
export function makespanLowerBound(p: PlanProblem, order: readonly number[]): number {
  const g = p.graph;
  const es = earliestStarts(p, order);
  let bound = 0;
  for (let a = 0; a < g.size; a++) bound = Math.max(bound, es[a]! + g.dur[a]!);
  const N = p.ix.nodeIds.length;
  const { maxMigrationsPerNode: L, maxParallelMigrations: G } = p.limits;
  // q[a]: the longest chain of explicit successors that must still run once `a` has ended.
  const q = new Float64Array(g.size);
  for (let i = order.length - 1; i >= 0; i--) {
    const a = order[i]!;
    let m = 0;
    for (const s of g.succs[a]!) m = Math.max(m, g.dur[s]! + q[s]!);
    q[a] = m;
  }
  const work = new Float64Array(N);
  const first = new Float64Array(N).fill(Infinity);
  const tail = new Float64Array(N).fill(Infinity);
  let total = 0;
  let firstAll = Infinity;
  let tailAll = Infinity;
  for (let a = 0; a < g.size; a++) {
    if (g.kind[a] !== MIGRATE) continue;
    const d = g.dur[a]!;
    const s = es[a]!;
    total += d;
    firstAll = Math.min(firstAll, s);
    tailAll = Math.min(tailAll, q[a]!);
    for (const x of [g.from[a]!, g.to[a]!]) {
      work[x]! += d;
      first[x] = Math.min(first[x]!, s);
      tail[x] = Math.min(tail[x]!, q[a]!);
    }
  }
  // The migrations touching a node run at most L at a time, none before the earliest of them may
  // start, and whichever ends last is still followed by its own explicit successors.
  // With m slots, among the m + 1 longest migrations two share a slot: the (m)th and (m+1)th
  // longest run one after the other at least.
  const pair = (durs: number[], m: number): number => {
    if (durs.length <= m) return 0;
    durs.sort((a, b) => b - a);
    return durs[m - 1]! + durs[m]!;
  };
  // With 2 slots, the best split of the migrations into two sequences (subset sums), when the
  // node has few enough of them.
  const split2 = (durs: readonly number[]): number => {
    if (durs.length > 40) return 0;
    let total = 0;
    for (const d of durs) total += d;
    let sums = new Set<number>([0]);
    for (const d of durs) {
      const next = new Set(sums);
      for (const x of sums) if (x + d <= total / 2 + 1e-9) next.add(x + d);
      if (next.size > 1 << 14) return 0;
      sums = next;
    }
    let best = 0;
    for (const x of sums) best = Math.max(best, x);
    return total - best;
  };
  if (Number.isFinite(L)) {
    const durs: number[][] = Array.from({ length: N }, () => []);
    for (let a = 0; a < g.size; a++) if (g.kind[a] === MIGRATE) for (const x of [g.from[a]!, g.to[a]!]) durs[x]!.push(g.dur[a]!);
    for (let x = 0; x < N; x++) {
      if (work[x]! === 0) continue;
      const busy = Math.max(work[x]! / L, pair(durs[x]!, L), L === 2 ? split2(durs[x]!) : 0);
      bound = Math.max(bound, first[x]! + busy + tail[x]!);
    }
  }
  if (Number.isFinite(G) && total > 0) {
    const durs: number[] = [];
    for (let a = 0; a < g.size; a++) if (g.kind[a] === MIGRATE) durs.push(g.dur[a]!);
    bound = Math.max(bound, firstAll + Math.max(total / G, pair(durs, G)) + tailAll);
  }
  return bound;
}
