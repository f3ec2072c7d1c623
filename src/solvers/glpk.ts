/**
 * The GLPK backend: GLPK compiled to WebAssembly (npm `glpk.js`, GPL-3.0). It is an optional peer
 * dependency, never bundled: switchyard imports it dynamically and answers "unavailable" when the
 * user has not installed it. GLPK reports no dual bound for an unfinished MIP, so only proved
 * optima carry a bound.
 */
import type { MipModel } from './model.js';
import { emptyModelOutcome, maxViolation, objectiveValue } from './model.js';
import type { BackendLoad, MipBackend, MipOutcome, MipSolveOptions } from './types.js';

/** The subset of the `glpk.js/node` API this backend uses. */
interface GlpkLp {
  name: string;
  objective: { direction: number; name: string; vars: { name: string; coef: number }[] };
  subjectTo: { name: string; vars: { name: string; coef: number }[]; bnds: { type: number; ub: number; lb: number } }[];
  bounds?: { name: string; type: number; ub: number; lb: number }[];
  binaries?: string[];
  generals?: string[];
}
interface GlpkResult {
  result: { status: number; z: number; vars: Record<string, number> };
}
/** The synchronous GLPK runtime of `glpk.js/node`. */
export interface GlpkRuntime {
  readonly GLP_MIN: number;
  readonly GLP_FR: number;
  readonly GLP_LO: number;
  readonly GLP_UP: number;
  readonly GLP_DB: number;
  readonly GLP_FX: number;
  readonly GLP_MSG_OFF: number;
  readonly GLP_UNDEF: number;
  readonly GLP_FEAS: number;
  readonly GLP_INFEAS: number;
  readonly GLP_NOFEAS: number;
  readonly GLP_OPT: number;
  readonly GLP_UNBND: number;
  solve(lp: GlpkLp, options?: { msglev?: number; tmlim?: number; mipgap?: number; presol?: boolean }): GlpkResult;
}

/**
 * Loads GLPK from the optional peer dependency `glpk.js`.
 * @returns the backend, or `{ ok: false }` naming why (typically: not installed)
 * @example
 * ```ts
 * const load = await loadGlpkBackend();
 * if (!load.ok) console.log(load.reason); // 'glpk.js is not installed (optional peer dependency)...'
 * ```
 */
export async function loadGlpkBackend(): Promise<BackendLoad> {
  const specifier = 'glpk.js/node';
  let factory: () => Promise<GlpkRuntime>;
  try {
    // A computed specifier keeps bundlers from pulling the GPL package in.
    const mod = (await import(specifier)) as { default: () => Promise<GlpkRuntime> };
    factory = mod.default;
  } catch {
    return { ok: false, reason: 'glpk.js is not installed (optional peer dependency, GPL-3.0): npm install glpk.js' };
  }
  try {
    return { ok: true, backend: glpkBackend(await factory()) };
  } catch (e) {
    return { ok: false, reason: `glpk.js could not be initialised: ${(e as Error).message ?? String(e)}` };
  }
}

/**
 * Wraps a loaded GLPK runtime as a {@link MipBackend}.
 * @param glpk - the runtime from `glpk.js/node`
 * @returns the backend
 */
export function glpkBackend(glpk: GlpkRuntime): MipBackend {
  return { name: 'glpk', solve: (model, options) => solveWithGlpk(glpk, model, options) };
}

