import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the package by name, as users do; in the tests that name is the source.
  resolve: {
    alias: [
      { find: /^switchyard\/workload$/, replacement: fileURLToPath(new URL('./src/workload/index.ts', import.meta.url)) },
      { find: /^switchyard$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/closing-reporter.ts'],
  },
});
