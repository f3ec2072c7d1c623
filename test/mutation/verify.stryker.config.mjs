// `npm run mutation`: the plan verifier, the replay and the constraint checkers.
import { strykerConfig } from './base.mjs';

export default strykerConfig(
  'verify',
  ['src/plan/verify.ts', 'src/plan/replay.ts', 'src/constraints/**/*.ts'],
  'test/mutation/vitest.verify.config.ts',
);
