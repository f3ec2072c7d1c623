// `npm run mutation [-- [<scope>] [<batch>,...] [stryker options]]`: mutation testing of one scope,
// batch by batch (each batch mutates some files and runs only the tests relevant to them), then
// the per-file score of the scope (test/mutation/score.mjs). Scopes: `verify` (default: the
// plan verifier, the replay and the constraint checkers) and `planner` (schedule and graph).
// Extra options go to Stryker, e.g. `--incremental` to re-test only what changed since the last run.
import { spawnSync } from 'node:child_process';

const VERIFY_TESTS = 'test/plan/verify.test.ts,test/plan/verify.boundary.test.ts';
const VERIFY_ONLY_TESTS = `test/plan/verify.replay.test.ts,test/plan/verify.messages.test.ts,${VERIFY_TESTS}`;
const SCOPES = {
  verify: {
    replay: { mutate: 'src/plan/replay.ts', tests: `test/plan/replay.test.ts,test/plan/verify.replay.test.ts,${VERIFY_TESTS}` },
    constraints: { mutate: 'src/constraints/**/*.ts', tests: `test/constraints/**/*.test.ts,${VERIFY_TESTS}` },
    // verify.ts in four line ranges (one report each, so that a run can stop between them).
    // The property tests (verify.property.test.ts) are left out for time: 8 s per surviving mutant.
    'verify-a': { mutate: 'src/plan/verify.ts:1-209', tests: VERIFY_ONLY_TESTS },
    'verify-c': { mutate: 'src/plan/verify.ts:520-610', tests: VERIFY_ONLY_TESTS },
    'verify-b': { mutate: 'src/plan/verify.ts:210-519', tests: VERIFY_ONLY_TESTS },
    'verify-d': { mutate: 'src/plan/verify.ts:611-767', tests: VERIFY_ONLY_TESTS },
  },
  planner: {
    planner: { mutate: 'src/plan/schedule.ts,src/plan/graph.ts', tests: 'test/plan/planner*.test.ts' },
  },
};

const args = process.argv.slice(2);
const scopeName = args[0] && !args[0].startsWith('-') ? args.shift() : 'verify';
const scope = SCOPES[scopeName];
if (!scope) {
  console.error(`unknown scope ${scopeName}: one of ${Object.keys(SCOPES).join(', ')}`);
  process.exit(2);
}
// Batches to run (comma-separated; default: all of the scope).
const only = args[0] && !args[0].startsWith('-') ? args.shift().split(',') : undefined;
for (const b of only ?? []) {
  if (!(b in scope)) {
    console.error(`unknown batch ${b} of scope ${scopeName}: one of ${Object.keys(scope).join(', ')}`);
    process.exit(2);
  }
}
const reports = [];
for (const [batch, { mutate, tests }] of Object.entries(scope)) {
  reports.push(`coverage/mutation/${batch}.json`);
  if (only !== undefined && !only.includes(batch)) continue;
  console.log(`\n== batch ${batch}: mutating ${mutate}; tests ${tests}\n`);
  const r = spawnSync('npx', ['stryker', 'run', 'test/mutation/stryker.config.mjs', ...args], {
    stdio: 'inherit',
    env: { ...process.env, STRYKER_BATCH: batch, STRYKER_MUTATE: mutate, STRYKER_TESTS: tests },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log(`\n== per-file mutation score (${scopeName})\n`);
const s = spawnSync('node', ['test/mutation/score.mjs', ...reports], { stdio: 'inherit' });
process.exit(s.status ?? 1);
