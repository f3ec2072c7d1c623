/**
 * Quickstart: consolidate a small cluster. Four half-empty nodes; switchyard packs the VMs onto
 * as few nodes as they need, powers the emptied nodes off, and returns a timed plan that never
 * overloads a node on the way (verified by replay).
 *
 * Run: `npm run build && node dist/examples/quickstart.js` (writes quickstart.plan.html beside it
 * when given `--write`).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { makeInstance, planInstance, renderPlan, summarizePlan, verifyPlan } from 'switchyard';

const node = (id: string) => ({ id, capacity: { cpu: 16, memory: 32768 } });
const vm = (id: string, host: string, cpu: number, memory: number) => ({ id, demand: { cpu, memory }, state: 'running' as const, host });

const instance = makeInstance({
  nodes: [node('n1'), node('n2'), node('n3'), node('n4')],
  vms: [
    vm('web1', 'n1', 4, 8192),
    vm('web2', 'n2', 4, 8192),
    vm('db', 'n3', 8, 16384),
    vm('cache', 'n4', 2, 4096),
    vm('batch', 'n4', 4, 4096),
  ],
  objective: { type: 'consolidate', powerOff: true },
  durations: { bandwidth: 1000, bootNode: 120, shutdownNode: 30 },
});

const plan = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
console.log(summarizePlan(plan, instance));
assert.notEqual(plan.status, 'infeasible');
if (plan.status !== 'infeasible') {
  // 22 cpu and 40 GiB of demand: two 16-cpu / 32 GiB nodes are enough, and the answer says so.
  assert.equal(plan.stats.nodesUsed, 2);
  assert.equal(plan.stats.lowerBound, 2);
  assert.equal(Object.values(plan.target.nodes).filter((s) => s === 'offline').length, 2);
  assert.equal(verifyPlan(instance, plan).ok, true);
  if (process.argv.includes('--write')) writeFileSync('quickstart.plan.html', renderPlan(instance, plan));
}
