/**
 * One BtrPlace file end to end, as a user would run it: read (gzip), import, validate, place,
 * plan, verify; prints one JSON line of timings, figures and the peak resident memory of the
 * process. Used by `btrplace.ts` in a child process so that its memory is measured alone.
 *
 * `node dist/bench/btrplace-run.js FILE TIME_LIMIT_S`
 */
import { readBtrPlaceFile } from '../src/io/btrplace/read.js';
import { validateInstance } from '../src/io/instance.js';
import { defaultSolver } from '../src/place/default.js';
import { planInstance } from '../src/pipeline.js';
import { verifyPlan } from '../src/plan/verify.js';
import { defaultRunner } from '../src/solvers/pool.js';

async function main(): Promise<void> {
  const [file, limit] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: btrplace-run.js FILE TIME_LIMIT_S');
  const t0 = performance.now();
  const imported = await readBtrPlaceFile(file);
  if (!imported.ok) throw new Error(`cannot import: ${imported.issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const v = validateInstance(imported.value.instance);
  if (!v.ok) throw new Error(`invalid conversion: ${v.issues[0]?.path}: ${v.issues[0]?.message}`);
  const inst = v.value;
  const t1 = performance.now();
  const runner = defaultRunner(2);
  let plan;
  try {
    plan = await planInstance(inst, { timeLimitMs: Number(limit ?? 10) * 1000, solver: defaultSolver({ lns: { runner } }), verify: false });
  } finally {
    await runner.close();
  }
  const t2 = performance.now();
  const verified = verifyPlan(inst, plan);
  const t3 = performance.now();
  const stats = plan.status === 'infeasible' ? undefined : plan.stats;
  const toBoot = [...inst.vms.values()].filter((x) => x.state === 'waiting').length;
  process.stdout.write(
    `${JSON.stringify({
      status: plan.status,
      valid: verified.ok,
      nodes: inst.nodes.size,
      vms: inst.vms.size,
      toBoot,
      constraints: inst.constraints.size,
      lossy: imported.value.notes.filter((n) => n.kind === 'lossy').length,
      readMs: Math.round(t1 - t0),
      solveMs: stats?.solveMs,
      planMs: stats?.planMs,
      verifyMs: Math.round(t3 - t2),
      migrations: stats?.migrations,
      migratedMemory: stats?.migratedMemory,
      migrationLowerBound: (stats?.x as { migrationLowerBound?: number } | undefined)?.migrationLowerBound,
      boots: plan.actions.filter((a) => a.type === 'boot').length,
      makespan: stats?.makespan,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      // CPU of every thread of the process (main and workers), seconds: less noisy than wall on a shared machine.
      cpuS: Math.round((process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e5) / 10,
    })}\n`,
  );
  process.exit(0);
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
