import { describe, expect, it } from 'vitest';
import { runInMemory, type CliRun } from '../support/cli.js';

const run = (argv: string[], files: Map<string, string> = new Map()): Promise<CliRun> => runInMemory(argv, files);

describe('switchyard generate and simulate', () => {
  it('generate writes the same workload for the same seed; simulate --json ends with the metrics object', async () => {
    const files = new Map<string, string>();
    const args = ['generate', '--family', 'besteffort', '--nodes', '8', '--vms', '24', '--seed', '3'];
    expect((await run([...args, '-o', 'w.json'], files)).code).toBe(0);
    const again = await run(args);
    expect(again.out).toBe(files.get('w.json'));
    const r = await run(['simulate', 'w.json', '--policy', 'kill', '--policy', 'switch', '--json'], files);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^policy\s+lost VM-s/);
    const json = JSON.parse(lines[lines.length - 1]!) as { policies: Record<string, Record<string, number>> };
    expect(Object.keys(json.policies)).toEqual(['kill', 'switch']);
    for (const m of Object.values(json.policies)) {
      for (const k of ['lostComputeSeconds', 'meanCompletion', 'p95Completion', 'meanCompletionBestEffort', 'utilization', 'migrations', 'suspends', 'resumes', 'nodeHours', 'reservationsLate']) {
        expect(typeof m[k], k).toBe('number');
      }
    }
    expect(json.policies['switch']!['lostComputeSeconds']).toBeLessThanOrEqual(json.policies['kill']!['lostComputeSeconds']!);
  });

  it('bad input: usage errors exit 2, an invalid workload exits 1 naming the field', async () => {
    expect((await run(['generate', '--family', 'mars', '--nodes', '2', '--vms', '2'])).code).toBe(2);
    expect((await run(['generate', '--family', 'queue', '--nodes', '0', '--vms', '2'])).err).toMatch(/--nodes must be an integer ≥ 1/);
    const files = new Map([['w.json', JSON.stringify({ version: 1, instance: { version: 1, nodes: [], vms: [] }, events: [{ type: 'failure', time: 3, node: 'ghost' }] })]]);
    expect((await run(['simulate', 'w.json', '--policy', 'nope'], files)).code).toBe(2);
    const bad = await run(['simulate', 'w.json'], files);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/events\[0\]\.node: .*node "ghost" does not exist/);
    expect(bad.err).not.toMatch(/at .*\.ts:\d+/);
    expect((await run(['simulate', 'missing.json'])).err).toMatch(/missing.json: cannot read: no such file/);
  });

  it('the same seed gives the same report; --noise changes the run, seeded', async () => {
    const files = new Map<string, string>();
    expect((await run(['generate', '--family', 'besteffort', '--nodes', '8', '--vms', '24', '--seed', '3', '-o', 'w.json'], files)).code).toBe(0);
    const last = (out: string): { policies: Record<string, { x: { end: number } } & Record<string, unknown>> } => JSON.parse(out.trimEnd().split('\n').pop()!);
    const engine = await run(['simulate', 'w.json', '--policy', 'switch', '--json'], files);
    const again = await run(['simulate', 'w.json', '--policy', 'switch', '--json'], files);
    expect(engine.code, engine.err).toBe(0);
    expect(engine.out).toBe(again.out);
    const noisy = await run(['simulate', 'w.json', '--policy', 'switch', '--noise', '0.4', '--json'], files);
    const noisyAgain = await run(['simulate', 'w.json', '--policy', 'switch', '--noise', '0.4', '--json'], files);
    expect(noisy.code, noisy.err).toBe(0);
    expect(noisyAgain.out).toBe(noisy.out);
    expect(last(noisy.out).policies['switch']!.x.end).not.toBe(last(engine.out).policies['switch']!.x.end);
    expect((await run(['simulate', 'w.json', '--carrier', 'timing'], files)).code).toBe(2);
    expect((await run(['simulate', 'w.json', '--noise', '2'], files)).err).toMatch(/--noise must be a number in \[0, 1\)/);
  });
});
