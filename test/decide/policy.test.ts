import { describe, expect, it } from 'vitest';
import { compareCandidates, priorityPolicy, type VjobCandidate } from '../../src/decide/policy.js';
import { makeInstance } from '../../src/model/instance.js';

const cand = (id: string, o: Partial<VjobCandidate> = {}): VjobCandidate => ({
  id, vms: [], priority: 0, submitted: 0, bestEffort: false, current: 'waiting', order: 0, ...o,
});

describe('default admission order', () => {
  it('non-best-effort first, then priority, submission, running, instance order', () => {
    const list = [
      cand('be-high', { bestEffort: true, priority: 9, order: 0 }),
      cand('low-late', { priority: 1, submitted: 5, order: 1 }),
      cand('low-early', { priority: 1, submitted: 2, order: 2 }),
      cand('high', { priority: 3, order: 3 }),
      cand('low-early-running', { priority: 1, submitted: 2, current: 'running', order: 4 }),
      cand('low-early-2', { priority: 1, submitted: 2, order: 5 }),
    ];
    expect([...list].sort(compareCandidates).map((c) => c.id)).toEqual([
      'high', 'low-early-running', 'low-early', 'low-early-2', 'low-late', 'be-high',
    ]);
  });

  it('priorityPolicy offers every candidate once, in that order, and goes on after a refusal (backfilling)', () => {
    const asked: string[] = [];
    priorityPolicy({
      instance: makeInstance({ nodes: [], vms: [] }),
      candidates: [cand('b', { priority: 1, order: 1 }), cand('a', { priority: 2, order: 0 }), cand('c', { order: 2 })],
      tryRun: (id) => {
        asked.push(id);
        return id !== 'b';
      },
    });
    expect(asked).toEqual(['a', 'b', 'c']);
  });
});
