/**
 * The context switch: a best-effort vjob fills the cluster; a priority vjob arrives. switchyard
 * suspends the best-effort VMs (their memory image goes to disk: no work is lost), starts the
 * priority vjob, and, once that one has finished, resumes the best-effort vjob where it stopped.
 *
 * Run: `npm run build && node dist/examples/context-switch.js`.
 */
import assert from 'node:assert/strict';
import { makeInstance, planInstance, summarizePlan, verifyPlan, type Instance, type Plan, type VmInit } from 'switchyard';

const nodes = [
  { id: 'n1', capacity: { cpu: 8, memory: 16384 } },
  { id: 'n2', capacity: { cpu: 8, memory: 16384 } },
];
const vjobs = [
  { id: 'batch', priority: 0, submitted: 0, bestEffort: true },
  { id: 'urgent', priority: 10, submitted: 100 },
];
const demand = { cpu: 6, memory: 12288 };

// 1. batch runs on both nodes; urgent (two VMs that need a whole node each) waits.
const before = makeInstance({
  nodes,
  vjobs,
  vms: [
    { id: 'batch1', demand, state: 'running', host: 'n1', vjob: 'batch' },
    { id: 'batch2', demand, state: 'running', host: 'n2', vjob: 'batch' },
    { id: 'urgent1', demand, state: 'waiting', vjob: 'urgent' },
    { id: 'urgent2', demand, state: 'waiting', vjob: 'urgent' },
  ],
  objective: { type: 'consolidate' },
});

function feasible(instance: Instance, plan: Plan): asserts plan is Extract<Plan, { status: 'optimal' | 'feasible' }> {
  console.log(summarizePlan(plan, instance));
  assert.notEqual(plan.status, 'infeasible');
  assert.equal(verifyPlan(instance, plan).ok, true);
}

const switched = await planInstance(before, { seed: 1, timeLimitMs: 2000 });
feasible(before, switched);
const types = (p: Plan) => p.actions.map((a) => `${a.type} ${'vm' in a ? a.vm : a.node}`).sort();
assert.deepEqual(types(switched), ['boot urgent1', 'boot urgent2', 'suspend batch1', 'suspend batch2']);
// Each boot waits for the suspend that frees its node.
for (const boot of switched.actions.filter((a) => a.type === 'boot')) assert.ok((boot.after ?? []).length > 0);

// 2. urgent has finished (its VMs are terminated); batch is asleep on its nodes' disks.
const vms: VmInit[] = [...before.vms.values()].map((v) => {
  const t = switched.target.vms[v.id]!;
  return v.vjob === 'urgent'
    ? { id: v.id, demand, state: 'terminated', vjob: 'urgent' }
    : { id: v.id, demand, state: t.state, ...(t.host !== undefined ? { host: t.host } : {}), vjob: 'batch' };
});
assert.deepEqual(vms.filter((v) => v.vjob === 'batch').map((v) => v.state), ['sleeping', 'sleeping']);
const after = makeInstance({ nodes, vjobs, vms, objective: { type: 'consolidate' } });
const resumed = await planInstance(after, { seed: 1, timeLimitMs: 2000 });
feasible(after, resumed);
assert.deepEqual(types(resumed), ['resume batch1', 'resume batch2']);
assert.equal(resumed.target.vms['batch1']!.state, 'running');
assert.equal(resumed.target.vms['batch2']!.state, 'running');
