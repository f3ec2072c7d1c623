/**
 * StrykerJS options for one batch of `npm run mutation` (test/mutation/run.mjs sets the batch
 * through the environment; see docs/testing.md). Not run in CI: a run takes minutes per file.
 * One or two workers at most (the machine is shared), per-test coverage so that each mutant runs
 * only the tests that reach it, and a vitest config that lists only the batch's test files.
 *
 *   STRYKER_BATCH    name of the batch (report files coverage/mutation/<name>.json, .html)
 *   STRYKER_MUTATE   comma-separated globs of the sources to mutate
 *   STRYKER_TESTS    comma-separated globs of the test files to run (read by vitest.config.ts)
 *   STRYKER_CONCURRENCY  workers (default 2)
 */
const name = process.env.STRYKER_BATCH ?? 'verify';
const mutate = (process.env.STRYKER_MUTATE ?? 'src/plan/verify.ts,src/plan/replay.ts,src/constraints/**/*.ts').split(',');

export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  mutate,
  // Only what vitest needs is copied into the sandbox.
  ignorePatterns: ['dist', 'bench', 'examples', 'coverage', 'docs', '.ci', '*.log'],
  tempDirName: `coverage/stryker-tmp-${name}`,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false, reportMutants: false, reportScoreTable: true },
  jsonReporter: { fileName: `coverage/mutation/${name}.json` },
  htmlReporter: { fileName: `coverage/mutation/${name}.html` },
  incrementalFile: `coverage/mutation/${name}-incremental.json`,
  thresholds: { high: 90, low: 80, break: null },
  timeoutMS: 3000,
  cleanTempDir: 'always',
};
