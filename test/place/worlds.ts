import fc from 'fast-check';
import { Map as IMap } from 'immutable';
import { Configuration, placement, type Placement } from '../../src/model/configuration.js';
import type { Constraint } from '../../src/model/constraints.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import type { Objective } from '../../src/model/objective.js';
import type { VjobInit } from '../../src/model/vjob.js';
import type { VmInit, WantedState } from '../../src/model/vm.js';
import type { NodeInit } from '../../src/model/node.js';
import { canReach } from '../../src/decide/states.js';
import { createRandom, type Random } from '../../src/util/random.js';
import { arbWorld, type WorldOptions } from '../support/arbitraries.js';

/** A feasible-by-construction instance and a witness target that satisfies it. */
export interface ConstrainedWorld {
  readonly instance: Instance;
  readonly witness: Configuration;
}

const OBJECTIVES: Objective[] = [
  { type: 'consolidate' },
  { type: 'consolidate', powerOff: true },
  { type: 'balance' },
  { type: 'balance', resource: 'memory' },
  { type: 'minMigrations' },
];

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

function subset<T>(rng: Random, xs: readonly T[], p = 0.5): T[] {
  return xs.filter(() => rng.next() < p);
}

/**
 * Random small instances with random constraints derived from a hidden target (arbWorld), so
 * that the hidden target (with unused nodes offline) satisfies all of them: the instance is
 * feasible by construction.
 */
export function arbConstrainedWorld(
  opts: WorldOptions & { maxConstraints?: number; vjobs?: boolean; allRunning?: boolean; tight?: boolean } = {},
): fc.Arbitrary<ConstrainedWorld> {
  return fc
    .tuple(arbWorld(opts), fc.integer(), fc.integer({ min: 0, max: OBJECTIVES.length - 1 }))
    .map(([world, seed, oi]) => {
      let base = world.instance;
      if (opts.tight) {
        // Capacities cut down to the hidden target's load: an exact packing puzzle.
        for (const n of base.nodes.values()) {
          const on = world.hidden.runningOn(n.id);
          if (on.length === 0) continue;
          const load = (r: string) => on.reduce((t, v) => t + (base.vms.get(v)!.demand.get(r) ?? 0), 0);
          base = base.setIn(['nodes', n.id], n.set('capacity', n.capacity.set('cpu', load('cpu')).set('memory', load('memory'))));
        }
      }
      const w = derive(base, world.hidden, createRandom(seed), OBJECTIVES[oi]!, opts.maxConstraints ?? 6, opts.vjobs ?? true);
      if (!opts.allRunning) return w;
      // Every VM that runs in the witness must run: the solver has to find a placement for all.
      const running = [...w.witness.vms].filter(([, p]) => p.state === 'running').map(([v]) => v);
      if (running.length === 0) return w;
      return { ...w, instance: w.instance.set('constraints', w.instance.constraints.push({ type: 'running', vms: running })) };
    });
}

function derive(base: Instance, hidden: Configuration, rng: Random, objective: Objective, maxC: number, withVjobs: boolean): ConstrainedWorld {
  const nodeIds = [...base.nodes.keys()];
  const vmIds = [...base.vms.keys()];
  const hostH = (vm: string): string | undefined => (hidden.stateOf(vm) === 'running' ? hidden.hostOf(vm) : undefined);
  const runningH = vmIds.filter((v) => hostH(v) !== undefined);
  const usedH = new Set(runningH.map((v) => hostH(v)!));
  const vmsOnH = (n: string): string[] => runningH.filter((v) => hostH(v) === n);
  const src = (vm: string) => base.vms.get(vm)!;
  const residence = (state: string | undefined, host: string | undefined) => (state === 'running' || state === 'sleeping' ? host : undefined);

  // Witness VM placements (may be changed to terminated below) and node states.
  const witnessVms = new Map<string, Placement>(hidden.vms.entries());
  const constraints: Constraint[] = [];
  const wants = new Map<string, WantedState>();

  // Vjobs: VMs with the same hidden fate (running, or the same idle state).
  const vjobOf = new Map<string, string>();
  const vjobs: VjobInit[] = [];
  if (withVjobs) {
    const fates = new Map<string, string[]>();
    for (const v of vmIds) {
      const f = witnessVms.get(v)!.state;
      fates.set(f, [...(fates.get(f) ?? []), v]);
    }
    let j = 0;
    for (const members of fates.values()) {
      const chosen = subset(rng, members, 0.5);
      if (chosen.length < 2) continue;
      const id = `job${j++}`;
      for (const v of chosen) vjobOf.set(v, id);
      vjobs.push({ id, priority: rng.int(3), submitted: rng.int(10), bestEffort: rng.next() < 0.3 });
    }
  }

  const nC = rng.int(maxC + 1);
  for (let i = 0; i < nC; i++) {
    const kind = rng.int(17);
    switch (kind) {
      case 0: {
        // spread over VMs on distinct hidden nodes (+ some not running in the hidden target)
        const byNode = [...usedH].map((n) => pick(rng, vmsOnH(n)));
        const vms = [...subset(rng, byNode, 0.7), ...subset(rng, vmIds.filter((v) => !hostH(v)), 0.2)];
        if (vms.length >= 2) constraints.push({ type: 'spread', vms });
        break;
      }
      case 1: {
        if (usedH.size === 0) break;
        const n = pick(rng, [...usedH]);
        const vms = [...subset(rng, vmsOnH(n), 0.8), ...subset(rng, vmIds.filter((v) => !hostH(v)), 0.2)];
        if (vms.length >= 2) constraints.push({ type: 'gather', vms });
        break;
      }
      case 2: {
        const vms = subset(rng, vmIds, 0.4);
        const hosts = new Set(vms.map(hostH).filter(Boolean));
        const nodes = subset(rng, nodeIds.filter((n) => !hosts.has(n)), 0.5);
        if (vms.length && nodes.length) constraints.push({ type: 'ban', vms, nodes, ...(rng.next() < 0.3 ? { continuous: true } : {}) });
        break;
      }
      case 3: {
        const vms = subset(rng, vmIds, 0.4);
        const hosts = new Set(vms.map(hostH).filter((h): h is string => h !== undefined));
        const nodes = [...new Set([...hosts, ...subset(rng, nodeIds, 0.3)])];
        if (vms.length) constraints.push({ type: 'fence', vms, nodes });
        break;
      }
      case 4: {
        const vms = subset(rng, vmIds, 0.4);
        const hosts = new Set(vms.map(hostH).filter((h): h is string => h !== undefined));
        const g0 = [...new Set([...hosts, ...subset(rng, nodeIds, 0.3)])];
        const g1 = subset(rng, nodeIds, 0.5);
        if (vms.length && g0.length) constraints.push({ type: 'among', vms, groups: rng.next() < 0.5 ? [g0, g1] : [g1, g0] });
        break;
      }
      case 5: {
        // split: VMs hidden on two disjoint node sets (+ not running ones)
        const shuffled = rng.shuffle([...nodeIds]);
        const cut = rng.int(shuffled.length + 1);
        const a = new Set(shuffled.slice(0, cut));
        const ga = subset(rng, runningH.filter((v) => a.has(hostH(v)!)), 0.7);
        const gb = subset(rng, runningH.filter((v) => !a.has(hostH(v)!)), 0.7);
        const idle = subset(rng, vmIds.filter((v) => !hostH(v)), 0.3);
        const gc = idle.filter((_, i) => i % 2 === 0);
        const gd = idle.filter((_, i) => i % 2 === 1);
        constraints.push({ type: 'split', groups: [[...ga, ...gc], [...gb, ...gd]] });
        break;
      }
      case 6: {
        // lonely: all hidden VMs of some nodes (+ not running ones)
        const nodes = subset(rng, [...usedH], 0.5);
        const vms = [...nodes.flatMap(vmsOnH), ...subset(rng, vmIds.filter((v) => !hostH(v)), 0.3)];
        if (vms.length) constraints.push({ type: 'lonely', vms });
        break;
      }
      case 7: {
        const vms = vmIds.filter((v) => {
          const w = witnessVms.get(v)!;
          const from = residence(src(v).state, src(v).host);
          const to = residence(w.state, w.host);
          return from === undefined || to === undefined || from === to;
        });
        const chosen = subset(rng, vms, 0.5);
        if (chosen.length) constraints.push({ type: 'root', vms: chosen });
        break;
      }
      case 8: {
        const ok = nodeIds.filter((n) =>
          vmIds.every((v) => {
            const w = witnessVms.get(v)!;
            const from = residence(src(v).state, src(v).host);
            const to = residence(w.state, w.host);
            if (to === undefined) return true;
            if (from === n || to === n) return from === to;
            return true;
          }),
        );
        const nodes = subset(rng, ok, 0.5);
        if (nodes.length) constraints.push({ type: 'quarantine', nodes });
        break;
      }
      case 9: {
        const res = pick(rng, ['cpu', 'memory']);
        const nodes = subset(rng, nodeIds, 0.5).filter((n) => (base.nodes.get(n)!.capacity.get(res) ?? 0) > 0);
        if (!nodes.length) break;
        let ratio = 1 + rng.int(3) / 4;
        for (const n of nodes) {
          const load = vmsOnH(n).reduce((s, v) => s + (src(v).demand.get(res) ?? 0), 0);
          ratio = Math.max(ratio, load / base.nodes.get(n)!.capacity.get(res)!);
        }
        if (rng.next() < 0.5) {
          // tighter: exactly the hidden need when below 1
          let need = 0;
          for (const n of nodes) need = Math.max(need, vmsOnH(n).reduce((s, v) => s + (src(v).demand.get(res) ?? 0), 0) / base.nodes.get(n)!.capacity.get(res)!);
          if (need > 0) ratio = Math.min(ratio, Math.max(need, 0.5));
        }
        constraints.push({ type: 'overbook', nodes, resource: res, ratio });
        break;
      }
      case 10: {
        const res = pick(rng, ['cpu', 'memory']);
        const nodes = subset(rng, nodeIds, 0.5);
        const load = nodes.flatMap(vmsOnH).reduce((s, v) => s + (src(v).demand.get(res) ?? 0), 0);
        if (nodes.length) constraints.push({ type: 'resourceCapacity', nodes, resource: res, amount: load + rng.int(3) * (res === 'cpu' ? 1 : 1024) });
        break;
      }
      case 11: {
        const nodes = subset(rng, nodeIds, 0.5);
        const count = nodes.flatMap(vmsOnH).length;
        if (nodes.length) constraints.push({ type: 'runningCapacity', nodes, amount: count + rng.int(2) });
        break;
      }
      case 12: {
        const nodes = subset(rng, nodeIds, 0.6);
        const used = nodes.filter((n) => usedH.has(n)).length;
        if (nodes.length) constraints.push({ type: 'maxOnline', nodes, amount: used + rng.int(2) });
        break;
      }
      case 13: {
        const nodes = subset(rng, [...usedH], 0.5);
        if (nodes.length) constraints.push({ type: 'online', nodes });
        const off = subset(rng, nodeIds.filter((n) => !usedH.has(n)), 0.5);
        if (off.length) constraints.push({ type: 'offline', nodes: off });
        break;
      }
      case 14: {
        // reserved: nodes whose hidden VMs all belong to one vjob
        const jobOf = (v: string) => vjobOf.get(v) ?? v;
        const n = pick(rng, nodeIds);
        const jobs = new Set(vmsOnH(n).map(jobOf));
        if (jobs.size > 1) break;
        const job = jobs.size === 1 ? [...jobs][0]! : jobOf(pick(rng, vmIds.length ? vmIds : ['nobody']));
        const others = nodeIds.filter((m) => m !== n && vmsOnH(m).every((v) => jobOf(v) === job));
        constraints.push({ type: 'reserved', nodes: [n, ...subset(rng, others, 0.3)], vjob: job });
        break;
      }
      case 15: {
        // state constraints / wants consistent with the witness (vjob mates follow)
        const v = vmIds.length ? pick(rng, vmIds) : undefined;
        if (!v) break;
        const w = witnessVms.get(v)!;
        if (w.state === 'running') {
          if (rng.next() < 0.5) constraints.push({ type: 'running', vms: [v] });
          else wants.set(v, 'running');
        } else if (w.state === 'sleeping') {
          if (rng.next() < 0.5) constraints.push({ type: 'sleeping', vms: [v] });
          else wants.set(v, 'sleeping');
        }
        break;
      }
      case 16: {
        // terminate a VM that runs in the source and not in the witness
        const cands = vmIds.filter((v) => src(v).state === 'running' && !hostH(v) && !vjobOf.has(v));
        if (!cands.length) break;
        const v = pick(rng, cands);
        witnessVms.set(v, placement('terminated'));
        if (rng.next() < 0.5) constraints.push({ type: 'terminated', vms: [v] });
        else wants.set(v, 'terminated');
        break;
      }
    }
  }
  // Terminated witnesses must not be asked for anything else.
  const fixed = constraints.filter((c) => !(('vms' in c) && (c.type === 'running' || c.type === 'sleeping') && c.vms.some((v) => witnessVms.get(v)!.state === 'terminated')));
  for (const [v, w] of wants) if (witnessVms.get(v)!.state === 'terminated' && w !== 'terminated') wants.delete(v);

  const vms: VmInit[] = vmIds.map((id) => {
    const v = src(id);
    return {
      id,
      demand: Object.fromEntries(v.demand),
      state: v.state,
      ...(v.host !== undefined ? { host: v.host } : {}),
      ...(vjobOf.has(id) ? { vjob: vjobOf.get(id)! } : {}),
      ...(wants.has(id) ? { wants: wants.get(id)! } : {}),
    };
  });
  const nodes: NodeInit[] = nodeIds.map((id) => {
    const n = base.nodes.get(id)!;
    return { id, capacity: Object.fromEntries(n.capacity), state: n.state };
  });
  const instance = makeInstance({ nodes, vms, vjobs, constraints: fixed, objective });
  const witness = new Configuration({
    vms: IMap(witnessVms),
    nodes: IMap(nodeIds.map((n) => [n, usedH.has(n) ? 'online' : 'offline'] as const)),
  });
  return { instance, witness };
}

/** Every VM ends in a state reachable from its own, sleeping VMs keep their image's node. */
export function unreachable(instance: Instance, target: Configuration): string[] {
  const out: string[] = [];
  for (const v of instance.vms.values()) {
    const p = target.vms.get(v.id);
    if (!p) {
      out.push(`${v.id} missing`);
      continue;
    }
    if (!canReach(v.state, p.state)) out.push(`${v.id}: ${v.state} -> ${p.state}`);
    if (p.state === 'sleeping' && p.host !== v.host) out.push(`${v.id}: sleeps on ${p.host}, image on ${v.host}`);
  }
  for (const n of instance.nodes.keys()) if (!target.nodes.has(n)) out.push(`node ${n} missing`);
  return out;
}

/**
 * Random small instances whose constraints are derived from a random assignment that ignores
 * capacities, plus `running` constraints on random VMs: often infeasible, sometimes not.
 */
export function arbRandomWorld(opts: WorldOptions & { maxConstraints?: number } = {}): fc.Arbitrary<Instance> {
  return fc
    .tuple(arbWorld(opts), fc.integer(), fc.integer({ min: 0, max: OBJECTIVES.length - 1 }))
    .map(([world, seed, oi]) => {
      const rng = createRandom(seed);
      const nodeIds = [...world.instance.nodes.keys()];
      const fake = new Configuration({
        vms: IMap([...world.instance.vms.keys()].map((v) => [v, placement('running', pick(rng, nodeIds))] as const)),
        nodes: world.hidden.nodes,
      });
      const { instance } = derive(world.instance, fake, rng, OBJECTIVES[oi]!, opts.maxConstraints ?? 6, true);
      const must = subset(rng, [...instance.vms.keys()], 0.6);
      return must.length ? instance.set('constraints', instance.constraints.push({ type: 'running', vms: must })) : instance;
    });
}
