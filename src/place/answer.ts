/**
 * Turning dense assignments into {@link PlacementResult}s, checked against the instance by the
 * core checkers before they are returned.
 */
import { checkConfiguration } from '../constraints/check.js';
import type { Violation } from '../constraints/spec.js';
import { SwitchyardError } from '../errors.js';
import type { Configuration } from '../model/configuration.js';
import { VM_STATE_CODE, type IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';
import type { PlacementFound, PlacementInfeasible, StopReason } from './types.js';
import type { InfeasibleReason } from '../model/action.js';
import type { EncodeConflict } from '../solvers/encode.js';
import { onlyUnaryRules } from '../solvers/aggregate.js';
import { fitsEveryNode } from '../solvers/search/bestfit.js';
import { assignmentStats, toConfiguration, type DenseProblem, type ProblemConflict } from '../problem/dense.js';

/** Figures that go with an answer besides the assignment. */
export interface AnswerFacts {
  readonly proved: boolean;
  readonly lowerBound: number;
  readonly migrationLowerBound?: number;
  readonly solver: string;
  /** Why the search ended when the answer is not proved (a proved answer's reason is `proved`). */
  readonly stop: Exclude<StopReason, 'proved'>;
  /** The caller has just checked this very assignment with the core checkers (skip a second pass). */
  readonly verified?: boolean;
}

/** {@link checkedAnswer}'s verdict: the answer, or the rules the assignment breaks. */
export type AnswerCheck = { readonly ok: true; readonly answer: PlacementFound } | { readonly ok: false; readonly violations: readonly Violation[] };

/**
 * Builds the answer for an assignment after checking its configuration with the core checkers:
 * the one answer builder of every placement method.
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @param p - the dense problem (its target states name the VMs that do not run)
 * @param assign - node per VM (-1 when not running)
 * @param facts - proof status, bounds and solver name
 * @returns the answer, or the violations when the checkers reject it
 */
export function checkedAnswer(instance: Instance, ix: IndexedInstance, p: DenseProblem, assign: Int32Array, facts: AnswerFacts): AnswerCheck {
  const target = toConfiguration(ix, p, assign);
  const violations = facts.verified ? [] : checkConfiguration(instance, target, ix);
  if (violations.length > 0) return { ok: false, violations };
  const stats = assignmentStats(p, assign);
  const lowerBound = Math.min(facts.lowerBound, stats.nodesUsed);
  // Bounds from a backend carry float noise: one within a millionth of the answer is the answer.
  let migrationLowerBound = facts.migrationLowerBound === undefined ? undefined : Math.min(facts.migrationLowerBound, stats.migratedMemory);
  if (migrationLowerBound !== undefined && stats.migratedMemory - migrationLowerBound <= 1e-6 * Math.max(1, stats.migratedMemory)) {
    migrationLowerBound = stats.migratedMemory;
  }
  return {
    ok: true,
    answer: {
      status: facts.proved ? 'optimal' : 'feasible',
      target,
      nodesUsed: stats.nodesUsed,
      lowerBound,
      migratedMemory: stats.migratedMemory,
      ...(migrationLowerBound === undefined ? {} : { migrationLowerBound: Math.max(0, migrationLowerBound) }),
      solver: facts.solver,
      checked: true,
      stop: facts.proved ? 'proved' : facts.stop,
    },
  };
}

/**
 * {@link checkedAnswer} for methods whose assignments are valid by construction: a rejected
 * assignment is a solver bug.
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @param p - the dense problem
 * @param assign - node per VM (-1 when not running)
 * @param facts - proof status, bounds and solver name
 * @returns the answer
 * @throws SwitchyardError `internal` when the configuration breaks the instance (a solver bug)
 */
export function answerOf(instance: Instance, ix: IndexedInstance, p: DenseProblem, assign: Int32Array, facts: AnswerFacts): PlacementFound {
  const r = checkedAnswer(instance, ix, p, assign, facts);
  if (r.ok) return r.answer;
  throw new SwitchyardError(
    'internal',
    r.violations.slice(0, 10).map((v) => ({ path: '$', message: `${facts.solver} produced an invalid target: ${v.message}` })),
  );
}

/**
 * Checks an assignment with the core checkers.
 * @param instance - the instance
 * @param ix - its dense index
 * @param p - the problem
 * @param assign - node per VM
 * @returns the violations of the configuration it describes
 */
export function violationsOf(instance: Instance, ix: IndexedInstance, p: DenseProblem, assign: Int32Array): Violation[] {
  return checkConfiguration(instance, toConfiguration(ix, p, assign), ix);
}

/**
 * Whether an assignment places every VM that runs in the target and passes the checks: the
 * dense check when the problem has capacity and per-VM rules only (the answer built from it is
 * checked in full at the end), else the core checkers.
 * @param instance - the instance
 * @param ix - its dense index
 * @param p - the problem
 * @param assign - node per VM, or undefined
 * @returns true when `assign` is a valid placement
 */
export function isValidAssignment(instance: Instance, ix: IndexedInstance, p: DenseProblem, assign: Int32Array | undefined): assign is Int32Array {
  if (assign === undefined) return false;
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === VM_STATE_CODE.running && assign[v]! < 0) return false;
  if (onlyUnaryRules(p)) return fitsEveryNode(p, assign);
  return violationsOf(instance, ix, p, assign).length === 0;
}

