import type { VjobId, VmId } from '../model/ids.js';
import type { Instance } from '../model/instance.js';
import type { VjobCurrent } from './states.js';

/** A vjob the admission policy may run or not (its VMs share one fate). */
export interface VjobCandidate {
  readonly id: VjobId;
  /** Its VMs that follow the vjob's fate. */
  readonly vms: readonly VmId[];
  readonly priority: number;
  readonly submitted: number;
  readonly bestEffort: boolean;
  /** What its VMs do in the source: all running, all sleeping, all waiting, or a mix. */
  readonly current: VjobCurrent;
  /** Position of the vjob in the instance (declared vjobs first, then implicit ones in VM order). */
  readonly order: number;
}

/** What an {@link AdmissionPolicy} works with. */
export interface AdmissionContext {
  readonly instance: Instance;
  /**
   * The vjobs left to decide, in instance order. Vjobs that must run (`wants`/`running`) are
   * already admitted; vjobs that must not run (`sleeping`) are not offered.
   */
  readonly candidates: readonly VjobCandidate[];
  /**
   * Tries to run `vjob` (all its VMs) together with every vjob admitted so far, under every
   * constraint and capacity. Admits it and returns true when they fit; returns false and changes
   * nothing otherwise. Admission is final: an admitted vjob is never evicted by a later call.
   */
  tryRun(vjob: VjobId): boolean;
}

/**
 * An admission policy (the context switch policy): decides which optional vjobs run by calling
 * {@link AdmissionContext.tryRun} in the order it chooses. Vjobs it never admits do not run:
 * their running VMs are suspended, sleeping VMs stay asleep, waiting VMs keep waiting.
 *
 * @example
 * ```ts
 * // Strict first-come-first-served: stop at the first vjob that does not fit (no backfilling).
 * const fcfs: AdmissionPolicy = (ctx) => {
 *   const queue = [...ctx.candidates].sort((a, b) => a.submitted - b.submitted || a.order - b.order);
 *   for (const j of queue) if (!ctx.tryRun(j.id)) break;
 * };
 * ```
 */
export type AdmissionPolicy = (ctx: AdmissionContext) => void;

/**
 * The default admission order: non-best-effort vjobs before best-effort ones (best-effort vjobs
 * give way first), then higher `priority`, then earlier `submitted`, then vjobs already running
 * before the others (less churn), then instance order.
 * @param a - a candidate
 * @param b - another candidate
 * @returns negative when `a` is admitted before `b`
 */
export function compareCandidates(a: VjobCandidate, b: VjobCandidate): number {
  return (
    Number(a.bestEffort) - Number(b.bestEffort) ||
    b.priority - a.priority ||
    a.submitted - b.submitted ||
    Number(b.current === 'running') - Number(a.current === 'running') ||
    a.order - b.order
  );
}

/**
 * The default context switch policy (gang admission with backfilling): vjobs are considered in
 * {@link compareCandidates} order, and each one runs when all its VMs fit together with those
 * admitted before it. A running vjob that no longer fits is therefore suspended whole, and a
 * sleeping or waiting vjob resumes or starts as soon as it fits; a smaller vjob later in the
 * queue may run when a larger one before it does not fit.
 */
export const priorityPolicy: AdmissionPolicy = (ctx) => {
  const queue = [...ctx.candidates].sort(compareCandidates);
  for (const j of queue) ctx.tryRun(j.id);
};
