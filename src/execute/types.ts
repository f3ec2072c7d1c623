/**
 * The executor contract: what the engine ({@link Executor} users) needs from the infrastructure
 * that carries out one action at a time. An executor is small on purpose: `execute` one action,
 * optionally `check` it first, `observe` the real configuration, and `cleanup` idempotently.
 *
 * Every executor is declared with `satisfies Executor` so the compiler checks it, and the one
 * contract suite in `test/execute/contract.ts` runs against each of them.
 */
import type { Configuration } from '../model/configuration.js';
import type { JsonObject, NodeId, VmId } from '../model/ids.js';
import type { Clock } from './clock.js';
import type { Action } from '../model/action.js';
import type { VmDurations } from '../model/vm.js';

/**
 * Why an action did not succeed, as a literal code to branch on:
 * - `precheck`: the world is not as the plan thinks (VM elsewhere, node offline); nothing was done;
 * - `failed`: the infrastructure refused or broke during the action;
 * - `timeout`: the action did not end within its time budget (the engine aborted it);
 * - `node-lost`: a node involved died during the action;
 * - `cancelled`: the caller's signal aborted the action;
 * - `unsupported`: this executor cannot carry out this kind of action.
 */
export type ExecutorErrorCode = 'precheck' | 'failed' | 'timeout' | 'node-lost' | 'cancelled' | 'unsupported';

/** A failed step, as reported by an executor: never thrown across the engine, always returned. */
export interface ExecutorError {
  readonly code: ExecutorErrorCode;
  /** A sentence naming the VM, node and command at fault. */
  readonly message: string;
  /** True when running the same action again is safe and may succeed (nothing was half done). */
  readonly retryable: boolean;
  readonly x?: JsonObject;
}

/** The outcome of one call of {@link Executor.execute} or {@link Executor.check}. */
export type StepOutcome = { readonly ok: true } | { readonly ok: false; readonly error: ExecutorError };

/**
 * The outcome of {@link Executor.checkpoint}: where the image was written (a node other than the
 * VM's host, or the node that stands for an image store), or why not.
 */
export type CheckpointOutcome =
  | { readonly ok: true; readonly image: NodeId }
  | { readonly ok: false; readonly error: ExecutorError };

/** A VM handed to {@link Executor.define}: its id, its demand per resource, its own action durations. */
export interface VmDefinition {
  readonly id: VmId;
  /** Resource demand (`cpu`, `memory`, ...). */
  readonly demand: Readonly<Record<string, number>>;
  /** Its own action durations (docs/format.md, `vms[].durations`). */
  readonly durations?: VmDurations;
}

/** What the engine passes to each call. */
export interface StepContext {
  /** Aborted when the action's timeout passes or the caller cancels the whole run. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** Seconds the duration model expects the action to take. */
  readonly expectedSeconds: number;
}

/**
 * Carries out plan actions on some infrastructure (a simulation, QEMU processes, libvirt daemons).
 *
 * Rules every implementation follows (checked by the contract suite):
 * - `execute` resolves, it never rejects: failures are a {@link StepOutcome} with an error;
 * - an action that reports `ok: true` has had its full effect on what `observe` returns;
 * - an action that fails leaves its VM in one known place (its source, or its destination when
 *   the switch-over happened), which `observe` then reports;
 * - `observe` lists every VM the executor knows of (a VM it cannot find anywhere is absent: lost)
 *   and every node with its state (a dead node is `offline`);
 * - `cleanup` may be called any number of times, also after a failure.
 */
export interface Executor {
  /** A short name for reports: `simulated`, `qemu`, `libvirt`, ... */
  readonly name: string;
  /** Optional pre-check: is the VM where the plan thinks, is the node online? Does nothing. */
  check?(action: Action, context: StepContext): Promise<StepOutcome>;
  /** Carries out one action; resolves when it has ended (or failed). */
  execute(action: Action, context: StepContext): Promise<StepOutcome>;
  /** The actual configuration now: VM states and hosts, node states. */
  observe(): Promise<Configuration>;
  /** Releases what the executor holds (processes, sockets, files). Idempotent. */
  cleanup?(): Promise<void>;
  /**
   * Optional: snapshots a running VM to an image away from its host while it keeps running. When
   * the host is lost later, `observe` reports the VM `sleeping` on that image's node (so the next
   * plan resumes it there) instead of losing it.
   */
  checkpoint?(vm: VmId, context: StepContext): Promise<CheckpointOutcome>;
  /**
   * Optional: makes a VM known to the executor, `waiting`, with its demand and its own durations;
   * idempotent (a VM that waits already stays as it is). A VM the controller submits is defined
   * before its boot (a boot of a VM the executor does not know is a `precheck` error), and
   * defined again when it was lost or shut down, before it is booted anew. A running VM cannot be
   * defined (`precheck`).
   */
  define?(vm: VmDefinition): Promise<StepOutcome>;
  /**
   * Optional: the clock the executor's actions take time on. A simulation exposes its virtual
   * clock here, and the engine then measures timeouts and back-off on it.
   */
  readonly clock?: Clock;
}

/**
 * Builds an {@link ExecutorError}.
 * @param code - what kind of failure
 * @param message - a sentence naming the VM, node and command at fault
 * @param retryable - whether the same action may safely be tried again
 * @returns the outcome carrying that error
 * @example
 * ```ts
 * return stepFailed('precheck', `vm "a" is on n2, not on n1`, false);
 * ```
 */
export function stepFailed(code: ExecutorErrorCode, message: string, retryable = false): StepOutcome {
  return { ok: false, error: { code, message, retryable } };
}

/** The successful {@link StepOutcome}. */
export const STEP_OK: StepOutcome = { ok: true };
