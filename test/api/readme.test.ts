/**
 * The README's "API in ten lines", executed as written: the block is cut out of README.md and
 * run with node in a temporary project where the packed package is installed, on the bundled
 * demo instance (as `cluster.json`). It must print the makespan and `true`, and write a plan
 * that parses and a report that carries a bar per action.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/io/instance.js';
import { parsePlan } from '../../src/io/plan.js';
import { planInstance } from '../../src/pipeline.js';
import { packedProject, ROOT, type PackedProject } from './packed.js';

/** The code of the first ```ts block after the heading `heading` in the README. */
function readmeBlock(heading: string): string {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = text.indexOf(`## ${heading}`);
  if (at < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const m = /```ts\n([^]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`README.md: no ts block under "## ${heading}"`);
  return m[1]!;
}

describe('the README API tour', () => {
  let p: PackedProject;
  beforeAll(async () => {
    p = await packedProject();
  }, 120_000);
  afterAll(() => p?.remove());

  it('is at most ten lines of code, importing the package by name', () => {
    const code = readmeBlock('API in ten lines').split('\n').filter((l) => l.trim() !== '');
    expect(code.length).toBeLessThanOrEqual(10);
    expect(code.join('\n')).toMatch(/from 'switchyard'/);
  });

  it('runs as written against the packed package', async () => {
    writeFileSync(join(p.dir, 'tour.mjs'), readmeBlock('API in ten lines'));
    const { stdout } = await p.node(['tour.mjs']);
    const [first] = stdout.trim().split('\n');
    const [makespan, valid] = first!.split(' ');
    expect(Number(makespan)).toBeGreaterThan(0);
    expect(valid).toBe('true');
    const plan = parsePlan(readFileSync(join(p.dir, 'plan.json'), 'utf8'));
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.value.status).not.toBe('infeasible');
    const html = readFileSync(join(p.dir, 'plan.html'), 'utf8');
    for (const a of plan.value.actions) expect(html).toContain(`data-action="${a.id}"`);
  });

  it('rejects bad options with a typed error naming the option', async () => {
    const parsed = parseInstance(readFileSync(join(ROOT, 'examples/demo.json'), 'utf8'));
    if (!parsed.ok) throw new Error('demo must parse');
    await expect(planInstance(parsed.value, { timeLimitMs: -1 })).rejects.toMatchObject({ code: 'invalid-options', issues: [{ path: 'timeLimitMs' }] });
  });
});
