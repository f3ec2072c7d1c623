import type { VmId } from '../model/ids.js';
import { VM_STATE_CODE } from '../model/indexed.js';
import { hasBit } from '../place/bitset.js';
import { NODE_FREE, type PlacementProblem } from '../place/problem.js';
import { PlacementState } from '../place/state.js';

/** The misplaced VMs of a decision: what repair mode must be free to move. */
export interface RepairSet {
  /** 1 for each problem VM that must be free to move (or be placed), per problem VM. */
  readonly free: Uint8Array;
  /** Ids of those VMs. */
  readonly vms: readonly VmId[];
  /** Ids of the running VMs whose state changes (they stop running: suspend or shutdown). */
  readonly stopping: readonly VmId[];
}

/**
 * The repair set (BtrPlace's "misplaced VMs"): with every running VM left on its node, the VMs
 * that must be free for a valid target to exist nearby. A VM is misplaced when it
 * - starts running (boot or resume: it needs a node);
 * - may not stay on its node (ban, fence, reserved, quarantine, node going offline);
 * - runs on an overloaded node, or a node breaking `split`/`lonely`, with the others there;
 * - is in a broken `spread` (those sharing a node), `gather` or `among` (all placed members);
 * - runs on the nodes of an exceeded `resourceCapacity`/`runningCapacity`, or on a free node of an
 *   exceeded `maxOnline`.
 * Pinned VMs (`root`, quarantine residents) are never free. The others may stay where they are
 * in repair mode; if the repaired placement still fails, callers widen the set.
 *
 * @param p - the compiled problem
 * @param running - problem VMs that run in the target
 * @returns the misplaced VMs
 */
export function repairSet(p: PlacementProblem, running: ArrayLike<number>): RepairSet {
  const { N, R, K } = p;
  const free = new Uint8Array(K);
  const s = new PlacementState(p);
  const runs = new Uint8Array(K);
  for (let i = 0; i < running.length; i++) {
    const k = running[i]!;
    runs[k] = 1;
    const src = p.source[k]!;
    if (src < 0 || !hasBit(p.domain[k]!, src)) free[k] = 1;
    else s.place(k, src);
  }
  const freeNode = (n: number): void => {
    for (const k of s.onNode[n]!) free[k] = 1;
  };
  for (let n = 0; n < N; n++) {
    for (let r = 0; r < R; r++) {
      if (s.load[n * R + r]! > s.limit[n * R + r]!) {
        freeNode(n);
        break;
      }
    }
    for (let l = 0; l < p.lonelies.length; l++) if (s.lonelyIn[l]![n]! > 0 && s.lonelyOut[l]![n]! > 0) freeNode(n);
    for (let si = 0; si < p.splits.length; si++) {
      if (s.splitGroupsOn[si]![n]! > 1) for (const g of p.splits[si]!.groups) for (const k of g) if (s.assign[k] === n) free[k] = 1;
    }
  }
  for (const sp of p.spreads) {
    const seen = new Map<number, number>();
    for (const k of sp.members) {
      const n = s.assign[k]!;
      if (n < 0) continue;
      const other = seen.get(n);
      if (other !== undefined) {
        free[k] = 1;
        free[other] = 1;
      } else seen.set(n, k);
    }
  }
  p.gathers.forEach((g, gi) => {
    if (s.gatherNodes[gi]!.size > 1) for (const k of g.members) if (s.assign[k]! >= 0) free[k] = 1;
  });
  p.amongs.forEach((a, ai) => {
    if (![...s.amongOutside[ai]!].some((x) => x === 0)) for (const k of a.members) if (s.assign[k]! >= 0) free[k] = 1;
  });
  p.resourceCaps.forEach((c, ci) => {
    if (s.resourceUsed[ci]! > c.amount + 1e-9 * Math.max(1, Math.abs(c.amount))) for (const n of c.nodes) freeNode(n);
  });
  p.runningCaps.forEach((c, ci) => {
    if (s.runningUsed[ci]! > c.amount) for (const n of c.nodes) freeNode(n);
  });
  p.maxOnlines.forEach((c, ci) => {
    if (s.onlineCount[ci]! > c.amount) for (const n of c.nodes) if (p.nodeMode[n] === NODE_FREE) freeNode(n);
  });
  const vms: VmId[] = [];
  for (let k = 0; k < K; k++) {
    if (p.pinned[k]! >= 0 && p.source[k]! >= 0 && hasBit(p.domain[k]!, p.source[k]!)) free[k] = 0;
    if (!runs[k]) free[k] = 0;
    if (free[k]) vms.push(p.ix.vmIds[p.vmOf[k]!]!);
  }
  const stopping: VmId[] = [];
  const ix = p.ix;
  for (let v = 0; v < ix.vmIds.length; v++) {
    const k = p.kOf[v]!;
    if (ix.vmState[v] === VM_STATE_CODE.running && (k < 0 || !runs[k])) stopping.push(ix.vmIds[v]!);
  }
  return { free, vms, stopping };
}
