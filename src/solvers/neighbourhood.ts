/**
 * Large neighbourhood search on the dense problem (the pure core; `src/place/lns.ts` is the
 * placement solver around it). Each step frees a few nodes and every VM on them, chosen by how
 * much they could gain, and re-solves that neighbourhood exactly with a MIP backend; the answer
 * replaces the current one when it is no worse. Anytime: the best assignment so far is reported
 * through `onImprove` at every improvement and returned at the time limit.
 *
 * The gain of a node is the memory it could bring back: VMs running on it away from their source
 * host (they could go home) plus VMs whose source host it is and that run elsewhere (they could
 * come back if it were used). A neighbourhood grows from a seed node drawn by gain: the nodes
 * where its away VMs came from and where its own VMs went, then a few random nodes with room.
 *
 * Synchronous: it runs inside a worker thread (or blocks the calling thread in the fallback), with
 * an injected clock and sub-solver.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { compareTerms } from '../model/objective.js';
import { createRandom } from '../util/random.js';
import { decode, encode, type EncodePhase } from './encode.js';
import type { MipModel } from './model.js';
import { aggregateModel, canAggregate } from './aggregate.js';
import { volumeNodeBound } from './keep.js';
import { assignmentStats, type DenseProblem, NodeMode, spareShare } from '../problem/dense.js';
import type { MipOutcome } from './types.js';

const RUNNING = VM_STATE_CODE.running;

/** Share of the ranked nodes a count neighbourhood skips (see `countNeighbourhood`). */
const COUNT_SKIP = 0.25;

/** How many times larger (nodes and VMs freed) count neighbourhoods of the aggregated model may grow. */
const COUNT_SCALE = 4;

/** Largest unused nodes a count neighbourhood takes in. */
const COUNT_UNUSED = 6;

/** Parameters of {@link lnsImprove}. */
export interface LnsParams {
  readonly seed: number;
  /** Milliseconds the search may run (measured with `now`). */
  readonly timeLimitMs: number;
  readonly now: () => number;
  /** Solves one neighbourhood model within a time limit (milliseconds). */
  readonly solveSub: (model: MipModel, timeLimitMs: number) => MipOutcome;
  /** Called with every improving assignment. */
  readonly onImprove?: (assign: Int32Array) => void;
  /** Nodes per neighbourhood at the start (default 6); it adapts between 3 and `maxNodes`. */
  readonly nodes?: number;
  /** Largest neighbourhood, in nodes (default 24). */
  readonly maxNodes?: number;
  /** Largest number of VMs freed at once (default 160). */
  readonly maxFree?: number;
  /** Time limit of one neighbourhood solve (default 1000 ms). */
  readonly subTimeMs?: number;
  /** Stop after this many neighbourhoods (default: unlimited; tests use it for determinism). */
  readonly maxIterations?: number;
  /** Polled between neighbourhoods: the search ends once it returns true. */
  readonly shouldStop?: () => boolean;
  /** Nodes neighbourhoods may take (default: every node); VMs elsewhere never move. */
  readonly universe?: ArrayLike<number>;
  /**
   * Consolidation above the volume node bound: share of the neighbourhoods that are *count*
   * neighbourhoods (default 0.7; 0 disables them). One is a node to empty, among the least
   * filled, and the used nodes with the most room left in each resource in turn, so that the
   * exact sub-solve can trade VMs between nodes whose room lies in different resources.
   */
  readonly countShare?: number;
  /** A node-count lower bound known to the caller (e.g. the keep-set bound): no count neighbourhoods at it. */
  readonly nodeBound?: number;
  /**
   * Consolidation at `nodeBound`: share of the other neighbourhoods that are *home*
   * neighbourhoods (default 0): a VM that runs away from its source node while that node is still
   * used (drawn by its memory), its node and its home, then the same for other such VMs, then
   * nodes with room. Of what a node-bound answer migrates, only these VMs can come back without
   * changing the used set; the gain-drawn neighbourhoods mostly hit VMs whose home is unused.
   */
  readonly homeShare?: number;
  /** The stall rule (default: none, the search runs to its limit): see {@link LnsStall}. */
  readonly stall?: LnsStall;
}

