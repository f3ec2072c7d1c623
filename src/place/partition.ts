/**
 * Partitioning of very large instances: the nodes are split into groups (sites, the groups of an
 * `among` constraint, or fixed-size slices), each group is solved on its own in a worker thread
 * (repair mode: its misplaced VMs placed within its nodes, every other VM fixed; then LNS within
 * its nodes), the answers are merged, and the merged configuration is checked as a whole by the
 * core checkers. Rules that link groups stay safe: a VM only moves inside its group, VMs outside
 * are fixed for every group, so `spread` (distinct nodes), `among` and `gather` (fixed members
 * bound the others) hold across groups; rules over node sets spanning groups
 * (`resourceCapacity`, `runningCapacity`, `maxOnline`) are checked after the merge, and a failed
 * merge falls back to a whole-instance repair of the VMs involved.
 *
 * Repair mode is the default for `minMigrations`: only the misplaced VMs (the decide step's repair
 * set) are free. For the other objectives each group is improved from a valid start.
 */
import { decisionFor } from '../decide/decide.js';
import { VM_STATE_CODE, type IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import { answerOf, infeasibleOf, isValidAssignment, violationsOf, withStop } from './answer.js';
import { encodeIndex, nodeLoads } from '../solvers/encode.js';
import { looseContext, placeLooseGreedy, shedOverloadGreedy } from '../solvers/loose.js';
import { canPack } from '../solvers/aggregate.js';
import { volumeNodeBound, type KeepSetBounds } from '../solvers/keep.js';
import { keepSetBounds, repairPartition, type TaskFailed } from '../solvers/client.js';
import { better, valueKey } from '../solvers/neighbourhood.js';
import { lazyRunner, type TaskRunner } from '../solvers/pool.js';
import { assignmentStats, canHost, NodeMode, sourceAssignment, type DenseProblem } from '../problem/dense.js';
import { misplacedVms, overloadBounds } from '../solvers/repair.js';
import { startOf } from './start.js';
import { keepBestFit } from '../solvers/search/bestfit.js';
import { raiseStop, stopFlag, type PartitionDone } from '../solvers/tasks.js';
import type { BackendName } from '../solvers/types.js';
import { homeGroups } from './homing.js';
import { checkCount, checkShare, DEFAULTS, type PlacementResult, type PlacementSolver, type SolveOptions } from './types.js';

const RUNNING = VM_STATE_CODE.running;

/** How to split the nodes. */
export type PartitionBy =
  /** Sites when there are several, else the groups of the `among` constraint with the most groups, else slices. */
  | 'auto'
  | 'sites'
  | 'among'
  /** Consecutive slices of about `size` nodes. */
  | { readonly size: number };

/**
 * Splits the usable nodes into groups.
 *
 * @param p - the problem
 * @param ix - its index (sites)
 * @param by - how (default `auto`)
 * @param size - nodes per slice, and the size small groups are merged up to (default 250)
 * @returns node groups (disjoint, covering every usable node)
 * @example
 * ```ts
 * partitionNodes(p, ix, 'among'); // one group per among group (250 nodes each in the BtrPlace shape)
 * ```
 */
export function partitionNodes(p: DenseProblem, ix: IndexedInstance, by: PartitionBy = 'auto', size = 250): Int32Array[] {
  const N = p.nNodes;
  const groupOf = new Int32Array(N).fill(-1);
  let count = 0;
  const bySites = (): boolean => {
    if (ix.sites.length < 2) return false;
    for (let n = 0; n < N; n++) groupOf[n] = ix.nodeSite[n]! >= 0 ? ix.nodeSite[n]! : ix.sites.length;
    count = ix.sites.length + 1;
    return true;
  };
  const byAmong = (): boolean => {
    let bestA = -1;
    p.amongs.forEach((a, i) => {
      if (a.nodeGroup !== undefined && (bestA < 0 || a.groups.length > p.amongs[bestA]!.groups.length)) bestA = i;
    });
    if (bestA < 0) return false;
    const a = p.amongs[bestA]!;
    for (let n = 0; n < N; n++) groupOf[n] = a.nodeGroup![n]! >= 0 ? a.nodeGroup![n]! : a.groups.length;
    count = a.groups.length + 1;
    return true;
  };
  const bySlices = (k: number): void => {
    for (let n = 0; n < N; n++) groupOf[n] = Math.floor(n / Math.max(1, k));
    count = Math.ceil(N / Math.max(1, k));
  };
  if (by === 'sites') {
    if (!bySites()) bySlices(size);
  } else if (by === 'among') {
    if (!byAmong()) bySlices(size);
  } else if (by === 'auto') {
    if (!bySites() && !byAmong()) bySlices(size);
  } else bySlices(by.size);
  const groups: number[][] = Array.from({ length: count }, () => []);
  for (let n = 0; n < N; n++) if (p.nodeMode[n] !== NodeMode.Off) groups[groupOf[n]!]!.push(n);
  // Merge small groups (in order) up to `size` nodes.
  const out: number[][] = [];
  for (const g of groups) {
    if (g.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.length + g.length <= size && (last.length < size / 2 || g.length < size / 2)) last.push(...g);
    else out.push([...g]);
  }
  return out.map((g) => Int32Array.from(g));
}

/** Options of {@link partitionedSolver}. */
export interface PartitionedSolverOptions {
  readonly backend?: BackendName;
  /** Worker pool (default: two worker threads when available). */
  readonly runner?: TaskRunner;
  /** `auto` (default): repair for `minMigrations`, improve otherwise. */
  readonly mode?: 'auto' | 'repair' | 'improve';
  readonly partition?: PartitionBy;
  /** Nodes per partition for slices and merging (default 250). */
  readonly partitionSize?: number;
  /** Solver whose answer is the start in improve mode (and the fallback in repair mode). */
  readonly startSolver?: PlacementSolver;
  /** Share of the time limit the start solver may use (default 0.3). */
  readonly startShare?: number;
  /** Improve each partition by LNS after repairing it (default true). */
  readonly improve?: boolean;
  readonly name?: string;
}

/** {@link PartitionedSolverOptions} validated, with every default filled in (see `DEFAULTS.partitioned`). */
export interface ResolvedPartitionedOptions extends Omit<PartitionedSolverOptions, 'backend' | 'mode' | 'partition' | 'partitionSize' | 'startShare' | 'improve' | 'name'> {
  readonly backend: BackendName;
  readonly mode: 'auto' | 'repair' | 'improve';
  readonly partition: PartitionBy;
  readonly partitionSize: number;
  readonly startShare: number;
  readonly improve: boolean;
  readonly name: string;
}

/**
 * Validates and defaults the options of {@link partitionedSolver}, once.
 * @param options - as given
 * @returns the resolved options
 * @throws RangeError naming an option out of range
 * @example
 * ```ts
 * resolvePartitionedOptions({}).partitionSize; // 250
 * ```
 */
export function resolvePartitionedOptions(options: PartitionedSolverOptions = {}): ResolvedPartitionedOptions {
  const d = DEFAULTS.partitioned;
  const partition = options.partition ?? d.partition;
  if (typeof partition === 'object') checkCount('partition.size', partition.size);
  return {
    ...options,
    backend: options.backend ?? DEFAULTS.backend,
    mode: options.mode ?? d.mode,
    partition,
    partitionSize: checkCount('partitionSize', options.partitionSize ?? d.partitionSize),
    startShare: checkShare('startShare', options.startShare ?? d.startShare),
    improve: options.improve ?? d.improve,
    name: options.name ?? d.name,
  };
}

/**
 * The partitioned placement solver (see the module comment).
 *
 * @param options - pool, mode, partitioning
 * @returns a {@link PlacementSolver}
 * @example
 * ```ts
 * const r = await partitionedSolver({ partition: 'among' }).solve(instance, { seed: 1, timeLimitMs: 5000, now: () => performance.now() });
 * ```
 */
export function partitionedSolver(options: PartitionedSolverOptions = {}): PlacementSolver {
  const opts = resolvePartitionedOptions(options);
  const { backend, name } = opts;
  const poolOf = lazyRunner(opts.runner, DEFAULTS.partitioned.workers);
  return {
    name,
    async solve(instance: Instance, solveOptions: SolveOptions): Promise<PlacementResult> {
      const pool = poolOf();
      const t0 = solveOptions.now();
      const deadline = t0 + solveOptions.timeLimitMs * 0.97 - Math.min(500, solveOptions.timeLimitMs * 0.1);
      const remaining = (): number => Math.max(1, deadline - solveOptions.now());
      const decision = decisionFor(instance, solveOptions);
      if (decision.status === 'infeasible') return withStop(decision);
      const ix = decision.ix;
      const { problem: p, reasons: conflicts } = decision.dense;
      if (conflicts.length > 0) return { status: 'infeasible', reasons: conflicts, solver: name, stop: 'proved' };
      const repairMode = opts.mode === 'repair' || (opts.mode === 'auto' && p.objective.kind === 'minMigrations');
      // Improve mode starts from the start solver's answer (or the decision's placement); repair
      // mode from the source, that answer being the fallback.
      const start = await startOf(decision, { ...solveOptions, decision }, opts.startSolver, opts.startShare);
      const volume = volumeNodeBound(p);

      let base: Int32Array;
      let migrationLowerBound: number | undefined;
      let migrationCountBound = 0;
      /** Whether an assignment reaches the repair bounds (memory, then migrations): proved optimal. */
      const atBounds = (a: Int32Array): boolean => {
        if (migrationLowerBound === undefined) return false;
        const s = assignmentStats(p, a);
        return s.migratedMemory <= migrationLowerBound + 1e-6 && (s.migratedMemory < migrationLowerBound - 1e-6 || s.migrations <= migrationCountBound);
      };
      let keep: KeepSetBounds | undefined;
      let free: Uint8Array = new Uint8Array(p.nVms);
      if (repairMode) {
        base = sourceAssignment(p);
        free = Uint8Array.from(decision.repair);
        for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && base[v]! < 0) free[v] = 1;
        // The migration bound is what the source's overloaded nodes must shed (before any pass).
        const b = overloadBounds(p, base);
        if (Number.isFinite(b.memory)) {
          migrationLowerBound = b.memory;
          // minMigrations ranks equal memory by the number of migrations: at the memory bound, the fewest.
          if (p.objective.kind === 'minMigrations') migrationCountBound = b.migrations;
        }
        // Greedy passes here first, on the main thread and without a deadline (they are linear in
        // the VMs they move): VMs with no node (to boot, or from failed nodes), then nodes that are
        // overloaded and break nothing else; onto nodes not under repair (see loose.ts). Only what
        // they cannot do goes to the partitions: under load, a partition task cut off at the
        // deadline lost its whole repair and sent the solve to the whole-cluster fallback.
        const loose: number[] = [];
        const clusters = new Map<number, number[]>();
        const busy = new Uint8Array(p.nNodes);
        for (let v = 0; v < p.nVms; v++) {
          if (!free[v]) continue;
          const n = base[v]!;
          if (n < 0) loose.push(v);
          else {
            busy[n] = 1;
            (clusters.get(n) ?? clusters.set(n, []).get(n)!).push(v);
          }
        }
        for (const [n, vms] of [...clusters]) if (!vms.every((v) => canHost(p, v, n))) clusters.delete(n);
        if (loose.length > 0 || clusters.size > 0) {
          const { load, count } = nodeLoads(p, base);
          const settled: number[] = [];
          for (let n = 0; n < p.nNodes; n++) if (!busy[n]) settled.push(n);
          const ctx = looseContext(p);
          const saved = { base: Int32Array.from(base), free: Uint8Array.from(free) };
          const left = new Set(placeLooseGreedy(p, base, load, count, loose, settled, ctx));
          for (const v of loose) if (!left.has(v)) free[v] = 0;
          const before = new Map(clusters);
          shedOverloadGreedy(p, base, load, count, clusters, settled, ctx);
          for (const [n, vms] of before) if (!clusters.has(n)) for (const v of vms) free[v] = 0;
          // All or nothing: a greedy placement could block an exact fit of what it left (an
          // exact-fit puzzle), so when anything is left the exact repair gets the whole problem.
          if (left.size > 0 || clusters.size > 0) {
            base = saved.base;
            free = saved.free;
          }
        }
      } else {
        // Consolidation: the keep-set bound, and the packing at it (aggregatable problems) as a start.
        if (p.objective.kind === 'consolidate') {
          keep = await keepSetBounds(p, pool, backend, Math.min(4000, remaining() * 0.3), { pack: canPack(p) });
        }
        const bestFit = p.objective.kind === 'consolidate' ? keepBestFit(p) : undefined;
        const candidates = [start.assign, sourceAssignment(p), keep?.assign, bestFit].filter((a): a is Int32Array => isValidAssignment(instance, ix, p, a));
        if (candidates.length === 0) {
          return { status: 'infeasible', solver: name, lowerBound: volume, reasons: [{ message: 'improve mode needs a valid start: none found' }], unproved: true, stop: 'exhausted' };
        }
        base = candidates.reduce((a, b) => (better(valueKey(p, b), valueKey(p, a)) ? b : a));
      }

      // Bounds: the keep-set node count for consolidation; what the overloaded nodes must shed for a repair.
      let nodeBound = volume;
      if (p.objective.kind === 'consolidate') {
        keep ??= await keepSetBounds(p, pool, backend, Math.min(1000, remaining() * 0.05));
        nodeBound = Math.max(nodeBound, keep.nodes);
      }
      const groups = partitionNodes(p, ix, opts.partition, opts.partitionSize);
      const groupOfNode = new Int32Array(p.nNodes).fill(-1);
      groups.forEach((g, gi) => {
        for (const n of g) groupOfNode[n] = gi;
      });
      // Misplaced VMs go with the group of their node; unplaced ones with a group where they may
      // run (their among group, their domain) and that has room (see homing.ts).
      const freeOf: number[][] = groups.map(() => []);
      const unplaced: number[] = [];
      let rr = 0;
      for (let v = 0; v < p.nVms; v++) {
        if (!free[v]) continue;
        const n = base[v]!;
        const g = n >= 0 ? groupOfNode[n]! : -1;
        if (g < 0 && groups.length === 0) {
          // Every node must end offline (or is unusable): no running VM has anywhere to go.
          return infeasibleOf(ix, [{ message: 'no usable node for the VMs that run: every node must end offline', vms: [v], nodes: [] }], name);
        }
        if (g < 0) unplaced.push(v);
        else freeOf[g]!.push(v);
      }
      const homes = homeGroups(p, base, unplaced, groups, groupOfNode);
      unplaced.forEach((v, k) => freeOf[homes[k]! >= 0 ? homes[k]! : rr++ % groups.length]!.push(v));
      // Gather sets move as one: all their misplaced members join the group of the first.
      for (const ga of p.gathers) {
        const members = [...ga.vms].filter((v) => free[v]);
        if (members.length < 2) continue;
        const target = freeOf.findIndex((l) => l.includes(members[0]!));
        for (const v of members.slice(1)) {
          const gi = freeOf.findIndex((l) => l.includes(v));
          if (gi !== target && gi >= 0) {
            freeOf[gi] = freeOf[gi]!.filter((w) => w !== v);
            freeOf[target]!.push(v);
          }
        }
      }

      const stop = stopFlag();
      const improve = opts.improve;
      const index = encodeIndex(p);
      const order = groups.map((_, gi) => gi).sort((a, b) => freeOf[b]!.length - freeOf[a]!.length || a - b);
      // One task per group, handed to the pool only when a worker is free, so that each task's
      // time limit is what is left when it starts (tasks queued up front each got the whole
      // budget: 20 groups on 2 workers ran far past the limit).
      const noTimeLeft: PartitionDone | TaskFailed = { status: 'failed', reason: 'deadline', message: 'no time left for this group' };
      const runPass = (gis: readonly number[], assign: Int32Array, repair: boolean, slice: () => number) =>
        inTurn(gis, Math.max(1, pool.size), (gi) =>
          remaining() < 50
            ? Promise.resolve({ gi, run: noTimeLeft })
            : repairPartition(
                pool,
                {
                  backend,
                  problem: p,
                  assign,
                  nodes: groups[gi]!,
                  free: repair ? Int32Array.from(freeOf[gi]!) : new Int32Array(0),
                  seed: solveOptions.seed + gi,
                  timeLimitMs: Math.min(slice(), remaining()),
                  improve: !repair,
                  stop,
                  index,
                },
                { hardLimitMs: remaining() + GRACE_MS },
              )
              .then((run) => ({ gi, run })),
        );
      // Pass 1, the repair: the groups with VMs to place, dealt into one task per worker (most VMs
      // first, to the lightest lane), each task repairing its groups one after the other on their
      // own nodes. One task per group cost a copy of the problem to a worker each (about a tenth
      // of a second per copy at 5,000 nodes × 30,000 VMs) and left the workers waiting.
      const busyGroups = order.filter((gi) => freeOf[gi]!.length > 0);
      const lanes: number[][] = Array.from({ length: Math.min(Math.max(1, pool.size), busyGroups.length) }, () => []);
      const laneLoad = lanes.map(() => 0);
      for (const gi of busyGroups) {
        const k = laneLoad.indexOf(Math.min(...laneLoad));
        lanes[k]!.push(gi);
        laneLoad[k]! += freeOf[gi]!.length;
      }
      const laneRuns = await Promise.all(
        lanes.map((gis) =>
          repairPartition(
            pool,
            {
              backend,
              problem: p,
              assign: base,
              nodes: Int32Array.from(gis.flatMap((gi) => [...groups[gi]!])).sort(),
              free: Int32Array.from(gis.flatMap((gi) => freeOf[gi]!)),
              seed: solveOptions.seed + (gis[0] ?? 0),
              timeLimitMs: remaining(),
              improve: false,
              stop,
              index,
            },
            { hardLimitMs: remaining() + GRACE_MS },
          ),
        ),
      );
      const results = laneRuns.map((run, k) => ({ gi: lanes[k]![0]!, run }));

      // Merge: each group only moved VMs onto its own nodes.
      const merge = (into: Int32Array, from: Int32Array, list: Awaited<ReturnType<typeof runPass>>): boolean => {
        let ok = true;
        for (const { gi, run } of list) {
          if (run.status !== 'partition-done') {
            ok &&= freeOf[gi]!.length === 0;
            continue;
          }
          if (!run.repaired) ok = false;
          const a = run.assign;
          for (let v = 0; v < p.nVms; v++) if (a[v] !== from[v]) into[v] = a[v]!;
        }
        return ok;
      };
      let merged = Int32Array.from(base);
      const allRepaired = merge(merged, base, results);
      let improvedValid = false;
      // Pass 2, improvement by LNS inside each group, sharing the time left.
      const atBound = atBounds(merged);
      if (improve && allRepaired && !atBound && p.objective.kind !== 'balance' && remaining() > 200 && Atomics.load(stop, 0) === 0) {
        const rounds = Math.max(1, Math.ceil(groups.length / Math.max(1, pool.size)));
        const slice = Math.max(1, (remaining() - 100) / rounds);
        const from = Int32Array.from(merged);
        const improved = await runPass(order, from, false, () => slice);
        const next = Int32Array.from(from);
        merge(next, from, improved);
        // Groups improved side by side may together break a rule over nodes of several groups:
        // keep the improvement only if the whole passes the checkers.
        if (complete(p, next) && better(valueKey(p, next), valueKey(p, merged)) && violationsOf(instance, ix, p, next).length === 0) {
          merged = next;
          improvedValid = true;
        }
      }
      raiseStop(stop);
      let answer: Int32Array = merged;
      let valid = improvedValid || (allRepaired && complete(p, merged) && violationsOf(instance, ix, p, merged).length === 0);
      if (!valid) {
        // Whole-instance repair of the VMs still misplaced after the merge, cluster by cluster.
        const still = misplacedVms({ ...p, home: merged, srcRunning: Uint8Array.from(merged, (n) => (n >= 0 ? 1 : 0)) });
        const again: number[] = [];
        for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && (still[v] || merged[v]! < 0)) again.push(v);
        const all = Int32Array.from({ length: p.nNodes }, (_, n) => n);
        const fixedRun = await repairPartition(
          pool,
          { backend, problem: p, assign: merged, nodes: all, free: Int32Array.from(again), seed: solveOptions.seed, timeLimitMs: remaining(), improve: false },
          { hardLimitMs: remaining() + GRACE_MS },
        );
        if (fixedRun.status === 'partition-done' && fixedRun.repaired) {
          const fixed = fixedRun.assign;
          if (complete(p, fixed) && violationsOf(instance, ix, p, fixed).length === 0) {
            answer = fixed;
            valid = true;
          }
        }
      }
      // Never worse than the start solver's answer (it is valid: it came through the checkers).
      const startValid = start.assign !== undefined && start.from !== undefined && start.from !== 'start' ? start.assign : undefined;
      if (startValid !== undefined && complete(p, startValid) && (!valid || better(valueKey(p, startValid), valueKey(p, answer)))) {
        if (violationsOf(instance, ix, p, startValid).length === 0) {
          answer = startValid;
          valid = true;
        }
      }
      // Not proved: the limit ended it when no time is left (the passes' own "no time" test).
      const ended = remaining() < 50 ? 'time-limit' : 'exhausted';
      if (!valid) {
        return { status: 'infeasible', solver: name, lowerBound: volume, reasons: [{ message: 'the partitioned repair found no valid placement within the time limit' }], unproved: true, stop: ended };
      }
      return answerOf(instance, ix, p, answer, {
        proved: atBounds(answer),
        lowerBound: nodeBound,
        ...(migrationLowerBound === undefined ? {} : { migrationLowerBound }),
        solver: name,
        verified: true,
        stop: ended,
      });
    },
  };
}

/** Milliseconds a partition task may run past the deadline before its worker is cut off. */
const GRACE_MS = 300;

/** Runs `fn` on each item, at most `k` at once, each started only when a previous one ended. */
async function inTurn<T, U>(items: readonly T[], k: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array<U>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(k, items.length) }, lane));
  return out;
}

function complete(p: DenseProblem, a: Int32Array): boolean {
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === RUNNING && a[v]! < 0) return false;
  return true;
}
