import type { Constraint } from '../../model/constraints.js';
import type { IndexedInstance } from '../../model/indexed.js';
import type { Instance } from '../../model/instance.js';
import type { InfeasibleReason } from '../../model/action.js';
import { forEachBit, hasBit } from '../../problem/bitset.js';
import { NodeMode } from '../../problem/dense.js';
import { compileView, type PlacementProblem } from '../../problem/view.js';
import { searchPlacement } from './search.js';

/** Limits of the conflict search of {@link explainInfeasible}. */
export interface ExplainOptions {
  /** Search nodes per test of the deletion filter (0 disables it). */
  readonly searchNodes: number;
  /** Largest number of VMs for which the deletion filter runs. */
  readonly maxVms: number;
  readonly now?: () => number;
  readonly deadline?: number;
}

/** Default limits of {@link explainInfeasible}. */
export const DEFAULT_EXPLAIN_OPTIONS: ExplainOptions = { searchNodes: 20_000, maxVms: 200 };

const PLACEMENT_TYPES = new Set<Constraint['type']>([
  'ban', 'fence', 'spread', 'gather', 'among', 'split', 'lonely', 'root', 'quarantine',
  'resourceCapacity', 'runningCapacity', 'maxOnline', 'online', 'offline', 'reserved',
]);

function q(ids: readonly string[]): string {
  const shown = ids.slice(0, 12).map((i) => `"${i}"`).join(', ');
  return ids.length > 12 ? `${shown} and ${ids.length - 12} more` : shown;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/\.?0+$/, '');
}

/** An amount of a resource, with its unit for memory. */
function amount(x: number, resource: string): string {
  return resource === 'memory' ? `${fmt(x)} MiB` : fmt(x);
}

/**
 * Why the VMs that must run (`vms`) cannot all be placed: the reasons that can be named
 * directly (a VM with no node at all; a resource wanted beyond the capacity of the nodes that
 * can host it, also under `maxOnline`; a `spread` over more VMs than allowed nodes; a `gather`
 * set larger than any node allowed to all of them; an `among` whose no group can hold them; a
 * node-set capacity exceeded by VMs that can only run there; pinned VMs overloading their
 * node); and when none applies, a minimal set of constraints that conflict with the
 * capacities (a deletion filter driven by the exhaustive search).
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @param p - the compiled problem
 * @param vms - problem VMs that must run
 * @param options - limits of the conflict search
 * @returns at least one reason
 */
