import { compareTerms, type ObjectiveType } from '../../model/objective.js';
import type { PlacementProblem } from '../../problem/view.js';
import type { PlacementState } from './state.js';

/**
 * The value of a placement for the problem's objective: three terms compared
 * lexicographically (lower is better), as each objective of {@link OBJECTIVES} defines them.
 */
export interface ObjectiveValue {
  readonly primary: number;
  readonly secondary: number;
  readonly tertiary: number;
}

/**
 * Compares two objective values term by term (lower is better), each term within a relative
 * tolerance (`compareTerms`): the one comparator of every objective.
 * @param a - a value
 * @param b - another value
 * @returns negative when `a` is better, positive when `b` is, 0 when equal within tolerance
 */
export function compareValues(a: ObjectiveValue, b: ObjectiveValue): number {
  return compareTerms(a.primary, b.primary) || compareTerms(a.secondary, b.secondary) || compareTerms(a.tertiary, b.tertiary);
}

/** The lower bounds a placement method knows, from which each objective builds its bound. */
export interface KnownBounds {
  readonly nodes: number;
  readonly peak: number;
  readonly migration: number;
  /** Migrations that cannot be avoided (VMs whose source node they may not stay on). */
  readonly migrations: number;
}

/** What an objective is for the placement: its terms, its value, its bound and its heuristic strategy. */
export interface ObjectiveSpec {
  /** Names of the three terms, most important first (for documentation and reports). */
  readonly terms: readonly [string, string, string];
  /** The value of a placement state. */
  readonly value: (s: PlacementState) => ObjectiveValue;
  /** The lower bound of that value from the bounds known. */
  readonly bound: (b: KnownBounds) => ObjectiveValue;
  /** How the heuristic picks a node: `pack` (best fit on used nodes) or `spread` (least loaded). */
  readonly strategy: 'pack' | 'spread';
}

/**
 * The objectives, one entry per type (the compiler checks that none is missing): ties are broken
 * explicitly, `minMigrations` by the number of migrations, then the resumes away from the image.
 * (A third term for `consolidate` and `balance`, the number of migrations, was measured to slow
 * the LNS down: its neighbourhood models do not see it; left out.)
 */
export const OBJECTIVES = {
  consolidate: {
    terms: ['used nodes', 'migrated memory', 'none'],
    value: (s) => ({ primary: s.used, secondary: s.migrated, tertiary: 0 }),
    bound: (b) => ({ primary: b.nodes, secondary: b.migration, tertiary: 0 }),
    strategy: 'pack',
  },
  balance: {
    terms: ['peak load ratio', 'migrated memory', 'none'],
    value: (s) => ({ primary: peakRatio(s), secondary: s.migrated, tertiary: 0 }),
    bound: (b) => ({ primary: b.peak, secondary: b.migration, tertiary: 0 }),
    strategy: 'spread',
  },
  minMigrations: {
    terms: ['migrated memory', 'migrations', 'resumes away from the image'],
    value: (s) => ({ primary: s.migrated, secondary: s.moves, tertiary: s.remote }),
    bound: (b) => ({ primary: b.migration, secondary: b.migrations, tertiary: 0 }),
    strategy: 'spread',
  },
} as const satisfies { readonly [K in ObjectiveType]: ObjectiveSpec };

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
  return OBJECTIVES[s.p.objective.kind].value(s);
}

/**
 * The lower bound of the problem's objective from the bounds known.
 * @param p - the problem
 * @param bounds - node count, peak ratio, migrated memory and migration count bounds
 * @returns the bound
 */
export function boundValue(p: PlacementProblem, bounds: KnownBounds): ObjectiveValue {
  return OBJECTIVES[p.objective.kind].bound(bounds);
}
