/**
 * The planner's working form of a plan (internal): actions on dense indices with their
 * durations and explicit precedences, growable while cycles are broken.
 */
import type { ActionType } from '../model/action.js';

/** Dense code of `migrate` (index into {@link KIND_TYPE}). */
export const MIGRATE = 0;
/** Dense code of `boot`. */
export const BOOT = 1;
/** Dense code of `shutdown`. */
export const SHUTDOWN = 2;
/** Dense code of `suspend`. */
export const SUSPEND = 3;
/** Dense code of `resume`. */
export const RESUME = 4;
/** Dense code of `bootNode`. */
export const BOOT_NODE = 5;
/** Dense code of `shutdownNode`. */
export const SHUTDOWN_NODE = 6;

/** Action type of each code. */
export const KIND_TYPE: readonly ActionType[] = ['migrate', 'boot', 'shutdown', 'suspend', 'resume', 'bootNode', 'shutdownNode'];

/**
 * Whether an action of this kind brings a VM onto its `to` node (and its load from its start).
 * @param kind - a dense action code
 * @returns true for migrate, boot and resume
 */
export function isArrival(kind: number): boolean {
  return kind === MIGRATE || kind === BOOT || kind === RESUME;
}

/**
 * Whether an action of this kind takes a running VM off its `from` node (freeing it at its end).
 * @param kind - a dense action code
 * @returns true for migrate, suspend and shutdown
 */
export function isDeparture(kind: number): boolean {
  return kind === MIGRATE || kind === SUSPEND || kind === SHUTDOWN;
}

/**
 * Actions as parallel arrays. For VM actions `vm` is the VM index, `from` the node it leaves or
 * whose disk holds its image (-1 for a boot), `to` the node it arrives on (-1 for suspend and
 * shutdown). Node actions store their node in `to` (bootNode) or `from` (shutdownNode) and -1
 * in `vm`. `preds[a]` are the actions that must end before `a` starts (explicit precedences:
 * node boots, evacuations, detour legs, suspend before resume, among barriers).
 */
export class ActionGraph {
  readonly kind: number[] = [];
  readonly vm: number[] = [];
  readonly from: number[] = [];
  readonly to: number[] = [];
  readonly dur: number[] = [];
  readonly preds: number[][] = [];
  readonly succs: number[][] = [];

  /** Number of actions. */
  get size(): number {
    return this.kind.length;
  }

  /**
   * Adds an action.
   * @param kind - dense action code
   * @param vm - VM index (-1 for node actions)
   * @param from - node left, or holding the image (-1 when none)
   * @param to - node arrived on (-1 when none)
   * @param dur - duration in seconds
   * @returns its index
   */
  add(kind: number, vm: number, from: number, to: number, dur: number): number {
    const a = this.kind.length;
    this.kind.push(kind);
    this.vm.push(vm);
    this.from.push(from);
    this.to.push(to);
    this.dur.push(dur);
    this.preds.push([]);
    this.succs.push([]);
    return a;
  }

  /**
   * Records that `before` must end before `after` starts (once).
   * @param before - the earlier action
   * @param after - the later action
   */
  edge(before: number, after: number): void {
    if (before === after || this.preds[after]!.includes(before)) return;
    this.preds[after]!.push(before);
    this.succs[before]!.push(after);
  }

  /**
   * Moves the precedence `before → after` to `replacement → after`.
   * @param before - the current predecessor
   * @param after - the successor
   * @param replacement - the new predecessor
   */
  redirect(before: number, after: number, replacement: number): void {
    const p = this.preds[after]!;
    const i = p.indexOf(before);
    if (i >= 0) p.splice(i, 1);
    const s = this.succs[before]!;
    const j = s.indexOf(after);
    if (j >= 0) s.splice(j, 1);
    this.edge(replacement, after);
  }
}
