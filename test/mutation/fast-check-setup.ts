/**
 * Setup of the vitest runs under Stryker (test/mutation/vitest.config.ts): a property that fails
 * stops at its first counterexample instead of shrinking it. A mutant is killed as soon as a
 * property fails; shrinking would only spend the mutant's time budget and turn kills into timeouts.
 */
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });
