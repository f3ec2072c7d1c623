/**
 * Test helpers for the planner: plans assembled from planner results and checked by the verifier,
 * and small hand-made clusters.
 */
import { Map as IMap } from 'immutable';
import { Configuration, placement } from '../../src/model/configuration.js';
import { makeInstance, sourceConfiguration, type Instance, type InstanceInit } from '../../src/model/instance.js';
import { assemblePlan, buildPlan, type PlannedResult, type PlannerOptions, type PlannerResult } from '../../src/plan/planner.js';
import type { FeasiblePlan } from '../../src/plan/types.js';
import { verifyPlan } from '../../src/plan/verify.js';

/** The exchange-format plan of a planner result (placement figures zeroed). */
export function asPlan(result: PlannedResult): FeasiblePlan {
  return assemblePlan(result, { status: 'feasible', lowerBound: 0, solveMs: 0, planMs: 0 });
}

/** Plans and verifies; throws with the violations when the plan is not valid. */
export function planAndVerify(instance: Instance, target: Configuration, options?: PlannerOptions): PlannerResult {
  const r = buildPlan(instance, target, options);
  if (r.status === 'planned') {
    const v = verifyPlan(instance, asPlan(r));
    if (!v.ok) {
      throw new Error(`invalid plan:\n${v.violations.map((x) => `${x.code}: ${x.message}`).join('\n')}\nactions:\n${JSON.stringify(r.actions, null, 1)}`);
    }
  }
  return r;
}

/** The source configuration with some VMs moved: vm → [state, host]. */
export function moved(instance: Instance, changes: Record<string, readonly [string, string?]>, nodes: Record<string, 'online' | 'offline'> = {}): Configuration {
  let c = sourceConfiguration(instance);
  for (const [vm, [state, host]] of Object.entries(changes)) {
    c = c.setIn(['vms', vm], placement(state as 'running', host));
  }
  for (const [n, s] of Object.entries(nodes)) c = c.setIn(['nodes', n], s);
  return c;
}

/**
 * A ring of `k` nodes, each exactly full with `perNode` VMs of one size; the target moves the
 * first `shift` VMs of each node to the next node (node i → i+1 mod k). `free` adds empty nodes.
 */
export function ring(k: number, opts: { perNode?: number; shift?: number; free?: number; memory?: number; extra?: Partial<InstanceInit> } = {}): {
  instance: Instance;
  target: Configuration;
} {
  const per = opts.perNode ?? 2;
  const shift = opts.shift ?? 1;
  const mem = opts.memory ?? 4096;
  const nodes = Array.from({ length: k + (opts.free ?? 0) }, (_, i) => ({ id: `n${i}`, capacity: { cpu: per * 2, memory: per * mem } }));
  const vms = [];
  const tv: [string, ReturnType<typeof placement>][] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < per; j++) {
      const id = `v${i}_${j}`;
      vms.push({ id, demand: { cpu: 2, memory: mem }, state: 'running' as const, host: `n${i}` });
      tv.push([id, placement('running', j < shift ? `n${(i + 1) % k}` : `n${i}`)]);
    }
  }
  const instance = makeInstance({ nodes, vms, ...opts.extra });
  const target = new Configuration({ vms: IMap(tv), nodes: IMap(nodes.map((n) => [n.id, 'online' as const])) });
  return { instance, target };
}

/**
 * Random "exactly full" worlds: `k` nodes each holding `per` VMs of one size (full), the target a
 * random permutation of the VMs over the same slots, so that arbitrary interlocking cycles arise;
 * `free` empty nodes may serve as pivots.
 */
export function fullShuffle(k: number, per: number, perm: readonly number[], free: number, memory = 2048): { instance: Instance; target: Configuration } {
  const nodes = Array.from({ length: k + free }, (_, i) => ({ id: `n${i}`, capacity: { cpu: per, memory: per * memory } }));
  const vms = [];
  const tv: [string, ReturnType<typeof placement>][] = [];
  const slots = k * per;
  for (let s = 0; s < slots; s++) {
    const id = `v${s}`;
    vms.push({ id, demand: { cpu: 1, memory }, state: 'running' as const, host: `n${Math.floor(s / per)}` });
    tv.push([id, placement('running', `n${Math.floor(perm[s]! / per)}`)]);
  }
  const instance = makeInstance({ nodes, vms });
  return { instance, target: new Configuration({ vms: IMap(tv), nodes: IMap(nodes.map((n) => [n.id, 'online' as const])) }) };
}

/** Actions per VM of a plan. */
export function actionsPerVm(r: PlannedResult): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of r.actions) {
    if (a.type === 'bootNode' || a.type === 'shutdownNode') continue;
    const l = out.get(a.vm);
    if (l) l.push(a.type);
    else out.set(a.vm, [a.type]);
  }
  return out;
}

/** A world (instance and reachable target) as the property tests use it. */
export interface TestWorld {
  readonly instance: Instance;
  readonly hidden: Configuration;
}

type Residence = string | undefined;
function residence(state: string | undefined, host: string | undefined): Residence {
  return state === 'running' || state === 'sleeping' ? host : undefined;
}

/**
 * Makes a world harder: node capacities shrunk to the larger of the source and target loads
 * (nodes empty in both keep their capacity, as pivots), and random constraints that hold in both
 * the source and the target: a spread, continuous ban/fence/among, root and quarantine.
 * @param world - instance and reachable target
 * @param picks - random numbers driving the choices
 * @param tight - shrink capacities
 */
