import { heterogeneousCluster } from './dist/src/workload/cluster.js';
import { heuristicSolver } from './dist/src/place/place.js';
const [N, V] = (process.argv[2] ?? '1000x5000').split('x').map(Number);
const inst = heterogeneousCluster({ nodes: N, vms: V, seed: 1, objective: { type: 'consolidate' } });
for (let i = 0; i < 3; i++) {
const t0 = performance.now();
const r = await heuristicSolver.solve(inst, { seed: 1, timeLimitMs: 10000, now: () => performance.now() });
console.log(r.status, r.nodesUsed, (performance.now()-t0).toFixed(0));
}
let w=0; for (const vm of inst.vms.values()) if (vm.state==='waiting') w++; console.log('waiting', w);
