/**
 * Plays a {@link Workload}'s events into a controller, each at its time on the controller's
 * clock: arrivals are submitted, reservations booked when announced, failures and repairs
 * reported (after the world has been told: on a simulated executor the node dies or comes back;
 * on real guests the caller pulls the plug). Each event has a key (`event:<rank in the file>`)
 * that the controller journals, so a feeder restarted on the same journal gives no event twice.
 */
import type { NodeId } from '../../model/ids.js';
import type { Workload, WorkloadJob } from '../../model/workload.js';
import type { Controller, VjobSubmission } from './types.js';

/** What happens to the world itself on a workload's failure and repair events. */
export interface WorkloadWorld {
  /** The node dies (its guests with it). */
  failNode?(node: NodeId): void;
  /** The node is back, online and empty. */
  repairNode?(node: NodeId): void;
}

/** A workload's job as a controller submission. */
export function submissionOf(job: WorkloadJob): VjobSubmission {
  return {
    id: job.id,
    vms: job.vms.map((v) => ({ id: v.id, demand: v.demand })),
    work: job.work,
    ...(job.priority !== undefined ? { priority: job.priority } : {}),
    ...(job.bestEffort !== undefined ? { bestEffort: job.bestEffort } : {}),
  };
}

/**
 * Schedules every event of `workload` on `controller` (see the module comment); events already
 * delivered before a restart (their key is in the journal) are left out.
 * @param controller - the controller
 * @param workload - the workload
 * @param world - what to do to the world on failures and repairs
 * @returns how many events were scheduled
 * @example
 * ```ts
 * const sim = simulatedExecutor(workload.instance, { clock });
 * const controller = createController({ instance: workload.instance, executor: sim, clock, work: workload.work });
 * playWorkload(controller, workload, { failNode: (n) => sim.killNode(n), repairNode: (n) => sim.repairNode(n) });
 * const report = await controller.run({ untilIdle: true });
 * ```
 */
export function playWorkload(controller: Controller, workload: Workload, world: WorkloadWorld = {}): number {
  let scheduled = 0;
  workload.events.forEach((e, i) => {
    const key = `event:${i}`;
    if (controller.delivered(key)) return;
    scheduled++;
    switch (e.type) {
      case 'arrival':
        controller.schedule(e.time, () => controller.submit(submissionOf(e.job), { key }), 4);
        break;
      case 'reservation':
        controller.schedule(e.time, () => controller.reserve({ job: submissionOf(e.job), time: e.time, start: e.start, end: e.end, nodes: e.nodes }, { key }), 3);
        break;
      case 'failure':
        controller.schedule(
          e.time,
          () => {
            world.failNode?.(e.node);
            controller.nodeFailed(e.node, { key });
          },
          0,
        );
        break;
      case 'repair':
        controller.schedule(
          e.time,
          () => {
            world.repairNode?.(e.node);
            controller.nodeRepaired(e.node, { key });
          },
          1,
        );
        break;
    }
  });
  return scheduled;
}