export function harden(world: TestWorld, picks: readonly number[], tight: boolean): TestWorld {
  const { instance, hidden } = world;
  let k = 0;
  const pick = (n: number): number => (n <= 0 ? 0 : picks[k++ % picks.length]! % n);
  const nodeIds = [...instance.nodes.keys()];
  const vmList = [...instance.vms.values()];
  const src = (id: string): { state: string; host: string | undefined } => {
    const v = instance.vms.get(id)!;
    return { state: v.state, host: v.host };
  };
  const tgt = (id: string): { state: string; host: string | undefined } => {
    const p = hidden.vms.get(id)!;
    return { state: p.state, host: p.host };
  };
  const loads = (get: (id: string) => { state: string; host: string | undefined }): Map<string, Record<string, number>> => {
    const m = new Map<string, Record<string, number>>();
    for (const v of vmList) {
      const p = get(v.id);
      if (p.state !== 'running' || p.host === undefined) continue;
      const l = m.get(p.host) ?? {};
      for (const [r, d] of v.demand) l[r] = (l[r] ?? 0) + d;
      m.set(p.host, l);
    }
    return m;
  };
  const ls = loads(src);
  const lt = loads(tgt);
  const nodes = [...instance.nodes.values()].map((n) => {
    const a = ls.get(n.id);
    const b = lt.get(n.id);
    const capacity: Record<string, number> = {};
    for (const [r, c] of n.capacity) capacity[r] = tight && (a || b) ? Math.max(a?.[r] ?? 0, b?.[r] ?? 0) : c;
    return { id: n.id, capacity, state: n.state, ...(n.site !== undefined ? { site: n.site } : {}) };
  });
  const vms = vmList.map((v) => ({
    id: v.id,
    demand: Object.fromEntries(v.demand),
    state: v.state,
    ...(v.host !== undefined ? { host: v.host } : {}),
  }));
  const constraints: import('../../src/model/constraints.js').Constraint[] = [];
  const running = (p: { state: string; host: string | undefined }): string | undefined => (p.state === 'running' ? p.host : undefined);
  // spread: VMs on pairwise distinct nodes in the source and in the target.
  if (pick(3) > 0) {
    const usedS = new Set<string>();
    const usedT = new Set<string>();
    const members: string[] = [];
    const start = pick(vmList.length);
    for (let i = 0; i < vmList.length; i++) {
      const v = vmList[(start + i) % vmList.length]!;
      const s = running(src(v.id));
      const t = running(tgt(v.id));
      if ((s && usedS.has(s)) || (t && usedT.has(t))) continue;
      if (s) usedS.add(s);
      if (t) usedT.add(t);
      members.push(v.id);
    }
    if (members.length >= 2) constraints.push({ type: 'spread', vms: members });
  }
  // continuous ban and fence on one VM each.
  if (vmList.length > 0 && pick(2) > 0) {
    const v = vmList[pick(vmList.length)]!;
    const keep = new Set([src(v.id).host, tgt(v.id).host]);
    const banned = nodeIds.filter((n) => !keep.has(n) && pick(2) > 0);
    if (banned.length > 0) constraints.push({ type: 'ban', vms: [v.id], nodes: banned, continuous: true });
  }
  if (vmList.length > 0 && pick(2) > 0) {
    const v = vmList[pick(vmList.length)]!;
    const allowed = nodeIds.filter((n) => n === src(v.id).host || n === tgt(v.id).host || pick(3) === 0);
    constraints.push({ type: 'fence', vms: [v.id], nodes: allowed, continuous: true });
  }
  // continuous among: one group holding the source hosts, another the target hosts.
  if (vmList.length > 1 && pick(2) > 0) {
    const members = vmList.filter(() => pick(2) > 0).map((v) => v.id);
    const gs = new Set(members.map((id) => running(src(id))).filter((h): h is string => h !== undefined));
    const gt = new Set(members.map((id) => running(tgt(id))).filter((h): h is string => h !== undefined));
    for (const n of nodeIds) if (pick(4) === 0) gs.add(n);
    for (const n of nodeIds) if (pick(4) === 0) gt.add(n);
    if (members.length > 0 && gs.size > 0 && gt.size > 0) constraints.push({ type: 'among', vms: members, groups: [[...gs], [...gt]], continuous: true });
  }
  // root: VMs that keep their residence.
  const still = vmList.filter((v) => residence(src(v.id).state, src(v.id).host) === residence(tgt(v.id).state, tgt(v.id).host)).map((v) => v.id);
  const roots = still.filter(() => pick(3) === 0);
  if (roots.length > 0) constraints.push({ type: 'root', vms: roots });
  // quarantine: nodes nothing enters and nothing leaves.
  const calm = nodeIds.filter((n) =>
    vmList.every((v) => {
      const a = residence(src(v.id).state, src(v.id).host);
      const b = residence(tgt(v.id).state, tgt(v.id).host);
      return !((a === n || b === n) && a !== b && b !== undefined) && !(b === n && a !== n);
    }),
  );
  const q = calm.filter(() => pick(3) === 0);
  if (q.length > 0) constraints.push({ type: 'quarantine', nodes: q });
  return { instance: makeInstance({ nodes, vms, constraints }), hidden };
}
