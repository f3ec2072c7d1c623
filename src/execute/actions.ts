/**
 * Small helpers on actions shared by the engine and the executors: a one-line description, the
 * nodes an action involves, and the duration model's request for it.
 */
import type { Instance } from '../model/instance.js';
import type { DurationRequest } from '../plan/durations.js';
import type { Action } from '../model/action.js';

/**
 * A short description of an action for messages: `migrate vm1 n1→n2`, `bootNode n3`.
 * @param a - the action
 * @returns the text
 * @example
 * ```ts
 * describeAction({ id: 0, type: 'boot', vm: 'a', to: 'n1', start: 0, end: 1 }); // 'boot a on n1'
 * ```
 */
export function describeAction(a: Action): string {
  switch (a.type) {
    case 'migrate':
    case 'resume':
      return `${a.type} ${a.vm} ${a.from}→${a.to}`;
    case 'boot':
      return `boot ${a.vm} on ${a.to}`;
    case 'shutdown':
    case 'suspend':
      return `${a.type} ${a.vm} on ${a.from}`;
    default:
      return `${a.type} ${a.node}`;
  }
}

export { nodesOfAction } from '../model/action.js';

/**
 * What to ask the duration model about an action (its VM and nodes looked up in the instance).
 * @param instance - the instance
 * @param a - the action
 * @returns the request
 * @example
 * ```ts
 * const seconds = defaultDurationModel(instance)(durationRequestOf(instance, action), instance);
 * ```
 */
export function durationRequestOf(instance: Instance, a: Action): DurationRequest {
  const vm = 'vm' in a ? instance.vms.get(a.vm) : undefined;
  const from = 'from' in a ? instance.nodes.get(a.from) : undefined;
  const to = 'to' in a ? instance.nodes.get(a.to) : undefined;
  const node = 'node' in a ? instance.nodes.get(a.node) : undefined;
  return {
    type: a.type,
    ...(vm ? { vm } : {}),
    ...(from ? { from } : a.type === 'shutdownNode' && node ? { from: node } : {}),
    ...(to ? { to } : a.type === 'bootNode' && node ? { to: node } : {}),
    ...(node ? { node } : {}),
  };
}
