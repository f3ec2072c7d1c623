/**
 * Plans for the render tests: real ones (the demo, a consolidation with power-off), one with
 * hostile names, and a synthetic plan of 10,000 actions; and what a picture of each must show,
 * computed from the plan alone (independently of the layout code).
 */
import { readFileSync } from 'node:fs';
import { parseInstance } from '../../src/io/instance.js';
import { makeInstance, type Instance } from '../../src/model/instance.js';
import { planInstance } from '../../src/pipeline.js';
import type { FeasiblePlan, Plan } from '../../src/plan/types.js';
import type { Action } from '../../src/model/action.js';
import { createRandom } from '../../src/util/random.js';
import { heterogeneousCluster } from '../../src/workload/cluster.js';

/** An instance and a feasible plan for it. */
export interface Planned {
  readonly instance: Instance;
  readonly plan: FeasiblePlan;
}

function feasible(plan: Plan): FeasiblePlan {
  if (plan.status === 'infeasible') throw new Error(`expected a plan, got infeasible: ${plan.reasons.map((r) => r.message).join('; ')}`);
  return plan;
}

/** The bundled demo (examples/demo.json) and its plan. */
export async function demoPlan(): Promise<Planned> {
  const parsed = parseInstance(readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8'));
  if (!parsed.ok) throw new Error('demo must parse');
  return { instance: parsed.value, plan: feasible(await planInstance(parsed.value, { seed: 1, timeLimitMs: 2000 })) };
}

/** A consolidation of 30 nodes × 150 VMs that powers the emptied nodes off (about 100 actions). */
export async function clusterPlan(): Promise<Planned> {
  const instance = heterogeneousCluster({ nodes: 30, vms: 150, seed: 2, objective: { type: 'consolidate', powerOff: true } });
  return { instance, plan: feasible(await planInstance(instance, { seed: 1, timeLimitMs: 1000 })) };
}

/** Ids that would break markup or a script if they were not escaped. */
export const HOSTILE = {
  node: '<b>n"1\'</b>&amp;',
  vm: '</script><script>window.__pwned=1</script>',
  vm2: '<img src=x onerror="window.__pwned=2">',
} as const;

/** A tiny consolidation whose node and VM ids are hostile markup. */
export async function hostilePlan(): Promise<Planned> {
  const instance = makeInstance({
    nodes: [
      { id: HOSTILE.node, capacity: { cpu: 8, memory: 8192 } },
      { id: 'n2', capacity: { cpu: 8, memory: 8192 } },
    ],
    vms: [
      { id: HOSTILE.vm, demand: { cpu: 2, memory: 2048 }, state: 'running', host: HOSTILE.node },
      { id: HOSTILE.vm2, demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n2' },
      { id: 'c', demand: { cpu: 4, memory: 4096 }, state: 'running', host: 'n2' },
    ],
    objective: { type: 'consolidate', powerOff: true },
  });
  return { instance, plan: feasible(await planInstance(instance, { seed: 1, timeLimitMs: 2000 })) };
}

/**
 * A synthetic plan of `count` actions on `nodes` nodes (not a valid plan: only its shape
 * matters to the picture): mostly migrations, some boots, suspends, resumes, shutdowns and node
 * actions, each waiting for up to two earlier actions. Seeded.
 */
export function syntheticPlan(count: number, nodes: number, seed = 1): Planned {
  const rnd = createRandom(seed);
  const nodeIds = Array.from({ length: nodes }, (_, i) => `node-${String(i).padStart(5, '0')}`);
  const vmCount = Math.ceil(count / 2);
  const vmIds = Array.from({ length: vmCount }, (_, i) => `vm-${i}`);
  const instance = makeInstance({
    nodes: nodeIds.map((id) => ({ id, capacity: { cpu: 64, memory: 262144 } })),
    vms: vmIds.map((id, i) => ({ id, demand: { cpu: 2, memory: 4096 }, state: 'running', host: nodeIds[i % nodes]! })),
  });
  const actions: Action[] = [];
  let t = 0;
  for (let id = 0; id < count; id++) {
    const vm = vmIds[rnd.int(vmCount)]!;
    const a = nodeIds[rnd.int(nodes)]!;
    const b = nodeIds[rnd.int(nodes)]!;
    const start = t;
    const end = start + 1 + rnd.int(40);
    t += rnd.int(3) === 0 ? 1 : 0;
    const after = id > 0 && rnd.int(3) === 0 ? [rnd.int(id)] : [];
    const base = { id, start, end, ...(after.length > 0 ? { after } : {}) };
    const k = rnd.int(20);
    if (k < 14) actions.push({ ...base, type: 'migrate', vm, from: a, to: b === a ? nodeIds[(rnd.int(nodes - 1) + 1 + nodeIds.indexOf(a)) % nodes]! : b });
    else if (k < 15) actions.push({ ...base, type: 'boot', vm, to: a });
    else if (k < 16) actions.push({ ...base, type: 'suspend', vm, from: a });
    else if (k < 17) actions.push({ ...base, type: 'resume', vm, from: a, to: b });
    else if (k < 18) actions.push({ ...base, type: 'shutdown', vm, from: a });
    else if (k < 19) actions.push({ ...base, type: 'bootNode', node: a });
    else actions.push({ ...base, type: 'shutdownNode', node: a });
  }
  const plan: FeasiblePlan = {
    version: 1,
    status: 'feasible',
    actions,
    target: { vms: {}, nodes: {} },
    stats: { nodesUsed: nodes, lowerBound: 1, migrations: actions.filter((x) => x.type === 'migrate').length, migratedMemory: 0, makespan: Math.max(...actions.map((x) => x.end)), solveMs: 0, planMs: 0 },
  };
  return { instance, plan };
}

/** The nodes on which an action must show a bar. */
export function nodesOfAction(a: Action): string[] {
  switch (a.type) {
    case 'migrate':
      return [a.from, a.to];
    case 'resume':
      return a.from === a.to ? [a.to] : [a.from, a.to];
    case 'boot':
      return [a.to];
    case 'shutdown':
    case 'suspend':
      return [a.from];
    case 'bootNode':
    case 'shutdownNode':
      return [a.node];
  }
}

/** What the picture of a plan must contain: bars per (node, action id), and the lanes. */
export function expectedPicture(plan: Plan): { lanes: Set<string>; bars: number; barsByNode: Map<string, number[]> } {
  const barsByNode = new Map<string, number[]>();
  let bars = 0;
  for (const a of plan.actions as readonly Action[]) {
    for (const n of nodesOfAction(a)) {
      const l = barsByNode.get(n) ?? [];
      l.push(a.id);
      barsByNode.set(n, l);
      bars++;
    }
  }
  return { lanes: new Set(barsByNode.keys()), bars, barsByNode };
}
