/**
 * A seeded BtrPlace-shaped repair workload: a large cluster running 3-tier applications (6–30
 * VMs each) with `spread` over every tier and `among` node groups for one tier, placed so that
 * every constraint holds; then a share of the applications raises its cpu demand so that some
 * nodes overload. The objective is `minMigrations`: repair with the least memory moved.
 */
import type { Constraint } from '../model/constraints.js';
import { makeInstance, type Instance } from '../model/instance.js';
import type { NodeInit } from '../model/node.js';
import type { VmInit } from '../model/vm.js';
import { createRandom } from '../util/random.js';
import { between, drawFlavours, FLAVOURS, NODE_TYPES, pickOne, type Flavour } from './cluster.js';

/** Options of {@link repairWorkload}. */
export interface RepairWorkloadOptions {
  readonly nodes: number;
  /** Approximate number of VMs (applications are drawn until it is reached). */
  readonly vms: number;
  readonly seed: number;
  /** Nodes per `among` group (default 250; the last group takes the remainder). */
  readonly groupSize?: number;
  /** Load before the surge: larger of cpu and memory demand over capacity (default 0.55). */
  readonly load?: number;
  /** Share of applications whose cpu demand rises (default 0.1). */
  readonly surgeShare?: number;
  /** Factor applied to the cpu demand of the surging applications' VMs (default 2). */
  readonly surgeFactor?: number;
}

/** What the generator made, besides the instance. */
export interface RepairWorkload {
  readonly instance: Instance;
  /** Number of applications. */
  readonly apps: number;
  /** Nodes whose source load exceeds capacity after the surge. */
  readonly overloaded: number;
}

/**
 * Builds the workload.
 *
 * @param options - size, seed, group size, load, surge
 * @returns the instance and its figures
 * @example
 * ```ts
 * const { instance, overloaded } = repairWorkload({ nodes: 5000, vms: 30000, seed: 1 });
 * ```
 */