function boundType(glpk: GlpkRuntime, lo: number, hi: number): number {
  if (lo === -Infinity && hi === Infinity) return glpk.GLP_FR;
  if (lo === -Infinity) return glpk.GLP_UP;
  if (hi === Infinity) return glpk.GLP_LO;
  if (lo === hi) return glpk.GLP_FX;
  return glpk.GLP_DB;
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/**
 * Translates a {@link MipModel} into GLPK's JSON LP (exported for tests).
 * @param glpk - the runtime (for its constants)
 * @param model - the model
 * @returns the GLPK problem
 */
export function toGlpkLp(glpk: GlpkRuntime, model: MipModel): GlpkLp {
  const name = (j: number): string => `x${j}`;
  const objVars: { name: string; coef: number }[] = [];
  for (let j = 0; j < model.numCols; j++) if (model.colCost[j] !== 0) objVars.push({ name: name(j), coef: model.colCost[j]! });
  const subjectTo: GlpkLp['subjectTo'] = [];
  for (let i = 0; i < model.numRows; i++) {
    const vars: { name: string; coef: number }[] = [];
    for (let k = model.rowStarts[i]!; k < model.rowStarts[i + 1]!; k++) vars.push({ name: name(model.rowIndex[k]!), coef: model.rowValue[k]! });
    const lo = model.rowLower[i]!;
    const hi = model.rowUpper[i]!;
    if (vars.length === 0) continue;
    subjectTo.push({ name: `r${i}`, vars, bnds: { type: boundType(glpk, lo, hi), lb: finite(lo), ub: finite(hi) } });
  }
  const bounds: NonNullable<GlpkLp['bounds']> = [];
  const binaries: string[] = [];
  const generals: string[] = [];
  for (let j = 0; j < model.numCols; j++) {
    const lo = model.colLower[j]!;
    const hi = model.colUpper[j]!;
    bounds.push({ name: name(j), type: boundType(glpk, lo, hi), lb: finite(lo), ub: finite(hi) });
    if (model.integer[j]) (lo === 0 && hi === 1 ? binaries : generals).push(name(j));
  }
  // GLPK ignores variables that appear in no row and not in the objective: give each an entry.
  if (objVars.length === 0 && model.numCols > 0) objVars.push({ name: name(0), coef: 0 });
  return {
    name: 'switchyard',
    objective: { direction: glpk.GLP_MIN, name: 'obj', vars: objVars },
    subjectTo,
    bounds,
    ...(binaries.length > 0 ? { binaries } : {}),
    ...(generals.length > 0 ? { generals } : {}),
  };
}

function solveWithGlpk(glpk: GlpkRuntime, model: MipModel, options: MipSolveOptions): MipOutcome {
  if (model.numCols === 0) return emptyModelOutcome(model);
  let res: GlpkResult;
  try {
    res = glpk.solve(toGlpkLp(glpk, model), {
      msglev: glpk.GLP_MSG_OFF,
      tmlim: Math.max(1, Math.ceil(options.timeLimitMs / 1000)),
      mipgap: options.relGap ?? 0,
      presol: true,
    });
  } catch (e) {
    return { status: 'error', message: `glpk failed: ${(e as Error).message ?? String(e)}` };
  }
  const { status, vars } = res.result;
  if (status === glpk.GLP_NOFEAS || status === glpk.GLP_INFEAS) return { status: 'infeasible' };
  if (status === glpk.GLP_UNBND) return { status: 'error', message: 'glpk: the model is unbounded' };
  if (status !== glpk.GLP_OPT && status !== glpk.GLP_FEAS) return { status: 'timeout' };
  const x = new Float64Array(model.numCols);
  for (let j = 0; j < model.numCols; j++) {
    const v = vars[`x${j}`] ?? model.colLower[j]!;
    x[j] = model.integer[j] ? Math.round(v) : v;
  }
  // Columns GLPK dropped (absent from every row) sit at a bound: choose the cheaper one.
  for (let j = 0; j < model.numCols; j++) {
    if (vars[`x${j}`] === undefined) {
      const lo = model.colLower[j]!;
      const hi = model.colUpper[j]!;
      x[j] = model.colCost[j]! < 0 && Number.isFinite(hi) ? hi : Number.isFinite(lo) ? lo : 0;
    }
  }
  if (maxViolation(model, x) > 1e-6) return { status: 'error', message: 'glpk returned a solution that breaks the model' };
  const objective = objectiveValue(model, x);
  if (status === glpk.GLP_OPT) return { status: 'optimal', x, objective, bound: objective };
  options.onIncumbent?.(x, objective);
  return { status: 'feasible', x, objective };
}
