/**
 * The task protocol: the worker's handler table is complete at compile time (tsc checks the
 * `@ts-expect-error` lines), dispatch runs the handler of the task's own kind, and the client
 * turns every way a task can end (reply, unavailable backend, crash, deadline) into a typed
 * result.
 */
import { describe, expect, it } from 'vitest';
import { improveByLns, keepSetBounds, repairPartition, solveMip, warmTask } from '../../src/solvers/client.js';
import { volumeNodeBound } from '../../src/solvers/keep.js';
import { ModelBuilder } from '../../src/solvers/model.js';
import { inThreadRunner, type TaskRunner } from '../../src/solvers/pool.js';
import { createTaskContext, HANDLERS, runTask, type HandlerTable, type TaskKind } from '../../src/solvers/tasks.js';
import { compileProblem, sourceAssignment } from '../../src/problem/dense.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';

const KINDS = ['mip', 'lns', 'partition', 'keepSet', 'warm'] as const satisfies readonly TaskKind[];

/** A runner whose every task ends the given way, recording what it was sent. */
function fakeRunner(end: Awaited<ReturnType<TaskRunner['run']>>, sent: unknown[] = []): TaskRunner {
  return {
    threaded: true,
    size: 1,
    run: (task) => {
      sent.push(task);
      return Promise.resolve(end) as never;
    },
    warm: () => undefined,
    close: () => Promise.resolve(),
  };
}

function smallProblem() {
  return compileProblem(heterogeneousCluster({ nodes: 6, vms: 20, seed: 2 })).problem;
}

describe('handler table', () => {
  it('is complete at compile time', () => {
    const { warm: _omitted, ...missingWarm } = HANDLERS;
    // @ts-expect-error a table without `warm` is not a HandlerTable
    const incomplete: HandlerTable = missingWarm;
    // @ts-expect-error a table whose `lns` handler is another kind's is not one either
    const mismatched: HandlerTable = { ...HANDLERS, lns: HANDLERS.partition };
    expect(Object.keys(incomplete)).not.toContain('warm');
    expect(mismatched.lns).toBe(HANDLERS.partition);
  });

  it('holds one handler per task kind', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual([...KINDS].sort());
  });

  it('dispatches a task to the handler of its kind', async () => {
    const ctx = createTaskContext();
    const warmed = await runTask({ ...warmTask('highs'), timeLimitMs: 100 }, ctx, () => undefined);
    expect(warmed.status).toBe('warmed');
    const b = new ModelBuilder();
    const x = b.addBinary(-3);
    const y = b.addBinary(-2);
    b.addRow([x, y], [1, 1], -Infinity, 1);
    const mip = await runTask({ kind: 'mip', backend: 'highs', model: b.build(), timeLimitMs: 2000 }, ctx, () => undefined);
    expect(mip.status).toBe('optimal');
    if (mip.status === 'optimal') expect(mip.objective).toBeCloseTo(-3);
  });
});

describe('client', () => {
  it('sends one message per call, of the right kind and fields, and reads the typed reply', async () => {
    const runner = inThreadRunner();
    const p = smallProblem();
    const start = sourceAssignment(p);
    const seen: Int32Array[] = [];
    const lns = await improveByLns(runner, { backend: 'highs', problem: p, start, seed: 1, timeLimitMs: 300, maxIterations: 3 }, { hardLimitMs: 2000, onAssignment: (a) => seen.push(a) });
    expect(lns.status).toBe('lns-done');
    if (lns.status === 'lns-done') expect(lns.assign).toHaveLength(p.nVms);
    const part = await repairPartition(
      runner,
      { backend: 'highs', problem: p, assign: start, nodes: Int32Array.from({ length: p.nNodes }, (_, n) => n), free: new Int32Array(0), seed: 1, timeLimitMs: 300, improve: false },
      { hardLimitMs: 2000 },
    );
    expect(part.status).toBe('partition-done');
    if (part.status === 'partition-done') expect(part.repaired).toBe(true);
    const sent: unknown[] = [];
    await keepSetBounds(p, fakeRunner({ ok: false, reason: 'crashed', message: 'x' }, sent), 'glpk', 100, { pack: true });
    expect(sent).toEqual([{ kind: 'keepSet', backend: 'glpk', problem: p, timeLimitMs: 100, pack: true }]);
  });

  it('turns a crash, a deadline and an unavailable backend into typed failures', async () => {
    const p = smallProblem();
    const request = { backend: 'highs' as const, problem: p, start: sourceAssignment(p), seed: 1, timeLimitMs: 100 };
    expect(await improveByLns(fakeRunner({ ok: false, reason: 'crashed', message: 'boom' }), request, { hardLimitMs: 200 })).toEqual({ status: 'failed', reason: 'crashed', message: 'boom' });
    expect(await improveByLns(fakeRunner({ ok: true, result: { status: 'unavailable', reason: 'no wasm' } }), request, { hardLimitMs: 200 })).toEqual({ status: 'failed', reason: 'unavailable', message: 'no wasm' });
    // A MIP outcome carries its own `unavailable` and `timeout` cases.
    const model = new ModelBuilder().build();
    expect(await solveMip(fakeRunner({ ok: true, result: { status: 'unavailable', reason: 'no wasm' } }), model, { backend: 'highs', timeLimitMs: 10 })).toEqual({ status: 'unavailable', reason: 'no wasm' });
    expect(await solveMip(fakeRunner({ ok: false, reason: 'deadline', message: 'late' }), model, { backend: 'highs', timeLimitMs: 10 })).toEqual({ status: 'timeout' });
    expect(await solveMip(fakeRunner({ ok: false, reason: 'crashed', message: 'boom' }), model, { backend: 'highs', timeLimitMs: 10 })).toEqual({ status: 'error', message: 'boom' });
    // The keep-set bounds fall back to the volume bound.
    expect(await keepSetBounds(p, fakeRunner({ ok: false, reason: 'deadline', message: 'late' }), 'highs', 100)).toEqual({ nodes: volumeNodeBound(p) });
  });
});
