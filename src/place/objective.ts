import type { PlacementProblem } from './problem.js';
import type { PlacementState } from './state.js';

/**
 * The value of a placement for the problem's objective, compared lexicographically:
 * - `consolidate`: (used nodes, migrated memory);
 * - `balance`: (peak load ratio on the resource, migrated memory);
 * - `minMigrations`: (migrated memory, 0).
 */
export interface ObjectiveValue {
  readonly primary: number;
  readonly secondary: number;
}

/** Tolerance when comparing objective values (ratios are floats). */
export const OBJECTIVE_EPSILON = 1e-9;

/**
 * Compares two objective values (lower is better).
 * @param a - a value
 * @param b - another value
 * @returns negative when `a` is better, positive when `b` is, 0 when equal within tolerance
 */
export function compareValues(a: ObjectiveValue, b: ObjectiveValue): number {
  const tp = OBJECTIVE_EPSILON * Math.max(1, Math.abs(a.primary), Math.abs(b.primary));
  if (a.primary < b.primary - tp) return -1;
  if (a.primary > b.primary + tp) return 1;
  const ts = OBJECTIVE_EPSILON * Math.max(1, Math.abs(a.secondary), Math.abs(b.secondary));
  if (a.secondary < b.secondary - ts) return -1;
  if (a.secondary > b.secondary + ts) return 1;
  return 0;
}

/**
 * The largest load ratio on the balance resource over the nodes of a placement.
 * @param s - a placement state
 * @returns the peak ratio (0 without a balance resource)
 */
export function peakRatio(s: PlacementState): number {
  const p = s.p;
  const r = p.objective.resource;
  if (r < 0) return 0;
  let peak = 0;
  for (let n = 0; n < p.N; n++) {
    if (s.count[n] === 0) continue;
    const c = p.cap[n * p.R + r]!;
    const l = s.load[n * p.R + r]!;
    const ratio = c > 0 ? l / c : l > 0 ? Infinity : 0;
    if (ratio > peak) peak = ratio;
  }
  return peak;
}

/**
 * The objective value of a placement state.
 * @param s - the state (every VM that runs placed)
 * @returns its value
 */
export function valueOf(s: PlacementState): ObjectiveValue {
  switch (s.p.objective.kind) {
    case 'consolidate':
      return { primary: s.used, secondary: s.migrated };
    case 'balance':
      return { primary: peakRatio(s), secondary: s.migrated };
    case 'minMigrations':
      return { primary: s.migrated, secondary: 0 };
  }
}

/**
 * The lower bound of the objective (as an {@link ObjectiveValue}) matching the problem's kind.
 * @param p - the problem
 * @param nodes - node-count lower bound
 * @param peak - peak-ratio lower bound
 * @param migration - migrated-memory lower bound
 * @returns the bound
 */
export function boundValue(p: PlacementProblem, nodes: number, peak: number, migration: number): ObjectiveValue {
  switch (p.objective.kind) {
    case 'consolidate':
      return { primary: nodes, secondary: migration };
    case 'balance':
      return { primary: peak, secondary: migration };
    case 'minMigrations':
      return { primary: migration, secondary: 0 };
  }
}
