/**
 * src/plan/schedule.ts is unchanged by the speed work (issue 18): the frozen planner of
 * test/plan/planner.legacy.test.ts uses it as it is, not a copy.
 */
export * from '../../../src/plan/schedule.js';
