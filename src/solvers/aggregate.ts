/**
 * The aggregated placement MIP, for problems whose only rules are per-VM and per-node ones.
 *
 * VMs with the same demand and the same allowed nodes are interchangeable for every rule, so the
 * model counts them instead of naming them: an integer `x[c][n]` (how many VMs of class `c` run on
 * node `n`), a continuous `k[c][n] <= min(x[c][n], home[c][n])` (how many of them stay on their
 * source host `n`), and the binary `u[n]`. The migrated memory is the memory of the class times
 * the VMs that do not stay. This is an exact reformulation, not a relaxation: any solution maps
 * to a placement with the same node count and migrated memory (VMs keep their host where the
 * counts allow, the others fill the remaining slots), so its optimum and its dual bound are the
 * per-VM model's. It has (classes × nodes) integers instead of (VMs × nodes) binaries: with a
 * handful of flavours, thousands of nodes stay tractable.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { tieWeights, type EncodeConflict } from './encode.js';
import { ModelBuilder, type MipModel } from './model.js';
import { canHost, type DenseProblem, NodeMode, usableNodes } from '../problem/dense.js';

const RUNNING = VM_STATE_CODE.running;

/** What the aggregated model minimises (see `EncodePhase`). */
export type AggregatePhase =
  /** Any placement: no objective (the fastest way to a first answer, e.g. inside a keep set). */
  | { readonly kind: 'feasible' }
  | { readonly kind: 'count'; readonly minUsed?: number }
  | { readonly kind: 'cost'; readonly maxUsed?: number }
  | { readonly kind: 'weighted'; readonly nodeWeight: number; readonly maxUsed?: number };

/** The VM classes of a problem. */
export interface VmClasses {
  /** Class per VM (-1 for VMs not placed through a class: not running, or pinned). */
  readonly classOf: Int32Array;
  /** A representative VM per class. */
  readonly rep: Int32Array;
  /** Number of VMs per class. */
  readonly size: Int32Array;
}

/**
 * Whether the problem's only rules are per-VM and per-node ones (capacity, ban, fence,
 * reservations, pins): no rule links several VMs or nodes.
 * @param p - the problem
 * @returns true when only per-VM and per-node rules apply
 */
export function onlyUnaryRules(p: DenseProblem): boolean {
  return (
    p.spreads.length === 0 &&
    p.gathers.length === 0 &&
    p.amongs.length === 0 &&
    p.splits.length === 0 &&
    p.lonelies.length === 0 &&
    p.resourceBounds.length === 0 &&
    p.runningBounds.length === 0 &&
    p.onlineBounds.length === 0
  );
}

/**
 * Whether a packing may come from the aggregated model: {@link canAggregate} but for `spread`
 * constraints, which the model ignores and the decoding then honours where it can (callers
 * check the result).
 * @param p - the problem
 * @returns true when the aggregated model, without spreads, covers every other rule
 */
export function canPack(p: DenseProblem): boolean {
  return canAggregate({ ...p, spreads: [] });
}

/**
 * Whether the aggregated model applies: only per-VM and per-node rules, and no node whose mode
 * lets the solver decide it is online beyond being used. Under `minMigrations` also no VM to
 * resume from an image on a node: the model counts the VMs that stay, not where a resumed VM
 * lands, so it cannot rank remote resumes (the third term; the per-VM model does).
 * @param p - the problem
 * @returns true when {@link aggregateModel} is exact for `p`
 */
export function canAggregate(p: DenseProblem): boolean {
  if (!onlyUnaryRules(p)) return false;
  if (p.objective.kind === 'consolidate') return true;
  if (p.objective.kind !== 'minMigrations') return false;
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && !p.srcRunning[v] && p.home[v]! >= 0) return false;
  return true;
}

/**
 * Groups running, unpinned VMs by demand, domain and (when nodes are reserved) vjob.
 * @param p - the problem
 * @returns the classes
 */
