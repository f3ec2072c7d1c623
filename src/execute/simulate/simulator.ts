/**
 * The simulator: plays a {@link Workload} in virtual time under a policy. It is the controller
 * ({@link createController}) on the simulated executor and a virtual clock: one loop for a live
 * cluster and for a simulation, two clocks.
 *
 * Semantics (docs/format.md, "Workload over time", "Simulation semantics"): those of the
 * controller's ledger (work, kills, losses, checkpoints, claims) and loop (a decision at every
 * event once the actions in flight have ended; an event stops the launching of the current plan,
 * the actions in flight run to their end). Each plan is carried out by the execution engine on
 * the simulated executor: an action starts once the actions it waits for have ended and the
 * migration limits allow, and takes the duration model's time (times seeded noise, when asked).
 * A node failure strikes at its time: the actions in flight on the node fail, the vjobs with a VM
 * on it are lost.
 *
 * Deterministic: no wall clock, no I/O; the same workload, policy and seed give the same result.
 */
import { VirtualClock } from '../clock.js';
import { createController } from '../controller/controller.js';
import { playWorkload } from '../controller/feed.js';
import type { ControllerEvent } from '../controller/types.js';
import { simulatedExecutor } from '../simulated.js';
import { DEFAULT_LEAD, DEFAULT_TOLERANCE, type Workload } from '../../model/workload.js';
import type { DurationModel } from '../../plan/durations.js';
import type { SimPolicy, SimStep, SimulationResult } from './types.js';

/** Options of {@link simulateWorkload}. */
export interface SimulateOptions {
  /** Seed of the decisions and of the executor's noise and faults (default 1). */
  readonly seed?: number;
  /** Relative noise on durations: each takes model × (1 + noise × u), u uniform in [−1, 1] (default 0). */
  readonly noise?: number;
  /** The executor's duration model (default: the instance's, the one the planner uses). */
  readonly durationModel?: DurationModel;
  /** Probability that an attempt of an action fails part-way, not retryable (default 0). */
  readonly failureRate?: number;
  /** Probability that an attempt fails with a retryable error (retried by the engine; default 0). */
  readonly transientRate?: number;
  /** Called with every decision (instance and plan), e.g. to verify each plan. */
  readonly onStep?: (step: SimStep) => void;
  /** Called with every controller event (actions started and ended, decisions, losses). */
  readonly onEvent?: (event: ControllerEvent) => void;
  /** Record the occupancy of every node (default false). */
  readonly trace?: boolean;
  /** At most this many decisions (default 100,000): a guard against a policy that never settles. */
  readonly maxDecisions?: number;
}

/**
 * Simulates `workload` under `policy` (see the module comment for the semantics).
 *
 * @param workload - the workload
 * @param policy - the policy asked for a plan at every event
 * @param options - seed, noise, duration model, faults, hooks
 * @returns the metrics and per-vjob outcomes (and the occupancy trace when asked)
 * @throws SwitchyardError `invalid-argument` when the policy plans for another configuration
 *   than the simulated one (a bug of the policy)
 * @example
 * ```ts
 * const r = await simulateWorkload(besteffortWorkload({ nodes: 16, vms: 64, seed: 1 }), switchPolicy());
 * console.log(r.metrics.lostComputeSeconds, r.metrics.reservationsLate);
 * ```
 */
export async function simulateWorkload(workload: Workload, policy: SimPolicy, options: SimulateOptions = {}): Promise<SimulationResult> {
  const seed = options.seed ?? 1;
  const clock = new VirtualClock();
  const executor = simulatedExecutor(workload.instance, {
    clock,
    seed: Math.imul(seed, 0x9e3779b1) | 0,
    ...(options.noise !== undefined ? { noise: options.noise } : {}),
    ...(options.durationModel !== undefined ? { durationModel: options.durationModel } : {}),
    ...(options.failureRate !== undefined ? { failureRate: options.failureRate } : {}),
    ...(options.transientRate !== undefined ? { transientRate: options.transientRate } : {}),
  });
  const controller = createController({
    instance: workload.instance,
    executor,
    policy,
    clock,
    seed,
    lead: workload.lead ?? DEFAULT_LEAD,
    tolerance: workload.tolerance ?? DEFAULT_TOLERANCE,
    work: workload.work,
    ...(workload.horizon !== undefined ? { horizon: workload.horizon } : {}),
    ...(options.maxDecisions !== undefined ? { maxDecisions: options.maxDecisions } : {}),
    ...(options.trace ? { trace: true } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  playWorkload(controller, workload, { failNode: (n) => executor.killNode(n), repairNode: (n) => executor.repairNode(n) });
  try {
    const r = await controller.run({ untilIdle: true });
    return { policy: r.policy, metrics: r.metrics, jobs: r.jobs, ...(r.trace ? { trace: r.trace } : {}) };
  } finally {
    await executor.cleanup();
  }
}
