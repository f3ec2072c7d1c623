/**
 * Plain packing baselines for the placement benchmark: first-fit decreasing and best-fit
 * decreasing that repack every VM from scratch, ignoring where VMs run now (so they migrate a
 * lot), under capacities and the per-VM rules only. Baselines, not library solvers.
 */
import { indexInstance } from '../src/model/indexed.js';
import type { Instance } from '../src/model/instance.js';
import type { PlacementResult, PlacementSolver, SolveOptions } from '../src/place/types.js';
import { answerOf } from '../src/solvers/answer.js';
import { onlyUnaryRules } from '../src/solvers/aggregate.js';
import { volumeNodeBound } from '../src/solvers/keep.js';
import { buildProblem, canHost, NODE_OFF } from '../src/solvers/problem.js';

/**
 * A plain decreasing packing as a placement solver.
 * @param rule - `first` (first node that fits, largest nodes first) or `best` (the node left with the least room)
 * @returns the solver (`ffd` or `bfd`)
 */
export function plainPacking(rule: 'first' | 'best'): PlacementSolver {
  const name = rule === 'first' ? 'ffd' : 'bfd';
  return {
    name,
    async solve(instance: Instance, _options: SolveOptions): Promise<PlacementResult> {
      const ix = indexInstance(instance);
      const { problem: p } = buildProblem(instance, { index: ix });
      if (!onlyUnaryRules(p)) return { status: 'infeasible', solver: name, reasons: [{ message: `${name} handles capacity and per-VM rules only` }] };
      const R = p.R;
      const scale = new Float64Array(R);
      for (let n = 0; n < p.nNodes; n++) for (let r = 0; r < R; r++) scale[r] = Math.max(scale[r]!, p.capacity[n * R + r]!);
      const size = (v: number): number => {
        let s = 0;
        for (let r = 0; r < R; r++) if (scale[r]! > 0) s = Math.max(s, p.demand[v * R + r]! / scale[r]!);
        return s;
      };
      const nodeSize = (n: number): number => {
        let s = 0;
        for (let r = 0; r < R; r++) if (scale[r]! > 0) s += p.capacity[n * R + r]! / scale[r]!;
        return s;
      };
      const vms: number[] = [];
      for (let v = 0; v < p.nVms; v++) if (p.target[v] === 1) vms.push(v);
      vms.sort((a, b) => size(b) - size(a) || a - b);
      const nodes: number[] = [];
      for (let n = 0; n < p.nNodes; n++) if (p.nodeMode[n] !== NODE_OFF) nodes.push(n);
      nodes.sort((a, b) => nodeSize(b) - nodeSize(a) || a - b);
      const load = new Float64Array(p.nNodes * R);
      const assign = new Int32Array(p.nVms).fill(-1);
      const fits = (v: number, n: number): boolean => {
        if (!canHost(p, v, n)) return false;
        for (let r = 0; r < R; r++) if (load[n * R + r]! + p.demand[v * R + r]! > p.capacity[n * R + r]! + 1e-9) return false;
        return true;
      };
      const used = new Uint8Array(p.nNodes);
      for (const v of vms) {
        let chosen = -1;
        if (rule === 'first') {
          chosen = nodes.find((n) => fits(v, n)) ?? -1;
        } else {
          // Best fit among the nodes already used; open the largest unused node otherwise.
          let bestRoom = Infinity;
          for (const n of nodes) {
            if (!used[n] || !fits(v, n)) continue;
            let roomLeft = 0;
            for (let r = 0; r < R; r++) if (scale[r]! > 0) roomLeft += (p.capacity[n * R + r]! - load[n * R + r]! - p.demand[v * R + r]!) / scale[r]!;
            if (roomLeft < bestRoom) {
              bestRoom = roomLeft;
              chosen = n;
            }
          }
          if (chosen < 0) chosen = nodes.find((n) => !used[n] && fits(v, n)) ?? -1;
        }
        if (chosen < 0) return { status: 'infeasible', solver: name, reasons: [{ message: `${name}: a VM fits no node` }] };
        assign[v] = chosen;
        used[chosen] = 1;
        for (let r = 0; r < R; r++) load[chosen * R + r]! += p.demand[v * R + r]!;
      }
      return answerOf(instance, ix, p, assign, { proved: false, lowerBound: volumeNodeBound(p), solver: name });
    },
  };
}
