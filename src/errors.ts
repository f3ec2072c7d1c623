/**
 * One problem found in an input: where it is (a JSON path such as `vms[3].host`) and what is wrong.
 * Every validation and parse error is reported as a list of issues, all found in one pass.
 */
export interface Issue {
  /** JSON path of the offending value, e.g. `vms[3].host`; `$` for the document itself. */
  readonly path: string;
  /** Human-readable message naming the offending id, e.g. `node "ghost" does not exist`. */
  readonly message: string;
}

/** The literal codes carried by {@link SwitchyardError}. */
export type ErrorCode =
  | 'invalid-json'
  | 'invalid-instance'
  | 'invalid-plan'
  | 'invalid-options'
  | 'invalid-argument'
  | 'internal';

/**
 * The one error class of the library. Thrown only for misuse (bad arguments to an API call);
 * expected outcomes such as an invalid input document or an infeasible instance are returned
 * as result unions instead.
 *
 * @example
 * ```ts
 * try { parseInstanceOrThrow(text) } catch (e) {
 *   if (e instanceof SwitchyardError) for (const i of e.issues) console.error(`${i.path}: ${i.message}`)
 * }
 * ```
 */
export class SwitchyardError extends Error {
  /** A stable, literal code: branch on it, not on the message. */
  readonly code: ErrorCode;
  /** Every problem found, each with its JSON path. */
  readonly issues: readonly Issue[];

  /**
   * @param code - stable error code
   * @param issues - the problems found (at least one)
   */
  constructor(code: ErrorCode, issues: readonly Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n') || code);
    this.name = 'SwitchyardError';
    this.code = code;
    this.issues = issues;
  }
}

/** The result of an operation that can fail on bad input: a value, or every issue found. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** Builds a successful {@link Result}. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failed {@link Result}. */
export function fail<T>(issues: readonly Issue[]): Result<T> {
  return { ok: false, issues };
}
