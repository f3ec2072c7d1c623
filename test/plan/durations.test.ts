import { describe, expect, it } from 'vitest';
import { makeInstance } from '../../src/model/instance.js';
import { DEFAULT_DURATIONS } from '../../src/model/objective.js';
import { defaultDurationModel, durationModelOf, type DurationRequest } from '../../src/plan/durations.js';

describe('duration model', () => {
  const instance = makeInstance({
    nodes: [
      { id: 'a', capacity: { memory: 1 << 20 }, site: 'x' },
      { id: 'b', capacity: { memory: 1 << 20 }, site: 'x' },
      { id: 'c', capacity: { memory: 1 << 20 }, site: 'y' },
      { id: 'd', capacity: { memory: 1 << 20 } },
    ],
    vms: [{ id: 'v', demand: { memory: 6000 }, state: 'running', host: 'a' }, { id: 'nomem', demand: {}, state: 'running', host: 'a' }],
    durations: { bandwidth: 600, wanBandwidth: 60, diskRate: 300, shutdownVm: 3 },
  });
  const n = (id: string) => instance.nodes.get(id)!;
  const vm = instance.vms.get('v')!;
  const model = defaultDurationModel(instance);
  const ask = (q: DurationRequest): number => model(q, instance);

  it('moves memory over the LAN, the WAN across sites, and images through the disk', () => {
    expect(ask({ type: 'migrate', vm, from: n('a'), to: n('b') })).toBeCloseTo(10, 9);
    expect(ask({ type: 'migrate', vm, from: n('a'), to: n('c') })).toBeCloseTo(100, 9);
    expect(ask({ type: 'migrate', vm, from: n('a'), to: n('d') })).toBeCloseTo(10, 9); // no site: same site
    expect(ask({ type: 'suspend', vm, from: n('a') })).toBeCloseTo(20, 9);
    expect(ask({ type: 'resume', vm, from: n('a'), to: n('a') })).toBeCloseTo(20, 9);
    expect(ask({ type: 'resume', vm, from: n('a'), to: n('b') })).toBeCloseTo(30, 9);
    expect(ask({ type: 'resume', vm, from: n('a'), to: n('c') })).toBeCloseTo(120, 9);
    expect(ask({ type: 'migrate', vm: instance.vms.get('nomem')!, from: n('a'), to: n('b') })).toBe(0);
  });

  it('charges fixed costs, the instance ones first and the documented defaults for the rest', () => {
    expect(ask({ type: 'shutdown', vm, from: n('a') })).toBe(3);
    expect(ask({ type: 'boot', vm, to: n('a') })).toBe(DEFAULT_DURATIONS.bootVm);
    expect(ask({ type: 'bootNode', node: n('a'), to: n('a') })).toBe(DEFAULT_DURATIONS.bootNode);
    expect(ask({ type: 'shutdownNode', node: n('a'), from: n('a') })).toBe(DEFAULT_DURATIONS.shutdownNode);
    expect(durationModelOf({ ...DEFAULT_DURATIONS, bootVm: 1 })({ type: 'boot', vm }, instance)).toBe(1);
  });
});
