import { DEFAULT_SEED, DEFAULT_TIME_LIMIT_MS } from './model/defaults.js';
import { performance } from 'node:perf_hooks';
import { SwitchyardError } from './errors.js';
import type { Instance } from './model/instance.js';
import { defaultSolver } from './place/default.js';
import type { PlacementResult, PlacementSolver } from './place/types.js';
import type { ProgressCallback } from './progress.js';
import { decide, DECIDE_SHARE } from './decide/decide.js';
import { priorityPolicy, type AdmissionPolicy } from './decide/policy.js';
import type { AdmissionBudget } from './decide/admit.js';
import { assemblePlan, buildPlan, type PlannerOptions } from './plan/planner.js';
import type { FeasiblePlan, Plan, PlanPhases } from './plan/types.js';
import { verifyPlan } from './plan/verify.js';

/** Options of {@link planInstance}; every field optional, validated and defaulted here. */
export interface PlanInstanceOptions {
  /** Seed of every random choice (default 1): same instance and seed, same plan. */
  readonly seed?: number;
  /**
   * Budget of the whole call in milliseconds (default 10,000), counted from `startedAt`: decide,
   * place, plan and verify end within it. The placement search gets what is left once the
   * planner's and the verifier's expected share ({@link afterPlacementMs}) is set aside; a
   * placement always returns its first answer, so an instance read with no time left still gets
   * a plan, as soon as it can.
   */
  readonly timeLimitMs?: number;
  /**
   * The clock reading (`now()`) at which the budget started (default: when `planInstance` is
   * called). A caller that read and validated the instance first passes the time it started
   * reading, so that `timeLimitMs` bounds the read too.
   */
  readonly startedAt?: number;
  /** Clock in milliseconds (default `performance.now`), injected for tests. */
  readonly now?: () => number;
  /**
   * The context switch policy of the decide stage (default {@link priorityPolicy}: gang
   * admission, non-best-effort vjobs before best-effort ones, then higher priority, then earlier
   * submission; a running vjob that no longer fits is suspended). Every solver obeys it.
   */
  readonly policy?: AdmissionPolicy;
  /** Limits of the decide stage's fit tests (default: `DEFAULT_ADMISSION_BUDGET` of decide/admit, field by field). */
  readonly admission?: Partial<AdmissionBudget>;
  /** Placement method (default: {@link defaultSolver}: heuristic, search, then LNS with exact MIP neighbourhoods). */
  readonly solver?: PlacementSolver;
  /** Planner options (duration model, limits). */
  readonly planner?: PlannerOptions;
  /** Replay the plan through {@link verifyPlan} before returning it (default true). */
  readonly verify?: boolean;
  /** Told of each phase (place and its steps, plan, verify) and of better answers; must not throw. */
  readonly onProgress?: ProgressCallback;
}

interface ResolvedOptions {
  readonly seed: number;
  readonly timeLimitMs: number;
  readonly startedAt: number | undefined;
  readonly now: () => number;
  readonly solver: PlacementSolver | undefined;
  readonly policy: AdmissionPolicy;
  readonly admission: Partial<AdmissionBudget> | undefined;
  readonly planner: PlannerOptions;
  readonly verify: boolean;
  readonly onProgress: ProgressCallback | undefined;
}

function resolveOptions(o: PlanInstanceOptions): ResolvedOptions {
  const issues = [];
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) issues.push({ path: 'seed', message: `must be an integer, got ${o.seed}` });
  if (o.timeLimitMs !== undefined && !(o.timeLimitMs > 0 && Number.isFinite(o.timeLimitMs))) {
    issues.push({ path: 'timeLimitMs', message: `must be a positive number of milliseconds, got ${o.timeLimitMs}` });
  }
  if (o.startedAt !== undefined && !Number.isFinite(o.startedAt)) issues.push({ path: 'startedAt', message: `must be a clock reading, got ${o.startedAt}` });
  if (o.policy !== undefined && typeof o.policy !== 'function') issues.push({ path: 'policy', message: 'must be a function (an AdmissionPolicy)' });
  if (issues.length > 0) throw new SwitchyardError('invalid-options', issues);
  return {
    seed: o.seed ?? DEFAULT_SEED,
    timeLimitMs: o.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
    startedAt: o.startedAt,
    now: o.now ?? (() => performance.now()),
    solver: o.solver,
    policy: o.policy ?? priorityPolicy,
    admission: o.admission,
    planner: o.planner ?? {},
    verify: o.verify ?? true,
    onProgress: o.onProgress,
  };
}

/**
 * The whole context switch: decide and place (target configuration), then plan the timed
 * actions that reach it, then verify the plan by replay. Returns the exchange-format plan; an
 * instance with no solution gives a plan with `status: "infeasible"` and its `reasons`.
 *
 * @param instance - a validated instance
 * @param options - seed, time limit, admission policy, solver, planner options
 * @returns the plan (never one that fails verification)
 * @throws SwitchyardError `invalid-options` for bad options; `internal` if a computed plan failed
 *   its own verification (a bug: please report it)
 * @example
 * ```ts
 * const plan = await planInstance(instance, { seed: 1, timeLimitMs: 5000 });
 * if (plan.status !== 'infeasible') console.log(plan.stats.makespan);
 * ```
 */
