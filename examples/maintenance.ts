/**
 * Maintenance: take node n2 out of service. The `offline` constraint makes switchyard evacuate
 * it (live migrations to nodes with room, under the `spread` rule that keeps the two web VMs
 * apart) and then shut it down; nothing is overloaded while the VMs move.
 *
 * Run: `npm run build && node dist/examples/maintenance.js`.
 */
import assert from 'node:assert/strict';
import { makeInstance, planInstance, summarizePlan, verifyPlan } from 'switchyard';

const instance = makeInstance({
  nodes: [
    { id: 'n1', capacity: { cpu: 16, memory: 32768 } },
    { id: 'n2', capacity: { cpu: 16, memory: 32768 } },
    { id: 'n3', capacity: { cpu: 16, memory: 32768 } },
  ],
  vms: [
    { id: 'web1', demand: { cpu: 4, memory: 8192 }, state: 'running', host: 'n1' },
    { id: 'web2', demand: { cpu: 4, memory: 8192 }, state: 'running', host: 'n2' },
    { id: 'db', demand: { cpu: 8, memory: 16384 }, state: 'running', host: 'n2' },
    { id: 'app', demand: { cpu: 6, memory: 8192 }, state: 'running', host: 'n3' },
  ],
  constraints: [
    { type: 'offline', nodes: ['n2'] },
    { type: 'spread', vms: ['web1', 'web2'] },
  ],
  objective: { type: 'minMigrations' },
  durations: { bandwidth: 500, shutdownNode: 30 },
});

const plan = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
console.log(summarizePlan(plan, instance));
assert.notEqual(plan.status, 'infeasible');
if (plan.status !== 'infeasible') {
  assert.equal(plan.target.nodes['n2'], 'offline');
  for (const [id, t] of Object.entries(plan.target.vms)) assert.notEqual(t.host, 'n2', `${id} must leave n2`);
  assert.notEqual(plan.target.vms['web1']!.host, plan.target.vms['web2']!.host);
  // The node goes down only after every VM has left it.
  const down = plan.actions.find((a) => a.type === 'shutdownNode')!;
  for (const m of plan.actions.filter((a) => a.type === 'migrate')) assert.ok(m.end <= down.start);
  assert.equal(plan.stats.migrations, 2); // only the VMs of n2 move
  assert.equal(verifyPlan(instance, plan).ok, true);
}
