import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';
import { EXIT, runCli, type CliIo } from '../../src/cli/run.js';
import { parseInstance } from '../../src/io/instance.js';
import { planInstance } from '../../src/pipeline.js';
import type { PlanProgress } from '../../src/progress.js';

const demo = readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8');

async function run(argv: string[], tty: boolean): Promise<{ code: number; err: string }> {
  let err = '';
  let t = 0;
  const io: CliIo = {
    stdout: () => undefined,
    stderr: (s) => void (err += s),
    readFile: async () => demo,
    writeFile: async () => undefined,
    now: () => (t += 2000),
    stderrIsTTY: tty,
  };
  return { code: await runCli(argv, io), err };
}

describe('progress of switchyard plan', () => {
  it('plain lines per phase when stderr is not a terminal, with the best answer and its bound', async () => {
    const r = await run(['plan', 'demo.json', '-o', 'p.json'], false);
    expect(r.code).toBe(EXIT.ok);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe('plan: read demo.json');
    // the decide stage (which vjobs run) comes first, with what the read left of the budget (the
    // fake clock moves 2 s a reading), then the placement
    const decide = lines.findIndex((l) => l.startsWith('plan: decide, '));
    expect(lines[decide]).toMatch(/^plan: decide, \d\.\d s left$/);
    expect(Number(/(\d\.\d) s left/.exec(lines[decide]!)?.[1])).toBeLessThan(10);
    expect(lines.findIndex((l) => l.startsWith('plan: place, '))).toBeGreaterThan(decide);
    expect(lines.find((l) => l.startsWith('plan: plan, best '))).toMatch(/best \d+ nodes, [\d,]+ MiB moved, (optimal|feasible) \(bound \d+ nodes\)/);
    expect(lines[lines.length - 1]).toMatch(/^plan: verify, \d+\.\d s left$/);
    expect(r.err).not.toContain('\r');
  });

  it('one line redrawn in place on a terminal, cleared at the end', async () => {
    const r = await run(['plan', 'demo.json', '-o', 'p.json'], true);
    expect(r.code).toBe(EXIT.ok);
    expect(r.err.startsWith('\r\x1b[Kplan: read demo.json')).toBe(true);
    expect(r.err).not.toContain('\n');
    expect(r.err.endsWith('\r\x1b[K')).toBe(true);
  });

  it('--quiet silences it', async () => {
    for (const tty of [true, false]) expect((await run(['plan', 'demo.json', '-o', 'p.json', '-q'], tty)).err).toBe('');
  });

  it('planInstance reports decide, place, plan and verify in order through its callback', async () => {
    const parsed = parseInstance(demo);
    if (!parsed.ok) throw new Error('demo');
    const events: PlanProgress[] = [];
    await planInstance(parsed.value, { timeLimitMs: 2000, onProgress: (e) => events.push(e) });
    const phases = events.map((e) => e.phase);
    expect(phases[0]).toBe('decide');
    expect(phases.indexOf('place')).toBeGreaterThan(0);
    expect(phases.indexOf('plan')).toBeGreaterThan(phases.indexOf('place'));
    expect(phases[phases.length - 1]).toBe('verify');
  });

  it('formats a line', () => {
    expect(progressLine('plan', { phase: 'improve', best: { nodes: 419, migratedMemory: 36716544 }, bound: 419, timeLeftMs: 4200 })).toBe(
      'plan: improve, best 419 nodes, 36,716,544 MiB moved (bound 419 nodes), 4.2 s left',
    );
  });
});
