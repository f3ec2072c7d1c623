import { is } from 'immutable';
import { describe, expect, it } from 'vitest';
import { placement } from '../../src/model/configuration.js';
import { indexInstance } from '../../src/model/indexed.js';
import { effectiveCapacity, makeInstance, sourceConfiguration } from '../../src/model/instance.js';

const inst = makeInstance({
  nodes: [
    { id: 'n1', capacity: { cpu: 8, memory: 16384 }, site: 'a' },
    { id: 'n2', capacity: { cpu: 8, memory: 16384 }, state: 'offline', site: 'b' },
  ],
  vms: [
    { id: 'vm1', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1', vjob: 'j' },
    { id: 'vm2', demand: { cpu: 1, memory: 1024 }, state: 'waiting' },
  ],
  vjobs: [{ id: 'j', priority: 3 }],
  constraints: [{ type: 'overbook', nodes: ['n1'], resource: 'cpu', ratio: 2 }],
});

describe('model', () => {
  it('builds a source configuration equal by value to one built by hand', () => {
    const c = sourceConfiguration(inst);
    expect(c.vms.get('vm1')?.host).toBe('n1');
    expect(is(c.vms.get('vm2'), placement('waiting'))).toBe(true);
    expect(c.runningOn('n1')).toEqual(['vm1']);
    expect(c.isOnline('n2')).toBe(false);
  });

  it('applies overbook ratios to usable capacity', () => {
    expect(effectiveCapacity(inst, 'n1', 'cpu')).toBe(16);
    expect(effectiveCapacity(inst, 'n2', 'cpu')).toBe(8);
    expect(effectiveCapacity(inst, 'n1', 'gpu')).toBe(0);
  });

  it('indexes nodes, VMs, resources, vjobs and sites densely', () => {
    const ix = indexInstance(inst);
    expect(ix.resources).toEqual(['cpu', 'memory']);
    expect(Array.from(ix.effectiveCapacity)).toEqual([16, 16384, 8, 16384]);
    expect(Array.from(ix.vmHost)).toEqual([0, -1]);
    expect(Array.from(ix.nodeOnline)).toEqual([1, 0]);
    expect(ix.vjobIds).toEqual(['j', 'vm2']);
    expect(Array.from(ix.nodeSite)).toEqual([0, 1]);
    expect(ix.memory).toBe(1);
  });
});
