/**
 * The engine carrier: a {@link PlanCarrier} that carries each plan out for real, through the
 * execution engine ({@link executePlan}) driving a {@link SimulatedExecutor} on its own
 * {@link VirtualClock}. Each action starts when the actions it waits for (`after`) have ended and
 * the migration limits allow, and takes the duration model's time (times seeded noise, when
 * asked); the simulator is told each action's real start and end. Actions that failed, were
 * cancelled or skipped (only with injected faults) are left out: they did not happen.
 *
 * Deterministic: the virtual clock only moves when every promise has settled, the noise and the
 * faults are seeded by the carrier's seed and the rank of the plan; no wall clock is read.
 */
import type { Instance } from '../../model/instance.js';
import type { DurationModel } from '../../plan/durations.js';
import type { FeasiblePlan } from '../../plan/types.js';
import { VirtualClock } from '../clock.js';
import { executePlan } from '../engine.js';
import { simulatedExecutor } from '../simulated.js';
import type { CarriedAction, PlanCarrier } from './types.js';

/**
 * The trivial {@link PlanCarrier}: every action runs exactly when the plan says.
 * @param _instance - the instance the plan was made for
 * @param plan - the plan
 * @returns its actions with their own start and end
 * @example
 * ```ts
 * const carried = replayPlanTiming(instance, plan);
 * ```
 */
export function replayPlanTiming(_instance: Instance, plan: FeasiblePlan): readonly CarriedAction[] {
  return plan.actions.map((action) => ({ action, start: action.start, end: action.end }));
}

/** Options of {@link engineCarrier}; all optional. */
export interface EngineCarrierOptions {
  /** Relative noise on durations: each takes model × (1 + noise × u), u uniform in [−1, 1] (default 0). */
  readonly noise?: number;
  /** Seed of the noise and faults (default 1); plan k of a run uses a seed derived from it and k. */
  readonly seed?: number;
  /** The executor's duration model (default: the instance's, the one the planner used). */
  readonly durationModel?: DurationModel;
  /** Probability that an attempt of an action fails part-way, not retryable (default 0). */
  readonly failureRate?: number;
  /** Probability that an attempt fails with a retryable error (retried by the engine; default 0). */
  readonly transientRate?: number;
}

/**
 * A {@link PlanCarrier} that runs every plan through {@link executePlan} with the simulated
 * executor on a virtual clock (see the module comment). It counts the plans it carried to seed
 * each one differently: use a fresh carrier per simulation run to keep runs reproducible.
 * @param options - noise, seed, duration model, fault rates
 * @returns the carrier
 * @example
 * ```ts
 * const r = await simulateWorkload(workload, switchPolicy(), { carrier: engineCarrier({ noise: 0.2, seed: 7 }) });
 * ```
 */
export function engineCarrier(options: EngineCarrierOptions = {}): PlanCarrier {
  const seed = options.seed ?? 1;
  let rank = 0;
  return async (instance: Instance, plan: FeasiblePlan): Promise<readonly CarriedAction[]> => {
    rank++;
    if (plan.actions.length === 0) return [];
    const clock = new VirtualClock();
    const executor = simulatedExecutor(instance, {
      clock,
      seed: (Math.imul(seed, 0x9e3779b1) + rank) | 0,
      ...(options.noise !== undefined ? { noise: options.noise } : {}),
      ...(options.durationModel !== undefined ? { durationModel: options.durationModel } : {}),
      ...(options.failureRate !== undefined ? { failureRate: options.failureRate } : {}),
      ...(options.transientRate !== undefined ? { transientRate: options.transientRate } : {}),
    });
    try {
      const report = await executePlan(instance, plan, executor, {
        clock,
        ...(options.durationModel !== undefined ? { durationModel: options.durationModel } : {}),
      });
      const out: CarriedAction[] = [];
      for (const a of report.actions) {
        if (a.status !== 'succeeded' || a.startedAt === undefined || a.endedAt === undefined) continue;
        out.push({ action: a.action, start: a.startedAt, end: a.endedAt });
      }
      return out;
    } finally {
      await executor.cleanup();
    }
  };
}
