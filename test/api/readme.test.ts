import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPlan, parseInstance, planInstance, verifyPlan } from '../../src/index.js';

describe('the README API tour', () => {
  it('parses, plans, verifies and formats the demo through the package entry point', async () => {
    const jsonText = readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8');
    const parsed = parseInstance(jsonText);
    if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    const plan = await planInstance(parsed.value, { seed: 1, timeLimitMs: 5000 });
    expect(plan.status).not.toBe('infeasible');
    if (plan.status === 'infeasible') return;
    expect(plan.stats.makespan).toBeGreaterThan(0);
    expect(verifyPlan(parsed.value, plan).ok).toBe(true);
    const again = parseInstance(jsonText);
    expect(again.ok && JSON.parse(formatPlan(plan)).target.nodes.n4).toBe('offline');
  });

  it('rejects bad options with a typed error naming the option', async () => {
    const parsed = parseInstance(readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8'));
    if (!parsed.ok) throw new Error('demo must parse');
    await expect(planInstance(parsed.value, { timeLimitMs: -1 })).rejects.toMatchObject({ code: 'invalid-options', issues: [{ path: 'timeLimitMs' }] });
  });
});
