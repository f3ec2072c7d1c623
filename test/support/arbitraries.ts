import fc from 'fast-check';
import { Map as IMap } from 'immutable';
import { Configuration, placement } from '../../src/model/configuration.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { NodeInit } from '../../src/model/node.js';
import type { VmInit } from '../../src/model/vm.js';
import { heterogeneousCluster, type ClusterMix } from '../../src/workload/cluster.js';

/** A small instance and a configuration of it that fits every node's capacity. */
export interface World {
  readonly instance: Instance;
  /**
   * A configuration reachable from the source that fits capacities (running VMs on online
   * nodes only; VMs not running sleep where they were, or keep waiting if never started).
   */
  readonly hidden: Configuration;
}

export interface WorldOptions {
  readonly minNodes?: number;
  readonly maxNodes?: number;
  readonly minVms?: number;
  readonly maxVms?: number;
  /** Allow offline nodes in the source (default true). */
  readonly offline?: boolean;
  /** Allow waiting and sleeping VMs in the source (default true). */
  readonly states?: boolean;
  /** Number of sites to spread nodes over (default 1: no site). */
  readonly sites?: number;
}

/**
 * Random small worlds: nodes with `cpu` and `memory`, VMs with demands, a hidden configuration
 * that fits (each hidden-running VM on an online node with room), and a source configuration
 * that also fits capacities. The instance's own VM states and hosts are the source.
 */
export function arbWorld(opts: WorldOptions = {}): fc.Arbitrary<World> {
  const minN = opts.minNodes ?? 1;
  const maxN = opts.maxNodes ?? 5;
  const minV = opts.minVms ?? 0;
  const maxV = opts.maxVms ?? 8;
  return fc
    .record({
      nNodes: fc.integer({ min: minN, max: maxN }),
      vms: fc.array(
        fc.record({
          cpu: fc.integer({ min: 1, max: 4 }),
          memory: fc.constantFrom(512, 1024, 2048, 4096),
          hiddenRunning: fc.boolean(),
          hiddenSlot: fc.nat(),
          srcState: opts.states === false ? fc.constant('running' as const) : fc.constantFrom('running', 'running', 'waiting', 'sleeping'),
          srcSlot: fc.nat(),
        }),
        { minLength: minV, maxLength: maxV },
      ),
      spare: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: maxN, maxLength: maxN }),
      offline: fc.array(fc.boolean(), { minLength: maxN, maxLength: maxN }),
    })
    .map(({ nNodes, vms, spare, offline }) => {
      const nodeIds = Array.from({ length: nNodes }, (_, i) => `n${i}`);
      const online = nodeIds.map((_, i) => i === 0 || opts.offline === false || !offline[i]);
      const onlineIdx = nodeIds.map((_, i) => i).filter((i) => online[i]);
      // Hidden target: running VMs spread over online nodes; source: states and hosts drawn too.
      const hiddenLoad = nodeIds.map(() => ({ cpu: 0, memory: 0 }));
      const srcLoad = nodeIds.map(() => ({ cpu: 0, memory: 0 }));
      const vmInits: VmInit[] = [];
      const hiddenVms: [string, ReturnType<typeof placement>][] = [];
      vms.forEach((v, i) => {
        const id = `vm${i}`;
        const hHost = onlineIdx[v.hiddenSlot % onlineIdx.length]!;
        if (v.hiddenRunning) {
          hiddenLoad[hHost]!.cpu += v.cpu;
          hiddenLoad[hHost]!.memory += v.memory;
          hiddenVms.push([id, placement('running', nodeIds[hHost])]);
        } else {
          // Not running in the hidden target: a started VM sleeps (image where it is), a waiting one waits.
          hiddenVms.push([id, placement(v.srcState === 'waiting' ? 'waiting' : 'sleeping')]);
        }
        const sHost = v.srcState === 'running' ? onlineIdx[v.srcSlot % onlineIdx.length]! : v.srcSlot % nNodes;
        if (v.srcState === 'running') {
          srcLoad[sHost]!.cpu += v.cpu;
          srcLoad[sHost]!.memory += v.memory;
        }
        vmInits.push({
          id,
          demand: { cpu: v.cpu, memory: v.memory },
          state: v.srcState,
          ...(v.srcState === 'waiting' ? {} : { host: nodeIds[sHost]! }),
        });
      });
      // Hidden sleeping VMs keep their image on their source host (suspended or left asleep there).
      for (let i = 0; i < hiddenVms.length; i++) {
        const [id, p] = hiddenVms[i]!;
        if (p.state === 'sleeping') hiddenVms[i] = [id, placement('sleeping', vmInits[i]!.host)];
      }
      const nodes: NodeInit[] = nodeIds.map((id, i) => ({
        id,
        capacity: {
          cpu: Math.max(hiddenLoad[i]!.cpu, srcLoad[i]!.cpu) + spare[i]!,
          memory: Math.max(hiddenLoad[i]!.memory, srcLoad[i]!.memory) + 1024 * spare[i]!,
        },
        state: online[i] ? 'online' : 'offline',
        ...(opts.sites && opts.sites > 1 ? { site: `s${i % opts.sites}` } : {}),
      }));
      const instance = makeInstance({ nodes, vms: vmInits });
      const hidden = new Configuration({
        vms: IMap(hiddenVms),
        nodes: IMap(nodeIds.map((id, i) => [id, online[i] ? 'online' : 'offline'] as const)),
      });
      return { instance, hidden };
    });
}

/** A seeded shaped cluster: its size, mix, node types, flavours and load. */
export interface ClusterShape {
  readonly seed: number;
  readonly nodes: number;
  readonly perNode: number;
  readonly mix: ClusterMix;
  readonly nodeTypes: number;
  readonly flavours: number;
  readonly load: number;
}

/**
 * Shaped clusters of `minNodes`–`maxNodes` nodes, 3–6 VMs a node, every mix, 1–6 node types,
 * 2–8 flavours, load 0.3–0.6.
 */
export function arbClusterShape(minNodes: number, maxNodes: number): fc.Arbitrary<ClusterShape> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    nodes: fc.integer({ min: minNodes, max: maxNodes }),
    perNode: fc.integer({ min: 3, max: 6 }),
    mix: fc.constantFrom<ClusterMix>('cpu', 'memory', 'balanced'),
    nodeTypes: fc.integer({ min: 1, max: 6 }),
    flavours: fc.integer({ min: 2, max: 8 }),
    load: fc.double({ min: 0.3, max: 0.6, noNaN: true }),
  });
}

/** The instance of a cluster shape. */
export function shapedClusterOf(s: ClusterShape): Instance {
  return heterogeneousCluster({ nodes: s.nodes, vms: s.nodes * s.perNode, seed: s.seed, load: s.load, mix: s.mix, nodeTypes: s.nodeTypes, flavours: s.flavours });
}
