/**
 * Seeded synthetic heterogeneous clusters, shared by tests and benchmarks: node types of
 * 32–64 cores and 64–256 GiB, VM flavours of 1–8 vCPU and 2–32 GiB, a random initial placement
 * at a chosen load (about 45% by default). Same options, same instance.
 */
import type { Constraint } from '../constraints/types.js';
import { makeInstance, type Instance } from '../model/instance.js';
import type { NodeInit } from '../model/node.js';
import type { Objective } from '../model/objective.js';
import type { VmInit } from '../model/vm.js';
import { createRandom, type Random } from '../util/random.js';

/** A machine type: cores and MiB of memory. */
export interface NodeType {
  readonly cpu: number;
  readonly memory: number;
}
/** A VM flavour: vCPUs and MiB of memory. */
export interface Flavour {
  readonly cpu: number;
  readonly memory: number;
}

const GiB = 1024;

/**
 * One element of a non-empty array, drawn uniformly.
 * @param rnd - the generator
 * @param items - the candidates
 * @returns the element
 */
export function pickOne<T>(rnd: Random, items: readonly T[]): T {
  return items[rnd.int(items.length)]!;
}

/**
 * An integer in [lo, hi], drawn uniformly.
 * @param rnd - the generator
 * @param lo - smallest value
 * @param hi - largest value
 * @returns the integer
 */
export function between(rnd: Random, lo: number, hi: number): number {
  return lo + rnd.int(hi - lo + 1);
}

/** Node types of the synthetic clusters (32–64 cores, 64–256 GiB). */
export const NODE_TYPES: readonly NodeType[] = [
  { cpu: 32, memory: 64 * GiB },
  { cpu: 32, memory: 128 * GiB },
  { cpu: 48, memory: 128 * GiB },
  { cpu: 48, memory: 192 * GiB },
  { cpu: 64, memory: 128 * GiB },
  { cpu: 64, memory: 256 * GiB },
];

/** VM flavours (1–8 vCPU, 2–32 GiB), smallest first. */
export const FLAVOURS: readonly Flavour[] = [
  { cpu: 1, memory: 2 * GiB },
  { cpu: 1, memory: 4 * GiB },
  { cpu: 2, memory: 4 * GiB },
  { cpu: 2, memory: 8 * GiB },
  { cpu: 4, memory: 8 * GiB },
  { cpu: 4, memory: 16 * GiB },
  { cpu: 8, memory: 16 * GiB },
  { cpu: 8, memory: 32 * GiB },
];

/** Options of {@link heterogeneousCluster}. */
export interface ClusterOptions {
  readonly nodes: number;
  readonly vms: number;
  readonly seed: number;
  /** Target load: the larger of total cpu and total memory demand over capacity (default 0.45). */
  readonly load?: number;
  /** Objective of the instance (default `{ type: 'consolidate' }`). */
  readonly objective?: Objective;
  /** Extra constraints to attach. */
  readonly constraints?: readonly Constraint[];
}

/**
 * Draws flavour indices for `count` VMs and nudges them until the larger of cpu and memory load
 * over `capacity` is within 1% of `load` (or as close as flavours allow).
 * @param rnd - the generator
 * @param count - number of VMs
 * @param capacity - total capacity of the cluster
 * @param load - target load (0..1)
 * @returns an index into {@link FLAVOURS} per VM
 */
export function drawFlavours(rnd: Random, count: number, capacity: { cpu: number; memory: number }, load: number): number[] {
  const f = Array.from({ length: count }, () => rnd.int(FLAVOURS.length));
  let cpu = 0;
  let mem = 0;
  for (const i of f) {
    cpu += FLAVOURS[i]!.cpu;
    mem += FLAVOURS[i]!.memory;
  }
  const ratio = (): number => Math.max(cpu / capacity.cpu, mem / capacity.memory);
  for (let step = 0; step < count * 40 && Math.abs(ratio() - load) > 0.01 * load && count > 0; step++) {
    const k = rnd.int(count);
    const i = f[k]!;
    const j = ratio() < load ? Math.min(FLAVOURS.length - 1, i + 1) : Math.max(0, i - 1);
    if (j === i) continue;
    cpu += FLAVOURS[j]!.cpu - FLAVOURS[i]!.cpu;
    mem += FLAVOURS[j]!.memory - FLAVOURS[i]!.memory;
    f[k] = j;
  }
  return f;
}

