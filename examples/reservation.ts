/**
 * An advance reservation, Haizea-style: nodes n3 and n4 are reserved for the vjob `lease` (a
 * user booked them for an experiment). The `reserved` constraint clears them of everything else
 * (best-effort VMs there migrate to free room elsewhere, or are suspended when there is none) and
 * a `fence` keeps the lease's VMs on the nodes it booked, where they boot.
 *
 * Run: `npm run build && node dist/examples/reservation.js`.
 */
import assert from 'node:assert/strict';
import { makeInstance, planInstance, summarizePlan, verifyPlan } from 'switchyard';

const node = (id: string) => ({ id, capacity: { cpu: 8, memory: 16384 } });
const small = { cpu: 2, memory: 4096 };
const big = { cpu: 8, memory: 16384 };

const instance = makeInstance({
  nodes: [node('n1'), node('n2'), node('n3'), node('n4')],
  vjobs: [
    { id: 'grid', priority: 0, submitted: 0, bestEffort: true },
    { id: 'lease', priority: 5, submitted: 10 },
  ],
  vms: [
    { id: 'grid1', demand: small, state: 'running', host: 'n1', vjob: 'grid' },
    { id: 'grid2', demand: small, state: 'running', host: 'n3', vjob: 'grid' },
    { id: 'grid3', demand: small, state: 'running', host: 'n4', vjob: 'grid' },
    { id: 'lease1', demand: big, state: 'waiting', vjob: 'lease' },
    { id: 'lease2', demand: big, state: 'waiting', vjob: 'lease' },
  ],
  constraints: [
    // n3 and n4 take only the lease's VMs ...
    { type: 'reserved', nodes: ['n3', 'n4'], vjob: 'lease' },
    // ... and the lease's VMs run only there (the nodes it booked).
    { type: 'fence', vms: ['lease1', 'lease2'], nodes: ['n3', 'n4'] },
  ],
  objective: { type: 'consolidate' },
});

const plan = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
console.log(summarizePlan(plan, instance));
assert.notEqual(plan.status, 'infeasible');
if (plan.status !== 'infeasible') {
  const t = plan.target.vms;
  // The lease runs on its reserved nodes, and nothing else does.
  assert.deepEqual([t['lease1']!.host, t['lease2']!.host].sort(), ['n3', 'n4']);
  for (const id of ['grid1', 'grid2', 'grid3']) {
    assert.ok(t[id]!.state !== 'running' || !['n3', 'n4'].includes(t[id]!.host!), `${id} must leave the reservation`);
  }
  // n1 and n2 have room for the grid: its VMs were moved there, not killed or suspended.
  assert.deepEqual(['grid1', 'grid2', 'grid3'].map((id) => t[id]!.state), ['running', 'running', 'running']);
  assert.equal(verifyPlan(instance, plan).ok, true);
}