export function vmClasses(p: DenseProblem): VmClasses {
  const R = p.R;
  let reservations = false;
  for (let n = 0; n < p.nNodes; n++) if (p.reservedFor[n] !== -1) reservations = true;
  const byKey = new Map<string, number>();
  const classOf = new Int32Array(p.nVms).fill(-1);
  const rep: number[] = [];
  const size: number[] = [];
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING || p.pinned[v]! >= 0) continue;
    let key = `${p.domain[v]}|${reservations ? p.vmVjob[v] : ''}|${p.moveCost[v]}`;
    for (let r = 0; r < R; r++) key += `|${p.demand[v * R + r]}`;
    let c = byKey.get(key);
    if (c === undefined) {
      c = rep.length;
      byKey.set(key, c);
      rep.push(v);
      size.push(0);
    }
    classOf[v] = c;
    size[c]!++;
  }
  return { classOf, rep: Int32Array.from(rep), size: Int32Array.from(size) };
}

/**
 * The number of class–node pairs of the aggregated model (its integer variables, at most).
 * @param p - the problem
 * @returns classes × usable nodes
 */
export function aggregateSize(p: DenseProblem): number {
  return vmClasses(p).rep.length * usableNodes(p);
}

/** The aggregated model and how to read it. */
export interface AggregateEncoding {
  readonly model: MipModel;
  /**
   * Maps a solution to an assignment: VMs stay on their source host where the counts allow,
   * the others fill the remaining slots of their class.
   */
  decode(x: ArrayLike<number>): Int32Array;
}

/**
 * Builds the aggregated MIP of the whole problem.
 *
 * @param p - the problem ({@link canAggregate} must hold)
 * @param phase - what to minimise
 * @param start - a valid assignment to seed the solve (optional)
 * @returns the model and its decoder, or the conflicts (a VM that can run on no node)
 * @example
 * ```ts
 * const agg = aggregateModel(p, { kind: 'cost', maxUsed: 35 }, heuristicAssign);
 * if (!('conflicts' in agg)) {
 *   const out = backend.solve(agg.model, { timeLimitMs: 10_000 });
 *   if (out.status === 'optimal') use(agg.decode(out.x));
 * }
 * ```
 */