/**
 * An infeasible answer with its stop reason: one that names none (the decide stage's, for one)
 * gets `proved` when its infeasibility is proved, else `exhausted` (a search budget ran out).
 * @param r - the answer
 * @returns the answer with `stop` set
 * @example
 * ```ts
 * withStop({ status: 'infeasible', reasons: [], solver: 'decide' }).stop; // 'proved'
 * ```
 */
export function withStop(r: PlacementInfeasible): PlacementInfeasible {
  return r.stop !== undefined ? r : { ...r, stop: r.unproved ? 'exhausted' : 'proved' };
}

/**
 * The infeasible answer for conflicts found by the encoder.
 * @param ix - the dense index (names VMs and nodes)
 * @param conflicts - the conflicts
 * @param solver - solver name
 * @param lowerBound - node lower bound, when known
 * @returns the answer
 */
export function infeasibleOf(ix: IndexedInstance, conflicts: readonly (EncodeConflict | ProblemConflict)[], solver: string, lowerBound?: number): PlacementInfeasible {
  const reasons: InfeasibleReason[] = conflicts.map((c) => {
    const vms = c.vms.map((v) => ix.vmIds[v]!);
    const nodes = c.nodes.map((n) => ix.nodeIds[n]!);
    const who = [vms.length ? `VMs ${vms.slice(0, 8).join(', ')}${vms.length > 8 ? ', ...' : ''}` : '', nodes.length ? `nodes ${nodes.slice(0, 8).join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    return {
      message: `${c.constraint === undefined ? '' : `constraint #${c.constraint}: `}${c.message}${who ? ` (${who})` : ''}`,
      ...(vms.length ? { vms } : {}),
      ...(nodes.length ? { nodes } : {}),
      ...(c.constraint === undefined ? {} : { constraints: [c.constraint] }),
    };
  });
  return { status: 'infeasible', reasons, solver, ...(lowerBound === undefined || !Number.isFinite(lowerBound) ? {} : { lowerBound }), stop: 'proved' };
}

/**
 * Target states ({@link VM_STATE_CODE}) read from a configuration, falling back to `fallback`
 * for VMs it does not list.
 * @param ix - the dense index
 * @param configuration - e.g. a heuristic's target
 * @param fallback - states to use for unlisted VMs
 * @returns state code per VM
 */
export function statesOf(ix: IndexedInstance, configuration: Configuration, fallback: Uint8Array): Uint8Array {
  const out = Uint8Array.from(fallback);
  for (let v = 0; v < ix.vmIds.length; v++) {
    const s = configuration.stateOf(ix.vmIds[v]!);
    if (s !== undefined) out[v] = VM_STATE_CODE[s];
  }
  return out;
}
