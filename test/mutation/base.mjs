/**
 * Shared StrykerJS options for `npm run mutation*` (see docs/testing.md). Not run in CI: a run
 * takes minutes. One or two workers at most (the machine is shared), per-test coverage so that
 * each mutant only runs the tests that reach it, and a vitest config that lists only the test
 * files relevant to the mutated sources.
 */

/**
 * Builds a Stryker config.
 * @param {string} name - scope name (report file names)
 * @param {string[]} mutate - globs of the source files to mutate
 * @param {string} vitestConfig - vitest config listing the tests to run, relative to the repo root
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions} the options
 */
export function strykerConfig(name, mutate, vitestConfig) {
  // STRYKER_MUTATE=src/plan/replay.ts (comma-separated globs): one batch of the scope, with its own
  // report files (aggregate the batches with `node test/mutation/score.mjs`).
  const batch = process.env.STRYKER_MUTATE;
  if (batch) {
    mutate = batch.split(',');
    name = `${name}-${batch.replace(/[^A-Za-z0-9]+/g, '_')}`;
  }
  return {
    packageManager: 'npm',
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: vitestConfig, related: false },
    coverageAnalysis: 'perTest',
    concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
    mutate,
    // Only what vitest needs is copied into the sandbox.
    ignorePatterns: ['dist', 'bench', 'examples', 'coverage', '.ci', '*.log'],
    tempDirName: 'coverage/stryker-tmp',
    reporters: ['clear-text', 'progress', 'json', 'html'],
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: false, reportScoreTable: true },
    jsonReporter: { fileName: `coverage/mutation/${name}.json` },
    htmlReporter: { fileName: `coverage/mutation/${name}.html` },
    thresholds: { high: 90, low: 80, break: null },
    timeoutMS: 3_000,
    cleanTempDir: 'always',
    incrementalFile: `coverage/mutation/${name}-incremental.json`,
  };
}