export function explainInfeasible(
  instance: Instance,
  ix: IndexedInstance,
  p: PlacementProblem,
  vms: readonly number[],
  options: ExplainOptions = DEFAULT_EXPLAIN_OPTIONS,
): { readonly reasons: InfeasibleReason[]; readonly proved: boolean } {
  const { N, R, W } = p;
  const reasons: InfeasibleReason[] = [];
  const constraints = instance.constraints.toArray();
  const vmId = (k: number): string => ix.vmIds[p.vmOf[k]!]!;
  const nodeId = (n: number): string => ix.nodeIds[n]!;
  const fitsAlone = (k: number, n: number): boolean => {
    for (let r = 0; r < R; r++) if (p.demand[k * R + r]! > p.cap[n * R + r]! * (1 + 1e-9) + 1e-9) return false;
    return true;
  };
  // Nodes each VM could use on its own.
  const fit = new Map<number, Uint32Array>();
  for (const k of vms) {
    const d = new Uint32Array(W);
    forEachBit(p.domain[k]!, W, (n) => {
      if (fitsAlone(k, n)) d[n >>> 5]! |= 1 << (n & 31);
    });
    fit.set(k, d);
  }
  const nodesIn = (bs: Uint32Array): number[] => {
    const out: number[] = [];
    forEachBit(bs, W, (n) => void out.push(n));
    return out;
  };
  const demandText = (k: number): string => ix.resources.map((r, ri) => `${r} ${fmt(p.demand[k * R + ri]!)}`).join(', ');

  // 1. VMs with no node at all.
  for (const k of vms) {
    if (nodesIn(fit.get(k)!).length > 0) continue;
    const id = vmId(k);
    const v = p.vmOf[k]!;
    const involved: number[] = [];
    const parts: string[] = [];
    constraints.forEach((c, ci) => {
      if ((c.type === 'ban' || c.type === 'fence' || c.type === 'root') && c.vms.includes(id)) {
        involved.push(ci);
        parts.push(c.type === 'root' ? `pinned to its node by root (#${ci})` : `${c.type === 'ban' ? 'banned from' : 'fenced to'} ${q(c.nodes)} (#${ci})`);
      } else if (c.type === 'reserved' && c.vjob !== ix.vjobIds[ix.vmVjob[v]!]) {
        involved.push(ci);
        parts.push(`${q(c.nodes)} reserved for vjob "${c.vjob}" (#${ci})`);
      } else if (c.type === 'quarantine') {
        involved.push(ci);
        parts.push(`${q(c.nodes)} quarantined (#${ci})`);
      } else if (c.type === 'offline') {
        involved.push(ci);
        parts.push(`${q(c.nodes)} must go offline (#${ci})`);
      }
    });
    const forcedOff = new Set<number>();
    constraints.forEach((c) => {
      if (c.type === 'offline') for (const id of c.nodes) { const n = ix.nodeIndex.get(id); if (n !== undefined) forcedOff.add(n); }
    });
    const off: string[] = [];
    for (let n = 0; n < N; n++) if (p.nodeMode[n] === NodeMode.Off && !forcedOff.has(n)) off.push(nodeId(n));
    if (off.length > 0) parts.push(`${q(off)} offline and not to be booted`);
    const allowed = nodesIn(p.domain[k]!);
    if (allowed.length > 0) parts.push(`the allowed nodes ${q(allowed.map(nodeId))} are too small for it (${demandText(k)})`);
    else if (parts.length === 0) parts.push('no node can host it');
    reasons.push({
      message: `vm "${id}" must run but no node can host it: ${parts.join('; ')}`,
      vms: [id],
      nodes: allowed.map(nodeId),
      ...(involved.length > 0 ? { constraints: involved } : {}),
    });
  }

  // 2. Volume per resource, over the nodes that can host some of these VMs.
  const union = new Uint32Array(W);
  for (const k of vms) for (let w = 0; w < W; w++) union[w]! |= fit.get(k)![w]!;
  const cands = nodesIn(union);
  for (let r = 0; r < R; r++) {
    let total = 0;
    for (const k of vms) total += p.demand[k * R + r]!;
    let cap = 0;
    for (const n of cands) cap += p.cap[n * R + r]!;
    const res = ix.resources[r]!;
    if (total > cap * (1 + 1e-9) + 1e-9) {
      reasons.push({
        message: `${res} wanted by the VMs that must run (${amount(total, res)}) exceeds the capacity of the nodes that can host them (${amount(cap, res)}) by ${amount(total - cap, res)}`,
        resource: res,
        vms: vms.map(vmId),
        nodes: cands.map(nodeId),
      });
      continue;
    }
    for (const m of p.maxOnlines) {
      const inSet = new Set(m.nodes);
      let capM = 0;
      const inside: number[] = [];
      for (const n of cands) {
        if (inSet.has(n)) inside.push(p.cap[n * R + r]!);
        else capM += p.cap[n * R + r]!;
      }
      inside.sort((a, b) => b - a);
      for (let i = 0; i < Math.min(m.amount, inside.length); i++) capM += inside[i]!;
      if (total > capM * (1 + 1e-9) + 1e-9) {
        reasons.push({
          message: `${res} wanted by the VMs that must run (${amount(total, res)}) exceeds by ${amount(total - capM, res)} what the nodes can offer with at most ${m.amount} of ${q([...m.nodes].map(nodeId))} online (maxOnline #${m.ci}: ${amount(capM, res)} at best)`,
          resource: res,
          vms: vms.map(vmId),
          constraints: [m.ci],
        });
      }
    }
  }

  const must = new Set(vms);
  // 3. Spread over more VMs than allowed nodes.
  for (const s of p.spreads) {
    const members = [...s.members].filter((k) => must.has(k));
    if (members.length < 2) continue;
    const u = new Uint32Array(W);
    for (const k of members) for (let w = 0; w < W; w++) u[w]! |= fit.get(k)![w]!;
    const allowed = nodesIn(u);
    if (allowed.length < members.length) {
      reasons.push({
        message: `spread (#${s.ci}) over ${members.length} VMs that must run (${q(members.map(vmId))}) with only ${allowed.length} allowed node(s)${allowed.length ? ` (${q(allowed.map(nodeId))})` : ''}`,
        vms: members.map(vmId),
        nodes: allowed.map(nodeId),
        constraints: [s.ci],
      });
    }
  }
  // 4. Gather larger than any node allowed to all of them.
  for (const g of p.gathers) {
    const members = [...g.members].filter((k) => must.has(k));
    if (members.length < 2) continue;
    const inter = new Uint32Array(W).fill(0xffffffff);
    for (const k of members) {
      const d = p.domain[k]!;
      for (let w = 0; w < W; w++) inter[w]! &= d[w]!;
    }
    const common = nodesIn(inter).filter((n) => n < N);
    if (common.length === 0) {
      reasons.push({
        message: `gather (#${g.ci}): no node is allowed to all of ${q(members.map(vmId))}`,
        vms: members.map(vmId),
        constraints: [g.ci],
      });
      continue;
    }
    const ok = common.some((n) => {
      for (let r = 0; r < R; r++) {
        let t = 0;
        for (const k of members) t += p.demand[k * R + r]!;
        if (t > p.cap[n * R + r]! * (1 + 1e-9) + 1e-9) return false;
      }
      return true;
    });
    if (!ok) {
      const parts = ix.resources.map((res, r) => {
        let t = 0;
        for (const k of members) t += p.demand[k * R + r]!;
        const largest = Math.max(...common.map((n) => p.cap[n * R + r]!));
        return { res, t, largest };
      }).filter((x) => x.t > x.largest * (1 + 1e-9) + 1e-9);
      const detail = parts.length > 0
        ? parts.map((x) => `${x.res} ${amount(x.t, x.res)} > largest ${amount(x.largest, x.res)}`).join(', ')
        : 'no allowed node holds all their resources at once';
      reasons.push({
        message: `gather (#${g.ci}) set ${q(members.map(vmId))} is larger than any node allowed to all of them (${detail})`,
        vms: members.map(vmId),
        nodes: common.map(nodeId),
        constraints: [g.ci],
        ...(parts.length > 0 ? { resource: parts[0]!.res } : {}),
      });
    }
  }
  // 5. Among: no group holds them.
  for (const a of p.amongs) {
    const members = [...a.members].filter((k) => must.has(k));
    if (members.length === 0) continue;
    const ok = a.groups.some((g) => {
      const inG = new Set(g);
      if (!members.every((k) => [...inG].some((n) => hasBit(fit.get(k)!, n)))) return false;
      for (let r = 0; r < R; r++) {
        let t = 0;
        let c = 0;
        for (const k of members) t += p.demand[k * R + r]!;
        for (const n of g) if (p.nodeMode[n] !== NodeMode.Off) c += p.cap[n * R + r]!;
        if (t > c * (1 + 1e-9) + 1e-9) return false;
      }
      return true;
    });
    if (!ok) {
      reasons.push({
        message: `among (#${a.ci}): no group of nodes can hold all of ${q(members.map(vmId))} (each group lacks room or an allowed node for one of them)`,
        vms: members.map(vmId),
        constraints: [a.ci],
      });
    }
  }
  // 6. Node-set capacities exceeded by VMs that can only run inside the set.
  const onlyInside = (nodes: Int32Array): number[] => {
    const inSet = new Uint32Array(W);
    for (const n of nodes) inSet[n >>> 5]! |= 1 << (n & 31);
    return vms.filter((k) => {
      const f = fit.get(k)!;
      for (let w = 0; w < W; w++) if ((f[w]! & ~inSet[w]!) !== 0) return false;
      return true;
    });
  };
  for (const c of p.resourceCaps) {
    const inside = onlyInside(c.nodes);
    let t = 0;
    for (const k of inside) t += p.demand[k * R + c.resource]!;
    if (t > c.amount * (1 + 1e-9) + 1e-9) {
      const res = ix.resources[c.resource]!;
      reasons.push({
        message: `resourceCapacity (#${c.ci}) allows ${amount(c.amount, res)} of ${res} on ${q([...c.nodes].map(nodeId))}, but VMs that can only run there and must run want ${amount(t, res)} (${q(inside.map(vmId))})`,
        resource: res,
        vms: inside.map(vmId),
        nodes: [...c.nodes].map(nodeId),
        constraints: [c.ci],
      });
    }
  }
  for (const c of p.runningCaps) {
    const inside = onlyInside(c.nodes);
    if (inside.length > c.amount) {
      reasons.push({
        message: `runningCapacity (#${c.ci}) allows ${c.amount} running VM(s) on ${q([...c.nodes].map(nodeId))}, but ${inside.length} must run there (${q(inside.map(vmId))})`,
        vms: inside.map(vmId),
        nodes: [...c.nodes].map(nodeId),
        constraints: [c.ci],
      });
    }
  }
  // 7. Pinned VMs overloading their node.
  const pinnedOn = new Map<number, number[]>();
  for (const k of vms) {
    const n = p.pinned[k]!;
    if (n >= 0 && hasBit(p.domain[k]!, n)) pinnedOn.set(n, [...(pinnedOn.get(n) ?? []), k]);
  }
  for (const [n, ks] of pinnedOn) {
    for (let r = 0; r < R; r++) {
      let t = 0;
      for (const k of ks) t += p.demand[k * R + r]!;
      if (t > p.cap[n * R + r]! * (1 + 1e-9) + 1e-9) {
        const res = ix.resources[r]!;
        reasons.push({
          message: `VMs that must run and stay on "${nodeId(n)}" (root or quarantine) want ${amount(t, res)} of ${res}, more than its capacity ${amount(p.cap[n * R + r]!, res)} by ${amount(t - p.cap[n * R + r]!, res)}`,
          resource: res,
          vms: ks.map(vmId),
          nodes: [nodeId(n)],
        });
      }
    }
  }
  if (reasons.length > 0) return { reasons, proved: true };

  // 8. A minimal conflicting set of constraints (deletion filter), on small problems.
  const ids = vms.map(vmId);
  if (options.searchNodes > 0 && vms.length <= options.maxVms) {
    const vmIdx = [...p.vmOf];
    const test = (keep: ReadonlySet<number>): 'infeasible' | 'feasible' | 'unknown' => {
      const { problem } = compileView(instance, ix, vmIdx, (ci, c) => !PLACEMENT_TYPES.has(c.type) || keep.has(ci));
      const out = searchPlacement(problem, {
        vms,
        optimize: false,
        nodeLimit: options.searchNodes,
        ...(options.now ? { now: options.now } : {}),
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      });
      return out.status === 'infeasible' ? 'infeasible' : out.status === 'unknown' ? 'unknown' : 'feasible';
    };
    const all = new Set<number>();
    constraints.forEach((c, ci) => {
      if (PLACEMENT_TYPES.has(c.type)) all.add(ci);
    });
    // Each test compiles the problem anew: the deadline is checked before every one, and once
    // it has passed the filter stops with the (conflicting, maybe not minimal) set it has.
    const timeUp = (): boolean => options.now !== undefined && options.deadline !== undefined && options.now() > options.deadline;
    if (!timeUp() && test(all) === 'infeasible') {
      const keep = new Set(all);
      let minimal = true;
      for (const ci of [...all].reverse()) {
        if (timeUp()) {
          minimal = false;
          break;
        }
        keep.delete(ci);
        if (test(keep) !== 'infeasible') keep.add(ci);
      }
      const cs = [...keep].sort((a, b) => a - b);
      const named = cs.map((ci) => `#${ci} ${constraints[ci]!.type}`).join(', ');
      const why = minimal ? 'without any one of them a placement exists' : 'the time limit came before this set was made minimal';
      return { proved: true, reasons: [{
        message: cs.length > 0
          ? `the VMs that must run (${q(ids)}) cannot all be placed: ${cs.length > 1 ? `constraints ${named} conflict with each other and` : `constraint ${named} conflicts`} with the node capacities (${why})`
          : `the VMs that must run (${q(ids)}) do not fit on the online nodes together: no packing of them respects every node's capacity`,
        vms: ids,
        ...(cs.length > 0 ? { constraints: cs } : {}),
      }] };
    }
  }
  return {
    proved: false,
    reasons: [{
      message: `no placement of the VMs that must run (${q(ids)}) was found within the search budget (${vms.length} VMs, ${N} nodes); the instance may still have one`,
      vms: ids,
    }],
  };
}
