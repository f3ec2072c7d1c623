/**
 * Planner benchmark: planning time and makespan against the makespan lower bound, on
 * consolidation plans (heterogeneous clusters packed onto fewer nodes, at most 2 migrations in
 * flight per node) of about 100, 1,000 and 10,000 actions, on exactly full clusters whose VMs
 * trade places (interlocking cycles), and on a 30,000-VM consolidation.
 *
 * Run from the repository root after `npm run build`: `node dist/bench/plan.js [--quick]`.
 * Prints a table and writes `bench/results/plan.json` (and the same table in markdown, `plan.md`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Map as IMap } from 'immutable';
import { Configuration, placement, type Placement } from '../src/model/configuration.js';
import { indexInstance } from '../src/model/indexed.js';
import { makeInstance, type Instance } from '../src/model/instance.js';
import type { NodeState } from '../src/model/node.js';
import { assemblePlan, buildPlan } from '../src/plan/planner.js';
import { verifyPlan } from '../src/plan/verify.js';
import { createRandom } from '../src/util/random.js';
import { heterogeneousCluster } from '../src/workload/cluster.js';

/** One measured plan. */
export interface PlanBenchRow {
  readonly workload: string;
  readonly nodes: number;
  readonly vms: number;
  readonly actions: number;
  readonly migrations: number;
  readonly detours: number;
  readonly suspends: number;
  /** Seconds. */
  readonly makespan: number;
  readonly lowerBound: number;
  /** makespan / lowerBound. */
  readonly ratio: number;
  /** Milliseconds spent in `buildPlan` (best of the runs). */
  readonly planMs: number;
  /** Whether `verifyPlan` accepts the plan (undefined when not checked). */
  readonly valid?: boolean;
}

/**
 * A consolidation target for an instance whose VMs all run: keeps the fullest nodes until they
 * can hold every VM, leaves the VMs already on kept nodes in place, and packs the VMs of the other
 * nodes onto the kept ones, largest first, best fit (opening the next node when none fits).
 * @param instance - the instance (every VM running)
 * @param opts - fill: usable fraction of each kept node (default 0.95); powerOff: the emptied nodes end offline
 * @returns the target
 */
export function consolidationTarget(instance: Instance, opts: { fill?: number; powerOff?: boolean } = {}): Configuration {
  const fill = opts.fill ?? 0.95;
  const ix = indexInstance(instance);
  const R = ix.resources.length;
  const N = ix.nodeIds.length;
  const V = ix.vmIds.length;
  const load = new Float64Array(N * R);
  let demandTotal = 0;
  let capTotal = 0;
  for (let v = 0; v < V; v++) {
    const h = ix.vmHost[v]!;
    if (h < 0) continue;
    for (let r = 0; r < R; r++) load[h * R + r]! += ix.demand[v * R + r]!;
  }
  const ratio = (n: number): number => {
    let m = 0;
    for (let r = 0; r < R; r++) m = Math.max(m, load[n * R + r]! / Math.max(1e-9, ix.capacity[n * R + r]!));
    return m;
  };
  const order = Array.from({ length: N }, (_, n) => n).sort((a, b) => ratio(b) - ratio(a) || a - b);
  const mem = ix.memory;
  for (let v = 0; v < V; v++) demandTotal += ix.demand[v * R + mem]!;
  const kept = new Uint8Array(N);
  let opened = 0;
  for (const n of order) {
    if (capTotal >= demandTotal / fill) break;
    kept[n] = 1;
    capTotal += ix.capacity[n * R + mem]!;
    opened++;
  }
  function pack(kept: Uint8Array): Int32Array {
    const host = Int32Array.from(ix.vmHost);
    const free = new Float64Array(N * R);
    for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) free[n * R + r] = ix.capacity[n * R + r]! * fill - load[n * R + r]!;
    const movers = [];
    for (let v = 0; v < V; v++) if (host[v]! >= 0 && !kept[host[v]!]) movers.push(v);
    movers.sort((a, b) => ix.demand[b * R + mem]! - ix.demand[a * R + mem]! || a - b);
    for (const v of movers) {
      if (kept[host[v]!]) continue; // its node was opened meanwhile: it stays
      let best = -1;
      let bestLeft = Infinity;
      const tryNodes = (): void => {
        for (let n = 0; n < N; n++) {
          if (!kept[n]) continue;
          let ok = true;
          for (let r = 0; r < R && ok; r++) if (free[n * R + r]! < ix.demand[v * R + r]!) ok = false;
          if (!ok) continue;
          const left = free[n * R + mem]! - ix.demand[v * R + mem]!;
          if (left < bestLeft) {
            bestLeft = left;
            best = n;
          }
        }
      };
      tryNodes();
      while (best < 0 && opened < N) {
        kept[order[opened++]!] = 1;
        tryNodes();
      }
      if (best < 0) continue; // stays where it is
      const from = host[v]!;
      for (let r = 0; r < R; r++) {
        free[best * R + r]! -= ix.demand[v * R + r]!;
        free[from * R + r]! += ix.demand[v * R + r]!;
      }
      host[v] = best;
    }
    return host;
  }
  // Pack; when nodes had to be opened on the way, pack again with them kept from the start.
  let host: Int32Array = Int32Array.from(ix.vmHost);
  for (let round = 0; round < 5; round++) {
    const before = opened;
    host = pack(kept);
    if (opened === before) break;
  }
  const used = new Uint8Array(N);
  for (let v = 0; v < V; v++) if (host[v]! >= 0) used[host[v]!] = 1;
  const vms = IMap<string, Placement>().withMutations((m) => {
    for (let v = 0; v < V; v++) m.set(ix.vmIds[v]!, host[v]! >= 0 ? placement('running', ix.nodeIds[host[v]!]) : placement('waiting'));
  });
  const nodes = IMap<string, NodeState>().withMutations((m) => {
    for (let n = 0; n < N; n++) m.set(ix.nodeIds[n]!, opts.powerOff && !used[n] ? 'offline' : 'online');
  });
  return new Configuration({ vms, nodes });
}

