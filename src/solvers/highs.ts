/**
 * The HiGHS backend (MIT): HiGHS compiled to WebAssembly (npm `highs`), the default backend.
 *
 * The model goes in through HiGHS' structured model API (`createModel` with CSR arrays) rather
 * than LP text: no names to mint and parse, and typed arrays are copied straight into the wasm
 * heap. A known solution is passed as a MIP start; the time limit is HiGHS' own `time_limit`;
 * the dual bound (`mip_dual_bound`) is read back so every answer carries its proved lower bound.
 */
import type { CallbackEventFor, Highs, HighsCallbackMap } from 'highs';
import type { MipModel } from './model.js';
import { emptyModelOutcome, maxViolation, objectiveValue } from './model.js';
import type { BackendLoad, MipBackend, MipOutcome, MipSolveOptions } from './types.js';

/** HiGHS model status codes used below (see `highs` types: `ModelStatusCode`). */
const STATUS = {
  empty: 6,
  optimal: 7,
  infeasible: 8,
  unboundedOrInfeasible: 9,
  unbounded: 10,
  timeLimit: 13,
  iterationLimit: 14,
  interrupted: 17,
} as const;

/**
 * Wraps a loaded HiGHS runtime as a {@link MipBackend}.
 * @param highs - the runtime returned by the `highs` loader
 * @returns the backend
 */
export function highsBackend(highs: Highs): MipBackend {
  return {
    name: 'highs',
    solve: (model, options) => solveWithHighs(highs, model, options),
  };
}

/**
 * Loads the HiGHS wasm runtime from the `highs` package.
 * @returns the backend, or why it is unavailable
 * @example
 * ```ts
 * const load = await loadHighsBackend();
 * if (load.ok) load.backend.solve(model, { timeLimitMs: 5000 });
 * ```
 */
export async function loadHighsBackend(): Promise<BackendLoad> {
  try {
    const mod = (await import('highs')) as unknown as { default: (o?: object) => Promise<Highs> };
    const highs = await mod.default();
    return { ok: true, backend: highsBackend(highs) };
  } catch (e) {
    return { ok: false, reason: `highs could not be loaded: ${(e as Error).message ?? String(e)}` };
  }
}

function clampInf(v: number, inf: number): number {
  if (v === Infinity) return inf;
  if (v === -Infinity) return -inf;
  return v;
}

function solveWithHighs(highs: Highs, model: MipModel, options: MipSolveOptions): MipOutcome {
  if (model.numCols === 0) return emptyModelOutcome(model);
  const inf = highs.infinity;
  const integrality = new Int32Array(model.numCols);
  let anyInteger = false;
  for (let j = 0; j < model.numCols; j++) {
    if (model.integer[j]) {
      integrality[j] = 1;
      anyInteger = true;
    }
  }
  let m;
  try {
    m = highs.createModel({
      numCols: model.numCols,
      numRows: model.numRows,
      offset: model.offset,
      colCost: model.colCost,
      colLower: model.colLower.map((v) => clampInf(v, inf)),
      colUpper: model.colUpper.map((v) => clampInf(v, inf)),
      rowLower: model.rowLower.map((v) => clampInf(v, inf)),
      rowUpper: model.rowUpper.map((v) => clampInf(v, inf)),
      matrix: {
        format: 'csr',
        numRows: model.numRows,
        numCols: model.numCols,
        starts: model.rowStarts,
        indices: model.rowIndex,
        values: model.rowValue,
      },
      ...(anyInteger ? { integrality } : {}),
    });
  } catch (e) {
    return { status: 'error', message: `highs rejected the model: ${(e as Error).message ?? String(e)}` };
  }
  try {
    m.options.set({
      output_flag: false,
      time_limit: Math.max(0.001, options.timeLimitMs / 1000),
      mip_rel_gap: options.relGap ?? 0,
      random_seed: 1,
    });
    if (model.start !== undefined && maxViolation(model, model.start) <= 1e-6) {
      m.setSolution({ colValue: model.start });
    }
    const onIncumbent = options.onIncumbent;
    const shouldStop = options.shouldStop;
    const callbacks: HighsCallbackMap = {
      ...(onIncumbent
        ? {
            [highs.constants.callbackType.mipImprovingSolution]: (event: CallbackEventFor<4>) => {
              const x = event.data.mip_solution;
              if (x !== undefined) onIncumbent(x, event.data.objective_function_value ?? objectiveValue(model, x));
            },
          }
        : {}),
      ...(shouldStop && anyInteger
        ? {
            [highs.constants.callbackType.mipInterrupt]: (event: CallbackEventFor<6>) => {
              if (shouldStop()) event.interrupt();
            },
          }
        : {}),
    };
    const run = onIncumbent || shouldStop ? m.run(callbacks) : m.run();
    const status = run.modelStatus;
    const primal = Number(m.info.get('primal_solution_status'));
    const hasSolution = primal === 2;
    const readBound = (): number | undefined => {
      if (!anyInteger) return undefined;
      try {
        const b = Number(m.info.get('mip_dual_bound'));
        return Number.isFinite(b) ? b : undefined;
      } catch {
        return undefined;
      }
    };
    if (status === STATUS.optimal || status === STATUS.empty) {
      const x = m.getSolution().colValue;
      const objective = objectiveValue(model, x);
      const b = readBound();
      return { status: 'optimal', x, objective, bound: b === undefined ? objective : Math.min(b, objective) };
    }
    if (status === STATUS.infeasible) return { status: 'infeasible' };
    if (status === STATUS.unbounded || status === STATUS.unboundedOrInfeasible) {
      return { status: 'error', message: 'highs: the model is unbounded or infeasible' };
    }
    const bound = readBound();
    if (hasSolution) {
      const x = m.getSolution().colValue;
      return { status: 'feasible', x, objective: objectiveValue(model, x), ...(bound === undefined ? {} : { bound }) };
    }
    if (status === STATUS.timeLimit || status === STATUS.iterationLimit || status === STATUS.interrupted) {
      return { status: 'timeout', ...(bound === undefined ? {} : { bound }) };
    }
    return { status: 'error', message: `highs stopped with model status ${status}` };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    return { status: 'error', message: `highs failed: ${msg}` };
  } finally {
    m.dispose();
  }
}
