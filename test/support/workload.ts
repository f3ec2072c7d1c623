/**
 * Workloads for the tests of `switchyard run`: a generated workload with its clock shortened.
 */
import type { Workload, WorkloadEvent } from '../../src/model/workload.js';

/**
 * The workload with its clock shortened: event times, work, reservation windows, lead and
 * tolerance divided by `k` (whole seconds, work at least 1 s).
 * @param w - the workload
 * @param k - the factor (> 1 shortens)
 * @returns the shortened workload
 * @example
 * ```ts
 * const w = shrink(generateWorkload('besteffort', { nodes: 8, vms: 40, seed: 1 }), 10);
 * ```
 */
export function shrink(w: Workload, k: number): Workload {
  const t = (x: number): number => Math.round(x / k);
  const events = w.events.map((e): WorkloadEvent => {
    switch (e.type) {
      case 'arrival':
        return { ...e, time: t(e.time), job: { ...e.job, work: Math.max(1, t(e.job.work)) } };
      case 'reservation': {
        const start = Math.max(t(e.time), t(e.start));
        const end = Math.max(start + 1, t(e.end));
        return { ...e, time: t(e.time), start, end, job: { ...e.job, work: end - start } };
      }
      default:
        return { ...e, time: t(e.time) };
    }
  });
  return { ...w, events, lead: t(w.lead ?? 120), tolerance: Math.max(1, t(w.tolerance ?? 60)) };
}
