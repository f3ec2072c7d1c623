/**
 * Custom executor: carry a plan out on your own infrastructure. An executor does one action at a
 * time (`execute`), may pre-check it (`check`), reports the real world (`observe`) and releases
 * what it holds (`cleanup`); the engine (`executePlan`) does the rest: dependencies, limits,
 * timeouts, retries. See docs/writing-an-executor.md.
 *
 * This one logs every step with a timestamp and delegates the work to the simulated executor (a
 * real one would call its infrastructure there). It also refuses to touch a node under a change
 * freeze, failing the action's pre-check, to show that the engine stops the actions that depend
 * on a failed one and reports what happened instead of throwing.
 *
 * Run: `npm run build && node dist/examples/custom-executor.js`.
 */
import assert from 'node:assert/strict';
import {
  makeInstance,
  planInstance,
  executePlan,
  simulatedExecutor,
  stepFailed,
  type Action,
  type Executor,
  type Instance,
  type NodeId,
  type StepContext,
  type StepOutcome,
} from 'switchyard';

/** One line of the executor's log. */
interface LogLine {
  readonly time: number;
  readonly phase: 'check' | 'start' | 'end';
  readonly action: Action;
  readonly ok?: boolean;
}

/**
 * An executor that logs each step and delegates it to a simulated world, refusing any action on
 * a node of `frozen`.
 */
function loggingExecutor(instance: Instance, frozen: ReadonlySet<NodeId> = new Set()) {
  const inner = simulatedExecutor(instance, { seed: 1 });
  const log: LogLine[] = [];
  const touches = (a: Action): NodeId[] =>
    a.type === 'migrate' || a.type === 'resume' ? [a.from, a.to] : a.type === 'boot' ? [a.to] : a.type === 'shutdown' || a.type === 'suspend' ? [a.from] : [a.node];
  const executor = {
    name: 'logging',
    // The simulated world runs on a virtual clock; sharing it makes the engine's timeouts use it too.
    clock: inner.clock,
    async check(action: Action, context: StepContext): Promise<StepOutcome> {
      log.push({ time: inner.clock.now(), phase: 'check', action });
      const node = touches(action).find((n) => frozen.has(n));
      if (node !== undefined) return stepFailed('precheck', `action #${action.id} (${action.type}) touches node "${node}", which is under a change freeze`);
      return inner.check(action, context);
    },
    async execute(action: Action, context: StepContext): Promise<StepOutcome> {
      log.push({ time: inner.clock.now(), phase: 'start', action });
      const outcome = await inner.execute(action, context);
      log.push({ time: inner.clock.now(), phase: 'end', action, ok: outcome.ok });
      return outcome;
    },
    observe: () => inner.observe(),
    cleanup: () => inner.cleanup(),
  } satisfies Executor;
  return { executor, log };
}

const node = (id: string) => ({ id, capacity: { cpu: 8, memory: 16384 } });
const vm = (id: string, host: string) => ({ id, demand: { cpu: 2, memory: 4096 }, state: 'running' as const, host });
const instance = makeInstance({
  nodes: [node('n1'), node('n2'), node('n3')],
  vms: [vm('a', 'n1'), vm('b', 'n1'), vm('c', 'n2'), vm('d', 'n3')],
  objective: { type: 'consolidate', powerOff: true },
  durations: { bandwidth: 1000, bootNode: 60, shutdownNode: 20 },
});
const plan = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
assert.notEqual(plan.status, 'infeasible');
if (plan.status === 'infeasible') throw new Error('unreachable');
assert.ok(plan.actions.length > 0, 'consolidating three half-empty nodes takes actions');

// 1. Everything goes through: every action started and ended once, after the actions it waits for.
{
  const { executor, log } = loggingExecutor(instance);
  const report = await executePlan(instance, plan, executor);
  for (const l of log) if (l.phase !== 'check') console.log(`  ${l.time.toFixed(1).padStart(6)} s  ${l.phase.padEnd(5)} #${l.action.id} ${l.action.type}${l.ok === false ? ' FAILED' : ''}`);
  assert.equal(report.complete, true);
  assert.equal(report.counts.succeeded, plan.actions.length);
  assert.deepEqual(report.observedTarget, plan.target);
  const ended = new Map<number, number>();
  for (const l of log) if (l.phase === 'end') ended.set(l.action.id, l.time);
  assert.equal(ended.size, plan.actions.length);
  for (const l of log) {
    if (l.phase !== 'start') continue;
    for (const dep of l.action.after ?? []) assert.ok((ended.get(dep) ?? Infinity) <= l.time, `#${l.action.id} started before #${dep} ended`);
  }
  console.log(`custom executor: ${report.counts.succeeded}/${plan.actions.length} actions carried out in ${report.seconds.toFixed(1)} virtual s`);
  await executor.cleanup();
}

// 2. A change freeze on a node the plan touches: those actions fail their pre-check, nothing
//    that depends on them starts, and the report says so (no exception, no VM lost).
{
  const touched = plan.actions.find((a) => a.type === 'shutdownNode');
  assert.ok(touched && touched.type === 'shutdownNode', 'the plan powers a node off');
  const { executor, log } = loggingExecutor(instance, new Set([touched.node]));
  const report = await executePlan(instance, plan, executor);
  assert.equal(report.complete, false);
  assert.ok(report.counts.failed >= 1);
  assert.deepEqual(report.lost, []);
  const failed = report.actions.filter((r) => r.status === 'failed');
  assert.ok(failed.every((r) => r.error?.code === 'precheck'));
  assert.ok(!log.some((l) => l.phase === 'start' && failed.some((r) => r.action.id === l.action.id)), 'a refused action never started');
  console.log(`under a freeze of ${touched.node}: ${report.counts.succeeded} carried out, ${report.counts.failed} refused, ${report.counts.skipped} skipped; ${failed[0]?.error?.message}`);
  await executor.cleanup();
}
