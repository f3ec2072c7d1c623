import { describe, expect, it } from 'vitest';
import { formatInstance } from '../../src/io/instance.js';
import type { Instance } from '../../src/model/instance.js';
import { heterogeneousCluster, type ClusterMix } from '../../src/workload/cluster.js';

/** Total demand over total capacity per resource, and the distinct node types and flavours. */
function stats(i: Instance): { cpu: number; memory: number; types: number; flavours: number; running: number } {
  let cpu = 0;
  let memory = 0;
  let capCpu = 0;
  let capMem = 0;
  const types = new Set<string>();
  const flavours = new Set<string>();
  let running = 0;
  for (const n of i.nodes.valueSeq()) {
    capCpu += n.capacity.get('cpu') ?? 0;
    capMem += n.capacity.get('memory') ?? 0;
    types.add(`${n.capacity.get('cpu')}/${n.capacity.get('memory')}`);
  }
  for (const v of i.vms.valueSeq()) {
    cpu += v.demand.get('cpu') ?? 0;
    memory += v.demand.get('memory') ?? 0;
    flavours.add(`${v.demand.get('cpu')}/${v.demand.get('memory')}`);
    if (v.state === 'running') running++;
  }
  return { cpu: cpu / capCpu, memory: memory / capMem, types: types.size, flavours: flavours.size, running };
}

describe('heterogeneousCluster shapes (issue 11)', () => {
  const shapes: { mix: ClusterMix; nodeTypes: number; flavours: number }[] = [
    { mix: 'cpu', nodeTypes: 4, flavours: 7 },
    { mix: 'cpu', nodeTypes: 1, flavours: 2 },
    { mix: 'memory', nodeTypes: 6, flavours: 8 },
    { mix: 'memory', nodeTypes: 1, flavours: 3 },
    { mix: 'balanced', nodeTypes: 3, flavours: 5 },
  ];
  for (const s of shapes) {
    it(`${s.mix}, ${s.nodeTypes} node types, ${s.flavours} flavours: deterministic, valid, of the stated shape`, () => {
      const a = heterogeneousCluster({ nodes: 120, vms: 600, seed: 7, ...s });
      const b = heterogeneousCluster({ nodes: 120, vms: 600, seed: 7, ...s });
      const c = heterogeneousCluster({ nodes: 120, vms: 600, seed: 8, ...s });
      expect(formatInstance(a)).toBe(formatInstance(b));
      expect(formatInstance(a)).not.toBe(formatInstance(c));
      // Capacities hold under the initial placement.
      const used = new Map<string, [number, number]>();
      for (const v of a.vms.valueSeq()) {
        if (v.host === undefined) continue;
        const u = used.get(v.host) ?? [0, 0];
        used.set(v.host, [u[0] + (v.demand.get('cpu') ?? 0), u[1] + (v.demand.get('memory') ?? 0)]);
      }
      for (const [n, [uc, um]] of used) {
        expect(uc).toBeLessThanOrEqual(a.nodes.get(n)!.capacity.get('cpu')!);
        expect(um).toBeLessThanOrEqual(a.nodes.get(n)!.capacity.get('memory')!);
      }
      const st = stats(a);
      expect(st.types).toBe(s.nodeTypes);
      expect(st.flavours).toBeLessThanOrEqual(s.flavours);
      expect(st.flavours).toBeGreaterThanOrEqual(2);
      expect(st.running).toBe(600);
      const larger = Math.max(st.cpu, st.memory);
      expect(larger).toBeGreaterThan(0.3);
      expect(larger).toBeLessThan(0.6);
      if (s.mix === 'cpu') expect(st.cpu).toBeGreaterThan(st.memory * 1.2);
      if (s.mix === 'memory') expect(st.memory).toBeGreaterThan(st.cpu * 1.2);
      if (s.mix === 'balanced') expect(Math.abs(st.cpu - st.memory)).toBeLessThan(0.1 * larger);
    });
  }

  it('leaves the classic generator unchanged when no shape option is set', () => {
    const classic = heterogeneousCluster({ nodes: 30, vms: 120, seed: 3 });
    const st = stats(classic);
    // The classic node types (six) and flavours (eight) all appear, the load is about 45%.
    expect(st.types).toBe(6);
    expect(Math.max(st.cpu, st.memory)).toBeGreaterThan(0.44);
    expect(Math.max(st.cpu, st.memory)).toBeLessThan(0.46);
  });
});
