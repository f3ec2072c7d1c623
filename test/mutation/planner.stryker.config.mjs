// `npm run mutation:planner`: the planner's schedule and action graph.
import { strykerConfig } from './base.mjs';

export default strykerConfig('planner', ['src/plan/schedule.ts', 'src/plan/graph.ts'], 'test/mutation/vitest.planner.config.ts');
