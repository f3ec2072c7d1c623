/**
 * The duration model of plans: how long each action takes. The default reads FORMAT.md
 * `durations` (defaults filled by `durationsOf`); users may plug in their own function, e.g. a
 * pre-copy model with a dirty rate.
 */
import { SwitchyardError } from '../errors.js';
import { durationsOf, type Instance } from '../model/instance.js';
import type { Node } from '../model/node.js';
import type { ResolvedDurations } from '../model/objective.js';
import type { Vm } from '../model/vm.js';
import type { ActionType } from '../model/action.js';

/**
 * What a duration is asked for: the action type, its VM (for VM actions), and its nodes.
 * `from` is the node a VM leaves (migrate, suspend, shutdown) or whose disk holds the image
 * (resume); `to` the node it arrives on (migrate, boot, resume). Node actions give their node as
 * `node` (and also as `to` for `bootNode`, `from` for `shutdownNode`).
 */
export interface DurationRequest {
  readonly type: ActionType;
  readonly vm?: Vm;
  readonly from?: Node;
  readonly to?: Node;
  readonly node?: Node;
}

/**
 * A pluggable duration model: seconds taken by one action (a finite number ≥ 0).
 *
 * @example
 * ```ts
 * // Pre-copy live migration: rounds until the dirty rate outpaces the copy (MiB/s per VM, the
 * // caller's own measurements: the default model reads nothing but the documented fields).
 * const dirtyRates = new Map<string, number>([['vm1', 300]]);
 * const base = defaultDurationModel(instance);
 * const precopy: DurationModel = (q, inst) => {
 *   if (q.type !== 'migrate' || q.vm === undefined) return base(q, inst);
 *   const mem = q.vm.demand.get('memory') ?? 0;
 *   const dirty = dirtyRates.get(q.vm.id) ?? 0;
 *   const bw = 1000;
 *   return dirty >= bw ? mem / bw * 3 : mem / (bw - dirty);
 * };
 * buildPlan(instance, target, { durationModel: precopy });
 * ```
 */
export type DurationModel = (request: DurationRequest, instance: Instance) => number;

/** Whether two nodes are on different sites (a node without a site is on every site). */
function acrossSites(a: Node | undefined, b: Node | undefined): boolean {
  return a?.site !== undefined && b?.site !== undefined && a.site !== b.site;
}

/**
 * A VM's (or, for node actions, a node's) own duration of the action: FORMAT.md `vms[].durations`
 * / `nodes[].durations`, if set (the validator admits finite numbers > 0 only; a model built
 * by hand is trusted as far as `askDuration` checks it). Nothing under `x` is read: extensions
 * never change a plan.
 */
function ownDuration(q: DurationRequest): number | undefined {
  switch (q.type) {
    case 'bootNode':
      return q.node?.durations?.boot;
    case 'shutdownNode':
      return q.node?.durations?.shutdown;
    default:
      return q.vm?.durations?.[q.type];
  }
}

/**
 * The standard duration model for given rates and fixed costs:
 * - `migrate`: memory ÷ bandwidth (`wanBandwidth` when the two nodes are on different sites);
 * - `suspend`: memory ÷ `diskRate`;
 * - `resume`: memory ÷ `diskRate`, plus memory ÷ bandwidth (LAN or WAN) to move the image when
 *   `from ≠ to` (a remote resume);
 * - `boot`, `shutdown`, `bootNode`, `shutdownNode`: `bootVm`, `shutdownVm`, `bootNode`, `shutdownNode`.
 *
 * A VM's memory is its demand on the `memory` resource (0 when it names none). A VM's own
 * `durations` field (FORMAT.md: `migrate`, `suspend`, `resume`, `boot`, `shutdown`) replaces the
 * formula for that VM's actions of those types, and a node's (`boot`, `shutdown`) its own
 * `bootNode` / `shutdownNode`, as BtrPlace's duration attributes do. Nothing under `x` counts.
 * @param d - rates (MiB/s) and fixed costs (s)
 * @returns the model
 * @example
 * ```ts
 * const model = durationModelOf({ ...DEFAULT_DURATIONS, bandwidth: 500 });
 * ```
 */
export function durationModelOf(d: ResolvedDurations): DurationModel {
  return (q) => {
    const own = ownDuration(q);
    if (own !== undefined) return own;
    const mem = q.vm?.demand.get('memory') ?? 0;
    const link = (a: Node | undefined, b: Node | undefined): number => mem / (acrossSites(a, b) ? d.wanBandwidth : d.bandwidth);
    switch (q.type) {
      case 'migrate':
        return link(q.from, q.to);
      case 'suspend':
        return mem / d.diskRate;
      case 'resume':
        return mem / d.diskRate + (q.from !== undefined && q.to !== undefined && q.from.id !== q.to.id ? link(q.from, q.to) : 0);
      case 'boot':
        return d.bootVm;
      case 'shutdown':
        return d.shutdownVm;
      case 'bootNode':
        return d.bootNode;
      case 'shutdownNode':
        return d.shutdownNode;
    }
  };
}

/**
 * The default duration model of an instance (FORMAT.md "Defaults chosen by the library"): a VM's
 * or node's own `durations` first, else {@link durationModelOf} the instance's `durations`, with
 * the documented defaults (`DEFAULT_DURATIONS`) for every field it leaves out.
 * @param instance - the instance
 * @returns the model
 */
export function defaultDurationModel(instance: Instance): DurationModel {
  return durationModelOf(durationsOf(instance));
}

/**
 * Calls a model and checks its answer.
 * @param model - the duration model
 * @param request - the action asked about
 * @param instance - the instance
 * @returns the duration in seconds
 * @throws SwitchyardError `invalid-options` when the model returns anything but a finite number ≥ 0
 */
export function askDuration(model: DurationModel, request: DurationRequest, instance: Instance): number {
  const s = model(request, instance);
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
    const what = request.vm?.id ?? request.node?.id ?? '';
    throw new SwitchyardError('invalid-options', [
      { path: 'durationModel', message: `the duration model returned ${String(s)} for ${request.type} ${what}: durations must be finite numbers ≥ 0` },
    ]);
  }
  return s;
}
