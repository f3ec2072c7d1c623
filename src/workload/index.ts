/**
 * `switchyard/workload`: seeded synthetic workloads for tests, benchmarks and experiments. Same
 * options, same instance. Kept out of the main entry so that a program that only plans does not
 * carry them.
 *
 * @example
 * ```ts
 * import { heterogeneousCluster } from 'switchyard/workload';
 * const instance = heterogeneousCluster({ nodes: 50, vms: 200, seed: 1 });
 * ```
 *
 * @packageDocumentation
 * @module switchyard/workload
 */
export { heterogeneousCluster, shapedCluster, NODE_TYPES, FLAVOURS, SHAPE_FLAVOURS, type ClusterMix } from './cluster.js';
export type { ClusterOptions, Flavour, NodeType } from './cluster.js';
export { repairWorkload } from './repair.js';
export type { RepairWorkload, RepairWorkloadOptions } from './repair.js';
export { generateWorkload, clusterWorkload, tdscWorkload, queueWorkload, besteffortWorkload, WORKLOAD_FAMILIES, GRID_NODE } from './families.js';
export type { WorkloadFamily, WorkloadOptions } from './families.js';
