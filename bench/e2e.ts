/**
 * One end-to-end run of the pipeline, as `switchyard plan` does it (read and validate the
 * instance file, place, plan, verify, write the plan), with a chosen placement solver; prints one
 * JSON line of timings and the peak resident memory of the process. Used by `repair.ts` in a
 * child process so that its memory is measured alone.
 *
 * `node dist/bench/e2e.js INSTANCE PLAN TIME_LIMIT_S [partitioned|default]`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseInstance } from '../src/io/instance.js';
import { formatPlan } from '../src/io/plan.js';
import { partitionedSolver } from '../src/place/partition.js';
import { planInstance } from '../src/pipeline.js';

async function main(): Promise<void> {
  const [file, out, limit, solverName] = process.argv.slice(2);
  if (file === undefined || out === undefined) throw new Error('usage: e2e.js INSTANCE PLAN TIME_LIMIT_S [partitioned|default]');
  const t0 = performance.now();
  const parsed = parseInstance(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`invalid instance: ${parsed.issues[0]?.message ?? ''}`);
  const t1 = performance.now();
  const solver = solverName === 'default' ? undefined : partitionedSolver();
  const plan = await planInstance(parsed.value, { timeLimitMs: Number(limit ?? 5) * 1000, ...(solver ? { solver } : {}) });
  const t2 = performance.now();
  writeFileSync(out, formatPlan(plan));
  const t3 = performance.now();
  const stats = plan.status === 'infeasible' ? undefined : plan.stats;
  process.stdout.write(
    `${JSON.stringify({
      status: plan.status,
      readMs: Math.round(t1 - t0),
      solveMs: stats?.solveMs,
      planMs: stats?.planMs,
      pipelineMs: Math.round(t2 - t1),
      writeMs: Math.round(t3 - t2),
      actions: plan.actions.length,
      migrations: stats?.migrations,
      migratedMemory: stats?.migratedMemory,
      migrationLowerBound: (stats?.x as { migrationLowerBound?: number } | undefined)?.migrationLowerBound,
      makespan: stats?.makespan,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
  // Worker threads are unreferenced; exit promptly.
  process.exit(0);
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
