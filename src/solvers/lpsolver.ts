/**
 * The javascript-lp-solver backend (Unlicense): pure JavaScript, no wasm, fine for tiny models
 * only (a few hundred binaries). Larger models are refused as "unavailable" rather than left to
 * run for minutes. It reports no dual bound.
 */
import type { MipModel } from './model.js';
import { emptyModelOutcome, maxViolation, objectiveValue } from './model.js';
import type { BackendLoad, MipBackend, MipOutcome, MipSolveOptions } from './types.js';

/** Largest model (columns) handed to javascript-lp-solver. */
export const LPSOLVER_MAX_COLUMNS = 400;

interface LpsModel {
  optimize: string;
  opType: 'min';
  constraints: Record<string, { min?: number; max?: number; equal?: number }>;
  variables: Record<string, Record<string, number>>;
  binaries?: Record<string, 1>;
  ints?: Record<string, 1>;
  unrestricted?: Record<string, 1>;
  options?: { timeout?: number; tolerance?: number; presolve?: boolean };
}
/** The subset of the javascript-lp-solver API this backend uses. */
export interface LpSolverRuntime {
  Solve(model: LpsModel): { feasible: boolean; result: number; bounded?: boolean; [k: string]: unknown };
}

/**
 * Loads javascript-lp-solver.
 * @returns the backend, or why it cannot be loaded
 */
export async function loadLpSolverBackend(): Promise<BackendLoad> {
  try {
    const mod = (await import('javascript-lp-solver')) as unknown as { default: LpSolverRuntime };
    return { ok: true, backend: lpSolverBackend(mod.default) };
  } catch (e) {
    return { ok: false, reason: `javascript-lp-solver could not be loaded: ${(e as Error).message ?? String(e)}` };
  }
}

/**
 * Wraps javascript-lp-solver as a {@link MipBackend}.
 * @param solver - the `javascript-lp-solver` default export
 * @returns the backend
 */
export function lpSolverBackend(solver: LpSolverRuntime): MipBackend {
  return { name: 'lpsolver', solve: (model, options) => solveWithLpSolver(solver, model, options) };
}

function toLpsModel(model: MipModel, timeLimitMs: number): LpsModel {
  const variables: Record<string, Record<string, number>> = {};
  const constraints: LpsModel['constraints'] = {};
  const binaries: Record<string, 1> = {};
  const ints: Record<string, 1> = {};
  const unrestricted: Record<string, 1> = {};
  for (let j = 0; j < model.numCols; j++) {
    const v: Record<string, number> = { obj: model.colCost[j]! };
    const lo = model.colLower[j]!;
    const hi = model.colUpper[j]!;
    const binary = model.integer[j] === 1 && lo === 0 && hi === 1;
    if (binary) binaries[`x${j}`] = 1;
    else {
      if (model.integer[j]) ints[`x${j}`] = 1;
      if (lo < 0) unrestricted[`x${j}`] = 1;
      if (lo !== 0 && lo !== -Infinity) {
        constraints[`lo${j}`] = { min: lo };
        v[`lo${j}`] = 1;
      }
      if (hi !== Infinity) {
        constraints[`hi${j}`] = { max: hi };
        v[`hi${j}`] = 1;
      }
    }
    variables[`x${j}`] = v;
  }
  for (let i = 0; i < model.numRows; i++) {
    const lo = model.rowLower[i]!;
    const hi = model.rowUpper[i]!;
    if (model.rowStarts[i] === model.rowStarts[i + 1]) continue;
    constraints[`r${i}`] =
      lo === hi ? { equal: hi } : { ...(lo === -Infinity ? {} : { min: lo }), ...(hi === Infinity ? {} : { max: hi }) };
    for (let k = model.rowStarts[i]!; k < model.rowStarts[i + 1]!; k++) {
      variables[`x${model.rowIndex[k]!}`]![`r${i}`] = model.rowValue[k]!;
    }
  }
  return {
    optimize: 'obj',
    opType: 'min',
    constraints,
    variables,
    binaries,
    ints,
    unrestricted,
    options: { timeout: Math.max(1, Math.floor(timeLimitMs)) },
  };
}

function solveWithLpSolver(solver: LpSolverRuntime, model: MipModel, options: MipSolveOptions): MipOutcome {
  if (model.numCols === 0) return emptyModelOutcome(model);
  if (model.numCols > LPSOLVER_MAX_COLUMNS) {
    return { status: 'unavailable', reason: `javascript-lp-solver handles at most ${LPSOLVER_MAX_COLUMNS} columns; this model has ${model.numCols}` };
  }
  const t0 = performance.now();
  let res: ReturnType<LpSolverRuntime['Solve']>;
  try {
    res = solver.Solve(toLpsModel(model, options.timeLimitMs));
  } catch (e) {
    return { status: 'error', message: `javascript-lp-solver failed: ${(e as Error).message ?? String(e)}` };
  }
  const timedOut = performance.now() - t0 >= options.timeLimitMs;
  if (!res.feasible) return timedOut ? { status: 'timeout' } : { status: 'infeasible' };
  const x = new Float64Array(model.numCols);
  for (let j = 0; j < model.numCols; j++) {
    const v = res[`x${j}`];
    const val = typeof v === 'number' ? v : 0;
    x[j] = model.integer[j] ? Math.round(val) : val;
  }
  if (maxViolation(model, x) > 1e-6) {
    return timedOut ? { status: 'timeout' } : { status: 'error', message: 'javascript-lp-solver returned a solution that breaks the model' };
  }
  const objective = objectiveValue(model, x);
  if (!timedOut) return { status: 'optimal', x, objective, bound: objective };
  options.onIncumbent?.(x, objective);
  return { status: 'feasible', x, objective };
}
