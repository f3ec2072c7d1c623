import { Map as IMap } from 'immutable';
import { checkConfiguration } from '../../src/constraints/check.js';
import { Configuration, placement, type Placement } from '../../src/model/configuration.js';
import { effectiveCapacity, objectiveOf, type Instance } from '../../src/model/instance.js';
import { compareTerms } from '../../src/model/objective.js';

/** Objective figures of one configuration. */
export interface Figures {
  readonly nodesUsed: number;
  readonly migrated: number;
  readonly peak: number;
}

/** Nodes that may host running VMs in the target under the library's node-state rules. */
export function usableNodes(instance: Instance): string[] {
  const o = objectiveOf(instance);
  const powerOff = o.type === 'consolidate' && o.powerOff === true;
  const forcedOn = new Set<string>();
  const forcedOff = new Set<string>();
  for (const c of instance.constraints) {
    if (c.type === 'online') c.nodes.forEach((n) => forcedOn.add(n));
    if (c.type === 'offline') c.nodes.forEach((n) => forcedOff.add(n));
  }
  return [...instance.nodes.values()]
    .filter((n) => !forcedOff.has(n.id) && (forcedOn.has(n.id) || powerOff || n.state === 'online'))
    .map((n) => n.id);
}

function mustTerminate(instance: Instance, vm: string): boolean {
  if (instance.vms.get(vm)!.wants === 'terminated') return true;
  return instance.constraints.some((c) => c.type === 'terminated' && c.vms.includes(vm));
}

/** The configuration where exactly `running` run, on `hosts`; the others idle where they are. */
export function configurationOf(instance: Instance, running: readonly string[], hosts: readonly string[]): Configuration {
  const at = new Map(running.map((v, i) => [v, hosts[i]!] as const));
  const forcedOn = new Set<string>();
  for (const c of instance.constraints) if (c.type === 'online') c.nodes.forEach((n) => forcedOn.add(n));
  const vms: [string, Placement][] = [];
  for (const v of instance.vms.values()) {
    const h = at.get(v.id);
    if (h !== undefined) vms.push([v.id, placement('running', h)]);
    else if (v.state === 'terminated' || mustTerminate(instance, v.id)) vms.push([v.id, placement('terminated')]);
    else if (v.state === 'waiting') vms.push([v.id, placement('waiting')]);
    else vms.push([v.id, placement('sleeping', v.host)]);
  }
  const used = new Set(hosts);
  const nodes = [...instance.nodes.keys()].map((n) => [n, used.has(n) || forcedOn.has(n) ? 'online' : 'offline'] as const);
  return new Configuration({ vms: IMap(vms), nodes: IMap(nodes) });
}

/** Figures of a configuration (nodes used, memory migrated, peak ratio on the balance resource). */
export function figuresOf(instance: Instance, c: Configuration): Figures {
  const o = objectiveOf(instance);
  const res = o.type === 'balance' ? (o.resource ?? 'cpu') : 'cpu';
  let nodesUsed = 0;
  let peak = 0;
  for (const n of instance.nodes.keys()) {
    const vms = c.runningOn(n);
    if (vms.length === 0) continue;
    nodesUsed++;
    const load = vms.reduce((s, v) => s + (instance.vms.get(v)!.demand.get(res) ?? 0), 0);
    const cap = effectiveCapacity(instance, n, res);
    peak = Math.max(peak, cap > 0 ? load / cap : load > 0 ? Infinity : 0);
  }
  let migrated = 0;
  for (const v of instance.vms.values()) {
    const p = c.vms.get(v.id)!;
    if (v.state === 'running' && p.state === 'running' && p.host !== v.host) migrated += v.demand.get('memory') ?? 0;
  }
  return { nodesUsed, migrated, peak };
}

/**
 * Every valid placement of `running` (all running, on usable nodes), by enumeration, checked by
 * the constraint checkers. Calls `visit` with each; stops when it returns true.
 */
export function enumerate(instance: Instance, running: readonly string[], visit: (c: Configuration) => boolean | void): void {
  const nodes = usableNodes(instance);
  const hosts = new Array<string>(running.length);
  const rec = (i: number): boolean => {
    if (i === running.length) {
      const c = configurationOf(instance, running, hosts);
      if (checkConfiguration(instance, c).length > 0) return false;
      return visit(c) === true;
    }
    for (const n of nodes) {
      hosts[i] = n;
      if (rec(i + 1)) return true;
    }
    return false;
  };
  rec(0);
}

/** Whether `running` can all run together (some valid placement exists). */
export function feasible(instance: Instance, running: readonly string[]): boolean {
  let found = false;
  enumerate(instance, running, () => (found = true));
  return found;
}

/** The lexicographic optimum of the instance's objective over the placements of `running`. */
export function optimum(instance: Instance, running: readonly string[]): { nodes: number; best: [number, number] } | undefined {
  const o = objectiveOf(instance);
  let best: [number, number] | undefined;
  let nodes = Infinity;
  enumerate(instance, running, (c) => {
    const f = figuresOf(instance, c);
    nodes = Math.min(nodes, f.nodesUsed);
    const v: [number, number] =
      o.type === 'consolidate' ? [f.nodesUsed, f.migrated] : o.type === 'balance' ? [f.peak, f.migrated] : [f.migrated, 0];
    if (!best || v[0] < best[0] - 1e-9 || (Math.abs(v[0] - best[0]) <= 1e-9 && v[1] < best[1])) best = v;
  });
  return best ? { nodes, best } : undefined;
}

/** The three terms of a configuration's value, as the registry defines them. */
export function termsOf(instance: Instance, c: Configuration): [number, number, number] {
  const f = figuresOf(instance, c);
  let migrations = 0;
  let remote = 0;
  for (const v of instance.vms.values()) {
    if (c.stateOf(v.id) !== 'running') continue;
    if (v.state === 'running' && c.hostOf(v.id) !== v.host) migrations++;
    if (v.state === 'sleeping' && c.hostOf(v.id) !== v.host) remote++;
  }
  const o = objectiveOf(instance);
  if (o.type === 'consolidate') return [f.nodesUsed, f.migrated, migrations];
  if (o.type === 'balance') return [f.peak, f.migrated, migrations];
  return [f.migrated, migrations, remote];
}
/** Compares two lists of three terms lexicographically, each term with the registry's tolerance. */
export const compareTermLists = (a: readonly number[], b: readonly number[]): number => compareTerms(a[0]!, b[0]!) || compareTerms(a[1]!, b[1]!) || compareTerms(a[2]!, b[2]!);

/** The least term list over every placement of `running` (brute force), or undefined when none is valid. */
export function bestTermsOf(instance: Instance, running: readonly string[]): [number, number, number] | undefined {
  let best: [number, number, number] | undefined;
  enumerate(instance, running, (c) => {
    const t = termsOf(instance, c);
    if (!best || compareTermLists(t, best) < 0) best = t;
  });
  return best;
}
