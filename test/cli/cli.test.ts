import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXIT, runCli, type CliIo } from '../../src/cli/run.js';
import { VERSION } from '../../src/version.js';

interface Run {
  code: number;
  out: string;
  err: string;
  files: Map<string, string>;
}

async function run(argv: string[], files: Record<string, string> = {}): Promise<Run> {
  const fs = new Map(Object.entries(files));
  let out = '';
  let err = '';
  let t = 0;
  const io: CliIo = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readFile: async (p) => {
      const v = fs.get(p);
      if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return v;
    },
    writeFile: async (p, s) => void fs.set(p, s),
    now: () => (t += 1),
  };
  const code = await runCli(argv, io);
  return { code, out, err, files: fs };
}

const demo = readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8');

const small = JSON.stringify({
  version: 1,
  nodes: [
    { id: 'n1', capacity: { cpu: 8, memory: 8192 } },
    { id: 'n2', capacity: { cpu: 8, memory: 8192 } },
  ],
  vms: [
    { id: 'a', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n1' },
    { id: 'b', demand: { cpu: 2, memory: 2048 }, state: 'running', host: 'n2' },
  ],
  objective: { type: 'consolidate' },
});

function noStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('switchyard CLI', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const r = await run(['--version']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('answers usage errors with exit 2 and a hint', async () => {
    for (const argv of [[], ['frobnicate'], ['validate'], ['verify', 'a.json'], ['plan', 'x.json', '--time-limit', 'soon'], ['plan', 'x.json', '--seed', '1.5'], ['plan', 'x.json', '--bogus'], ['plan', 'x.json', '--cycles', 'sideways']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      noStack(r.err + r.out);
    }
    expect((await run(['frobnicate'])).err).toContain('unknown command "frobnicate"');
  });

  it('shows help for each command', async () => {
    for (const c of ['plan', 'verify', 'validate']) {
      const r = await run([c, '--help']);
      expect(r.code).toBe(EXIT.ok);
      expect(r.out).toContain(`switchyard ${c}`);
    }
  });

  it('reports a missing file by name', async () => {
    const r = await run(['validate', 'nope.json']);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.err).toContain('nope.json: cannot read: no such file');
  });

  const malformed: [string, unknown, string][] = [
    ['not JSON', '{"version": 1,', '$'],
    ['unknown version', { version: 7, nodes: [], vms: [] }, 'version'],
    ['duplicate node id', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 1 } }, { id: 'n1', capacity: { cpu: 1 } }], vms: [] }, 'n1'],
    ['unknown host', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 1 } }], vms: [{ id: 'v', demand: { cpu: 1 }, state: 'running', host: 'ghost' }] }, 'ghost'],
    ['negative demand', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 4 } }], vms: [{ id: 'v', demand: { cpu: -1 }, state: 'waiting' }] }, 'vms[0].demand.cpu'],
    ['unknown state', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 4 } }], vms: [{ id: 'v', demand: { cpu: 1 }, state: 'zombie' }] }, 'zombie'],
    ['unknown constraint', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 4 } }], vms: [], constraints: [{ type: 'teleport', vms: [] }] }, 'teleport'],
    ['unknown VM in constraint', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 4 } }], vms: [], constraints: [{ type: 'spread', vms: ['ghostvm'] }] }, 'ghostvm'],
    ['unknown field', { version: 1, nodes: [{ id: 'n1', capacity: { cpu: 4 }, colour: 'red' }], vms: [] }, 'colour'],
  ];
  for (const [what, doc, culprit] of malformed) {
    it(`validate rejects ${what}, naming ${culprit}, exit 1, no stack`, async () => {
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      const r = await run(['validate', 'bad.json'], { 'bad.json': text });
      expect(r.code).toBe(EXIT.invalid);
      expect(r.err).toContain(culprit);
      expect(r.err).toContain('bad.json: ');
      noStack(r.err);
    });
  }

  it('validates the demo instance', async () => {
    const r = await run(['validate', 'demo.json'], { 'demo.json': demo });
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/valid instance: 5 nodes, 10 VMs/);
  });

  it('plans the demo end to end, and the written plan verifies', async () => {
    const r = await run(['plan', 'demo.json', '-o', 'plan.json'], { 'demo.json': demo });
    // Standard error is not a terminal here: only plain progress lines.
    for (const line of r.err.trimEnd().split('\n')) expect(line).toMatch(/^plan: /);
    expect(r.code).toBe(EXIT.ok);
    const plan = JSON.parse(r.files.get('plan.json')!) as { status: string; actions: unknown[] };
    expect(['optimal', 'feasible']).toContain(plan.status);
    expect(plan.actions.length).toBeGreaterThan(0);
    expect(r.out).toContain('plan written to plan.json');
    const v = await run(['verify', 'demo.json', 'plan.json'], { 'demo.json': demo, 'plan.json': r.files.get('plan.json')! });
    expect(v.err).toBe('');
    expect(v.code).toBe(EXIT.ok);
  });

  it('writes the plan to stdout without -o, and --quiet silences the summary', async () => {
    const r = await run(['plan', 'i.json', '--quiet'], { 'i.json': small });
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).version).toBe(1);
  });

  it('accepts --cycles parallel and still writes a verified plan', async () => {
    const r = await run(['plan', 'd.json', '-q', '--cycles', 'parallel', '-o', 'p.json'], { 'd.json': demo });
    expect(r.code).toBe(EXIT.ok);
    const v = await run(['verify', 'd.json', 'p.json'], { 'd.json': demo, 'p.json': r.files.get('p.json')! });
    expect(v.code).toBe(EXIT.ok);
  });

  it('is deterministic for a seed', async () => {
    const a = await run(['plan', 'd.json', '-q', '--seed', '3'], { 'd.json': demo });
    const b = await run(['plan', 'd.json', '-q', '--seed', '3'], { 'd.json': demo });
    const strip = (s: string) => JSON.stringify({ ...JSON.parse(s), stats: { ...JSON.parse(s).stats, solveMs: 0, planMs: 0 } });
    expect(strip(a.out)).toBe(strip(b.out));
  });

  it('exits 3 on an infeasible instance and still writes the plan with reasons', async () => {
    const inst = JSON.stringify({
      version: 1,
      nodes: [{ id: 'n1', capacity: { cpu: 4, memory: 4096 } }],
      vms: [{ id: 'big', demand: { cpu: 2, memory: 8192 }, state: 'waiting', wants: 'running' }],
    });
    const r = await run(['plan', 'i.json', '-o', 'p.json'], { 'i.json': inst });
    expect(r.code).toBe(EXIT.infeasible);
    const plan = JSON.parse(r.files.get('p.json')!) as { status: string; reasons: { message: string }[]; actions: unknown[] };
    expect(plan.status).toBe('infeasible');
    expect(plan.actions).toEqual([]);
    expect(plan.reasons.length).toBeGreaterThan(0);
    expect(r.err).toContain('infeasible: ');
    expect(plan.reasons.map((x) => x.message).join(' ')).toMatch(/memory|big/);
  });

  it('verify rejects a tampered plan, naming the violation', async () => {
    const r = await run(['plan', 'i.json', '-q', '-o', 'p.json'], { 'i.json': small });
    expect(r.code).toBe(EXIT.ok);
    const plan = JSON.parse(r.files.get('p.json')!) as { target: { vms: Record<string, { state: string; host?: string }> } };
    plan.target.vms['a'] = { state: 'running', host: plan.target.vms['a']!.host === 'n1' ? 'n2' : 'n1' };
    const v = await run(['verify', 'i.json', 'p.json'], { 'i.json': small, 'p.json': JSON.stringify(plan) });
    expect(v.code).toBe(EXIT.invalid);
    expect(v.err).toContain('target-mismatch');
    noStack(v.err);
  });

  it('verify rejects a plan that is not a plan', async () => {
    const v = await run(['verify', 'i.json', 'p.json'], { 'i.json': small, 'p.json': '{"version":1,"status":"maybe","actions":[]}' });
    expect(v.code).toBe(EXIT.invalid);
    expect(v.err).toContain('status');
  });
});

describe('the installed binary', () => {
  const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
  it('is built (npm install runs the build) and answers --version and bad input without a stack trace', async () => {
    expect(existsSync(bin), 'dist/src/cli/main.js is missing: run npm run build').toBe(true);
    const exec = promisify(execFile);
    const v = await exec(process.execPath, [bin, '--version']);
    expect(v.stdout.trim()).toBe(VERSION);
    const bad = await exec(process.execPath, [bin, 'validate', new URL('../../package.json', import.meta.url).pathname]).catch((e: { code: number; stderr: string }) => e);
    expect('code' in bad ? bad.code : 0).toBe(1);
    expect((bad as { stderr: string }).stderr).toContain('version');
    noStack((bad as { stderr: string }).stderr);
  });
});
