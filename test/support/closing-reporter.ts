import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints a plain closing line `N passed, N failed, N skipped` that any CI reader understands,
 * and, under CI=true, fails the run when a test was skipped: in CI no test may skip silently.
 */
export default class ClosingReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped.push(t.fullName);
      }
    }
    const ci = process.env['CI'] === 'true';
    if (ci && skipped.length > 0) {
      process.stdout.write(`\nUnder CI=true no test may skip; skipped:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n`);
      process.exitCode = 1;
    }
    process.stdout.write(`\n${passed} passed, ${failed + (ci ? skipped.length : 0)} failed, ${skipped.length} skipped\n`);
  }
}