/**
 * When the search gives up improving: once the first objective term (consolidation: the node
 * count) is at `atFirst` or below, `neighbourhoods` neighbourhoods in a row that do not improve
 * the value end it (deterministic for a seed when no sub-solve hits its time limit). The time
 * bound `maxMs` (optional) ends such a stretch sooner when it lasts that long and already counts
 * `minNeighbourhoods` (default a quarter of `neighbourhoods`): slow sub-solves still stall.
 */
export interface LnsStall {
  readonly atFirst: number;
  readonly neighbourhoods: number;
  readonly maxMs?: number;
  readonly minNeighbourhoods?: number;
}

/**
 * Why {@link lnsImprove} returned: its time limit (`deadline`), the stall rule (`stalled`),
 * `maxIterations` (`iterations`), `shouldStop` (`stopped`), or nothing to search (`empty`).
 */
export type LnsEnd = 'deadline' | 'stalled' | 'iterations' | 'stopped' | 'empty';

/** What {@link lnsImprove} returns. */
export interface LnsOutcome {
  readonly assign: Int32Array;
  readonly iterations: number;
  readonly improvements: number;
  /** Why it returned. */
  readonly ended: LnsEnd;
}

/** The objective value of an assignment: three terms compared lexicographically (lower is better). */
export type ValueKey = readonly [number, number, number];

/**
 * The objective value of an assignment, term by term as `OBJECTIVES` (src/solvers/search/objective.ts)
 * defines them: consolidate (used nodes, migrated memory, 0), balance (peak ratio, migrated
 * memory, 0), minMigrations (migrated memory, migrations, resumes away from
 * the image).
 * @param p - the problem
 * @param assign - node per VM
 * @returns the value
 */
export function valueKey(p: DenseProblem, assign: Int32Array): ValueKey {
  const s = assignmentStats(p, assign);
  const kind = p.objective.kind;
  if (kind === 'consolidate') return [s.nodesUsed, s.migratedMemory, 0];
  if (kind === 'balance') return [s.peakRatio, s.migratedMemory, 0];
  if (kind === 'minMigrations') return [s.migratedMemory, s.migrations, s.remoteResumes];
  return unreachable(kind);
}

/**
 * Whether value `a` is better than `b`: lexicographic, each term within the relative tolerance
 * of `compareTerms` (the objectives' one comparator).
 * @param a - a value key
 * @param b - another
 * @returns true when `a` is strictly better
 */
export function better(a: ValueKey, b: ValueKey): boolean {
  return (compareTerms(a[0], b[0]) || compareTerms(a[1], b[1]) || compareTerms(a[2], b[2])) < 0;
}

function unreachable(x: never): never {
  throw new Error(`unexpected objective ${String(x)}`);
}

/**
 * Improves a valid assignment by large neighbourhood search until the time limit.
 *
 * @param p - the problem
 * @param start - a valid assignment (every constraint and capacity holds)
 * @param params - clock, limits, sub-solver, callbacks
 * @returns the best assignment found (never worse than `start`) and counters
 */
