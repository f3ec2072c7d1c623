/**
 * The tests Stryker runs against mutants of the planner's schedule and action graph
 * (test/mutation/planner.stryker.config.mjs): the planner's own tests.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/plan/planner*.test.ts'],
    testTimeout: 60_000,
  },
});
