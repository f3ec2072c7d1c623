import type { JsonObject, ResourceName } from './ids.js';

/** `consolidate`: fewest online-and-used nodes, then least migration cost. */
export interface ConsolidateObjective {
  readonly type: 'consolidate';
  /** Also shut emptied nodes down, and boot offline nodes only when needed. */
  readonly powerOff?: boolean;
  readonly x?: JsonObject;
}
/** `balance`: smallest peak load ratio on `resource` (default `cpu`), then least migrated. */
export interface BalanceObjective {
  readonly type: 'balance';
  readonly resource?: ResourceName;
  readonly x?: JsonObject;
}
/** `minMigrations`: repair violations and overloads while moving the least memory. */
export interface MinMigrationsObjective {
  readonly type: 'minMigrations';
  readonly x?: JsonObject;
}
/** What the placement optimises. */
export type Objective = ConsolidateObjective | BalanceObjective | MinMigrationsObjective;
/** The `type` tag of an objective. */
export type ObjectiveType = Objective['type'];
/** Every objective type. */
export const OBJECTIVE_TYPES = ['consolidate', 'balance', 'minMigrations'] as const satisfies readonly ObjectiveType[];

/** The objective used when an instance names none: repair only, move as little as possible. */
export const DEFAULT_OBJECTIVE: Objective = { type: 'minMigrations' };

/** Relative tolerance when comparing two terms of an objective value (ratios are floats). */
export const OBJECTIVE_EPSILON = 1e-9;

/**
 * Compares two terms of an objective value (lower is better) within a relative tolerance of
 * {@link OBJECTIVE_EPSILON}: the one comparison every solver uses.
 * @param a - a term
 * @param b - the same term of another value
 * @returns -1 when `a` is better, 1 when `b` is, 0 when equal within tolerance
 * @example
 * ```ts
 * compareTerms(0.5, 0.5 + 1e-12); // 0
 * ```
 */
export function compareTerms(a: number, b: number): number {
  const t = OBJECTIVE_EPSILON * Math.max(1, Math.abs(a), Math.abs(b));
  return a < b - t ? -1 : a > b + t ? 1 : 0;
}

/** Durations of actions (FORMAT.md `durations`), every field optional in the input. */
export interface Durations {
  /** MiB/s between nodes of one site. */
  readonly bandwidth?: number;
  /** MiB/s between nodes of different sites. */
  readonly wanBandwidth?: number;
  /** MiB/s for writing (suspend) and reading (resume) images. */
  readonly diskRate?: number;
  /** Seconds to boot a VM. */
  readonly bootVm?: number;
  /** Seconds to shut a VM down. */
  readonly shutdownVm?: number;
  /** Seconds to boot a node. */
  readonly bootNode?: number;
  /** Seconds to shut a node down. */
  readonly shutdownNode?: number;
  readonly x?: JsonObject;
}
/** {@link Durations} with every number filled in. */
export type ResolvedDurations = Required<Omit<Durations, 'x'>>;

/**
 * The documented defaults of the duration model: 1000 MiB/s LAN (about a 10 Gb/s link),
 * 100 MiB/s WAN, 500 MiB/s disk, 10 s to boot a VM, 5 s to shut one down, 120 s to boot a
 * node, 30 s to shut one down.
 */
export const DEFAULT_DURATIONS: ResolvedDurations = {
  bandwidth: 1000,
  wanBandwidth: 100,
  diskRate: 500,
  bootVm: 10,
  shutdownVm: 5,
  bootNode: 120,
  shutdownNode: 30,
};

/** Concurrency limits of a plan (FORMAT.md `limits`). */
export interface Limits {
  /** At most this many migrations in flight at once. */
  readonly maxParallelMigrations?: number;
  /** At most this many migrations in flight per node (as source or destination). */
  readonly maxMigrationsPerNode?: number;
  readonly x?: JsonObject;
}
/** {@link Limits} resolved: `Infinity` where the input sets no limit. */
export type ResolvedLimits = Required<Omit<Limits, 'x'>>;
