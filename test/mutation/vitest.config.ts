/**
 * The vitest config Stryker uses (test/mutation/stryker.config.mjs): only the test files of the
 * batch (STRYKER_TESTS, comma-separated globs, set by test/mutation/run.mjs), and never the
 * 30,000-action scale test (it measures speed and would run for every mutant); failing
 * properties do not shrink (fast-check-setup.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: (process.env['STRYKER_TESTS'] ?? 'test/plan/verify*.test.ts,test/plan/replay*.test.ts,test/constraints/**/*.test.ts').split(','),
    testNamePattern: /^(?!verifyPlan at scale)/,
    setupFiles: ['test/mutation/fast-check-setup.ts'],
    testTimeout: 60_000,
  },
});
