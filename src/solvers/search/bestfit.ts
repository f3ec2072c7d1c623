/**
 * The migration-aware best-fit of issue 11 on the dense problem: the yardstick an anytime
 * consolidation must never fall behind, and the first answer the default solver offers.
 *
 * The largest nodes (capacity weighted by how scarce each resource is; among equals, those
 * hosting the most memory) stay on, as few as the total demand allows (every resource), and keep
 * their VMs; the other VMs, largest first, go best-fit (least room left) onto the nodes on; when
 * none fits, the next node in that order comes on, first taking back its own VMs not yet placed.
 *
 * Capacity and per-VM / per-node rules only (see `canHost`); rules that link VMs (spread,
 * gather, among across nodes, capacity bounds of node sets) are not looked at, so callers check
 * the answer when the problem has any. Pure and deterministic: no clock, no randomness.
 */
import { VM_STATE_CODE } from '../../model/indexed.js';
import { canHost, NodeMode, type DenseProblem } from '../../problem/dense.js';

const RUNNING = VM_STATE_CODE.running;

/**
 * The migration-aware best-fit placement of a consolidation (see the module comment).
 *
 * @param p - the dense problem (its target states say which VMs run)
 * @returns node per VM (-1 for VMs that do not run), or undefined when some running VM fits no node
 * @example
 * ```ts
 * const assign = keepBestFit(problem);
 * if (assign) console.log(assignmentStats(problem, assign).nodesUsed);
 * ```
 */