/**
 * An exactly full cluster whose VMs trade places: `nodes` nodes of 8 slots (16 cores, 64 GiB),
 * each full with 8 VMs of 8 GiB, plus `pivots` empty nodes; the target moves a `moved` fraction of
 * the VMs to random other slots (a random permutation of those slots: long and interlocking cycles).
 * @returns the instance and its target
 */
export function shuffleWorkload(nodes: number, moved: number, pivots: number, seed: number, limits = { maxMigrationsPerNode: 2 }): { instance: Instance; target: Configuration } {
  const rnd = createRandom(seed);
  const per = 8;
  const nodeInits = Array.from({ length: nodes + pivots }, (_, i) => ({ id: `n${i}`, capacity: { cpu: 2 * per, memory: 8192 * per } }));
  const slots = nodes * per;
  const vms = Array.from({ length: slots }, (_, s) => ({
    id: `vm${s}`,
    demand: { cpu: 2, memory: 8192 },
    state: 'running' as const,
    host: `n${Math.floor(s / per)}`,
  }));
  const chosen = rnd.shuffle(Array.from({ length: slots }, (_, s) => s)).slice(0, Math.round(slots * moved));
  const dest = rnd.shuffle([...chosen]);
  const slotOf = Array.from({ length: slots }, (_, s) => s);
  chosen.forEach((s, i) => (slotOf[s] = dest[i]!));
  const instance = makeInstance({ nodes: nodeInits, vms, limits });
  const target = new Configuration({
    vms: IMap(vms.map((v, s) => [v.id, placement('running', `n${Math.floor(slotOf[s]! / per)}`)] as const)),
    nodes: IMap(nodeInits.map((n) => [n.id, 'online' as const] as const)),
  });
  return { instance, target };
}

/** A consolidation workload: heterogeneous cluster at 45% load, every VM running, at most 2 migrations per node. */
function consolidation(nodes: number, vms: number, seed: number, powerOff = false): { instance: Instance; target: Configuration } {
  const base = heterogeneousCluster({ nodes, vms, seed });
  const instance = base.set('limits', { maxMigrationsPerNode: 2 });
  return { instance, target: consolidationTarget(instance, { powerOff }) };
}

function measure(workload: string, instance: Instance, target: Configuration, runs: number, verify: boolean, parallel = false): PlanBenchRow {
  let best = Infinity;
  const options = { validateTarget: false, cycleBreaking: parallel ? ('parallel' as const) : ('minimal' as const) };
  let result = buildPlan(instance, target, options);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = buildPlan(instance, target, options);
    best = Math.min(best, performance.now() - t0);
  }
  if (result.status !== 'planned') throw new Error(`${workload}: unplannable: ${result.reasons.map((r) => r.message).join('; ')}`);
  const s = result.stats;
  let valid: boolean | undefined;
  if (verify) {
    const plan = assemblePlan(result, { status: 'feasible', lowerBound: 0, solveMs: 0, planMs: best });
    valid = verifyPlan(instance, plan).ok;
  }
  return {
    workload,
    nodes: instance.nodes.size,
    vms: instance.vms.size,
    actions: result.actions.length,
    migrations: s.migrations,
    detours: s.detours,
    suspends: s.suspends,
    makespan: s.makespan,
    lowerBound: s.makespanLowerBound,
    ratio: s.makespanLowerBound > 0 ? s.makespan / s.makespanLowerBound : 1,
    planMs: Math.round(best * 10) / 10,
    ...(valid === undefined ? {} : { valid }),
  };
}

