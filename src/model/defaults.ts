/**
 * Defaults shared by every stage that takes a seed and a time budget (the decide stage, the
 * search, `planInstance`, the CLI), named once.
 */

/** The seed of every random choice when the caller gives none. */
export const DEFAULT_SEED = 1;

/** The wall-clock budget of a placement, in milliseconds, when the caller gives none (the CLI's `--time-limit 10`). */
export const DEFAULT_TIME_LIMIT_MS = 10_000;
