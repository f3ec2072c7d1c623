/**
 * A small cluster manager built on the controller: Entropy's loop without writing it. The manager
 * only forwards what happens — users submit vjobs, an operator drains a node for maintenance, a
 * node dies — and listens to the controller's events; the controller decides which vjobs run,
 * plans each context switch, carries it out through the executor and keeps its books.
 *
 * Here the cluster is the simulated executor on a virtual clock (hours pass in milliseconds); a
 * real manager passes `libvirtExecutor(...)` or its own executor, `systemClock()` and a journal
 * (`openJournal(path)`), and the same code keeps a real cluster in its target. See
 * docs/controller.md.
 *
 * Run: `npm run build && node dist/examples/controller-manager.js`.
 */
import assert from 'node:assert/strict';
import { createController, makeInstance, simulatedExecutor, switchPolicy, VirtualClock, type ControllerEvent } from 'switchyard';

const GiB = 1024;
const cluster = makeInstance({
  nodes: ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((id) => ({ id, capacity: { cpu: 16, memory: 64 * GiB } })),
  vms: [],
  objective: { type: 'consolidate' },
});

const clock = new VirtualClock();
const executor = simulatedExecutor(cluster, { clock });
const log: string[] = [];
const onEvent = (e: ControllerEvent): void => {
  const t = `${e.time.toFixed(0).padStart(5)} s`;
  if (e.type === 'submitted' || e.type === 'finished' || e.type === 'cancelled') log.push(`${t} ${e.type} ${e.vjob}`);
  else if (e.type === 'actionEnded' && e.status === 'succeeded') log.push(`${t} ${e.action.type} ${'vm' in e.action ? e.action.vm : e.action.node}`);
  else if (e.type === 'nodeFailed') log.push(`${t} node ${e.node} failed, lost: ${e.lostVjobs.join(', ') || 'nothing'}`);
  else if (e.type === 'replan') log.push(`${t} re-plan: ${e.reason}`);
};
const controller = createController({ instance: cluster, executor, clock, policy: switchPolicy({ checkpointPeriod: 600 }), onEvent });

// What the manager hears from its users and operators, forwarded as it comes.
const job = (id: string, vms: number, cpu: number, work: number, extra: { priority?: number; bestEffort?: boolean } = {}) => ({
  id,
  vms: Array.from({ length: vms }, (_, i) => ({ id: `${id}.${i}`, demand: { cpu, memory: cpu * 4 * GiB } })),
  work,
  ...extra,
});
controller.submit(job('batch', 6, 8, 3600, { bestEffort: true }));
controller.submit(job('web', 2, 4, 7200, { priority: 5 }));
controller.schedule(600, () => controller.submit(job('urgent', 3, 16, 1200, { priority: 10 })));
controller.schedule(900, () => controller.drain('n6'));
controller.schedule(2400, () => {
  // The node really dies (on the simulator we pull its plug), and the manager says so.
  executor.killNode('n2');
  controller.nodeFailed('n2');
});

const report = await controller.run({ untilIdle: true });
console.log(log.join('\n'));
console.log(`lost ${report.metrics.lostComputeSeconds.toFixed(0)} VM-s, ${report.metrics.suspends} suspends, ${report.metrics.migrations} migrations`);

// Every vjob ran its work, the urgent one preempting the best-effort batch rather than killing it.
for (const id of ['batch', 'web', 'urgent']) assert.ok(report.jobs.find((j) => j.id === id)?.finished !== undefined, `${id} finished`);
assert.ok(report.metrics.suspends > 0, 'the best-effort batch was suspended for the urgent vjob');
assert.equal(report.metrics.x.kills, 0);
// The failure cost at most the work since the batch's last checkpoint (600 s × its 6 VMs).
assert.ok(report.metrics.lostComputeSeconds <= 600 * 6);
// The drained node stayed empty after its drain, and every VM is in one known place: done.
assert.deepEqual(executor.configuration.runningOn('n6'), []);
for (const [vm, p] of executor.configuration.vms) assert.equal(p.state, 'terminated', vm);
