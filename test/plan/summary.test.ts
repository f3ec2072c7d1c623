import { describe, expect, it } from 'vitest';
import { Map as IMap } from 'immutable';
import { Configuration, placement } from '../../src/model/configuration.js';
import { makeInstance, sourceConfiguration } from '../../src/model/instance.js';
import { buildPlan } from '../../src/plan/planner.js';
import { summarizePlan } from '../../src/plan/summary.js';
import { configurationFromTarget, targetFromConfiguration } from '../../src/plan/target.js';
import type { InfeasiblePlan } from '../../src/plan/types.js';
import { asPlan, moved, ring } from './planner-support.js';

describe('summarizePlan', () => {
  const { instance, target } = ring(2, { perNode: 1, free: 1 });
  const r = buildPlan(instance, target);
  if (r.status !== 'planned') throw new Error('unplannable');
  const plan = asPlan(r);

  it('shows a header, one row per action with its route and after, and the stats', () => {
    const text = summarizePlan(plan, instance);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^plan: feasible \(3 nodes, 2 VMs\): 3 actions \(3 migrate\), makespan [\d.]+ s \(lower bound [\d.]+ s\)$/);
    expect(lines[1]).toMatch(/^\s*id\s+start\s+end\s+type\s+vm\/node\s+from → to\s+after$/);
    for (const a of plan.actions) {
      if (a.type !== 'migrate') continue;
      const row = lines.find((l) => new RegExp(`^\\s*${a.id}\\s`).test(l))!;
      expect(row).toContain(`${a.from} → ${a.to}`);
      expect(row).toContain(a.vm);
      if (a.after) expect(row.trimEnd().endsWith(a.after.join(','))).toBe(true);
    }
    expect(lines.at(-1)).toMatch(/^stats: 2 nodes used \(lower bound 0\), 3 migrations \(\d+ MiB\), makespan [\d.]+ s, solve 0 ms, plan 0 ms$/);
    // fixed width: the columns line up
    const col = lines[1]!.indexOf('type');
    for (const l of lines.slice(2, 2 + plan.actions.length)) expect(l.slice(col, col + 7)).toBe('migrate');
  });

  it('cuts long plans and lists the reasons of an infeasible one', () => {
    const short = summarizePlan(plan, instance, { maxRows: 1 });
    expect(short).toContain('… 2 more actions');
    const bad: InfeasiblePlan = { version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'n1 is too small for vm9' }] };
    expect(summarizePlan(bad, instance)).toBe('plan: infeasible (3 nodes, 2 VMs): 1 reason\n  - n1 is too small for vm9\n');
    const gaveUp: InfeasiblePlan = { ...bad, x: { unproved: true } };
    expect(summarizePlan(gaveUp, instance)).toBe('plan: infeasible (3 nodes, 2 VMs, not proved: a search budget ran out): 1 reason\n  - n1 is too small for vm9\n');
  });
});

describe('targets', () => {
  const instance = makeInstance({
    nodes: [{ id: 'n0', capacity: { cpu: 4 } }, { id: 'n1', capacity: { cpu: 4 }, state: 'offline' }],
    vms: [
      { id: 'a', demand: { cpu: 1 }, state: 'running', host: 'n0' },
      { id: 'b', demand: { cpu: 1 }, state: 'sleeping', host: 'n0' },
      { id: 'c', demand: { cpu: 1 }, state: 'waiting' },
    ],
  });

  it('lists every VM and node, keeping the source for what the configuration omits', () => {
    const partial = new Configuration({ vms: IMap({ a: placement('sleeping', 'n0') }), nodes: IMap({ n1: 'online' as const }) });
    expect(targetFromConfiguration(instance, partial)).toEqual({
      vms: { a: { state: 'sleeping', host: 'n0' }, b: { state: 'sleeping', host: 'n0' }, c: { state: 'waiting' } },
      nodes: { n0: 'online', n1: 'online' },
    });
  });

  it('converts back to the same configuration', () => {
    const c = moved(instance, { a: ['running', 'n1'], c: ['running', 'n0'] }, { n1: 'online' });
    expect(configurationFromTarget(instance, targetFromConfiguration(instance, c)).equals(c)).toBe(true);
    const s = sourceConfiguration(instance);
    expect(configurationFromTarget(instance, targetFromConfiguration(instance, s)).equals(s)).toBe(true);
  });
});