/**
 * Places VMs at random on nodes with room (both resources), VMs in random order.
 * @param rnd - the generator
 * @param nodeCap - capacity of each node
 * @param vmDemand - demand of each VM
 * @param allowed - extra rule a (VM, node) pair must pass
 * @returns the node index of each VM, -1 when no node had room
 */
export function randomPlacement(
  rnd: Random,
  nodeCap: readonly { cpu: number; memory: number }[],
  vmDemand: readonly { cpu: number; memory: number }[],
  allowed?: (vm: number, node: number) => boolean,
): Int32Array {
  const freeCpu = nodeCap.map((c) => c.cpu);
  const freeMem = nodeCap.map((c) => c.memory);
  const host = new Int32Array(vmDemand.length).fill(-1);
  const order = rnd.shuffle(Array.from({ length: vmDemand.length }, (_, i) => i));
  const fits = (v: number, n: number): boolean =>
    freeCpu[n]! >= vmDemand[v]!.cpu && freeMem[n]! >= vmDemand[v]!.memory && (allowed === undefined || allowed(v, n));
  for (const v of order) {
    let chosen = -1;
    for (let t = 0; t < 30 && chosen < 0; t++) {
      const n = rnd.int(nodeCap.length);
      if (fits(v, n)) chosen = n;
    }
    if (chosen < 0) {
      const start = rnd.int(nodeCap.length);
      for (let s = 0; s < nodeCap.length && chosen < 0; s++) {
        const n = (start + s) % nodeCap.length;
        if (fits(v, n)) chosen = n;
      }
    }
    if (chosen >= 0) {
      host[v] = chosen;
      freeCpu[chosen]! -= vmDemand[v]!.cpu;
      freeMem[chosen]! -= vmDemand[v]!.memory;
    }
  }
  return host;
}

/**
 * A heterogeneous cluster with a random initial placement: every VM runs, every node is online,
 * capacities hold. VMs that found no room (only at very high loads) are left waiting.
 *
 * @param options - size, seed, load, objective
 * @returns the instance
 * @example
 * ```ts
 * const inst = heterogeneousCluster({ nodes: 50, vms: 200, seed: 1 }); // ~45% load, consolidate
 * ```
 */
export function heterogeneousCluster(options: ClusterOptions): Instance {
  const rnd = createRandom(options.seed);
  const load = options.load ?? 0.45;
  const types = Array.from({ length: options.nodes }, () => pickOne(rnd, NODE_TYPES));
  const capacity = types.reduce((a, t) => ({ cpu: a.cpu + t.cpu, memory: a.memory + t.memory }), { cpu: 0, memory: 0 });
  const flavours = drawFlavours(rnd, options.vms, capacity, load).map((i) => FLAVOURS[i]!);
  const host = randomPlacement(rnd, types, flavours);
  const nodes: NodeInit[] = types.map((t, i) => ({ id: `n${i}`, capacity: { cpu: t.cpu, memory: t.memory } }));
  const vms: VmInit[] = flavours.map((f, i) => {
    const h = host[i]!;
    return h >= 0
      ? { id: `vm${i}`, demand: { cpu: f.cpu, memory: f.memory }, state: 'running', host: `n${h}` }
      : { id: `vm${i}`, demand: { cpu: f.cpu, memory: f.memory }, state: 'waiting' };
  });
  return makeInstance({
    nodes,
    vms,
    objective: options.objective ?? { type: 'consolidate' },
    constraints: options.constraints ?? [],
  });
}
