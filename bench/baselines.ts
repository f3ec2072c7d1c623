/**
 * Plain packing baselines for the placement benchmark: first-fit decreasing and best-fit
 * decreasing that repack every VM from scratch, ignoring where VMs run now (so they migrate a
 * lot), under capacities and the per-VM rules only. Baselines, not library solvers.
 */
import { indexInstance } from '../src/model/indexed.js';
import type { Instance } from '../src/model/instance.js';
import type { PlacementInfeasible, PlacementResult, PlacementSolver, SolveOptions } from '../src/place/types.js';
import { answerOf } from '../src/place/answer.js';
import { onlyUnaryRules } from '../src/solvers/aggregate.js';
import { volumeNodeBound } from '../src/solvers/keep.js';
import { keepBestFit as bestFitAssign } from '../src/solvers/search/bestfit.js';
import { compileProblem, canHost, NodeMode, type DenseProblem } from '../src/problem/dense.js';

/** The dense problem of an instance whose rules these packings handle (capacity and per-VM rules), or why not. */
function unaryProblem(instance: Instance, name: string): { readonly status: 'ok'; readonly ix: ReturnType<typeof indexInstance>; readonly p: DenseProblem } | PlacementInfeasible {
  const ix = indexInstance(instance);
  const { problem: p } = compileProblem(instance, { index: ix });
  if (!onlyUnaryRules(p)) return { status: 'infeasible', solver: name, reasons: [{ message: `${name} handles capacity and per-VM rules only` }] };
  return { status: 'ok', ix, p };
}

/** Each VM's size: its largest demand over the largest capacity of that resource. */
function vmSizes(p: DenseProblem): { readonly scale: Float64Array; readonly size: (v: number) => number } {
  const R = p.R;
  const scale = new Float64Array(R);
  for (let n = 0; n < p.nNodes; n++) for (let r = 0; r < R; r++) scale[r] = Math.max(scale[r]!, p.capacity[n * R + r]!);
  const size = (v: number): number => {
    let s = 0;
    for (let r = 0; r < R; r++) if (scale[r]! > 0) s = Math.max(s, p.demand[v * R + r]! / scale[r]!);
    return s;
  };
  return { scale, size };
}

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
      const built = unaryProblem(instance, name);
      if (built.status === 'infeasible') return built;
      const { ix, p } = built;
      const R = p.R;
      const { scale, size } = vmSizes(p);
      const nodeSize = (n: number): number => {
        let s = 0;
        for (let r = 0; r < R; r++) if (scale[r]! > 0) s += p.capacity[n * R + r]! / scale[r]!;
        return s;
      };
      const vms: number[] = [];
      for (let v = 0; v < p.nVms; v++) if (p.target[v] === 1) vms.push(v);
      vms.sort((a, b) => size(b) - size(a) || a - b);
      const nodes: number[] = [];
      for (let n = 0; n < p.nNodes; n++) if (p.nodeMode[n] !== NodeMode.Off) nodes.push(n);
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
      return answerOf(instance, ix, p, assign, { proved: false, lowerBound: volumeNodeBound(p), solver: name, stop: 'exhausted' });
    },
  };
}

/**
 * The migration-aware best-fit of issue 11 ({@link bestFitAssign}, `src/solvers/search/bestfit.ts`,
 * the default solver's first answer) as a placement solver: the largest nodes stay on, as few as
 * the total demand allows, and keep their VMs; the others go best-fit decreasing, opening the
 * next node when nothing fits. Capacity and per-VM rules only. A baseline: switchyard's answer
 * at any time limit should be no worse.
 *
 * @returns the solver (`best-fit (keep)`)
 * @example
 * ```ts
 * const r = await keepBestFit().solve(instance, { seed: 1, timeLimitMs: 10_000, now: () => performance.now() });
 * ```
 */
export function keepBestFit(): PlacementSolver {
  const name = 'best-fit (keep)';
  return {
    name,
    async solve(instance: Instance, _options: SolveOptions): Promise<PlacementResult> {
      const built = unaryProblem(instance, name);
      if (built.status === 'infeasible') return built;
      const { ix, p } = built;
      const assign = bestFitAssign(p);
      if (assign === undefined) return { status: 'infeasible', solver: name, reasons: [{ message: `${name}: a VM fits no node` }] };
      return answerOf(instance, ix, p, assign, { proved: false, lowerBound: volumeNodeBound(p), solver: name, stop: 'exhausted' });
    },
  };
}