export function aggregateModel(p: DenseProblem, phase: AggregatePhase, start?: Int32Array): AggregateEncoding | { readonly conflicts: readonly EncodeConflict[] } {
  const N = p.nNodes;
  const R = p.R;
  const cls = vmClasses(p);
  const C = cls.rep.length;
  // Fixed load of pinned VMs.
  const fixedLoad = new Float64Array(N * R);
  const fixedCount = new Int32Array(N);
  const pinnedVms: number[] = [];
  const conflicts: EncodeConflict[] = [];
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING || p.pinned[v]! < 0) continue;
    const n = p.pinned[v]!;
    if (!canHost(p, v, n)) conflicts.push({ message: 'this VM must stay on its node, which may not host it', vms: [v], nodes: [n] });
    pinnedVms.push(v);
    fixedCount[n]!++;
    for (let r = 0; r < R; r++) fixedLoad[n * R + r]! += p.demand[v * R + r]!;
  }
  // Home counts per class and node.
  const home = new Map<number, number>(); // c * N + n -> count
  for (let v = 0; v < p.nVms; v++) {
    const c = cls.classOf[v]!;
    if (c < 0 || !p.srcRunning[v] || p.home[v]! < 0) continue;
    const key = c * N + p.home[v]!;
    home.set(key, (home.get(key) ?? 0) + 1);
  }
  let movable = 0;
  for (const h of home.values()) movable += h;
  // Under minMigrations, each VM that does not stay also counts as one migration (below 1 MiB in all, see tieWeights).
  const perMove = tieWeights(p, movable, 0).migration;
  const b = new ModelBuilder();
  const counts = phase.kind === 'count' || phase.kind === 'weighted' || (phase.kind === 'cost' && phase.maxUsed !== undefined);
  const uWeight = phase.kind === 'count' ? 1 : phase.kind === 'weighted' ? phase.nodeWeight : 0;
  const costs = phase.kind === 'cost' || phase.kind === 'weighted';
  const xCol = new Int32Array(C * N).fill(-1);
  const kCol = new Int32Array(C * N).fill(-1);
  const uCol = new Int32Array(N).fill(-1);
  const nodesOfClass: number[][] = Array.from({ length: C }, () => []);
  for (let c = 0; c < C; c++) {
    const v = cls.rep[c]!;
    for (let n = 0; n < N; n++) {
      if (!canHost(p, v, n)) continue;
      let cap = cls.size[c]!;
      for (let r = 0; r < R; r++) {
        const d = p.demand[v * R + r]!;
        if (d > 0) cap = Math.min(cap, Math.floor((p.capacity[n * R + r]! - fixedLoad[n * R + r]! + 1e-9) / d));
      }
      if (cap <= 0) continue;
      xCol[c * N + n] = b.addColumn(0, 0, cap, true, `x_${c}_${n}`);
      nodesOfClass[c]!.push(n);
      const h = home.get(c * N + n) ?? 0;
      if (costs && h > 0) kCol[c * N + n] = b.addColumn(-(p.moveCost[v]! + perMove), 0, Math.min(h, cap), false, `k_${c}_${n}`);
    }
    if (nodesOfClass[c]!.length === 0) {
      const members: number[] = [];
      for (let w = 0; w < p.nVms; w++) if (cls.classOf[w] === c) members.push(w);
      conflicts.push({ message: 'no node may host this VM', vms: members, nodes: [] });
    }
  }
  if (conflicts.length > 0) return { conflicts };
  let offset = 0;
  if (costs) {
    for (const [key, h] of home) offset += (p.moveCost[cls.rep[Math.floor(key / N)]!]! + perMove) * h;
    b.addOffset(offset);
  }
  if (counts) {
    for (let n = 0; n < N; n++) {
      if (p.nodeMode[n] === NodeMode.Off) continue;
      uCol[n] = b.addColumn(uWeight, fixedCount[n]! > 0 ? 1 : 0, 1, true, `u_${n}`);
    }
  }
  // Every VM of a class runs somewhere.
  for (let c = 0; c < C; c++) {
    const cols = nodesOfClass[c]!.map((n) => xCol[c * N + n]!);
    b.addRow(cols, cols.map(() => 1), cls.size[c]!, cls.size[c]!);
    for (const n of nodesOfClass[c]!) {
      const k = kCol[c * N + n]!;
      if (k >= 0) b.addRow([k, xCol[c * N + n]!], [1, -1], -Infinity, 0);
    }
  }
  // Capacity, and "a node hosting anything is used".
  for (let n = 0; n < N; n++) {
    if (p.nodeMode[n] === NodeMode.Off) continue;
    const cols: number[] = [];
    const cs: number[] = [];
    for (let c = 0; c < C; c++) {
      const j = xCol[c * N + n]!;
      if (j >= 0) {
        cols.push(j);
        cs.push(c);
      }
    }
    if (cols.length === 0) continue;
    const u = uCol[n]!;
    const link = u >= 0 && fixedCount[n] === 0;
    for (let r = 0; r < R; r++) {
      const residual = p.capacity[n * R + r]! - fixedLoad[n * R + r]!;
      const vals = cs.map((c) => p.demand[cls.rep[c]! * R + r]!);
      if (link) b.addRow([...cols, u], [...vals, -residual], -Infinity, 0);
      else b.addRow(cols, vals, -Infinity, residual);
    }
    if (link) for (const j of cols) b.addRow([j, u], [1, -(b.upperOf(j))], -Infinity, 0);
  }
  const us: number[] = [];
  for (let n = 0; n < N; n++) if (uCol[n]! >= 0) us.push(uCol[n]!);
  if ((phase.kind === 'cost' || phase.kind === 'weighted') && phase.maxUsed !== undefined) b.addRow(us, us.map(() => 1), -Infinity, phase.maxUsed);
  if (phase.kind === 'count' && phase.minUsed !== undefined) b.addRow(us, us.map(() => 1), phase.minUsed, Infinity);

  let startX: Float64Array | undefined;
  if (start !== undefined) {
    startX = new Float64Array(b.numCols);
    const used = new Uint8Array(N);
    let ok = true;
    for (let v = 0; v < p.nVms && ok; v++) {
      const c = cls.classOf[v]!;
      const n = start[v]!;
      if (p.target[v] === RUNNING && n >= 0) used[n] = 1;
      if (c < 0) continue;
      const j = n >= 0 ? xCol[c * N + n]! : -1;
      if (j < 0) ok = false;
      else startX[j]! += 1;
    }
    if (ok) {
      for (let c = 0; c < C; c++) {
        for (const n of nodesOfClass[c]!) {
          const k = kCol[c * N + n]!;
          if (k >= 0) startX[k] = Math.min(startX[xCol[c * N + n]!]!, home.get(c * N + n) ?? 0);
        }
      }
      for (let n = 0; n < N; n++) if (uCol[n]! >= 0) startX[uCol[n]!] = used[n] || fixedCount[n]! > 0 ? 1 : 0;
    } else startX = undefined;
  }
  const model = b.build(startX);

  return {
    model,
    decode(x) {
      const out = new Int32Array(p.nVms).fill(-1);
      for (const v of pinnedVms) out[v] = p.pinned[v]!;
      const slots = new Int32Array(C * N);
      for (let c = 0; c < C; c++) for (const n of nodesOfClass[c]!) slots[c * N + n] = Math.round(x[xCol[c * N + n]!]!);
      const done = spreadFirst(p, cls.classOf, nodesOfClass, slots, out);
      // VMs stay home while their class has slots there.
      const movers: number[][] = Array.from({ length: C }, () => []);
      for (let v = 0; v < p.nVms; v++) {
        const c = cls.classOf[v]!;
        if (c < 0 || done[v]) continue;
        const h = p.srcRunning[v] ? p.home[v]! : -1;
        if (h >= 0 && slots[c * N + h]! > 0) {
          slots[c * N + h]!--;
          out[v] = h;
        } else movers[c]!.push(v);
      }
      for (let c = 0; c < C; c++) {
        const list = movers[c]!;
        let i = 0;
        for (const n of nodesOfClass[c]!) {
          for (let s = slots[c * N + n]!; s > 0 && i < list.length; s--) out[list[i++]!] = n;
        }
      }
      return out;
    },
  };
}

