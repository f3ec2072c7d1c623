import { loadGlpkBackend } from './glpk.js';
import { loadHighsBackend } from './highs.js';
import { loadLpSolverBackend } from './lpsolver.js';
import type { BackendLoad, BackendName } from './types.js';

/**
 * Loads a MIP backend by name: `highs` (default, MIT, wasm), `glpk` (optional peer dependency
 * `glpk.js`, GPL-3.0) or `lpsolver` (javascript-lp-solver, tiny models only).
 *
 * @param name - the backend
 * @returns the loaded backend, or why it is unavailable (never throws)
 * @example
 * ```ts
 * const load = await loadBackend('glpk');
 * if (!load.ok) console.warn(load.reason);
 * ```
 */
export async function loadBackend(name: BackendName): Promise<BackendLoad> {
  switch (name) {
    case 'highs':
      return loadHighsBackend();
    case 'glpk':
      return loadGlpkBackend();
    case 'lpsolver':
      return loadLpSolverBackend();
  }
}