/**
 * Runs the planner benchmark.
 * @param quick - only the smaller workloads
 * @returns the rows
 */
export function runPlanBench(quick = false): PlanBenchRow[] {
  const rows: PlanBenchRow[] = [];
  // name, workload, timed runs, verify, parallel cycle breaking
  const cases: [string, () => { instance: Instance; target: Configuration }, number, boolean, boolean][] = [
    ['consolidate ~100 actions', () => consolidation(40, 200, 1), 5, true, false],
    ['consolidate ~1,000 actions', () => consolidation(400, 2000, 2), 3, true, false],
    ['consolidate ~1,000 + power off', () => consolidation(400, 2000, 2, true), 3, true, false],
    ['full shuffle, 1 pivot (~100)', () => shuffleWorkload(40, 0.3, 1, 3), 5, true, false],
    ['  same, parallel breaks', () => shuffleWorkload(40, 0.3, 1, 3), 5, true, true],
    ['full shuffle, no pivot (~1,000)', () => shuffleWorkload(250, 0.5, 0, 4), 3, true, false],
    ['  same, parallel breaks', () => shuffleWorkload(250, 0.5, 0, 4), 3, true, true],
    ['full shuffle, 5 pivots (~1,000)', () => shuffleWorkload(250, 0.5, 5, 4), 3, true, false],
    ['  same, parallel breaks', () => shuffleWorkload(250, 0.5, 5, 4), 3, true, true],
  ];
  if (!quick) {
    cases.push(
      ['consolidate ~10,000 actions', () => consolidation(7000, 35000, 5), 2, true, false],
      ['consolidate ~10,000 + power off', () => consolidation(6000, 30000, 5, true), 2, true, false],
      ['full shuffle, 20 pivots (~10,000)', () => shuffleWorkload(2000, 0.6, 20, 6), 2, true, false],
      ['  same, parallel breaks', () => shuffleWorkload(2000, 0.6, 20, 6), 2, true, true],
      ['consolidate 30,000 VMs / 5,000 nodes', () => consolidation(5000, 30000, 7), 2, false, false],
    );
  }
  for (const [name, make, runs, verify, parallel] of cases) {
    const { instance, target } = make();
    rows.push(measure(name, instance, target, runs, verify, parallel));
  }
  return rows;
}

/**
 * Formats rows as a fixed-width table.
 * @param rows - the rows
 * @returns the table text
 */
export function formatPlanTable(rows: readonly PlanBenchRow[]): string {
  const head = ['workload', 'nodes', 'VMs', 'actions', 'migr.', 'detours', 'suspends', 'makespan s', 'bound s', 'ratio', 'plan ms', 'valid'];
  const body = rows.map((r) => [
    r.workload,
    String(r.nodes),
    String(r.vms),
    String(r.actions),
    String(r.migrations),
    String(r.detours),
    String(r.suspends),
    r.makespan.toFixed(1),
    r.lowerBound.toFixed(1),
    r.ratio.toFixed(3),
    r.planMs.toFixed(1),
    r.valid === undefined ? '-' : r.valid ? 'yes' : 'NO',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/**
 * Formats rows as a markdown table (for `bench/README.md`).
 * @param rows - the rows
 * @returns the markdown
 */
export function formatPlanMarkdown(rows: readonly PlanBenchRow[]): string {
  const head = '| workload | nodes | VMs | actions | migrations | detours | suspends | makespan (s) | lower bound (s) | ratio | plan (ms) |';
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const body = rows.map(
    (r) =>
      `| ${r.workload.trim()} | ${r.nodes} | ${r.vms} | ${r.actions} | ${r.migrations} | ${r.detours} | ${r.suspends} | ${r.makespan.toFixed(1)} | ${r.lowerBound.toFixed(1)} | ${r.ratio.toFixed(3)} | ${r.planMs.toFixed(0)} |`,
  );
  return [head, rule, ...body].join('\n');
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const rows = runPlanBench(quick);
  process.stdout.write(`${formatPlanTable(rows)}\n`);
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'plan.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), rows }, null, 2)}\n`);
  writeFileSync(join(dir, 'plan.md'), `${formatPlanMarkdown(rows)}\n`);
  process.stdout.write(`written ${join('bench', 'results', 'plan.json')} and plan.md\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
