/**
 * The tests Stryker runs against mutants of the verifier, the replay and the constraint
 * checkers (test/mutation/verify.stryker.config.mjs): the verifier's and the checkers' own tests.
 * The 30,000-action scale test is left out (it measures speed and would run for every mutant).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/plan/verify*.test.ts', 'test/plan/replay*.test.ts', 'test/constraints/**/*.test.ts'],
    testNamePattern: /^(?!verifyPlan at scale)/,
    testTimeout: 60_000,
  },
});
