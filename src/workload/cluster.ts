/**
 * Seeded synthetic heterogeneous clusters, shared by tests and benchmarks: node types of
 * 32–64 cores and 64–256 GiB, VM flavours of 1–8 vCPU and 2–32 GiB, a random initial placement
 * at a chosen load (about 45% by default). Same options, same instance.
 */
import type { Constraint } from '../model/constraints.js';
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
  /**
   * Resource mix of the VMs (issue 11): `cpu` (cpu demand over capacity about 1/0.7 of the memory
   * one), `memory` (the reverse) or `balanced` (both about equal). Setting this, `nodeTypes` or
   * `flavours` switches to the shaped generator ({@link shapedCluster}); without any of them the
   * classic generator runs, byte-identical to earlier versions.
   */
  readonly mix?: ClusterMix;
  /** Number of distinct node types, 1 (uniform) to 6, drawn from {@link NODE_TYPES} (default 4 when shaped). */
  readonly nodeTypes?: number;
  /** Number of distinct VM flavours, 2 to 8, drawn from {@link SHAPE_FLAVOURS} (default 6 when shaped). */
  readonly flavours?: number;
}

/** Resource mix of a shaped cluster. */
export type ClusterMix = 'cpu' | 'memory' | 'balanced';

/**
 * Flavours of the shaped generator: two sizes in each of four memory-per-vCPU classes (1, 2, 4
 * and 8 GiB per vCPU), so that against nodes of 2–4 GiB per core a subset holding a 1:1 and a 1:8
 * flavour can make any mix.
 */
export const SHAPE_FLAVOURS: readonly Flavour[] = [
  { cpu: 4, memory: 4 * GiB },
  { cpu: 8, memory: 8 * GiB },
  { cpu: 4, memory: 8 * GiB },
  { cpu: 8, memory: 16 * GiB },
  { cpu: 2, memory: 8 * GiB },
  { cpu: 4, memory: 16 * GiB },
  { cpu: 1, memory: 8 * GiB },
  { cpu: 2, memory: 16 * GiB },
];

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
  if (options.mix !== undefined || options.nodeTypes !== undefined || options.flavours !== undefined) return shapedCluster(options);
  const rnd = createRandom(options.seed);
  const load = options.load ?? 0.45;
  const types = Array.from({ length: options.nodes }, () => pickOne(rnd, NODE_TYPES));
  const capacity = types.reduce((a, t) => ({ cpu: a.cpu + t.cpu, memory: a.memory + t.memory }), { cpu: 0, memory: 0 });
  const flavours = drawFlavours(rnd, options.vms, capacity, load).map((i) => FLAVOURS[i]!);
  return placedCluster(rnd, types, flavours, options);
}

/** The instance of nodes of `types` and VMs of `flavours`, placed at random (some may wait). */
function placedCluster(rnd: Random, types: readonly NodeType[], flavours: readonly Flavour[], options: ClusterOptions): Instance {
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

/** Target memory load over cpu load of each mix. */
const MIX_RATIO: Record<ClusterMix, number> = { cpu: 0.7, memory: 1 / 0.7, balanced: 1 };

/**
 * A shaped cluster (issue 11): `nodeTypes` distinct node types (1 = uniform), `flavours`
 * distinct VM flavours (always the smaller ones of 1 GiB and of 8 GiB per vCPU, the rest drawn), VMs drawn
 * one by one so that memory load over cpu load follows the mix (0.7 for `cpu`, 1 for `balanced`,
 * 1/0.7 for `memory`) and the larger load approaches `load` (default 0.45) as closely as the
 * flavours allow, then a random initial placement. Seeded: same options, same instance. Called by
 * {@link heterogeneousCluster} when a shape option is set.
 *
 * @param options - size, seed, load, objective, mix (default `balanced`), nodeTypes (default 4), flavours (default 6)
 * @returns the instance
 * @example
 * ```ts
 * const inst = shapedCluster({ nodes: 100, vms: 500, seed: 1, mix: 'cpu', nodeTypes: 4, flavours: 7 });
 * ```
 */
export function shapedCluster(options: ClusterOptions): Instance {
  const rnd = createRandom(options.seed ^ 0x5eed);
  const load = options.load ?? 0.45;
  const mix = options.mix ?? 'balanced';
  const nTypes = Math.max(1, Math.min(NODE_TYPES.length, Math.round(options.nodeTypes ?? 4)));
  const nFlavours = Math.max(2, Math.min(SHAPE_FLAVOURS.length, Math.round(options.flavours ?? 6)));
  const typeSet = rnd.shuffle([...NODE_TYPES]).slice(0, nTypes);
  const types = Array.from({ length: options.nodes }, () => pickOne(rnd, typeSet));
  const capacity = types.reduce((a, t) => ({ cpu: a.cpu + t.cpu, memory: a.memory + t.memory }), { cpu: 0, memory: 0 });
  // The smaller 1:1 and 1:8 flavours, the rest drawn from the others.
  const first = 0;
  const last = 6;
  const rest = rnd.shuffle([0, 1, 2, 3, 4, 5, 6, 7].filter((i) => i !== first && i !== last)).slice(0, nFlavours - 2);
  const set = [first, last, ...rest].map((i) => SHAPE_FLAVOURS[i]!);
  const ratio = MIX_RATIO[mix];
  const cap = { cpu: Math.max(1, capacity.cpu), memory: Math.max(1, capacity.memory) };
  // Flavours that lower memory load relative to cpu load below the target ratio, and the others.
  const lowers = set.filter((f) => f.memory / cap.memory < ratio * (f.cpu / cap.cpu));
  const raises = set.filter((f) => !lowers.includes(f));
  // Share of the larger load a flavour adds when the mix is on course (linear in cpu and memory).
  const binding = (f: { cpu: number; memory: number }): number => ((f.cpu / cap.cpu + f.memory / cap.memory) / (1 + ratio)) * Math.max(1, ratio);
  let cpu = 0;
  let mem = 0;
  const flavours: Flavour[] = [];
  for (let k = 0; k < options.vms; k++) {
    const group = mem / cap.memory > ratio * (cpu / cap.cpu) ? lowers : raises;
    const g = group.length > 0 ? group : set;
    // The size that keeps the binding load on course for `load` over the VMs left.
    const budget = (load - binding({ cpu, memory: mem })) / (options.vms - k);
    const sorted = [...g].sort((a, b) => binding(a) - binding(b));
    const above = sorted.find((f) => binding(f) >= budget) ?? sorted[sorted.length - 1]!;
    const below = [...sorted].reverse().find((f) => binding(f) < budget) ?? above;
    const span = binding(above) - binding(below);
    const f = span <= 0 ? above : rnd.next() < (budget - binding(below)) / span ? above : below;
    flavours.push(f);
    cpu += f.cpu;
    mem += f.memory;
  }
  return placedCluster(rnd, types, flavours, options);
}