export function lnsImprove(p: DenseProblem, start: Int32Array, params: LnsParams): LnsOutcome {
  const t0 = params.now();
  const deadline = t0 + params.timeLimitMs;
  const rnd = createRandom(params.seed);
  const N = p.nNodes;
  const R = p.R;
  const assign = Int32Array.from(start);
  let value = valueKey(p, assign);
  const aggregatable = canAggregate(p) && p.objective.kind === 'consolidate';
  const maxNodes = Math.max(2, params.maxNodes ?? (aggregatable ? 80 : 24));
  const maxFree = params.maxFree ?? (aggregatable ? 800 : 160);
  const subTime = params.subTimeMs ?? 1000;
  let size = Math.min(maxNodes, params.nodes ?? 6);

  // Per-node VM lists and gains, kept up to date.
  const on: Set<number>[] = Array.from({ length: N }, () => new Set<number>());
  const hostedAway = new Float64Array(N);
  const homeAway = new Float64Array(N);
  const load = new Float64Array(N * R);
  const place = (v: number, n: number, sign: 1 | -1): void => {
    if (sign > 0) on[n]!.add(v);
    else on[n]!.delete(v);
    for (let r = 0; r < R; r++) load[n * R + r]! += sign * p.demand[v * R + r]!;
    const h = p.home[v]!;
    if (p.srcRunning[v] && h >= 0 && h !== n) {
      hostedAway[n]! += sign * p.moveCost[v]!;
      homeAway[h]! += sign * p.moveCost[v]!;
    }
  };
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && assign[v]! >= 0) place(v, assign[v]!, 1);
  const inUniverse = new Uint8Array(N);
  if (params.universe === undefined) inUniverse.fill(1);
  else for (let i = 0; i < params.universe.length; i++) inUniverse[params.universe[i]!] = 1;
  const usable: number[] = [];
  for (let n = 0; n < N; n++) if (p.nodeMode[n] !== NodeMode.Off && inUniverse[n]) usable.push(n);
  if (usable.length === 0) return { assign, iterations: 0, improvements: 0, ended: 'empty' };
  // Spare capacity of a node, normalised (the smallest share left over resources).
  const spare = (n: number): number => spareShare(p, load, n);

  const chooseSeed = (): number => {
    let total = 0;
    for (const n of usable) total += hostedAway[n]! + homeAway[n]!;
    if (total <= 0 || rnd.next() < 0.15) return usable[rnd.int(usable.length)]!;
    let x = rnd.next() * total;
    for (const n of usable) {
      x -= hostedAway[n]! + homeAway[n]!;
      if (x <= 0) return n;
    }
    return usable[usable.length - 1]!;
  };

  // A neighbourhood under construction: at most `limit` nodes and `freeLimit` VMs.
  const collector = (limit: number, freeLimit: number): { readonly chosen: Set<number>; readonly add: (n: number) => boolean } => {
    const chosen = new Set<number>();
    let freeCount = 0;
    const add = (n: number): boolean => {
      if (chosen.has(n) || chosen.size >= limit || p.nodeMode[n] === NodeMode.Off || !inUniverse[n]) return false;
      if (freeCount + on[n]!.size > freeLimit && chosen.size > 0) return false;
      chosen.add(n);
      freeCount += on[n]!.size;
      return true;
    };
    return { chosen, add };
  };

  // Count neighbourhoods (consolidation above the volume bound, see `countShare`).
  const countShare = p.objective.kind === 'consolidate' ? (params.countShare ?? 0.7) : 0;
  const countTarget = countShare > 0 ? Math.max(volumeNodeBound(p), params.nodeBound ?? 0) : Infinity;
  const inv = new Float64Array(R);
  for (const n of usable) for (let r = 0; r < R; r++) inv[r] = Math.max(inv[r]!, p.capacity[n * R + r]!);
  for (let r = 0; r < R; r++) inv[r] = inv[r]! > 0 ? 1 / inv[r]! : 0;
  // Their own size, adapted like `size`, up to COUNT_SCALE times the other neighbourhoods' (the
  // aggregated model grows with nodes times classes, not with the VMs freed).
  const countMax = Math.max(2, params.maxNodes ?? (aggregatable ? COUNT_SCALE * maxNodes : maxNodes));
  const countFree = aggregatable ? COUNT_SCALE * maxFree : maxFree;
  let countSize = Math.min(countMax, Math.max(size, aggregatable ? maxNodes : size));
  // The usable nodes by capacity (normalised, summed over resources), largest first.
  const largestUnused = countShare > 0 ? [...usable] : [];
  {
    const cap = new Float64Array(N);
    for (const n of largestUnused) for (let r = 0; r < R; r++) cap[n]! += p.capacity[n * R + r]! * inv[r]!;
    largestUnused.sort((a, b) => cap[b]! - cap[a]! || a - b);
  }
  const countNeighbourhood = (): number[] => {
    const { chosen, add } = collector(countSize, countFree);
    const used = usable.filter((n) => on[n]!.size > 0);
    const filled = new Float64Array(N);
    for (const n of used) {
      let s = 0;
      for (let r = 0; r < R; r++) s += load[n * R + r]! * inv[r]!;
      filled[n] = s;
    }
    used.sort((a, b) => filled[a]! - filled[b]! || a - b);
    // Two nodes to empty among the least filled, and the largest unused nodes (the used set may
    // have to change: e.g. four smaller nodes out, three larger ones in).
    add(used[rnd.int(Math.min(used.length, 4))]!);
    add(used[rnd.int(Math.min(used.length, 8))]!);
    const unusedIn = Math.min(COUNT_UNUSED, Math.ceil(countSize / 8));
    for (let i = 0, k = 0; i < largestUnused.length && k < unusedIn; i++) {
      const n = largestUnused[i]!;
      if (on[n]!.size === 0 && add(n)) k++;
    }
    // Per resource, the used nodes by room left in it (normalised), largest first. Every node
    // with room in the scarcest resource (the highest load over the used nodes) comes in, up to
    // half of the neighbourhood: a node can only be emptied into that room. Then the lists are
    // taken in order, each resource in turn, a few skipped at random so that neighbourhoods vary.
    const ranked: number[][] = [];
    const usedLoad = new Float64Array(R);
    const usedCap = new Float64Array(R);
    for (const n of used) for (let r = 0; r < R; r++) {
      usedLoad[r]! += load[n * R + r]!;
      usedCap[r]! += p.capacity[n * R + r]!;
    }
    let scarce = 0;
    for (let r = 1; r < R; r++) if (usedLoad[r]! * usedCap[scarce]! > usedLoad[scarce]! * usedCap[r]!) scarce = r;
    const roomOf = (n: number, r: number): number => (p.capacity[n * R + r]! - load[n * R + r]!) * inv[r]!;
    for (let r = 0; r < R; r++) ranked.push([...used].sort((a, b) => roomOf(b, r) - roomOf(a, r) || a - b));
    const at = new Int32Array(R);
    {
      const list = ranked[scarce]!;
      const half = Math.ceil(countSize / 2);
      while (at[scarce]! < list.length && chosen.size < half && roomOf(list[at[scarce]!]!, scarce) > 1e-9) add(list[at[scarce]!++]!);
    }
    for (let tries = 0; chosen.size < countSize && tries < 4 * countSize; tries++) {
      const r = tries % R;
      const list = ranked[r]!;
      while (at[r]! < list.length && (chosen.has(list[at[r]!]!) || rnd.next() < COUNT_SKIP)) at[r]!++;
      if (at[r]! < list.length) add(list[at[r]!++]!);
    }
    return [...chosen].sort((a, b) => a - b);
  };

  // Home neighbourhoods (see `homeShare`).
  const homeShare = p.objective.kind === 'consolidate' && params.nodeBound !== undefined ? (params.homeShare ?? 0) : 0;
  const homeNeighbourhood = (): number[] | undefined => {
    const away: number[] = [];
    let total = 0;
    for (let v = 0; v < p.nVms; v++) {
      const n = assign[v]!;
      const h = p.home[v]!;
      if (n < 0 || h < 0 || h === n || !p.srcRunning[v] || on[h]!.size === 0 || p.target[v] !== RUNNING) continue;
      away.push(v);
      total += p.moveCost[v]!;
    }
    if (away.length === 0 || total <= 0) return undefined;
    const { chosen, add } = collector(size, maxFree);
    // Drawn by memory, without replacement, until most of the neighbourhood is taken.
    const left = [...away];
    let sum = total;
    while (left.length > 0 && chosen.size < Math.ceil(size * 0.7)) {
      let x = rnd.next() * sum;
      let k = 0;
      while (k < left.length - 1 && (x -= p.moveCost[left[k]!]!) > 0) k++;
      const v = left[k]!;
      left[k] = left[left.length - 1]!;
      left.pop();
      sum -= p.moveCost[v]!;
      add(assign[v]!);
      add(p.home[v]!);
    }
    // Room: used nodes with spare capacity, to take what has to leave a home.
    for (let tries = 0; chosen.size < size && tries < 4 * size; tries++) {
      const n = usable[rnd.int(usable.length)]!;
      if (on[n]!.size === 0 || spare(n) < 0.05) continue;
      add(n);
    }
    return [...chosen].sort((a, b) => a - b);
  };

  let counting = false;
  const neighbourhood = (): number[] => {
    counting = value[0] > countTarget && rnd.next() < countShare;
    if (counting) return countNeighbourhood();
    if (homeShare > 0 && value[0] <= params.nodeBound! && rnd.next() < homeShare) {
      const home = homeNeighbourhood();
      if (home !== undefined) return home;
    }
    const { chosen, add } = collector(size, maxFree);
    const seed = chooseSeed();
    add(seed);
    // Related nodes: where the seed's away VMs came from, where its own VMs went.
    const related: [number, number][] = [];
    for (const v of on[seed]!) {
      const h = p.home[v]!;
      if (p.srcRunning[v] && h >= 0 && h !== seed) related.push([h, p.moveCost[v]!]);
    }
    if (homeAway[seed]! > 0) {
      for (let v = 0; v < p.nVms; v++) {
        if (p.home[v] === seed && p.srcRunning[v] && assign[v]! >= 0 && assign[v] !== seed) related.push([assign[v]!, p.moveCost[v]!]);
      }
    }
    related.sort((a, b) => b[1] - a[1]);
    for (const [n] of related) if (chosen.size < Math.ceil(size * 0.7)) add(n);
    // Room: nodes with spare capacity, and unused nodes holding home memory (swap candidates).
    for (let tries = 0; chosen.size < size && tries < 4 * size; tries++) {
      const pool = rnd.next() < 0.5 ? usable : related.length > 0 ? related.map((r) => r[0]) : usable;
      const n = pool[rnd.int(pool.length)]!;
      if (rnd.next() < 0.5 && spare(n) < 0.1 && on[n]!.size > 0) continue;
      add(n);
    }
    return [...chosen].sort((a, b) => a - b);
  };

  const phaseFor = (nodes: readonly number[], free: readonly number[]): EncodePhase => {
    if (p.objective.kind === 'consolidate') {
      let used = 0;
      for (const n of nodes) if (on[n]!.size > 0) used++;
      let weight = 1;
      for (const v of free) weight += p.moveCost[v]!;
      return { kind: 'weighted', nodeWeight: weight, maxUsed: used };
    }
    if (p.objective.kind === 'balance') return { kind: 'peakCost', maxPeak: value[0] + 1e-9 };
    return { kind: 'cost' };
  };

  // The neighbourhood's model: the aggregated one when only per-VM rules apply (VMs counted by
  // class: neighbourhoods several times larger solve as fast), else the per-VM encoding.
  const aggregated = canAggregate(p) && p.objective.kind === 'consolidate';
  const buildSub = (nodes: readonly number[], free: readonly number[]): { model: MipModel; decode: (x: ArrayLike<number>) => Int32Array } | undefined => {
    const phase = phaseFor(nodes, free);
    if (aggregated && phase.kind === 'weighted') {
      const inN = new Uint8Array(N);
      for (const n of nodes) inN[n] = 1;
      const isFree = new Uint8Array(p.nVms);
      for (const v of free) isFree[v] = 1;
      const sub: DenseProblem = {
        ...p,
        nodeMode: Uint8Array.from(p.nodeMode, (m, n) => (inN[n] ? m : NodeMode.Off)),
        target: Uint8Array.from(p.target, (t, v) => (isFree[v] ? t : VM_STATE_CODE.waiting)),
      };
      const agg = aggregateModel(sub, phase, assign);
      if ('conflicts' in agg) return undefined;
      return {
        model: agg.model,
        decode: (x) => {
          const a = agg.decode(x);
          const out = Int32Array.from(assign);
          for (const v of free) out[v] = a[v]!;
          return out;
        },
      };
    }
    const enc = encode(p, { free, nodes, assign, phase });
    if (enc.status !== 'model') return undefined;
    return { model: enc.model, decode: (x) => decode(enc, x, assign) };
  };
  if (aggregated) {
    // Counting VMs by class makes much larger neighbourhoods tractable.
    size = Math.max(size, Math.min(N, 16));
  }

  let iterations = 0;
  let improvements = 0;
  let ended: LnsEnd = 'deadline';
  // Stall rule: neighbourhoods in a row at the bound without an improvement, and since when.
  const stall = params.stall;
  const stallMin = stall === undefined ? 0 : Math.max(1, stall.minNeighbourhoods ?? Math.ceil(stall.neighbourhoods / 4));
  let flat = 0;
  let flatSince = t0;
  for (;;) {
    if (params.now() >= deadline) break;
    if (params.maxIterations !== undefined && iterations >= params.maxIterations) {
      ended = 'iterations';
      break;
    }
    if (params.shouldStop?.()) {
      ended = 'stopped';
      break;
    }
    if (stall !== undefined && value[0] <= stall.atFirst) {
      if (flat === 0) flatSince = params.now();
      if (flat >= stall.neighbourhoods || (stall.maxMs !== undefined && flat >= stallMin && params.now() - flatSince >= stall.maxMs)) {
        ended = 'stalled';
        break;
      }
    }
    iterations++;
    // Counted now, cleared below on an improvement: every neighbourhood tried at the bound counts.
    if (stall !== undefined && value[0] <= stall.atFirst) flat++;
    const nodes = neighbourhood();
    const free: number[] = [];
    for (const n of nodes) for (const v of on[n]!) free.push(v);
    if (free.length === 0) continue;
    free.sort((a, b) => a - b);
    const built = buildSub(nodes, free);
    if (built === undefined) continue;
    const left = deadline - params.now();
    if (left <= 5) break;
    const t = params.now();
    const out = params.solveSub(built.model, Math.min(subTime, left));
    const took = params.now() - t;
    if (counting) {
      if (out.status === 'optimal' && took < subTime / 4) countSize = Math.min(countMax, countSize + 4);
      else if (out.status !== 'optimal') countSize = Math.max(3, countSize - 4);
    } else if (out.status === 'optimal' && took < subTime / 4) size = Math.min(maxNodes, size + 1);
    else if (out.status !== 'optimal') size = Math.max(3, size - 1);
    if (out.status !== 'optimal' && out.status !== 'feasible') continue;
    const next = built.decode(out.x);
    const nextValue = valueKey(p, next);
    const improved = better(nextValue, value);
    // Sideways moves (equal on the terms the neighbourhood models optimise: the first two) are
    // taken half of the time, to move on; worse ones never.
    const worse = (compareTerms(value[0], nextValue[0]) || compareTerms(value[1], nextValue[1])) < 0;
    if (!improved && (worse || rnd.next() < 0.5)) continue;
    for (const v of free) {
      if (next[v] !== assign[v]) {
        place(v, assign[v]!, -1);
        place(v, next[v]!, 1);
        assign[v] = next[v]!;
      }
    }
    value = nextValue;
    if (improved) {
      improvements++;
      flat = 0;
      params.onImprove?.(Int32Array.from(assign));
    }
  }
  return { assign, iterations, improvements, ended };
}
