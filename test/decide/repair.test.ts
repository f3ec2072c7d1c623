import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { VM_STATE_CODE } from '../../src/model/indexed.js';
import { makeInstance, type Instance, type InstanceInit } from '../../src/model/instance.js';
import { compileProblem } from '../../src/problem/dense.js';
import { misplacedVms } from '../../src/solvers/repair.js';
import { configurationOf } from '../place/brute.js';
import { arbConstrainedWorld } from '../place/worlds.js';

/** The dense problem (default target states), the VMs that keep running from the source, and the misplaced VMs' ids. */
function setup(inst: Instance) {
  const { problem: p, ix } = compileProblem(inst);
  const free = misplacedVms(p);
  const running: number[] = [];
  for (let v = 0; v < p.nVms; v++) if (p.target[v] === VM_STATE_CODE.running && p.srcRunning[v]) running.push(v);
  const stopping = ix.vmIds.filter((_, v) => ix.vmState[v] === VM_STATE_CODE.running && p.target[v] !== VM_STATE_CODE.running);
  return { p, ix, running, rs: { vms: ix.vmIds.filter((_, v) => free[v] === 1), stopping } };
}

const node = (id: string) => ({ id, capacity: { cpu: 4, memory: 4096 } });
const vm = (id: string, host: string, cpu = 1) => ({ id, demand: { cpu, memory: 512 }, state: 'running' as const, host });
const base = (extra: Partial<InstanceInit>): Instance =>
  makeInstance({ nodes: [node('n1'), node('n2'), node('n3')], vms: [vm('a', 'n1'), vm('b', 'n1'), vm('c', 'n2')], ...extra });

describe('repair set', () => {
  it('is empty when nothing is broken', () => {
    expect(setup(base({})).rs.vms).toEqual([]);
  });

  it('frees the VMs of an overloaded node, of a broken spread, on a banned node, and VMs to start', () => {
    expect(setup(base({ vms: [vm('a', 'n1', 3), vm('b', 'n1', 2), vm('c', 'n2')] })).rs.vms).toEqual(['a', 'b']);
    expect(setup(base({ constraints: [{ type: 'spread', vms: ['a', 'b', 'c'] }] })).rs.vms).toEqual(['a', 'b']);
    expect(setup(base({ constraints: [{ type: 'ban', vms: ['c'], nodes: ['n2'] }] })).rs.vms).toEqual(['c']);
    const start = setup(base({ vms: [vm('a', 'n1'), { id: 'w', demand: { cpu: 1, memory: 512 }, state: 'waiting' }] }));
    expect(start.rs.vms).toEqual([]);
    expect(setup(base({ constraints: [{ type: 'offline', nodes: ['n2'] }] })).rs.vms).toEqual(['c']);
    expect(setup(base({ constraints: [{ type: 'gather', vms: ['a', 'c'] }] })).rs.vms).toEqual(['a', 'c']);
    expect(setup(base({ constraints: [{ type: 'lonely', vms: ['a'] }] })).rs.vms).toEqual(['a', 'b']);
  });

  it('never frees pinned VMs, and lists the VMs that stop running', () => {
    const r = setup(base({ vms: [vm('a', 'n1', 3), vm('b', 'n1', 2), vm('c', 'n2', 1)], constraints: [{ type: 'root', vms: ['a'] }, { type: 'sleeping', vms: ['c'] }] }));
    expect(r.rs.vms).toEqual(['b']);
    expect(r.rs.stopping).toEqual(['c']);
  });

  it('an empty repair set means keeping every running VM where it is breaks no placement rule (no pinned VMs)', () => {
    fc.assert(
      fc.property(arbConstrainedWorld({ states: false }), ({ instance }) => {
        // Pinned VMs (root, quarantine) are never free: a rule they break is the decide step's to fix.
        fc.pre(!instance.constraints.some((c) => c.type === 'root' || c.type === 'quarantine'));
        const { p, ix, running, rs } = setup(instance);
        if (rs.vms.length > 0) return;
        const ids = running.map((v) => ix.vmIds[v]!);
        const hosts = running.map((v) => ix.nodeIds[p.home[v]!]!);
        const conf = configurationOf(instance, ids, hosts);
        const broken = checkConfiguration(instance, conf).filter(
          (v) => v.code === 'capacity' || (v.code.startsWith('constraint:') && !['constraint:running', 'constraint:sleeping', 'constraint:terminated', 'constraint:online'].includes(v.code)),
        );
        expect(broken).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
