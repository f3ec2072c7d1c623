import type { Decision } from '../decide/decide.js';
import type { Configuration } from '../model/configuration.js';
import type { Instance } from '../model/instance.js';
import type { InfeasibleReason } from '../model/action.js';
import type { ProgressCallback } from '../progress.js';
import type { StopReason } from '../plan/types.js';

/** Options shared by every placement solver. Validated and defaulted at the API boundary. */
export interface SolveOptions {
  /** Seed of every random choice: same instance and seed, same answer. */
  readonly seed: number;
  /** Wall-clock budget in milliseconds (anytime solvers return their best answer by then). */
  readonly timeLimitMs: number;
  /**
   * Clock used for the time limit, injected so that algorithms stay free of I/O and clocks
   * (tests pass a fake one). Milliseconds.
   */
  readonly now: () => number;
  /** A known valid configuration to start from or improve on. */
  readonly start?: Configuration;
  /** Told of the phases and of each better answer found, for progress reports (see `src/progress.ts`). */
  readonly onProgress?: ProgressCallback;
  /**
   * The decide stage's answer for this instance (which VMs run): every solver places exactly
   * its running VMs. Default: `decide` under the default policy, computed by the solver.
   */
  readonly decision?: Decision;
}

// The stop reasons are defined with the plan's `stats.stop`, which carries them (see `StopReason`).
export { STOP_REASONS, type StopReason } from '../plan/types.js';

/** A target configuration found by a solver. */
export interface PlacementFound {
  readonly status: 'optimal' | 'feasible';
  readonly target: Configuration;
  /** Online nodes hosting at least one running VM in `target`. */
  readonly nodesUsed: number;
  /** A lower bound on the number of used nodes. */
  readonly lowerBound: number;
  /** Memory (MiB) of the VMs that `target` moves while running. */
  readonly migratedMemory: number;
  /** A lower bound on migrated memory, when a solver (e.g. MIP) proved one. */
  readonly migrationLowerBound?: number;
  /** Which solver produced it (for reports). */
  readonly solver: string;
  /** `target` passed the core checkers (`checkConfiguration`) after it was built: callers need not check it again. */
  readonly checked?: true;
  /**
   * Why the solver returned when it did (`proved` exactly when `status` is `optimal`). Every
   * built-in solver sets it; optional so that user solvers written before it still type-check.
   */
  readonly stop?: StopReason;
}

/** No configuration satisfies the instance: the reasons, naming resources, VMs, nodes, constraints. */
export interface PlacementInfeasible {
  readonly status: 'infeasible';
  readonly reasons: readonly InfeasibleReason[];
  readonly lowerBound?: number;
  readonly solver: string;
  /**
   * Set when no placement was found but none was proved impossible: a search budget or the time
   * limit ran out first (another method, or more time, may still find one).
   */
  readonly unproved?: true;
  /** Why the solver returned (`proved` when infeasibility is proved), when it says. */
  readonly stop?: StopReason;
}

/** What a {@link PlacementSolver} answers. */
export type PlacementResult = PlacementFound | PlacementInfeasible;

/**
 * A placement method: computes the target configuration of an instance (which vjobs run,
 * where every running VM sits, which nodes are online). Every implementation must return only
 * configurations that satisfy every constraint and capacity of the instance.
 *
 * @example
 * ```ts
 * const r = await solver.solve(instance, { seed: 1, timeLimitMs: 10_000, now: () => performance.now() });
 * if (r.status !== 'infeasible') console.log(r.nodesUsed, r.lowerBound);
 * ```
 */
export interface PlacementSolver {
  readonly name: string;
  /**
   * Computes a target configuration for the instance.
   * @param instance - the instance
   * @param options - seed, time limit, clock, start configuration
   * @returns a target (with its bounds) or the reasons none exists
   */
  solve(instance: Instance, options: SolveOptions): Promise<PlacementResult>;
}

/**
 * The defaults of every placement solver's options, each named once. Where two solvers differ on
 * purpose (the start solver's share of the time: the LNS keeps most of it for the search, the
 * MIP for its phases, the partitioned solver's improve mode for its passes), each has its own.
 * The solvers resolve their options against these in one function next to their option
 * interface (`resolveLnsOptions`, `resolvePartitionedOptions`, `resolveMipOptions`,
 * `resolveDefaultOptions`).
 */
export const DEFAULTS = {
  /** MIP backend of every solver. */
  backend: 'highs',
  default: {
    /** Share of the limit for the decide + heuristic + search step before the LNS (consolidate, balance). */
    firstShare: 0.3,
    /** `minMigrations`: share of the limit for the exhaustive search of small repairs. */
    smallRepairShare: 0.3,
    /** `minMigrations`: share of the limit for the repair by LNS / partitions. */
    repairShare: 0.7,
    /** Largest number of running VMs for which a `minMigrations` solve tries the exhaustive search first. */
    smallRepairVms: 60,
  },
  lns: {
    name: 'lns',
    workers: 2,
    startShare: 0.15,
    startRequired: false,
    exactLimit: 250_000,
    mode: 'auto',
    /**
     * Stall rule (see {@link StopReason}): neighbourhoods in a row, at the proved node bound,
     * without lowering migrated memory, after which the search stops (0: never).
     */
    stallNeighbourhoods: 40,
    /**
     * Time bound of the stall rule: a stretch at the node bound without improvement that lasts
     * this share of the limit also stops the search, once it counts at least a quarter of
     * `stallNeighbourhoods` (for neighbourhoods too slow to reach the count).
     */
    stallShare: 0.25,
    /**
     * The stall rule waits for the exact model beside the search except above this many usable
     * nodes (the LNS's "large consolidation" size, where that model found nothing in the limit).
     */
    stallNodes: 2000,
    /** Large consolidations: share of home neighbourhoods at the node bound (VMs sent back to a source node still used). */
    homeShare: 0.5,
  },
  partitioned: {
    name: 'partitioned',
    workers: 2,
    startShare: 0.3,
    mode: 'auto',
    partition: 'auto',
    partitionSize: 250,
    improve: true,
  },
  mip: {
    workers: 1,
    startShare: 0.2,
    formulation: 'auto',
  },
} as const;

/**
 * Checks that a share of the time limit lies in (0, 1].
 * @param name - the option's name, for the message
 * @param share - its value
 * @returns the share
 * @throws RangeError naming the option when it is out of range
 * @example
 * ```ts
 * checkShare('startShare', 0.2); // 0.2
 * ```
 */
export function checkShare(name: string, share: number): number {
  if (!(share > 0 && share <= 1)) throw new RangeError(`${name} must be in (0, 1], got ${share}`);
  return share;
}

/**
 * Checks that a count option is a positive integer (or zero when `zeroOk`).
 * @param name - the option's name, for the message
 * @param value - its value
 * @param zeroOk - whether 0 is allowed (e.g. to disable a feature)
 * @returns the value
 * @throws RangeError naming the option when it is not
 * @example
 * ```ts
 * checkCount('partitionSize', 250); // 250
 * ```
 */
export function checkCount(name: string, value: number, zeroOk = false): number {
  if (!Number.isSafeInteger(value) || value < (zeroOk ? 0 : 1)) throw new RangeError(`${name} must be a ${zeroOk ? 'non-negative' : 'positive'} integer, got ${value}`);
  return value;
}
