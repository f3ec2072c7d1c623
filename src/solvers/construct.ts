/**
 * A fast start for consolidation at the node-count bound: choose the nodes to keep with the
 * keep-set MIP (the K nodes that keep the most memory at home while covering every resource),
 * keep the VMs already on them, and pack the VMs of the other nodes into them best-fit
 * decreasing. It applies to problems whose only rules are per-VM and per-node ones (capacity,
 * ban, fence, reservations, pins): rules linking VMs need the constraint-aware heuristic.
 */
import { VM_STATE_CODE } from '../model/indexed.js';
import { canHost, type DenseProblem } from './problem.js';

const RUNNING = VM_STATE_CODE.running;

/**
 * Whether the problem has rules that link several VMs or nodes (then {@link keepSetFill} does not apply).
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
 * Packs the running VMs into the kept nodes: VMs already on a kept node stay; the others go,
 * largest first, to the kept node they fit best (least normalised room left); a VM that fits no
 * kept node goes to the fullest other node where it fits (its source host first).
 *
 * @param p - the problem (only per-VM and per-node rules, see {@link onlyUnaryRules})
 * @param keep - 1 for kept nodes
 * @param base - a valid assignment to start from (VMs on kept nodes stay where it puts them)
 * @returns the new assignment, or undefined when some VM fits nowhere
 */
export function keepSetFill(p: DenseProblem, keep: Uint8Array, base: Int32Array): Int32Array | undefined {
  const R = p.R;
  const N = p.nNodes;
  const out = new Int32Array(p.nVms).fill(-1);
  const load = new Float64Array(N * R);
  const opened = new Uint8Array(N);
  const scale = new Float64Array(R);
  for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) scale[r] = Math.max(scale[r]!, p.capacity[n * R + r]!);
  const toPlace: number[] = [];
  for (let v = 0; v < p.nVms; v++) {
    if (p.target[v] !== RUNNING) continue;
    const n = base[v]!;
    if (n >= 0 && (keep[n] || p.pinned[v] === n)) {
      out[v] = n;
      for (let r = 0; r < R; r++) load[n * R + r]! += p.demand[v * R + r]!;
    } else toPlace.push(v);
  }
  const size = (v: number): number => {
    let s = 0;
    for (let r = 0; r < R; r++) if (scale[r]! > 0) s = Math.max(s, p.demand[v * R + r]! / scale[r]!);
    return s;
  };
  toPlace.sort((a, b) => size(b) - size(a) || a - b);
  const fits = (v: number, n: number): boolean => {
    if (!canHost(p, v, n)) return false;
    for (let r = 0; r < R; r++) if (load[n * R + r]! + p.demand[v * R + r]! > p.capacity[n * R + r]! + 1e-9) return false;
    return true;
  };
  // Vector best fit: the node whose room left after placing the VM is smallest (sum of squared
  // normalised residuals), so that no resource is stranded on one node while another fills up.
  const room = (v: number, n: number): number => {
    let s = 0;
    for (let r = 0; r < R; r++) {
      if (scale[r]! <= 0) continue;
      const left = (p.capacity[n * R + r]! - load[n * R + r]! - p.demand[v * R + r]!) / scale[r]!;
      s += left * left;
    }
    return s;
  };
  const kept: number[] = [];
  for (let n = 0; n < N; n++) if (keep[n]) kept.push(n);
  for (const v of toPlace) {
    let best = -1;
    let bestRoom = Infinity;
    for (const n of kept) {
      if (!fits(v, n)) continue;
      const r = room(v, n);
      if (r < bestRoom) {
        bestRoom = r;
        best = n;
      }
    }
    if (best < 0) {
      // Overflow: the fullest node already in use, else the VM's source host, else any node.
      for (let n = 0; n < N; n++) {
        if (keep[n] || !opened[n] || !fits(v, n)) continue;
        const r = room(v, n);
        if (r < bestRoom) {
          bestRoom = r;
          best = n;
        }
      }
      const h = base[v]!;
      if (best < 0 && h >= 0 && fits(v, h)) best = h;
      for (let n = 0; n < N && best < 0; n++) if (fits(v, n)) best = n;
    }
    if (best < 0) return undefined;
    opened[best] = 1;
    out[v] = best;
    for (let r = 0; r < R; r++) load[best * R + r]! += p.demand[v * R + r]!;
  }
  return out;
}