export async function planInstance(instance: Instance, options: PlanInstanceOptions = {}): Promise<Plan> {
  const o = resolveOptions(options);
  const t0 = o.now();
  const deadline = (o.startedAt ?? t0) + o.timeLimitMs;
  const left = (): number => deadline - o.now();
  const report = o.onProgress;
  report?.({ phase: 'decide', timeLeftMs: Math.max(0, left()) });
  const after = afterPlacementMs(instance);
  const decision = decide(instance, {
    policy: o.policy,
    seed: o.seed,
    now: o.now,
    timeLimitMs: Math.max(1, (left() - after) * DECIDE_SHARE),
    ...(o.admission ? { admission: o.admission } : {}),
  });
  const tDecided = o.now();
  report?.({ phase: 'place', timeLeftMs: Math.max(0, left()) });
  const placed: PlacementResult =
    decision.status === 'infeasible' && decision.retry === undefined
      ? decision
      : await (o.solver ?? defaultSolver()).solve(instance, {
          seed: o.seed,
          timeLimitMs: Math.max(1, left() - after),
          now: o.now,
          ...(decision.status === 'decided' ? { decision } : {}),
          ...(report ? { onProgress: report } : {}),
        });
  const t1 = o.now();
  const phases = { ...(o.startedAt === undefined ? {} : { read: ms(t0 - o.startedAt) }), decide: ms(tDecided - t0), place: ms(t1 - tDecided) };
  if (placed.status !== 'infeasible') {
    report?.({ phase: 'plan', best: { nodes: placed.nodesUsed, migratedMemory: placed.migratedMemory, status: placed.status }, bound: placed.lowerBound, timeLeftMs: Math.max(0, left()) });
  }
  const solveMs = ms(t1 - t0);
  if (placed.status === 'infeasible') {
    // `x.unproved`: no placement was found, but none was proved impossible (a budget ran out).
    return { version: 1, status: 'infeasible', actions: [], reasons: placed.reasons, stats: { solveMs, phases, ...(placed.stop === undefined ? {} : { stop: placed.stop }) }, ...(placed.unproved ? { x: { unproved: true } } : {}) };
  }
  // The plan is verified below, so the planner need not re-check the target first.
  const planned = buildPlan(instance, placed.target, { validateTarget: !o.verify, ...o.planner });
  const t2 = o.now();
  const planMs = ms(t2 - t1);
  if (planned.status !== 'planned') {
    return { version: 1, status: 'infeasible', actions: [], reasons: planned.reasons, stats: { solveMs, planMs, phases: { ...phases, plan: planMs } } };
  }
  const assembled = assemblePlan(planned, { status: placed.status, lowerBound: placed.lowerBound, solveMs, planMs });
  const plan: FeasiblePlan = {
    ...assembled,
    stats: {
      ...assembled.stats,
      x: {
        ...assembled.stats.x,
        solver: placed.solver,
        ...(placed.migrationLowerBound === undefined ? {} : { migrationLowerBound: placed.migrationLowerBound }),
      },
      // Why the placement returned when it did (docs/format.md, `stats.stop`).
      ...(placed.stop === undefined ? {} : { stop: placed.stop }),
    },
  };
  if (!o.verify) return withPhases(plan, { ...phases, plan: planMs });
  report?.({ phase: 'verify', timeLeftMs: Math.max(0, left()) });
  const v = verifyPlan(instance, plan);
  if (!v.ok) {
    throw new SwitchyardError(
      'internal',
      v.violations.map((x) => ({ path: x.action === undefined ? 'plan' : `actions[id=${x.action}]`, message: `${x.code}: ${x.message}` })),
    );
  }
  return withPhases(plan, { ...phases, plan: planMs, verify: ms(o.now() - t2) });
}

/** Whole milliseconds of a span of the clock. */
function ms(span: number): number {
  return Math.max(0, Math.round(span));
}

/** The plan with its phase times in `stats.phases` (added after verification: they change no meaning). */
function withPhases(plan: FeasiblePlan, phases: PlanPhases): FeasiblePlan {
  const { x, ...stats } = plan.stats;
  return { ...plan, stats: { ...stats, phases, ...(x === undefined ? {} : { x }) } };
}

/** Milliseconds per VM and per constraint member that planning and verifying a plan are expected to take (measured with room to spare; bench/README.md, "Phases"). */
const AFTER_MS_PER_ITEM = 0.02;

/**
 * The time that planning and verifying are expected to take once the placement has answered,
 * set aside from the whole-call budget of {@link planInstance}: proportional to the VMs, nodes
 * and constraint members of the instance (a few milliseconds for small instances, about a
 * second at 50,000 VMs).
 * @param instance - the instance
 * @returns milliseconds
 */
export function afterPlacementMs(instance: Instance): number {
  let members = 0;
  for (const c of instance.constraints) members += 'vms' in c ? c.vms.length : 1;
  return AFTER_MS_PER_ITEM * (instance.vms.size + instance.nodes.size + members);
}
