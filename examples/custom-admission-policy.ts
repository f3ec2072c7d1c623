/**
 * Custom admission policy: decide yourself which vjobs run. Before placement, the decide stage
 * offers the optional vjobs to the policy, which admits them with `ctx.tryRun(id)` in the order
 * it chooses; a vjob it does not admit does not run (its running VMs are suspended, its waiting
 * VMs keep waiting). See docs/writing-an-admission-policy.md.
 *
 * One 8-cpu node, three waiting vjobs: `old` (submitted first, 6 cpus), `urgent` (priority 5,
 * 6 cpus) and `tiny` (submitted last, 2 cpus). The default policy runs `urgent` by priority, then
 * backfills `tiny`; a strict first-come-first-served policy runs `old` and stops at the first
 * vjob that does not fit, so `tiny` waits too.
 *
 * Run: `npm run build && node dist/examples/custom-admission-policy.js`.
 */
import assert from 'node:assert/strict';
import { makeInstance, planInstance, summarizePlan, verifyPlan, type AdmissionPolicy, type Plan } from 'switchyard';

/** Strict first-come-first-served, no backfilling; records the order in which it tried vjobs. */
const tried: string[] = [];
const fcfs: AdmissionPolicy = (ctx) => {
  const queue = [...ctx.candidates].sort((a, b) => a.submitted - b.submitted || a.order - b.order);
  for (const j of queue) {
    tried.push(j.id);
    if (!ctx.tryRun(j.id)) break;
  }
};

const vm = (id: string, vjob: string, cpu: number) => ({ id, demand: { cpu, memory: 1024 * cpu }, state: 'waiting' as const, vjob });
const instance = makeInstance({
  nodes: [{ id: 'n1', capacity: { cpu: 8, memory: 8192 } }],
  vjobs: [
    { id: 'old', priority: 0, submitted: 0 },
    { id: 'urgent', priority: 5, submitted: 10 },
    { id: 'tiny', priority: 0, submitted: 20 },
  ],
  vms: [vm('old1', 'old', 3), vm('old2', 'old', 3), vm('urgent1', 'urgent', 3), vm('urgent2', 'urgent', 3), vm('tiny1', 'tiny', 2)],
  objective: { type: 'consolidate' },
});

/** The VMs the plan runs, sorted. */
function running(plan: Plan): string[] {
  if (plan.status === 'infeasible') throw new Error(`infeasible: ${plan.reasons.map((r) => r.message).join('; ')}`);
  assert.equal(verifyPlan(instance, plan).ok, true);
  return Object.entries(plan.target.vms)
    .filter(([, t]) => t.state === 'running')
    .map(([id]) => id)
    .sort();
}

const byDefault = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
console.log('default policy (priority, backfilling):\n' + summarizePlan(byDefault, instance));
assert.deepEqual(running(byDefault), ['tiny1', 'urgent1', 'urgent2']);

const byFcfs = await planInstance(instance, { seed: 1, timeLimitMs: 2000, policy: fcfs });
console.log('first-come-first-served:\n' + summarizePlan(byFcfs, instance));
assert.deepEqual(running(byFcfs), ['old1', 'old2']);
// The policy was called with every optional vjob, tried `old` then `urgent`, and stopped there.
assert.deepEqual(tried, ['old', 'urgent']);
if (byFcfs.status === 'infeasible') throw new Error('unreachable');
// The vjobs it did not admit keep waiting.
assert.equal(byFcfs.target.vms['tiny1']?.state, 'waiting');
assert.equal(byFcfs.target.vms['urgent1']?.state, 'waiting');