export function repairWorkload(options: RepairWorkloadOptions): RepairWorkload {
  const rnd = createRandom(options.seed);
  const N = options.nodes;
  const groupSize = options.groupSize ?? 250;
  const types = Array.from({ length: N }, () => pickOne(rnd, NODE_TYPES));
  const nodeIds = types.map((_, i) => `n${i}`);
  const groups: string[][] = [];
  for (let s = 0; s < N; s += groupSize) groups.push(nodeIds.slice(s, Math.min(N, s + groupSize)));

  // Applications: three tiers of at least two VMs each, 6–30 VMs in all.
  const tiers: number[][] = []; // per app: sizes of its three tiers
  let total = 0;
  while (total < options.vms) {
    let size = between(rnd, 6, 30);
    if (total + size > options.vms) size = Math.max(6, options.vms - total);
    const t = [2, 2, 2];
    for (let k = 6; k < size; k++) {
      const i = rnd.int(3);
      // The among tier must fit on distinct nodes of one group.
      if (i === 2 && t[2]! >= groupSize) t[rnd.int(2)]!++;
      else t[i]!++;
    }
    tiers.push(t);
    total += size;
  }
  const capacity = types.reduce((a, t) => ({ cpu: a.cpu + t.cpu, memory: a.memory + t.memory }), { cpu: 0, memory: 0 });
  const flavours: Flavour[] = drawFlavours(rnd, total, capacity, options.load ?? 0.55).map((i) => FLAVOURS[i]!);

  // Placement, application by application: spread tiers on distinct nodes, the among tier in one group.
  const freeCpu = types.map((t) => t.cpu);
  const freeMem = types.map((t) => t.memory);
  const host = new Int32Array(total).fill(-1);
  const vms: VmInit[] = [];
  const constraints: Constraint[] = [];
  let v = 0;
  const dropped = new Set<number>();
  const fits = (k: number, n: number): boolean => freeCpu[n]! >= flavours[k]!.cpu && freeMem[n]! >= flavours[k]!.memory;
  const take = (k: number, n: number): void => {
    host[k] = n;
    freeCpu[n]! -= flavours[k]!.cpu;
    freeMem[n]! -= flavours[k]!.memory;
  };
  const pickNode = (k: number, lo: number, hi: number, used: Set<number>): number => {
    for (let t = 0; t < 40; t++) {
      const n = lo + rnd.int(hi - lo);
      if (!used.has(n) && fits(k, n)) return n;
    }
    const s = rnd.int(hi - lo);
    for (let i = 0; i < hi - lo; i++) {
      const n = lo + ((s + i) % (hi - lo));
      if (!used.has(n) && fits(k, n)) return n;
    }
    return -1;
  };
  tiers.forEach((t, a) => {
    const firstVm = v;
    const firstVmEntry = vms.length;
    const firstConstraint = constraints.length;
    const g = rnd.int(groups.length);
    const glo = g * groupSize;
    const ghi = Math.min(N, glo + groupSize);
    t.forEach((size, tier) => {
      const members: string[] = [];
      const used = new Set<number>();
      for (let i = 0; i < size; i++, v++) {
        const n = tier === 2 ? pickNode(v, glo, ghi, used) : pickNode(v, 0, N, used);
        const id = `a${a}t${tier}v${i}`;
        members.push(id);
        const f = flavours[v]!;
        if (n >= 0) {
          used.add(n);
          take(v, n);
          vms.push({ id, demand: { cpu: f.cpu, memory: f.memory }, state: 'running', host: nodeIds[n]!, vjob: `a${a}` });
        } else {
          vms.push({ id, demand: { cpu: f.cpu, memory: f.memory }, state: 'waiting', vjob: `a${a}` });
        }
      }
      constraints.push({ type: 'spread', vms: members });
      if (tier === 2) constraints.push({ type: 'among', vms: members, groups, groupBy: 'pod' });
    });
    // An application that does not fit entirely is left out (its VMs would have to wait together).
    if (vms.slice(firstVmEntry).some((x) => x.state !== 'running')) {
      for (let k = firstVm; k < v; k++) {
        if (host[k]! >= 0) {
          freeCpu[host[k]!]! += flavours[k]!.cpu;
          freeMem[host[k]!]! += flavours[k]!.memory;
        }
      }
      vms.length = firstVmEntry;
      constraints.length = firstConstraint;
      dropped.add(a);
    }
  });

  // The surge: a share of the applications raises its cpu demand.
  const surge = options.surgeFactor ?? 2;
  const surging = new Set<number>();
  const share = options.surgeShare ?? 0.1;
  const order = rnd.shuffle(Array.from({ length: tiers.length }, (_, i) => i).filter((a) => !dropped.has(a)));
  for (const a of order.slice(0, Math.round(tiers.length * share))) surging.add(a);
  const load = new Float64Array(N);
  const nodeIndex = new Map(nodeIds.map((id, i) => [id, i] as const));
  for (let k = 0; k < vms.length; k++) {
    const vm = vms[k]!;
    const app = Number(vm.vjob!.slice(1));
    if (surging.has(app)) vms[k] = { ...vm, demand: { cpu: vm.demand.cpu! * surge, memory: vm.demand.memory! } };
    const h = vm.host === undefined ? -1 : nodeIndex.get(vm.host)!;
    if (h >= 0) load[h]! += vms[k]!.demand.cpu!;
  }
  let overloaded = 0;
  for (let n = 0; n < N; n++) if (load[n]! > types[n]!.cpu) overloaded++;
  // Each among group is a pod: the nodes carry its name, and the among constraints name the label
  // (`groupBy`) rather than list every node of every group (FORMAT.md, among).
  const nodes: NodeInit[] = types.map((t, i) => ({ id: nodeIds[i]!, capacity: { cpu: t.cpu, memory: t.memory }, labels: { pod: `p${Math.floor(i / groupSize)}` } }));
  const instance = makeInstance({
    nodes,
    vms,
    vjobs: tiers.map((_, a) => ({ id: `a${a}` })).filter((_, a) => !dropped.has(a)),
    constraints,
    objective: { type: 'minMigrations' },
  });
  return { instance, apps: tiers.length - dropped.size, overloaded };
}