export function keepBestFit(p: DenseProblem): Int32Array | undefined {
  const R = p.R;
  const N = p.nNodes;
  const demand = p.demand;
  const capacity = p.capacity;
  // Per-resource scale of a VM's size: the largest capacity of that resource.
  const scale = new Float64Array(R);
  for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) scale[r] = Math.max(scale[r]!, capacity[n * R + r]!);
  const inv = new Float64Array(R);
  for (let r = 0; r < R; r++) inv[r] = scale[r]! > 0 ? 1 / scale[r]! : 0;
  const sizeOf = (v: number): number => {
    let s = 0;
    for (let r = 0; r < R; r++) s = Math.max(s, demand[v * R + r]! * inv[r]!);
    return s;
  };

  const hosted = new Float64Array(N);
  const homeCount = new Int32Array(N + 1);
  const total = new Float64Array(R);
  const vms: number[] = [];
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING) continue;
    vms.push(v);
    for (let r = 0; r < R; r++) total[r]! += demand[v * R + r]!;
    const h = p.home[v]!;
    if (h >= 0 && p.srcRunning[v] === 1) {
      hosted[h]! += p.moveCost[v]!;
      homeCount[h + 1]!++;
    }
  }
  // VMs by source host (CSR), in index order.
  for (let n = 0; n < N; n++) homeCount[n + 1]! += homeCount[n]!;
  const homeVms = new Int32Array(homeCount[N]!);
  const fill = homeCount.slice(0, N);
  for (const v of vms) {
    const h = p.home[v]!;
    if (h >= 0 && p.srcRunning[v] === 1) homeVms[fill[h]!++] = v;
  }

  const order: number[] = [];
  for (let n = 0; n < N; n++) if (p.nodeMode[n] !== NodeMode.Off) order.push(n);
  // Capacity weighted by how scarce each resource is (total demand over total capacity).
  const totalCap = new Float64Array(R);
  for (const n of order) for (let r = 0; r < R; r++) totalCap[r]! += capacity[n * R + r]!;
  const weight = new Float64Array(N);
  for (const n of order) {
    let s = 0;
    for (let r = 0; r < R; r++) if (totalCap[r]! > 0) s += (capacity[n * R + r]! / totalCap[r]!) * (total[r]! / totalCap[r]!);
    weight[n] = s;
  }
  order.sort((a, b) => weight[b]! - weight[a]! || hosted[b]! - hosted[a]! || a - b);

  const load = new Float64Array(N * R);
  const assign = new Int32Array(p.nVms).fill(-1);
  const fits = (v: number, n: number): boolean => {
    for (let r = 0; r < R; r++) if (load[n * R + r]! + demand[v * R + r]! > capacity[n * R + r]! + 1e-9) return false;
    return canHost(p, v, n);
  };
  const put = (v: number, n: number): void => {
    assign[v] = n;
    for (let r = 0; r < R; r++) load[n * R + r]! += demand[v * R + r]!;
  };
  const on: number[] = [];
  let next = 0;
  const open = (): number => {
    const n = order[next++]!;
    on.push(n);
    for (let i = homeCount[n]!; i < homeCount[n + 1]!; i++) {
      const v = homeVms[i]!;
      if (assign[v] === -1 && fits(v, n)) put(v, n);
    }
    return n;
  };
  // As few nodes as the volume allows, in that order.
  const room = new Float64Array(R);
  const enough = (): boolean => {
    for (let r = 0; r < R; r++) if (room[r]! + 1e-9 < total[r]!) return false;
    return true;
  };
  while (next < order.length && !enough()) {
    const n = open();
    for (let r = 0; r < R; r++) room[r]! += capacity[n * R + r]!;
  }
  const size = new Float64Array(p.nVms);
  const rest: number[] = [];
  for (const v of vms) {
    if (assign[v] !== -1) continue;
    size[v] = sizeOf(v);
    rest.push(v);
  }
  rest.sort((a, b) => size[b]! - size[a]! || a - b);
  // Room left of the nodes on, normalised and summed over resources (the best-fit key).
  const left = new Float64Array(N);
  const refresh = (n: number): void => {
    let s = 0;
    for (let r = 0; r < R; r++) s += (capacity[n * R + r]! - load[n * R + r]!) * inv[r]!;
    left[n] = s;
  };
  for (const n of on) refresh(n);
  for (const v of rest) {
    if (assign[v] !== -1) continue;
    let vSize = 0;
    for (let r = 0; r < R; r++) vSize += demand[v * R + r]! * inv[r]!;
    let chosen = -1;
    let bestRoom = Infinity;
    for (let i = 0; i < on.length; i++) {
      const n = on[i]!;
      const roomLeft = left[n]! - vSize;
      // The sum bounds every resource from above: a node without room in total has none in one.
      if (roomLeft < -1e-9 || roomLeft >= bestRoom || !fits(v, n)) continue;
      bestRoom = roomLeft;
      chosen = n;
    }
    while (chosen < 0 && next < order.length) {
      const n = open();
      refresh(n);
      if (assign[v] !== -1) break;
      if (fits(v, n)) chosen = n;
    }
    if (assign[v] !== -1) continue;
    if (chosen < 0) return undefined;
    put(v, chosen);
    refresh(chosen);
  }
  return assign;
}

/**
 * Whether an assignment is valid by the rules {@link keepBestFit} honours: every VM that runs in
 * the target is placed and no other, on a node that may host it (`canHost`), within every
 * capacity. For a problem with capacity and per-VM / per-node rules only, that is every rule.
 *
 * @param p - the dense problem
 * @param assign - node per VM (-1 when not running)
 * @returns true when the assignment respects those rules
 * @example
 * ```ts
 * const a = keepBestFit(problem);
 * if (a && fitsEveryNode(problem, a)) console.log('valid');
 * ```
 */
export function fitsEveryNode(p: DenseProblem, assign: Int32Array): boolean {
  const R = p.R;
  const load = new Float64Array(p.nNodes * R);
  for (let v = 0; v < p.nVms; v++) {
    const n = assign[v]!;
    if (p.target[v] !== RUNNING) {
      if (n >= 0) return false;
      continue;
    }
    if (n < 0 || n >= p.nNodes || !canHost(p, v, n)) return false;
    for (let r = 0; r < R; r++) load[n * R + r]! += p.demand[v * R + r]!;
  }
  for (let i = 0; i < load.length; i++) if (load[i]! > p.capacity[i]! + 1e-6) return false;
  return true;
}
