/**
 * Progress of a long run, reported through a callback option (`onProgress`) so that the core
 * stays free of I/O: the CLI prints it, a library user may show it any way.
 */

/** The best answer known so far. */
export interface ProgressBest {
  readonly nodes?: number;
  readonly migrations?: number;
  readonly migratedMemory?: number;
  readonly status?: string;
}

/**
 * One progress event of {@link planInstance}: the phase (`place`, `plan`, `verify`, or a finer
 * phase of the placement such as `decide`, `search`, `improve`), the best answer so far and its
 * node lower bound when known, and the time left of the placement budget.
 */
export interface PlanProgress {
  readonly phase: string;
  readonly best?: ProgressBest;
  readonly bound?: number;
  readonly timeLeftMs?: number;
}

/** The callback that receives {@link PlanProgress} events; it must not throw. */
export type ProgressCallback = (event: PlanProgress) => void;
