/**
 * The worker shell: tasks run on a worker thread (the compiled `worker.js` from `dist/`), answer like
 * the calling-thread runner, and a task that overruns its hard deadline is cut off for real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, runningVms } from '../../src/solvers/encode.js';
import { ModelBuilder } from '../../src/solvers/model.js';
import { defaultRunner, inThreadRunner, workerAvailable, workerRunner, type TaskRunner } from '../../src/solvers/pool.js';
import { compileProblem, sourceAssignment } from '../../src/problem/dense.js';
import { solveMip } from '../../src/solvers/client.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';
import { compiledWorker } from './support.js';

let runner: TaskRunner;
beforeAll(() => {
  runner = workerRunner(compiledWorker(), 1);
});
afterAll(async () => {
  await runner.close();
});

/** A knapsack: maximise value under a weight limit (as a minimisation). */
function knapsack() {
  const b = new ModelBuilder();
  const values = [10, 13, 7, 8, 9, 4];
  const weights = [5, 6, 3, 4, 4, 2];
  const cols = values.map((v, i) => b.addBinary(-v, `x${i}`));
  b.addRow(cols, weights, -Infinity, 12);
  return b.build();
}

/** A consolidation MIP that HiGHS needs seconds to prove. */
function hardModel() {
  const { problem } = compileProblem(heterogeneousCluster({ nodes: 40, vms: 160, seed: 3 }));
  const enc = encode(problem, { free: runningVms(problem), assign: sourceAssignment(problem), phase: { kind: 'count' } });
  if (enc.status !== 'model') throw new Error('unexpected conflict');
  return enc.model;
}

describe('worker runner', () => {
  it('solves on a worker thread what the calling thread solves', async () => {
    const model = knapsack();
    const here = await solveMip(inThreadRunner(), model, { backend: 'highs', timeLimitMs: 5000 });
    const there = await solveMip(runner, model, { backend: 'highs', timeLimitMs: 5000 });
    expect(runner.threaded).toBe(true);
    expect(there.status).toBe('optimal');
    expect(here.status).toBe('optimal');
    if (there.status === 'optimal' && here.status === 'optimal') {
      expect(there.objective).toBe(here.objective);
      // The optimum, by enumeration.
      let best = 0;
      for (let m = 0; m < 64; m++) {
        let w = 0;
        let v = 0;
        [5, 6, 3, 4, 4, 2].forEach((wt, i) => {
          if (m & (1 << i)) {
            w += wt;
            v += [10, 13, 7, 8, 9, 4][i]!;
          }
        });
        if (w <= 12) best = Math.max(best, v);
      }
      expect(there.objective).toBe(-best);
    }
  });

  it('honours the time limit for real: an overrunning solve is cut off at the hard deadline', async () => {
    const model = hardModel();
    const t0 = performance.now();
    const run = await runner.run({ kind: 'mip', backend: 'highs', model, timeLimitMs: 30_000 }, { hardLimitMs: 400 });
    const elapsed = performance.now() - t0;
    expect(run.ok).toBe(false);
    if (!run.ok) expect(run.reason).toBe('deadline');
    expect(elapsed).toBeLessThan(2000);
    // The pool replaces the terminated worker: the next task runs.
    const next = await solveMip(runner, knapsack(), { backend: 'highs', timeLimitMs: 5000 });
    expect(next.status).toBe('optimal');
  });

  it('keeps the best incumbent reported when the deadline passes', async () => {
    const model = hardModel();
    const t0 = performance.now();
    // HiGHS would search for 30 s; the worker is terminated after 1.5 s.
    const out = await solveMip(runner, model, { backend: 'highs', timeLimitMs: 30_000, graceMs: -28_500 });
    expect(performance.now() - t0).toBeLessThan(4000);
    // Only the incumbents streamed from the worker can make this answer feasible.
    expect(out.status).toBe('feasible');
    if (out.status === 'feasible') expect(out.objective).toBeLessThanOrEqual(40);
  });

  it('never makes a task wait for the warm-up, which runs once per backend', async () => {
    // A whole warm-up, uninterrupted, on a fresh worker (load, then up to 60 small solves).
    const probe = workerRunner(compiledWorker(), 1);
    const t0 = performance.now();
    const warm = await probe.run({ kind: 'warm', backend: 'highs', timeLimitMs: 3000 }, { hardLimitMs: 10_000 });
    const whole = performance.now() - t0;
    await probe.close();
    expect(warm.ok).toBe(true);
    // A task posted right after warm() starts as soon as the worker is free of its current solve.
    const fresh = workerRunner(compiledWorker(), 1);
    fresh.warm('highs');
    fresh.warm('highs');
    const t1 = performance.now();
    const out = await solveMip(fresh, knapsack(), { backend: 'highs', timeLimitMs: 5000 });
    const waited = performance.now() - t1;
    expect(out.status).toBe('optimal');
    expect(waited).toBeLessThan(whole / 2);
    // warm() again is a no-op: the next task does not wait either.
    fresh.warm('highs');
    const t2 = performance.now();
    expect((await solveMip(fresh, knapsack(), { backend: 'highs', timeLimitMs: 5000 })).status).toBe('optimal');
    expect(performance.now() - t2).toBeLessThan(whole / 2);
    await fresh.close();
  });

  it('falls back to the calling thread when no compiled worker exists', () => {
    const missing = new URL('file:///nonexistent/worker.js');
    expect(workerAvailable(missing)).toBe(false);
    expect(defaultRunner(1, missing).threaded).toBe(false);
    expect(workerAvailable(compiledWorker())).toBe(true);
  });
});
