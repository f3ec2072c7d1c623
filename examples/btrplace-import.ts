/**
 * BtrPlace import: plan a BtrPlace instance and hand the plan back in BtrPlace's format.
 * `btrplace-tiny.json` (beside this file) is a BtrPlace model of three nodes in its JSON format:
 * node 2 goes down for maintenance (`offline`), VM 5 must start (`running`), VMs 0 and 2 stay
 * apart (`spread`). `importBtrPlace` turns it into an exchange-format instance (VM 7 becomes
 * `vm7`, node 3 `n3`) with notes on anything it could not carry over; switchyard plans it; and
 * `exportBtrPlacePlan` writes the plan as a BtrPlace reconfiguration plan (`origin` + timed
 * `actions`, numbers instead of ids).
 *
 * The CLI does the same: `switchyard import btrplace FILE -o instance.json`, then `switchyard
 * plan`, then `switchyard export btrplace PLAN --instance instance.json`.
 *
 * Run: `npm run build && node dist/examples/btrplace-import.js`.
 */
import assert from 'node:assert/strict';
import { importBtrPlace, exportBtrPlacePlan, planInstance, summarizePlan, validateInstance, verifyPlan } from 'switchyard';
import btrplace from './btrplace-tiny.json' with { type: 'json' };

// 1. Import: BtrPlace JSON → an exchange-format document, and notes on what was adapted.
const imported = importBtrPlace(btrplace);
if (!imported.ok) throw new Error(imported.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
for (const n of imported.value.notes) console.log(`  note (${n.kind}) ${n.path}: ${n.message}`);
assert.ok(!imported.value.notes.some((n) => n.kind === 'lossy'), 'every part of this model has an exact counterpart');
const valid = validateInstance(imported.value.instance);
if (!valid.ok) throw new Error(valid.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
const instance = valid.value;
assert.deepEqual([...instance.nodes.keys()], ['n0', 'n1', 'n2']);
assert.equal(instance.vms.get('vm5')?.state, 'waiting');

// 2. Plan it like any instance: n2 is evacuated and powered off, vm5 boots, vm0 and vm2 stay apart.
const plan = await planInstance(instance, { seed: 1, timeLimitMs: 2000 });
console.log(summarizePlan(plan, instance));
if (plan.status === 'infeasible') throw new Error(plan.reasons.map((r) => r.message).join('; '));
assert.equal(verifyPlan(instance, plan).ok, true);
assert.equal(plan.target.nodes['n2'], 'offline');
assert.notEqual(plan.target.vms['vm4']?.host, 'n2');
assert.equal(plan.target.vms['vm5']?.state, 'running');
assert.notEqual(plan.target.vms['vm0']?.host, plan.target.vms['vm2']?.host);

// 3. Export: the plan as BtrPlace's reconfiguration plan, VMs and nodes by their numbers again.
const exported = exportBtrPlacePlan(instance, plan);
if (!exported.ok) throw new Error(exported.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
const out = exported.value as { origin: { mapping: { onlineNodes: Record<string, unknown> } }; actions: { id: string; vm?: number; node?: number; start: number; end: number }[] };
assert.deepEqual(Object.keys(out.origin.mapping.onlineNodes).sort(), ['0', '1', '2']);
assert.equal(out.actions.length, plan.actions.length);
assert.ok(out.actions.some((a) => a.id === 'migrateVM' && a.vm === 4));
assert.ok(out.actions.some((a) => a.id === 'bootVM' && a.vm === 5));
assert.ok(out.actions.some((a) => a.id === 'shutdownNode' && a.node === 2));
for (const a of out.actions) assert.ok(Number.isInteger(a.start) && a.end >= a.start, 'BtrPlace counts whole seconds');
console.log(`btrplace: ${out.actions.map((a) => `${a.id}(${a.vm ?? a.node}) ${a.start}-${a.end}`).join(', ')}`);
