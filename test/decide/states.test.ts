import { describe, expect, it } from 'vitest';
import { analyzeStates, canReach, idleStateOf } from '../../src/decide/states.js';
import { indexInstance, VM_STATE_CODE } from '../../src/model/indexed.js';
import { makeInstance, type InstanceInit } from '../../src/model/instance.js';

const n1 = { id: 'n1', capacity: { cpu: 8, memory: 8192 } };
const d = { cpu: 1, memory: 512 };

function analyze(init: Omit<InstanceInit, 'nodes'>) {
  const inst = makeInstance({ nodes: [n1], ...init });
  const ix = indexInstance(inst);
  return { ix, ...analyzeStates(inst, ix) };
}

describe('state transitions', () => {
  it('allows exactly the one-action transitions of the format', () => {
    expect(canReach('waiting', 'running')).toBe(true);
    expect(canReach('running', 'sleeping')).toBe(true);
    expect(canReach('running', 'terminated')).toBe(true);
    expect(canReach('sleeping', 'running')).toBe(true);
    expect(canReach('waiting', 'sleeping')).toBe(false);
    expect(canReach('running', 'waiting')).toBe(false);
    expect(canReach('sleeping', 'terminated')).toBe(false);
    expect(canReach('terminated', 'running')).toBe(false);
  });
});

describe('analyzeStates', () => {
  it('collects wants and state constraints per VM', () => {
    const a = analyze({
      vms: [
        { id: 'a', demand: d, state: 'waiting', wants: 'running' },
        { id: 'b', demand: d, state: 'running', host: 'n1' },
        { id: 'c', demand: d, state: 'running', host: 'n1' },
      ],
      constraints: [{ type: 'sleeping', vms: ['b'] }, { type: 'terminated', vms: ['c'] }],
    });
    expect(a.reasons).toEqual([]);
    expect([...a.required]).toEqual([VM_STATE_CODE.running, VM_STATE_CODE.sleeping, VM_STATE_CODE.terminated]);
    // c terminates: it follows no vjob; a must run; b must not.
    expect(a.groups.map((g) => [g.id, g.mandatory, g.forbidden])).toEqual([['a', true, false], ['b', false, true]]);
  });

  it('reports conflicting requirements and unreachable states', () => {
    const a = analyze({
      vms: [
        { id: 'a', demand: d, state: 'running', host: 'n1', wants: 'running' },
        { id: 'w', demand: d, state: 'waiting', wants: 'sleeping' },
        { id: 's', demand: d, state: 'sleeping', host: 'n1' },
      ],
      constraints: [{ type: 'sleeping', vms: ['a'] }, { type: 'terminated', vms: ['s'] }],
    });
    const messages = a.reasons.map((r) => r.message);
    expect(messages.some((m) => m.includes('"a"') && m.includes('both running') && m.includes('sleeping'))).toBe(true);
    expect(messages.some((m) => m.includes('"w" is waiting and cannot become sleeping'))).toBe(true);
    expect(messages.some((m) => m.includes('"s" is sleeping and cannot become terminated'))).toBe(true);
    expect(a.reasons.find((r) => r.vms?.includes('s'))?.constraints).toEqual([1]);
  });

  it('a vjob asked both to run and to sleep cannot be split', () => {
    const a = analyze({
      vms: [
        { id: 'a', demand: d, state: 'running', host: 'n1', vjob: 'j', wants: 'running' },
        { id: 'b', demand: d, state: 'running', host: 'n1', vjob: 'j', wants: 'sleeping' },
      ],
      vjobs: [{ id: 'j' }],
    });
    expect(a.reasons).toHaveLength(1);
    expect(a.reasons[0]!.message).toContain('vjob "j" cannot be split');
  });

  it('vjobs: declared metadata, implicit vjobs, current state, mixed waiting vjobs must run', () => {
    const a = analyze({
      vms: [
        { id: 'a', demand: d, state: 'running', host: 'n1', vjob: 'j' },
        { id: 'b', demand: d, state: 'waiting', vjob: 'j' },
        { id: 'c', demand: d, state: 'sleeping', host: 'n1' },
        { id: 't', demand: d, state: 'terminated' },
      ],
      vjobs: [{ id: 'j', priority: 4, submitted: 2, bestEffort: true }],
    });
    const j = a.groups.find((g) => g.id === 'j')!;
    expect(j).toMatchObject({ priority: 4, submitted: 2, bestEffort: true, current: 'mixed', mixedWaiting: true, mandatory: true });
    expect(a.groups.find((g) => g.id === 'c')).toMatchObject({ current: 'sleeping', mandatory: false });
    expect(a.groups.some((g) => g.id === 't')).toBe(false);
  });

  it('idle states: suspended where it ran, asleep where its image lies, waiting, terminated', () => {
    const a = analyze({
      vms: [
        { id: 'r', demand: d, state: 'running', host: 'n1' },
        { id: 's', demand: d, state: 'sleeping', host: 'n1' },
        { id: 'w', demand: d, state: 'waiting' },
        { id: 'x', demand: d, state: 'running', host: 'n1', wants: 'terminated' },
      ],
    });
    expect(idleStateOf(a.ix, a.required, 0, false)).toEqual({ state: 'sleeping', host: 0 });
    expect(idleStateOf(a.ix, a.required, 1, false)).toEqual({ state: 'sleeping', host: 0 });
    expect(idleStateOf(a.ix, a.required, 2, false)).toEqual({ state: 'waiting', host: -1 });
    expect(idleStateOf(a.ix, a.required, 3, false)).toEqual({ state: 'terminated', host: -1 });
    expect(idleStateOf(a.ix, a.required, 2, true).state).toBe('running');
  });
});
