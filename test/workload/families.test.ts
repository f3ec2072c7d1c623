import { describe, expect, it } from 'vitest';
import { serializeWorkload } from '../../src/io/workload.js';
import { besteffortWorkload, generateWorkload, queueWorkload, tdscWorkload, WORKLOAD_FAMILIES } from '../../src/workload/families.js';

describe('workload generators', () => {
  it('are deterministic for a seed, and the seed matters', () => {
    for (const family of WORKLOAD_FAMILIES) {
      const a = serializeWorkload(generateWorkload(family, { nodes: 12, vms: 48, seed: 5 }));
      const b = serializeWorkload(generateWorkload(family, { nodes: 12, vms: 48, seed: 5 }));
      const c = serializeWorkload(generateWorkload(family, { nodes: 12, vms: 48, seed: 6 }));
      expect(a, family).toEqual(b);
      expect(a, family).not.toEqual(c);
    }
  });

  it('besteffort: best-effort vjobs, whole-node reservations with notice on disjoint windows, failures with repairs', () => {
    const w = besteffortWorkload({ nodes: 32, vms: 200, seed: 3 });
    const arrivals = w.events.filter((e) => e.type === 'arrival');
    const resv = w.events.flatMap((e) => (e.type === 'reservation' ? [e] : []));
    expect(arrivals.reduce((s, e) => s + (e.type === 'arrival' ? e.job.vms.length : 0), 0)).toBe(200);
    for (const e of arrivals) if (e.type === 'arrival') expect(e.job.bestEffort).toBe(true);
    expect(resv.length).toBeGreaterThanOrEqual(2);
    for (const r of resv) {
      expect(r.start - r.time).toBeGreaterThanOrEqual(0);
      expect(r.job.vms.length).toBe(r.nodes.length);
      expect(r.job.bestEffort ?? false).toBe(false);
      for (const q of resv) {
        if (q === r || !q.nodes.some((n) => r.nodes.includes(n))) continue;
        expect(q.end <= r.start || r.end <= q.start).toBe(true);
      }
    }
    const failures = w.events.filter((e) => e.type === 'failure');
    expect(failures.length).toBe(1);
    expect(w.events.filter((e) => e.type === 'repair').length).toBe(failures.length);
    for (let i = 1; i < w.events.length; i++) expect(w.events[i]!.time).toBeGreaterThanOrEqual(w.events[i - 1]!.time);
  });

  it('queue: vjobs of 1-64 VMs with work, priorities and arrivals; tdsc: spread and among, failures', () => {
    const q = queueWorkload({ nodes: 16, vms: 400, seed: 1 });
    const sizes = q.events.map((e) => (e.type === 'arrival' ? e.job.vms.length : 0));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(Math.max(...sizes)).toBeGreaterThan(8);
    expect(new Set(q.events.map((e) => (e.type === 'arrival' ? e.job.priority : -1))).size).toBeGreaterThan(1);
    const t = tdscWorkload({ nodes: 16, vms: 80, seed: 1 });
    const types = new Set(t.instance.constraints.map((c) => c.type));
    expect(types.has('spread') && types.has('among')).toBe(true);
    expect(t.events.some((e) => e.type === 'failure')).toBe(true);
  });
});