/**
 * Places the members of `spread` constraints first when a packing ignored them (see
 * {@link canPack}): each in a slot of its class, at home when it may, else on the node of its
 * class with the most slots left that hosts no other member of its spreads. A member no slot
 * can take stays unplaced (-1): the caller's check then rejects the packing.
 * @returns 1 per VM handled here
 */
function spreadFirst(p: DenseProblem, classOf: Int32Array, nodesOfClass: readonly number[][], slots: Int32Array, out: Int32Array): Uint8Array {
  const done = new Uint8Array(p.nVms);
  if (p.spreads.length === 0) return done;
  const N = p.nNodes;
  const spreadsOf = new Map<number, number[]>();
  p.spreads.forEach((sp, si) => {
    for (const v of sp.vms) {
      const l = spreadsOf.get(v);
      if (l) l.push(si);
      else spreadsOf.set(v, [si]);
    }
  });
  const used: Set<number>[] = p.spreads.map((sp) => new Set([...sp.vms].filter((v) => out[v]! >= 0).map((v) => out[v]!)));
  const allowed = (ss: readonly number[], n: number): boolean => ss.every((si) => !used[si]!.has(n));
  const members = [...spreadsOf.keys()].filter((v) => classOf[v]! >= 0).sort((a, b) => spreadsOf.get(b)!.length - spreadsOf.get(a)!.length || a - b);
  for (const v of members) {
    const c = classOf[v]!;
    const ss = spreadsOf.get(v)!;
    const h = p.srcRunning[v] ? p.home[v]! : -1;
    let at = -1;
    if (h >= 0 && slots[c * N + h]! > 0 && allowed(ss, h)) at = h;
    else {
      for (const n of nodesOfClass[c]!) if (slots[c * N + n]! > 0 && allowed(ss, n) && (at < 0 || slots[c * N + n]! > slots[c * N + at]!)) at = n;
    }
    done[v] = 1;
    if (at < 0) continue;
    slots[c * N + at]!--;
    out[v] = at;
    for (const si of ss) used[si]!.add(at);
  }
  return done;
}
