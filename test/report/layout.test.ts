import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/model/action.js';
import { formatSeconds, layoutPlan } from '../../src/report/layout.js';
import { renderPlan } from '../../src/report/render.js';
import { escapeMarkup, scriptJson } from '../../src/report/style.js';
import { demoPlan, expectedPicture, HOSTILE, hostilePlan, nodesOfAction, syntheticPlan } from './support.js';

describe('layoutPlan', () => {
  it('puts every action on each of its nodes, in non-overlapping sub-rows, lanes in node order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 1e6 }), (count, nodes, seed) => {
        const { instance, plan } = syntheticPlan(count, nodes, seed);
        const chart = layoutPlan(instance, plan);
        const want = expectedPicture(plan);
        expect(chart.lanes.map((l) => l.node).sort()).toEqual([...want.lanes].sort());
        const order = [...instance.nodes.keys()];
        const pos = chart.lanes.map((l) => order.indexOf(l.node));
        expect(pos).toEqual([...pos].sort((a, b) => a - b));
        expect(chart.bars.length).toBe(want.bars);
        for (const lane of chart.lanes) {
          const bars = lane.bars.map((k) => chart.bars[k]!);
          expect(bars.map((b) => b.id).sort((a, b) => a - b)).toEqual([...want.barsByNode.get(lane.node)!].sort((a, b) => a - b));
          for (const b of bars) {
            expect(b.row).toBeGreaterThanOrEqual(0);
            expect(b.row).toBeLessThan(lane.rows);
            expect(nodesOfAction(plan.actions[b.action] as Action)).toContain(lane.node);
          }
          for (let r = 0; r < lane.rows; r++) {
            const row = bars.filter((b) => b.row === r).sort((a, b) => a.start - b.start);
            for (let i = 1; i < row.length; i++) expect(row[i]!.start).toBeGreaterThanOrEqual(row[i - 1]!.end);
          }
        }
        // Dependencies resolve to the actions named in `after`.
        plan.actions.forEach((a, i) => expect(chart.after[i]!.map((j) => plan.actions[j]!.id)).toEqual(a.after ?? []));
        expect(Object.values(chart.counts).reduce((x, y) => x + y, 0)).toBe(plan.actions.length);
      }),
      { numRuns: 40 },
    );
  });

  it('computes each node\'s load before and after from the instance and the target', async () => {
    const { instance, plan } = await demoPlan();
    const chart = layoutPlan(instance, plan);
    for (const lane of chart.lanes) {
      for (const l of lane.load) {
        let before = 0;
        let after = 0;
        for (const vm of instance.vms.values()) {
          if (vm.state === 'running' && vm.host === lane.node) before += vm.demand.get(l.resource) ?? 0;
          const t = plan.target.vms[vm.id]!;
          if (t.state === 'running' && t.host === lane.node) after += vm.demand.get(l.resource) ?? 0;
        }
        expect([l.before, l.after, l.capacity]).toEqual([before, after, instance.nodes.get(lane.node)!.capacity.get(l.resource)]);
      }
    }
    // The demo consolidates: n4 goes offline and ends empty.
    const n4 = chart.lanes.find((l) => l.node === 'n4')!;
    expect([n4.stateBefore, n4.stateAfter]).toEqual(['online', 'offline']);
    expect(n4.load.every((l) => l.after === 0 && l.before > 0)).toBe(true);
    const cpu = chart.cluster.find((c) => c.resource === 'cpu')!;
    expect(cpu.capacityAfter).toBeLessThan(cpu.capacity);
  });

  it('draws an infeasible answer as its reasons, with no lanes', async () => {
    const { instance } = await demoPlan();
    const plan = { version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'not enough <memory> for "ml"' }] } as const;
    const chart = layoutPlan(instance, plan);
    expect(chart.lanes).toEqual([]);
    expect(chart.reasons).toEqual(['not enough <memory> for "ml"']);
    const html = renderPlan(instance, plan);
    expect(html).toContain('not enough &#60;memory&#62; for &#34;ml&#34;');
    expect(renderPlan(instance, plan, { format: 'svg' })).toContain('infeasible: not enough &#60;memory&#62;');
  });

  it('draws a plan with nothing to do: no lanes, the figures still there', async () => {
    const { instance, plan } = await demoPlan();
    const idle = { ...plan, actions: [] };
    const chart = layoutPlan(instance, idle);
    expect([chart.lanes.length, chart.bars.length, chart.span]).toEqual([0, 0, 1]);
    expect(chart.stats.find((s) => s.label === 'actions')?.value).toBe('0');
    expect(renderPlan(instance, idle)).toContain('data-lanes="0"');
    expect(renderPlan(instance, idle, { format: 'svg' })).toContain('data-bars="0"');
  });

  it('writes seconds, minutes and hours readably, and ticks on round values', () => {
    expect([formatSeconds(4.25), formatSeconds(60), formatSeconds(65), formatSeconds(7260)]).toEqual(['4.3 s', '1 min', '1 min 5 s', '2 h 1 min']);
    const { instance, plan } = syntheticPlan(3000, 10, 3);
    const ticks = layoutPlan(instance, plan).ticks;
    expect(ticks[0]).toBe(0);
    const step = ticks[1]! - ticks[0]!;
    expect([60, 120, 300, 600, 900, 1200, 1800, 3600]).toContain(step);
  });
});

describe('escaping', () => {
  it('inline JSON never contains < > & and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = scriptJson(v);
        expect(s).not.toMatch(/[<>&\u2028\u2029]/);
        expect(JSON.parse(s)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('markup text never contains a raw < > " \' or a bare &', () => {
    fc.assert(
      fc.property(fc.string(), (t) => {
        const e = escapeMarkup(t);
        expect(e).not.toMatch(/[<>"']|&(?!#\d+;)/);
      }),
    );
  });

  it('hostile ids appear only escaped in both pictures', async () => {
    const { instance, plan } = await hostilePlan();
    for (const format of ['html', 'svg'] as const) {
      const doc = renderPlan(instance, plan, { format });
      for (const id of Object.values(HOSTILE)) expect(doc).not.toContain(id);
      expect(doc).toContain(escapeMarkup(HOSTILE.node));
      expect(doc.match(/<script/g)?.length ?? 0).toBe(format === 'html' ? 2 : 0);
    }
  });
});
